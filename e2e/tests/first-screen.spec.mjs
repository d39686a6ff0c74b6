// The first screen before the app's WebAssembly (issue 19, part 1). The page's HTML holds no
// personal data and its GET binds nothing (a messaging app's link-preview bot fetches it, R6, R10);
// the page's first script (inline) then asks for the session and draws the landing, usable before
// the wasm has arrived; the app takes over without a flash, a second session request or a second
// code.
import { mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { test, expect, WORDS } from './fixtures/revisit.mjs';
import { insurerRequest, readDevVars } from '../lib/insurer.mjs';

test.describe.configure({ mode: 'parallel' });

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const SHOTS = '.state/screenshots';
mkdirSync(SHOTS, { recursive: true });
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const insurerGet = async (path) => (await insurerRequest(EDGE_URL, secret(), 'GET', path)).body;

// What link-preview fetchers send: no cookie, no script run, a crawler's user agent.
const BOTS = [
  'WhatsApp/2.23.20.0',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'TelegramBot (like TwitterBot)',
  'Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 MicroMessenger/8.0.40 (WeChat link preview)',
];

test('a link-preview bot fetching /r/<token> gets no personal data, binds nothing, and the link still works', async ({ insurer, origin, page }) => {
  const policyNumber = 'P2026' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const created = await insurer.createRevisit({ policy_number: policyNumber });
  const before = JSON.stringify(await insurerGet(`/v1/revisits/${created.revisit_id}/storage`));
  const phone = created.phone;
  // Every form of the personal data, whole and masked (R6), and the policy.
  const personal = ['张三丰', '张*', '张**', phone, `${phone.slice(0, 3)}****${phone.slice(7)}`, phone.slice(7),
    '鑫享人生', '11010519491231002X', policyNumber, `${policyNumber.slice(0, 2)}${'*'.repeat(policyNumber.length - 6)}${policyNumber.slice(-4)}`];
  for (const ua of BOTS) {
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(new URL(created.path, EDGE_URL), { method, headers: { 'user-agent': ua }, redirect: 'manual' });
      expect(res.status, `${method} as ${ua}`).toBe(200);
      expect(res.headers.getSetCookie(), 'no cookie is set').toEqual([]);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('link'), 'no preload hint: it would open the link').toBeNull();
      const html = await res.text();
      if (method === 'GET') expect(html).toContain('<noscript id="fallback-source">');
      for (const data of personal) expect(html, `${data} in the page's HTML`).not.toContain(data);
    }
  }
  // Nothing changed at the edge: not opened, not bound to a device, no language set.
  expect(JSON.stringify(await insurerGet(`/v1/revisits/${created.revisit_id}/storage`))).toBe(before);
  expect((await insurerGet(`/v1/revisits/${created.revisit_id}`)).stage).toBe('issued');

  // The policyholder's browser then opens it as if nobody had.
  await page.goto(created.path);
  await expect(page.getByText(`${phone.slice(0, 3)}****${phone.slice(7)}`)).toBeVisible();
  await page.getByRole('button', { name: WORDS['zh-CN'].sendCode }).click();
  await expect(page.getByLabel(WORDS['zh-CN'].codeLabel)).toBeVisible();
  expect(await origin.latestCode(phone)).toMatch(/^\d{6}$/);
  expect((await insurerGet(`/v1/revisits/${created.revisit_id}`)).stage).toBe('code_sent');
});

test('a browser that runs the app is told to ask for the session with the page, and asks once', async ({ insurer, page }) => {
  const created = await insurer.createRevisit();
  const token = created.path.split('/').pop();
  // The hint goes with the page, to a browser's navigation only (issue 19, edge/src/shell.rs).
  const navigation = page.waitForResponse((res) => new URL(res.url()).pathname === created.path);
  const { release, calls } = await openHeld(page, created.path);
  expect((await navigation).headers().link).toBe(`</v1/session/open/${token}>; rel=preload; as=fetch; crossorigin`);
  await expect(page.getByRole('button', { name: WORDS['zh-CN'].sendCode })).toBeEnabled();
  release();
  await taken(page);
  // The page's script took the preload's answer: one request, which opened and bound the link.
  expect(calls).toEqual({ 'GET /v1/session/open/<token>': 1 });
  expect((await insurerGet(`/v1/revisits/${created.revisit_id}`)).stage).toBe('opened');
  // Another browser is refused, as after any first open (R10).
  const other = await fetch(new URL(`/v1/session/open/${token}`, EDGE_URL));
  expect(other.status).toBe(403);
  expect((await other.json()).code).toBe('link_in_use');
});

/**
 * Opens `path` with the app's WebAssembly held back until `release()`; counts the calls to the
 * policyholder API by method and path.
 */
async function openHeld(page, path) {
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/app_bg.wasm*', async (route) => { await held; await route.continue(); });
  const calls = {};
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith('/v1/session')) {
      const key = `${req.method()} ${url.pathname.replace(/^\/v1\/session\/open\/[^/]+$/, '/v1/session/open/<token>')}`;
      calls[key] = (calls[key] ?? 0) + 1;
    }
  });
  await page.goto(path);
  return { release, calls };
}

const taken = (page) => page.waitForFunction(() => window.__huifangFirst?.taken === true);
const appHtml = (page) => page.evaluate(() => document.getElementById('app').innerHTML.replace(/<!--.*?-->/g, ''));

for (const { lang, large } of [{ lang: 'zh-CN', large: false }, { lang: 'en', large: false }, { lang: 'zh-CN', large: true }]) {
  const tag = `${lang}-${large ? 'large' : 'normal'}`;
  test.describe(tag, () => {
    test.use({
      locale: lang === 'en' ? 'en-GB' : 'zh-CN',
      extraHTTPHeaders: { 'Accept-Language': lang === 'en' ? 'en-GB,en;q=0.9' : 'zh-CN,zh;q=0.9' },
    });
    test.beforeEach(async ({ page }) => {
      if (large) await page.addInitScript(() => sessionStorage.setItem('huifang.large-text', '1'));
    });

    test('the landing is usable before the app arrives, and the app takes it over unchanged', async ({ insurer, page }) => {
      const w = WORDS[lang];
      const created = await insurer.createRevisit();
      const { release, calls } = await openHeld(page, created.path);
      const send = page.getByRole('button', { name: w.sendCode });
      await expect(send).toBeEnabled();
      expect(await page.evaluate(() => window.__huifangFirst.taken)).toBe(false);
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      if (large) await expect(page.locator('html')).toHaveAttribute('data-text', 'large');
      await expect(page.getByRole('button', { name: w.largeText })).toHaveAttribute('aria-pressed', String(large));
      // The first screen passes axe as the app's own landing does (pages.spec.mjs).
      const axe = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
      expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
      const firstHtml = await appHtml(page);
      const firstShot = await page.screenshot({ path: `${SHOTS}/first-${tag}-before-app.png`, fullPage: true });

      release();
      await taken(page);
      // Two frames, so that anything the app changed has been painted.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const appShot = await page.screenshot({ path: `${SHOTS}/first-${tag}-after-app.png`, fullPage: true });
      expect(await appHtml(page)).toBe(firstHtml);
      expect(appShot.equals(firstShot), 'the screenshots before and after the app took over').toBe(true);
      expect(calls).toEqual({ 'GET /v1/session/open/<token>': 1 });
      // And it is the app's now: the same button sends the code through the app.
      await send.click();
      await expect(page.getByLabel(w.codeLabel)).toBeVisible();
    });
  });
}

test('a code asked for before the app arrives is sent once, and the app carries on from it', async ({ insurer, origin, revisit, page }) => {
  const created = await insurer.createRevisit();
  const { release, calls } = await openHeld(page, created.path);
  const answered = page.waitForResponse((res) => res.url().endsWith('/v1/session/code'));
  await page.getByRole('button', { name: WORDS['zh-CN'].sendCode }).click();
  expect((await answered).status()).toBe(200);
  const code = await origin.latestCode(created.phone);
  release();
  await taken(page);
  await page.getByLabel(WORDS['zh-CN'].codeLabel).fill(code);
  await page.getByRole('button', { name: WORDS['zh-CN'].verify, exact: true }).click();
  await expect(page.getByTestId('progress')).toBeVisible();
  // The app may look at the code's SMS while the edge hands it off (GET /v1/session, app/src/session.rs
  // `follow_code`; on a loaded machine the hand-off can outlast its first look): neither a second
  // open nor a second code.
  const { 'GET /v1/session': looks = 0, ...sent } = calls;
  expect(sent).toEqual({ 'GET /v1/session/open/<token>': 1, 'POST /v1/session/code': 1, 'POST /v1/session/verify': 1 });
  expect(looks, 'looks at the code on its way').toBeLessThanOrEqual(3);
  const outbox = await (await fetch(`${process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788'}/sms/outbox?phone=${created.phone}&limit=10`)).json();
  expect(outbox.length, 'codes texted').toBe(1);
  await revisit.answer('yes');
});

test('a language and the phone switch chosen before the app arrives are the app\'s when it does', async ({ insurer, page }) => {
  const created = await insurer.createRevisit();
  const { release, calls } = await openHeld(page, created.path);
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('button', { name: WORDS.en.sendCode })).toBeEnabled();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByRole('button', { name: WORDS.en.switch, exact: true }).click();
  release();
  await taken(page);
  await expect(page.getByRole('button', { name: WORDS.en.switchConfirm })).toBeVisible();
  await expect(page.getByRole('button', { name: WORDS.en.sendCode })).toBeEnabled();
  expect(calls).toEqual({ 'GET /v1/session/open/<token>': 1, 'POST /v1/session/language': 1 });
  const storage = await insurerGet(`/v1/revisits/${created.revisit_id}/storage`);
  expect(JSON.parse(storage.session).lang).toBe('en');
});

test('while the session is slow the page shows its title, then the masthead and the phone switch, then the landing', async ({ insurer, page }) => {
  // app/index.html FIRST_WAIT_MS: up to 500 ms after the parse the shell shows only its title (the
  // landing usually answers by then); a slower answer gets the masthead, with the phone switch, and
  // a loading line, so that nobody waits without a way out (R7).
  const created = await insurer.createRevisit();
  let answer;
  const answered = new Promise((r) => { answer = r; });
  await page.route('**/v1/session/open/**', async (route) => { await answered; await route.continue(); });
  // What the page shows when it is parsed, read in the page (the wait is short: a check from here
  // could come after it on a loaded machine).
  await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
    const shown = (el) => !!el && getComputedStyle(el).display !== 'none';
    window.__atParse = {
      waiting: document.documentElement.getAttribute('data-first'),
      title: shown(document.querySelector('#app h1')) ? document.querySelector('#app h1').textContent : null,
      lead: shown(document.querySelector('#app .lead')),
      buttons: document.querySelectorAll('#app button').length,
    };
  }));
  await page.goto(created.path, { waitUntil: 'domcontentloaded' });
  expect(await page.evaluate(() => window.__atParse)).toEqual({ waiting: 'waiting', title: '保单回访', lead: false, buttons: 0 });
  const html = page.locator('html');
  const switchButton = page.getByRole('button', { name: WORDS['zh-CN'].switch, exact: true });
  // After the wait: the masthead with the switch, and the loading line.
  await expect(switchButton).toBeVisible();
  await expect(html).not.toHaveAttribute('data-first', /./);
  await expect(page.getByText('正在加载…')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/first-slow-session.png`, fullPage: true });
  answer();
  await expect(page.getByRole('button', { name: WORDS['zh-CN'].sendCode })).toBeEnabled();
  await expect(switchButton).toBeVisible();
});
