// The security numbers (docs/REQUIREMENTS.md, "Numbers we hold to") on the real runtime, under
// concurrency: wrong codes, code sends per session / phone / IP, the one-device link, and the link's
// death by expiry, cancel, re-issue and completion (R1, R6, R8, R10).
import { test, expect } from '@playwright/test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { insurerPost, insurerRequest, readDevVars, revisitRequest, loadScript, withReadingSecs } from '../lib/insurer.mjs';
import { PolicyholderClient, smsOutbox, tally } from '../lib/policyholder.mjs';
import { watchCsp } from '../lib/csp.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;

const randomPhone = () => '137' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
// A client address from the IPv6 documentation range, fresh per call: only ever a header value here.
const hex16 = () => Math.floor(Math.random() * 0xffff).toString(16);
// A client of its own: its own IPv6 /64 (the per-IP send cap counts an IPv6 client by its /64).
const clientIp = () => `2001:db8:${hex16()}:${hex16()}::${hex16()}:${hex16()}`;

async function createRevisit(overrides = {}) {
  const { policyholder = {}, ...rest } = overrides;
  const request = revisitRequest(loadScript('scripts/default.json'), rest);
  request.policyholder = { ...request.policyholder, phone: randomPhone(), ...policyholder };
  const { status, body } = await insurerPost(EDGE_URL, secret(), '/v1/revisits', request);
  expect(status, JSON.stringify(body)).toBe(201);
  const token = new URL(body.link).pathname.split('/').pop();
  return { ...body, token, phone: request.policyholder.phone, request };
}

// A code's SMS reaches the origin just after the answer (issue 19): wait for `count` of them.
const outbox = (phone, count = 1) => smsOutbox(ORIGIN_URL, phone, count);

async function record(revisitId) {
  let body = null;
  await expect.poll(async () => {
    const res = await fetch(`${ORIGIN_URL}/records/${revisitId}`);
    if (res.status === 200) body = await res.json();
    return res.status;
  }, { timeout: 20_000 }).toBe(200);
  return body;
}

/** `n` six-digit codes, none equal to `avoid`. */
function wrongCodes(n, avoid) {
  return Array.from({ length: n }, (_, i) => {
    const c = String((Number(avoid) + 1 + i) % 1_000_000).padStart(6, '0');
    return c === avoid ? '000000' : c;
  });
}

test('1,000 wrong codes, sequential then parallel, are never accepted and the limits engage exactly', async () => {
  test.setTimeout(180_000);
  const r = await createRevisit();
  const ph = new PolicyholderClient(EDGE_URL, r.token, { ip: clientIp() });
  expect((await ph.open()).status).toBe(200);
  expect((await ph.sendCode()).status).toBe(200);
  const [{ code: first }] = await outbox(r.phone);

  // 500 in a row on the first code: 5 wrong tries, then the code is void (≤5 per code).
  const sequential = [];
  for (const c of wrongCodes(500, first)) sequential.push(await ph.verify(c));
  expect(sequential.slice(0, 5).map((x) => x.body.tries_left)).toEqual([4, 3, 2, 1, 0]);
  expect(tally(sequential)).toEqual({ '422 wrong_code': 5, '422 code_expired': 495 });
  // Even the right code is refused once its code is void.
  expect((await ph.verify(first)).body.code).toBe('code_expired');

  // ≥60 s between sends to one session.
  const early = await ph.sendCode();
  expect([early.status, early.body.code]).toEqual([429, 'resend_too_soon']);
  expect(Number(early.headers.get('retry-after'))).toBeGreaterThan(0);
  await new Promise((done) => setTimeout(done, (early.body.retry_after_secs + 1) * 1000));
  expect((await ph.sendCode()).status).toBe(200);
  const [{ code: second }] = await outbox(r.phone, 2);

  // 500 at once on the second code: 4 more wrong tries, the 10th wrong code of the day locks the
  // session (≤10 per session per day), and everything after is refused as locked.
  const parallel = await Promise.all(wrongCodes(500, second).map((c) => ph.verify(c)));
  expect(tally(parallel)).toEqual({ '422 wrong_code': 4, '423 session_locked': 496 });
  const locked = await ph.verify(second);
  expect(locked.body.code).toBe('session_locked');
  expect(locked.body.retry_after_secs).toBeGreaterThan(23 * 3600);
  expect((await ph.sendCode()).body.code).toBe('session_locked');
  expect(parallel.concat(sequential).every((x) => x.status !== 200)).toBe(true);

  // The phone switch stays open (R7), and the record tells what happened.
  expect((await ph.switchToPhone('验证码多次错误')).status).toBe(200);
  const trace = (await record(r.revisit_id)).sealed.record.trace.map((e) => e.event);
  expect(trace.filter((e) => e === 'code_rejected')).toHaveLength(10);
  expect(trace).toContain('session_locked');
  expect(trace).not.toContain('code_verified');
});

test('100 concurrent send requests for one session yield exactly one SMS', async () => {
  const r = await createRevisit();
  const ph = new PolicyholderClient(EDGE_URL, r.token, { ip: clientIp() });
  await ph.open();
  const sends = await Promise.all(Array.from({ length: 100 }, () => ph.sendCode()));
  expect(tally(sends)).toEqual({ '200': 1, '429 resend_too_soon': 99 });
  expect(await outbox(r.phone)).toHaveLength(1);
});

test('across 20 sessions for one phone number, exactly 10 codes a day are sent', async () => {
  const phone = randomPhone();
  const revisits = await Promise.all(
    Array.from({ length: 20 }, () => createRevisit({ policyholder: { phone } })),
  );
  const clients = revisits.map((r, i) => new PolicyholderClient(EDGE_URL, r.token, { ip: clientIp() }));
  await Promise.all(clients.map((c) => c.open()));
  const sends = await Promise.all(clients.map((c) => c.sendCode()));
  expect(tally(sends)).toEqual({ '200': 10, '429 sms_daily_limit': 10 });
  expect(sends.find((s) => s.status === 429).body.retry_after_secs).toBeGreaterThan(23 * 3600);
  expect(await outbox(phone, 10)).toHaveLength(10);
});

test('one client address can ask for at most 20 codes an hour across sessions', async () => {
  const revisits = await Promise.all(Array.from({ length: 21 }, () => createRevisit()));
  const ip = clientIp();
  const clients = revisits.map((r) => new PolicyholderClient(EDGE_URL, r.token, { ip }));
  await Promise.all(clients.map((c) => c.open()));
  const sends = await Promise.all(clients.map((c) => c.sendCode()));
  expect(tally(sends)).toEqual({ '200': 20, '429 rate_limited': 1 });
});

test('one IPv6 /64 is one client for the send cap, however many addresses it uses (issue 12)', async () => {
  const revisits = await Promise.all(Array.from({ length: 24 }, () => createRevisit()));
  // 24 addresses, all different, all in one /64: as a phone (or a script) rotating its interface id.
  const prefix = `2001:db8:${hex16()}:${hex16()}`;
  const clients = revisits.map((r, i) => new PolicyholderClient(EDGE_URL, r.token, { ip: `${prefix}::${(i + 1).toString(16)}:${hex16()}` }));
  await Promise.all(clients.map((c) => c.open()));
  const sends = await Promise.all(clients.map((c) => c.sendCode()));
  expect(tally(sends)).toEqual({ '200': 20, '429 rate_limited': 4 });
  // Another /64 is another client, and is not held back by the first one's cap.
  const [other] = await Promise.all([createRevisit()]);
  const elsewhere = new PolicyholderClient(EDGE_URL, other.token, { ip: clientIp() });
  await elsewhere.open();
  expect(tally([await elsewhere.sendCode()])).toEqual({ '200': 1 });
});

test('a second browser on the same link is refused and learns nothing about the policy', async ({ browser }) => {
  const r = await createRevisit();
  const first = await browser.newContext();
  const second = await browser.newContext();
  const a = await first.newPage();
  const violations = [await watchCsp(a)];
  await a.goto(`/r/${r.token}`);
  await expect(a.getByRole('button', { name: '获取验证码' })).toBeVisible();

  const b = await second.newPage();
  violations.push(await watchCsp(b));
  const sessionAnswer = b.waitForResponse((res) => /\/v1\/session\/open\/[A-Za-z0-9_-]+$/.test(res.url()));
  await b.goto(`/r/${r.token}`);
  const answer = await sessionAnswer;
  expect(answer.status()).toBe(403);
  expect(await answer.text()).not.toContain(r.request.policy_number.slice(-4));
  await expect(b.getByText('已在另一台设备上打开')).toBeVisible();
  await expect(b.getByText(r.phone.slice(-4))).toHaveCount(0);
  // The first browser carries on.
  await a.reload();
  await expect(a.getByRole('button', { name: '获取验证码' })).toBeVisible();
  await first.close();
  await second.close();
  expect(violations.flat(), 'Content-Security-Policy violations').toEqual([]);
});

test('an expired link is refused and the expiry is forwarded (R1)', async () => {
  const r = await createRevisit({ cooling_off_ends_at: new Date(Date.now() + 3000).toISOString() });
  const ph = new PolicyholderClient(EDGE_URL, r.token);
  expect((await ph.open()).status).toBe(200);
  const stored = await record(r.revisit_id); // the alarm at the cooling-off end forwards it
  expect(stored.sealed.record.outcome).toBe('expired');
  const late = await ph.open();
  expect([late.status, late.body.code]).toEqual([410, 'link_expired']);
});

test('a cancelled link is refused and the cancellation is forwarded', async () => {
  const r = await createRevisit();
  const ph = new PolicyholderClient(EDGE_URL, r.token);
  await ph.open();
  const cancel = await insurerPost(EDGE_URL, secret(), `/v1/revisits/${r.revisit_id}/cancel`, undefined);
  expect([cancel.status, cancel.body.stage]).toEqual([200, 'cancelled']);
  expect((await ph.sendCode()).status).toBe(410);
  expect((await record(r.revisit_id)).sealed.record.outcome).toBe('cancelled');
  const status = async () => (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${r.revisit_id}`)).body;
  await expect.poll(async () => (await status()).delivered).toBe(true);
  // R2: only a tombstone is left after delivery.
  expect(await status()).toMatchObject({ stage: 'cancelled', delivered: true, items_answered: null });
});

test('a re-issued link replaces the old one at once', async () => {
  const r = await createRevisit();
  const old = new PolicyholderClient(EDGE_URL, r.token);
  await old.open();
  const again = await insurerPost(EDGE_URL, secret(), `/v1/revisits/${r.revisit_id}/reissue`, undefined);
  expect(again.status).toBe(200);
  const token = new URL(again.body.link).pathname.split('/').pop();
  expect(token).not.toBe(r.token);
  const dead = await old.open();
  expect([dead.status, dead.body.code]).toEqual([404, 'link_not_found']);
  const fresh = new PolicyholderClient(EDGE_URL, token);
  const opened = await fresh.open();
  expect([opened.status, opened.body.stage]).toEqual([200, 'opened']);
});

test('a completed link is refused, and a replayed completion too', async () => {
  // One second per item (R9 holds every item that long): about completion, not reading.
  const r = await createRevisit({ script: withReadingSecs(loadScript('scripts/default.json')) });
  const ph = new PolicyholderClient(EDGE_URL, r.token, { ip: clientIp() });
  await ph.open();
  await ph.sendCode();
  const [{ code }] = await outbox(r.phone);
  expect((await ph.verify(code)).status).toBe(200);
  for (let i = 0; i < r.request.script.items.length; i++) expect((await ph.answerWhenReady(i)).status).toBe(200);
  const done = await ph.complete();
  expect([done.status, done.body.stage]).toEqual([200, 'completed']);
  const replay = await ph.complete();
  expect([replay.status, replay.body.code]).toEqual([410, 'revisit_finished']);
  await record(r.revisit_id);
  await expect.poll(async () => (await ph.open()).status).toBe(410);
});

test('the clear ID number is nowhere in Durable Object storage or the worker log (R6)', async () => {
  const stackDir = process.env.STACK_DIR;
  test.skip(!stackDir, 'needs the stack started by tools/stack.sh (STACK_DIR)');
  const idNumber = '440524188001010014';
  const r = await createRevisit({ policyholder: { id_number: idNumber } });
  const ph = new PolicyholderClient(EDGE_URL, r.token, { ip: clientIp() });
  await ph.open();
  await ph.sendCode();
  const files = [];
  // Other tests run beside this one: SQLite's -shm/-wal files come and go under the walk. A file
  // that vanished between listing and reading holds nothing any more; skip it.
  const gone = (e) => { if (e.code !== 'ENOENT') throw e; };
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      try {
        if (statSync(path).isDirectory()) walk(path); else files.push(path);
      } catch (e) { gone(e); }
    }
  };
  walk(join(stackDir, 'edge'));
  const read = (f) => { try { return readFileSync(f); } catch (e) { gone(e); return Buffer.alloc(0); } };
  const storage = Buffer.concat(files.map(read));
  const log = readFileSync(join(stackDir, 'edge.log'));
  // Stored strings may be one-byte or UTF-16 (V8 serialisation); look for both.
  const holds = (bytes, text) =>
    bytes.includes(Buffer.from(text, 'latin1')) || bytes.includes(Buffer.from(text, 'utf16le'));
  // Positive control: the scan sees what the session stores in clear (the phone, needed to send SMS).
  expect(holds(storage, r.phone)).toBe(true);
  expect(holds(storage, idNumber)).toBe(false);
  expect(holds(log, idNumber)).toBe(false);
  expect(holds(log, r.phone)).toBe(false);
});

test('the edge measures the ink itself and refuses a signature that is too short', async () => {
  const script = { ...withReadingSecs(loadScript('scripts/default.json')), identity: ['sms_code', 'signature'] };
  const r = await createRevisit({ script });
  const ph = new PolicyholderClient(EDGE_URL, r.token, { ip: clientIp() });
  await ph.open();
  await ph.sendCode();
  const [{ code }] = await outbox(r.phone);
  await ph.verify(code);
  for (let i = 0; i < script.items.length; i++) expect((await ph.answerWhenReady(i)).status).toBe(200);
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('x')]);
  const dot = await ph.call('POST', '/v1/session/signature', { strokes: [[[10, 10], [20, 20]]], png_base64: png.toString('base64') });
  expect([dot.status, dot.body.code]).toEqual([422, 'signature_too_short']);
  const early = await ph.complete();
  expect([early.status, early.body.code]).toEqual([409, 'signature_required']);
});

test('hostile input to the policyholder API gets a 4xx with a stable code, and loses nothing', async () => {
  const r = await createRevisit();
  const ph = new PolicyholderClient(EDGE_URL, r.token, { ip: clientIp() });
  await ph.open();
  await ph.sendCode();
  const [{ code }] = await outbox(r.phone);
  const raw = async (path, body, contentType = 'application/json') => {
    const headers = { authorization: `Bearer ${r.token}`, 'content-type': contentType,
      cookie: [...ph.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    const res = await fetch(new URL(path, EDGE_URL), { method: 'POST', headers, body });
    return [res.status, (await res.json()).code];
  };
  expect(await raw('/v1/session/verify', '{"code": ')).toEqual([400, 'bad_json']);
  expect(await raw('/v1/session/verify', '{"code": 123456}')).toEqual([400, 'bad_json']);
  expect(await raw('/v1/session/verify', '{"code": "123456", "admin": true}')).toEqual([400, 'bad_json']);
  expect(await raw('/v1/session/verify', '{"code": "12345x"}')).toEqual([422, 'invalid_code_format']);
  expect(await raw('/v1/session/verify', 'code=123456', 'application/x-www-form-urlencoded')).toEqual([415, 'unsupported_media_type']);
  expect(await raw('/v1/session/verify', JSON.stringify({ code: 'x'.repeat(9000) }))).toEqual([413, 'payload_too_large']);
  expect(await raw('/v1/session/items/abc', '{"answer":"yes"}')).toEqual([404, 'not_found']);
  expect(await raw('/v1/session/nothing-here', '{}')).toEqual([404, 'not_found']);
  const badToken = await fetch(new URL('/v1/session', EDGE_URL), { headers: { authorization: 'Bearer <script>' } });
  expect([badToken.status, (await badToken.json()).code]).toEqual([404, 'link_not_found']);
  // None of that counted or changed anything: the code still works, with all five tries.
  const verified = await ph.verify(code);
  expect([verified.status, verified.body.stage]).toEqual([200, 'verified']);
});
