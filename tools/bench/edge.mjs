// Row 3: the edge under real workerd (`wrangler dev`) on loopback.
// - Per API step of a revisit: latency measured by the client, one request at a time (a lock: no two
//   requests in flight) across a few revisits whose reading waits overlap. workerd gives no server
//   timing, and a Worker's clock does not advance during CPU work, so this is the loopback round
//   trip: it includes workerd's routing and the HTTP stack, and it is an upper bound of the
//   server-side time.
// - Capacity (issue 19): a closed loop of virtual users, each running whole revisits with the real
//   reading waits (R9), ramped in stages (e.g. 100, 200, 400, 800 users) until the edge is saturated;
//   each stage's sustained API req/s counts only requests of revisits that complete (every step),
//   and every completed revisit's sealed record is then looked up at the origin.
// - Beside it, the same run's ceiling of a bare Durable Object read (GET /v1/bench/do-read, needs
//   the var BENCH_PROBE=1) and of a Worker answering alone (a 404 of the router), with autocannon.
// - CPU per request of each process group (edge, origin) and of this load generator (it shares the
//   same cores), from /proc, for the load's stages and for the ceilings alike.
// Usage: node tools/bench/edge.mjs --out DIR [--runtime wrangler|workerd]   (EDGE_URL and ORIGIN_URL
// name the stack; the runtime names the fragment: edge.json for wrangler dev, edge-workerd.json)
import autocannon from 'autocannon';
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { args, writeFragment, quantile, median, round } from './common.mjs';
import { signature, readDevVars, revisitRequest, loadScript, withReadingSecs } from '../../e2e/lib/insurer.mjs';

const opts = args();
const out = opts.out ?? 'bench/results/.parts';
const RUNTIME = opts.runtime === 'workerd' ? 'workerd' : 'wrangler';
const EDGE = process.env.EDGE_URL ?? 'http://127.0.0.1:8797';
const ORIGIN = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8798';
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL_REVISITS ?? 100);
const LANES = Number(process.env.BENCH_SEQUENTIAL_LANES ?? 8);
const STAGES = String(process.env.BENCH_LOAD_USERS ?? '100,200,400,800').split(',').map(Number).filter((n) => n > 0);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const LOAD_MAX_REVISITS = Number(process.env.BENCH_LOAD_MAX_REVISITS ?? 20000);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 10);
const CEILING_CONNECTIONS = Number(process.env.BENCH_CEILING_CONNECTIONS ?? 20);

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
// but it bounds how many requests a user makes in a second, so the load needs hundreds of users.
const READ_SECS = 1;
const script = withReadingSecs(loadScript('scripts/default.json'), READ_SECS);
const READING_NOTE = `each revisit reads ${script.items.length} items for ${READ_SECS} s each (R9: the edge refuses a sooner answer), so a user makes at most ${script.items.length + 5} API requests in ${script.items.length * READ_SECS} s; the reading waits are real and not in the step times`;
let serial = 0;

// One keep-alive agent for every policyholder: node's plain HTTP client, lighter than fetch, so that
// the load generator leaves more of the two cores to the edge (its CPU is measured all the same).
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
// A request sent on a kept-alive connection that the server closed meanwhile fails before any answer
// (ECONNRESET): a browser sends it again on a new connection, and so does this client, once (the
// pattern node's documentation gives for `reusedSocket`). Counted, and reported: a retry that the edge
// had in fact applied would be refused and fail the revisit, so none can hide a double step.
let transportRetries = 0;
function sendOnce(method, url, headers, body, fresh = false) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: fresh ? false : agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (e) => {
      const failed = new Error(`${method} ${new URL(url).pathname.replace(/\/v1\/revisits\/[^/]+/, '/v1/revisits/…')}${new URL(url).port === new URL(ORIGIN).port ? ' (origin)' : ''}: ${e.message}${req.reusedSocket ? ' on a reused connection' : ''}`);
      Object.assign(failed, { code: e.code, reused: req.reusedSocket });
      reject(failed);
    });
    req.end(body);
  });
}
// Under wrangler dev, its proxy now and then answers a request with this 503 of its own (not the
// edge's: those are JSON with a stable code), and asks for the request again; a person would tap
// again, and so does this client, once, counted and reported like the resets above.
const WRANGLER_PROXY_RESTART = 'Your worker restarted mid-request';
let proxyRetries = 0;
async function send(method, url, headers, body) {
  if (body !== undefined) headers = { ...headers, 'content-length': Buffer.byteLength(body) };
  let res;
  try {
    res = await sendOnce(method, url, headers, body);
  } catch (e) {
    if (!(e.reused && e.code === 'ECONNRESET')) throw e;
    transportRetries++;
    return sendOnce(method, url, headers, body, true); // on a new connection
  }
  if (res.status !== 503 || !res.text.startsWith(WRANGLER_PROXY_RESTART)) return res;
  proxyRetries++;
  return sendOnce(method, url, headers, body, true);
}

// The lock of the sequential part: a step is timed only while no other request of the bench is in
// flight, so its time is an unloaded round trip even though several revisits read at once.
let lock = Promise.resolve();
let useLock = false;
async function exclusive(fn) {
  if (!useLock) return fn();
  const before = lock;
  let release;
  lock = new Promise((r) => (release = r));
  await before;
  try { return await fn(); } finally { release(); }
}

/** One policyholder's browser: the link token, the device cookie, a client address of its own. */
class Policyholder {
  constructor(token, ip) { this.token = token; this.ip = ip; this.cookies = new Map(); }
  async call(method, path, body) {
    const headers = { authorization: `Bearer ${this.token}`, 'cf-connecting-ip': this.ip };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const text = body === undefined ? undefined : JSON.stringify(body);
    if (text !== undefined) { headers['content-type'] = 'application/json'; }
    const { res, ms } = await exclusive(async () => {
      const t0 = performance.now();
      const res = await send(method, new URL(path, EDGE), headers, text);
      return { res, ms: performance.now() - t0 };
    });
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`);
    return { ms, body: JSON.parse(res.text) };
  }
}

async function timedCreate(request) {
  const path = '/v1/revisits';
  const body = JSON.stringify(request);
  const ts = Math.floor(Date.now() / 1000);
  const headers = { 'content-type': 'application/json', 'x-huifang-timestamp': String(ts), 'x-huifang-signature': signature(secret, 'POST', path, ts, body) };
  const { res, ms } = await exclusive(async () => {
    const t0 = performance.now();
    const res = await send('POST', new URL(path, EDGE), headers, body);
    return { res, ms: performance.now() - t0 };
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text.slice(0, 200)}`);
  return { ms, body: JSON.parse(res.text) };
}

// The person waits for the SMS: the outbox is asked at once, then every 20 ms growing to 250 ms (a
// poll every 20 ms by hundreds of users cost the load generator and the origin more than the code).
async function smsCode(phone) {
  const deadline = performance.now() + 30000;
  for (let wait = 20; performance.now() < deadline; wait = Math.min(250, wait * 2)) {
    const res = await send('GET', `${ORIGIN}/sms/outbox?phone=${phone}&limit=1`, {});
    const list = JSON.parse(res.text);
    if (list[0]?.code) return list[0].code;
    await new Promise((r) => setTimeout(r, wait));
  }
  throw new Error(`no SMS code for ${phone} in 30 s`);
}

// The bare DO read taken beside the steps: one per timed revisit, between its open and its
// send_code, under the same lock, so that it meets the edge as the steps do (after the reading
// waits' idle gaps), not only back to back as `getLatencies` takes it. Always the same probe
// object, so that it is running, as a revisit's own object is between its steps (100 revisits
// spread over the 64 probe objects would time mostly object starts).
const BESIDE = 'bare_do_read_beside';
async function timedDoRead() {
  return exclusive(async () => {
    const t0 = performance.now();
    const res = await send('GET', new URL('/v1/bench/do-read?shard=0', EDGE), {});
    if (res.status !== 200) throw new Error(`do-read: ${res.status}`);
    return performance.now() - t0;
  });
}

/** One whole revisit through the HTTP API; calls `record(step, ms)` for each edge request (and,
 * with `beside`, for a bare DO read between its open and its send_code). */
async function revisit(record, beside = false) {
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
  if (beside) record(BESIDE, await timedDoRead());
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
    const res = await send('GET', new URL(path(i), EDGE), {});
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
    connections: CEILING_CONNECTIONS,
    duration: CEILING_SECONDS,
    requests: spread ? [{ setupRequest: (req) => ({ ...req, path: `${path}?shard=${i++ % 64}` }) }] : undefined,
  });
  return {
    connections: CEILING_CONNECTIONS, seconds: CEILING_SECONDS,
    requests_per_sec: round(result.requests.average, 0),
    p50_ms: result.latency.p50, p99_ms: result.latency.p99,
    total: result.requests.total, non2xx: result.non2xx, errors: result.errors,
    cpu_per_request: perUnit(cpu(), result.requests.total),
  };
}

/** CPU per bare DO read over CPU per API request, every process counted (null when unmeasured). */
function cpuBoundRatio(api, probe) {
  const sum = (u) => (u?.edge_ms == null ? null : u.edge_ms + (u.origin_ms ?? 0) + u.load_generator_ms);
  return sum(api) && sum(probe) ? round(sum(probe) / sum(api), 2) : null;
}

/** Whether each revisit's sealed record reached the origin (the alarm delivers it), within `seconds`. */
async function deliveredCount(ids, seconds) {
  const pending = [...ids];
  const deadline = performance.now() + seconds * 1000;
  let delivered = 0;
  while (pending.length && performance.now() < deadline) {
    const batch = pending.splice(0, 32);
    const found = await Promise.all(batch.map(async (id) => (await send('GET', `${ORIGIN}/records/${id}`, {})).status === 200));
    batch.forEach((id, k) => (found[k] ? delivered++ : pending.push(id)));
    if (found.every((f) => !f)) await new Promise((r) => setTimeout(r, 200));
  }
  return delivered;
}

// The probe must be on, and answer as the empty object it is.
const probe = await send('GET', new URL('/v1/bench/do-read', EDGE), {});
if (probe.status !== 200 || JSON.parse(probe.text).object_status !== 404) {
  throw new Error(`GET /v1/bench/do-read answered ${probe.status} ${probe.text}: start the edge with --var BENCH_PROBE:1 and a build that has the probe`);
}

// 1. Step latency, one request at a time (after two untimed revisits to warm the isolate): LANES
// revisits run at once so that their reading waits overlap, but the lock lets one request through
// at a time, so each is timed alone.
await revisit(() => {}); await revisit(() => {});
const steps = {};
const seqIds = [];
const seqStart = performance.now();
useLock = true;
let seqStarted = 0;
await Promise.all(Array.from({ length: Math.min(LANES, SEQUENTIAL) }, async () => {
  while (seqStarted < SEQUENTIAL) {
    seqStarted++;
    seqIds.push(await revisit((step, ms) => (steps[step] ??= []).push(ms), true));
    if (seqIds.length % 10 === 0) process.stdout.write(`\r[bench] edge: ${seqIds.length}/${SEQUENTIAL} revisits timed`);
  }
}));
useLock = false;
process.stdout.write('\n');
const seqSeconds = (performance.now() - seqStart) / 1000;
const doReadBeside = steps[BESIDE];
delete steps[BESIDE];
const doRead = await getLatencies((i) => `/v1/bench/do-read?shard=${i % 64}`, 300);
const workerOnly = await getLatencies(() => '/v1/bench/none', 300);
const seqDelivered = await deliveredCount(seqIds, 20);

// The ceiling is taken before and after the load and the higher kept: on a shared machine a single
// run can land on a busy moment.
const doCeilingBefore = await ceiling('/v1/bench/do-read', true);

// 2. Capacity: a closed loop of users, each running whole revisits with the real reading waits,
// ramped in stages. A stage adds its users spread over one revisit's reading time (so they do not
// move in step), then measures LOAD_SECONDS. A request counts when its revisit completes.
const doneAt = []; // [end time, ms, step] of every request of every completed revisit
const failures = new Map();
const loadIds = [];
let running = true, started = 0, completed = 0, failed = 0;
async function user() {
  while (running && started < LOAD_MAX_REVISITS) {
    started++;
    const ends = [];
    try {
      loadIds.push(await revisit((step, ms) => ends.push([performance.now(), ms, step])));
      completed++;
      doneAt.push(...ends);
    } catch (e) {
      failed++;
      const key = `${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`.slice(0, 120);
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
  }
}
const users = [];
const stages = [];
const rampMs = script.items.length * READ_SECS * 1000;
const loadStart = performance.now();
for (const target of STAGES) {
  const add = target - users.length;
  for (let k = 0; k < add; k++) {
    await new Promise((r) => setTimeout(r, rampMs / add));
    users.push(user());
  }
  const cpu = cpuMeter();
  // The load generator's own event-loop delay: a request's time includes it, so it is reported.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const from = performance.now();
  const failedBefore = failed;
  await new Promise((r) => setTimeout(r, LOAD_SECONDS * 1000));
  const to = performance.now();
  lag.disable();
  stages.push({ users: target, from, to, cpu: cpu(), failed: failed - failedBefore, lag_p50_ms: lag.percentile(50) / 1e6, lag_p99_ms: lag.percentile(99) / 1e6 });
  const n = doneAt.filter(([t]) => t >= from && t < to).length;
  process.stdout.write(`[bench] edge: ${target} users: ${round(n / LOAD_SECONDS, 0)} API req/s\n`);
  // Saturated (under 10% more than the stage before) or failing: more users would only queue.
  const prev = stages.at(-2);
  if (stages.at(-1).failed > 0 || (prev && n < 1.1 * prev.requests)) break;
  stages.at(-1).requests = n;
}
running = false;
await Promise.all(users); // every user finishes the revisit it is in
const loadSeconds = (performance.now() - loadStart) / 1000;
const loadDelivered = await deliveredCount(loadIds, 60);
const stageResults = stages.map((s) => {
  const inStage = doneAt.filter(([t]) => t >= s.from && t < s.to);
  const ms = inStage.map(([, m]) => m);
  const bySteps = {};
  for (const [, m, step] of inStage) (bySteps[step] ??= []).push(m);
  const n = ms.length;
  const seconds = (s.to - s.from) / 1000;
  return {
    users: s.users, seconds: round(seconds, 1),
    api_requests: n, api_requests_per_sec: round(n / seconds, 0),
    request_p50_ms: round(median(ms), 1), request_p99_ms: round(quantile(ms, 0.99), 1),
    step_p50_ms: Object.fromEntries(Object.entries(bySteps).map(([k, v]) => [k, round(median(v), 1)])),
    failed_in_stage: s.failed,
    load_generator_event_loop_delay_ms: { p50: round(s.lag_p50_ms, 1), p99: round(s.lag_p99_ms, 1) },
    cpu_seconds: s.cpu, cpu_per_api_request: perUnit(s.cpu, n),
    cpu_cores_busy: Object.fromEntries(Object.entries(s.cpu).map(([k, v]) => [k.replace(/_s$/, ''), v == null ? null : round(v / seconds, 2)])),
  };
});
// The sustained capacity: the stage with the most requests per second among those where no revisit
// failed (a stage with failures is reported, never counted as capacity).
const clean = stageResults.filter((s) => s.failed_in_stage === 0);
const best = (clean.length ? clean : stageResults).reduce((a, b) => (b.api_requests_per_sec > a.api_requests_per_sec ? b : a));

// 3. Ceilings on the same runtime.
const doCeilingAfter = await ceiling('/v1/bench/do-read', true);
const doCeiling = doCeilingAfter.requests_per_sec >= doCeilingBefore.requests_per_sec ? doCeilingAfter : doCeilingBefore;
const workerCeiling = await ceiling('/v1/bench/none', false);

const stepStats = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, stats(v)]));
const doStats = stats(doRead);
const besideStats = stats(doReadBeside);
writeFragment(out, RUNTIME === 'workerd' ? 'edge-workerd' : 'edge', {
  runtime: RUNTIME,
  what: 'loopback round-trip measured by the client, includes workerd routing and HTTP; '
    + (RUNTIME === 'workerd' ? 'self-hosted workerd (`workerd serve`, issue 18)' : 'local workerd under wrangler dev')
    + `, not Cloudflare; ${READING_NOTE}`,
  reading: { min_read_secs: READ_SECS, items: script.items.length },
  sequential: { revisits: SEQUENTIAL, lanes: LANES, seconds: round(seqSeconds, 1), steps: stepStats, records_delivered_to_origin: seqDelivered, record_delivered_to_origin: seqDelivered === seqIds.length },
  bare_do_read: { ...doStats, means: 'GET /v1/bench/do-read: worker → stub fetch → empty RevisitSession object: storage reads find nothing → 404 → worker answers 200' },
  worker_only: { ...stats(workerOnly), means: 'GET /v1/bench/none: the worker router answers 404 itself, no Durable Object' },
  step_to_do_read_p50: Object.fromEntries(Object.entries(stepStats).map(([k, v]) => [k, round(v.p50 / doStats.p50, 1)])),
  bare_do_read_beside: { ...besideStats, means: 'the same GET to one running probe object, one per timed revisit between its open and its send_code, under the steps\' lock' },
  step_to_do_read_beside_p50: Object.fromEntries(Object.entries(stepStats).map(([k, v]) => [k, round(v.p50 / besideStats.p50, 1)])),
  load: {
    stages_users: STAGES, stage_seconds: LOAD_SECONDS, seconds: round(loadSeconds, 1),
    started, completed, failed, errors: Object.fromEntries(failures),
    transport_retries: transportRetries,
    proxy_retries: proxyRetries,
    records_delivered_to_origin: loadDelivered,
    stages: stageResults,
    best_users: best.users,
    api_requests_per_sec: best.api_requests_per_sec,
    request_p50_ms: best.request_p50_ms, request_p99_ms: best.request_p99_ms,
    cpu_per_api_request: best.cpu_per_api_request,
    cpu_cores_busy: best.cpu_cores_busy,
  },
  ceiling_do_read: { ...doCeiling, runs_requests_per_sec: [doCeilingBefore.requests_per_sec, doCeilingAfter.requests_per_sec] },
  ceiling_worker_only: workerCeiling,
  ratio_api_to_do_read_ceiling: round(best.api_requests_per_sec / doCeiling.requests_per_sec, 2),
  // What the ratio would be with both cores given to this test alone: on a CPU-bound machine each
  // rate is the cores over the CPU per request of every process on them (edge, origin, load
  // generator). Less sensitive than the rates to what else runs on a shared machine.
  ratio_cpu_bound: cpuBoundRatio(best.cpu_per_api_request, doCeiling.cpu_per_request),
});
console.log(`[bench] edge: ${best.api_requests_per_sec} API req/s of complete revisits at ${best.users} users (${completed} revisits done, ${failed} failed, ${loadDelivered} records delivered); do-read ceiling ${doCeiling.requests_per_sec} req/s`);
if (seqDelivered !== seqIds.length || loadDelivered !== completed || failed > 0) process.exitCode = 1;
agent.destroy();
