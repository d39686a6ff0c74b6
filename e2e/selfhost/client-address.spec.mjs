// Issue 18: the edge's per-IP limits read the client's address from CF-Connecting-IP and from no
// other header. On Cloudflare the network sets it; self-hosted, the TLS proxy in front must set it,
// overwriting whatever the client sent (docs/SELF_HOSTING.md). So a client can move
// the limit only through that one header, which the documented proxy replaces: every other
// address header a client may send (X-Forwarded-For, X-Real-IP, …) changes nothing.
import { test, expect } from '@playwright/test';
import { readFileSync, readdirSync } from 'node:fs';
import { insurerPost, readDevVars, revisitRequest, loadScript } from '../lib/insurer.mjs';
import { tally } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const HEADER = 'cf-connecting-ip';
const OTHERS = ['x-forwarded-for', 'x-real-ip', 'true-client-ip', 'forwarded', 'x-client-ip', 'cf-connecting-ipv6', 'x-cluster-client-ip'];
const part = () => Math.floor(Math.random() * 0xffff).toString(16);
const docIp = () => `2001:db8:${part()}::${part()}:${part()}`; // the documentation range

async function revisit() {
  const request = revisitRequest(loadScript('scripts/default.json'));
  request.policyholder.phone = '139' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const created = await insurerPost(EDGE_URL, readDevVars('.dev.vars').INSURER_API_SECRET, '/v1/revisits', request);
  expect(created.status).toBe(201);
  return new URL(created.body.link).pathname.split('/').pop();
}

/** Opens the revisit and asks for a code, with these headers; returns the code request's answer. */
async function askForCode(token, headers) {
  const call = async (method, path, cookie) => {
    const res = await fetch(new URL(path, EDGE_URL), { method, headers: { authorization: `Bearer ${token}`, ...headers, ...(cookie ? { cookie } : {}) } });
    const text = await res.text();
    let body = text;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body, cookie: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
  };
  const opened = await call('GET', '/v1/session');
  expect(opened.status).toBe(200);
  return call('POST', '/v1/session/code', opened.cookie);
}

test('only CF-Connecting-IP moves the per-IP limit: other address headers a client sends change nothing', async () => {
  test.setTimeout(60_000);
  const tokens = await Promise.all(Array.from({ length: 22 }, revisit));
  const ip = docIp();
  // 21 requests from one address, each claiming another address in every other header.
  const spoofed = tokens.slice(0, 21).map((token) => {
    const claimed = docIp();
    const headers = { [HEADER]: ip };
    for (const name of OTHERS) headers[name] = name === 'forwarded' ? `for="[${claimed}]"` : claimed;
    return askForCode(token, headers);
  });
  expect(tally(await Promise.all(spoofed))).toEqual({ '200': 20, '429 rate_limited': 1 });
  // Positive control: the named header alone does move it (which is why the proxy must overwrite it).
  expect((await askForCode(tokens[21], { [HEADER]: docIp() })).status).toBe(200);
});

test('the edge reads the client address from CF-Connecting-IP only, the header docs/SELF_HOSTING.md tells the proxy to set', () => {
  // x-client-ip is left out here: it is the worker's own header on its request to the revisit's
  // Durable Object (built afresh from CF-Connecting-IP, never copied from the client); the test
  // above sends it from the client too, and it changes nothing.
  const proxyHeaders = [HEADER, ...OTHERS.filter((h) => h !== 'x-client-ip')];
  const named = new Set();
  for (const file of readdirSync('edge/src').filter((f) => f.endsWith('.rs'))) {
    const src = readFileSync(`edge/src/${file}`, 'utf8').toLowerCase();
    for (const name of proxyHeaders) if (src.includes(`"${name}"`)) named.add(name);
  }
  expect([...named]).toEqual([HEADER]);
  const readme = readFileSync('docs/SELF_HOSTING.md', 'utf8');
  expect(readme).toContain('proxy_set_header CF-Connecting-IP $remote_addr;');
});
