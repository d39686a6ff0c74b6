// The insurer API's back-office fields and the SMS the system sends on its own (issue 13, items 4
// and 5), through the real edge and origin: the sales channel and the seller's code are checked,
// sealed into the record and keep the seller's own account off the case in the console (R12); the
// link goes out by SMS at creation when asked, through the origin's SMS hook, inside the phone's
// daily cap; an unfinished revisit is reminded once 3 days before its cooling-off end. Both SMS
// are traced in the session.
import { test, expect } from '@playwright/test';
import { ensureStaff } from '../lib/staff.mjs';
import { insurerPost, insurerRequest, readDevVars, revisitRequest, loadScript, withReadingSecs } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';
import { EDGE_URL, ORIGIN_URL, login, noViolations, staffPage } from '../lib/console.mjs';

const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const randomPhone = (prefix) => prefix + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
const create = (request) => insurerPost(EDGE_URL, secret(), '/v1/revisits', request);
const outbox = async (phone) => (await (await fetch(`${ORIGIN_URL}/sms/outbox?phone=${phone}&limit=100`)).json());
/** The session's trace as the revisit object stores it (the stack runs with STORAGE_INSPECTION=1). */
async function traceOf(revisitId) {
  const dump = (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${revisitId}/storage`)).body;
  expect(dump.session, 'the live session in the object\'s storage').toBeTruthy();
  return JSON.parse(dump.session).trace;
}

test('channel and seller code are checked, sealed into the record, and the seller never sees the case', async ({ browser }) => {
  test.slow();
  const seller = `AG-${Math.floor(Math.random() * 1e6)}`;
  ensureStaff(`e2e-seller-${seller}`, 'reviewer', { name: '周销售', sellerCode: seller });
  ensureStaff('e2e-reviewer', 'reviewer', { name: '王复核' });

  // Refused with a stable code, the field named.
  const script = withReadingSecs(loadScript('scripts/default.json'));
  for (const [field, value, code] of [
    ['channel', 'bancassurance', 'invalid_channel'],
    ['channel', 'Bank', 'invalid_channel'],
    ['seller_code', '销售员01', 'invalid_seller_code'],
    ['seller_code', 'a'.repeat(65), 'invalid_seller_code'],
    ['seller_code', '', 'invalid_seller_code'],
  ]) {
    const refused = await create(revisitRequest(script, { [field]: value }));
    expect(refused.status, `${field}=${value}`).toBe(422);
    expect(refused.body.code).toBe(code);
    expect(refused.body.message).toContain(`${field}:`);
  }

  // A revisit sold by `seller` through a bank, answered "no" on one item.
  const request = revisitRequest(script, { channel: 'bank', seller_code: seller });
  request.policyholder.phone = randomPhone('136');
  const created = await create(request);
  expect(created.status).toBe(201);
  const ph = new PolicyholderClient(EDGE_URL, new URL(created.body.link).pathname.split('/').pop());
  await ph.open();
  await ph.sendCode();
  let code = null;
  await expect.poll(async () => (code = (await outbox(request.policyholder.phone))[0]?.code ?? null)).not.toBeNull();
  expect((await ph.verify(code)).status).toBe(200);
  for (let i = 0; i < script.items.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await (i === 0 ? ph.answer(i, 'no', '销售说和存款一样') : ph.answer(i))).status).toBe(200);
  }
  expect((await ph.complete()).status).toBe(200);
  const revisitId = created.body.revisit_id;
  let stored = null;
  await expect.poll(async () => {
    const res = await fetch(`${ORIGIN_URL}/records/${revisitId}`);
    if (res.status === 200) stored = await res.json();
    return res.status;
  }, { timeout: 20_000 }).toBe(200);
  expect(stored.verified).toBe(true);
  const record = stored.sealed.record;
  expect(record.channel).toBe('bank');
  expect(record.seller_code).toBe(seller);
  const caseId = `${revisitId}.1`;

  // The seller's own account: not in the queue, not found by its address, no report either.
  const own = await staffPage(browser);
  await login(own.page, `e2e-seller-${seller}`);
  await expect(own.page.getByRole('heading', { name: '我的队列：问题件' })).toBeVisible();
  await expect(own.page.getByRole('link', { name: caseId })).toHaveCount(0);
  const direct = await own.page.goto(`${ORIGIN_URL}/console/cases/${caseId}`);
  expect(direct.status()).toBe(404);
  await expect(own.page.getByText('没有找到该页面或案件。')).toBeVisible();
  const report = await own.page.request.get(`${ORIGIN_URL}/console/records/${revisitId}/report`);
  expect(report.status()).toBe(404);
  await own.context.close();

  // Positive control: another reviewer sees it and its seller's channel.
  const other = await staffPage(browser);
  await login(other.page, 'e2e-reviewer');
  await expect(other.page.getByRole('link', { name: caseId })).toBeVisible();
  await other.page.getByRole('link', { name: caseId }).click();
  await expect(other.page.getByRole('heading', { name: `案件 ${caseId}` })).toBeVisible();
  await noViolations(other.page, 'case page of a sale with a seller code');
  expect([...own.offsite, ...other.offsite]).toEqual([]);
  await other.context.close();
});

test('the link goes out by SMS at creation when asked, traced, inside the phone\'s daily cap', async () => {
  const script = loadScript('scripts/default.json');
  const phone = randomPhone('137');
  // Not asked: no SMS, no link_sms in the answer.
  const quiet = await create({ ...revisitRequest(script), policyholder: { ...revisitRequest(script).policyholder, phone } });
  expect(quiet.status).toBe(201);
  expect(quiet.body.link_sms).toBeUndefined();
  expect(await outbox(phone)).toEqual([]);

  // Asked: sent through the origin's SMS hook with the link, traced in the session.
  const request = revisitRequest(script, { send_link_sms: true });
  request.policyholder.phone = phone;
  const created = await create(request);
  expect(created.status).toBe(201);
  expect(created.body.link_sms).toBe('sent');
  const sent = await outbox(phone);
  expect(sent).toHaveLength(1);
  expect(sent[0].revisit_id).toBe(created.body.revisit_id);
  expect(sent[0].text).toContain(created.body.link);
  expect(sent[0].text).toMatch(/^您的保单P2\*+\d{4}需在犹豫期内完成电子化回访，请于\d{4}年\d{1,2}月\d{1,2}日前/);
  const trace = await traceOf(created.body.revisit_id);
  expect(trace.map((e) => e.event)).toEqual(['created', 'notice_sent']);
  expect(trace[1].notice).toBe('link');
  // The link is not kept: only its digest (R6).
  const dump = (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${created.body.revisit_id}/storage`)).body;
  expect(JSON.stringify(dump)).not.toContain(new URL(created.body.link).pathname.split('/').pop());

  // The phone's daily cap (10 across sessions) holds: the 11th link SMS is not sent, and says so.
  for (let n = 2; n <= 10; n++) {
    const more = await create({ ...request, policy_number: `P2026${n}${Math.floor(Math.random() * 1e6)}` });
    expect(more.body.link_sms, `link SMS ${n}`).toBe('sent');
  }
  const capped = await create({ ...request, policy_number: `P2026X${Math.floor(Math.random() * 1e6)}` });
  expect(capped.status).toBe(201);
  expect(capped.body.link_sms).toBe('phone_daily_limit');
  expect(await outbox(phone)).toHaveLength(10);
  const cappedTrace = await traceOf(capped.body.revisit_id);
  expect(cappedTrace.at(-1)).toMatchObject({ event: 'notice_undelivered', notice: 'link', reason: 'phone_daily_limit' });
});

test('an unfinished revisit is reminded once by SMS 3 days before its cooling-off end', async () => {
  test.setTimeout(90_000);
  const phone = randomPhone('138');
  // The reminder is due 3 days before the end: 15 s from now.
  const request = revisitRequest(loadScript('scripts/default.json'), {
    cooling_off_ends_at: new Date(Date.now() + 3 * 86400_000 + 15_000).toISOString(),
  });
  request.policyholder.phone = phone;
  const created = await create(request);
  expect(created.status).toBe(201);
  // Another one, opened and finished (switched to phone) before: never reminded.
  const donePhone = randomPhone('138');
  const done = await create({ ...request, policyholder: { ...request.policyholder, phone: donePhone } });
  const ph = new PolicyholderClient(EDGE_URL, new URL(done.body.link).pathname.split('/').pop());
  expect((await ph.open()).status).toBe(200);
  expect((await ph.switchToPhone('想要电话回访')).status).toBe(200);

  expect(await outbox(phone)).toEqual([]);
  let reminder = null;
  await expect.poll(async () => (reminder = (await outbox(phone))[0] ?? null), { timeout: 45_000, intervals: [1000] }).not.toBeNull();
  expect(reminder.revisit_id).toBe(created.body.revisit_id);
  expect(reminder.text).toMatch(/^提醒：您的保单P2\*+\d{4}电子化回访尚未完成，犹豫期将于\d{4}年\d{1,2}月\d{1,2}日结束/);
  expect(reminder.text).not.toContain('http');
  expect(reminder.code).toBeNull();
  const trace = await traceOf(created.body.revisit_id);
  expect(trace.map((e) => e.event)).toEqual(['created', 'notice_sent']);
  expect(trace[1].notice).toBe('reminder');
  // Once: a while later there is still one.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  expect(await outbox(phone)).toHaveLength(1);
  expect(await outbox(donePhone)).toEqual([]);
  const status = await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${created.body.revisit_id}`);
  expect(status.body.stage).toBe('issued');
});
