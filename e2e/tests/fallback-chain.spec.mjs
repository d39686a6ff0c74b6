// R11's fallback chain over time, through the console as staff work it (issue 13, "Done when"): a
// revisit whose link expired becomes a phone task for the call centre; three failed call attempts
// are logged and counted; with 3 days of the cooling-off period left the task goes to the branch by
// itself; the branch uploads the policyholder's signed receipt and closes it.
//
// Time is controlled, not waited for: the edge expires a real revisit at its cooling-off end (a few
// seconds ahead) and seals its record; the record is then delivered, exactly as sealed, to a
// private origin of this test whose casework clock is set (`serve --test-casework-time`, dev mode
// only) first to 10 days before that end at 10:00 Beijing (calls allowed, whatever the hour the
// suite runs), then to a minute less than 3 days before it. The stack's own origin keeps the real clock, so no other
// spec sees time move.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { ensureStaff } from '../lib/staff.mjs';
import { insurerPost, readDevVars, revisitRequest, loadScript } from '../lib/insurer.mjs';
import { EDGE_URL, ORIGIN_URL, SHOTS, login, noViolations, staffPage } from '../lib/console.mjs';

const BIN = process.env.HUIFANG_ORIGIN_BIN ?? 'target/debug/huifang-origin';
const DAY = 86400_000;

/** The instant `days` days before the Beijing date of `end`, at `hour`:00 Beijing (RFC 3339). */
function beijingAt(end, days, hour) {
  const beijing = new Date(end.getTime() + 8 * 3600_000 - days * DAY);
  const date = beijing.toISOString().slice(0, 10);
  return `${date}T${String(hour).padStart(2, '0')}:00:00+08:00`;
}

/** A private origin on a free port over `db`, its casework clock at `time`; stopped with stop(). */
async function privateOrigin(db, time) {
  const keys = execFileSync(BIN, ['public-key', '.dev.vars']).toString().trim();
  const child = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', db, '--edge-keys', keys, '--sms-outbox', '--test-casework-time', time], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Should the worker itself be stopped (a timeout), the origin goes with it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/origin listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`the private origin exited (${code}): ${log}`)));
    setTimeout(() => reject(new Error(`the private origin did not start in 15 s: ${log}`)), 15_000);
  });
  expect(log).toContain('TEST casework time');
  return {
    url,
    log: () => log,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => { clearTimeout(kill); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}

test('an expired revisit is called three times, goes to the branch at 3 days left, and a receipt closes it', async ({ browser }) => {
  test.setTimeout(120_000);
  // The revisit, on the real edge: its link expires 3 s from now, unopened.
  const request = revisitRequest(loadScript('scripts/default.json'), {
    cooling_off_ends_at: new Date(Date.now() + 3_000).toISOString(),
  });
  request.policyholder.phone = '139' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const created = await insurerPost(EDGE_URL, readDevVars('.dev.vars').INSURER_API_SECRET, '/v1/revisits', request);
  expect(created.status).toBe(201);
  const revisitId = created.body.revisit_id;
  let archived = null;
  await expect.poll(async () => {
    const res = await fetch(`${ORIGIN_URL}/records/${revisitId}`);
    if (res.status === 200) archived = await res.json();
    return res.status;
  }, { timeout: 30_000 }).toBe(200);
  const sealed = archived.sealed;
  expect(sealed.record.outcome).toBe('expired');
  const end = new Date(sealed.record.cooling_off_ends_at);

  const dir = mkdtempSync(`${process.env.STACK_DIR ?? '/tmp'}/fallback-chain-`);
  const db = `${dir}/origin.sqlite3`;
  const caseId = `${revisitId}.1`;
  let origin = await privateOrigin(db, beijingAt(end, 10, 10));
  try {
    ensureStaff('e2e-agent', 'call_agent', { name: '孙坐席', db });
    ensureStaff('e2e-branch', 'branch_handler', { name: '陈网点', db });
    // The sealed record, delivered as the edge delivers it: verified, archived, the task opened.
    const delivered = await fetch(`${origin.url}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sealed) });
    expect(delivered.status).toBe(200);

    // 10 days before the end, 10:00 Beijing: the call centre's task.
    const agent = await staffPage(browser);
    await login(agent.page, 'e2e-agent', { origin: origin.url });
    await expect(agent.page.getByRole('heading', { name: '我的队列：电话回访任务' })).toBeVisible();
    await agent.page.getByRole('link', { name: caseId }).click();
    await expect(agent.page.getByRole('heading', { name: `案件 ${caseId}` })).toBeVisible();
    await expect(agent.page.getByText('补救任务（链接过期）').first()).toBeVisible();
    await expect(agent.page.getByText('0 次，还可 6 次')).toBeVisible();
    const callForm = agent.page.locator('form', { has: agent.page.getByRole('heading', { name: '记录通话' }) });
    for (const [n, result, note] of [[1, 'no_answer', '第1次拨打，无人接听。'], [2, 'busy', '第2次拨打，占线。'], [3, 'no_answer', '第3次拨打，无人接听。']]) {
      await callForm.getByLabel('通话结果').selectOption(result);
      await callForm.getByLabel('通话记录').fill(note);
      await callForm.getByRole('button', { name: '记录通话' }).click();
      await expect(agent.page.getByText(`${n} 次，还可 ${6 - n} 次`)).toBeVisible();
    }
    await expect(agent.page.getByRole('row').filter({ hasText: '第2次拨打，占线。' })).toContainText('e2e-agent');
    await noViolations(agent.page, 'phone task after three calls');
    await agent.page.screenshot({ path: `${SHOTS}/console-fallback-calls.png`, fullPage: true });
    // The branch has nothing yet.
    expect(agent.offsite).toEqual([]);
    await agent.context.close();

    // Under 3 days before the end: the task went to the branch by itself (R11), its calls kept.
    await origin.stop();
    origin = await privateOrigin(db, new Date(end.getTime() - 3 * DAY + 60_000).toISOString());
    const branch = await staffPage(browser);
    await login(branch.page, 'e2e-branch', { origin: origin.url });
    await expect(branch.page.getByRole('heading', { name: '我的队列：分支机构任务（信函/上门）' })).toBeVisible();
    const row = branch.page.getByRole('row').filter({ has: branch.page.getByRole('link', { name: caseId }) });
    await expect(row.getByText('即将到期')).toBeVisible();
    await row.getByRole('link', { name: caseId }).click();
    const routed = branch.page.getByRole('row').filter({ hasText: '转分支机构' });
    await expect(routed).toContainText('系统');
    await expect(routed).toContainText('犹豫期剩余不足3天');
    await expect(branch.page.getByText('3 次，还可 3 次')).toBeVisible();
    // No more calls from the branch: the call form is not offered.
    await expect(branch.page.getByRole('heading', { name: '记录通话' })).toHaveCount(0);
    await noViolations(branch.page, 'task routed to the branch');
    await branch.page.screenshot({ path: `${SHOTS}/console-fallback-routed.png`, fullPage: true });

    const upload = branch.page.locator('form', { has: branch.page.getByRole('heading', { name: '上传签收回执' }) });
    await upload.getByLabel('方式').selectOption('visit');
    await upload.getByLabel('回执文件（扫描件）').setInputFiles({ name: 'receipt.pdf', mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4 receipt signed by the policyholder of ${revisitId}`) });
    await upload.getByRole('button', { name: '上传回执' }).click();
    await expect(branch.page.getByRole('row').filter({ hasText: '上传回执' })).toContainText('上门，SHA-256');
    const close = branch.page.locator('form', { has: branch.page.getByRole('heading', { name: /^结案：信函\/上门回访完成/ }) });
    await close.getByLabel('说明').fill('上门回访，投保人已签收回执。');
    await close.getByRole('button', { name: '提交' }).click();
    await expect(branch.page.getByText('已结案').first()).toBeVisible();
    await noViolations(branch.page, 'task closed by receipt');
    await branch.page.screenshot({ path: `${SHOTS}/console-fallback-closed.png`, fullPage: true });
    expect(branch.offsite).toEqual([]);
    await branch.context.close();
  } finally {
    await origin.stop();
  }
  // The case log as written verifies: chain, replay, every entry in place.
  const keys = execFileSync(BIN, ['public-key', '.dev.vars']).toString().trim();
  const verified = execFileSync(BIN, ['verify-archive', '--db', db, '--edge-keys', keys]).toString();
  expect(verified).not.toContain('FAIL');
});
