// Names and script text that contain HTML or script render as inert text (issue 4, R6): the page
// shows the characters, builds no element from them, and runs nothing. Each payload opens a dialog
// when it runs; the test ends by putting them into the same page as HTML (what a missing escape
// would do): in a browser told to ignore the page's Content-Security-Policy every dialog opens, so
// that "no dialog opened" means the escaping held; under the CSP (issue 12) none runs, and the
// browser reports each refusal: a second wall behind the escaping.
import { test, expect } from './fixtures/revisit.mjs';
import { loadScript } from '../lib/insurer.mjs';
import { watchCsp } from '../lib/csp.mjs';

const TITLE = '<img src=x onerror="alert(\'ran: title\')">您是本人吗？';
const BODY = ['<script>alert(\'ran: body\')</script>第一段', '<b>第二段</b>'];
const PRODUCT = '<svg><animate onbegin="alert(\'ran: product\')" attributeName="x" dur="1s"/></svg>年金';
const NAME = '<i>张</i>三';
/** The dialog each payload opens when it runs. */
const RUNS = ['ran: body', 'ran: product', 'ran: title'];

/** Puts `html` into the page unescaped, scripts included (a fragment parsed in the document). */
function injectUnescaped(page, html) {
  return page.evaluate((markup) => {
    const scratch = document.createElement('div');
    document.body.append(scratch);
    scratch.append(document.createRange().createContextualFragment(markup));
  }, html);
}

test('HTML in the name and the script is shown as text, never run', async ({ insurer, origin, revisit, page, browser }) => {
  const script = loadScript('scripts/default.json');
  script.items[0].text['zh-CN'].title = TITLE;
  script.items[0].text['zh-CN'].body = BODY;
  const created = await insurer.createRevisit({ script, product: PRODUCT, policyholder: { name: NAME } });
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await revisit.open(created.path);
  await expect(page.getByText(PRODUCT).first()).toBeVisible();
  await revisit.verifyWithCode(origin, created.phone);
  await expect(page.getByRole('heading', { name: TITLE })).toBeVisible();
  await expect(revisit.body()).toContainText(BODY[0]);
  await expect(revisit.body()).toContainText(BODY[1]);
  // An image that failed to load fires its handler at once; give any late one time to show.
  await page.waitForLoadState('load');
  expect(await page.locator('main img, main animate, main b, main i, main script').count()).toBe(0);
  expect(await page.locator('header img, header animate, header i').count()).toBe(0);
  expect(dialogs).toEqual([]);

  // The control: the same strings put into the same page as HTML (what a missing escape would
  // do), in a browser that ignores the page's CSP, run, each opening its dialog, so the silence
  // above is the escaping's doing. Under the CSP (another browser, the same page) none runs, and
  // each is reported.
  for (const bypassCSP of [true, false]) {
    const context = await browser.newContext({ bypassCSP });
    const other = await context.newPage();
    const ran = [];
    other.on('dialog', (d) => { ran.push(d.message()); d.dismiss(); });
    const violations = await watchCsp(other);
    await other.goto(created.path.startsWith('http') ? created.path : new URL(created.path, page.url()).href);
    await expect(other.getByRole('heading', { name: /./ }).first()).toBeVisible();
    for (const html of [TITLE, ...BODY, PRODUCT, NAME]) await injectUnescaped(other, html);
    if (bypassCSP) {
      await expect.poll(() => [...ran].sort(), { message: 'each payload, injected without the CSP, opened its dialog' }).toEqual(RUNS);
    } else {
      // The injected <script>, the onerror handler and the SVG onbegin handler: each refused.
      await expect.poll(() => violations.filter((v) => v.includes('securitypolicyviolation:')).length, { message: 'each payload refused by the CSP' }).toBeGreaterThanOrEqual(3);
      await other.waitForTimeout(1_500);
      expect(ran, 'no payload ran under the CSP').toEqual([]);
    }
    await context.close();
  }
});
