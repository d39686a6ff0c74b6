// Nothing from outside may produce a 5xx (issue 12, item 3): every HTTP method, with and without a
// body (none, `{}`, broken JSON, a JSON array, a form), to every kind of route of the edge — the
// insurer API (signed), the policyholder API (a live link and a well-formed unknown one), the
// revisit link /r/<token> and its fallback form, the OpenAPI document, the shell's files and
// unknown paths. Never a 5xx; a 405 names what is allowed (`Allow`); HEAD answers wherever GET does,
// with GET's status and headers and no body; and afterwards the stack still works (a revisit is
// created, opened and answered). Requests go through node:http, which, unlike fetch, sends a body
// with any method, as an attacker's client would.
import { test, expect } from '@playwright/test';
import { send as raw } from '../lib/raw.mjs';
import { insurerPost, insurerRequest, readDevVars, revisitRequest, loadScript, signature } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const BODIES = [
  ['none', null, null],
  ['{}', '{}', 'application/json'],
  ['broken JSON', '{"reason": ', 'application/json'],
  ['a JSON array', '[]', 'application/json'],
  ['a form', 'action=switch_to_phone', 'application/x-www-form-urlencoded'],
];
const hex16 = () => Math.floor(Math.random() * 0xffff).toString(16);
const clientIp = () => `2001:db8:${hex16()}:${hex16()}::${hex16()}:${hex16()}`;

const send = (method, path, options) => raw(EDGE_URL, method, path, options);

/** Headers signing `method path body` for the insurer API (the method as sent). */
function signed(method, path, body) {
  const ts = Math.floor(Date.now() / 1000);
  return { 'x-huifang-timestamp': String(ts), 'x-huifang-signature': signature(secret(), method, path, ts, body ?? '') };
}

async function createRevisit() {
  const request = revisitRequest(loadScript('scripts/default.json'));
  request.policyholder.phone = '136' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const { status, body } = await insurerPost(EDGE_URL, secret(), '/v1/revisits', request);
  expect(status, JSON.stringify(body)).toBe(201);
  return { id: body.revisit_id, token: new URL(body.link).pathname.split('/').pop(), phone: request.policyholder.phone };
}

/** Every kind of route, as [label, path, how to authenticate]. */
function routes(live, stranger) {
  const unknownId = 'rv_' + 'A'.repeat(26);
  return [
    ['insurer: create', '/v1/revisits', 'insurer'],
    ['insurer: status', `/v1/revisits/${live.id}`, 'insurer'],
    ['insurer: status of an unknown id', `/v1/revisits/${unknownId}`, 'insurer'],
    ['insurer: storage', `/v1/revisits/${live.id}/storage`, 'insurer'],
    ['insurer: cancel', `/v1/revisits/${live.id}/cancel`, 'insurer'],
    ['insurer: reissue', `/v1/revisits/${live.id}/reissue`, 'insurer'],
    ['insurer: an unknown sub-path', `/v1/revisits/${live.id}/other`, 'insurer'],
    ['insurer: unsigned', `/v1/revisits/${live.id}`, null],
    ...['', '/code', '/verify', '/id-number', '/items/0', '/items/x', '/signature', '/complete', '/switch', '/language', '/other']
      .flatMap((p) => [
        [`policyholder: /v1/session${p}`, `/v1/session${p}`, 'live'],
        [`policyholder (unknown link): /v1/session${p}`, `/v1/session${p}`, 'stranger'],
      ]),
    ['policyholder: no link', '/v1/session', null],
    ['fallback form (JSON API path)', `/v1/session/phone-form/${stranger}`, null],
    ['revisit link', `/r/${stranger}`, null],
    ['revisit link, malformed', '/r/not-a-token', null],
    ['revisit link, nested', `/r/${stranger}/more`, null],
    ['OpenAPI document', '/v1/openapi.json', null],
    ['bench probe', '/v1/bench/do-read', null],
    ...['/', '/index.html', '/app.js', '/app_bg.wasm', '/boot.js', '/start.js', '/sw.js', '/fallback.css', '/favicon.ico']
      .map((p) => [`shell file ${p}`, p, null]),
    ['unknown /v1 path', '/v1/nothing/here', null],
    ['unknown path', '/nothing/here', null],
  ];
}

test('every method, with and without a body, on every route: never a 5xx; 405 names Allow; HEAD is GET without a body', async () => {
  test.setTimeout(300_000);
  const live = await createRevisit();
  // The stranger's link is well formed and names no revisit (its id is random).
  const other = await createRevisit();
  const stranger = other.token.slice(0, -4) + (other.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const ip = clientIp();
  const auth = (how, method, path, body) => {
    if (how === 'insurer') return signed(method, path, body);
    if (how === 'live') return { authorization: `Bearer ${live.token}`, 'cf-connecting-ip': ip };
    if (how === 'stranger') return { authorization: `Bearer ${stranger}`, 'cf-connecting-ip': ip };
    return { 'cf-connecting-ip': ip };
  };
  // The live revisit's policyholder opens it first, so that the other calls reach its session.
  const me = new PolicyholderClient(EDGE_URL, live.token, { ip });
  expect((await me.open()).status).toBe(200);
  const cookie = () => [...me.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

  const fives = [];
  const bad405 = [];
  const headMismatch = [];
  let count = 0;
  for (const [label, path, how] of routes(live, stranger)) {
    for (const method of METHODS) {
      for (const [bodyName, body, type] of BODIES) {
        const headers = { ...auth(how, method, path, body), ...(type ? { 'content-type': type } : {}) };
        if (how === 'live') headers.cookie = cookie();
        let res;
        try {
          res = await send(method, path, { body, headers });
        } catch (e) {
          // No answer at all (the connection dropped or hung) is as bad as a 5xx.
          fives.push(`${method} ${path} (${label}) with ${bodyName}: no answer: ${e.message}`);
          continue;
        } finally {
          count++;
        }
        const what = `${method} ${path} (${label}) with ${bodyName}: ${res.status} ${res.text.slice(0, 120)}`;
        if (res.status >= 500) fives.push(what);
        if (res.status === 405 && !res.headers.allow) bad405.push(what);
        if (res.status === 405 && res.headers.allow) {
          const allowed = res.headers.allow.split(',').map((m) => m.trim());
          if (allowed.includes(method)) bad405.push(`${what}: Allow names the refused method (${res.headers.allow})`);
        }
      }
    }
    // HEAD wherever GET: the same status and headers, no body. The calls that change nothing.
    if (how !== 'live') {
      const get = await send('GET', path, { headers: auth(how, 'GET', path, null) });
      const head = await send('HEAD', path, { headers: auth(how, 'HEAD', path, null) });
      const same = ['content-type', 'cache-control', 'content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'allow'];
      const differs = same.filter((h) => get.headers[h] !== head.headers[h]);
      if (head.status !== get.status || differs.length || head.text !== '') {
        headMismatch.push(`${path} (${label}): GET ${get.status}, HEAD ${head.status}, differing ${differs.join(' ')}, HEAD body ${head.text.length} bytes`);
      }
    }
  }
  expect(count).toBeGreaterThan(1000);
  expect(fives, 'requests answered with a 5xx').toEqual([]);
  expect(bad405, '405s without a proper Allow').toEqual([]);
  expect(headMismatch, 'HEAD unlike GET').toEqual([]);

  // The stack is not left broken: a new revisit is created, opened, sent a code and verified.
  const after = await createRevisit();
  const ph = new PolicyholderClient(EDGE_URL, after.token, { ip: clientIp() });
  expect((await ph.open()).status).toBe(200);
  expect((await ph.sendCode()).status).toBe(200);
  let code = null;
  await expect.poll(async () => {
    const [sms] = await (await fetch(`${ORIGIN_URL}/sms/outbox?phone=${after.phone}&limit=1`)).json();
    code = sms?.code ?? null;
    return code;
  }).not.toBeNull();
  expect((await ph.verify(code)).status).toBe(200);
  expect((await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${after.id}`)).status).toBe(200);
});

test('a GET (or any method) with a body on a /v1/session route is a refusal, never a 500 (the known one)', async () => {
  const live = await createRevisit();
  const ip = clientIp();
  for (const method of ['GET', 'DELETE', 'OPTIONS', 'PUT']) {
    for (const path of ['/v1/session', '/v1/session/code', '/v1/session/switch']) {
      const res = await send(method, path, {
        body: '{"reason":"x"}',
        headers: { authorization: `Bearer ${live.token}`, 'content-type': 'application/json', 'cf-connecting-ip': ip },
      });
      expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(500);
      expect(res.status, `${method} ${path}: ${res.text}`).toBeGreaterThanOrEqual(400);
    }
  }
});
