// R8: identity steps are configured by the script. With ["sms_code", "id_number"], the policyholder
// enters the SMS code, then their ID number: a typo is caught in the browser (GB 11643) without a
// request; a well-formed but wrong number is refused by the edge, which compares keyed hashes.
import { test, expect } from './fixtures/revisit.mjs';
import { loadScript } from '../lib/insurer.mjs';

test('an SMS code, then the ID number, before the items', async ({ insurer, origin, revisit, page }) => {
  const script = { ...loadScript('scripts/default.json'), identity: ['sms_code', 'id_number'] };
  const created = await insurer.createRevisit({ script });
  await revisit.open(created.path);
  await page.getByRole('button', { name: '获取验证码' }).click();
  await page.getByLabel('短信验证码').fill(await origin.latestCode(created.phone));
  await page.getByRole('button', { name: '验证', exact: true }).click();

  const idInput = page.getByLabel('身份证号码');
  await expect(idInput).toBeVisible();
  const sent = [];
  page.on('request', (r) => { if (r.url().endsWith('/v1/session/id-number')) sent.push(r.url()); });

  await idInput.fill('110105194912310021'); // check digit wrong
  await page.getByRole('button', { name: '验证身份' }).click();
  await expect(page.getByText('校验位不符')).toBeVisible();
  expect(sent).toHaveLength(0);

  await idInput.fill('440524188001010014'); // well-formed, not this policyholder's
  await page.getByRole('button', { name: '验证身份' }).click();
  await expect(page.getByText('与投保信息不一致')).toBeVisible();
  expect(sent).toHaveLength(1);

  await idInput.fill('11010519491231002x');
  await page.getByRole('button', { name: '验证身份' }).click();
  await revisit.expectItem(1, script.items.length);
  await revisit.switchToPhone();

  const trace = (await origin.record(created.revisit_id)).sealed.record.trace.map((e) => e.event);
  expect(trace).toEqual(expect.arrayContaining(['code_verified', 'id_number_rejected', 'id_number_verified']));
  expect(trace.indexOf('code_verified')).toBeLessThan(trace.indexOf('id_number_verified'));
});
