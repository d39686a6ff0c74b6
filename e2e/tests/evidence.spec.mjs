// The evidence report (R3, R4): for a completed, a "no"-answer and a switched revisit done through the
// real stack, the origin's printable report shows what was shown and answered, and that it all
// verifies now; the page loads nothing but itself. Each report is saved as a full-page screenshot
// in .state/screenshots/evidence-*.png for a person to look at.
import { test, expect } from './fixtures/revisit.mjs';
import { loadScript } from '../lib/insurer.mjs';

const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const ITEMS = loadScript('scripts/default.json').items;

/**
 * Runs `check` on each of `list` (page elements or what they should show) and fails unless it
 * checked exactly `expected` of them, at least one: a loop over nothing proves nothing.
 */
async function checkEach(list, expected, what, check) {
  expect(expected, `${what}: something to check`).toBeGreaterThan(0);
  let checked = 0;
  for (const [i, entry] of list.entries()) {
    await check(entry, i);
    checked += 1;
  }
  expect(checked, `${what}: how many were checked`).toBe(expected);
}
// The timeline shows the client network the page came from: the loopback one here.
test.use({ ownClient: false });

/** Opens the report of a revisit in `page` at a desk's width; returns what it loaded. */
async function openReport(page, revisitId) {
  await page.setViewportSize({ width: 900, height: 1100 });
  const loaded = [];
  page.on('request', (req) => loaded.push(req.url()));
  const response = await page.goto(`${ORIGIN_URL}/records/${revisitId}/report`);
  expect(response.status()).toBe(200);
  const headers = response.headers();
  expect(headers['content-type']).toBe('text/html; charset=utf-8');
  expect(headers['content-security-policy']).toContain("default-src 'none'");
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByRole('heading', { level: 1, name: '电子化回访凭证' })).toBeVisible();
  return loaded;
}

/** Checks what every report must show, then saves the screenshot. */
async function expectVerifiedReport(page, loaded, { created, outcome, name }) {
  await expect(page.getByTestId('verdict')).toHaveText('✓ 已验证');
  await expect(page.getByTestId('problems')).toHaveCount(0);
  await expect(page.getByTestId('outcome')).toHaveText(outcome);
  // R6: the phone only masked.
  const masked = created.phone.slice(0, 3) + '****' + created.phone.slice(7);
  await expect(page.getByText(masked)).toBeVisible();
  await expect(page.locator('body')).not.toContainText(created.phone);
  // R3: every item's exact title, in order.
  const items = page.getByTestId('item');
  await expect(items).toHaveCount(ITEMS.length);
  const headings = await items.getByRole('heading', { level: 3 }).all();
  await checkEach(headings, ITEMS.length, 'item headings', async (heading, i) => {
    await expect(heading).toHaveText(`第 ${i + 1} 项　${ITEMS[i].text['zh-CN'].title}`);
  });
  await expect(page.getByTestId('seq')).toHaveText(/^第 \d+ 号$/);
  await expect(page.getByTestId('retention')).toContainText('合同尚未报告终止');
  // Self-contained: the document is the only thing the page loaded.
  expect(loaded).toEqual([`${ORIGIN_URL}/records/${created.revisit_id}/report`]);
  await page.screenshot({ path: `.state/screenshots/evidence-${name}.png`, fullPage: true, scale: 'css' });
}

test('the report of a completed revisit shows every item confirmed and verifies', async ({ insurer, origin, revisit, page }) => {
  test.setTimeout(120_000);
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  for (let n = 1; n <= ITEMS.length; n++) {
    await revisit.expectItem(n, ITEMS.length);
    await revisit.answer('yes');
  }
  await revisit.submit();
  const stored = await origin.record(created.revisit_id);

  const loaded = await openReport(page, created.revisit_id);
  await expect(page.getByTestId('identity')).toContainText('短信验证码（发送至投保人手机）：已通过');
  const answers = await page.getByTestId('item').locator('.answer').allTextContents();
  await checkEach(answers, ITEMS.length, 'answers', (answer) => expect(answer).toBe('是，我确认'));
  await expect(page.getByTestId('record-hash')).toHaveText(stored.sealed.seal.record_hash);
  // The timeline: every trace event, the policyholder's with their network.
  expect(stored.sealed.record.trace.length, 'trace events').toBeGreaterThan(0);
  await expect(page.getByTestId('timeline').locator('tbody tr')).toHaveCount(stored.sealed.record.trace.length);
  await expect(page.getByTestId('timeline')).toContainText('127.0.0.0/24');
  await expectVerifiedReport(page, loaded, { created, outcome: '已完成电子化回访', name: 'completed' });

  // The insurer's record list is never open: it needs the admin token.
  const list = await fetch(`${ORIGIN_URL}/records?policy_number=${stored.sealed.record.policy_number}`);
  expect([401, 403]).toContain(list.status);
});

test('the report of a revisit with a "no" shows the answer and the comment', async ({ insurer, origin, revisit, page }) => {
  test.setTimeout(120_000);
  const comment = '产品说明书还没有收到';
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  for (let n = 1; n <= ITEMS.length; n++) {
    await revisit.expectItem(n, ITEMS.length);
    if (n === 3) await revisit.answer('no', comment);
    else await revisit.answer('yes');
  }
  await revisit.submit();
  await origin.record(created.revisit_id);

  const loaded = await openReport(page, created.revisit_id);
  const third = page.getByTestId('item').nth(2);
  await expect(third.locator('.answer')).toHaveText('否 / 我有疑问');
  await expect(third.getByTestId('comment')).toHaveText(`投保人说明：${comment}`);
  await expect(page.getByTestId('comment')).toHaveCount(1);
  await expect(page.getByTestId('item').nth(1).locator('.answer')).toHaveText('是，我确认');
  await expectVerifiedReport(page, loaded, { created, outcome: '已完成电子化回访', name: 'no-answer' });
});

test('the report of a switched revisit shows the reason and what was left unanswered', async ({ insurer, origin, revisit, page }) => {
  test.setTimeout(120_000);
  const reason = '我想通过电话回访';
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  await revisit.answer('yes');
  await revisit.expectItem(2, ITEMS.length);
  await revisit.switchToPhone(reason);
  await origin.record(created.revisit_id);

  const loaded = await openReport(page, created.revisit_id);
  await expect(page.locator('dl.facts').first()).toContainText(reason);
  const answers = await page.getByTestId('item').locator('.answer').allTextContents();
  await checkEach(answers, ITEMS.length, 'answers', (answer, i) => expect(answer).toBe(i === 0 ? '是，我确认' : '未回答'));
  await expect(page.getByTestId('timeline')).toContainText('投保人选择改为电话回访');
  await expectVerifiedReport(page, loaded, { created, outcome: '已转为电话回访', name: 'switched' });
});
