#!/usr/bin/env node
// Checks the self-hosted edge's configuration (issue 18) for the top level and every region of
// wrangler.toml, as tools/check-regions.mjs checks the Cloudflare side: tools/workerd-config.mjs
// generates each bundle; the generated edge.capnp carries every var, binds every secret from the
// environment and holds no secret value, keeps every Durable Object namespace SQLite-backed on local
// disk under a key of its own, sends outbound traffic to the region's origin only (over TLS outside
// the top level); then workerd itself serves it: the app shell, the single-page-application
// fallback, the shell's cache rules (edge/src/headers.rs), the API, and a revisit created through the insurer API whose
// object lands on disk. One line per check; exits 1 if any failed.
//
//   node tools/check-workerd.mjs [--config wrangler.toml] [--no-serve]
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checklist } from "./checklist.mjs";
import { CONFIG_FILE, SECRETS, readSettings, writeBundle } from "./workerd-config.mjs";
import { insurerPost, loadScript, readDevVars, revisitRequest } from "../e2e/lib/insurer.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BINDINGS = { REVISITS: "RevisitSession", THROTTLES: "SendThrottle", IDEMPOTENCY: "IdempotencyRecord" };
const args = process.argv.slice(2);
let configPath = "wrangler.toml";
let serve = true;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--config") configPath = args[++i];
  else if (args[i] === "--no-serve") serve = false;
  else {
    console.error(`usage: check-workerd.mjs [--config wrangler.toml] [--no-serve] (unknown: ${args[i]})`);
    process.exit(2);
  }
}
configPath = resolve(configPath);

const { ok, fail, check, failures } = checklist();

const scratch = mkdtempSync(join(tmpdir(), "huifang-workerd-check-"));
const seenKeys = new Map();
let regions = [];
try {
  regions = readSettings(configPath, undefined).regions;
  for (const [label, env] of [["local", undefined], ...regions.map((r) => [r, r])]) await checkOne(label, env);
} catch (e) {
  fail(`${configPath}: ${e.message}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(failures() === 0 ? `check-workerd: every configuration passes (top level and ${regions.length} regions)` : `check-workerd: ${failures()} check(s) failed`);
process.exit(failures() === 0 ? 0 : 1);

async function checkOne(label, env) {
  const out = join(scratch, label);
  const state = join(scratch, `${label}-state`);
  mkdirSync(state, { recursive: true });
  let settings, text;
  try {
    settings = readSettings(configPath, env);
    text = writeBundle(settings, out, { stateDir: state });
    ok(`${label}: generated ${CONFIG_FILE}`);
  } catch (e) {
    fail(`${label}: generated ${CONFIG_FILE}: ${e.message}`);
    return;
  }
  const bindings = new Map([...text.matchAll(/^\s*\(name = ("[^"]*"), (\w+) = (.*)\),$/gm)].map((m) => [JSON.parse(m[1]), { kind: m[2], value: m[3] }]));
  const textOf = (name) => (bindings.get(name)?.kind === "text" ? JSON.parse(bindings.get(name).value) : undefined);

  const vars = Object.entries(settings.vars ?? {});
  const lost = vars.filter(([k, v]) => textOf(k) !== String(v)).map(([k]) => k);
  check(vars.length > 0 && lost.length === 0, `${label}: every var carried over (${vars.length})`, `missing or changed: ${lost.join(", ")}`);
  const unbound = SECRETS.filter((k) => bindings.get(k)?.kind !== "fromEnvironment" || bindings.get(k).value !== JSON.stringify(k));
  check(unbound.length === 0, `${label}: secrets ${SECRETS.join(", ")} from the environment`, `not bound by fromEnvironment: ${unbound.join(", ")}`);
  const devVars = existsSync(join(dirname(configPath), ".dev.vars")) ? readDevVars(join(dirname(configPath), ".dev.vars")) : {};
  const leaked = Object.entries(devVars).filter(([, v]) => v.length >= 8 && text.includes(v)).map(([k]) => k);
  check(leaked.length === 0, `${label}: no secret value in ${CONFIG_FILE}`, `holds the value of ${leaked.join(", ")}`);

  const missing = Object.entries(BINDINGS).filter(([name, cls]) => bindings.get(name)?.value !== `(className = ${JSON.stringify(cls)})`);
  check(missing.length === 0, `${label}: Durable Object bindings ${Object.entries(BINDINGS).map(([n, c]) => `${n}→${c}`).join(", ")}`, `missing ${missing.map(([n]) => n).join(", ")}`);
  for (const cls of Object.values(BINDINGS)) {
    const ns = new RegExp(`\\(className = "${cls}", uniqueKey = ("[^"]+"), enableSql = true\\)`).exec(text);
    if (!ns) {
      fail(`${label}: ${cls} is a SQLite-backed namespace: no such namespace with enableSql`);
      continue;
    }
    const key = JSON.parse(ns[1]);
    const other = seenKeys.get(key);
    check(other === undefined, `${label}: ${cls} has its own uniqueKey (${key})`, `also ${other}'s: their objects would share a directory`);
    seenKeys.set(key, label);
  }
  check(/durableObjectStorage = \(localDisk = "durable-objects"\)/.test(text) && text.includes(`(name = "durable-objects", disk = (path = ${JSON.stringify(state)}, writable = true))`),
    `${label}: Durable Object state on local disk`, "durableObjectStorage is not the writable state directory");

  const origin = new URL(textOf("ORIGIN_URL"));
  const external = /\(name = "origin", external = \(address = ("[^"]+"), (https|http) = (.*)\)\),$/m.exec(text);
  const wantAddress = `${origin.hostname}:${origin.port || (origin.protocol === "https:" ? 443 : 80)}`;
  check(external && JSON.parse(external[1]) === wantAddress && /globalOutbound = \(name = "origin"\)/.test(text),
    `${label}: outbound only to the origin (${wantAddress})`, external ? `address ${external[1]}, or globalOutbound not the origin` : "no origin service");
  if (label !== "local") {
    check(external?.[2] === "https" && external[3].includes(`certificateHost = ${JSON.stringify(origin.hostname)}`),
      `${label}: the origin over TLS, its certificate checked`, `got ${external?.[2]}`);
  }
  if (serve) await serveCheck(label, out, state, settings);
}

async function serveCheck(label, out, state, settings) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const secrets = {
    INSURER_API_SECRET: randomBytes(16).toString("hex"),
    EDGE_SIGNING_KEY: randomBytes(32).toString("hex"),
    EDGE_KEY_ID: "check-workerd",
    ID_HASH_KEY: randomBytes(16).toString("hex"),
  };
  const bin = [join(ROOT, "node_modules/@cloudflare/workerd-linux-64/bin/workerd"), join(ROOT, "node_modules/workerd/bin/workerd")].find(existsSync);
  const child = spawn(bin, ["serve", `--socket-addr=http=127.0.0.1:${port}`, CONFIG_FILE], {
    cwd: out,
    env: { PATH: process.env.PATH, ...secrets },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const exited = new Promise((done) => child.on("exit", (code) => done(code)));
  try {
    let up = false;
    for (let i = 0; i < 100 && !up && child.exitCode === null; i++) {
      up = await fetch(`${base}/`).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    check(up, `${label}: workerd serves it`, `not up within 10 s: ${log.trim().split("\n").slice(-3).join(" | ") || `exit ${child.exitCode}`}`);
    if (!up) return;
    const index = readFileSync(join(out, "assets/index.html"), "utf8");
    const shell = await fetch(`${base}/r/AbCdEfGhIjKlMnOpAbCdEfGhIjKlMnOpqrstuv`);
    check(shell.status === 200 && (await shell.text()) === index, `${label}: GET /r/<token> answers the app shell`, `status ${shell.status}`);
    const app = await fetch(`${base}/app.js`);
    check(app.headers.get("cache-control") === "public, max-age=31536000, immutable" && /javascript/.test(app.headers.get("content-type")),
      `${label}: /app.js with its cache rule`, `cache-control ${app.headers.get("cache-control")}, type ${app.headers.get("content-type")}`);
    const doc = await fetch(`${base}/v1/openapi.json`);
    check(doc.status === 200 && (await doc.json()).openapi === "3.1.0", `${label}: the worker answers /v1/openapi.json`, `status ${doc.status}`);
    const created = await insurerPost(base, secrets.INSURER_API_SECRET, "/v1/revisits", revisitRequest(loadScript(join(ROOT, "scripts/default.json"))));
    const keyDir = join(state, `${settings.name}-RevisitSession`);
    const onDisk = existsSync(keyDir) && readdirSync(keyDir).some((f) => f.endsWith(".sqlite"));
    check(created.status === 201 && onDisk, `${label}: a revisit created, its object on disk`, `status ${created.status} ${JSON.stringify(created.body).slice(0, 120)}, ${keyDir} ${onDisk ? "has" : "has no"} .sqlite file`);
    // An idempotent create: the retry gets the first answer, kept by its IdempotencyRecord on disk.
    const request = JSON.stringify(revisitRequest(loadScript(join(ROOT, "scripts/default.json"))));
    const keyed = { headers: { "idempotency-key": randomBytes(16).toString("hex") } };
    const first = await insurerPost(base, secrets.INSURER_API_SECRET, "/v1/revisits", request, keyed);
    const again = await insurerPost(base, secrets.INSURER_API_SECRET, "/v1/revisits", request, keyed);
    const recordDir = join(state, `${settings.name}-IdempotencyRecord`);
    const recorded = existsSync(recordDir) && readdirSync(recordDir).some((f) => f.endsWith(".sqlite"));
    check(first.status === 201 && again.status === 201 && again.body.link === first.body.link && again.headers.get("idempotent-replayed") === "true" && recorded,
      `${label}: a retried create with its Idempotency-Key replayed, its record on disk`,
      `statuses ${first.status}, ${again.status}, same link ${again.body?.link === first.body?.link}, ${recordDir} ${recorded ? "has" : "has no"} .sqlite file`);
  } finally {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    await exited;
  }
}

function freePort() {
  return new Promise((done, failed) => {
    const s = createServer();
    s.on("error", failed);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}
