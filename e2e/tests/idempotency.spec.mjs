// Idempotent creates and re-issues (issue 12, item 5; anchor: Stripe's Idempotency-Key), on the real
// runtime: a retried request with the same key and body gets the first answer (same status, same
// body, `Idempotent-Replayed: true`) and nothing is done twice; another body with the key is refused
// with 409 idempotency_key_reused; ten concurrent duplicates make one revisit; a malformed key is
// refused; a refused request leaves the key free.
import { test, expect } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { insurerPost, loadScript, readDevVars, revisitRequest } from '../lib/insurer.mjs';
import { PolicyholderClient, tally } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const good = () => revisitRequest(loadScript('scripts/default.json'));
const create = (body, key) =>
  insurerPost(EDGE_URL, secret(), '/v1/revisits', body, key === undefined ? {} : { headers: { 'idempotency-key': key } });
const tokenOf = (link) => new URL(link).pathname.split('/').pop();
const opens = async (link) => (await new PolicyholderClient(EDGE_URL, tokenOf(link)).open()).status;

test('a retried create with the same key and body gets the first answer, and makes no second revisit', async () => {
  const key = randomUUID();
  const body = JSON.stringify(good());
  const first = await create(body, key);
  expect(first.status).toBe(201);
  expect(first.headers.get('idempotent-replayed')).toBeNull();
  for (let i = 0; i < 3; i++) {
    const again = await create(body, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('cache-control')).toBe('no-store');
  }
  // The replayed link is the live one.
  expect(await opens(first.body.link)).toBe(200);
  // Without a key, the same body makes another revisit, as before.
  const unkeyed = await create(body);
  expect(unkeyed.status).toBe(201);
  expect(unkeyed.body.revisit_id).not.toBe(first.body.revisit_id);
});

test('the same key with another body is refused with 409 idempotency_key_reused, and nothing is made', async () => {
  const key = randomUUID();
  const request = good();
  const first = await create(JSON.stringify(request), key);
  expect(first.status).toBe(201);
  const other = await create(good(), key); // another policy number
  expect(other.status).toBe(409);
  expect(other.body.code).toBe('idempotency_key_reused');
  expect(other.body.message).toMatch(/another request/);
  // "The same body" is the same bytes: the same request spaced otherwise is another one.
  const spaced = await create(JSON.stringify(request, null, 2), key);
  expect([spaced.status, spaced.body.code]).toEqual([409, 'idempotency_key_reused']);
  // The first request still replays.
  const again = await create(JSON.stringify(request), key);
  expect([again.status, again.body]).toEqual([201, first.body]);
});

test('ten concurrent duplicates make exactly one revisit: one first answer, nine replays of it', async () => {
  const key = randomUUID();
  const body = JSON.stringify(good());
  const answers = await Promise.all(Array.from({ length: 10 }, () => create(body, key)));
  expect(tally(answers)).toEqual({ 201: 10 });
  const ids = new Set(answers.map((a) => a.body.revisit_id));
  const links = new Set(answers.map((a) => a.body.link));
  expect([ids.size, links.size]).toEqual([1, 1]);
  // Exactly one request did the work; had two, there would be two first answers with two ids.
  const replayed = answers.filter((a) => a.headers.get('idempotent-replayed') === 'true').length;
  expect(replayed).toBe(9);
  expect(await opens([...links][0])).toBe(200);
});

test('a malformed key is refused with 400 invalid_idempotency_key and nothing is made', async () => {
  for (const key of ['', ' ', 'has space', 'clé', 'a,b', 'k'.repeat(256)]) {
    const r = await create(good(), key);
    // An empty header value is no key at all to some clients; the edge refuses it like any other.
    expect([r.status, r.body.code], JSON.stringify(key)).toEqual([400, 'invalid_idempotency_key']);
  }
  const longest = await create(good(), 'k'.repeat(255));
  expect(longest.status).toBe(201);
});

test('a refused create leaves its key free for the corrected request', async () => {
  const key = randomUUID();
  const bad = good();
  bad.policyholder.phone = '12345';
  const refused = await create(bad, key);
  expect([refused.status, refused.body.code]).toEqual([422, 'invalid_phone']);
  const corrected = await create(good(), key);
  expect(corrected.status).toBe(201);
  expect(corrected.headers.get('idempotent-replayed')).toBeNull();
});

test('a retried re-issue with the same key gets the first new link; the key is bound to its revisit', async () => {
  const created = await create(good());
  expect(created.status).toBe(201);
  const path = `/v1/revisits/${created.body.revisit_id}/reissue`;
  const key = randomUUID();
  const reissue = () => insurerPost(EDGE_URL, secret(), path, undefined, { headers: { 'idempotency-key': key } });
  const first = await reissue();
  expect(first.status).toBe(200);
  const again = await Promise.all([reissue(), reissue(), reissue()]);
  for (const r of again) {
    expect(r.status).toBe(200);
    expect(r.body).toEqual(first.body);
    expect(r.headers.get('idempotent-replayed')).toBe('true');
  }
  // The first new link lives (no third link killed it); the original is dead.
  expect(await opens(first.body.link)).toBe(200);
  expect(await opens(created.body.link)).toBe(404);
  // The same key on another revisit's re-issue (another path) is another request.
  const other = await create(good());
  const elsewhere = await insurerPost(EDGE_URL, secret(), `/v1/revisits/${other.body.revisit_id}/reissue`, undefined, {
    headers: { 'idempotency-key': key },
  });
  expect([elsewhere.status, elsewhere.body.code]).toEqual([409, 'idempotency_key_reused']);
  // And a create with the key too.
  const asCreate = await create(good(), key);
  expect([asCreate.status, asCreate.body.code]).toEqual([409, 'idempotency_key_reused']);
});
