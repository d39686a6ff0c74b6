// The floor of the first-load comparison: a plain static HTML page holding the same script text as a
// revisit (every item's title and body from scripts/default.json), minimal inline CSS, no script, and
// a 获取验证码 button, served on loopback by a tiny Node server that gzips exactly as the edge does
// (on the fly, zlib level 6, when the request accepts gzip; measured to match workerd byte for byte).
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** The floor page for a script. */
export function floorPage(script = JSON.parse(readFileSync('scripts/default.json', 'utf8'))) {
  const items = script.items.filter((item) => !item.products?.length).map((item) => item.text['zh-CN'])
    .map((text, i) => `<section><h2>${i + 1}. ${escape(text.title)}</h2>\n` +
      text.body.map((p) => `<p>${escape(p)}</p>`).join('\n') + '</section>').join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>保单回访</title><link rel="icon" href="data:,">
<style>body{font:16px/1.6 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem;color:#1a1a1a}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin:1.2rem 0 .3rem}
button{font:inherit;padding:.7rem 1.2rem;border:0;border-radius:.4rem;background:#0b5cad;color:#fff}</style>
</head><body><main>
<h1>保单回访</h1>
<p>您好！为保障您的权益，请核对以下保单信息，验证身份后逐项确认回访内容。</p>
<p><button type="button">获取验证码</button></p>
${items}
</main></body></html>
`;
}

export const gzip = (bytes) => gzipSync(bytes, { level: 6 });

/** Serves the floor page at `/` on 127.0.0.1 (a free port); resolves to { url, close }. */
export function startFloorServer(html = floorPage()) {
  const raw = Buffer.from(html);
  const zipped = gzip(raw);
  const server = createServer((req, res) => {
    if (req.url !== '/' && req.url !== '/index.html') { res.writeHead(404).end(); return; }
    const accepts = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'public, max-age=0, must-revalidate',
      ...(accepts ? { 'content-encoding': 'gzip', 'content-length': zipped.length } : { 'content-length': raw.length }),
      vary: 'accept-encoding',
    });
    res.end(accepts ? zipped : raw);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  })));
}
