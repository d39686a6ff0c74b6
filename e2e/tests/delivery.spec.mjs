// R2, R3: zero-loss forwarding. With the origin down while revisits finish, and the edge's worker
// restarted in the middle, every sealed record arrives once the origin is back, exactly once, and the
// edge then erases the session and keeps only a tombstone.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { insurerPost, insurerRequest, readDevVars, revisitRequest, loadScript } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const stack = (action, part) => execFileSync('tools/stack-ctl.sh', [action, part], { stdio: 'inherit' });

/**
 * The longest wait between two delivery attempts, as the running edge was started with it: the
 * `--var FORWARD_RETRY_MAX_MS:<ms>` in the stack's own edge command ($STACK_DIR/edge.sh, written by
 * tools/stack.sh), else the default in wrangler.toml.
 */
function retryCapMs() {
  const started = readFileSync(`${process.env.STACK_DIR}/edge.sh`, 'utf8');
  const configured = /FORWARD_RETRY_MAX_MS:(\d+)/.exec(started)
    ?? /^FORWARD_RETRY_MAX_MS\s*=\s*"(\d+)"/m.exec(readFileSync('wrangler.toml', 'utf8'));
  return Number(configured?.[1]);
}

// This test stops and restarts parts of the shared stack: the config runs it alone, last.

test('records finished while the origin is down all arrive, once, after a worker restart', async () => {
  test.skip(!process.env.STACK_DIR, 'needs the stack started by tools/stack.sh (STACK_DIR)');
  test.setTimeout(120_000);
  stack('stop', 'origin');
  let ids = [];
  const phones = {};
  const storage = async (id) => (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${id}/storage`)).body;
  try {
    for (let i = 0; i < 3; i++) {
      const request = revisitRequest(loadScript('scripts/default.json'));
      request.policyholder.phone = '135' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
      const created = await insurerPost(EDGE_URL, secret(), '/v1/revisits', request);
      expect(created.status).toBe(201);
      const ph = new PolicyholderClient(EDGE_URL, new URL(created.body.link).pathname.split('/').pop());
      expect((await ph.open()).status).toBe(200);
      expect((await ph.switchToPhone(`第${i + 1}个`)).status).toBe(200);
      ids.push(created.body.revisit_id);
      phones[created.body.revisit_id] = request.policyholder.phone;
    }
    // Positive control: while undelivered, the object holds the session with its personal fields.
    const live = await storage(ids[0]);
    expect(Object.keys(live).sort()).toEqual(['outbox', 'session']);
    expect(live.session).toContain(phones[ids[0]]);
    const status = async (id) => (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${id}`)).body;
    for (const id of ids) expect(await status(id)).toMatchObject({ stage: 'switched_to_phone', delivered: false });

    // The worker restarts while deliveries are failing; its Durable Objects keep outbox and alarm.
    stack('stop', 'edge');
    stack('start', 'edge');
  } finally {
    stack('start', 'origin');
  }
  for (const id of ids) {
    await expect.poll(async () => (await fetch(`${ORIGIN_URL}/records/${id}`)).status, { timeout: 30_000 }).toBe(200);
    const stored = await (await fetch(`${ORIGIN_URL}/records/${id}`)).json();
    expect(stored.verified).toBe(true);
    expect(stored.sealed.record.outcome).toBe('switched_to_phone');
  }
  // Acknowledged: the edge keeps only a tombstone, and stops delivering.
  for (const id of ids) {
    await expect.poll(async () => (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${id}`)).body.delivered).toBe(true);
    const tomb = (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${id}`)).body;
    expect(tomb.items_answered).toBeNull();
    // R2: after acknowledgement the object's storage holds only the tombstone, no personal field.
    const kept = await storage(id);
    expect(Object.keys(kept)).toEqual(['tombstone']);
    const tombstone = JSON.parse(kept.tombstone);
    expect(Object.keys(tombstone).sort()).toEqual(
      ['delivered_at', 'link_digest', 'link_expires_at', 'outcome', 'record_hash', 'revisit_id']);
    expect(kept.tombstone).not.toContain(phones[id]);
    expect(kept.tombstone).not.toContain('张三丰');
  }
  // Exactly once: after the acknowledgement the edge stops; the origin logged one delivery each
  // (it logs every verified delivery, repeats included, and stores the record once). An attempt
  // the edge had already scheduled would come at most one retry cap after it: the origin's count is
  // watched from the moment every revisit reads delivered until well past that, and must stay 1.
  const cap = retryCapMs();
  expect(cap, 'the stack runs with a short delivery retry cap (tools/test.sh)').toBeLessThanOrEqual(20_000);
  const quietMs = cap + Math.max(1_000, cap / 2);
  const watchedFrom = Date.now();
  const deliveries = async () => Promise.all(ids.map(async (id) => (await (await fetch(`${ORIGIN_URL}/records/${id}`)).json()).deliveries));
  let looks = 0;
  for (;;) {
    const elapsed = Date.now() - watchedFrom;
    expect(await deliveries(), `deliveries per record, ${elapsed} ms after all were acknowledged`).toEqual(ids.map(() => 1));
    looks += 1;
    if (elapsed > quietMs) break;
    await new Promise((done) => setTimeout(done, 250));
  }
  expect(looks, 'the count was looked at through the whole quiet time').toBeGreaterThan(2);
});
