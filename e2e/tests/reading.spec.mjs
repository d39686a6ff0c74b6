// Reading is enforced, kindly (issue 4, R9): the answer buttons unlock only once the item's text has
// been scrolled to its end and shown for its minimum time; a short text that fits counts as read
// when shown. The countdown is calm (no live region). A "no" is a problem case and the revisit goes
// on (R12); earlier items can be looked at again, read-only; a reload resumes where the edge says;
// an answer whose response was lost is not counted twice; the language can be changed on the page.
import { test, expect, longItem, readingScript, RevisitPage, SESSION_LOAD, UNLOCK_WAIT } from './fixtures/revisit.mjs';

import { loadScript } from '../lib/insurer.mjs';

// The tests are independent: let the suite's two workers share them.
test.describe.configure({ mode: 'parallel' });
// No service worker: a reload must fetch the app's files through the network, where a test can hold
// them back (the cached shell has its own tests in fallback.spec.mjs).
test.use({ serviceWorkers: 'block' });

const COUNTDOWN = /^请继续阅读（还需 \d+ 秒）$/;
const READ_TO_END = '请在上方方框内向下滑动，读完本项后再回答。';

test('confirm waits for the end of the text and for the minimum time', async ({ insurer, origin, revisit, page }) => {
  const base = loadScript('scripts/default.json');
  const short = { ...base.items[0], min_read_secs: 3 };
  const script = { ...base, items: [short, longItem('long-quick', 1), longItem('long-slow', 4)] };
  const created = await insurer.createRevisit({ script, readingSecs: null });
  await revisit.open(created.path);
  await revisit.watchGates();
  await revisit.verifyWithCode(origin, created.phone);
  const hint = page.getByTestId('read-hint');

  // 1. A short text needs no scrolling: only the time holds it, and the hint counts down.
  // The countdown changes every second: it must not be (or be inside) a live region.
  const live = await hint.evaluate((el) => {
    for (let n = el; n; n = n.parentElement) {
      if (n.hasAttribute('aria-live') || ['status', 'alert', 'log', 'timer'].includes(n.getAttribute('role'))) return true;
    }
    return false;
  });
  expect(live).toBe(false);
  await expect(revisit.yes()).toBeEnabled({ timeout: UNLOCK_WAIT });
  const [first] = await revisit.gates(1);
  // Both answers were locked when the item appeared, pointing at the hint, which counted down.
  expect(first.lockedWhenShown).toBe(true);
  expect(first.describedBy).toBe('read-hint');
  const countdown = (gate) => gate.hints.map((h) => h.text).filter((t) => COUNTDOWN.test(t));
  expect(countdown(first)[0]).toMatch(/还需 [1-3] 秒/);
  // Not unlocked before its 3 s on the page's clock (less the page's own render time).
  expect(first.unlockedAt - first.shownAt).toBeGreaterThanOrEqual(2_500);
  await expect(hint).toBeHidden();
  await expect(revisit.yes()).not.toHaveAttribute('aria-describedby', /./);
  await expect(page.getByRole('status')).toHaveText('已阅读完毕，请选择您的回答。');
  // Nothing pre-selected: both answers are plain buttons, neither pressed or checked.
  await expect(page.locator('main :checked, main [aria-pressed="true"]')).toHaveCount(0);
  await revisit.yes().click();

  // 2. A long text: its minimum time passes, but it stays locked until scrolled to the end.
  await revisit.expectItem(2, 3);
  await expect(hint).toHaveText(READ_TO_END);
  await page.waitForTimeout(1_500);
  await expect(revisit.yes()).toBeDisabled();
  await revisit.scrollBodyToEnd();
  await expect(revisit.yes()).toBeEnabled({ timeout: UNLOCK_WAIT });
  await revisit.yes().click();

  // 3. A long text scrolled at once: the time still holds it. It starts at its top, whatever the
  // box of the item before was scrolled to.
  await revisit.expectItem(3, 3);
  await expect(hint).toHaveText(READ_TO_END);
  expect(await revisit.body().evaluate((el) => el.scrollTop)).toBe(0);
  const scrolledAt = await revisit.scrollBodyToEnd();
  await page.getByLabel('补充说明（可选）').fill('犹豫期的规定我还不太清楚');
  await expect(revisit.no()).toBeEnabled({ timeout: UNLOCK_WAIT });
  const [, second, third] = await revisit.gates(3);
  expect(second.lockedWhenShown).toBe(true);
  expect(second.hints[0].text).toBe(READ_TO_END);
  expect(third.lockedWhenShown).toBe(true);
  expect(third.hints[0].text).toBe(READ_TO_END);
  // Unlocked only after the scroll, and no sooner than its 4 s (less the page's render time).
  expect(third.unlockedAt).toBeGreaterThanOrEqual(scrolledAt);
  expect(third.unlockedAt - third.shownAt).toBeGreaterThanOrEqual(3_500);
  // The time left when its end came into view was shown as a countdown (on a machine slow
  // enough to take the whole 4 s to scroll, none was left to show).
  if (scrolledAt - third.shownAt < 3_000) expect(countdown(third)).not.toEqual([]);
  await revisit.no().click();

  // A "no" does not stop the revisit: the review shows it with its comment, then it is submitted.
  await expect(page.getByRole('heading', { name: '请确认提交' })).toBeVisible();
  await expect(page.locator('.review-list li').nth(2)).toContainText('有疑问');
  await expect(page.locator('.review-list li').nth(2)).toContainText('犹豫期的规定我还不太清楚');
  await revisit.submit();
  await expect(page.getByText('您对 1 项内容表示有疑问')).toBeVisible();

  const stored = await origin.record(created.revisit_id);
  const items = stored.sealed.record.items;
  expect(items.map((i) => i.answer)).toEqual(['yes', 'yes', 'no']);
  expect(items[2].comment).toBe('犹豫期的规定我还不太清楚');
  expect(items[2].problem_on_no).toBe(true);
  expect(stored.problem_cases).toBe(1);
  // The edge saw each answer no sooner than its minimum time (R10: nothing flagged as rushed).
  expect(stored.sealed.record.flags.filter((f) => f.kind === 'answered_too_fast')).toEqual([]);
});

test('time with the page hidden behind another app does not count as reading', async ({ insurer, origin, revisit, page }) => {
  const created = await insurer.createRevisit({ readingSecs: 3 });
  await revisit.open(created.path);
  // The page goes behind another app the moment the first item appears, for longer than the
  // item's 3 s, then comes back.
  await revisit.watchGates({ hideOnShow: true });
  await revisit.verifyWithCode(origin, created.phone);
  const [hidden] = await revisit.gates(1);
  await page.waitForTimeout(4_000);
  const shownAgainAt = await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { value: false, configurable: true });
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    // As browsers fire it: at the document, bubbling to the window.
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
    return performance.now();
  });
  // Four seconds went by, but none of them on screen: the item still needs its time, and says so.
  await expect(revisit.yes()).toBeEnabled({ timeout: UNLOCK_WAIT });
  const [item] = await revisit.gates(1);
  expect(item.lockedWhenShown).toBe(true);
  const countingAfter = item.hints.filter((h) => h.at >= shownAgainAt && COUNTDOWN.test(h.text));
  expect(countingAfter.length, `the countdown went on once shown again: ${JSON.stringify(item.hints)}`).toBeGreaterThan(0);
  expect(shownAgainAt - hidden.hiddenAt, 'hidden for longer than the reading time').toBeGreaterThan(3_000);
  expect(item.unlockedAt, 'still locked when shown again').toBeGreaterThan(shownAgainAt);
  // Its 3 s counted on screen only: before it was hidden, and after it came back.
  const onScreen = (hidden.hiddenAt - item.shownAt) + (item.unlockedAt - shownAgainAt);
  expect(onScreen).toBeGreaterThanOrEqual(2_500);
});

test('a reload resumes at the same item, earlier answers can be looked at, and a lost response is not counted twice', async ({ insurer, origin, revisit, page }) => {
  const created = await insurer.createRevisit();
  const total = 7;
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  await revisit.answer('yes');
  await revisit.expectItem(2, total);
  await revisit.answer('no', '合同还没有收到');
  await revisit.expectItem(3, total);
  // The next item starts with an empty comment: nothing carried over from the last.
  await expect(page.getByLabel('补充说明（可选）')).toHaveValue('');

  await page.reload();
  await revisit.expectItem(3, total);
  // The look-back list: the two answered items, read-only, with their answers and the comment.
  const lookBack = page.getByTestId('answered-items');
  await lookBack.getByText('查看已答项目（2 项）').click();
  await expect(lookBack.locator('li')).toHaveCount(2);
  await expect(lookBack.locator('li').nth(0)).toContainText('已确认');
  await expect(lookBack.locator('li').nth(1)).toContainText('有疑问');
  await expect(lookBack.locator('li').nth(1)).toContainText('合同还没有收到');
  await expect(lookBack.getByRole('button')).toHaveCount(0);

  // The answer reaches the edge but its response is lost on the way back.
  await page.route('**/v1/session/items/2', async (route) => {
    await route.fetch();
    await route.abort('connectionreset');
  });
  await revisit.answer('yes', undefined, { moveOn: false });
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('网络不稳定');
  await page.unroute('**/v1/session/items/2');
  // 重试 sends it again; the edge says it is already answered and the page just moves on.
  await notice.getByRole('button', { name: '重试' }).click();
  await revisit.expectItem(4, total);
  await expect(notice).toHaveCount(0);
  for (let n = 4; n <= total; n++) await revisit.answer('yes');
  await revisit.submit();

  const record = (await origin.record(created.revisit_id)).sealed.record;
  expect(record.items.map((i) => i.answer)).toEqual(['yes', 'no', 'yes', 'yes', 'yes', 'yes', 'yes']);
  const answered = record.trace.filter((e) => e.event === 'item_answered').map((e) => e.index);
  expect(answered).toEqual([0, 1, 2, 3, 4, 5, 6]);
});

test('the language can be changed on the page, and each item is recorded in the language it was shown in', async ({ insurer, origin, revisit, page }) => {
  const script = readingScript(1);
  const created = await insurer.createRevisit({ script, readingSecs: null });
  await revisit.open(created.path);
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'Policy revisit' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('button', { name: 'English' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('button', { name: '中文' })).toHaveAttribute('aria-pressed', 'false');

  const en = new (revisit.constructor)(page, 'en');
  await en.verifyWithCode(origin, created.phone);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(script.items[0].text.en.title);
  await en.answer('yes');
  // Back to Chinese in the middle of an item: its text comes again, in Chinese.
  await page.getByRole('button', { name: '中文' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(script.items[1].text['zh-CN'].title);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  for (let n = 2; n <= script.items.length; n++) await revisit.answer('yes');
  await revisit.submit();

  const record = (await origin.record(created.revisit_id)).sealed.record;
  expect(record.items.map((i) => i.lang)).toEqual(['en', ...Array(script.items.length - 1).fill('zh-CN')]);
  expect(record.items[0].title).toBe(script.items[0].text.en.title);
  expect(record.trace.filter((e) => e.event === 'language_chosen').map((e) => e.lang)).toEqual(expect.arrayContaining(['en', 'zh-CN']));
});

test('a language picked while the page is still loading is kept, and the edge hears of it', async ({ insurer, origin, page }) => {
  const script = readingScript(1);
  const created = await insurer.createRevisit({ script, readingSecs: null });
  // The session's first load is held back until English has been picked (a slow network, or a
  // loaded phone): the choice must survive the load's view, which is in the session's language.
  let releaseLoad;
  const held = new Promise((resolve) => { releaseLoad = resolve; });
  let loads = 0;
  await page.route(SESSION_LOAD, async (route) => {
    if (route.request().method() === 'GET' && loads++ === 0) await held;
    await route.continue();
  });
  await page.goto(created.path);
  await expect(page.locator('.page.loading')).toBeVisible();
  await page.getByRole('button', { name: 'English' }).click();
  releaseLoad();
  const en = new RevisitPage(page, 'en');
  await expect(page.getByRole('button', { name: en.w.sendCode })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('button', { name: 'English' })).toHaveAttribute('aria-pressed', 'true');
  // It stays English: nothing comes afterwards to put the page back in Chinese.
  await page.waitForLoadState('networkidle');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await en.verifyWithCode(origin, created.phone);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(script.items[0].text.en.title);
  await page.unroute(SESSION_LOAD);
  await en.switchToPhone();
  const record = (await origin.record(created.revisit_id)).sealed.record;
  expect(record.trace.filter((e) => e.event === 'language_chosen').map((e) => e.lang)).toEqual(['en']);
});

test('large text is kept for the session and nothing scrolls sideways at 320 px', async ({ insurer, origin, revisit, page }) => {
  await page.setViewportSize({ width: 320, height: 640 });
  const created = await insurer.createRevisit({
    // A long unbroken string must wrap too.
    product: '超长产品名称'.repeat(3) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.repeat(2),
  });
  await revisit.open(created.path);
  await revisit.expectNoSidewaysScroll();
  await revisit.largeText();
  await revisit.expectNoSidewaysScroll();
  // A reload shows large text from the first paint: the shell has it before the app starts (the
  // wasm is held back here until the shell has been looked at).
  let releaseWasm;
  const held = new Promise((resolve) => { releaseWasm = resolve; });
  await page.route(/app_bg\.wasm/, async (route) => { await held; await route.continue(); });
  await page.reload({ waitUntil: 'domcontentloaded' });
  // The first screen (issue 19) draws the page as soon as it is parsed, before the wasm, styled
  // from the start: the stylesheet is inside the page.
  await expect(page.locator('.page h1')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.getAttribute('data-text'))).toBe('large');
  expect(await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize))).toBeGreaterThanOrEqual(22);
  releaseWasm();
  await expect(revisit.largeTextToggle()).toHaveAttribute('aria-pressed', 'true');
  expect(await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize))).toBeGreaterThanOrEqual(22);
  await revisit.verifyWithCode(origin, created.phone);
  await revisit.expectNoSidewaysScroll();
  // Every control is at least 44 px tall (tap targets, MIIT and WCAG 2.5.5).
  const small = await page.evaluate(() => [...document.querySelectorAll('button, summary, textarea')]
    .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
    .map((el) => el.outerHTML.slice(0, 80)));
  expect(small).toEqual([]);
  // 大字模式 off again.
  await revisit.largeTextToggle().click();
  await expect(revisit.largeTextToggle()).toHaveAttribute('aria-pressed', 'false');
  expect(await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize))).toBeLessThan(22);
});

test('read aloud is offered where the browser can speak, and hidden where it cannot', async ({ insurer, origin, revisit, page }) => {
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  await expect(page.getByRole('button', { name: '朗读本项' })).toBeVisible();
  // An in-app browser without speech synthesis: the same item, no button.
  await page.addInitScript(() => {
    for (const name of ['speechSynthesis', 'SpeechSynthesisUtterance']) {
      delete Window.prototype[name];
      delete window[name];
      Object.defineProperty(window, name, { value: undefined, configurable: true });
    }
  });
  await page.reload();
  await revisit.expectItem(1, 7);
  await expect(page.getByRole('button', { name: '朗读本项' })).toHaveCount(0);
});

test('switching to a phone revisit from the last page, before submitting', async ({ insurer, origin, revisit, page }) => {
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  for (let n = 1; n <= 7; n++) await revisit.answer('yes');
  await expect(page.getByRole('heading', { name: '请确认提交' })).toBeVisible();
  await revisit.switchToPhone('想和客服当面确认');

  const record = (await origin.record(created.revisit_id)).sealed.record;
  expect(record.outcome).toBe('switched_to_phone');
  expect(record.switch_reason).toBe('想和客服当面确认');
  expect(record.items.every((i) => i.answer === 'yes')).toBe(true);
});
