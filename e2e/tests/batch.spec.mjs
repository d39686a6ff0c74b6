// The sample integration (issue 7, part 4): `huifang-origin batch` plays the insurer's policy system
// against the real stack. A CSV of 1,000 policies over two regions with 21 malformed rows of every
// kind creates exactly the good ones and reports each bad row by its line.
//
// Both region names point at the one local edge, so every record made here carries the local edge's
// REGION var: the CSV's region picks the edge a row goes to, the edge stamps its own region.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insurerRequest, readDevVars } from '../lib/insurer.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_BIN = process.env.HUIFANG_ORIGIN_BIN ?? 'target/debug/huifang-origin';
const HEADER = 'policy_number,product,product_kinds,policyholder_name,phone,id_number,cooling_off_ends_at,region';

/** An 18-character ID number with its GB 11643 check digit. */
function idNumber(seq) {
  const body = `110105${19500101 + (seq % 28)}${String(seq % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return body + '10X98765432'[sum % 11];
}

/** The same number with a wrong check digit. */
const badCheckDigit = (id) => id.slice(0, 17) + (id[17] === '0' ? '1' : '0');

function runBatch(args) {
  const started = Date.now();
  const r = spawnSync(ORIGIN_BIN, ['batch', ...args], { encoding: 'utf8', timeout: 600_000 });
  return { ...r, secs: (Date.now() - started) / 1000 };
}

test('a batch of 1,000 policies creates exactly the good rows and reports every bad one by line', async () => {
  test.setTimeout(600_000);
  const run = Date.now().toString(36).toUpperCase();
  const ends = new Date(Date.now() + 15 * 86400_000).toISOString().replace(/\.\d+Z$/, '+00:00');
  const kindsCycle = ['', 'participating', 'regular_premium;bank_savings', 'universal', ''];
  // Bad rows: data index → [expected field, row mutation].
  const faults = {
    17: ['id_number', (f) => { f[5] = badCheckDigit(f[5]); }],
    96: ['id_number', (f) => { f[5] = badCheckDigit(f[5]); }],
    211: ['id_number', (f) => { f[5] = f[5].slice(0, 16); }],
    333: ['id_number', (f) => { f[5] = badCheckDigit(f[5]); }],
    48: ['phone', (f) => { f[4] = '2' + f[4].slice(1); }],
    402: ['phone', (f) => { f[4] = f[4].slice(0, 9); }],
    777: ['phone', (f) => { f[4] = ''; }],
    120: ['policyholder_name', (f) => { f[3] = ''; }],
    505: ['product', (f) => { f[1] = ''; }],
    250: ['cooling_off_ends_at', (f) => { f[6] = '2026-12-10'; }],
    612: ['cooling_off_ends_at', (f) => { f[6] = '2026-13-40T00:00:00+08:00'; }],
    888: ['cooling_off_ends_at', (f) => { f[6] = '2020-01-01T00:00:00+08:00'; }],
    301: ['region', (f) => { f[7] = 'guangdong'; }],
    650: ['region', (f) => { f[7] = ''; }],
    999: ['region', (f) => { f[7] = 'Beijing'; }],
    150: ['product_kinds', (f) => { f[2] = 'participating;lottery'; }],
    720: ['product_kinds', (f) => { f[2] = 'savings'; }],
    444: ['row', (f) => { f.push('extra'); }],
    845: ['row', (f) => { f.push('extra', 'more'); }],
    560: ['row', (f) => { f.splice(6, 2); }],
    // The same policy number as data row 10 (line 12): a create is not idempotent.
    930: ['policy_number', (f) => { f[0] = `B${run}-00010`; }],
  };
  const lines = [HEADER];
  const good = new Map(); // policy → { region, kinds }
  const bad = new Map(); // line → field
  for (let i = 0; i < 1000; i++) {
    const policy = `B${run}-${String(i).padStart(5, '0')}`;
    const region = i % 2 ? 'shanghai' : 'beijing';
    const kinds = kindsCycle[i % kindsCycle.length];
    const f = [policy, i % 3 ? '鑫享人生年金保险' : '"安心, 终身寿险"', kinds, `投保人${i}`,
      `139${String(10_000_000 + i * 7919).slice(-8)}`, idNumber(i), ends, region];
    const lineNo = lines.length + 1;
    if (faults[i]) {
      faults[i][1](f);
      bad.set(lineNo, faults[i][0]);
    } else {
      good.set(policy, { region, kinds });
    }
    lines.push(f.join(','));
  }
  expect(bad.size).toBe(21);
  const dir = mkdtempSync(join(tmpdir(), 'huifang-batch-'));
  const csv = join(dir, 'policies.csv');
  writeFileSync(csv, lines.join('\n') + '\n');

  const r = runBatch(['--edge', `beijing=${EDGE_URL},shanghai=${EDGE_URL}`, '--csv', csv, '--secret-file', '.dev.vars']);
  const summary = r.stderr.trim().split('\n').at(-1);
  console.log(`[batch] ${summary} (wall ${r.secs.toFixed(1)} s)`);
  expect(r.status, r.stderr).toBe(1);

  // stdout: one tab-separated line per created revisit, exactly the good rows.
  const created = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  expect(created.length).toBe(good.size);
  expect(new Set(created.map(([p]) => p))).toEqual(new Set(good.keys()));
  for (const [policy, region, link] of created) {
    expect(region).toBe(good.get(policy).region);
    expect(link).toMatch(new RegExp(`^${EDGE_URL}/r/[A-Za-z0-9_-]{38}$`));
  }

  // stderr: every bad row by its line with the expected field, and nothing else.
  const reported = r.stderr.trim().split('\n').filter((l) => l.startsWith('line '));
  const byLine = new Map();
  for (const l of reported) {
    const m = l.match(/^line (\d+): ([a-z_]+): (.+)$/);
    expect(m, l).not.toBeNull();
    byLine.set(Number(m[1]), [...(byLine.get(Number(m[1])) ?? []), m[2]]);
  }
  expect([...byLine.keys()].sort((a, b) => a - b)).toEqual([...bad.keys()].sort((a, b) => a - b));
  for (const [line, field] of bad) expect(byLine.get(line), `line ${line}`).toContain(field);
  expect(summary).toMatch(new RegExp(`^batch: 1000 rows, ${good.size} created, 21 bad \\(21 refused here, 0 by the edge\\)`));

  // A sample of the created revisits, read back through the insurer API: live, with the items
  // for their product kinds.
  const secret = readDevVars('.dev.vars').INSURER_API_SECRET;
  const itemCount = new Map();
  for (const [policy, , link] of created.filter((_, i) => i % 97 === 0)) {
    const id = new URL(link).pathname.split('/').pop().slice(0, 16);
    const { status, body } = await insurerRequest(EDGE_URL, secret, 'GET', `/v1/revisits/${id}`);
    expect(status).toBe(200);
    expect(body.stage).toBe('issued');
    itemCount.set(good.get(policy).kinds, body.item_count);
  }
  expect(itemCount.size).toBeGreaterThan(1);
  if (itemCount.has('') && itemCount.has('participating')) {
    expect(itemCount.get('participating')).toBeGreaterThan(itemCount.get(''));
  }
});

test("the edge's refusal is reported per row and the other rows still go", async () => {
  const run = Date.now().toString(36).toUpperCase();
  const ends = new Date(Date.now() + 15 * 86400_000).toISOString();
  const dir = mkdtempSync(join(tmpdir(), 'huifang-batch-'));
  const csv = join(dir, 'policies.csv');
  const rows = [0, 1, 2].map((i) => `R${run}-${i},鑫享人生年金保险,,张三,1381234567${i},${idNumber(i)},${ends},beijing`);
  writeFileSync(csv, [HEADER, ...rows].join('\n'));
  const wrongSecret = join(dir, 'wrong.vars');
  writeFileSync(wrongSecret, 'INSURER_API_SECRET="not-the-secret"\n');

  const refused = runBatch(['--edge', EDGE_URL, '--csv', csv, '--secret-file', wrongSecret]);
  expect(refused.status).toBe(1);
  expect(refused.stdout).toBe('');
  for (const line of [2, 3, 4]) {
    expect(refused.stderr).toContain(`line ${line}: edge: 401 signature_mismatch: `);
  }

  const ok = runBatch(['--edge', EDGE_URL, '--csv', csv, '--secret-file', '.dev.vars', '--concurrency', '2']);
  expect(ok.status, ok.stderr).toBe(0);
  expect(ok.stdout.trim().split('\n')).toHaveLength(3);
});
