// R7: the policyholder can leave the electronic revisit for a phone revisit from any page; the switch
// is recorded and forwarded so that the insurer calls them (R11).
import { test, expect } from './fixtures/revisit.mjs';

test('switching to a phone revisit from the first page', async ({ insurer, origin, revisit }) => {
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.switchToPhone('我想通过电话回访');

  const stored = await origin.record(created.revisit_id);
  expect(stored.verified).toBe(true);
  expect(stored.sealed.record.outcome).toBe('switched_to_phone');
  expect(stored.sealed.record.switch_reason).toBe('我想通过电话回访');
});

test('switching to a phone revisit in the middle of the items', async ({ insurer, origin, revisit }) => {
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  await revisit.answer('yes');
  await revisit.expectItem(2, 7);
  await expect(revisit.switchButton()).toBeVisible();
  await revisit.switchToPhone();

  const record = (await origin.record(created.revisit_id)).sealed.record;
  expect(record.outcome).toBe('switched_to_phone');
  expect(record.items[0].answer).toBe('yes');
  expect(record.items[1].answer).toBeNull();
});
