// R8, issue 19: a code's SMS goes to the insurer's SMS hook (the origin's POST /sms) after the
// answer of POST /v1/session/code, queued in the session object's storage and retried by its alarm.
// With the origin down, the page still tells the policyholder the SMS cannot be sent (the words of
// sms_unavailable) and lets them ask again at once; when the origin is back the queued code goes out
// by itself, or the new code replaces the one that never left. Real workerd, real origin, Chromium.
import { execFileSync } from 'node:child_process';
import AxeBuilder from '@axe-core/playwright';
import { test, expect, WORDS } from './fixtures/revisit.mjs';
import { insurerRequest, readDevVars } from '../lib/insurer.mjs';
import { smsOutbox, sleep } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const stack = (action, part) => execFileSync('tools/stack-ctl.sh', [action, part], { stdio: 'inherit' });
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const w = WORDS['zh-CN'];
const UNSENT = '短信暂时无法发送，请稍后重试。';

/** The session object's stored session (STORAGE_INSPECTION), parsed. */
async function storedSession(revisitId) {
  const dump = (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${revisitId}/storage`)).body;
  return { text: dump.session, session: JSON.parse(dump.session) };
}

// Stops the origin: runs in its own project, alone, after the others (playwright.config.mjs).
test.describe.configure({ mode: 'serial' });

test('a code the SMS hook does not take: the page says so, and the code goes out once the hook is back', async ({ insurer, revisit, page }) => {
  test.skip(!process.env.STACK_DIR, 'needs the stack started by tools/stack.sh (STACK_DIR)');
  test.setTimeout(90_000);
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  stack('stop', 'origin');
  try {
    await page.getByRole('button', { name: w.sendCode }).click();
    // The answer came before the hand-off: the code page, then the words of the failed SMS, with
    // the offer of another code at once (the resend gap does not hold a code that never left).
    await expect(page.getByLabel(w.codeLabel)).toBeVisible();
    const notice = page.getByTestId('notice');
    await expect(notice).toContainText(UNSENT);
    await expect(notice.getByRole('button', { name: w.retry })).toBeEnabled();
    await expect(page.getByRole('button', { name: '重新发送' })).toBeEnabled();
    // "Sent to …" is not said of a code that has not left.
    await expect(page.getByText('验证码已发送至')).toHaveCount(0);
    const axe = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help}`), 'axe on the unsent code').toEqual([]);
    // Queued in the object's storage, as the salt beside the hash: no code, no SMS text.
    const { text, session } = await storedSession(created.revisit_id);
    expect(session.code.handoff).toMatchObject({ state: 'queued' });
    expect(session.code.handoff.failures).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('验证码');
  } finally {
    stack('start', 'origin');
  }
  // Back: the alarm's next try hands it off, nobody asks again; the page's words go.
  const [sms] = await smsOutbox(ORIGIN_URL, created.phone, 1, 20_000);
  expect(sms?.code).toMatch(/^\d{6}$/);
  await expect(page.getByTestId('notice')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByText('验证码已发送至')).toBeVisible();
  const { session } = await storedSession(created.revisit_id);
  expect(session.code.handoff).toBeUndefined(); // sent: not written
  // Never the code itself (as a value, or in its SMS's words); only its salt and hash.
  expect(JSON.stringify(session)).not.toContain(`"${sms.code}"`);
  expect(JSON.stringify(session)).not.toContain('验证码');
  expect(Object.keys(session.code).sort()).toEqual(['digest', 'salt', 'sent_at', 'wrong_tries']);
  await page.getByLabel(w.codeLabel).fill(sms.code);
  await page.getByRole('button', { name: w.verify, exact: true }).click();
  await expect(page.getByTestId('progress')).toBeVisible();
  // Handed off once: no second SMS from a later retry.
  await sleep(3_000);
  expect(await smsOutbox(ORIGIN_URL, created.phone, 2, 0)).toHaveLength(1);
});

test('asked again while the hook fails: the new code replaces the one that never left, and only it goes out', async ({ insurer, revisit, page }) => {
  test.skip(!process.env.STACK_DIR, 'needs the stack started by tools/stack.sh (STACK_DIR)');
  test.setTimeout(90_000);
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  stack('stop', 'origin');
  let second;
  try {
    const asked = page.waitForResponse((r) => r.url().endsWith('/v1/session/code'));
    await page.getByRole('button', { name: w.sendCode }).click();
    expect((await asked).status()).toBe(200);
    const notice = page.getByTestId('notice');
    await expect(notice).toContainText(UNSENT);
    const first = (await storedSession(created.revisit_id)).session.code;
    // 重试 asks for another code at once: no resend_too_soon.
    const again = page.waitForResponse((r) => r.url().endsWith('/v1/session/code'));
    await notice.getByRole('button', { name: w.retry }).click();
    const answer = await again;
    expect(answer.status()).toBe(200);
    expect((await answer.json()).code_delivery).toBe('sending');
    await expect(page.getByTestId('notice')).toContainText(UNSENT);
    second = (await storedSession(created.revisit_id)).session;
    expect(second.code.salt).not.toBe(first.salt);
    // The one that never left is traced as undelivered and does not count against the day.
    expect(second.trace.map((e) => e.event).slice(-3)).toEqual(['code_sent', 'code_undelivered', 'code_sent']);
  } finally {
    stack('start', 'origin');
  }
  const [sms] = await smsOutbox(ORIGIN_URL, created.phone, 1, 20_000);
  expect(sms?.code).toMatch(/^\d{6}$/);
  await sleep(3_000);
  expect(await smsOutbox(ORIGIN_URL, created.phone, 2, 0)).toHaveLength(1);
  await expect(page.getByTestId('notice')).toHaveCount(0, { timeout: 15_000 });
  await page.getByLabel(w.codeLabel).fill(sms.code);
  await page.getByRole('button', { name: w.verify, exact: true }).click();
  await expect(page.getByTestId('progress')).toBeVisible();
});
