// Row 3: the edge under real workerd (`wrangler dev`) on loopback.
// - Per API step of a revisit: latency measured by the client, one revisit at a time. workerd gives
//   no server timing, and a Worker's clock does not advance during CPU work, so this is the loopback
//   round trip: it includes workerd's routing and the HTTP stack, and it is an upper bound of the
//   server-side time.
// - Complete revisits per minute: N virtual users on loopback, each running whole revisits in a
//   loop, bounded by a count and a time.
// - Beside it, the same run's ceiling of a bare Durable Object read (GET /v1/bench/do-read, needs
//   the var BENCH_PROBE=1) and of a Worker answering alone (a 404 of the router), with autocannon.
// Usage: node tools/bench/edge.mjs --out DIR [--runtime wrangler|workerd]   (EDGE_URL and ORIGIN_URL
// name the stack; the runtime names the fragment: edge.json for wrangler dev, edge-workerd.json)
import autocannon from 'autocannon';
import { readdirSync, readFileSync } from 'node:fs';
import { args, writeFragment, quantile, median, round } from './common.mjs';
import { signature, readDevVars, revisitRequest, loadScript, withReadingSecs } from '../../e2e/lib/insurer.mjs';

const opts = args();
const out = opts.out ?? 'bench/results/.parts';
const RUNTIME = opts.runtime === 'workerd' ? 'workerd' : 'wrangler';
const EDGE = process.env.EDGE_URL ?? 'http://127.0.0.1:8797';
const ORIGIN = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8798';
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL_REVISITS ?? 100);
const USERS = Number(process.env.BENCH_USERS ?? 20);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
const LOAD_MAX_REVISITS = Number(process.env.BENCH_LOAD_MAX_REVISITS ?? 600);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 10);

// CPU seconds used so far by every process of a process group (the stack's edge: wrangler's node and
// its two workerd processes; the origin), from /proc; null when the group is not known.
const EDGE_PGID = Number(process.env.BENCH_EDGE_PGID) || null;
const ORIGIN_PGID = Number(process.env.BENCH_ORIGIN_PGID) || null;
function groupCpuSeconds(pgid) {
  if (!pgid) return null;
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]); // pgrp; utime + stime
    } catch { /* the process ended meanwhile */ }
  }
  return ticks / 100; // USER_HZ
}
function cpuMeter() {
  const at = () => ({ edge: groupCpuSeconds(EDGE_PGID), origin: groupCpuSeconds(ORIGIN_PGID), client: process.cpuUsage() });
  const start = at();
  return () => {
    const end = at();
    const d = (k) => (start[k] == null ? null : end[k] - start[k]);
    const client = (end.client.user + end.client.system - start.client.user - start.client.system) / 1e6;
    return { edge_s: d('edge'), origin_s: d('origin'), load_generator_s: client };
  };
}
const perUnit = (cpu, n) => Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k.replace(/_s$/, '_ms'), v == null ? null : round(v * 1000 / n, 2)]));

const secret = readDevVars('.dev.vars').INSURER_API_SECRET;
// R9: the edge refuses an answer sooner after its item was shown than the item's minimum reading
// time (less a 500 ms margin). The bench's policyholders read each item for 1 s, the least a script
// may ask, and answer when it is up, as a careful client would: the wait is not timed as a step,
// but it bounds how many whole revisits a user can finish in a minute.
const READ_SECS = 1;
const script = withReadingSecs(loadScript('scripts/default.json'), READ_SECS);
const READING_NOTE = `each revisit reads ${script.items.length} items for ${READ_SECS} s each (R9: the edge refuses a sooner answer), so a user finishes at most one revisit every ${script.items.length * READ_SECS} s and revisits/min is bound by reading, not by the edge; the reading waits are not in the step times`;
let serial = 0;

/** One policyholder's browser: the link token, the device cookie, a client address of its own. */
class Policyholder {
  constructor(token, ip) { this.token = token; this.ip = ip; this.cookies = new Map(); }
  async call(method, path, body) {
    const headers = { authorization: `Bearer ${this.token}`, 'cf-connecting-ip': this.ip };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    const t0 = performance.now();
    const res = await fetch(new URL(path, EDGE), init);
    const text = await res.text();
    const ms = performance.now() - t0;
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return { ms, body: JSON.parse(text) };
  }
}

async function timedCreate(request) {
  const path = '/v1/revisits';
  const body = JSON.stringify(request);
  const ts = Math.floor(Date.now() / 1000);
  const t0 = performance.now();
  const res = await fetch(new URL(path, EDGE), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-huifang-timestamp': String(ts), 'x-huifang-signature': signature(secret, 'POST', path, ts, body) },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 201) throw new Error(`create: ${res.status} ${text.slice(0, 200)}`);
  return { ms, body: JSON.parse(text) };
}

async function smsCode(phone) {
  for (let i = 0; i < 50; i++) {
    const list = await (await fetch(`${ORIGIN}/sms/outbox?phone=${phone}&limit=1`)).json();
    if (list[0]?.code) return list[0].code;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no SMS code for ${phone}`);
}

/** One whole revisit through the HTTP API; calls `record(step, ms)` for each edge request. */
async function revisit(record) {
  const n = ++serial;
  const phone = '136' + String((process.pid * 1000 + n) % 1e8).padStart(8, '0');
  const request = revisitRequest(script);
  request.policyholder = { ...request.policyholder, phone };
  const created = await timedCreate(request);
  record('create', created.ms);
  // A client address per revisit, each in its own /64 (the per-IP cap counts an IPv6 client by its
  // /64), in the IPv6 documentation prefix (a header only: nothing is sent there),
  // so the per-IP SMS limit sees distinct people, as in the field.
  const who = new Policyholder(new URL(created.body.link).pathname.split('/').pop(), `2001:db8:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`);
  record('open', (await who.call('GET', '/v1/session')).ms);
  record('send_code', (await who.call('POST', '/v1/session/code')).ms);
  const code = await smsCode(phone);
  const verified = await who.call('POST', '/v1/session/verify', { code });
  record('verify', verified.ms);
  // Each item is shown once the step before has answered: read it for its minimum from then.
  let shownAt = performance.now();
  for (let i = 0; i < script.items.length; i++) {
    const wait = shownAt + READ_SECS * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    record('answer_item', (await who.call('POST', `/v1/session/items/${i}`, { answer: 'yes' })).ms);
    shownAt = performance.now();
  }
  record('complete', (await who.call('POST', '/v1/session/complete')).ms);
  return created.body.revisit_id;
}

function stats(samples) {
  return { n: samples.length, p50: round(median(samples), 2), p99: round(quantile(samples, 0.99), 2), mean: round(samples.reduce((a, b) => a + b, 0) / samples.length, 2) };
}

async function getLatencies(path, count) {
  const ms = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const res = await fetch(new URL(path(i), EDGE));
    await res.arrayBuffer();
    ms.push(performance.now() - t0);
    if (res.status !== 200 && res.status !== 404) throw new Error(`${path(i)}: ${res.status}`);
  }
  return ms;
}

async function ceiling(path, spread) {
  let i = 0;
  const cpu = cpuMeter();
  const result = await autocannon({
    url: new URL(path, EDGE).href,
    connections: USERS,
    duration: CEILING_SECONDS,
    requests: spread ? [{ setupRequest: (req) => ({ ...req, path: `${path}?shard=${i++ % 64}` }) }] : undefined,
  });
  return {
    connections: USERS, seconds: CEILING_SECONDS,
    requests_per_sec: round(result.requests.average, 0),
    p50_ms: result.latency.p50, p99_ms: result.latency.p99,
    total: result.requests.total, non2xx: result.non2xx, errors: result.errors,
    cpu_per_request: perUnit(cpu(), result.requests.total),
  };
}

// The probe must be on, and answer as the empty object it is.
const probe = await fetch(new URL('/v1/bench/do-read', EDGE));
const probeBody = await probe.text();
if (probe.status !== 200 || JSON.parse(probeBody).object_status !== 404) {
  throw new Error(`GET /v1/bench/do-read answered ${probe.status} ${probeBody}: start the edge with --var BENCH_PROBE:1 and a build that has the probe`);
}

// 1. One revisit at a time (after two untimed ones to warm the isolate).
await revisit(() => {}); await revisit(() => {});
const steps = {};
let lastId = null;
const seqStart = performance.now();
for (let i = 0; i < SEQUENTIAL; i++) {
  lastId = await revisit((step, ms) => (steps[step] ??= []).push(ms));
  if ((i + 1) % 10 === 0) process.stdout.write(`\r[bench] edge: ${i + 1}/${SEQUENTIAL} sequential revisits`);
}
process.stdout.write('\n');
const seqSeconds = (performance.now() - seqStart) / 1000;
const doRead = await getLatencies((i) => `/v1/bench/do-read?shard=${i % 64}`, 300);
const workerOnly = await getLatencies(() => '/v1/bench/none', 300);

// The record of the last revisit must reach the origin (the alarm delivers it).
let delivered = false;
for (let i = 0; i < 100 && !delivered; i++) {
  delivered = (await fetch(`${ORIGIN}/records/${lastId}`)).status === 200;
  if (!delivered) await new Promise((r) => setTimeout(r, 100));
}

// The ceiling is taken before and after the load and the higher kept: on a shared machine a single
// run can land on a busy moment.
const doCeilingBefore = await ceiling('/v1/bench/do-read', true);

// 2. Load: USERS virtual users, whole revisits, until LOAD_SECONDS or LOAD_MAX_REVISITS.
const loadSteps = [];
let started = 0, completed = 0, failed = 0;
const errors = new Map();
const loadCpu = cpuMeter();
const loadStart = performance.now();
const deadline = loadStart + LOAD_SECONDS * 1000;
await Promise.all(Array.from({ length: USERS }, async () => {
  while (performance.now() < deadline && started < LOAD_MAX_REVISITS) {
    started++;
    try {
      await revisit((_, ms) => loadSteps.push(ms));
      completed++;
    } catch (e) {
      failed++;
      const key = String(e.message).slice(0, 120);
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  }
}));
const loadSeconds = (performance.now() - loadStart) / 1000;
const loadCpuUsed = loadCpu();
const perMinute = completed / loadSeconds * 60;
const apiPerSec = loadSteps.length / loadSeconds;

// 3. Ceilings on the same runtime, same concurrency.
const doCeilingAfter = await ceiling('/v1/bench/do-read', true);
const doCeiling = doCeilingAfter.requests_per_sec >= doCeilingBefore.requests_per_sec ? doCeilingAfter : doCeilingBefore;
const workerCeiling = await ceiling('/v1/bench/none', false);

const stepStats = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, stats(v)]));
const doStats = stats(doRead);
writeFragment(out, RUNTIME === 'workerd' ? 'edge-workerd' : 'edge', {
  runtime: RUNTIME,
  what: 'loopback round-trip measured by the client, includes workerd routing and HTTP; '
    + (RUNTIME === 'workerd' ? 'self-hosted workerd (`workerd serve`, issue 18)' : 'local workerd under wrangler dev')
    + `, not Cloudflare; ${READING_NOTE}`,
  reading: { min_read_secs: READ_SECS, items: script.items.length },
  sequential: { revisits: SEQUENTIAL, seconds: round(seqSeconds, 1), steps: stepStats, record_delivered_to_origin: delivered },
  bare_do_read: { ...doStats, means: 'GET /v1/bench/do-read: worker → stub fetch → empty RevisitSession object: storage reads find nothing → 404 → worker answers 200' },
  worker_only: { ...stats(workerOnly), means: 'GET /v1/bench/none: the worker router answers 404 itself, no Durable Object' },
  step_to_do_read_p50: Object.fromEntries(Object.entries(stepStats).map(([k, v]) => [k, round(v.p50 / doStats.p50, 1)])),
  load: {
    users: USERS, seconds: round(loadSeconds, 1), bound: `${LOAD_SECONDS} s or ${LOAD_MAX_REVISITS} revisits`,
    started, completed, failed, errors: Object.fromEntries(errors),
    revisits_per_minute: round(perMinute, 0),
    api_requests_per_sec: round(apiPerSec, 0),
    request_p50_ms: round(median(loadSteps), 1), request_p99_ms: round(quantile(loadSteps, 0.99), 1),
    cpu_seconds: loadCpuUsed,
    cpu_per_revisit: perUnit(loadCpuUsed, completed),
    cpu_per_api_request: perUnit(loadCpuUsed, loadSteps.length),
  },
  ceiling_do_read: { ...doCeiling, runs_requests_per_sec: [doCeilingBefore.requests_per_sec, doCeilingAfter.requests_per_sec] },
  ceiling_worker_only: workerCeiling,
  ratio_api_to_do_read_ceiling: round(apiPerSec / doCeiling.requests_per_sec, 2),
});
console.log(`[bench] edge: ${round(perMinute, 0)} revisits/min (${completed} done, ${failed} failed); do-read ceiling ${doCeiling.requests_per_sec} req/s`);
if (!delivered || failed > 0) process.exitCode = 1;
