// The insurer API on the real runtime: HMAC signature and its 5-minute window, and clear errors for
// bad input (stable code + message, never a 500).
import { test, expect } from '@playwright/test';
import { insurerPost, readDevVars, revisitRequest, loadScript } from '../lib/insurer.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const good = () => revisitRequest(loadScript('scripts/default.json'));

test('a signed request creates a revisit with a one-time link carrying a 128-bit secret', async () => {
  const { status, body } = await insurerPost(EDGE_URL, secret(), '/v1/revisits', good());
  expect(status).toBe(201);
  const token = new URL(body.link).pathname.split('/').pop();
  expect(token).toMatch(/^[A-Za-z0-9_-]{38}$/); // 16-char revisit id + 22-char (128-bit) secret
  expect(token.startsWith(body.revisit_id)).toBe(true);
  expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
});

test('unsigned, wrongly signed and stale requests are refused with 401', async () => {
  const res = await fetch(`${EDGE_URL}/v1/revisits`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good()),
  });
  expect(res.status).toBe(401);
  expect((await res.json()).code).toBe('signature_missing');

  const wrong = await insurerPost(EDGE_URL, 'not-the-secret', '/v1/revisits', good());
  expect([wrong.status, wrong.body.code]).toEqual([401, 'signature_mismatch']);

  const stale = await insurerPost(EDGE_URL, secret(), '/v1/revisits', good(), {
    timestamp: Math.floor(Date.now() / 1000) - 301,
  });
  expect([stale.status, stale.body.code]).toEqual([401, 'timestamp_outside_window']);
});

test('bad fields and bodies get a stable code and a message', async () => {
  const badPhone = good();
  badPhone.policyholder.phone = '12345';
  let r = await insurerPost(EDGE_URL, secret(), '/v1/revisits', badPhone);
  expect([r.status, r.body.code]).toEqual([422, 'invalid_phone']);
  expect(r.body.message).toContain('policyholder.phone');

  const badId = good();
  badId.policyholder.id_number = '110105194912310021';
  r = await insurerPost(EDGE_URL, secret(), '/v1/revisits', badId);
  expect([r.status, r.body.code]).toEqual([422, 'id_number_checksum']);

  r = await insurerPost(EDGE_URL, secret(), '/v1/revisits', '{"policy_number": ');
  expect([r.status, r.body.code]).toEqual([400, 'bad_json']);

  r = await insurerPost(EDGE_URL, secret(), '/v1/revisits', { ...good(), extra: true });
  expect([r.status, r.body.code]).toEqual([400, 'bad_json']);

  const res = await fetch(`${EDGE_URL}/v1/revisits`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
  expect([res.status, (await res.json()).code]).toEqual([415, 'unsupported_media_type']);
});

test('the policyholder API refuses a missing or unknown link', async () => {
  let res = await fetch(`${EDGE_URL}/v1/session`);
  expect([res.status, (await res.json()).code]).toEqual([401, 'link_missing']);
  res = await fetch(`${EDGE_URL}/v1/session`, { headers: { authorization: 'Bearer ' + 'A'.repeat(38) } });
  expect([res.status, (await res.json()).code]).toEqual([404, 'link_not_found']);
});
