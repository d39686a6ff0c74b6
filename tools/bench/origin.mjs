// Row 4: the origin, in process, release build: records verified and stored per second
// (`huifang-origin bench-ingest`: parse, verify the seal, archive in its own SQLite transaction, as
// POST /records does after reading the body), and the time `huifang-origin verify-archive` takes to
// re-verify an archive of 100,000 records. Each figure is taken with the build `make bench` ships
// (the workspace release profile) and, where built, with the same code at opt-level 3.
// With --pg (a cluster started by tools/pg.sh, issue 17): the same ingest into PostgreSQL, and the
// 100,000-record archive copied there (copy-archive, timed) and re-verified by verify-archive on
// PostgreSQL, which must give the SQLite archive's head.
// Row 4m (issue 19): an archive of 1,000,000 synthetic records sealed by the bench key
// (`bench-archive`, cached under --cache keyed by its shape; the row says whether it was rebuilt),
// then the time, CPU and max RSS of verify-archive on it, beside the same for the 100,000.
// Usage: node tools/bench/origin.mjs --out DIR --work DIR [--bin PATH] [--bin-opt3 PATH] [--pg 1]
//        [--cache DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { args, writeFragment, round } from './common.mjs';

const opts = args();
const out = opts.out ?? 'bench/results/.parts';
const work = opts.work ?? '.state/bench/origin-work';
const bin = opts.bin ?? 'target/release/huifang-origin';
const binOpt3 = opts['bin-opt3'] && existsSync(opts['bin-opt3']) ? opts['bin-opt3'] : null;
const INGEST = Number(process.env.BENCH_INGEST_RECORDS ?? 5000);
const ARCHIVE = Number(process.env.BENCH_ARCHIVE_RECORDS ?? 100000);
const MILLION = Number(process.env.BENCH_MILLION_RECORDS ?? 1000000);
const cache = opts.cache ?? '.state/bench/archive-cache';
mkdirSync(work, { recursive: true });

// A command's last JSON line, with its wall time, CPU time (user + system) and max RSS, as
// /usr/bin/time measures them (null where it is not installed).
function measured(binary, argv) {
  const timed = existsSync('/usr/bin/time');
  const [cmd, all] = timed ? ['/usr/bin/time', ['-f', 'bench-time %e %U %S %M', binary, ...argv]] : [binary, argv];
  const r = spawnSync(cmd, all, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = (r.stderr ?? '').split('\n');
  process.stderr.write(lines.filter((l) => !l.startsWith('bench-time ')).join('\n'));
  const out = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 && r.status !== 1) throw new Error(`${binary} ${argv[0]} exited ${r.status}: ${out}`);
  const t = lines.find((l) => l.startsWith('bench-time '))?.split(' ').slice(1).map(Number);
  return { ...JSON.parse(out), ...(t && { wall_s: t[0], cpu_s: round(t[1] + t[2], 2), max_rss_mb: round(t[3] / 1024, 1) }) };
}

function json(binary, argv) {
  const text = execFileSync(binary, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  return JSON.parse(text.trim().split('\n').pop());
}

// A fresh, empty schema of the bench's PostgreSQL cluster: the --db of an archive in it.
const pgSchema = (name) => execFileSync('tools/pg.sh', ['schema', name], { encoding: 'utf8' }).trim();
const pgDrop = (name) => execFileSync('tools/pg.sh', ['drop', name], { stdio: 'inherit' });

function ingest(binary, name, records, into) {
  const db = into ?? join(work, `${name}.sqlite3`);
  if (!into) for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  const r = measured(binary, ['bench-ingest', '--db', db, '--records', String(records), '--json']);
  console.log(`[bench] origin: ${name}: ${r.records} records, ${round(r.records_per_sec, 0)} records/s`);
  return { db, ...r };
}

function verify(binary, db, keys) {
  const r = measured(binary, ['verify-archive', '--db', db, '--edge-keys', keys, '--json']);
  if (r.failed !== 0) throw new Error(`verify-archive found ${r.failed} failures in ${db}: ${r.failures.slice(0, 3).join('; ')}`);
  return r;
}

const pick = (r) => ({
  records: r.records, threads: r.threads, in_flight: r.in_flight, mean_record_bytes: r.mean_record_bytes,
  // The timed part's own CPU (bench-ingest measures it), not the preparation before it.
  cpu_us_per_record: r.cpu_us_per_record != null ? round(r.cpu_us_per_record, 0) : null,
  records_per_sec: round(r.records_per_sec, 0), elapsed_s: round(r.elapsed_ms / 1000, 2),
  verify_us_per_record: round(r.verify_us_per_record, 0), store_us_per_record: round(r.store_us_per_record, 0),
});

const shipped = ingest(bin, 'ingest', INGEST);
const opt3 = binOpt3 ? ingest(binOpt3, 'ingest-opt3', INGEST) : null;

// The 100,000-record archive is made with the faster build when there is one (the records are the
// same either way); its making is not a figure of the row.
const made = ingest(binOpt3 ?? bin, 'archive', ARCHIVE);
const archiveBytes = statSync(made.db).size + (existsSync(`${made.db}-wal`) ? statSync(`${made.db}-wal`).size : 0);
const check = verify(bin, made.db, made.edge_keys);
console.log(`[bench] origin: verify-archive ${check.records} records in ${round(check.elapsed_ms / 1000, 1)} s`);
const checkOpt3 = binOpt3 ? verify(binOpt3, made.db, made.edge_keys) : null;
const verified = (r) => ({
  records: r.records, threads: r.threads, seconds: round(r.elapsed_ms / 1000, 2), records_per_sec: round(r.records_per_sec, 0),
  cpu_s: r.cpu_s ?? null, cpu_us_per_record: r.cpu_s != null ? round((r.cpu_s * 1e6) / r.records, 0) : null,
  cpu_cores_used: r.cpu_s != null ? round(r.cpu_s / r.wall_s, 2) : null, max_rss_mb: r.max_rss_mb ?? null,
});

// Row 4m: the million-record archive, built (or reused) with the faster build (the records are
// the same either way), then verified by the shipped build.
let million = null;
if (MILLION > 0) {
  const db = join(cache, `archive-${MILLION}.sqlite3`);
  mkdirSync(cache, { recursive: true });
  const built = json(binOpt3 ?? bin, ['bench-archive', '--db', db, '--records', String(MILLION)]);
  console.log(`[bench] origin: ${MILLION} records: ${built.rebuilt ? `built in ${round(built.build_seconds, 0)} s` : 'reused (same shape)'}`);
  const checked = verify(bin, db, built.edge_keys);
  if (checked.head_chain !== built.head_chain || checked.records !== MILLION) throw new Error(`verify-archive of ${db} ended at ${checked.head_seq}/${checked.head_chain}, not the built head`);
  console.log(`[bench] origin: verify-archive ${checked.records} records in ${round(checked.elapsed_ms / 1000, 1)} s, max RSS ${checked.max_rss_mb} MB`);
  million = {
    archive: { records: built.records, bytes: built.bytes, rebuilt: built.rebuilt, build_s: round(built.build_seconds, 1), shape: built.shape },
    verify_archive: verified(checked),
  };
}

let postgres = null;
if (opts.pg) {
  const ingested = ingest(bin, 'ingest-postgres', INGEST, pgSchema('bench_ingest'));
  pgDrop('bench_ingest');
  const archive = pgSchema('bench_archive');
  const started = Date.now();
  execFileSync(bin, ['copy-archive', '--from', made.db, '--to', archive, '-q'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const copySeconds = (Date.now() - started) / 1000;
  const checkPg = verify(bin, archive, made.edge_keys);
  pgDrop('bench_archive');
  if (checkPg.head_chain !== check.head_chain || checkPg.records !== check.records) {
    throw new Error(`the PostgreSQL copy's head ${checkPg.head_seq}/${checkPg.head_chain} is not the SQLite archive's ${check.head_seq}/${check.head_chain}`);
  }
  console.log(`[bench] origin: PostgreSQL: copy-archive ${round(copySeconds, 1)} s, verify-archive ${round(checkPg.elapsed_ms / 1000, 1)} s, same head`);
  postgres = {
    ingest: pick(ingested),
    copy_archive_s: round(copySeconds, 1),
    verify_archive: { records: checkPg.records, threads: checkPg.threads, seconds: round(checkPg.elapsed_ms / 1000, 2), records_per_sec: round(checkPg.records_per_sec, 0), same_head_as_sqlite: true },
  };
}

writeFragment(out, 'origin', {
  what: 'in process, no HTTP; release build (workspace [profile.release]: opt-level "z", lto) and the same code at opt-level 3',
  ingest: pick(shipped),
  ingest_opt3: opt3 && pick(opt3),
  archive: { records: made.records, bytes: archiveBytes, made_in_s: round(made.elapsed_ms / 1000, 1) },
  verify_archive: verified(check),
  million,
  postgres,
  verify_archive_opt3: checkOpt3 && { records: checkOpt3.records, threads: checkOpt3.threads, seconds: round(checkOpt3.elapsed_ms / 1000, 2), records_per_sec: round(checkOpt3.records_per_sec, 0) },
});
