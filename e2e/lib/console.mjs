// The staff console as a browser sees it, for the back-office specs: a desktop context kept on
// 127.0.0.1, the login form, and axe-core over a page.
import { mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect } from '@playwright/test';
import { STAFF_PASSWORD } from './staff.mjs';

export const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
export const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
export const SHOTS = '.state/screenshots';
mkdirSync(SHOTS, { recursive: true });
const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'zh-CN', isMobile: false, hasTouch: false };

/** axe-core over the page as it is now: no WCAG 2.x A/AA or best-practice violation. */
export async function noViolations(page, name) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(found, `axe on the console's ${name}`).toEqual([]);
  expect(result.passes.length).toBeGreaterThan(15);
}

/** A desktop browser context for a member of staff; `offsite` collects requests off 127.0.0.1. */
export async function staffPage(browser) {
  const context = await browser.newContext(DESKTOP);
  const page = await context.newPage();
  const offsite = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol.startsWith('http') && url.hostname !== '127.0.0.1') offsite.push(req.url());
  });
  return { context, page, offsite };
}

/** Logs `id` in through the login form; lands on the queue. */
export async function login(page, id, { origin = ORIGIN_URL } = {}) {
  await page.goto(`${origin}/console`);
  await expect(page).toHaveURL(/\/console\/login$/);
  await page.getByLabel('工号').fill(id);
  await page.getByLabel('密码').fill(STAFF_PASSWORD);
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page).toHaveURL(/\/console\/queue$/);
}
