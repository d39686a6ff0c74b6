// A script flipping the language on and on must not grow the stored session until storage refuses
// it and every later request of the revisit answers 500 (issue 12; the same failure too-soon answers
// once had). Only real changes are traced, and at most LANGUAGE_CHANGES_TRACED (20,
// core/src/session/mod.rs) per session; every change still applies. Read through the edge's storage
// inspection (STORAGE_INSPECTION=1, as the test stack runs).
import { test, expect } from '@playwright/test';
import { insurerPost, insurerRequest, readDevVars, revisitRequest, loadScript } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const TRACED = 20;

test('language changes are traced only when real, at most 20 per session, and the session stays small', async () => {
  test.setTimeout(120_000);
  const request = revisitRequest(loadScript('scripts/default.json'));
  request.policyholder.phone = '133' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const created = await insurerPost(EDGE_URL, secret(), '/v1/revisits', request);
  expect(created.status).toBe(201);
  const id = created.body.revisit_id;
  const ph = new PolicyholderClient(EDGE_URL, new URL(created.body.link).pathname.split('/').pop(), { ip: '198.51.100.77' });
  const opened = await ph.open();
  expect(opened.status).toBe(200);
  const stored = async () => {
    const res = await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${id}/storage`);
    expect(res.status, 'STORAGE_INSPECTION=1 on this stack').toBe(200);
    // The object keeps the session as JSON text under `session`.
    const session = JSON.parse(res.body.session);
    const text = JSON.stringify(res.body);
    return { bytes: text.length, traced: (JSON.stringify(session).match(/"event":"language_chosen"/g) ?? []).length };
  };
  const before = await stored();
  expect(before.traced).toBe(0);

  // Choosing the language already shown is no change: nothing traced.
  for (let i = 0; i < 5; i++) expect((await ph.language(opened.body.lang)).status).toBe(200);
  expect((await stored()).traced).toBe(0);

  const flip = async (n) => {
    for (let i = 0; i < n; i++) {
      const lang = i % 2 === 0 ? (opened.body.lang === 'en' ? 'zh-CN' : 'en') : opened.body.lang;
      const res = await ph.language(lang);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.lang, 'every change applies').toBe(lang);
    }
  };
  await flip(2 * TRACED);
  const capped = await stored();
  expect(capped.traced).toBe(TRACED);
  await flip(400);
  const after = await stored();
  expect(after.traced).toBe(TRACED);
  expect(after.bytes, 'past the cap, 400 more changes add nothing to keep').toBe(capped.bytes);
  // The revisit still works.
  expect((await ph.sendCode()).status).toBe(200);
});
