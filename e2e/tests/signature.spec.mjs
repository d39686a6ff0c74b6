// R8: the handwritten signature, when the script asks for one: drawn after the last item, refused
// with too little ink (in the page and again at the edge), and kept in the record as a PNG with its
// SHA-256.
import { createHash } from 'node:crypto';
import { test, expect } from './fixtures/revisit.mjs';
import { loadScript } from '../lib/insurer.mjs';

test('a signature is drawn after the items and sealed into the record', async ({ insurer, origin, revisit, page }) => {
  const script = { ...loadScript('scripts/default.json'), identity: ['sms_code', 'signature'] };
  const created = await insurer.createRevisit({ script });
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  for (let n = 1; n <= script.items.length; n++) await revisit.answer('yes');

  await expect(page.getByRole('heading', { name: '手写签名' })).toBeVisible();
  const sent = [];
  page.on('request', (r) => { if (r.url().endsWith('/v1/session/signature')) sent.push(r); });
  // A dot is not a signature: refused in the page, nothing sent.
  const pad = page.getByTestId('signature-pad');
  const box = await pad.boundingBox();
  await page.mouse.move(box.x + 20, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + 24, box.y + 22);
  await page.mouse.up();
  await page.getByRole('button', { name: '确认签名' }).click();
  await expect(page.getByText('签名过短')).toBeVisible();
  expect(sent).toHaveLength(0);

  // 重写, then a zig-zag across the pad.
  await page.getByRole('button', { name: '重写' }).click();
  await page.mouse.move(box.x + 10, box.y + box.height * 0.3);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(box.x + (box.width - 20) * (i / 8) + 10, box.y + box.height * (i % 2 ? 0.7 : 0.3), { steps: 4 });
  }
  await page.mouse.up();
  await page.getByRole('button', { name: '确认签名' }).click();
  await expect(page.getByRole('heading', { name: '请确认提交' })).toBeVisible();
  await revisit.submit();

  const record = (await origin.record(created.revisit_id)).sealed.record;
  const png = Buffer.from(record.signature.png_base64, 'base64');
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(record.signature.png_sha256).toBe(createHash('sha256').update(png).digest('hex'));
  expect(record.signature.ink).toBeGreaterThan(800);
  expect(record.trace.map((e) => e.event)).toContain('signed');
});
