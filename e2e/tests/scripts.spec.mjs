// Scripts are data (R9): the shipped script's items are picked by product kind, in the language the
// browser prefers or the policyholder chooses; the record keeps each item's text in the language it
// was shown in, with its hash (R3); a "no" is a problem case (R12); a retried answer is never counted
// twice; an invalid script is refused with the item and language at fault.
import { test, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import { insurerPost, readDevVars, revisitRequest, loadScript } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const phone = () => '137' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');

/** Creates a revisit with the shipped script (no `script` field) for these product kinds. */
async function create(productKinds, extra = {}) {
  const request = revisitRequest(undefined, { product_kinds: productKinds, ...extra });
  delete request.script;
  request.policyholder.phone = phone();
  const created = await insurerPost(EDGE_URL, secret(), '/v1/revisits', request);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { ...created.body, token: new URL(created.body.link).pathname.split('/').pop(), phone: request.policyholder.phone };
}

async function verified(created, options) {
  const ph = new PolicyholderClient(EDGE_URL, created.token, options);
  const opened = await ph.open();
  expect(opened.status).toBe(200);
  await ph.sendCode();
  let code = null;
  await expect.poll(async () => {
    const list = await (await fetch(`${ORIGIN_URL}/sms/outbox?phone=${created.phone}&limit=1`)).json();
    code = list[0]?.code ?? null;
    return code;
  }).not.toBeNull();
  const view = await ph.verify(code);
  expect(view.status).toBe(200);
  return { ph, opened: opened.body, view: view.body };
}

async function record(revisitId) {
  let body = null;
  await expect.poll(async () => {
    const res = await fetch(`${ORIGIN_URL}/records/${revisitId}`);
    if (res.status !== 200) return res.status;
    body = await res.json();
    return 200;
  }, { timeout: 20_000 }).toBe(200);
  return body;
}

const sha256Text = (title, body) => {
  // RFC 8785 of {"body":[…],"title":…}: keys sorted, no spaces; our strings need no escapes.
  const json = JSON.stringify({ body, title });
  return createHash('sha256').update(json).digest('hex');
};

test('product kinds pick the items of the shipped script, in the browser’s language', async () => {
  const all = loadScript('scripts/default.json', []);
  const created = await create(['participating', 'bank_savings']);
  const { ph, opened, view } = await verified(created, { acceptLanguage: 'en-GB,en;q=0.9,zh-CN;q=0.5' });
  expect(opened.lang).toBe('en');
  const ids = view.items.map((i) => i.id);
  expect(ids).toContain('dividends-not-guaranteed');
  expect(ids).toContain('insurance-not-deposit');
  expect(ids).not.toContain('premium-schedule');
  expect(ids).not.toContain('fees-and-uncertain-returns');
  expect(ids.length).toBe(all.items.length + 2);
  expect(view.items[0].title).toBe('Are you the policyholder?');
  expect(view.items[0].body.length).toBe(2);
  expect(view.items.every((i) => i.min_read_secs >= 2 && i.problem_on_no === true)).toBe(true);
  expect(view.items[0].min_read_secs).toBe(5);

  // The policyholder switches to Chinese: the items follow at once.
  const zh = await ph.language('zh-CN');
  expect([zh.status, zh.body.lang]).toEqual([200, 'zh-CN']);
  expect(zh.body.items[0].title).toBe('您是否为投保人本人？');
  const bad = await ph.language('fr');
  expect([bad.status, bad.body.code]).toEqual([400, 'bad_json']);
});

test('each answer keeps the language it was shown in; a “no” is a problem; a retry never counts twice', async () => {
  const created = await create([]);
  const { ph, view } = await verified(created, { acceptLanguage: 'zh-CN,zh;q=0.9' });
  expect(view.lang).toBe('zh-CN');
  const total = view.items.length;
  // The shipped script keeps its real reading times (R9): the edge holds each item that long, and
  // this client waits as a careful one does (answerWhenReady); the test is about languages.
  const reading = view.items.reduce((sum, i) => sum + i.min_read_secs, 0);
  test.setTimeout(60_000 + reading * 1000);
  expect((await ph.answerWhenReady(0, 'yes')).status).toBe(200);
  // A retry of the same answer (its response lost): refused, the first answer stands.
  const again = await ph.answer(0, 'no', '重复提交');
  expect([again.status, again.body.code]).toEqual([409, 'already_answered']);
  expect((await ph.language('en')).status).toBe(200);
  const no = await ph.answerWhenReady(1, 'no', 'My signature was not on the form');
  expect(no.status).toBe(200);
  expect(no.body.items[1]).toMatchObject({ answer: 'no', comment: 'My signature was not on the form' });
  expect(no.body.items[0]).toMatchObject({ answer: 'yes', comment: null });
  for (let i = 2; i < total; i++) expect((await ph.answerWhenReady(i, 'yes')).status).toBe(200);
  expect((await ph.complete()).status).toBe(200);

  const stored = await record(created.revisit_id);
  expect(stored.verified).toBe(true);
  const items = stored.sealed.record.items;
  expect(stored.sealed.record.format).toBe(2);
  expect(items.map((i) => i.lang)).toEqual(['zh-CN', ...Array(total - 1).fill('en')]);
  expect(items[0].title).toBe('您是否为投保人本人？');
  expect(items[1].title).toMatch(/^Did you buy this product/);
  expect(items.map((i) => i.answer)).toEqual(['yes', 'no', ...Array(total - 2).fill('yes')]);
  for (const item of items) expect(item.content_hash).toBe(sha256Text(item.title, item.body));
  expect(stored.problem_cases).toBe(1);
  const chosen = stored.sealed.record.trace.filter((e) => e.event === 'language_chosen').map((e) => e.lang);
  expect(chosen).toEqual(['en']);
});

test('an invalid script or product kind is refused, naming what is wrong', async () => {
  const script = loadScript('scripts/default.json');
  delete script.items[2].text.en;
  const noEnglish = await insurerPost(EDGE_URL, secret(), '/v1/revisits', revisitRequest(script));
  expect([noEnglish.status, noEnglish.body.code]).toEqual([400, 'bad_json']);
  expect(noEnglish.body.message).toContain('missing field `en`');

  const empty = loadScript('scripts/default.json');
  empty.items[3].text['zh-CN'].body = ['第一段', '  '];
  const r = await insurerPost(EDGE_URL, secret(), '/v1/revisits', revisitRequest(empty));
  expect([r.status, r.body.code]).toEqual([422, 'invalid_script']);
  expect(r.body.message).toContain('item 4 (zh-CN)');

  const kinds = revisitRequest(undefined, { product_kinds: ['lottery'] });
  delete kinds.script;
  const k = await insurerPost(EDGE_URL, secret(), '/v1/revisits', kinds);
  expect([k.status, k.body.code]).toEqual([400, 'bad_json']);
  expect(k.body.message).toContain('lottery');
});
