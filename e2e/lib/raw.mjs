// One HTTP request with any method and any body, as an attacker's client would send it: node:http,
// which, unlike fetch, sends a body with GET and HEAD too.
import { request as httpRequest } from 'node:http';

/** Resolves to { status, headers (lower-case names), text, body (JSON where it parses) }. */
export function send(baseUrl, method, path, { body = null, headers = {} } = {}) {
  const url = new URL(path, baseUrl);
  const all = { ...headers };
  if (body !== null) all['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: all }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, body: json ?? text });
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    if (body !== null) req.write(body);
    req.end();
  });
}
