#!/usr/bin/env node
// Checks every region of the edge's wrangler configuration before it ships (issue 7): the vars each
// region needs, REGION equal to the environment's name and unique, HTTPS origins outside the
// top-level local configuration, its own Durable Object bindings and route, no secret committed,
// and `wrangler deploy --dry-run --env <region>` (offline: no login, no network). One line per
// check; exits 1 if any failed.
//
//   node tools/check-regions.mjs [--config wrangler.toml] [--no-dry-run]
//
// The configuration is read with wrangler's own parser, so inheritance between environments is
// exactly what `wrangler deploy` will use.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { experimental_readRawConfig, unstable_readConfig } from "wrangler";
import { checklist } from "./checklist.mjs";

const args = process.argv.slice(2);
let configPath = "wrangler.toml";
let dryRun = true;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--config") configPath = args[++i];
  else if (args[i] === "--no-dry-run") dryRun = false;
  else {
    console.error(`usage: check-regions.mjs [--config wrangler.toml] [--no-dry-run] (unknown: ${args[i]})`);
    process.exit(2);
  }
}
configPath = resolve(configPath);
const configDir = dirname(configPath);

// PUBLIC_BASE_URL: links are built on it and never on a request's Host; without it a region's edge
// refuses to make links (issue 12).
const REQUIRED_VARS = ["REGION", "ORIGIN_URL", "PUBLIC_BASE_URL", "SMS_SIGNATURE", "FORWARD_RETRY_BASE_MS", "FORWARD_RETRY_MAX_MS"];
const BINDINGS = { REVISITS: "RevisitSession", THROTTLES: "SendThrottle", IDEMPOTENCY: "IdempotencyRecord" };
// Set with `wrangler secret put`; never a var.
const SECRETS = ["INSURER_API_SECRET", "EDGE_SIGNING_KEY", "EDGE_KEY_ID", "ID_HASH_KEY"];
const SECRET_LIKE = /SECRET|KEY|TOKEN|PASSWORD|PRIVATE/i;

const { ok, fail, check, failures } = checklist();

let raw;
try {
  raw = experimental_readRawConfig({ config: configPath }).rawConfig;
} catch (e) {
  fail(`${configPath} does not parse: ${e.message}`);
  finish();
}
const regions = Object.keys(raw.env ?? {});
check(regions.length > 0, `${configPath}: has region environments`, "no [env.<region>] section");

function effective(env) {
  return unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
}

// No secret in any vars table, top level or environment.
for (const [label, vars] of [["top level", raw.vars], ...regions.map((r) => [r, raw.env[r].vars])]) {
  const named = Object.entries(vars ?? {}).filter(
    ([k, v]) => SECRETS.includes(k) || (SECRET_LIKE.test(k) && String(v ?? "").trim() !== ""),
  );
  const keyish = Object.entries(vars ?? {}).filter(([, v]) => /[0-9a-f]{32,}/i.test(String(v)));
  check(
    named.length === 0 && keyish.length === 0,
    `${label}: no secret in vars`,
    [
      ...named.map(([k]) => `${k} is a secret: set it with \`wrangler secret put ${k}${label === "top level" ? "" : ` --env ${label}`}\`, not in wrangler.toml`),
      ...keyish.map(([k]) => `${k} holds a long hex string, which looks like a key`),
    ].join("; "),
  );
}

// No local secrets file tracked by git, and the usual one ignored.
const git = (...a) => spawnSync("git", ["-C", configDir, ...a], { encoding: "utf8" });
if (git("rev-parse", "--is-inside-work-tree").stdout.trim() === "true") {
  const tracked = git("ls-files", "--", ".dev.vars", ".dev.vars.*", "**/.dev.vars", "**/.dev.vars.*", ".env", "**/.env")
    .stdout.split("\n")
    .filter(Boolean);
  check(tracked.length === 0, "git: no .dev.vars or .env file tracked", `tracked: ${tracked.join(", ")} (git rm --cached it and rotate every secret in it)`);
  check(git("check-ignore", "-q", ".dev.vars").status === 0, "git: .dev.vars is ignored", "add /.dev.vars to .gitignore");
} else {
  fail(`git: ${configDir} is not in a git work tree, so tracked secrets cannot be checked`);
}

// The top level is local development: loopback origin allowed.
try {
  const top = effective(undefined);
  const origin = top.vars?.ORIGIN_URL;
  check(typeof top.vars?.REGION === "string" && top.vars.REGION !== "", "top level: REGION set", "missing");
  check(
    isUrl(origin) && (new URL(origin).protocol === "https:" || isLoopback(new URL(origin).hostname)),
    "top level: ORIGIN_URL is https or loopback",
    `got ${JSON.stringify(origin)}`,
  );
  checkBindings("top level", top);
} catch (e) {
  fail(`top level: ${e.message}`);
}

const seen = { REGION: new Map(), name: new Map(), host: new Map() };
for (const region of regions) {
  let c;
  try {
    c = effective(region);
  } catch (e) {
    fail(`${region}: configuration refused by wrangler: ${e.message}`);
    continue;
  }
  const vars = c.vars ?? {};
  const missing = REQUIRED_VARS.filter((k) => typeof vars[k] !== "string" || vars[k].trim() === "");
  check(missing.length === 0, `${region}: vars ${REQUIRED_VARS.join(", ")} set`, `missing ${missing.join(", ")} in [env.${region}.vars] (vars are not inherited)`);
  check(vars.REGION === region, `${region}: REGION equals the environment's name`, `REGION is ${JSON.stringify(vars.REGION)}`);
  unique("REGION", vars.REGION, region);
  check(typeof raw.env[region].name === "string" && raw.env[region].name !== raw.name, `${region}: its own Worker name (${c.name})`, `set name in [env.${region}]`);
  unique("name", c.name, region);
  for (const key of ["ORIGIN_URL", "PUBLIC_BASE_URL"]) {
    check(isUrl(vars[key]) && new URL(vars[key]).protocol === "https:", `${region}: ${key} is https`, `got ${JSON.stringify(vars[key])}`);
  }
  check(/^【[^【】]{2,20}】$/.test(vars.SMS_SIGNATURE ?? ""), `${region}: SMS_SIGNATURE is one 【…】 signature`, `got ${JSON.stringify(vars.SMS_SIGNATURE)}`);
  const base = Number(vars.FORWARD_RETRY_BASE_MS);
  const max = Number(vars.FORWARD_RETRY_MAX_MS);
  check(Number.isInteger(base) && Number.isInteger(max) && base > 0 && base <= max, `${region}: 0 < FORWARD_RETRY_BASE_MS <= FORWARD_RETRY_MAX_MS`, `got ${vars.FORWARD_RETRY_BASE_MS}, ${vars.FORWARD_RETRY_MAX_MS}`);
  const routes = [...(c.routes ?? []), ...(c.route ? [c.route] : [])];
  const patterns = routes.map((r) => (typeof r === "string" ? r : r.pattern)).filter(Boolean);
  check(
    patterns.length > 0 && routes.every((r) => typeof r === "object" && (r.zone_name || r.zone_id || r.custom_domain)),
    `${region}: its own route with a zone`,
    `routes: ${JSON.stringify(routes)}`,
  );
  for (const p of patterns) unique("host", p.split("/")[0], region);
  checkBindings(region, c);
  if (dryRun) deployDryRun(region);
}

finish();

function checkBindings(label, c) {
  const bindings = c.durable_objects?.bindings ?? [];
  const wrong = Object.entries(BINDINGS).filter(
    ([name, cls]) => !bindings.some((b) => b.name === name && b.class_name === cls && !b.script_name),
  );
  check(wrong.length === 0, `${label}: Durable Object bindings ${Object.entries(BINDINGS).map(([n, c]) => `${n}→${c}`).join(", ")}`, `missing ${wrong.map(([n]) => n).join(", ")} (durable_objects are not inherited)`);
  const migrated = new Set((c.migrations ?? []).flatMap((m) => [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])]));
  const unmigrated = Object.values(BINDINGS).filter((cls) => !migrated.has(cls));
  check(unmigrated.length === 0, `${label}: migrations create every class`, `no migration for ${unmigrated.join(", ")}`);
}

function unique(what, value, region) {
  const other = seen[what].get(value);
  if (other !== undefined) fail(`${region}: ${what} ${JSON.stringify(value)} is also ${other}'s`);
  else seen[what].set(value, region);
}

function deployDryRun(region) {
  const out = mkdtempSync(join(tmpdir(), `huifang-dry-${region}-`));
  const r = spawnSync(
    join(configDir, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--config", configPath, "--env", region, "--outdir", out],
    {
      cwd: configDir,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CI: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
    },
  );
  rmSync(out, { recursive: true, force: true });
  // eslint-disable-next-line no-control-regex
  const text = `${r.stdout ?? ""}${r.stderr ?? ""}`.replace(/\x1b\[[0-9;]*m/g, "");
  const size = /Total Upload: ([^\n]*)/.exec(text)?.[1];
  const error = text.split("\n").find((l) => /✘|ERROR/.test(l)) ?? (r.error ? r.error.message : `exit ${r.status}`);
  check(r.status === 0 && /--dry-run: exiting now/.test(text), `${region}: wrangler deploy --dry-run (${size ?? "no bundle"})`, error.trim());
}

function isUrl(v) {
  try {
    new URL(v);
    return true;
  } catch {
    return false;
  }
}

function isLoopback(host) {
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

function finish() {
  console.log(failures() === 0 ? `check-regions: every region passes (${regions?.length ?? 0} regions)` : `check-regions: ${failures()} check(s) failed`);
  process.exit(failures() === 0 ? 0 : 1);
}
