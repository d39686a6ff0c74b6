// R10: signs that sales staff interfered are flagged in the sealed record: items answered faster
// than their minimum reading time, and requests from the agent's network or device. The trace keeps
// each request's network (IPv4 /24) and user agent, never the full address (R6).
import { test, expect } from '@playwright/test';
import { insurerPost, readDevVars, revisitRequest, loadScript } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';

test('a revisit rushed from the agent’s network is flagged, and the trace keeps only networks', async () => {
  const script = loadScript('scripts/default.json');
  const request = revisitRequest(script, { agent: { ip: '203.0.113.9', user_agent: 'AgentPhone/1.0' } });
  request.policyholder.phone = '136' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const secret = readDevVars('.dev.vars').INSURER_API_SECRET;
  const created = await insurerPost(EDGE_URL, secret, '/v1/revisits', request);
  expect(created.status).toBe(201);
  const token = new URL(created.body.link).pathname.split('/').pop();

  const ph = new PolicyholderClient(EDGE_URL, token, { ip: '203.0.113.77', userAgent: 'Policyholder/1.0' });
  await ph.open();
  await ph.sendCode();
  const [{ code }] = await (await fetch(`${ORIGIN_URL}/sms/outbox?phone=${request.policyholder.phone}&limit=1`)).json();
  expect((await ph.verify(code)).status).toBe(200);
  for (let i = 0; i < script.items.length; i++) expect((await ph.answer(i)).status).toBe(200);
  expect((await ph.complete()).status).toBe(200);

  let stored = null;
  await expect.poll(async () => {
    const res = await fetch(`${ORIGIN_URL}/records/${created.body.revisit_id}`);
    if (res.status === 200) stored = await res.json();
    return res.status;
  }).toBe(200);
  const { flags, trace } = stored.sealed.record;
  const tooFast = flags.filter((f) => f.kind === 'answered_too_fast').map((f) => f.item_index);
  expect(tooFast).toEqual(script.items.map((_, i) => i));
  expect(flags.filter((f) => f.kind === 'agent_network')).toHaveLength(1);
  expect(flags.filter((f) => f.kind === 'agent_device')).toHaveLength(0);

  const opened = trace.find((e) => e.event === 'opened');
  expect(opened.client).toEqual({ ip_prefix: '203.0.113.0/24', user_agent: 'Policyholder/1.0' });
  expect(JSON.stringify(stored)).not.toContain('203.0.113.77');
  expect(JSON.stringify(stored)).not.toContain('203.0.113.9');
});
