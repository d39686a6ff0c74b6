// Issue 18: the edge process restarts in the middle of a revisit (a deploy, a crash, a server
// reboot) and nothing is lost. The revisit's Durable Object keeps the session on disk (workerd's
// localDisk, or wrangler dev's persisted state), so after the restart the same browser resumes
// where it stopped, finishes, and the sealed record reaches the origin exactly once. Runs on either
// runtime of tools/stack.sh; restarts the edge, so it runs alone (e2e/selfhost.config.mjs).
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { insurerPost, insurerRequest, readDevVars, revisitRequest, loadScript, withReadingSecs } from '../lib/insurer.mjs';
import { PolicyholderClient, smsOutbox } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const stack = (action, part) => execFileSync('tools/stack-ctl.sh', [action, part], { stdio: 'inherit' });

test('an edge restart mid-revisit: the revisit resumes and its record is delivered once', async () => {
  test.skip(!process.env.STACK_DIR, 'needs the stack started by tools/stack.sh (STACK_DIR)');
  test.setTimeout(90_000);
  const secret = readDevVars('.dev.vars').INSURER_API_SECRET;
  // One second per item (R9 holds every item that long): the test is about the restart.
  const script = withReadingSecs(loadScript('scripts/default.json'));
  const request = revisitRequest(script);
  request.policyholder.phone = '137' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const created = await insurerPost(EDGE_URL, secret, '/v1/revisits', request);
  expect(created.status).toBe(201);
  const id = created.body.revisit_id;
  const ph = new PolicyholderClient(EDGE_URL, new URL(created.body.link).pathname.split('/').pop(), { ip: '198.51.100.23' });
  expect((await ph.open()).status).toBe(200);
  expect((await ph.sendCode()).status).toBe(200);
  const [{ code }] = await smsOutbox(ORIGIN_URL, request.policyholder.phone);
  expect((await ph.verify(code)).status).toBe(200);
  const half = Math.floor(script.items.length / 2);
  for (let i = 0; i < half; i++) expect((await ph.answerWhenReady(i)).status).toBe(200);

  stack('stop', 'edge');
  expect(await fetch(EDGE_URL).then(() => 'up', () => 'down')).toBe('down');
  stack('start', 'edge');

  // The same browser (its device cookie) resumes: verified, the first half answered.
  const resumed = await ph.open();
  expect(resumed.status).toBe(200);
  const status = await insurerRequest(EDGE_URL, secret, 'GET', `/v1/revisits/${id}`);
  expect(status.body).toMatchObject({ stage: 'verified', items_answered: half, delivered: false });
  for (let i = half; i < script.items.length; i++) expect((await ph.answerWhenReady(i)).status).toBe(200);
  expect((await ph.complete()).status).toBe(200);

  await expect.poll(async () => (await fetch(`${ORIGIN_URL}/records/${id}`)).status, { timeout: 30_000 }).toBe(200);
  await expect.poll(async () => (await insurerRequest(EDGE_URL, secret, 'GET', `/v1/revisits/${id}`)).body.delivered).toBe(true);
  await new Promise((done) => setTimeout(done, 3000)); // longer than the retry cap in the test stack
  const stored = await (await fetch(`${ORIGIN_URL}/records/${id}`)).json();
  expect(stored.verified).toBe(true);
  expect(stored.sealed.record.outcome).toBe('completed');
  expect(stored.deliveries).toBe(1);
  // Every answer made it, those before the restart and those after.
  expect(stored.sealed.record.trace.filter((e) => e.event === 'item_answered').map((e) => e.index))
    .toEqual(script.items.map((_, i) => i));
});
