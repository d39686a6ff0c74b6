// The staff console as staff use it (issue 13, item 6), in Chromium at a desktop size: a "no"
// answered on the phone becomes a case in the reviewer's queue; the reviewer explains and closes it
// through the case page's form; an auditor reads the case but is offered no action. axe-core finds
// no violation on any console page, and the login, the queue and a case page are screenshotted to
// .state/screenshots/console-*.png to be looked at.
import { mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures/revisit.mjs';
import { ensureStaff, STAFF_PASSWORD } from '../lib/staff.mjs';

const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const SHOTS = '.state/screenshots';
mkdirSync(SHOTS, { recursive: true });
const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'zh-CN', isMobile: false, hasTouch: false };

/** axe-core over the page as it is now: no WCAG 2.x A/AA or best-practice violation. */
async function noViolations(page, name) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(found, `axe on the console's ${name}`).toEqual([]);
  expect(result.passes.length).toBeGreaterThan(15);
}

/** A desktop browser context for a member of staff, every request kept on 127.0.0.1. */
async function staffPage(browser) {
  const context = await browser.newContext(DESKTOP);
  const page = await context.newPage();
  const offsite = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol.startsWith('http') && url.hostname !== '127.0.0.1') offsite.push(req.url());
  });
  return { context, page, offsite };
}

async function login(page, id, shot) {
  await page.goto(`${ORIGIN_URL}/console`);
  await expect(page).toHaveURL(/\/console\/login$/);
  await expect(page.getByRole('heading', { name: '工作人员登录' })).toBeVisible();
  if (shot) {
    await noViolations(page, 'login page');
    await page.screenshot({ path: `${SHOTS}/console-login.png`, fullPage: true });
  }
  await page.getByLabel('工号').fill(id);
  await page.getByLabel('密码').fill(STAFF_PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/console\/queue$/);
}

test('a "no" answered on the phone becomes a reviewer\'s case, explained and closed in the console', async ({ insurer, origin, revisit, browser }) => {
  test.slow();
  ensureStaff('e2e-reviewer', 'reviewer', { name: '王复核' });
  ensureStaff('e2e-auditor', 'auditor', { name: '李审计' });

  // The policyholder, on the phone: one "no" with a comment.
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  const total = 7;
  for (let n = 1; n <= total; n++) {
    await revisit.expectItem(n, total);
    if (n === 3) await revisit.answer('no', '产品说明书还没有收到');
    else await revisit.answer('yes');
  }
  await revisit.submit();
  await origin.record(created.revisit_id);
  const caseId = `${created.revisit_id}.1`;

  // The reviewer, at a desk.
  const reviewer = await staffPage(browser);
  const page = reviewer.page;
  await login(page, 'e2e-reviewer', true);
  await expect(page.getByRole('heading', { name: '我的队列：问题件' })).toBeVisible();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: caseId }) });
  await expect(row).toBeVisible();
  await expect(row).toContainText('处理中');
  await noViolations(page, 'queue');
  await page.screenshot({ path: `${SHOTS}/console-queue.png`, fullPage: true });

  await row.getByRole('link', { name: caseId }).click();
  await expect(page.getByRole('heading', { name: `案件 ${caseId}` })).toBeVisible();
  await expect(page.getByText('产品说明书还没有收到')).toBeVisible();
  await expect(page.getByText(created.token)).toHaveCount(0);
  await noViolations(page, 'case page');
  await page.screenshot({ path: `${SHOTS}/console-case.png`, fullPage: true });

  // The evidence report opens for the staff session.
  const report = await page.request.get(`${ORIGIN_URL}/console/records/${created.revisit_id}/report`);
  expect(report.status()).toBe(200);

  const close = page.locator('form', { has: page.getByRole('heading', { name: '结案：已解释，投保人确认' }) });
  await close.getByLabel('说明').fill('已电话联系投保人，补寄产品说明书并解释，投保人确认。');
  await close.getByRole('button', { name: '提交' }).click();
  await expect(page.getByText('已结案').first()).toBeVisible();
  const closed = page.getByRole('row').filter({ hasText: '结案' }).filter({ hasText: 'e2e-reviewer' });
  await expect(closed).toContainText('已电话联系投保人');
  await noViolations(page, 'closed case page');
  await page.screenshot({ path: `${SHOTS}/console-case-closed.png`, fullPage: true });

  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '我的队列' }).click();
  await expect(page.getByRole('link', { name: caseId })).toHaveCount(0);
  expect(reviewer.offsite, 'requests that left 127.0.0.1').toEqual([]);
  await reviewer.context.close();

  // The auditor reads the closed case, and is offered nothing to do.
  const auditor = await staffPage(browser);
  await login(auditor.page, 'e2e-auditor', false);
  await auditor.page.goto(`${ORIGIN_URL}/console/cases/${caseId}`);
  await expect(auditor.page.getByText('您的角色只能查看，不能办理案件。')).toBeVisible();
  await expect(auditor.page.getByRole('button', { name: '提交' })).toHaveCount(0);
  await noViolations(auditor.page, 'case page (auditor)');
  await auditor.page.getByRole('button', { name: '退出登录' }).click();
  await expect(auditor.page).toHaveURL(/\/console\/login$/);
  await auditor.context.close();
});
