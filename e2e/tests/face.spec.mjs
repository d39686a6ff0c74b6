// R8: the face check through the insurer's own provider, never the only way in (issue 16). A script
// with identity ["sms_code", "face", "signature"]: after the SMS code the page says what the check
// is, who performs it and the alternative; "start" goes to the provider's page (the origin's
// simulated provider in dev mode), which sends the browser back with a reference and a ticket in
// the fragment; the edge asks the origin for the result, traces it and seals it into the record
// (verdict, provider, evidence id — never an image). Three failures leave only the alternative;
// declining takes it at once. Forged, replayed and cross-session returns are refused by the edge;
// neither the edge's storage (STORAGE_INSPECTION) nor its log holds a ticket, a reference or an
// image. axe-core finds nothing on the face step or the provider's page, in both languages and in
// large-text mode; screenshots go to .state/screenshots/.
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { test, expect, WORDS } from './fixtures/revisit.mjs';
import { insurerRequest, readDevVars, loadScript } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const SHOTS = '.state/screenshots';
mkdirSync(SHOTS, { recursive: true });
const PROVIDER = '模拟人脸核验服务';

const FACE = {
  'zh-CN': {
    title: '人脸识别', start: '开始人脸识别', useId: '不做人脸识别，改用身份证号码',
    usePhone: '不做人脸识别，改为电话回访', simTitle: '模拟人脸识别', pass: '识别通过', fail: '识别未通过',
    cancel: '取消，返回回访', failed: '人脸识别未通过。', noTries: '人脸识别已 3 次未通过',
  },
  en: {
    title: 'Face check', start: 'Start the face check',
    useId: 'Skip the face check, use my ID number', usePhone: 'Skip the face check, switch to a phone revisit',
    simTitle: 'Simulated face check', pass: 'Passed', fail: 'Did not pass', cancel: 'Cancel and go back',
    failed: 'The face check did not pass.', noTries: 'The face check did not pass 3 times',
  },
};

function faceScript(alternative = 'id_number', identity = ['sms_code', 'face', 'signature']) {
  const base = loadScript('scripts/default.json');
  return {
    ...base,
    identity,
    face: { provider: PROVIDER, alternative },
    items: base.items.slice(0, 2),
  };
}

async function axe(page, name) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  await page.screenshot({ path: `${SHOTS}/face-${name}.png`, fullPage: true });
  expect(found, `axe on ${name}`).toEqual([]);
  expect(result.passes.length).toBeGreaterThan(10);
}

/** The edge's stored custody of a revisit, as text (STORAGE_INSPECTION=1 on the test stack). */
async function stored(id) {
  const res = await insurerRequest(EDGE_URL, readDevVars('.dev.vars').INSURER_API_SECRET, 'GET', `/v1/revisits/${id}/storage`);
  expect(res.status, 'STORAGE_INSPECTION=1 on this stack').toBe(200);
  return JSON.stringify(res.body);
}

/** After the SMS code, the face step's page. */
async function toFaceStep(page, revisit, origin, created, lang = 'zh-CN') {
  const w = WORDS[lang];
  await revisit.open(created.path);
  await page.getByRole('button', { name: w.sendCode }).click();
  await page.getByLabel(w.codeLabel).fill(await origin.latestCode(created.phone));
  await page.getByRole('button', { name: w.verify, exact: true }).click();
  await expect(page.getByRole('heading', { name: FACE[lang].title, exact: true })).toBeVisible();
}

/** Goes through the simulated provider with `verdict`; returns the fragment it came back with. */
async function throughProvider(page, verdict, lang = 'zh-CN') {
  const f = FACE[lang];
  await page.getByRole('button', { name: f.start }).click();
  await expect(page.getByRole('heading', { name: f.simTitle })).toBeVisible();
  expect(new URL(page.url()).pathname).toMatch(/^\/face\/sim\//);
  // The provider's answer names the way back (the app takes the fragment out of the address as
  // soon as it has read it).
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && /\/face\/sim\//.test(r.url()));
  const back = page.waitForURL(/\/r\//);
  await page.getByRole('button', { name: { pass: f.pass, fail: f.fail, cancel: f.cancel }[verdict] }).click();
  const location = (await answered).headers().location;
  await back;
  return new URL(location).hash;
}

function fragmentValues(fragment) {
  const params = new URLSearchParams(fragment.replace(/^#/, ''));
  return { reference: params.get('face_ref'), ticket: params.get('face_ticket') };
}

test('a revisit passes through the provider; the record and the report carry the result and its evidence id', async ({ insurer, origin, revisit, page }) => {
  test.slow();
  const script = faceScript();
  const created = await insurer.createRevisit({ script });
  await toFaceStep(page, revisit, origin, created);
  // Before the check: what it is, who performs it, where the image goes, the alternative.
  await expect(page.getByText(`“${PROVIDER}”完成`)).toBeVisible();
  await expect(page.getByText('不会保存在回访记录中')).toBeVisible();
  await expect(page.getByRole('button', { name: FACE['zh-CN'].useId })).toBeVisible();

  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const fragment = await throughProvider(page, 'pass');
  const { reference, ticket } = fragmentValues(fragment);
  expect(reference).toMatch(/^sim-ref-/);
  expect(ticket).toBeTruthy();
  // Passed: the items come, and the fragment is gone from the address.
  await revisit.expectItem(1, script.items.length);
  expect(new URL(page.url()).hash).toBe('');
  // The ticket travelled in no URL a server saw.
  expect(requests.filter((u) => u.includes(ticket))).toEqual([]);

  // Nothing of the check but its result is kept at the edge: no ticket, no reference, no image.
  const live = await stored(created.revisit_id);
  for (const secret of [ticket, reference, 'data:image', 'image/', 'png_base64']) {
    expect(live.includes(secret), `the edge's storage holds ${secret}`).toBe(false);
  }
  expect(live).toContain('face_checked');

  for (let n = 1; n <= script.items.length; n++) await revisit.answer('yes');
  await expect(page.getByRole('heading', { name: WORDS['zh-CN'].signature })).toBeVisible();
  await revisit.switchToPhone();

  const { sealed } = await origin.record(created.revisit_id);
  const face = sealed.record.face;
  expect(face).toHaveLength(1);
  expect(face[0]).toMatchObject({ outcome: 'passed', provider: PROVIDER, score_band: 'high' });
  expect(face[0].evidence_id).toMatch(/^sim-ev-[0-9a-f]{32}$/);
  expect(Object.keys(face[0]).sort()).toEqual(['evidence_id', 'outcome', 'provider', 'score_band']);
  const events = sealed.record.trace.map((e) => e.event);
  expect(events).toEqual(expect.arrayContaining(['code_verified', 'face_started', 'face_checked']));
  expect(events.indexOf('code_verified')).toBeLessThan(events.indexOf('face_checked'));

  // The evidence report shows the face check's result and evidence id.
  await page.goto(`${process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788'}/records/${created.revisit_id}/report`);
  const table = page.getByTestId('face');
  await expect(table).toContainText('通过');
  await expect(table).toContainText(face[0].evidence_id);
  await expect(table).toContainText(PROVIDER);
  await expect(page.getByTestId('identity')).toContainText('人脸识别（保险公司委托的服务商）：已通过');

  // Nothing of it in the edge's log either.
  if (process.env.STACK_DIR && existsSync(`${process.env.STACK_DIR}/edge.log`)) {
    const log = readFileSync(`${process.env.STACK_DIR}/edge.log`, 'utf8');
    expect(log.includes(ticket), 'the edge log holds the ticket').toBe(false);
    expect(log.includes(reference), 'the edge log holds the reference').toBe(false);
  }
});

test('three failed checks leave only the alternative, which completes the revisit', async ({ insurer, origin, revisit, page }) => {
  test.slow();
  const script = faceScript();
  const created = await insurer.createRevisit({ script });
  await toFaceStep(page, revisit, origin, created);
  for (let n = 1; n <= 3; n++) {
    await throughProvider(page, 'fail');
    // Each failure says so, with the tries left; the last one says what to do instead.
    const notice = page.getByTestId('notice');
    if (n < 3) await expect(notice).toContainText(`${FACE['zh-CN'].failed}还可以尝试 ${3 - n} 次。`);
    else await expect(notice).toContainText(FACE['zh-CN'].noTries);
    await expect(page.getByRole('heading', { name: FACE['zh-CN'].title, exact: true })).toBeVisible();
  }
  // No start button any more: the alternative alone.
  await expect(page.getByText(FACE['zh-CN'].noTries).first()).toBeVisible();
  await expect(page.getByRole('button', { name: FACE['zh-CN'].start })).toHaveCount(0);
  await page.getByRole('button', { name: FACE['zh-CN'].useId }).click();
  await page.getByLabel(WORDS['zh-CN'].idNumber).fill('11010519491231002x');
  await page.getByRole('button', { name: WORDS['zh-CN'].idVerify }).click();
  await revisit.expectItem(1, script.items.length);
  for (let n = 1; n <= script.items.length; n++) await revisit.answer('yes');
  // The signature the script asks for still comes.
  await expect(page.getByRole('heading', { name: WORDS['zh-CN'].signature })).toBeVisible();
  const pad = page.getByTestId('signature-pad');
  const box = await pad.boundingBox();
  await page.mouse.move(box.x + 10, box.y + box.height * 0.3);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(box.x + (box.width - 20) * (i / 8) + 10, box.y + box.height * (i % 2 ? 0.7 : 0.3), { steps: 4 });
  }
  await page.mouse.up();
  await page.getByRole('button', { name: '确认签名' }).click();
  await expect(page.getByRole('heading', { name: '请确认提交' })).toBeVisible();
  await revisit.submit();

  const { sealed } = await origin.record(created.revisit_id);
  expect(sealed.record.outcome).toBe('completed');
  expect(sealed.record.face.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed']);
  const events = sealed.record.trace.map((e) => e.event);
  expect(events.filter((e) => e === 'face_checked')).toHaveLength(3);
  expect(events).toEqual(expect.arrayContaining(['face_declined', 'id_number_verified', 'signed', 'completed']));
});

test('declining the face check at once: to the ID number, or to a phone revisit', async ({ insurer, origin, revisit, page }) => {
  const byId = await insurer.createRevisit({ script: faceScript() });
  await toFaceStep(page, revisit, origin, byId);
  await page.getByRole('button', { name: FACE['zh-CN'].useId }).click();
  await expect(page.getByLabel(WORDS['zh-CN'].idNumber)).toBeVisible();

  const byPhone = await insurer.createRevisit({ script: faceScript('phone', ['sms_code', 'face']) });
  await toFaceStep(page, revisit, origin, byPhone);
  // Ending the electronic revisit is confirmed first, as from the header; "cancel" changes nothing.
  await page.getByRole('button', { name: FACE['zh-CN'].usePhone }).click();
  const confirm = page.getByRole('button', { name: WORDS['zh-CN'].switchConfirm });
  await expect(confirm).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/face-confirm-phone-zh-CN.png`, fullPage: true });
  await page.locator('.page.face .switch-panel').getByRole('button', { name: '取消', exact: true }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByRole('button', { name: FACE['zh-CN'].usePhone })).toBeVisible();
  await page.getByRole('button', { name: FACE['zh-CN'].usePhone }).click();
  await confirm.click();
  await expect(page.getByRole('heading', { name: WORDS['zh-CN'].switched })).toBeVisible();
  const { sealed } = await origin.record(byPhone.revisit_id);
  expect(sealed.record.outcome).toBe('switched_to_phone');
  expect(sealed.record.trace.map((e) => e.event)).toContain('face_declined');
});

test('forged, replayed and cross-session returns are refused by the edge', async ({ insurer, origin, revisit, page }) => {
  test.slow();
  // Session A, through the browser, passes; its reference and ticket are what an attacker would replay.
  const a = await insurer.createRevisit({ script: faceScript() });
  await toFaceStep(page, revisit, origin, a);
  const { reference, ticket } = fragmentValues(await throughProvider(page, 'pass'));
  await revisit.expectItem(1, 2);

  // Session B, through the API: code verified, a check started.
  const b = await insurer.createRevisit({ script: faceScript() });
  const ph = new PolicyholderClient(EDGE_URL, b.token, { ip: '198.51.100.41' });
  expect((await ph.open()).status).toBe(200);
  expect((await ph.call('POST', '/v1/session/code', {})).status).toBe(200);
  const verified = await ph.call('POST', '/v1/session/verify', { code: await origin.latestCode(b.phone) });
  expect(verified.body.next_step).toBe('face');
  expect(verified.body.face).toMatchObject({ provider: PROVIDER, alternative: 'id_number', tries_left: 3 });
  const started = await ph.call('POST', '/v1/session/face/start', {});
  expect(started.status).toBe(200);
  expect(started.body.face.redirect_url).toMatch(/\/face\/sim\//);

  const result = (body) => ph.call('POST', '/v1/session/face/result', body);
  // A's reference and ticket brought to B: not B's check.
  let res = await result({ reference, ticket });
  expect([res.status, res.body.code]).toEqual([422, 'face_reference_unknown']);
  // A made-up one.
  res = await result({ reference: 'sim-ref-00000000000000000000000000000000', ticket: 't0' });
  expect([res.status, res.body.code]).toEqual([422, 'face_reference_unknown']);
  // Shapes no provider hands back.
  res = await result({ reference: 'x y', ticket: 't' });
  expect(res.status).toBe(422);
  res = await result({ reference: 'r', ticket: 't', image: 'data:image/jpeg;base64,AAAA' });
  expect([res.status, res.body.code]).toEqual([400, 'bad_json']);

  // B's own reference (from the provider page's address the origin knows) with a forged ticket:
  // the origin does not confirm it, and the reference is spent.
  const pageUrl = started.body.face.redirect_url;
  const sim = await fetch(pageUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'verdict=pass' });
  expect(sim.status).toBe(303);
  const own = fragmentValues(new URL(sim.headers.get('location')).hash);
  res = await result({ reference: own.reference, ticket: 'forged-ticket' });
  expect([res.status, res.body.code]).toEqual([422, 'face_return_refused']);
  res = await result({ reference: own.reference, ticket: own.ticket });
  expect([res.status, res.body.code]).toEqual([409, 'face_reference_used']);
  const view = await ph.open();
  expect(view.body.next_step).toBe('face');

  // Replayed from A's own browser (its device cookie), after it passed: refused, nothing changes.
  await page.goto(`${a.path}#face_ref=${reference}&face_ticket=${ticket}`);
  await expect(page.getByTestId('progress')).toBeVisible();
  const replayed = await page.evaluate(async ([token, body]) => {
    const r = await fetch('/v1/session/face/result', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return [r.status, (await r.json()).code];
  }, [a.token, { reference, ticket }]);
  expect(replayed).toEqual([409, 'face_reference_used']);
  // From another browser the link is not even open to it (R10).
  const stranger = new PolicyholderClient(EDGE_URL, a.token, { ip: '198.51.100.42' });
  res = await stranger.call('POST', '/v1/session/face/result', { reference, ticket });
  expect(res.status).toBe(403);
  const storedA = await stored(a.revisit_id);
  expect((storedA.match(/face_checked/g) ?? []).length).toBe(1);
  expect(storedA.includes(ticket)).toBe(false);
});

for (const lang of ['zh-CN', 'en']) {
  for (const large of [false, true]) {
    const tag = `${lang}-${large ? 'large' : 'normal'}`;
    test.describe(tag, () => {
      test.use({
        locale: lang === 'en' ? 'en-GB' : 'zh-CN',
        extraHTTPHeaders: { 'Accept-Language': lang === 'en' ? 'en-GB,en;q=0.9' : 'zh-CN,zh;q=0.9' },
        ...(large ? { viewport: { width: 320, height: 640 } } : {}),
      });
      test.beforeEach(async ({ page }) => {
        if (large) await page.addInitScript(() => sessionStorage.setItem('huifang.large-text', '1'));
      });
      test(`axe finds nothing on the face step and the provider's page (${tag})`, async ({ insurer, origin, revisit, page }) => {
        test.slow();
        const created = await insurer.createRevisit({ script: faceScript() });
        await toFaceStep(page, revisit, origin, created, lang);
        await axe(page, `${tag}-step`);
        await throughProvider(page, 'fail', lang);
        await expect(page.getByTestId('notice')).toBeVisible();
        await axe(page, `${tag}-step-failed`);
        await page.getByRole('button', { name: FACE[lang].start }).click();
        await expect(page.getByRole('heading', { name: FACE[lang].simTitle })).toBeVisible();
        if (large) {
          await page.getByRole('link', { name: lang === 'en' ? 'Large text' : '大字显示' }).click();
          await expect(page.locator('html.large')).toHaveCount(1);
        }
        await axe(page, `${tag}-provider`);
        const scrolls = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
        expect(scrolls, 'the provider page scrolls sideways').toBe(false);
        const back = page.waitForURL(/\/r\//);
        await page.getByRole('button', { name: FACE[lang].cancel }).click();
        await back;
        await expect(page.getByRole('heading', { name: FACE[lang].title, exact: true })).toBeVisible();
      });
    });
  }
}
