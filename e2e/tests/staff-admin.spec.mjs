// The staff admin page (issue 13), in Chromium as an admin uses it: add an account, change its
// role, disable it — each a line of the append-only staff log on the page; the account's session
// follows each change (a new queue after the role change; logged out and refused after disabling);
// bad input is refused in words and changes nothing; an admin cannot touch their own account; any
// other role is refused the page. axe-core finds nothing; the page is screenshotted.
import { test, expect } from '@playwright/test';
import { ensureStaff, STAFF_PASSWORD } from '../lib/staff.mjs';
import { ORIGIN_URL, SHOTS, login, noViolations, staffPage } from '../lib/console.mjs';

test('an admin adds, re-roles and disables an account; each is in the staff log and takes effect', async ({ browser }) => {
  ensureStaff('e2e-admin', 'admin', { name: '刘管理' });
  ensureStaff('e2e-reviewer', 'reviewer', { name: '王复核' });
  const newId = `e2e-new-${Math.floor(Math.random() * 1e6)}`;

  const admin = await staffPage(browser);
  const page = admin.page;
  await login(page, 'e2e-admin');
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '工作人员' }).click();
  await expect(page.getByRole('heading', { name: '工作人员账号' })).toBeVisible();
  // The admin's own row offers nothing.
  const accounts = page.locator('table.accounts');
  const own = accounts.getByRole('row').filter({ has: page.getByRole('cell', { name: 'e2e-admin', exact: true }) });
  await expect(own).toContainText('本人');
  await expect(own.getByRole('button')).toHaveCount(0);

  const add = page.locator('form', { has: page.getByRole('button', { name: '新增账号' }) });
  // Bad input: a short password, refused in words, nothing added.
  await add.getByLabel('工号').fill(newId);
  await add.getByLabel('姓名').fill('吴新人');
  await add.getByLabel('角色').selectOption('call_agent');
  await add.getByLabel(/^初始密码/).fill('short');
  await add.getByRole('button', { name: '新增账号' }).click();
  await expect(page.getByRole('alert')).toContainText('初始密码至少 10 个字符');
  await expect(accounts.getByRole('cell', { name: newId, exact: true })).toHaveCount(0);

  const addForm = page.locator('form', { has: page.getByRole('button', { name: '新增账号' }) });
  await addForm.getByLabel('工号').fill(newId);
  await addForm.getByLabel('姓名').fill('吴新人');
  await addForm.getByLabel('角色').selectOption('call_agent');
  await addForm.getByLabel(/^初始密码/).fill(STAFF_PASSWORD);
  await addForm.getByRole('button', { name: '新增账号' }).click();
  await expect(page).toHaveURL(/\/console\/staff$/);
  const row = accounts.getByRole('row').filter({ has: page.getByRole('cell', { name: newId, exact: true }) });
  await expect(row).toContainText('电话坐席');
  await expect(row).toContainText('启用');
  // The same id again: refused, nothing changed.
  const again = page.locator('form', { has: page.getByRole('button', { name: '新增账号' }) });
  await again.getByLabel('工号').fill(newId);
  await again.getByLabel('姓名').fill('别人');
  await again.getByLabel(/^初始密码/).fill(STAFF_PASSWORD);
  await again.getByRole('button', { name: '新增账号' }).click();
  await expect(page.getByRole('alert')).toContainText('该工号已存在');
  await expect(row).toContainText('吴新人');

  // The new account logs in: the call centre's queue.
  const member = await staffPage(browser);
  await login(member.page, newId);
  await expect(member.page.getByRole('heading', { name: '我的队列：电话回访任务' })).toBeVisible();
  // Not an admin: refused the page (403), and it is not in the bar.
  await expect(member.page.getByRole('link', { name: '工作人员' })).toHaveCount(0);
  const refused = await member.page.goto(`${ORIGIN_URL}/console/staff`);
  expect(refused.status()).toBe(403);
  await expect(member.page.getByText('只有管理员可以打开此页面。')).toBeVisible();

  // Re-roled to reviewer: the same session now opens the reviewer's queue.
  await page.goto(`${ORIGIN_URL}/console/staff`);
  await row.getByLabel(`${newId} 的新角色`).selectOption('reviewer');
  await row.getByRole('button', { name: `更改 ${newId} 的角色` }).click();
  await expect(row).toContainText('问题件复核员');
  await member.page.goto(`${ORIGIN_URL}/console/queue`);
  await expect(member.page.getByRole('heading', { name: '我的队列：问题件' })).toBeVisible();

  // Disabled: its live session ends at once, and it cannot log in again.
  await row.getByRole('button', { name: `停用 ${newId}` }).click();
  await expect(row).toContainText('已停用');
  await member.page.goto(`${ORIGIN_URL}/console/queue`);
  await expect(member.page).toHaveURL(/\/console\/login$/);
  await member.page.getByLabel('工号').fill(newId);
  await member.page.getByLabel('密码').fill(STAFF_PASSWORD);
  await member.page.getByRole('button', { name: '登录' }).click();
  await expect(member.page.getByRole('alert')).toContainText('用户名或密码错误。');
  await member.context.close();

  // A form without the session's CSRF token changes nothing.
  const forged = await page.request.post(`${ORIGIN_URL}/console/staff`, { form: { csrf: 'x'.repeat(64), action: 'disable', staff_id: 'e2e-reviewer' } });
  expect(forged.status()).toBe(403);

  // Every action is in the staff log, with who, what, on whom and how it ended.
  await page.goto(`${ORIGIN_URL}/console/staff`);
  const log = page.locator('table.log');
  for (const [action, outcome] of [['staff_add', 'bad_input'], ['staff_add', 'ok'], ['staff_add', 'refused'], ['staff_role', 'ok'], ['staff_disable', 'ok']]) {
    await expect(log.getByRole('row').filter({ hasText: 'e2e-admin' }).filter({ hasText: action }).filter({ hasText: newId }).filter({ hasText: outcome }).first()).toBeVisible();
  }
  await expect(log.getByRole('row').filter({ hasText: 'csrf_refused' }).first()).toBeVisible();
  await expect(accounts.getByRole('row').filter({ has: page.getByRole('cell', { name: 'e2e-reviewer', exact: true }) })).toContainText('启用');
  await noViolations(page, 'staff admin page');
  await page.screenshot({ path: `${SHOTS}/console-staff-admin.png`, fullPage: true });
  expect(admin.offsite).toEqual([]);
  await admin.context.close();
});
