// A "no" is a problem case recorded accurately, and the revisit goes on (R12).
import { test, expect } from './fixtures/revisit.mjs';

test('a "no" answer with a comment is recorded as a problem case', async ({ insurer, origin, revisit }) => {
  const created = await insurer.createRevisit();
  await revisit.open(created.path);
  await revisit.verifyWithCode(origin, created.phone);
  const total = 7;
  for (let n = 1; n <= total; n++) {
    await revisit.expectItem(n, total);
    if (n === 3) await revisit.answer('no', '产品说明书还没有收到');
    else await revisit.answer('yes');
  }
  await revisit.submit();

  const stored = await origin.record(created.revisit_id);
  expect(stored.verified).toBe(true);
  const items = stored.sealed.record.items;
  expect(items[2].answer).toBe('no');
  expect(items[2].comment).toBe('产品说明书还没有收到');
  expect(items.filter((i) => i.answer === 'yes')).toHaveLength(total - 1);
  expect(stored.problem_cases).toBe(1);
});
