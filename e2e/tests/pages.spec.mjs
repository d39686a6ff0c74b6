// Every page of the revisit — landing (and its switch panel), code, ID number, item, the look back at
// answered items, signature, review, done, switched, expired, error — in Chinese and English, in normal
// and large-text mode: axe-core finds no WCAG 2.x A/AA violation and no best-practice one, nothing
// scrolls sideways (large text at 320 px wide), and a full-page screenshot of each is written to
// .state/screenshots/ to be looked at (issue 4).
import { mkdirSync, writeFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { devices } from '@playwright/test';
import { test, expect, longItem, SESSION_LOAD, WORDS, UNLOCK_WAIT } from './fixtures/revisit.mjs';
import { loadScript } from '../lib/insurer.mjs';

// The tests are independent: let the suite's two workers share them.
test.describe.configure({ mode: 'parallel' });

const SHOTS = '.state/screenshots';
mkdirSync(SHOTS, { recursive: true });
const { defaultBrowserType: _browser, viewport: _viewport, ...pixel7 } = devices['Pixel 7'];

const MODES = [
  { lang: 'zh-CN', large: false }, { lang: 'en', large: false },
  { lang: 'zh-CN', large: true }, { lang: 'en', large: true },
];

/** Runs axe on the page as it is now, screenshots it, and checks it does not scroll sideways. */
async function look(page, revisit, tag, name) {
  await revisit.expectNoSidewaysScroll();
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  await page.screenshot({ path: `${SHOTS}/app-${tag}-${name}.png`, fullPage: true });
  // What axe could not decide (e.g. contrast over an image) is written down to be looked at.
  writeFileSync(`${SHOTS}/app-${tag}-${name}.axe-incomplete.json`, JSON.stringify(
    result.incomplete.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) })), null, 1));
  expect(found, `axe on ${name} (${tag})`).toEqual([]);
  // It really looked: a page of ours passes dozens of rules.
  expect(result.passes.length).toBeGreaterThan(20);
}

for (const { lang, large } of MODES) {
  const tag = `${lang}-${large ? 'large' : 'normal'}`;
  test.describe(tag, () => {
    const acceptLanguage = lang === 'en' ? 'en-GB,en;q=0.9' : 'zh-CN,zh;q=0.9';
    test.use({
      ...pixel7,
      // Large text is checked on the narrowest phone we support.
      viewport: large ? { width: 320, height: 640 } : { width: 360, height: 640 },
      locale: lang === 'en' ? 'en-GB' : 'zh-CN',
      extraHTTPHeaders: { 'Accept-Language': acceptLanguage },
    });
    test.beforeEach(async ({ page }) => {
      if (large) await page.addInitScript(() => sessionStorage.setItem('huifang.large-text', '1'));
    });

    test('every page of a revisit with every identity step', async ({ insurer, origin, revisit, page }) => {
      test.slow();
      const w = WORDS[lang];
      const base = loadScript('scripts/default.json');
      const script = {
        ...base,
        identity: ['sms_code', 'id_number', 'signature'],
        items: [{ ...base.items[0], min_read_secs: 8 }, longItem('long-read', 1)],
      };
      const created = await insurer.createRevisit({ script, readingSecs: null });
      await revisit.open(created.path);
      if (large) await expect(revisit.largeTextToggle()).toHaveAttribute('aria-pressed', 'true');
      await look(page, revisit, tag, '01-landing');
      await revisit.switchButton().click();
      await look(page, revisit, tag, '02-landing-switch-panel');
      await page.getByRole('button', { name: lang === 'en' ? 'Cancel' : '取消' }).click();

      await page.getByRole('button', { name: w.sendCode }).click();
      await expect(page.getByLabel(w.codeLabel)).toBeVisible();
      await look(page, revisit, tag, '03-code');
      await page.getByLabel(w.codeLabel).fill('000000');
      await page.getByRole('button', { name: w.verify, exact: true }).click();
      await expect(page.getByTestId('notice')).toBeVisible();
      await look(page, revisit, tag, '04-code-wrong');
      await page.getByLabel(w.codeLabel).fill(await origin.latestCode(created.phone));
      await page.getByRole('button', { name: w.verify, exact: true }).click();

      await expect(page.getByLabel(w.idNumber)).toBeVisible();
      await look(page, revisit, tag, '05-id-number');
      await page.getByLabel(w.idNumber).fill('11010519491231002X');
      await page.getByRole('button', { name: w.idVerify }).click();

      // The first item is held for 8 s: once read to its end, its countdown is on screen.
      await revisit.expectItem(1, 2);
      await revisit.scrollBodyToEnd();
      await expect(page.getByTestId('read-hint')).toHaveText(w.keepReading);
      await look(page, revisit, tag, '06-item-reading');
      await expect(revisit.no()).toBeEnabled({ timeout: UNLOCK_WAIT });
      await page.getByLabel(w.comment).fill(lang === 'en' ? 'I have not received the product brochure yet.' : '产品说明书还没有收到。');
      await look(page, revisit, tag, '07-item-ready');
      await revisit.no().click();

      await revisit.expectItem(2, 2);
      await page.getByTestId('answered-items').locator('summary').click();
      await look(page, revisit, tag, '08-item-look-back');
      await revisit.answer('yes');

      await expect(page.getByRole('heading', { name: w.signature })).toBeVisible();
      await look(page, revisit, tag, '09-signature');
      await page.getByTestId('signature-pad').scrollIntoViewIfNeeded();
      const box = await page.getByTestId('signature-pad').boundingBox();
      await page.mouse.move(box.x + 10, box.y + box.height * 0.3);
      await page.mouse.down();
      for (let i = 1; i <= 8; i++) {
        await page.mouse.move(box.x + (box.width - 20) * (i / 8) + 10, box.y + box.height * (i % 2 ? 0.7 : 0.3), { steps: 4 });
      }
      await page.mouse.up();
      await page.getByRole('button', { name: lang === 'en' ? 'Confirm signature' : '确认签名' }).click();

      await expect(page.getByRole('heading', { name: w.review })).toBeVisible();
      await look(page, revisit, tag, '10-review');
      await revisit.submit();
      await look(page, revisit, tag, '11-done');
    });

    test('switched, expired and error pages', async ({ insurer, revisit, page }) => {
      const w = WORDS[lang];
      const created = await insurer.createRevisit();
      await revisit.open(created.path);
      await revisit.switchToPhone();
      await look(page, revisit, tag, '12-switched');

      // The cooling-off period ends while the page is open elsewhere: the edge answers 410.
      const other = await insurer.createRevisit();
      await page.route(SESSION_LOAD, (route) => route.fulfill({
        status: 410, contentType: 'application/json',
        body: JSON.stringify({ code: 'link_expired', message: 'the cooling-off period is over' }),
      }));
      await page.goto(other.path);
      await expect(page.getByRole('heading', { name: w.expired })).toBeVisible();
      await look(page, revisit, tag, '13-expired');
      await page.unroute(SESSION_LOAD);

      // The network fails on the first load: a plain message and a retry, never a blank page.
      await page.route(SESSION_LOAD, (route) => route.abort('internetdisconnected'));
      await page.goto(other.path);
      await expect(page.getByRole('heading', { name: w.failed })).toBeVisible();
      await look(page, revisit, tag, '14-error');
      await page.unroute(SESSION_LOAD);
      await page.getByRole('button', { name: w.retry }).click();
      await expect(page.getByRole('button', { name: w.sendCode })).toBeVisible();
    });
  });
}
