// The insurer's side of the API, for the demo and the tests: signs requests exactly as documented in
// the README (HMAC-SHA256 over METHOD\nPATH\nTIMESTAMP\nhex(SHA-256(body)), key = the secret's bytes).
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Reads KEY="value" lines from a wrangler .dev.vars file. */
export function readDevVars(path = '.dev.vars') {
  const vars = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*"?([^"]*)"?\s*$/);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

export function signature(secret, method, path, timestamp, body) {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const toSign = `${method.toUpperCase()}\n${path}\n${timestamp}\n${bodyHash}`;
  return 'v1=' + createHmac('sha256', secret).update(toSign).digest('hex');
}

/**
 * Sends a signed request to the edge's insurer API; returns { status, body, headers }. `headers`
 * adds headers to the request (e.g. `Idempotency-Key`).
 */
export async function insurerRequest(edgeUrl, secret, method, path, payload, { timestamp, headers: extra = {} } = {}) {
  const body = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
  const ts = timestamp ?? Math.floor(Date.now() / 1000);
  const headers = {
    ...extra,
    'x-huifang-timestamp': String(ts),
    'x-huifang-signature': signature(secret, method, path, ts, body),
  };
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, edgeUrl), { method, headers, body: body || undefined });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: json ?? text, headers: res.headers };
}

/** POSTs a signed JSON body to the edge's insurer API; returns { status, body }. */
export function insurerPost(edgeUrl, secret, path, payload, options) {
  return insurerRequest(edgeUrl, secret, 'POST', path, payload, options);
}

/** A revisit request for the demo policyholder; fields can be overridden. */
export function revisitRequest(script, overrides = {}) {
  const inDays = (d) => new Date(Date.now() + d * 86400_000).toISOString();
  return {
    policy_number: 'P2026' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0'),
    product: '鑫享人生年金保险（分红型）',
    policyholder: { name: '张三丰', phone: '13812345678', id_number: '11010519491231002X' },
    cooling_off_ends_at: inDays(15),
    script,
    ...overrides,
  };
}

/** A script file, with only the items for these product kinds (as the edge picks them). */
export function loadScript(path = 'scripts/default.json', productKinds = []) {
  const script = JSON.parse(readFileSync(path, 'utf8'));
  script.items = script.items.filter((item) => !item.products?.length || item.products.some((k) => productKinds.includes(k)));
  return script;
}

/**
 * A copy of `script` whose every item must be shown `secs` before it is answered (R9's per-item
 * `min_read_secs`): API-driven tests of other things answer one item a second, not at reading pace.
 */
export function withReadingSecs(script, secs = 1) {
  const copy = structuredClone(script);
  for (const item of copy.items) item.min_read_secs = secs;
  return copy;
}

/** An item's text in one language: `{ title, body: [paragraphs] }`. */
export const textOf = (item, lang = 'zh-CN') => item.text[lang];
