// R10: signs that sales staff interfered are flagged in the sealed record: items answered faster
// than their minimum reading time, and requests from the agent's network or device. The trace keeps
// each request's network (IPv4 /24) and user agent, never the full address (R6).
// R9 is enforced by the edge: a revisit rushed through the API (代答) is refused item by item
// (answered_too_soon, reading-enforced.spec.mjs); what still gets through early is an answer inside
// the edge's 500 ms margin for its own timer, and that one is flagged answered_too_fast.
import { test, expect } from '@playwright/test';
import { insurerPost, insurerRequest, readDevVars, revisitRequest, loadScript, withReadingSecs } from '../lib/insurer.mjs';
import { PolicyholderClient, sleep, smsOutbox } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
/** core/src/session/mod.rs READING_TOLERANCE_MS: how much sooner than its minimum an answer may come. */
const TOLERANCE_MS = 500;

test('a revisit rushed from the agent’s network is refused, answers inside the margin are flagged, and the trace keeps only networks', async () => {
  // The first item keeps the shipped 5 s (a rushed answer is surely too soon); the others are held
  // 1 s, so that answers just past the margin are quick to send.
  const script = withReadingSecs(loadScript('scripts/default.json'));
  script.items[0].min_read_secs = 5;
  const request = revisitRequest(script, { agent: { ip: '203.0.113.9', user_agent: 'AgentPhone/1.0' } });
  request.policyholder.phone = '136' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const secret = readDevVars('.dev.vars').INSURER_API_SECRET;
  const created = await insurerPost(EDGE_URL, secret, '/v1/revisits', request);
  expect(created.status).toBe(201);
  const id = created.body.revisit_id;
  const token = new URL(created.body.link).pathname.split('/').pop();

  const ph = new PolicyholderClient(EDGE_URL, token, { ip: '203.0.113.77', userAgent: 'Policyholder/1.0' });
  await ph.open();
  await ph.sendCode();
  const [{ code }] = await smsOutbox(ORIGIN_URL, request.policyholder.phone);
  expect((await ph.verify(code)).status).toBe(200);

  // Rushed: the first item at once, and the second before the first is answered. Refused, nothing recorded.
  const rushed = await ph.answer(0);
  expect([rushed.status, rushed.body.code]).toEqual([409, 'answered_too_soon']);
  expect(rushed.body.retry_after_secs).toBeGreaterThanOrEqual(1);
  expect(Number(rushed.headers.get('retry-after'))).toBe(rushed.body.retry_after_secs);
  expect([(await ph.answer(1)).body.code]).toEqual(['item_out_of_order']);
  expect((await ph.open()).body.items.map((i) => i.answer ?? null)).toEqual(script.items.map(() => null));
  expect((await insurerRequest(EDGE_URL, secret, 'GET', `/v1/revisits/${id}`)).body.items_answered).toBe(0);
  await sleep(rushed.body.retry_after_secs * 1000);
  expect((await ph.answer(0)).status).toBe(200);

  // Inside the margin: each next item 600 ms after the answer before came back. The edge stamped
  // that answer before it replied and stamps this one after it is sent, so it sees at least 600 ms
  // (more than the minimum less the margin: accepted), and less than the 1 s minimum unless the
  // machine takes 400 ms to carry the two messages (then no flag, as the record's times show).
  for (let i = 1; i < script.items.length; i++) {
    await sleep(1000 - TOLERANCE_MS + 100);
    expect((await ph.answer(i)).status).toBe(200);
  }
  expect((await ph.complete()).status).toBe(200);

  let stored = null;
  await expect.poll(async () => {
    const res = await fetch(`${ORIGIN_URL}/records/${id}`);
    if (res.status === 200) stored = await res.json();
    return res.status;
  }).toBe(200);
  const { flags, trace } = stored.sealed.record;

  // The refusal is traced, before any answer, with the time taken and the minimum.
  const tooSoon = trace.filter((e) => e.event === 'answer_too_soon');
  expect(tooSoon).toHaveLength(1);
  expect(tooSoon[0]).toMatchObject({ index: 0, minimum_ms: 5000 });
  expect(tooSoon[0].after_ms).toBeLessThan(5000 - TOLERANCE_MS);
  // Each item answered once, in order.
  const answered = trace.filter((e) => e.event === 'item_answered');
  expect(answered.map((e) => e.index)).toEqual(script.items.map((_, i) => i));
  expect(trace.indexOf(tooSoon[0])).toBeLessThan(trace.indexOf(answered[0]));

  // answered_too_fast: exactly the items answered sooner than their minimum, measured from when
  // each was shown (the code check, then each answer before), as the edge's own times say.
  const verifiedAt = trace.find((e) => e.event === 'code_verified').at;
  const took = answered.map((e, i) => e.at - (i === 0 ? verifiedAt : answered[i - 1].at));
  for (const [i, ms] of took.entries()) expect(ms, `item ${i + 1}: accepted only past the margin`).toBeGreaterThanOrEqual(script.items[i].min_read_secs * 1000 - TOLERANCE_MS);
  const early = took.flatMap((ms, i) => (ms < script.items[i].min_read_secs * 1000 ? [i] : []));
  const tooFast = flags.filter((f) => f.kind === 'answered_too_fast').map((f) => f.item_index);
  expect(tooFast).toEqual(early);
  expect(early.filter((i) => i > 0).length, `answers inside the margin (edge times: ${took.join(', ')} ms)`).toBeGreaterThan(0);
  expect(flags.filter((f) => f.kind === 'agent_network')).toHaveLength(1);
  expect(flags.filter((f) => f.kind === 'agent_device')).toHaveLength(0);

  const opened = trace.find((e) => e.event === 'opened');
  expect(opened.client).toEqual({ ip_prefix: '203.0.113.0/24', user_agent: 'Policyholder/1.0' });
  expect(JSON.stringify(stored)).not.toContain('203.0.113.77');
  expect(JSON.stringify(stored)).not.toContain('203.0.113.9');
});
