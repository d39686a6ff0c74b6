// Quality sampling and the statistics in the console (issue 14; R13, R14, R15), in real Chromium
// against the running stack: a supervisor draws a sample run over today's completed revisits; a
// reviewer works every pick's checklist (one finding opens a problem case); the supervisor signs it
// off; an auditor's `redraw-sample` of the stored run matches. The statistics page shows the
// figures that e2e/lib/archive_figures.py computes independently from the same archive file (the
// sealed records, the case log and the sample log, read with Python's sqlite3), and the XLSX export,
// read back with Python's standard library (e2e/lib/read_xlsx.py: zipfile + xml; no openpyxl), holds
// the same figures. axe-core finds nothing on any of these pages; each is screenshotted.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { test, expect } from './fixtures/revisit.mjs';
import { ensureStaff, stackArchive } from '../lib/staff.mjs';
import { insurerPost, revisitRequest, loadScript, withReadingSecs } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';
import { EDGE_URL, login, noViolations, ORIGIN_URL, SHOTS, staffPage as openStaffPage } from '../lib/console.mjs';

// The origin's archive: the stack's SQLite file, or its PostgreSQL database (HUIFANG_ORIGIN_DB).
const ARCHIVE = stackArchive;
const ORIGIN_BIN = process.env.HUIFANG_ORIGIN_BIN ?? 'target/debug/huifang-origin';
// An SQLite file with the archive's rows, for the independent count (Python's sqlite3): the file
// itself, or a fresh copy-archive of the PostgreSQL archive (row for row, both chains verified).
function archiveFile() {
  const db = ARCHIVE();
  if (!/^postgres(ql)?:\/\//.test(db)) return db;
  const copy = `${process.env.STACK_DIR}/figures-copy.sqlite3`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  execFileSync(ORIGIN_BIN, ['copy-archive', '--from', db, '--to', copy], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return copy;
}
const FIGURES = [
  'issued', 'completed_electronic_in_cooling_off', 'completed_electronic_late', 'completed_by_phone',
  'completed_by_letter_or_visit', 'not_completed_unreachable', 'not_completed_in_progress', 'electronic_expired',
  'electronic_cancelled', 'switched_to_phone', 'problem_cases_opened', 'problem_cases_handled_in_time',
  'problem_cases_overdue', 'sampling_findings',
];

async function staffPage(browser, id) {
  const staff = await openStaffPage(browser);
  await login(staff.page, id);
  return staff;
}

/** A revisit completed through the policyholder API (one item answered "no" when `no`; sold
 * through `channel` when given), archived. */
async function completed(insurer, origin, { no = false, kinds = [], channel } = {}) {
  const script = withReadingSecs(loadScript('scripts/default.json', kinds), 1);
  const request = revisitRequest(script, { product_kinds: kinds, ...(channel ? { channel } : {}) });
  request.policyholder.phone = '135' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const created = await insurerPost(EDGE_URL, insurer.secret, '/v1/revisits', request);
  expect(created.status).toBe(201);
  const ph = new PolicyholderClient(EDGE_URL, new URL(created.body.link).pathname.split('/').pop());
  await ph.open();
  await ph.sendCode();
  expect((await ph.verify(await origin.latestCode(request.policyholder.phone))).status).toBe(200);
  for (let i = 0; i < script.items.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const answer = no && i === 2 ? await ph.answer(i, 'no', '不清楚退保损失') : await ph.answer(i);
    expect(answer.status).toBe(200);
  }
  expect((await ph.complete()).status).toBe(200);
  await origin.record(created.body.revisit_id);
  return created.body.revisit_id;
}

const beijingToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

function pythonJson(script, ...args) {
  return JSON.parse(execFileSync('python3', [script, ...args], { encoding: 'utf8' }));
}

test('a sample run is drawn, reviewed with one finding, signed off and redrawn; the statistics agree with the archive', async ({ insurer, origin, browser }) => {
  test.slow();
  test.setTimeout(300_000);
  ensureStaff('e2e-qa-supervisor', 'supervisor', { name: '赵主管' });
  ensureStaff('e2e-qa-reviewer', 'reviewer', { name: '钱质检' });
  ensureStaff('e2e-qa-auditor', 'auditor', { name: '孙审计' });
  const made = await Promise.all([
    completed(insurer, origin),
    completed(insurer, origin, { kinds: ['participating'], channel: 'bank' }),
    completed(insurer, origin, { no: true }),
  ]);

  // The supervisor draws a run over today's completed revisits (fewer than 1,200: all of them).
  const sup = await staffPage(browser, 'e2e-qa-supervisor');
  await sup.page.getByRole('link', { name: '质检抽样' }).click();
  await expect(sup.page.getByRole('heading', { name: '质检抽样' })).toBeVisible();
  await sup.page.getByLabel('归档日期自（北京时间，含）').fill(beijingToday());
  await sup.page.getByLabel('归档日期至（北京时间，含）').fill(beijingToday());
  await noViolations(sup.page, 'sampling runs page');
  await sup.page.screenshot({ path: `${SHOTS}/console-sampling-runs.png`, fullPage: true });
  await sup.page.getByRole('button', { name: '抽样并封存' }).click();
  await expect(sup.page).toHaveURL(/\/console\/sampling\/S\d{4}$/);
  const runId = sup.page.url().split('/').pop();
  const pickLinks = sup.page.locator('tbody a[href*="/picks/"]');
  const picks = await pickLinks.allTextContents();
  for (const id of made) expect(picks).toContain(id);
  // Strata: the channel the insurer gave (bank) × the product type the items show; a revisit
  // created without a channel is in its own `unknown` stratum.
  await expect(sup.page.locator('td', { hasText: '银行邮政代理 × 分红型' }).first()).toBeVisible();
  await expect(sup.page.locator('td', { hasText: '未载明 × 其他' }).first()).toBeVisible();
  // Only a supervisor may draw: the reviewer's page has no form, and a forged post is refused.
  const rev = await staffPage(browser, 'e2e-qa-reviewer');
  await rev.page.goto(`${ORIGIN_URL}/console/sampling`);
  await expect(rev.page.getByRole('button', { name: '抽样并封存' })).toHaveCount(0);
  const csrf = await rev.page.locator('input[name="csrf"]').first().inputValue();
  const forged = await rev.page.request.post(`${ORIGIN_URL}/console/sampling`, {
    form: { csrf, from: beijingToday(), to: beijingToday(), ratio_bp: '50', minimum: '1200', method: 'equal_interval' },
  });
  expect(forged.status()).toBe(422);
  expect(await forged.text()).toContain('只有主管可以发起抽样');

  // The reviewer works every pick; the revisit answered "no" is a finding and opens a problem case.
  await rev.page.goto(`${ORIGIN_URL}/console/sampling/${runId}`);
  const finding = made[2];
  for (const id of picks) {
    await rev.page.goto(`${ORIGIN_URL}/console/sampling/${runId}/picks/${id}`);
    await expect(rev.page.getByRole('heading', { name: `复核：回访 ${id}` })).toBeVisible();
    const groups = rev.page.locator('fieldset.check');
    await expect(groups).toHaveCount(7);
    // The run holds every revisit completed today in the stack's archive, other specs' too.
    const ours = made.includes(id);
    if (ours) {
      // Computed from the record and shown: identity evidence and the pages' hashes pass.
      await expect(groups.nth(0)).toContainText('记录核验：通过');
      await expect(groups.nth(0)).toContainText('短信验证码已核验');
      await expect(groups.nth(5)).toContainText('与记录一致');
      await expect(groups.nth(5)).toContainText('记录核验：通过');
    }
    if (id === made[0]) {
      for (let g = 0; g < 6; g++) await groups.nth(g).getByLabel('符合', { exact: true }).check();
      await noViolations(rev.page, 'sample pick checklist');
      await rev.page.screenshot({ path: `${SHOTS}/console-sampling-pick.png`, fullPage: true });
    }
    // Another spec's revisit is judged by what its record shows, as a reviewer would: a check the
    // record fails (a flag, a reading too fast) does not hold, and the verdict is a finding.
    const failsOnRecord = [];
    for (let g = 0; g < 6; g++) failsOnRecord.push(!ours && (await groups.nth(g).locator('.tag.overdue').count()) > 0);
    const isFinding = id === finding;
    const holds = (g) => !(isFinding && g === 1) && !failsOnRecord[g];
    for (let g = 0; g < 6; g++) {
      await groups.nth(g).getByLabel(holds(g) ? '符合' : '不符合', { exact: true }).check();
    }
    if (isFinding) {
      // A check that does not hold with the verdict "compliant": refused, nothing recorded.
      await rev.page.getByLabel('合规', { exact: true }).check();
      await rev.page.getByRole('button', { name: '提交复核' }).click();
      await expect(rev.page.getByRole('alert')).toContainText('结论须为“发现问题”');
      for (let g = 0; g < 6; g++) {
        await rev.page.locator('fieldset.check').nth(g).getByLabel(g === 1 ? '不符合' : '符合', { exact: true }).check();
      }
      await rev.page.getByLabel('发现问题（开立问题件）').check();
      await rev.page.getByLabel('说明（发现问题时必填）').fill('第3项投保人回答“否”，需回访核实退保损失的说明');
    } else if (failsOnRecord.some(Boolean)) {
      await rev.page.getByLabel('发现问题（开立问题件）').check();
      await rev.page.getByLabel('说明（发现问题时必填）').fill('记录核验未通过的项目，需核实');
    } else {
      await rev.page.getByLabel('合规', { exact: true }).check();
    }
    await rev.page.getByRole('button', { name: '提交复核' }).click();
    await expect(rev.page).toHaveURL(new RegExp(`/console/sampling/${runId}$`));
  }
  const caseLink = rev.page.locator('tr', { hasText: finding }).locator('a[href^="/console/cases/"]');
  await expect(caseLink).toHaveText(`${finding}.2`);
  // The reviewer cannot sign off: no form, and a forged post is refused by the server.
  await expect(rev.page.getByRole('button', { name: '签核本批次' })).toHaveCount(0);
  const signOff = await rev.page.request.post(`${ORIGIN_URL}/console/sampling/${runId}/sign-off`, { form: { csrf, note: '' } });
  expect(signOff.status()).toBe(409);
  expect(await signOff.text()).toContain('您的角色不能执行此操作');
  await caseLink.click();
  await expect(rev.page.locator('main')).toContainText(`质检抽样 ${runId} 发现问题`);

  // The supervisor signs the run off.
  await sup.page.goto(`${ORIGIN_URL}/console/sampling/${runId}`);
  await sup.page.getByLabel('签核意见').fill('已全部复核，发现问题 1 件已开立问题件。');
  await noViolations(sup.page, 'sample run page');
  await sup.page.screenshot({ path: `${SHOTS}/console-sampling-run.png`, fullPage: true });
  await sup.page.getByRole('button', { name: '签核本批次' }).click();
  await expect(sup.page.locator('dl.facts')).toContainText('已由 e2e-qa-supervisor');

  // An auditor's redraw of the stored run matches.
  const redraw = execFileSync(ORIGIN_BIN, ['redraw-sample', runId, '--db', ARCHIVE()], { encoding: 'utf8' });
  expect(redraw).toContain(`${runId}: matches: ${picks.length} picks`);

  // The statistics page shows what the archive says, counted independently.
  const year = beijingToday().slice(0, 4);
  const month = beijingToday().slice(0, 7);
  const auditor = await staffPage(browser, 'e2e-qa-auditor');
  await auditor.page.getByRole('link', { name: '统计' }).click();
  await expect(auditor.page.getByRole('heading', { name: `回访统计（${year} 年）` })).toBeVisible();
  // Other specs may archive records or work cases meanwhile: each comparison reads both sides
  // again until they agree (a real difference never does, and fails after the timeout).
  const figures = () => pythonJson('e2e/lib/archive_figures.py', archiveFile(), year);
  const monthTable = auditor.page.locator('table.figures').first();
  let expected;
  await expect(async () => {
    await auditor.page.reload();
    expected = figures();
    expect(expected.total.issued).toBeGreaterThanOrEqual(3);
    expect(expected.total.sampling_findings).toBeGreaterThanOrEqual(1);
    await expect(auditor.page.locator('#issued')).toHaveText(String(expected.total.issued), { timeout: 1_000 });
    await expect(auditor.page.locator('#electronic')).toHaveText(String(expected.total.completed_electronic_in_cooling_off), { timeout: 1_000 });
    await expect(auditor.page.locator('#findings')).toHaveText(String(expected.total.sampling_findings), { timeout: 1_000 });
    const monthRow = monthTable.locator('tbody tr', { has: auditor.page.locator('th', { hasText: month }) });
    const shown = (await monthRow.locator('td').allTextContents()).slice(0, FIGURES.length).map(Number);
    expect(shown).toEqual(FIGURES.map((f) => expected.months[month][f]));
    const totals = (await monthTable.locator('tfoot td').allTextContents()).slice(0, FIGURES.length).map(Number);
    expect(totals).toEqual(FIGURES.map((f) => expected.total[f]));
  }).toPass({ timeout: 30_000 });
  await expect(auditor.page.locator('figure.chart svg[role="img"]')).toHaveCount(2);
  await noViolations(auditor.page, 'statistics page');
  await auditor.page.screenshot({ path: `${SHOTS}/console-statistics.png`, fullPage: true });

  // The XLSX, read back: the periodic table's month row and total row hold the same figures.
  const download = auditor.page.waitForEvent('download');
  await auditor.page.getByRole('link', { name: '导出 Excel 报表' }).click();
  const file = `${process.env.STACK_DIR}/statistics-${year}.xlsx`;
  await (await download).saveAs(file);
  await expect(async () => {
    const xlsx = await auditor.page.request.get(`${ORIGIN_URL}/console/statistics.xlsx?year=${year}`);
    expect(xlsx.status()).toBe(200);
    writeFileSync(file, await xlsx.body());
    expected = figures();
    const book = pythonJson('e2e/lib/read_xlsx.py', file);
    const table = book['统计表'];
    expect(table[0][0]).toBe(`人身保险电子化回访情况统计表（${year}年度）`);
    const row = table.find((r) => r[0] === month);
    expect(row.slice(1, FIGURES.length + 1)).toEqual(FIGURES.map((f) => expected.months[month][f]));
    const total = table.find((r) => r[0] === '合计');
    expect(total.slice(1, FIGURES.length + 1)).toEqual(FIGURES.map((f) => expected.total[f]));
  }).toPass({ timeout: 30_000 });
  // And the CSV's rows of the month sum to the same figures.
  await expect(async () => {
    const csv = await auditor.page.request.get(`${ORIGIN_URL}/console/statistics.csv?year=${year}`);
    expect(csv.status()).toBe(200);
    expected = figures();
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0].split(',').slice(4)).toEqual(FIGURES);
    const sums = FIGURES.map((_, i) => lines.slice(1).filter((l) => l.startsWith(month)).reduce((s, l) => s + Number(l.split(',')[4 + i]), 0));
    expect(sums).toEqual(FIGURES.map((f) => expected.months[month][f]));
  }).toPass({ timeout: 30_000 });
  writeFileSync(`${process.env.STACK_DIR}/statistics-expected.json`, JSON.stringify(expected));

  // The first-use report (R15): due 10 working days after the first revisit, as the test's own
  // calendar arithmetic over the holiday table says; the shipped script with its hash; the means.
  await sup.page.goto(`${ORIGIN_URL}/console/queue`);
  await sup.page.getByRole('link', { name: '首次使用报告' }).click();
  await expect(sup.page.getByRole('heading', { name: '人身保险电子化回访首次使用情况报告' })).toBeVisible();
  await expect(sup.page.locator('#first-revisit')).toHaveText(expected.first_revisit);
  await expect(sup.page.locator('#due')).toContainText(expected.first_use_due);
  const scriptRow = await sup.page.locator('#scripts tbody tr').first().locator('td').allTextContents();
  expect(scriptRow.slice(0, 3)).toEqual(['default', JSON.parse(readFileSync('scripts/default.json', 'utf8')).version, '11']);
  expect(scriptRow[3]).toMatch(/^[0-9a-f]{64}$/);
  await expect(sup.page.locator('#identity')).toContainText('短信验证码');
  await noViolations(sup.page, 'first-use report');
  await sup.page.screenshot({ path: `${SHOTS}/console-first-use-report.png`, fullPage: true });
  // A reviewer is not shown it.
  const denied = await rev.page.goto(`${ORIGIN_URL}/console/first-use-report`);
  expect(denied.status()).toBe(404);

  for (const s of [sup, rev, auditor]) {
    expect(s.offsite).toEqual([]);
    await s.context.close();
  }
});
