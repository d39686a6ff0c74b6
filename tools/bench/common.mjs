// Shared by the benchmark scripts: statistics, the machine's description, result fragments.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, loadavg } from 'node:os';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The q-quantile (0..1) of numbers, by nearest rank on the sorted list. */
export function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}
export const median = (values) => quantile(values, 0.5);

/** Rounds for the table and the JSON: 3 significant digits below 100, whole numbers above. */
export function round(x, digits = 1) {
  if (x == null || Number.isNaN(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Writes one part of the results (`<dir>/<name>.json`). */
export function writeFragment(dir, name, value) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(value, null, 2) + '\n');
}

export function readFragment(dir, name) {
  try { return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')); } catch { return null; }
}

function run(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; }
}

/** What the figures were measured on. */
export function machine() {
  const chromium = run('/usr/bin/chromium', ['--version']);
  return {
    nproc: Number(run('nproc', [])) || cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gib: round(totalmem() / 2 ** 30, 1),
    os: run('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']) ?? 'unknown',
    kernel: run('uname', ['-r']),
    node: process.version,
    rustc: run('rustc', ['--version']),
    chromium: chromium?.split('\n').pop() ?? null,
    wrangler: run('node_modules/.bin/wrangler', ['--version'])?.split('\n').pop() ?? null,
    // Other work on the machine skews every figure: the 1-minute load average when the report was made.
    load_average_1m: round(loadavg()[0], 2),
  };
}

/** Parses `--name value` arguments into an object. */
export function args(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[i + 1]?.startsWith('--') ? true : argv[++i] ?? true;
  }
  return out;
}
