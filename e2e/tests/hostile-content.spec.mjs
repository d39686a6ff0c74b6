// Names and script text that contain HTML or script render as inert text (issue 4, R6): the page
// shows the characters, builds no element from them, and runs nothing.
import { test, expect } from './fixtures/revisit.mjs';
import { loadScript } from '../lib/insurer.mjs';

test('HTML in the name and the script is shown as text, never run', async ({ insurer, origin, revisit, page }) => {
  const script = loadScript('scripts/default.json');
  script.items[0].text['zh-CN'].title = '<img src=x onerror="window.__pwned=1">您是本人吗？';
  script.items[0].text['zh-CN'].body = ['<script>window.__pwned=2</script>第一段', '<b>第二段</b>'];
  const created = await insurer.createRevisit({
    script,
    product: '<svg onload="window.__pwned=3">年金</svg>',
    policyholder: { name: '<i>张</i>三' },
  });
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await revisit.open(created.path);
  await expect(page.getByText('<svg onload="window.__pwned=3">年金</svg>').first()).toBeVisible();
  await revisit.verifyWithCode(origin, created.phone);
  await expect(page.getByRole('heading', { name: '<img src=x onerror="window.__pwned=1">您是本人吗？' })).toBeVisible();
  await expect(revisit.body()).toContainText('<script>window.__pwned=2</script>第一段');
  await expect(revisit.body()).toContainText('<b>第二段</b>');
  expect(await page.locator('main img, main svg[onload], main b, main i, main script').count()).toBe(0);
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
});
