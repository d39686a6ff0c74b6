// Old browsers, never a blank screen (issue 4, part 7; R7). A browser that cannot run the app — no
// WebAssembly (V8 without a JIT, --jitless), or no JavaScript at all — gets a plain
// Chinese page that explains and still switches to a phone revisit through a plain form; the
// shell paints before the app arrives; the app itself still starts where it can, and its shell is
// then kept by the service worker. Screenshots go to .state/screenshots/fallback-*.png.
import { mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import config from '../playwright.config.mjs';
import { test, expect, SESSION_LOAD } from './fixtures/revisit.mjs';
import { insurerRequest, readDevVars } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';
import { watchCsp } from '../lib/csp.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const SHOTS = '.state/screenshots';
mkdirSync(SHOTS, { recursive: true });

/** The insurer's view of a revisit (GET /v1/revisits/{id}). */
async function status(revisitId) {
  const secret = readDevVars('.dev.vars').INSURER_API_SECRET;
  const res = await insurerRequest(EDGE_URL, secret, 'GET', `/v1/revisits/${revisitId}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** axe-core finds no WCAG 2.x A/AA or best-practice violation, and nothing scrolls sideways. */
async function expectAccessible(page, name) {
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(sideways, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(found, `axe on ${name}`).toEqual([]);
}

/** The fallback page, by what a person reads on it. */
class FallbackPage {
  constructor(page) { this.page = page; }
  heading() { return this.page.getByRole('heading', { name: '此浏览器无法打开电子回访' }); }
  switchButton() { return this.page.getByRole('button', { name: '改为电话回访' }); }
  async expectShown() {
    await expect(this.heading()).toBeVisible();
    // By role and text content: Playwright's getByText skips what sits in <noscript>.
    await expect(this.page.getByRole('list')).toContainText('在浏览器中打开');
    await expect(this.switchButton()).toBeVisible();
    // Only the fallback: no endless "loading" line next to it.
    await expect(this.page.getByText('正在加载…')).toBeHidden();
  }
  /** Taps the switch; returns the HTTP status of the page it leads to and the path it posted to:
      the link itself without scripts, /v1/session/phone-form/<token> with them (edge/src/fallback.rs). */
  async switchToPhone() {
    const [response] = await Promise.all([
      this.page.waitForResponse((r) => r.request().method() === 'POST'),
      this.switchButton().click(),
    ]);
    await this.page.waitForLoadState('load');
    this.postedTo = new URL(response.url()).pathname;
    return response.status();
  }
}

/** The switch was recorded: the insurer sees it, and the origin holds the sealed record. */
async function expectSwitchedAndDelivered(origin, revisitId) {
  expect((await status(revisitId)).stage).toBe('switched_to_phone');
  const stored = await origin.record(revisitId);
  expect(stored.verified).toBe(true);
  expect(stored.sealed.record.outcome).toBe('switched_to_phone');
  await expect.poll(async () => (await status(revisitId)).delivered, { message: 'delivery acknowledged' }).toBe(true);
}

// A Chromium of its own whose V8 runs without a JIT (--jitless): it has no WebAssembly at all, like
// iOS in Lockdown Mode or a hardened WebView. (--noexpose_wasm no longer hides it in Chromium 156.)
const withoutWasm = test.extend({
  browser: [async ({ playwright }, use) => {
    const { launchOptions } = config.use;
    const browser = await playwright.chromium.launch({
      ...launchOptions,
      args: [...launchOptions.args, '--js-flags=--jitless'],
    });
    await use(browser);
    await browser.close();
  }, { scope: 'worker' }],
});

withoutWasm.describe('a browser without WebAssembly', () => {
  withoutWasm('the link shows the fallback page, whose button switches to a phone revisit', async ({ page, insurer, origin }) => {
    const created = await insurer.createRevisit();
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(created.path);
    expect(await page.evaluate(() => typeof WebAssembly)).toBe('undefined');

    const fallback = new FallbackPage(page);
    await fallback.expectShown();
    await expect(page.getByTestId('fallback')).toHaveAttribute('data-missing', 'webassembly');
    // The shell's own lines stay: what this page is.
    await expect(page.getByRole('heading', { name: '保单回访', level: 1 })).toBeVisible();
    // The app is never started: it would have opened the session (GET /v1/session).
    expect(fetched, 'requests before the switch').not.toContain('/v1/session');
    await page.screenshot({ path: `${SHOTS}/fallback-no-wasm.png`, fullPage: true });
    await expectAccessible(page, 'the fallback page');

    expect(await fallback.switchToPhone()).toBe(200);
    expect(fallback.postedTo).toBe(`/v1/session/phone-form/${created.token}`);
    await expect(page.getByRole('heading', { name: '已为您改为电话回访' })).toBeVisible();
    await expect(page.getByText('保险公司将在犹豫期内致电您完成回访')).toBeVisible();
    // The edge's page: its own stylesheet applies under its CSP (the page fixture fails the test on
    // any violation the browser reports).
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.querySelector('h1')).fontSize)).toBe('27px');
    await page.screenshot({ path: `${SHOTS}/fallback-switched.png`, fullPage: true });
    await expectAccessible(page, 'the switched page');
    await expectSwitchedAndDelivered(origin, created.revisit_id);

    // Another browser on the same link afterwards: the refusal in words, with its code.
    const other = await page.context().browser().newContext();
    try {
      const second = await other.newPage();
      // A browser of its own, outside the page fixture: watched for CSP violations here.
      const secondCsp = await watchCsp(second);
      await second.goto(created.path);
      const again = new FallbackPage(second);
      await again.expectShown();
      expect(await again.switchToPhone()).toBe(410);
      await expect(second.getByRole('heading', { name: '本次回访已经结束' })).toBeVisible();
      await expect(second.getByText('无需再操作')).toBeVisible();
      await expect(second.getByText('revisit_finished')).toBeVisible();
      await second.screenshot({ path: `${SHOTS}/fallback-finished.png`, fullPage: true });
      expect(secondCsp, 'CSP violations in the second browser').toEqual([]);
    } finally {
      await other.close();
    }
  });

  withoutWasm('a second browser cannot switch a link that another device opened (R10)', async ({ page, insurer }) => {
    const created = await insurer.createRevisit();
    // The policyholder's own phone opened the link in the app: the link is bound to it.
    const phone = new PolicyholderClient(EDGE_URL, created.token);
    expect((await phone.open()).status).toBe(200);

    await page.goto(created.path);
    const fallback = new FallbackPage(page);
    await fallback.expectShown();
    expect(await fallback.switchToPhone()).toBe(403);
    await expect(page.getByRole('heading', { name: '此链接已在另一台设备上打开' })).toBeVisible();
    await expect(page.getByText('只能在第一次打开它的手机或浏览器上使用')).toBeVisible();
    await expect(page.getByText('link_in_use')).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/fallback-link-in-use.png`, fullPage: true });
    await expectAccessible(page, 'the refusal page');
    // Nothing changed: the revisit goes on, on the device that opened it.
    expect((await status(created.revisit_id)).stage).toBe('opened');
    expect((await phone.open()).status).toBe(200);
  });
});

test.describe('a browser without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the noscript page explains, and its form switches to a phone revisit', async ({ page, insurer, origin }) => {
    const created = await insurer.createRevisit();
    await page.goto(created.path);
    const fallback = new FallbackPage(page);
    await fallback.expectShown();
    await page.screenshot({ path: `${SHOTS}/fallback-noscript.png`, fullPage: true });
    // axe needs page scripts; this markup is the one axe checks above, as the fallback of a browser
    // without WebAssembly. Here only: nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);

    expect(await fallback.switchToPhone()).toBe(200);
    expect(fallback.postedTo).toBe(created.path);
    await expect(page.getByRole('heading', { name: '已为您改为电话回访' })).toBeVisible();
    await expectSwitchedAndDelivered(origin, created.revisit_id);
  });
});

test.describe('a browser whose WebAssembly is too old', () => {
  test('a missing feature the build relies on shows the fallback, before anything is loaded', async ({ page, insurer }) => {
    // As a browser before reference types (Chrome < 96, Safari < 15): its validator refuses the
    // externref type (0x6f), which only boot.js's reference-types probe contains.
    await page.addInitScript(() => {
      const validate = WebAssembly.validate.bind(WebAssembly);
      WebAssembly.validate = (bytes) => !new Uint8Array(bytes).includes(0x6f) && validate(bytes);
    });
    const created = await insurer.createRevisit();
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(created.path);
    await new FallbackPage(page).expectShown();
    await expect(page.getByTestId('fallback')).toHaveAttribute('data-missing', 'reference-types');
    expect(fetched, 'the app is never started').not.toContain('/v1/session');
  });
});

test.describe('a browser that runs the app, without service workers (many in-app browsers)', () => {
  test.use({ serviceWorkers: 'block' });

  test('a returning policyholder whose app does not load can still switch, on the phone the link is bound to', async ({ page, insurer, origin }) => {
    const created = await insurer.createRevisit();
    await page.goto(created.path);
    // The app opened the session: the link is bound to this browser's device cookie (R10).
    await expect(page.getByRole('button', { name: '获取验证码' })).toBeVisible();
    await page.route('**/app.js*', (route) => route.abort('connectionreset'));
    await page.reload();
    await expect(page.getByRole('alert')).toContainText('页面没有加载完成');
    const fallback = new FallbackPage(page);
    expect(await fallback.switchToPhone()).toBe(200);
    await expect(page.getByRole('heading', { name: '已为您改为电话回访' })).toBeVisible();
    await expectSwitchedAndDelivered(origin, created.revisit_id);
  });
});

test.describe('a browser that runs the app', () => {
  test('when the app\'s files do not arrive, the page says so and offers a retry and the switch', async ({ page, insurer }) => {
    const created = await insurer.createRevisit();
    await page.route('**/app.js*', (route) => route.abort('connectionreset'));
    await page.goto(created.path);
    await expect(page.getByRole('alert')).toContainText('页面没有加载完成');
    await expect(page.getByRole('button', { name: '重试' })).toBeVisible();
    await expect(page.getByRole('button', { name: '改为电话回访' })).toBeVisible();
    await expect(page.getByText('正在加载…')).toBeHidden();
    await page.screenshot({ path: `${SHOTS}/fallback-load-failed.png`, fullPage: true });
    await expectAccessible(page, 'the load-failed page');
    // The retry loads the page again, and this time the app starts.
    await page.unroute('**/app.js*');
    await page.getByRole('button', { name: '重试' }).click();
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(page.getByText('正在加载…')).toBeHidden();
    await expect(page.getByRole('button', { name: '改为电话回访' })).toBeVisible();
  });

  test('the shell paints its text before the session and the WebAssembly arrive', async ({ page, insurer }) => {
    const created = await insurer.createRevisit();
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    // The session's answer draws the landing before the app (boot.js, issue 19): both are held.
    await page.route(SESSION_LOAD, async (route) => { await held; await route.continue(); });
    await page.route('**/app_bg.wasm*', async (route) => { await held; await route.continue(); });
    try {
      await page.goto(created.path, { waitUntil: 'domcontentloaded' });
      await expect(page.getByRole('heading', { name: '保单回访', level: 1 })).toBeVisible();
      // The first screen (issue 19) has replaced the shell's lead with the app's loading page and
      // its header, whose choices work before the session answers.
      await expect(page.getByText('正在加载…')).toBeVisible();
      await expect(page.getByRole('button', { name: '大字模式' })).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/fallback-shell.png`, fullPage: true });
      await expectAccessible(page, 'the loading shell');
    } finally {
      release();
    }
    // Then the app replaces the shell.
    await expect(page.getByText('正在加载…')).toBeHidden();
    await expect(page.getByRole('button', { name: '改为电话回访' })).toBeVisible();
  });

  test('with WebAssembly the app starts, never the fallback, and the shell is cached for next time', async ({ page, insurer }) => {
    const created = await insurer.createRevisit();
    await page.goto(created.path);
    expect(await page.evaluate(() => typeof WebAssembly)).toBe('object');
    await expect(page.getByRole('button', { name: '改为电话回访' })).toBeVisible();
    await expect(page.getByTestId('fallback')).toHaveCount(0);
    await expect(page.getByRole('heading', { name: '此浏览器无法打开电子回访' })).toHaveCount(0);

    // The service worker precaches exactly this build's shell, under this build's cache name.
    const cached = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      const names = await caches.keys();
      const keys = names.length === 1 ? await (await caches.open(names[0])).keys() : [];
      return { names, paths: keys.map((r) => { const u = new URL(r.url); return u.pathname + u.search; }).sort() };
    });
    expect(cached.names).toEqual([expect.stringMatching(/^huifang-shell-[0-9a-f]{12}$/)]);
    const build = cached.names[0].slice('huifang-shell-'.length);
    expect(cached.paths).toEqual(['/', ...['/app.js', '/app_bg.wasm', '/boot.js', '/start.js'].map((p) => `${p}?v=${build}`)].sort());

    // A second visit starts from the phone: the app's files come from the service worker. Each
    // response is noted as it arrives (a listener that awaited inside could still be running when
    // the check below reads the list), and the check waits until every file of the shell has
    // answered, so a file still on its way cannot be missed.
    const answered = [];
    page.on('response', (res) => {
      const path = new URL(res.url()).pathname;
      if (/\.(js|wasm|css)$/.test(path)) answered.push({ path, from: res.fromServiceWorker() ? 'service worker' : 'network' });
    });
    await page.reload();
    await expect(page.getByRole('button', { name: '改为电话回访' })).toBeVisible();
    // boot.js is kept too, but asked for only when the app cannot run (issue 19).
    const files = ['/app.js', '/app_bg.wasm', '/start.js'];
    await expect.poll(() => files.filter((f) => !answered.some((a) => a.path === f)), { message: 'files of the shell not yet answered' }).toEqual([]);
    expect(answered.filter((a) => a.from !== 'service worker'), 'files fetched from the network').toEqual([]);
  });
});
