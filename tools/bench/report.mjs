// Gathers the parts written by sizes/browser/edge/origin.mjs into bench/results/latest.json (and a
// dated copy), writes the table as bench/results/latest.md and prints it.
// Usage: node tools/bench/report.mjs --parts DIR [--results bench/results]
import { writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { args, readFragment, machine, round } from './common.mjs';

const opts = args();
const parts = opts.parts;
const results = opts.results ?? 'bench/results';
const when = new Date();
const stamp = when.toISOString().replace(/[:]/g, '').replace(/\..*/, 'Z');

const bytes = readFragment(parts, 'first_load_bytes');
const paint = readFragment(parts, 'first_paint');
const paintSlow = readFragment(parts, 'first_paint_slow');
const edge = readFragment(parts, 'edge');
const selfHosted = readFragment(parts, 'edge-workerd');
const origin = readFragment(parts, 'origin');
const bundle = readFragment(parts, 'worker_bundle');
const host = machine();
host.load_average_1m_at_start = readFragment(parts, 'start')?.load_average_1m ?? null;
let commit = null;
try { commit = (await import('node:child_process')).execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { /* not a clone */ }

const kb = (n) => n == null ? '–' : `${round(n / 1024, 1)} KB`;
const ms = (n) => n == null ? '–' : `${round(n, 1)} ms`;
const x = (n) => n == null ? '–' : `${n}×`;
const pct = (a, b) => `${Math.round((a / b) * 100)}%`;

const rows = [];

// Where the cores went at the load's busiest stage: CPU per API request of each process group,
// beside the same per bare DO read in the ceiling (issue 19).
function throughputCost(edge) {
  const c = edge.load.cpu_per_api_request, p = edge.ceiling_do_read.cpu_per_request;
  if (c?.edge_ms == null) return 'CPU use not measured (process groups unknown)';
  const sum = (u) => round(u.edge_ms + (u.origin_ms ?? 0) + u.load_generator_ms, 2);
  const busy = edge.load.cpu_cores_busy;
  return `CPU per API request: edge ${c.edge_ms} ms, origin ${c.origin_ms} ms, load generator ${c.load_generator_ms} ms (it shares the cores) = ${sum(c)} ms`
    + ` vs per bare DO read ${p.edge_ms} + ${p.origin_ms} + ${p.load_generator_ms} = ${sum(p)} ms (${x(round(sum(c) / sum(p), 1))}, edge alone ${x(round(c.edge_ms / p.edge_ms, 1))});`
    + ` cores busy: edge ${busy.edge}, origin ${busy.origin}, load generator ${busy.load_generator}`;
}
// Row 3's capacity (issue 19): the closed loop's busiest stage against the ceiling measured beside it.
function throughputRow(edge, label) {
  const l = edge.load, c = edge.ceiling_do_read;
  const best = l.stages.find((s) => s.users === l.best_users);
  return [label + ` (closed loop of users with the real reading waits, stages of ${l.stages_users.join('/')} users, ${l.stage_seconds} s each)`,
    `${l.api_requests_per_sec} API req/s of complete revisits at ${l.best_users} users (p50 ${ms(l.request_p50_ms)}, p99 ${ms(l.request_p99_ms)}); `
      + `${l.completed} revisits, ${l.failed} failed, ${l.records_delivered_to_origin} records at the origin${l.transport_retries ? `, ${l.transport_retries} requests sent again after a kept-alive connection was reset` : ''}${l.proxy_retries ? `, ${l.proxy_retries} sent again after wrangler dev's proxy answered 503 "Your worker restarted mid-request"` : ''}; by stage: ${l.stages.map((s) => `${s.users} → ${s.api_requests_per_sec}`).join(', ')} req/s`
      + (best ? `; load generator's event-loop delay p99 ${ms(best.load_generator_event_loop_delay_ms?.p99)}` : ''),
    `bare DO read ceiling ${c.requests_per_sec} req/s (${c.connections} connections; before/after the load: ${c.runs_requests_per_sec?.join(' / ') ?? '–'}); worker alone ${edge.ceiling_worker_only.requests_per_sec} req/s`,
    `${x(edge.ratio_api_to_do_read_ceiling)} the ceiling's req/s` + (edge.ratio_cpu_bound != null ? `; ${x(edge.ratio_cpu_bound)} by CPU per request (all processes: the ratio if both cores were this test's alone)` : ''),
    throughputCost(edge)];
}
function throughputNote(edge) {
  const q = edge.sequential;
  return `Step times: ${q.revisits} revisits, ${q.lanes ?? 1} at once with one request in flight at a time (a lock), so each step is an unloaded round trip while the reading waits overlap. `
    + 'Throughput: each stage adds its users over one revisit\'s reading time, then counts for its seconds the requests of revisits that complete (every step); the stages stop rising at the first that adds under 10% or fails; '
    + 'the ratio is that of two CPU-bound rates on the same two cores, so it is about the ratio of the CPU per bare DO read (all processes) to the CPU per API request (all processes). '
    + 'Where the edge\'s CPU goes (profiled 2026-12-01, issue 19): under wrangler dev about a third each in wrangler\'s node (it logs every request), its proxy workerd and the workerd running the Worker, the first two paid by the ceiling alike; '
    + 'on plain workerd (perf, 150 users) about 20% starting objects (each revisit then started three: its RevisitSession and two SendThrottles, each a new SQLite file: file creation in the kernel alone 12%; since session 7 the send caps live in 16 shared SendThrottle objects, so a revisit starts one), 14% SQLite statements, 15% subrequest machinery, 9% V8 handles and GC, and the Worker\'s own code (Rust wasm and its JS glue) about 10%. '
    + 'Plain workerd runs the Worker and all its objects on one thread, so its edge never uses more than one of the two cores; '
    + 'wrangler dev under 100 or more users answers some POSTs 503 "Your worker restarted mid-request" with no reload in its log (its proxy worker\'s answer, asking for the request again): the client sends each such request again once, as a person would tap again, and counts it; a request the edge had in fact applied would be refused and fail the revisit.';
}
// Row 1's brotli: the build's .br copies as the edge sends them to a browser that takes brotli.
function brotliNote(app) {
  const wire = app.edge_br != null ? `; measured ${kb(app.edge_br)} on the wire from the edge's precompressed .br files` : '';
  return `Brotli (quality 11): ${kb(app.brotli)}${wire}.`;
}
// Row 4's largest cost (issue 19: target 4,000 records/s): CPU per record and where it goes.
function ingestCost(i, i3) {
  const cpu = i.cpu_us_per_record;
  const target = i.records_per_sec >= 4000 ? 'target 4,000/s met' : 'target 4,000/s missed';
  return `${target}: ${cpu ?? '?'} µs of CPU per record (parse + seal check ${i.verify_us_per_record} µs of it, summed over deliveries; the rest the one writer's inserts and the canonical JSON it stores)`
    + `; a delivery waits ${round(i.store_us_per_record / 1000, 1)} ms for its group commit`
    + (i3 ? `; at opt-level 3 ${i3.cpu_us_per_record ?? '?'} µs` : '');
}

// Row 4m (issue 19): verify-archive of a million synthetic records, against 60 s.
function millionRow(origin) {
  const m = origin.million, v100 = origin.verify_archive;
  if (!m) return null;
  const v = m.verify_archive;
  const met = v.seconds <= 60;
  const fullCores = v.cpu_s != null ? round(v.cpu_s / 2, 1) : null;
  return {
    row: [`4m verify-archive of ${m.archive.records.toLocaleString('en')} records (${round(m.archive.bytes / 2 ** 30, 1)} GiB; ${m.archive.rebuilt ? `built this run in ${m.archive.build_s} s` : 'cached archive reused, same shape'})`,
      `${v.seconds} s (${v.records_per_sec}/s, ${v.threads} threads); ${v.cpu_us_per_record} µs of CPU per record, ${v.cpu_cores_used} cores busy; max RSS ${v.max_rss_mb} MB`,
      `target 60 s; ${origin.archive.records.toLocaleString('en')} records (row 4): ${v100.seconds} s, max RSS ${v100.max_rss_mb} MB`,
      `${x(round(v.seconds / 60, 2))} the target; memory ${x(round(v.max_rss_mb / v100.max_rss_mb, 2))} at ${round(m.archive.records / origin.archive.records, 0)}× the records`,
      `${met ? 'target met' : 'target missed'}: CPU-bound — seal checks (Ed25519 with its SHA-512 over ~8 KB, the record's canonical JSON and SHA-256, the trace's hashes) on every core; ${fullCores ?? '?'} s on two free cores`
        + (v.cpu_cores_used != null && v.cpu_cores_used < 1.8 ? `, but only ${v.cpu_cores_used} cores were free (other load)` : '')
        + '; in a profile Ed25519 (curve arithmetic and its SHA-512) is about 40% of that CPU, JSON (parse, canonical form, string escapes) about 25%. Those crates are already built at opt-level 3 (Cargo.toml); row 4 compares the whole build at 3. Cut by more cores, as the checks scale with them; batch Ed25519 verification would about halve the curve arithmetic but is not used: it lets a signature changed by a small-order point pass (its coefficients are derived from the inputs, so whoever alters the archive can retry until one does), and the verifier must name any altered byte'],
    note: `Row 4m: ${m.archive.shape}; records as row 4's (default script, the bench key), made on every core and stored 2,000 to a transaction through the store's batch path; cached under the bench's state folder and rebuilt only when its shape changes. verify-archive streams (a reader walks the chain, workers check seals, at most 2,048 rows between them), so its memory does not grow with the archive.`,
  };
}

const notes = [];

// What would cut the two costs that the targets of issue 19 (120 KB gzip; send_code at 2× a bare
// Durable Object read) are still above, as measured when they were last looked into.
const WASM_CUT = '. Its code is mostly Leptos (tachys, reactive_graph and leptos: about 45% of the code) and the pages\' views; '
  + 'with the pages after the code (ID number, face, items, review, signature, done) taken out the file measured 121.3 KB instead of 149.6 (gzip -6) '
  + 'on 2026-12-02 (the app as at 3f21bce), so even loading those pages lazily (Leptos #[lazy] with wasm_split) would leave the first load near 136 KB; not done';
const SEND_CODE_COST = ': two object hops in series, the session and then the send caps (the phone\'s and the IP\'s SendThrottle objects, asked in parallel) '
  + 'while the person waits, so that a refusal is their answer (R8); a bare read is one hop. Only counting the caps after the answer (in the alarm) would cut it, '
  + 'and that answers 200 to a send the caps then refuse; not done';

// Rows 2 and 2s (issue 19): where the time to the first control goes. The page's headers have the
// browser ask for the session (a preload hint), the page's first script takes its answer and draws
// the landing; the wasm loads after it.
function firstPaintCost(p) {
  const t = p.app.timeline ?? {};
  const nav = t['/r/<token>'], css = t['/app.css'], session = t['/v1/session'], wasm = t['/app_bg.wasm'];
  if (!session) return 'see the fragment\'s app.timeline';
  return `chain: page ${ms(nav?.end)}, the session (the page's preload hint, GET /v1/session/open/<token>) ${ms(session.start)}→${ms(session.end)}`
    + (css ? ` (app.css ${ms(css.start)}→${ms(css.end)})` : '') + ', '
    + `landing drawn ${ms(p.app.actionable.median - session.end)} later` + (wasm ? `; the wasm after it (done ${ms(wasm.end)})` : '')
    + answerBound(p, session);
}
// The least the first control can take: the session's answer (personal data, so never in the page
// itself, issue 19) leaves when the page is committed and needs one round trip; the floor's button
// needs none after its page. A target under this ratio cannot be met by the page's own work.
function answerBound(p, session) {
  const floor = p.floor.actionable.median;
  if (!floor || !session.end) return '';
  return `. The answer alone comes at ${x(round(session.end / floor, 2))} the floor's control (asked at the page's commit, ${ms(session.start)}, plus one ${ms(p.network?.latency_ms)} round trip and the edge); `
    + 'only asking before the commit would cut that: 103 Early Hints need HTTP/2, and this loopback line is HTTP/1.1';
}
function appTakesOver(p) {
  return p.app.app?.median != null ? `; the app (wasm) takes over at ${ms(p.app.app.median)}` : '';
}
function firstPaintSlowRow(p) {
  return ['2s First paint / first actionable control, slow profile (400 ms RTT, 0.4 Mbit/s; median of ' + p.loads_each + ' loads each)',
    `FCP ${ms(p.app.fcp.median)}, actionable ${ms(p.app.actionable.median)}` + appTakesOver(p),
    `FCP ${ms(p.floor.fcp.median)}, actionable ${ms(p.floor.actionable.median)}`,
    `FCP ${x(p.ratio_fcp)}, actionable ${x(p.ratio_actionable)}`,
    firstPaintCost(p)];
}
if (bytes) {
  const wasm = bytes.app.files.find((f) => f.name === 'app_bg.wasm');
  rows.push(['1 First load (HTML+CSS+JS+WASM)',
    `${kb(bytes.app.raw)} raw, ${kb(bytes.app.gzip)} gzip`,
    `${kb(bytes.floor.raw)} raw, ${kb(bytes.floor.gzip)} gzip`,
    `${x(bytes.ratio_raw)} raw, ${x(bytes.ratio_gzip)} gzip`,
    `app_bg.wasm: ${pct(wasm.gzip, bytes.app.gzip)} of the gzip bytes (${kb(wasm.gzip)})` + WASM_CUT]);
  notes.push(`Row 1: gzip as sent by the edge (workerd, on the fly; measured ${kb(bytes.app.edge_gzip)} on the wire) and by the floor's server (zlib level 6, the same level). ${brotliNote(bytes.app)}`);
}
if (paint) {
  rows.push(['2 First paint / first actionable control (median of ' + paint.loads_each + ' loads each)',
    `FCP ${ms(paint.app.fcp.median)}, actionable ${ms(paint.app.actionable.median)}` + appTakesOver(paint),
    `FCP ${ms(paint.floor.fcp.median)}, actionable ${ms(paint.floor.actionable.median)}`,
    `FCP ${x(paint.ratio_fcp)}, actionable ${x(paint.ratio_actionable)}`,
    firstPaintCost(paint)]);
  if (paint.failed_loads?.length) notes.push(`Row 2: ${paint.failed_loads.length} load(s) failed and were taken again: ${paint.failed_loads.map((f) => `${f.kind}: ${f.error.slice(0, 160)}`).join('; ')}.`);
  notes.push(`Row 2: ${paint.what}. Actionable: ${paint.actionable_means}. Bytes per load on the wire (CDP, with headers and the API call): app ${kb(paint.app.bytes.median)} in ${paint.app.requests.median} requests, floor ${kb(paint.floor.bytes.median)}.`);
}
if (paintSlow) {
  rows.push(firstPaintSlowRow(paintSlow));
  notes.push(`Row 2s: ${paintSlow.what}; bytes per load on the wire: app ${kb(paintSlow.app.bytes.median)} in ${paintSlow.app.requests.median} requests, floor ${kb(paintSlow.floor.bytes.median)}.`);
}
if (edge) {
  const s = edge.sequential.steps;
  const slowest = Object.entries(s).sort((a, b) => b[1].p50 - a[1].p50)[0];
  rows.push(['3 Edge per API step (p50 / p99)',
    Object.entries(s).map(([k, v]) => `${k} ${round(v.p50, 1)} / ${round(v.p99, 1)}`).join('; ') + ' ms',
    `bare DO read ${round(edge.bare_do_read.p50, 1)} / ${round(edge.bare_do_read.p99, 1)} ms back to back`
      + (edge.bare_do_read_beside ? `, ${round(edge.bare_do_read_beside.p50, 1)} / ${round(edge.bare_do_read_beside.p99, 1)} ms beside the steps` : '')
      + `; worker alone ${round(edge.worker_only.p50, 1)} / ${round(edge.worker_only.p99, 1)} ms`,
    Object.entries(edge.step_to_do_read_p50).map(([k, v]) => `${k} ${v}×`).join(', ')
      + (edge.step_to_do_read_beside_p50 ? `; beside the steps: ${Object.entries(edge.step_to_do_read_beside_p50).map(([k, v]) => `${k} ${v}×`).join(', ')}` : ''),
    `${slowest[0]} (p50 ${ms(slowest[1].p50)})` + (slowest[0] === 'send_code' ? SEND_CODE_COST : '')]);
  rows.push(throughputRow(edge, '3 Edge throughput, wrangler dev'));
  if (!edge.sequential.record_delivered_to_origin || edge.load.records_delivered_to_origin !== edge.load.completed) notes.push('**Row 3 check failed: a completed revisit\'s sealed record did not reach the origin** (see the stack logs).');
  notes.push(`Row 3: ${edge.what}. ${edge.bare_do_read.means}; back to back: 300 in a row after the steps; beside the steps: ${edge.bare_do_read_beside?.means ?? 'not taken'}. Ceilings with autocannon, ${edge.ceiling_do_read.connections} connections, ${edge.ceiling_do_read.seconds} s each. ${throughputNote(edge)}`);
}
if (edge && selfHosted) {
  // Issue 18: the same row on the self-hosted edge, measured in the same run, as ratios.
  const step = (e, k) => e.sequential.steps[k];
  const steps = Object.keys(selfHosted.sequential.steps);
  const cpu = (e) => e.load.cpu_per_api_request?.edge_ms;
  rows.push(['3s Self-hosted workerd vs wrangler dev (same run)',
    steps.map((k) => `${k} ${round(step(selfHosted, k).p50, 1)} / ${round(step(selfHosted, k).p99, 1)}`).join('; ') + ' ms (p50 / p99)',
    `capacity ${selfHosted.load.api_requests_per_sec} API req/s of complete revisits at ${selfHosted.load.best_users} users (p50 ${ms(selfHosted.load.request_p50_ms)}, p99 ${ms(selfHosted.load.request_p99_ms)}); bare DO read ceiling ${selfHosted.ceiling_do_read.requests_per_sec} req/s`,
    `answer step p50 ${x(round(step(selfHosted, 'answer_item')?.p50 / step(edge, 'answer_item')?.p50, 2))}, API req/s ${x(round(selfHosted.load.api_requests_per_sec / edge.load.api_requests_per_sec, 2))}, DO read ceiling ${x(round(selfHosted.ceiling_do_read.requests_per_sec / edge.ceiling_do_read.requests_per_sec, 2))}`
      + (cpu(selfHosted) && cpu(edge) ? `, edge CPU per API request ${x(round(cpu(selfHosted) / cpu(edge), 2))}` : '') + ' of wrangler dev',
    'capacity and CPU per request: the next row']);
  rows.push(throughputRow(selfHosted, '3s Edge throughput, self-hosted workerd'));
  if (!selfHosted.sequential.record_delivered_to_origin || selfHosted.load.records_delivered_to_origin !== selfHosted.load.completed) notes.push('**Row 3s check failed: a completed revisit\'s sealed record did not reach the origin** (see the stack logs).');
  notes.push(`Row 3s: ${selfHosted.what}; the same load, origin and machine as row 3, right after it.`);
}
if (origin) {
  const i = origin.ingest, v = origin.verify_archive;
  const i3 = origin.ingest_opt3, v3 = origin.verify_archive_opt3;
  rows.push(['4 Origin: verify + store, and verify-archive of ' + origin.archive.records.toLocaleString('en') + ' records',
    `${i.records_per_sec} records/s (${i.records} records of ${kb(i.mean_record_bytes)}, ${i.in_flight ?? i.threads} deliveries in flight); verify-archive ${v.seconds} s (${v.records_per_sec}/s${v.max_rss_mb != null ? `, max RSS ${v.max_rss_mb} MB` : ''})`,
    i3 ? `same code at opt-level 3: ${i3.records_per_sec} records/s; verify-archive ${v3.seconds} s` : '–',
    i3 ? `${x(round(i3.records_per_sec / i.records_per_sec, 1))} faster ingest, ${x(round(v.seconds / v3.seconds, 1))} faster verify` : '–',
    ingestCost(i, i3)]);
  notes.push(`Row 4: ${origin.what}. Deliveries share commits (group commit, issue 19): each is acknowledged once the transaction holding its record is durable. Per-record verify/store times are summed over deliveries (store includes the wait for the commit); CPU is the whole process's (user + system, /usr/bin/time).`);
  const m = millionRow(origin);
  if (m) { rows.push(m.row); notes.push(m.note); }
  const pg = origin.postgres;
  if (pg) {
    const pi = pg.ingest, pv = pg.verify_archive;
    rows.push(['4p Origin on PostgreSQL (loopback cluster of tools/pg.sh): verify + store, and verify-archive of ' + pv.records.toLocaleString('en') + ' records',
      `${pi.records_per_sec} records/s (${pi.records} records, ${pi.in_flight ?? pi.threads} deliveries in flight); verify-archive ${pv.seconds} s (${pv.records_per_sec}/s), same head as SQLite; copy-archive from SQLite ${pg.copy_archive_s} s`,
      `SQLite (row 4): ${i.records_per_sec} records/s; verify-archive ${v.seconds} s`,
      `${x(round(pi.records_per_sec / i.records_per_sec, 2))} ingest, ${x(round(pv.seconds / v.seconds, 2))} verify time of SQLite`,
      `store: a loopback round trip per statement (about 8 a record) in the one writer's batch under the chain's row lock — ${pi.store_us_per_record} µs per delivery (its wait for the commit included) vs verify ${pi.verify_us_per_record} µs, ${pi.cpu_us_per_record ?? '?'} µs of origin CPU per record; cut by one multi-row INSERT per table per batch (or pipelined statements)`]);
    notes.push('Row 4p: the same release build and records as row 4, into PostgreSQL 15 on loopback (fsync and synchronous_commit on, shared_buffers 64 MB); the 100,000-record archive is row 4\'s, moved by copy-archive, then verified there.');
  }
}
if (bundle) {
  const wasm = bundle.upload?.modules?.find((m) => m.name.endsWith('.wasm'));
  rows.push(['5 Worker bundle (wrangler deploy --dry-run)',
    `${kb(bundle.raw)} raw, ${kb(bundle.gzip)} gzip`,
    `limit 3 MB (Free) / 10 MB (Paid), gzip-compressed`,
    `${bundle.share_of_free}% of Free, ${bundle.share_of_paid}% of Paid`,
    wasm ? `index_bg.wasm: ${pct(wasm.gzip, bundle.gzip)} of the gzip bytes` : '–']);
}

const table = [
  '| row | Huifang | reference | ratio | largest cost |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const machineLine = `${host.nproc} × ${host.cpu_model}, ${host.memory_gib} GiB, ${host.os}; Node ${host.node}, ${host.rustc}, ${host.chromium}, wrangler ${host.wrangler}; 1-minute load average ${host.load_average_1m_at_start ?? '?'} at the start, ${host.load_average_1m} at the end`;
const md = `# Huifang benchmarks — ${when.toISOString()}

\`make bench\` at commit ${commit ?? 'unknown'} on ${machineLine}.

${table}

${notes.map((n) => `- ${n}`).join('\n')}

All traffic on loopback; the edge is local workerd under \`wrangler dev\`, not Cloudflare's network. Raw figures: [latest.json](latest.json).
`;

mkdirSync(results, { recursive: true });
const all = { when: when.toISOString(), commit, machine: host, first_load_bytes: bytes, first_paint: paint, first_paint_slow: paintSlow, edge, edge_self_hosted: selfHosted, origin, worker_bundle: bundle };
writeFileSync(join(results, 'latest.json'), JSON.stringify(all, null, 2) + '\n');
copyFileSync(join(results, 'latest.json'), join(results, `${stamp}.json`));
writeFileSync(join(results, 'latest.md'), md);
console.log('\n' + md);
console.log(`[bench] written: ${results}/latest.json, ${results}/${stamp}.json, ${results}/latest.md`);
