// The OpenAPI document is true (issue 7): real requests against the running stack, and every
// response checked against the document the edge itself serves at GET /v1/openapi.json — the status
// is documented for that operation, the body matches that response's schema (strict where the Rust
// types are: no unknown field, no missing one), every error code is in the operation's list, and
// the documented headers (Retry-After, Set-Cookie) are there. The requests sent to succeed are
// checked against the documented request bodies too. The first tests show the checker refuses what
// the document does not allow; the last, that every documented operation was exercised, and every
// documented status too, or is listed with the reason it is not (NOT_EXERCISED, RACES).
import { test, expect } from '@playwright/test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDevVars, revisitRequest, loadScript, signature, withReadingSecs } from '../lib/insurer.mjs';
import { PolicyholderClient, sleep } from '../lib/policyholder.mjs';
import { Conformance, openApi31, part, pointer } from '../lib/openapi-conformance.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;

// ---- the document, as the edge serves it, shared by the tests of this file -----------------------

// What the tests exercised, kept in a file of this run (the runner's pid) so that the coverage
// test sees it all even when an earlier test failed and Playwright restarted the worker.
const SEEN_FILE = join(tmpdir(), `huifang-openapi-seen-${process.ppid}.txt`);

let api;
test.beforeAll(async () => {
  const res = await fetch(`${EDGE_URL}/v1/openapi.json`);
  expect(res.status).toBe(200);
  api = new Conformance(await res.json(), { seenFile: SEEN_FILE });
});

/** Expects a real response to conform; soft, so that one run lists every difference. */
function conforms(method, template, res) {
  expect.soft(api.check(method, template, res), `${method} ${template}`).toEqual([]);
  return res;
}

/** An error's code: in the JSON, or on the fallback form's page. */
function shownCode(res) {
  return (typeof res.body === 'string' ? /<code>([^<]*)<\/code>/.exec(res.body)?.[1] : res.body?.code) ?? null;
}

/** Expects a real response to conform and to have this status and (for errors) code. */
function expectAnswer(method, template, res, status, code) {
  conforms(method, template, res);
  const shown = shownCode(res);
  expect.soft([res.status, shown], `${method} ${template}: ${JSON.stringify(res.body).slice(0, 300)}`)
    .toEqual([status, code ?? null]);
  return res;
}

async function answerOf(res) {
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body, headers: res.headers };
}

/**
 * Any request with any body, GET included (fetch refuses a body on GET; the edge reads one on every
 * route, and documents the refusals): `{ status, body, headers }`, the body parsed when JSON.
 */
function withBody(method, path, body, headers) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, EDGE_URL);
    const req = httpRequest({
      method, host: url.hostname, port: url.port, path: url.pathname,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        try { parsed = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, body: parsed, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A signed insurer request (the README's recipe, via e2e/lib/insurer.mjs); the whole response. */
async function insurer(method, path, payload, { key = secret(), timestamp, headers = {}, contentType } = {}) {
  const body = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
  const ts = timestamp ?? Math.floor(Date.now() / 1000);
  const h = { 'x-huifang-timestamp': String(ts), 'x-huifang-signature': signature(key, method, path, ts, body), ...headers };
  if (body) h['content-type'] = contentType ?? 'application/json';
  return answerOf(await fetch(new URL(path, EDGE_URL), { method, headers: h, body: body || undefined }));
}

const phone = () => '137' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
const clientIp = () => `10.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
const tokenOf = (link) => new URL(link).pathname.split('/').pop();

/** A revisit request for a fresh phone number, checked against the documented request body. */
function newRequest(overrides = {}) {
  const request = revisitRequest(loadScript('scripts/default.json'), overrides);
  request.policyholder = { ...request.policyholder, phone: phone() };
  return request;
}

async function createRevisit(overrides = {}) {
  const request = newRequest(overrides);
  expect.soft(api.checkRequest('POST', '/v1/revisits', request)).toEqual([]);
  const res = expectAnswer('POST', '/v1/revisits', await insurer('POST', '/v1/revisits', request), 201);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { ...res.body, token: tokenOf(res.body.link), phone: request.policyholder.phone };
}

/** The policyholder's browser: the link token, the device cookie, its own network and language. */
class Browser extends PolicyholderClient {
  constructor(token, lang = 'zh-CN,zh;q=0.9') {
    super(EDGE_URL, token, { ip: clientIp() });
    this.lang = lang;
  }

  /** Any request, with the body sent as given (raw text) and any content type. */
  async raw(method, path, { body, contentType = 'application/json', headers = {} } = {}) {
    const h = { authorization: `Bearer ${this.token}`, 'cf-connecting-ip': this.ip, 'accept-language': this.lang, ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) h['content-type'] = contentType;
    const res = await fetch(new URL(path, EDGE_URL), { method, headers: h, body });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return answerOf(res);
  }

  /** A JSON request. */
  async send(method, path, payload) {
    return this.raw(method, path, { body: payload === undefined ? undefined : JSON.stringify(payload) });
  }
}

/** Calls and checks: `await ph(browser, 'POST', '/v1/session/verify', {code}, 200)`. */
async function ph(browser, method, path, payload, status, code, template = path) {
  if (status === 200 && payload !== undefined) expect.soft(api.checkRequest(method, template, payload)).toEqual([]);
  return expectAnswer(method, template, await browser.send(method, path, payload), status, code);
}

/**
 * Answers item `index` as a careful client does (R9): a documented `answered_too_soon` is checked
 * against the document like any answer, waited out (`retry_after_secs`) and the answer sent again.
 */
async function phAnswerWhenReady(browser, index, payload) {
  const path = `/v1/session/items/${index}`;
  const template = '/v1/session/items/{index}';
  expect.soft(api.checkRequest('POST', template, payload)).toEqual([]);
  for (let t = 0; t < 5; t++) {
    const res = await browser.send('POST', path, payload);
    if (res.status !== 409 || shownCode(res) !== 'answered_too_soon') return expectAnswer('POST', template, res, 200, null);
    expectAnswer('POST', template, res, 409, 'answered_too_soon');
    await sleep(res.body.retry_after_secs * 1000);
  }
  throw new Error(`item ${index} still answered_too_soon after 5 tries`);
}

async function latestCode(phoneNumber) {
  let code = null;
  await expect.poll(async () => {
    const res = await fetch(`${ORIGIN_URL}/sms/outbox?phone=${phoneNumber}&limit=1`);
    code = (await res.json())[0]?.code ?? null;
    return code;
  }, { message: `an SMS code for ${phoneNumber}` }).not.toBeNull();
  return code;
}

/** Polls the insurer's status until the record is delivered; checks each answer on the way. */
async function untilDelivered(id) {
  const template = '/v1/revisits/{id}';
  await expect.poll(async () => {
    const res = conforms('GET', template, await insurer('GET', `/v1/revisits/${id}`));
    return res.body?.delivered;
  }, { message: `delivery of ${id}`, timeout: 20_000 }).toBe(true);
}

// ---- the checker itself ---------------------------------------------------------------------------

test('the edge serves the document in the repository, as cacheable JSON, and it is consistent', async () => {
  writeFileSync(SEEN_FILE, ''); // the first test of the run starts the coverage afresh
  const res = await fetch(`${EDGE_URL}/v1/openapi.json`);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('public, max-age=300');
  const served = await answerOf(res);
  conforms('GET', '/v1/openapi.json', served);
  // The running build serves exactly the committed file (a stale build is caught here).
  expect(served.body).toEqual(JSON.parse(readFileSync('edge/openapi.json', 'utf8')));
  expect(served.body.openapi).toBe('3.1.0');
  expect(openApi31()(served.body), 'a valid OpenAPI 3.1 document').toEqual([]);
  expectAnswer('POST', '/v1/openapi.json', await answerOf(await fetch(`${EDGE_URL}/v1/openapi.json`, { method: 'POST' })), 405, 'method_not_allowed');

  // Every code an operation lists is in the shared table, with the status it is listed under.
  const table = api.doc.components.schemas.ApiError.properties.code;
  expect(Object.keys(table['x-huifang-codes']).sort()).toEqual([...table.enum].sort());
  const listed = [];
  for (const [template, item] of Object.entries(api.doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      for (const [status, r0] of Object.entries(op.responses ?? {})) {
        const [r] = api.deref(r0, '');
        const codes = [...(r.content?.['application/json']?.schema?.properties?.code?.enum ?? []), ...(r['x-huifang-page-codes'] ?? [])];
        for (const c of codes) {
          listed.push(`${m} ${template} ${status} ${c} → ${table['x-huifang-codes'][c]?.status ?? 'not in the table'}`);
        }
      }
    }
  }
  const wrong = listed.filter((l) => { const [, , s, , , t] = l.split(' '); return s !== t; });
  expect(wrong, 'codes listed under another status than the table gives').toEqual([]);
  expect(listed.length).toBeGreaterThan(100);
  // And each listed status has a schema, or is a page: nothing is documented as 'any body'.
  for (const [template, item] of Object.entries(api.doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      for (const [status, r0] of Object.entries(op.responses ?? {})) {
        const [r] = api.deref(r0, '');
        expect(Object.keys(r.content ?? {}), `${m} ${template} ${status}`).not.toEqual([]);
      }
    }
  }
  // Every documented code is returned by at least one operation.
  const used = new Set(listed.map((l) => l.split(' ')[3]));
  expect(table.enum.filter((c) => !used.has(c)), 'codes no operation lists').toEqual([]);
});

test('the checker refuses responses the document does not allow (the conformance test can fail)', async () => {
  const check = (m, t, res) => api.check(m, t, { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, ...res }, { record: false });
  const created = { revisit_id: 'AbCdEfGhIjKlMnOp', link: 'https://edge.example/r/AbCdEfGhIjKlMnOpAbCdEfGhIjKlMnOpqrstuv', expires_at: '2027-01-15T15:59:59Z' };
  const status = { revisit_id: 'AbCdEfGhIjKlMnOp', stage: 'verified', expires_at: '2027-01-15T15:59:59Z', items_answered: 2, item_count: 7, delivered: false, record_hash: null };
  // The well-formed ones pass: the checks below fail for their one defect, not for everything.
  expect(check('POST', '/v1/revisits', { status: 201, body: created })).toEqual([]);
  expect(check('GET', '/v1/revisits/{id}', { status: 200, body: status })).toEqual([]);
  expect(check('POST', '/v1/session/verify', { status: 422, body: { code: 'wrong_code', message: 'm', tries_left: 3 } })).toEqual([]);

  const { link, ...noLink } = created;
  const cases = [
    ['a missing required field', 'POST', '/v1/revisits', { status: 201, body: noLink }, /required.*link/],
    ['a field the Rust type does not have', 'GET', '/v1/revisits/{id}', { status: 200, body: { ...status, surprise: 1 } }, /additional/],
    ['a stage that does not exist', 'GET', '/v1/revisits/{id}', { status: 200, body: { ...status, stage: 'paused' } }, /allowed values/],
    ['a wrong type', 'GET', '/v1/revisits/{id}', { status: 200, body: { ...status, delivered: 'yes' } }, /boolean/],
    ['an undocumented error code', 'POST', '/v1/revisits', { status: 422, body: { code: 'made_up', message: 'm' } }, /allowed values/],
    ['a code documented only under another status', 'POST', '/v1/session/verify', { status: 401, body: { code: 'wrong_code', message: 'm' } }, /allowed values/],
    ['a code another operation has', 'POST', '/v1/revisits', { status: 422, body: { code: 'wrong_code', message: 'm' } }, /allowed values/],
    ['an undocumented status', 'POST', '/v1/revisits', { status: 418, body: { code: 'internal', message: 'm' } }, /status not documented/],
    ['an undocumented path', 'GET', '/v1/nowhere', { status: 200, body: {} }, /not documented/],
    ['a 429 without Retry-After', 'POST', '/v1/session/code', { status: 429, body: { code: 'resend_too_soon', message: 'm', retry_after_secs: 5 } }, /Retry-After/],
    ['a cacheable API answer', 'GET', '/v1/revisits/{id}', { status: 200, body: status, headers: { 'content-type': 'application/json' } }, /no-store/],
    ['a body that is not JSON', 'POST', '/v1/session/complete', { status: 200, body: '<html>' }, /not JSON/],
    ['a page with a code its status does not list', 'POST', '/r/{token}', { status: 403, body: '<p><code>link_expired</code></p>', headers: { 'content-type': 'text/html', 'cache-control': 'no-store' } }, /shows code link_expired/],
  ];
  for (const [what, m, t, res, why] of cases) {
    const problems = check(m, t, res);
    expect(problems.length, `${what} is refused`).toBeGreaterThan(0);
    expect(problems.join('\n'), what).toMatch(why);
  }
  // The document's own shape: a response without its description, a security scheme of no type.
  const broken = structuredClone(api.doc);
  delete broken.paths['/v1/revisits'].post.responses['201'].description;
  broken.components.securitySchemes.LinkToken.type = 'bearer';
  const shape = openApi31()(broken).join('\n');
  expect(shape).toMatch(/responses\/201 must have required property 'description'/);
  expect(shape).toMatch(/securitySchemes\/LinkToken\/type must be equal to one of the allowed values/);

  // Request bodies too: an unknown field, a missing one.
  expect(api.checkRequest('POST', '/v1/session/items/{index}', { answer: 'yes', extra: 1 })).not.toEqual([]);
  expect(api.checkRequest('POST', '/v1/revisits', { ...newRequest(), policyholder: undefined })).not.toEqual([]);
});

// ---- the insurer API ------------------------------------------------------------------------------

test('insurer API: create, status, storage, re-issue and cancel, as documented', async () => {
  const r = await createRevisit();
  // Without a script: the shipped one, picked by product kind.
  const bare = newRequest({ product_kinds: ['participating', 'regular_premium'] });
  delete bare.script;
  expect.soft(api.checkRequest('POST', '/v1/revisits', bare)).toEqual([]);
  expectAnswer('POST', '/v1/revisits', await insurer('POST', '/v1/revisits', bare), 201);

  const s = expectAnswer('GET', '/v1/revisits/{id}', await insurer('GET', `/v1/revisits/${r.revisit_id}`), 200);
  expect(s.body).toMatchObject({ stage: 'issued', items_answered: 0, delivered: false, record_hash: null });
  expectAnswer('GET', '/v1/revisits/{id}/storage', await insurer('GET', `/v1/revisits/${r.revisit_id}/storage`), 200);

  const browser = new Browser(r.token);
  await ph(browser, 'GET', '/v1/session', undefined, 200);
  const re = expectAnswer('POST', '/v1/revisits/{id}/reissue', await insurer('POST', `/v1/revisits/${r.revisit_id}/reissue`), 200);
  expect(tokenOf(re.body.link)).not.toBe(r.token);
  await ph(browser, 'GET', '/v1/session', undefined, 404, 'link_not_found');
  const fresh = new Browser(tokenOf(re.body.link));
  await ph(fresh, 'GET', '/v1/session', undefined, 200);

  const c = expectAnswer('POST', '/v1/revisits/{id}/cancel', await insurer('POST', `/v1/revisits/${r.revisit_id}/cancel`), 200);
  expect(c.body.stage).toBe('cancelled');
  await ph(fresh, 'POST', '/v1/session/code', undefined, 410, 'revisit_finished');
  expectAnswer('POST', '/v1/revisits/{id}/cancel', await insurer('POST', `/v1/revisits/${r.revisit_id}/cancel`), 410, 'revisit_finished');
  // Delivered: only the tombstone is left; its status has null progress.
  await untilDelivered(r.revisit_id);
  const t = expectAnswer('GET', '/v1/revisits/{id}', await insurer('GET', `/v1/revisits/${r.revisit_id}`), 200);
  expect(t.body).toMatchObject({ stage: 'cancelled', items_answered: null, item_count: null, delivered: true });
  expectAnswer('POST', '/v1/revisits/{id}/reissue', await insurer('POST', `/v1/revisits/${r.revisit_id}/reissue`), 410, 'revisit_finished');
  await ph(fresh, 'GET', '/v1/session', undefined, 410, 'revisit_finished');
});

test('insurer API: every refusal is a documented status and code', async () => {
  const post = (payload, opts) => insurer('POST', '/v1/revisits', payload, opts);
  const refused = async (payload, status, code, opts) => expectAnswer('POST', '/v1/revisits', await post(payload, opts), status, code);

  // The signature.
  const req = newRequest();
  const now = Math.floor(Date.now() / 1000);
  expectAnswer('POST', '/v1/revisits', await answerOf(await fetch(`${EDGE_URL}/v1/revisits`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) })), 401, 'signature_missing');
  await refused(req, 401, 'signature_mismatch', { key: 'not-the-secret' });
  await refused(req, 401, 'timestamp_outside_window', { timestamp: now - 301 });
  await refused(req, 401, 'bad_timestamp', { timestamp: 'yesterday' });

  // Bodies.
  await refused('{"policy_number": ', 400, 'bad_json');
  await refused({ ...req, surprise: true }, 400, 'bad_json');
  await refused({ ...req, product_kinds: ['lottery'] }, 400, 'bad_json');
  await refused('policy=1', 415, 'unsupported_media_type', { contentType: 'text/plain' });
  expectAnswer('POST', '/v1/revisits', await answerOf(await fetch(`${EDGE_URL}/v1/revisits`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(600 * 1024) })), 413, 'payload_too_large');

  // Fields.
  const inDays = (d) => new Date(Date.now() + d * 86400_000).toISOString();
  const holder = (p) => ({ ...req, policyholder: { ...req.policyholder, ...p } });
  await refused({ ...req, policy_number: 'P1' }, 422, 'invalid_policy_number');
  await refused({ ...req, product: '  ' }, 422, 'invalid_product');
  await refused(holder({ name: '' }), 422, 'invalid_name');
  await refused(holder({ phone: '12345' }), 422, 'invalid_phone');
  await refused(holder({ id_number: '1101051949' }), 422, 'invalid_id_number');
  await refused(holder({ id_number: '110105194912310021' }), 422, 'id_number_checksum');
  await refused({ ...req, cooling_off_ends_at: 'next tuesday' }, 422, 'invalid_timestamp');
  await refused({ ...req, cooling_off_ends_at: inDays(-1) }, 422, 'cooling_off_ended');
  await refused({ ...req, script: { ...req.script, items: [] } }, 422, 'invalid_script');
  await refused({ ...req, script: { ...req.script, identity: ['face'] } }, 422, 'invalid_script');

  // Routes and ids.
  const unknown = 'AAAAAAAAAAAAAAAA';
  expectAnswer('GET', '/v1/revisits/{id}', await insurer('GET', `/v1/revisits/${unknown}`), 404, 'not_found');
  expectAnswer('GET', '/v1/revisits/{id}', await insurer('GET', '/v1/revisits/not-an-id'), 404, 'not_found');
  expectAnswer('POST', '/v1/revisits/{id}/cancel', await insurer('POST', `/v1/revisits/${unknown}/cancel`), 404, 'not_found');
  expectAnswer('POST', '/v1/revisits/{id}/reissue', await insurer('POST', `/v1/revisits/${unknown}/reissue`), 404, 'not_found');
  const empty = expectAnswer('GET', '/v1/revisits/{id}/storage', await insurer('GET', `/v1/revisits/${unknown}/storage`), 200);
  expect(empty.body).toEqual({});
  expectAnswer('GET', '/v1/revisits/{id}/storage', await insurer('GET', '/v1/revisits/not-an-id/storage'), 404, 'not_found');
  expectAnswer('GET', '/v1/revisits/{id}', await insurer('GET', `/v1/revisits/${unknown}`, undefined, { key: 'wrong' }), 401, 'signature_mismatch');
  expectAnswer('GET', '/v1/revisits', await insurer('GET', '/v1/revisits'), 405, 'method_not_allowed');
  expectAnswer('PUT', '/v1/revisits', await insurer('PUT', '/v1/revisits', req), 405, 'method_not_allowed');
  expectAnswer('DELETE', '/v1/revisits/{id}', await insurer('DELETE', `/v1/revisits/${unknown}`), 404, 'not_found');
  expectAnswer('GET', '/v1/revisits/{id}/cancel', await insurer('GET', `/v1/revisits/${unknown}/cancel`), 404, 'not_found');

  // Off the map: a path the document does not list is the shared NotFound answer.
  const nowhere = await answerOf(await fetch(`${EDGE_URL}/v1/nowhere`));
  expect(nowhere.status).toBe(404);
  expect.soft(api.validate(`${pointer('components', 'responses', 'NotFound')}/content/${part('application/json')}/schema`, nowhere.body)).toEqual([]);
  expectAnswer('GET', '/v1/bench/do-read', await answerOf(await fetch(`${EDGE_URL}/v1/bench/do-read`)), 404, 'not_found');
});

test('insurer API: Idempotency-Key on create and re-issue, as documented (issue 12)', async () => {
  const key = () => `k-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const withKey = (k) => ({ headers: { 'idempotency-key': k } });
  const request = JSON.stringify(newRequest());
  const k1 = key();
  const first = expectAnswer('POST', '/v1/revisits', await insurer('POST', '/v1/revisits', request, withKey(k1)), 201);
  const again = expectAnswer('POST', '/v1/revisits', await insurer('POST', '/v1/revisits', request, withKey(k1)), 201);
  expect(again.body).toEqual(first.body);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expectAnswer('POST', '/v1/revisits', await insurer('POST', '/v1/revisits', newRequest(), withKey(k1)), 409, 'idempotency_key_reused');
  expectAnswer('POST', '/v1/revisits', await insurer('POST', '/v1/revisits', newRequest(), withKey('not a key')), 400, 'invalid_idempotency_key');

  const reissue = (id, k) => insurer('POST', `/v1/revisits/${id}/reissue`, undefined, withKey(k));
  const k2 = key();
  const re = expectAnswer('POST', '/v1/revisits/{id}/reissue', await reissue(first.body.revisit_id, k2), 200);
  const reAgain = expectAnswer('POST', '/v1/revisits/{id}/reissue', await reissue(first.body.revisit_id, k2), 200);
  expect(reAgain.body).toEqual(re.body);
  const other = await createRevisit();
  expectAnswer('POST', '/v1/revisits/{id}/reissue', await reissue(other.revisit_id, k2), 409, 'idempotency_key_reused');
  expectAnswer('POST', '/v1/revisits/{id}/reissue', await reissue(other.revisit_id, 'a,b'), 400, 'invalid_idempotency_key');
});

// ---- the policyholder API ------------------------------------------------------------------------

test('policyholder API: the link, the device, the code, the items, completion', async () => {
  // The link.
  const anon = async (headers) => answerOf(await fetch(`${EDGE_URL}/v1/session`, { headers }));
  expectAnswer('GET', '/v1/session', await anon({}), 401, 'link_missing');
  expectAnswer('GET', '/v1/session', await anon({ authorization: 'Basic abc' }), 401, 'link_missing');
  expectAnswer('GET', '/v1/session', await anon({ authorization: 'Bearer short' }), 404, 'link_not_found');
  expectAnswer('GET', '/v1/session', await anon({ authorization: 'Bearer ' + 'A'.repeat(38) }), 404, 'link_not_found');

  // R9: the first item keeps the shipped 5 s, so that an answer sent at once is surely too soon;
  // the others are held 1 s, so that the walk through them stays quick.
  const script = withReadingSecs(loadScript('scripts/default.json'));
  script.items[0].min_read_secs = 5;
  const r = await createRevisit({ script });
  const me = new Browser(r.token, 'en-GB,en;q=0.9,zh;q=0.5');
  await ph(me, 'POST', '/v1/session/code', undefined, 409, 'not_opened');

  // The first open binds the link to this browser (Set-Cookie checked by the document).
  const opened = await ph(me, 'GET', '/v1/session', undefined, 200);
  expect(opened.headers.get('set-cookie')).toContain(`hf_dev_${r.revisit_id}=`);
  expect(opened.body).toMatchObject({ stage: 'opened', lang: 'en', next_step: 'sms_code', items: [] });
  await ph(new Browser(r.token), 'GET', '/v1/session', undefined, 403, 'link_in_use');
  await ph(new Browser(r.token), 'POST', '/v1/session/code', undefined, 403, 'link_in_use');

  // Steps out of order.
  await ph(me, 'POST', '/v1/session/verify', { code: '123456' }, 409, 'no_code_sent');
  await ph(me, 'POST', '/v1/session/id-number', { id_number: '11010519491231002X' }, 409, 'wrong_step');
  await ph(me, 'POST', '/v1/session/items/0', { answer: 'yes' }, 409, 'not_verified', '/v1/session/items/{index}');
  await ph(me, 'POST', '/v1/session/complete', undefined, 409, 'not_verified');
  await ph(me, 'POST', '/v1/session/signature', { strokes: [], png_base64: '' }, 409, 'not_verified');

  // The code.
  const sent = await ph(me, 'POST', '/v1/session/code', undefined, 200);
  expect(sent.body.stage).toBe('code_sent');
  const again = await ph(me, 'POST', '/v1/session/code', undefined, 429, 'resend_too_soon');
  expect(Number(again.headers.get('retry-after'))).toBe(again.body.retry_after_secs);
  const code = await latestCode(r.phone);
  await ph(me, 'POST', '/v1/session/verify', { code: 'abc' }, 422, 'invalid_code_format');
  const wrong = await ph(me, 'POST', '/v1/session/verify', { code: code === '000000' ? '111111' : '000000' }, 422, 'wrong_code');
  expect(wrong.body.tries_left).toBe(4);
  await ph(me, 'POST', '/v1/session/verify', {}, 400, 'bad_json');
  await ph(me, 'POST', '/v1/session/verify', { code, also: 1 }, 400, 'bad_json');
  await ph(me, 'POST', '/v1/session/verify', { code: 123456 }, 400, 'bad_json');
  expectAnswer('POST', '/v1/session/verify', await me.raw('POST', '/v1/session/verify', { body: '{"code":', contentType: 'application/json' }), 400, 'bad_json');
  expectAnswer('POST', '/v1/session/verify', await me.raw('POST', '/v1/session/verify', { body: `code=${code}`, contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  expectAnswer('POST', '/v1/session/verify', await me.raw('POST', '/v1/session/verify', { body: JSON.stringify({ code: 'x'.repeat(9000) }) }), 413, 'payload_too_large');

  // Methods and routes that do not exist.
  expectAnswer('GET', '/v1/session/code', await me.raw('GET', '/v1/session/code'), 405, 'method_not_allowed');
  expectAnswer('PUT', '/v1/session/verify', await me.raw('PUT', '/v1/session/verify', { body: '{}' }), 405, 'method_not_allowed');
  expectAnswer('DELETE', '/v1/session', await me.raw('DELETE', '/v1/session'), 404, 'not_found');
  expectAnswer('GET', '/v1/session/items/{index}', await me.raw('GET', '/v1/session/items/0'), 404, 'not_found');

  const verified = await ph(me, 'POST', '/v1/session/verify', { code }, 200);
  expect(verified.body.stage).toBe('verified');
  expect(verified.body.items.length).toBe(verified.body.item_count);
  await ph(me, 'POST', '/v1/session/verify', { code }, 409, 'already_verified');
  await ph(me, 'POST', '/v1/session/code', undefined, 409, 'already_verified');

  // The language.
  const zh = await ph(me, 'POST', '/v1/session/language', { lang: 'zh-CN' }, 200);
  expect(zh.body.lang).toBe('zh-CN');
  await ph(me, 'POST', '/v1/session/language', { lang: 'fr' }, 400, 'bad_json');
  expectAnswer('GET', '/v1/session/language', await me.raw('GET', '/v1/session/language'), 405, 'method_not_allowed');

  // The items, in order, each once.
  const items = '/v1/session/items/{index}';
  const n = verified.body.item_count;
  await ph(me, 'POST', '/v1/session/items/1', { answer: 'yes' }, 409, 'item_out_of_order', items);
  await ph(me, 'POST', `/v1/session/items/${n + 5}`, { answer: 'yes' }, 404, 'no_such_item', items);
  await ph(me, 'POST', '/v1/session/items/first', { answer: 'yes' }, 404, 'not_found', items);
  await ph(me, 'POST', '/v1/session/items/0', { answer: 'maybe' }, 400, 'bad_json', items);
  // Sooner than the item's minimum reading time after it was shown (R9): refused, with when to retry.
  const soon = await ph(me, 'POST', '/v1/session/items/0', { answer: 'no', comment: '太快' }, 409, 'answered_too_soon', items);
  expect(soon.body.retry_after_secs).toBeGreaterThanOrEqual(1);
  expect(soon.body.retry_after_secs).toBeLessThanOrEqual(5);
  expect(Number(soon.headers.get('retry-after'))).toBe(soon.body.retry_after_secs);
  const unanswered = await ph(me, 'GET', '/v1/session', undefined, 200);
  expect(unanswered.body.items[0].answer ?? null).toBeNull();
  await sleep(soon.body.retry_after_secs * 1000);
  await ph(me, 'POST', '/v1/session/items/0', { answer: 'no', comment: '长'.repeat(501) }, 422, 'comment_too_long', items);
  const first = await ph(me, 'POST', '/v1/session/items/0', { answer: 'no', comment: '保费金额与销售人员所说不同' }, 200, null, items);
  expect(first.body.items[0]).toMatchObject({ answer: 'no', comment: '保费金额与销售人员所说不同' });
  await ph(me, 'POST', '/v1/session/items/0', { answer: 'yes' }, 409, 'already_answered', items);
  await ph(me, 'POST', '/v1/session/complete', undefined, 409, 'items_remaining');
  await ph(me, 'POST', '/v1/session/signature', { strokes: [], png_base64: '' }, 409, 'wrong_step');
  for (let i = 1; i < n; i++) await phAnswerWhenReady(me, i, { answer: 'yes', comment: null });
  const done = await ph(me, 'POST', '/v1/session/complete', undefined, 200);
  expect(done.body.stage).toBe('completed');

  // After the end.
  await ph(me, 'POST', '/v1/session/switch', {}, 410, 'revisit_finished');
  await ph(me, 'POST', '/v1/session/language', { lang: 'en' }, 410, 'revisit_finished');
  const status = expectAnswer('GET', '/v1/revisits/{id}', await insurer('GET', `/v1/revisits/${r.revisit_id}`), 200);
  expect(status.body.stage).toBe('completed');
  await untilDelivered(r.revisit_id);
  await ph(me, 'GET', '/v1/session', undefined, 410, 'revisit_finished');
});

// A PNG of 1×1 pixel: the edge checks the image's signature bytes and size, the ink from the strokes.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

test('policyholder API: the ID number, the signature, locking and the switch to phone', async () => {
  const base = withReadingSecs(loadScript('scripts/default.json'));
  const r = await createRevisit({ script: { ...base, identity: ['id_number', 'signature'] } });
  const me = new Browser(r.token);
  const opened = await ph(me, 'GET', '/v1/session', undefined, 200);
  expect(opened.body).toMatchObject({ next_step: 'id_number', signature_required: true, signed: false, lang: 'zh-CN' });
  await ph(me, 'POST', '/v1/session/code', undefined, 409, 'wrong_step');
  await ph(me, 'POST', '/v1/session/id-number', { id_number: '1101' }, 422, 'invalid_id_number');
  await ph(me, 'POST', '/v1/session/id-number', { id_number: '110105194912310021' }, 422, 'id_number_checksum');
  await ph(me, 'POST', '/v1/session/id-number', { id_number: '110101199003070011' }, 422, 'wrong_id_number');
  await ph(me, 'POST', '/v1/session/id-number', { id_number: '11010519491231002X' }, 200);
  await ph(me, 'POST', '/v1/session/id-number', { id_number: '11010519491231002X' }, 409, 'already_verified');
  const n = opened.body.item_count;
  for (let i = 0; i < n; i++) await phAnswerWhenReady(me, i, { answer: 'yes' });
  await ph(me, 'POST', '/v1/session/complete', undefined, 409, 'signature_required');

  const sig = '/v1/session/signature';
  await ph(me, 'POST', sig, { strokes: [[[100, 500], [200, 500]]], png_base64: PNG }, 422, 'signature_too_short');
  await ph(me, 'POST', sig, { strokes: [[[100, 500], [1001, 500]]], png_base64: PNG }, 422, 'signature_out_of_pad');
  await ph(me, 'POST', sig, { strokes: [[[50, 500], [950, 500]]], png_base64: 'bm90IGEgcG5n' }, 422, 'signature_bad_image');
  const manyStrokes = Array.from({ length: 61 }, (_, i) => [[10, 10 + i * 10], [990, 10 + i * 10]]);
  await ph(me, 'POST', sig, { strokes: manyStrokes, png_base64: PNG }, 422, 'signature_too_large');
  await ph(me, 'POST', sig, { strokes: [[[50, 500], [950, 500]]], png_base64: PNG, pressure: 1 }, 400, 'bad_json');
  expectAnswer('POST', sig, await me.raw('POST', sig, { body: JSON.stringify({ strokes: [], png_base64: 'A'.repeat(170 * 1024) }) }), 413, 'payload_too_large');
  const signed = await ph(me, 'POST', sig, { strokes: [[[50, 500], [950, 500]]], png_base64: PNG }, 200);
  expect(signed.body.signed).toBe(true);
  await ph(me, 'POST', '/v1/session/complete', undefined, 200);

  // Locking: ten wrong ID numbers in a day lock identity checks; the phone switch stays open (R7).
  const locked = await createRevisit({ script: { ...base, identity: ['id_number'] } });
  const other = new Browser(locked.token);
  await ph(other, 'GET', '/v1/session', undefined, 200);
  let last;
  for (let i = 0; i < 10; i++) last = await other.send('POST', '/v1/session/id-number', { id_number: '110101199003070011' });
  expectAnswer('POST', '/v1/session/id-number', last, 423, 'session_locked');
  expect(Number(last.headers.get('retry-after'))).toBe(last.body.retry_after_secs);
  await ph(other, 'POST', '/v1/session/id-number', { id_number: '11010519491231002X' }, 423, 'session_locked');
  await ph(other, 'POST', '/v1/session/switch', { reason: '长'.repeat(501) }, 422, 'comment_too_long');
  expectAnswer('GET', '/v1/session/switch', await other.raw('GET', '/v1/session/switch'), 405, 'method_not_allowed');
  const switched = await ph(other, 'POST', '/v1/session/switch', { reason: '想和客服通电话' }, 200);
  expect(switched.body.stage).toBe('switched_to_phone');
  // An empty body is allowed where every field is optional.
  const third = await createRevisit();
  const b3 = new Browser(third.token);
  await ph(b3, 'GET', '/v1/session', undefined, 200);
  conforms('POST', '/v1/session/switch', await b3.raw('POST', '/v1/session/switch'));
});

test('policyholder API: the face step through the insurer\'s provider (R8)', async () => {
  const base = withReadingSecs(loadScript('scripts/default.json'));
  const script = { ...base, identity: ['sms_code', 'face'], face: { provider: '模拟人脸核验服务', alternative: 'id_number' } };
  expect(api.checkRequest('POST', '/v1/revisits', { ...revisitRequest(script) })).toEqual([]);
  const r = await createRevisit({ script });
  const me = new Browser(r.token);
  await ph(me, 'GET', '/v1/session', undefined, 200);
  await ph(me, 'POST', '/v1/session/face/start', undefined, 409, 'wrong_step');
  await ph(me, 'POST', '/v1/session/face/decline', undefined, 409, 'wrong_step');
  await ph(me, 'POST', '/v1/session/code', undefined, 200);
  const verified = await ph(me, 'POST', '/v1/session/verify', { code: await latestCode(r.phone) }, 200);
  expect(verified.body).toMatchObject({ next_step: 'face', face: { provider: '模拟人脸核验服务', alternative: 'id_number', tries_left: 3 } });
  const result = '/v1/session/face/result';
  await ph(me, 'POST', result, { reference: 'sim-ref-0', ticket: 't' }, 422, 'face_reference_unknown');
  await ph(me, 'POST', result, { reference: 'sim-ref-0' }, 400, 'bad_json');
  await ph(me, 'POST', result, { reference: 'sim-ref-0', ticket: 't', image: 'data:image/png;base64,AA' }, 400, 'bad_json');
  await ph(me, 'POST', '/v1/session/face/start', { x: 1 }, 400, 'unexpected_body');
  const started = await ph(me, 'POST', '/v1/session/face/start', undefined, 200);
  const page = started.body.face.redirect_url;
  // The tester's verdict on the simulated provider's page, as the browser would send it.
  const back = await fetch(page, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'verdict=fail' });
  const fragment = new URLSearchParams(new URL(back.headers.get('location')).hash.slice(1));
  const returned = { reference: fragment.get('face_ref'), ticket: fragment.get('face_ticket') };
  const failed = await ph(me, 'POST', result, returned, 422, 'face_failed');
  expect(failed.body.tries_left).toBe(2);
  await ph(me, 'POST', result, returned, 409, 'face_reference_used');
  // Cancelled at the provider: back to the step, nothing counted.
  const again = await ph(me, 'POST', '/v1/session/face/start', undefined, 200);
  const cancel = await fetch(again.body.face.redirect_url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'verdict=cancel' });
  const c = new URLSearchParams(new URL(cancel.headers.get('location')).hash.slice(1));
  const cancelled = await ph(me, 'POST', result, { reference: c.get('face_ref'), ticket: c.get('face_ticket') }, 200);
  expect(cancelled.body.face.tries_left).toBe(2);
  const declined = await ph(me, 'POST', '/v1/session/face/decline', undefined, 200);
  expect(declined.body.next_step).toBe('id_number');
  await ph(me, 'POST', '/v1/session/face/decline', {}, 409, 'wrong_step');
});

test('the refusals every route shares, on every route: link, device, media type, size, signature, the end', async () => {
  const routes = [
    ['GET', '/v1/session', '/v1/session'],
    ['POST', '/v1/session/code', '/v1/session/code'],
    ['POST', '/v1/session/verify', '/v1/session/verify'],
    ['POST', '/v1/session/id-number', '/v1/session/id-number'],
    ['POST', '/v1/session/items/{index}', '/v1/session/items/0'],
    ['POST', '/v1/session/signature', '/v1/session/signature'],
    ['POST', '/v1/session/complete', '/v1/session/complete'],
    ['POST', '/v1/session/switch', '/v1/session/switch'],
    ['POST', '/v1/session/language', '/v1/session/language'],
    ['POST', '/v1/session/face/start', '/v1/session/face/start'],
    ['POST', '/v1/session/face/result', '/v1/session/face/result'],
    ['POST', '/v1/session/face/decline', '/v1/session/face/decline'],
  ];
  const r = await createRevisit();
  const me = new Browser(r.token);
  const stranger = new Browser(r.token);
  const nobody = new Browser('');
  const unknown = new Browser('A'.repeat(38));
  const huge = JSON.stringify({ x: 'x'.repeat(200 * 1024) });
  for (const [m, template, path] of routes) {
    expectAnswer(m, template, await nobody.raw(m, path, { headers: { authorization: '' } }), 401, 'link_missing');
    expectAnswer(m, template, await unknown.raw(m, path), 404, 'link_not_found');
    if (m === 'GET') {
      // A body on a GET is read and refused like any other (and does not open the link).
      const bearer = { authorization: `Bearer ${me.token}`, 'cf-connecting-ip': me.ip };
      expectAnswer(m, template, await withBody(m, path, huge, { ...bearer, 'content-type': 'application/json' }), 413, 'payload_too_large');
      expectAnswer(m, template, await withBody(m, path, 'a=1', { ...bearer, 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
      expectAnswer(m, template, await withBody(m, path, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { ...bearer, 'content-type': 'application/json' }), 400, 'bad_json');
      continue;
    }
    expectAnswer(m, template, await me.raw(m, path, { body: huge }), 413, 'payload_too_large');
    expectAnswer(m, template, await me.raw(m, path, { body: 'a=1', contentType: 'text/plain' }), 415, 'unsupported_media_type');
  }
  // Not yet opened, then opened by me: a stranger is refused everywhere.
  for (const [m, template, path] of routes.filter(([m]) => m === 'POST')) {
    expectAnswer(m, template, await stranger.raw(m, path, { body: '{}' }), 409, 'not_opened');
  }
  await ph(me, 'GET', '/v1/session', undefined, 200);
  for (const [m, template, path] of routes) {
    expectAnswer(m, template, await stranger.raw(m, path, m === 'POST' ? { body: '{}' } : {}), 403, 'link_in_use');
  }
  // Not UTF-8.
  for (const [m, template, path] of routes.filter(([m]) => m === 'POST')) {
    expectAnswer(m, template, await me.raw(m, path, { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }), 400, 'bad_json');
  }
  // After the end, every route says so.
  await ph(me, 'POST', '/v1/session/switch', undefined, 200);
  for (const [m, template, path] of routes.filter(([m]) => m === 'POST')) {
    const body = path.endsWith('/items/0') ? { answer: 'yes' } : path.endsWith('/verify') ? { code: '123456' }
      : path.endsWith('/id-number') ? { id_number: '11010519491231002X' } : path.endsWith('/language') ? { lang: 'en' }
        : path.endsWith('/signature') ? { strokes: [], png_base64: '' }
          : path.endsWith('/face/result') ? { reference: 'r', ticket: 't' } : {};
    await ph(me, m, path, body, 410, 'revisit_finished', template);
  }

  // The insurer's routes: signature, size and media type before anything else.
  const c = await createRevisit();
  const insurerRoutes = [
    ['GET', '/v1/revisits/{id}', `/v1/revisits/${c.revisit_id}`],
    ['GET', '/v1/revisits/{id}/storage', `/v1/revisits/${c.revisit_id}/storage`],
    ['POST', '/v1/revisits/{id}/cancel', `/v1/revisits/${c.revisit_id}/cancel`],
    ['POST', '/v1/revisits/{id}/reissue', `/v1/revisits/${c.revisit_id}/reissue`],
  ];
  for (const [m, template, path] of insurerRoutes) {
    expectAnswer(m, template, await insurer(m, path, undefined, { key: 'wrong' }), 401, 'signature_mismatch');
    expectAnswer(m, template, await insurer(m, path, undefined, { timestamp: 'soon' }), 401, 'bad_timestamp');
    const signed = (body, contentType) => {
      const ts = Math.floor(Date.now() / 1000);
      return { 'x-huifang-timestamp': String(ts), 'x-huifang-signature': signature(secret(), m, path, ts, body), 'content-type': contentType };
    };
    const big = 'x'.repeat(600 * 1024);
    expectAnswer(m, template, await withBody(m, path, big, signed(big, 'application/json')), 413, 'payload_too_large');
    expectAnswer(m, template, await withBody(m, path, 'cancel please', signed('cancel please', 'text/plain')), 415, 'unsupported_media_type');
    // None of these takes a body: one is refused, and nothing is done (issue 12, item 6).
    const stray = '{"force":true}';
    expectAnswer(m, template, await withBody(m, path, stray, signed(stray, 'application/json')), 400, 'unexpected_body');
  }
  expect((await insurer('GET', `/v1/revisits/${c.revisit_id}`)).body.stage, 'the stray cancel cancelled nothing').toBe('issued');
});

test('the revisit link: the app shell, and the fallback form that switches to phone without the app', async () => {
  const r = await createRevisit();
  const form = (browser, body, contentType = 'application/x-www-form-urlencoded', token = browser.token) =>
    browser.raw('POST', `/r/${token}`, { body, contentType });
  const me = new Browser(r.token);
  const shell = conforms('GET', '/r/{token}', await me.raw('GET', `/r/${r.token}`));
  expect(shell.status).toBe(200);

  expectAnswer('POST', '/r/{token}', await form(me, 'action=complete'), 400, 'bad_form');
  expectAnswer('POST', '/r/{token}', await form(me, 'action=switch_to_phone', 'text/plain'), 415, 'unsupported_media_type');
  expectAnswer('POST', '/r/{token}', await form(me, 'action=switch_to_phone&x=' + 'y'.repeat(2000)), 413, 'payload_too_large');
  expectAnswer('POST', '/r/{token}', await form(me, 'action=switch_to_phone', undefined, 'A'.repeat(38)), 404, 'link_not_found');
  const done = expectAnswer('POST', '/r/{token}', await form(me, 'action=switch_to_phone'), 200);
  expect(done.headers.getSetCookie().join('\n')).toContain('Path=/r');
  // After the switch the edge keeps the session until the origin has the record, then only a
  // tombstone (a race with delivery): the same browser hears "switched" (200) or "finished" (410),
  // another browser "in use" (403) or "finished" (410).
  const again = conforms('POST', '/r/{token}', await form(me, 'action=switch_to_phone'));
  expect([[200, null], [410, 'revisit_finished']]).toContainEqual([again.status, shownCode(again)]);
  const other = conforms('POST', '/r/{token}', await form(new Browser(r.token), 'action=switch_to_phone'));
  expect([[403, 'link_in_use'], [410, 'revisit_finished']]).toContainEqual([other.status, shownCode(other)]);
  const status = expectAnswer('GET', '/v1/revisits/{id}', await insurer('GET', `/v1/revisits/${r.revisit_id}`), 200);
  expect(status.body.stage).toBe('switched_to_phone');
  expectAnswer('PUT', '/r/{token}', await me.raw('PUT', `/r/${r.token}`), 405, 'method_not_allowed');

  // The same form where scripts run: a browser that opened the link in the app sends its device
  // cookie (Path=/v1/session) there and is the bound device; another browser is refused.
  const back = await createRevisit();
  const app = new Browser(back.token);
  expectAnswer('GET', '/v1/session', await app.raw('GET', '/v1/session'), 200);
  const fromApp = (browser, body = 'action=switch_to_phone') =>
    browser.raw('POST', `/v1/session/phone-form/${back.token}`, { body, contentType: 'application/x-www-form-urlencoded' });
  expectAnswer('POST', '/v1/session/phone-form/{token}', await fromApp(new Browser(back.token)), 403, 'link_in_use');
  // The plain form too: the link is bound to the browser that opened it (R10), whatever the path.
  expectAnswer('POST', '/r/{token}', await form(new Browser(back.token), 'action=switch_to_phone'), 403, 'link_in_use');
  expectAnswer('POST', '/v1/session/phone-form/{token}', await fromApp(app, 'action=other'), 400, 'bad_form');
  const phoneForm = '/v1/session/phone-form/{token}';
  expectAnswer('POST', phoneForm, await app.raw('POST', `/v1/session/phone-form/${back.token}`, { body: 'action=switch_to_phone', contentType: 'text/plain' }), 415, 'unsupported_media_type');
  expectAnswer('POST', phoneForm, await fromApp(app, 'action=switch_to_phone&x=' + 'y'.repeat(2000)), 413, 'payload_too_large');
  expectAnswer('POST', phoneForm, await new Browser('A'.repeat(38)).raw('POST', `/v1/session/phone-form/${'A'.repeat(38)}`, { body: 'action=switch_to_phone', contentType: 'application/x-www-form-urlencoded' }), 404, 'link_not_found');
  expectAnswer('POST', '/v1/session/phone-form/{token}', await fromApp(app), 200);
  const backStatus = expectAnswer('GET', '/v1/revisits/{id}', await insurer('GET', `/v1/revisits/${back.revisit_id}`), 200);
  expect(backStatus.body.stage).toBe('switched_to_phone');

  // A revisit cancelled before its link was ever opened: not opened until the record is
  // delivered, finished after (the tombstone); both are documented, whichever comes.
  const c = await createRevisit();
  expectAnswer('POST', '/v1/revisits/{id}/cancel', await insurer('POST', `/v1/revisits/${c.revisit_id}/cancel`), 200);
  const late = new Browser(c.token);
  const page = conforms('POST', '/r/{token}', await form(late, 'action=switch_to_phone'));
  const view = conforms('GET', '/v1/session', await late.raw('GET', '/v1/session'));
  expect([409, 410]).toContain(page.status);
  expect([409, 410]).toContain(view.status);
  const viaScripts = () => late.raw('POST', `/v1/session/phone-form/${c.token}`, { body: 'action=switch_to_phone', contentType: 'application/x-www-form-urlencoded' });
  expect([409, 410]).toContain(conforms('POST', phoneForm, await viaScripts()).status);
  const byPath = () => late.raw('GET', `/v1/session/open/${c.token}`, { headers: { authorization: '' } });
  expect([409, 410]).toContain(conforms('GET', '/v1/session/open/{token}', await byPath()).status);
  await untilDelivered(c.revisit_id);
  expectAnswer('POST', '/r/{token}', await form(late, 'action=switch_to_phone'), 410, 'revisit_finished');
  expectAnswer('POST', phoneForm, await viaScripts(), 410, 'revisit_finished');
  expectAnswer('GET', '/v1/session/open/{token}', await byPath(), 410, 'revisit_finished');
});

test('the page\'s open, the token in the path (its preload hint, issue 19): every documented answer', async () => {
  const open = '/v1/session/open/{token}';
  // As the browser's preload asks: no Authorization header, only the path.
  const get = (browser, token = browser.token, options = {}) =>
    browser.raw(options.method ?? 'GET', `/v1/session/open/${token}`, { ...options, headers: { authorization: '' } });
  const r = await createRevisit();
  const me = new Browser(r.token);
  const opened = expectAnswer('GET', open, await get(me), 200);
  // The device cookie on the API and on the fallback form's path (R7, R10).
  const cookies = opened.headers.getSetCookie();
  expect(cookies.map((c) => / Path=([^;]+);/.exec(c)?.[1]).sort()).toEqual(['/r', '/v1/session']);
  expect(opened.body.stage).toBe('opened');
  expectAnswer('GET', open, await get(me), 200);
  // The same browser's app goes on with the token in its header.
  await ph(me, 'GET', '/v1/session', undefined, 200);
  expectAnswer('GET', open, await get(new Browser(r.token)), 403, 'link_in_use');
  expectAnswer('GET', open, await get(me, 'A'.repeat(38)), 404, 'link_not_found');
  expectAnswer('GET', open, await get(me, 'short'), 404, 'link_not_found');
  // A body on it is read and refused as on GET /v1/session.
  const path = `/v1/session/open/${r.token}`;
  const cookie = { cookie: [...me.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'cf-connecting-ip': me.ip };
  const json = { ...cookie, 'content-type': 'application/json' };
  expectAnswer('GET', open, await withBody('GET', path, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), json), 400, 'bad_json');
  expectAnswer('GET', open, await withBody('GET', path, 'a=1', { ...cookie, 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
  expectAnswer('GET', open, await withBody('GET', path, JSON.stringify({ x: 'x'.repeat(200 * 1024) }), json), 413, 'payload_too_large');
  expectAnswer('PUT', open, await get(me, r.token, { method: 'PUT' }), 405, 'method_not_allowed');
  // Nothing of that unbound or reopened it.
  expectAnswer('GET', open, await get(me), 200);
});

// ---- coverage ------------------------------------------------------------------------------------

/**
 * Documented (operation, status) pairs this file does not exercise, each with the reason; `*`
 * stands for any method or path. The coverage test fails if one of them is exercised after all
 * (it then comes off this list), and if a documented pair is neither exercised nor listed here.
 */
const NOT_EXERCISED = [
  ['* * 500', 'a fault of the edge or its configuration (internal, misconfigured): nothing a client sends may cause one'],
  ['POST /v1/session/code 423', 'locked by the 10th wrong code of the day, which takes two codes sent at least 60 s apart: security.spec.mjs drives it (1,000 wrong codes) and checks the status and code'],
  ['POST /v1/session/verify 423', 'locked by wrong codes, as above'],
  ['POST /v1/session/face/start 423', 'locked by 10 wrong codes or ID numbers of the day before the face step (codes are sent 60 s apart): the lock is the same as for the code (security.spec.mjs) and the core tests it for the face step (session::tests::face)'],
  ['POST /v1/session/face/result 423', 'the same lock'],
  ['POST /v1/session/face/start 503', 'the face hook (the origin) is down: the shared stack keeps it up while this file runs; the origin without a provider answers 503 (origin/tests/it/face.rs)'],
  ['POST /v1/session/face/result 503', 'the same'],
  ['GET /v1/bench/do-read 200', 'benchmark only: answers only where the var BENCH_PROBE is 1 (`make bench`), never in the test stack (404, exercised)'],
];

/**
 * Pairs reached only in a race the test cannot steer, exercised in some runs and not in others:
 * `[pair, the other outcome of the race (exercised for sure, later), why]`.
 */
const RACES = [
  ['POST /r/{token} 409', 'POST /r/{token} 410', 'a cancelled, never-opened revisit is not_opened until its record reaches the origin, revisit_finished after; the delivery takes milliseconds'],
  ['GET /v1/session 409', 'GET /v1/session 410', 'the same race'],
  ['GET /v1/session/open/{token} 409', 'GET /v1/session/open/{token} 410', 'the same race'],
  ['POST /v1/session/phone-form/{token} 409', 'POST /v1/session/phone-form/{token} 410', 'the same race'],
];

/** Whether `pair` ("METHOD template status") fits `pattern`, where `*` is any part. */
const fits = (pattern, pair) => {
  const parts = pair.split(' ');
  return pattern.split(' ').every((p, i) => p === '*' || p === parts[i]);
};

test('every documented operation was exercised against the real edge, and every documented status or its reason', async () => {
  const seen = new Set(existsSync(SEEN_FILE) ? readFileSync(SEEN_FILE, 'utf8').split('\n').filter(Boolean) : []);
  const exercised = new Set([...seen].map((s) => s.split(' ').slice(0, 2).join(' ')));
  expect(api.operations().filter((op) => !exercised.has(op)), 'documented operations never called').toEqual([]);
  const documented = [];
  for (const op of api.operations()) {
    const [method, template] = op.split(' ');
    for (const status of Object.keys(api.doc.paths[template][method.toLowerCase()].responses ?? {})) documented.push(`${op} ${status}`);
  }
  const racing = new Set(RACES.map(([pair]) => pair));
  const allowance = (pair) => NOT_EXERCISED.find(([pattern]) => fits(pattern, pair));
  const unseen = documented.filter((d) => !seen.has(d) && !racing.has(d));
  console.log(`[openapi] exercised ${documented.length - unseen.length} of ${documented.length} documented (operation, status) pairs; not exercised, each with its reason in NOT_EXERCISED: ${unseen.join(', ')}`);
  expect.soft(unseen.filter((d) => !allowance(d)), 'documented statuses neither exercised nor in NOT_EXERCISED').toEqual([]);
  expect.soft(documented.filter((d) => seen.has(d) && allowance(d)), 'in NOT_EXERCISED, yet exercised: take them off the list').toEqual([]);
  expect.soft(NOT_EXERCISED.filter(([pattern]) => !documented.some((d) => fits(pattern, d))), 'allowances for nothing documented').toEqual([]);
  for (const [pair, other] of RACES) {
    expect(documented, 'a race over a documented status').toContain(pair);
    expect(seen.has(other), `${other}, the race's other outcome, was exercised`).toBe(true);
  }
});
