// A problem case resolved by a new electronic revisit (issue 13, item 3; R12), through the console
// and the real edge: a reviewer asks for one on a case whose policyholder answered "no"; the origin
// creates it through the signed insurer API and the link goes to the policyholder by SMS (the page
// never shows it); the case records the new revisit; it cannot be closed by it before its record
// arrives; once the policyholder has completed it with nothing found, the reviewer closes the case
// as re-revisited.
import { test, expect } from '@playwright/test';
import { ensureStaff } from '../lib/staff.mjs';
import { insurerPost, readDevVars, revisitRequest, loadScript, withReadingSecs } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';
import { EDGE_URL, ORIGIN_URL, SHOTS, login, noViolations, staffPage } from '../lib/console.mjs';

const outbox = async (phone) => (await (await fetch(`${ORIGIN_URL}/sms/outbox?phone=${phone}&limit=100`)).json());

/** Answers every item of the revisit behind `link` (a "no" on item `no`, if given), completes it. */
async function answerAll(link, phone, items, no) {
  const ph = new PolicyholderClient(EDGE_URL, new URL(link).pathname.split('/').pop());
  expect((await ph.open()).status).toBe(200);
  const before = (await outbox(phone)).length;
  expect((await ph.sendCode()).status).toBe(200);
  let code = null;
  await expect.poll(async () => {
    const list = await outbox(phone);
    code = list.length > before ? list[0].code : null;
    return code;
  }).not.toBeNull();
  expect((await ph.verify(code)).status).toBe(200);
  // Each item once its reading time is up (the new revisit has the shipped script's times).
  for (let i = 0; i < items; i++) {
    const answered = i === no ? await ph.answerWhenReady(i, 'no', '销售说这是存款') : await ph.answerWhenReady(i);
    expect(answered.status).toBe(200);
  }
  expect((await ph.complete()).status).toBe(200);
}

async function archived(revisitId) {
  await expect.poll(async () => (await fetch(`${ORIGIN_URL}/records/${revisitId}`)).status, { timeout: 20_000 }).toBe(200);
}

test('a reviewer settles a "no" with a new electronic revisit sent by SMS, and closes the case by it', async ({ browser }) => {
  test.setTimeout(240_000);
  ensureStaff('e2e-reviewer', 'reviewer', { name: '王复核' });
  const script = withReadingSecs(loadScript('scripts/default.json'));
  const request = revisitRequest(script, { channel: 'agent', seller_code: 'AG-RR-01' });
  request.policyholder.phone = '147' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const created = await insurerPost(EDGE_URL, readDevVars('.dev.vars').INSURER_API_SECRET, '/v1/revisits', request);
  expect(created.status).toBe(201);
  await answerAll(created.body.link, request.policyholder.phone, script.items.length, 0);
  await archived(created.body.revisit_id);
  const caseId = `${created.body.revisit_id}.1`;

  const reviewer = await staffPage(browser);
  const page = reviewer.page;
  await login(page, 'e2e-reviewer');
  await page.goto(`${ORIGIN_URL}/console/cases/${caseId}`);
  const form = page.locator('form', { has: page.getByRole('heading', { name: '申请重新电子回访' }) });
  await noViolations(page, 'problem case with the re-revisit form');

  // Bad input is refused by the edge's rules, in words, and nothing is recorded.
  await form.getByLabel('投保人姓名').fill('张三丰');
  await form.getByLabel('投保人手机号').fill('12345');
  await form.getByLabel('投保人身份证号').fill(request.policyholder.id_number);
  await form.getByRole('button', { name: '申请重新回访' }).click();
  await expect(page.getByRole('alert')).toContainText('手机号不正确');
  await expect(page.getByRole('row').filter({ hasText: '申请重新回访' })).toHaveCount(0);

  const smsBefore = (await outbox(request.policyholder.phone)).length;
  await form.getByLabel('投保人姓名').fill('张三丰');
  await form.getByLabel('投保人手机号').fill(request.policyholder.phone);
  await form.getByLabel('投保人身份证号').fill(request.policyholder.id_number);
  await form.getByRole('button', { name: '申请重新回访' }).click();
  // Redirected back to the case (post/redirect/get): the log says the new id and that the link
  // went out by SMS; a reload asks the edge for nothing more.
  await expect(page).toHaveURL(new RegExp(`/console/cases/${caseId}#re-revisit$`));
  const requested = page.getByRole('row').filter({ hasText: '申请重新回访' });
  await expect(requested).toContainText('链接已短信发送投保人');
  const newId = (await requested.textContent()).match(/新回访编号 ([A-Za-z0-9_-]{16})/)[1];
  await page.reload();
  await expect(page.getByRole('row').filter({ hasText: '申请重新回访' })).toHaveCount(1);
  await expect(page.getByRole('row').filter({ hasText: newId }).first()).toBeVisible();
  await expect(page.getByText('等待投保人完成')).toBeVisible();
  // The link went to the policyholder by SMS, and is on no page: neither the token nor the link.
  const sms = (await outbox(request.policyholder.phone)).slice(0, (await outbox(request.policyholder.phone)).length - smsBefore);
  expect(sms).toHaveLength(1);
  expect(sms[0].revisit_id).toBe(newId);
  const link = sms[0].text.match(/(http\S+\/r\/[A-Za-z0-9_-]+)/)[1];
  const token = new URL(link).pathname.split('/').pop();
  expect(await page.content()).not.toContain(token);
  // Not closable by it yet: its record has not arrived.
  await expect(page.getByRole('heading', { name: '结案：重新电子回访完成' })).toHaveCount(0);
  const early = await page.request.post(`${ORIGIN_URL}/console/cases/${caseId}/actions`, {
    form: { csrf: await page.locator('input[name=csrf]').first().inputValue(), action: 'resolve', resolution: 're_revisited', detail: newId, note: '提前' },
  });
  expect(early.status()).toBe(422);
  expect(await early.text()).toContain('新回访的记录尚未到达');
  await noViolations(page, 'case waiting for its new revisit');
  await page.screenshot({ path: `${SHOTS}/console-re-revisit-requested.png`, fullPage: true });

  // The policyholder completes the new revisit with every item confirmed.
  await answerAll(link, request.policyholder.phone, script.items.length, -1);
  await archived(newId);
  await page.goto(`${ORIGIN_URL}/console/cases/${caseId}`);
  await expect(page.getByText('已完成，未发现问题')).toBeVisible();
  const close = page.locator('form', { has: page.getByRole('heading', { name: '结案：重新电子回访完成' }) });
  await expect(close).toContainText(newId);
  await close.getByLabel('说明').fill('投保人在新回访中逐项确认。');
  await close.getByRole('button', { name: '提交' }).click();
  await expect(page.getByText('已结案').first()).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: '结案' }).filter({ hasText: 'e2e-reviewer' })).toContainText('重新电子回访完成');
  await expect(page.getByRole('row').filter({ hasText: '申请重新回访' })).toHaveCount(1);
  await noViolations(page, 'case closed by a new revisit');
  await page.screenshot({ path: `${SHOTS}/console-re-revisit-closed.png`, fullPage: true });
  expect(reviewer.offsite).toEqual([]);
  await reviewer.context.close();
  // The new revisit's record carries the sale over.
  const record = (await (await fetch(`${ORIGIN_URL}/records/${newId}`)).json()).sealed.record;
  expect(record.seller_code).toBe('AG-RR-01');
  expect(record.channel).toBe('agent');
  expect(record.policy_number).toBe(request.policy_number);
});
