// The whole revisit on a phone: code from the SMS outbox, every item read to its end and confirmed in
// order, and a verified record with every answer archived at the origin (R3, R8, R9).
import { test, expect, scriptWithLongItem } from './fixtures/revisit.mjs';

test('a policyholder completes the revisit and the origin archives a verified record', async ({ insurer, origin, revisit, page }) => {
  const script = scriptWithLongItem();
  const created = await insurer.createRevisit({ script });
  const total = script.items.length;

  await revisit.open(created.path);
  // R6: only masked identity on screen.
  const masked = created.phone.slice(0, 3) + '****' + created.phone.slice(7);
  await expect(page.getByText(masked)).toBeVisible();
  await expect(page.getByText(created.phone, { exact: true })).toHaveCount(0);

  await revisit.verifyWithCode(origin, created.phone);
  for (let n = 1; n < total; n++) {
    await revisit.expectItem(n, total);
    await revisit.answer('yes');
  }

  // R9: the long last item cannot be confirmed before it is scrolled to its end.
  await revisit.expectItem(total, total);
  await expect(revisit.yes()).toBeDisabled();
  await expect(revisit.no()).toBeDisabled();
  await revisit.answer('yes');
  await revisit.submit();

  const stored = await origin.record(created.revisit_id);
  expect(stored.verified).toBe(true);
  const record = stored.sealed.record;
  expect(record.outcome).toBe('completed');
  expect(record.items.map((i) => i.answer)).toEqual(Array(total).fill('yes'));
  expect(record.items.map((i) => i.body)).toEqual(script.items.map((i) => i.text['zh-CN'].body));
  const times = record.items.map((i) => i.answered_at);
  expect(times).toEqual([...times].sort((a, b) => a - b));
  expect(record.trace.map((e) => e.event)).toContain('code_verified');
  expect(stored.problem_cases).toBe(0);

  // The link is dead after completion (R1).
  await page.reload();
  await expect(page.getByRole('heading', { name: /回访已完成|回访链接已失效|回访已结束/ })).toBeVisible();
});
