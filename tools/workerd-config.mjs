#!/usr/bin/env node
// Writes a self-contained workerd bundle for the edge (issue 18): the insurer runs the same Worker,
// its Durable Objects and its static assets with the open-source workerd on its own servers, no
// Cloudflare account involved. The settings are the wrangler environments' own, read with wrangler's
// parser (as tools/check-regions.mjs does), so both deployments come from one file.
//
//   node tools/workerd-config.mjs [--config wrangler.toml] [--env <region>] --out <dir>
//        [--state-dir /var/lib/huifang-edge] [--listen 127.0.0.1:8787] [--var NAME:VALUE]…
//        [--origin-ca <pem file>] [--local-client-address 127.0.0.1]
//   node tools/workerd-config.mjs [--config wrangler.toml] --all <dir> [same options]
//
// <dir> gets edge.capnp (run: `cd <dir> && workerd serve edge.capnp`), the worker's
// modules (worker/), the built app (assets/) and the two small workers of tools/workerd/ that stand
// in for wrangler's `[assets]`. `--all` writes <dir>/local (the top level) and <dir>/<region> for
// every environment. What maps to what:
//   main, compatibility_date/flags  → the `edge` worker's modules (every file main imports), date, flags
//   [vars] (+ --var overrides)      → text bindings (--var exists for tests: FORWARD_RETRY_MAX_MS, …)
//   secrets                         → `fromEnvironment` bindings of the same name: read from the
//                                     process environment (systemd EnvironmentFile=), never written here
//   durable_objects + migrations    → SQLite-backed namespaces (enableSql) on local disk under
//                                     --state-dir, one subdirectory per class named by its uniqueKey
//   ORIGIN_URL                      → the `origin` external service and the edge's globalOutbound: the
//                                     worker can reach the insurer's origin and nothing else
//   [assets]                        → tools/workerd/router.mjs (run_worker_first) and assets.mjs
//                                     (SPA fallback, _headers, ETag) over a `disk` service
// The socket trusts X-Forwarded-Proto for the request's scheme, and the edge reads the client's
// address from CF-Connecting-IP: the TLS proxy in front must set both, overwriting what the client
// sent. --local-client-address is for the local stack only (loopback, no proxy): the address assumed
// when a request names none, as `wrangler dev` does; refused unless --listen is a loopback address.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { experimental_readRawConfig, unstable_readConfig } from "wrangler";

// Set with `wrangler secret put` on Cloudflare; from the environment here. Never a var.
export const SECRETS = ["INSURER_API_SECRET", "EDGE_SIGNING_KEY", "EDGE_KEY_ID", "ID_HASH_KEY"];
export const CONFIG_FILE = "edge.capnp";
const HERE = dirname(fileURLToPath(import.meta.url));
const SHIMS = ["router.mjs", "assets.mjs"];
const TYPES = {
  html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8", json: "application/json; charset=utf-8", wasm: "application/wasm",
  svg: "image/svg+xml", png: "image/png", jpg: "image/jpeg", ico: "image/x-icon", txt: "text/plain; charset=utf-8",
  webmanifest: "application/manifest+json", woff2: "font/woff2", map: "application/json; charset=utf-8",
};

/** The effective settings of one environment (`undefined`: the top level), as wrangler reads them. */
export function readSettings(configPath, env) {
  const c = unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
  const raw = experimental_readRawConfig({ config: configPath }).rawConfig;
  return { ...c, configDir: dirname(resolve(configPath)), regions: Object.keys(raw.env ?? {}) };
}

/**
 * Writes the bundle for `settings` into `out`; returns the generated config text. Throws on a
 * setting it cannot carry over faithfully (a missing piece is a refusal, never a silent default).
 */
export function writeBundle(settings, out, { stateDir = "/var/lib/huifang-edge", listen = "127.0.0.1:8787", vars = {}, originCa, localClientAddress } = {}) {
  const label = settings.name;
  const allVars = { ...(settings.vars ?? {}), ...vars };
  for (const name of Object.keys(allVars)) {
    if (SECRETS.includes(name)) throw new Error(`${label}: ${name} is a secret; it comes from the environment, never from a var`);
  }
  if (localClientAddress && !/^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(listen)) {
    throw new Error(`--local-client-address is for a loopback listener without a proxy, not ${listen}`);
  }
  if (!stateDir.startsWith("/")) throw new Error(`--state-dir must be absolute (workerd reads relative paths from its working directory): ${stateDir}`);
  const origin = parseOrigin(allVars.ORIGIN_URL, label);
  const namespaces = durableObjects(settings);
  const assets = settings.assets;
  if (!assets?.directory || !assets.binding) throw new Error(`${label}: no [assets] directory and binding`);
  if (assets.not_found_handling !== "single-page-application") throw new Error(`${label}: only not_found_handling = "single-page-application" is carried over`);
  const assetsDir = resolve(settings.configDir, assets.directory);
  const modules = workerModules(settings.main);

  // The bundle replaces a previous bundle, never anything else.
  if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, CONFIG_FILE))) {
    throw new Error(`${out} is neither empty nor a previous bundle (no ${CONFIG_FILE}); not overwriting it`);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "worker"), { recursive: true });
  for (const m of modules) {
    mkdirSync(dirname(join(out, "worker", m.name)), { recursive: true });
    copyFileSync(m.file, join(out, "worker", m.name));
  }
  for (const shim of SHIMS) copyFileSync(join(HERE, "workerd", shim), join(out, shim));
  cpSync(assetsDir, join(out, "assets"), { recursive: true, filter: (src) => !/(^|[\\/])_headers$/.test(src) });
  const headersFile = join(assetsDir, "_headers");
  const headerRules = existsSync(headersFile) ? parseHeadersFile(readFileSync(headersFile, "utf8")) : [];
  const manifest = assetManifest(join(out, "assets"));
  if (!manifest["/index.html"]) throw new Error(`${label}: ${assetsDir} has no index.html for the single-page-application fallback`);
  if (originCa) copyFileSync(originCa, join(out, "origin-ca.pem"));

  const text = capnpConfig({ settings, allVars, origin, namespaces, modules, headerRules, manifest, stateDir, listen, originCa: Boolean(originCa), localClientAddress });
  writeFileSync(join(out, CONFIG_FILE), text);
  return text;
}

function capnpConfig({ settings, allVars, origin, namespaces, modules, headerRules, manifest, stateDir, listen, originCa, localClientAddress }) {
  const date = str(settings.compatibility_date);
  const flags = list((settings.compatibility_flags ?? []).map(str));
  const originService = origin.https
    ? `https = (certificateHost = ${str(origin.host)}, tlsOptions = (${originCa ? `trustedCertificates = [embed "origin-ca.pem"]` : "trustBrowserCas = true"}))`
    : "http = ()";
  const bindings = [
    ...Object.entries(allVars).map(([k, v]) => `(name = ${str(k)}, text = ${str(String(v))})`),
    ...SECRETS.map((k) => `(name = ${str(k)}, fromEnvironment = ${str(k)})`),
    ...namespaces.map((n) => `(name = ${str(n.binding)}, durableObjectNamespace = (className = ${str(n.className)}))`),
    `(name = ${str(settings.assets.binding)}, service = (name = "assets"))`,
  ];
  return `# Generated by tools/workerd-config.mjs from ${relative(settings.configDir, settings.configPath) || "wrangler.toml"}, ${settings.name}. Do not edit:
# regenerate. Run from this directory: workerd serve ${CONFIG_FILE}
# Secrets (${SECRETS.join(", ")}) are read from the process environment.
# Durable Object state: ${stateDir}/<uniqueKey>/<object id>.sqlite (keep the uniqueKeys: they name the data).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .router),
    (name = "edge", worker = .edge),
    (name = "assets", worker = .assets),
    (name = "assets-files", disk = (path = "assets")),
    (name = "durable-objects", disk = (path = ${str(stateDir)}, writable = true)),
    (name = "origin", external = (address = ${str(origin.address)}, ${originService})),
  ],
  sockets = [
    (name = "http", address = ${str(listen)}, http = (forwardedProtoHeader = "X-Forwarded-Proto"), service = (name = "main")),
  ],
);

const edge :Workerd.Worker = (
  modules = [
${modules.map((m) => `    (name = ${str(m.name)}, ${m.kind} = embed ${str(`worker/${m.name}`)}),`).join("\n")}
  ],
  compatibilityDate = ${date},
  compatibilityFlags = ${flags},
  bindings = [
${bindings.map((b) => `    ${b},`).join("\n")}
  ],
  durableObjectNamespaces = [
${namespaces.map((n) => `    (className = ${str(n.className)}, uniqueKey = ${str(n.uniqueKey)}, enableSql = true),`).join("\n")}
  ],
  durableObjectStorage = (localDisk = "durable-objects"),
  globalOutbound = (name = "origin"),
);

const router :Workerd.Worker = (
  modules = [(name = "router.mjs", esModule = embed "router.mjs")],
  compatibilityDate = ${date},
  bindings = [
    (name = "EDGE", service = (name = "edge")),
    (name = "ASSETS", service = (name = "assets")),
    (name = "WORKER_FIRST", json = ${str(JSON.stringify(settings.assets.run_worker_first ?? []))}),${localClientAddress ? `
    (name = "LOCAL_CLIENT_ADDRESS", text = ${str(localClientAddress)}),` : ""}
  ],
);

const assets :Workerd.Worker = (
  modules = [(name = "assets.mjs", esModule = embed "assets.mjs")],
  compatibilityDate = ${date},
  bindings = [
    (name = "FILES", service = (name = "assets-files")),
    (name = "MANIFEST", json = ${str(JSON.stringify(manifest))}),
    (name = "HEADERS", json = ${str(JSON.stringify(headerRules))}),
  ],
);
`;
}

/** The Durable Object namespaces: every binding's class must be created by a SQLite migration. */
function durableObjects(settings) {
  const bindings = settings.durable_objects?.bindings ?? [];
  if (bindings.length === 0) throw new Error(`${settings.name}: no Durable Object bindings`);
  const sqlite = new Set((settings.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  return bindings.map((b) => {
    if (b.script_name) throw new Error(`${settings.name}: ${b.name} lives in another script (${b.script_name}); not supported`);
    if (!sqlite.has(b.class_name)) throw new Error(`${settings.name}: ${b.class_name} has no new_sqlite_classes migration`);
    // Stable for the life of the deployment: workerd derives object ids and the directory from it.
    return { binding: b.name, className: b.class_name, uniqueKey: `${settings.name}-${b.class_name}` };
  });
}

function parseOrigin(url, label) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${label}: ORIGIN_URL ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`${label}: ORIGIN_URL must be http(s)`);
  const https = u.protocol === "https:";
  return { https, host: u.hostname, address: `${u.hostname}:${u.port || (https ? 443 : 80)}` };
}

/** Every module `main` reaches by static relative imports, named by its path from their common root. */
function workerModules(main) {
  const files = new Set();
  const visit = (file) => {
    if (files.has(file)) return;
    if (!existsSync(file)) throw new Error(`worker module ${file} is missing (run tools/build.sh)`);
    files.add(file);
    if (!/\.m?js$/.test(file)) return;
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+)["']/g)) visit(resolve(dirname(file), m[1]));
  };
  visit(resolve(main));
  const list = [...files];
  let root = dirname(list[0]);
  while (!list.every((f) => f.startsWith(root + sep))) root = dirname(root);
  return list.map((file) => {
    const kind = file.endsWith(".wasm") ? "wasm" : /\.m?js$/.test(file) ? "esModule" : "data";
    return { file, kind, name: relative(root, file).split(sep).join("/") };
  });
}

/** path → { type, etag } for every file under `dir` (dotfiles and `_headers` excluded). */
function assetManifest(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith(".")) continue;
      const file = join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else {
        const ext = name.includes(".") ? name.split(".").pop().toLowerCase() : "";
        const etag = `"${createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 32)}"`;
        out[`/${relative(dir, file).split(sep).join("/")}`] = { type: TYPES[ext] ?? "application/octet-stream", etag };
      }
    }
  };
  walk(dir);
  return out;
}

/** Cloudflare's `_headers`: a path line, then indented `Name: value` lines. */
export function parseHeadersFile(text) {
  const rules = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    if (!/^\s/.test(line)) rules.push({ pattern: line.trim(), headers: {} });
    else {
      const m = /^\s+([^:!\s][^:]*):\s*(.*)$/.exec(line);
      if (!m || rules.length === 0) throw new Error(`_headers: cannot read ${JSON.stringify(line)}`);
      rules[rules.length - 1].headers[m[1].trim().toLowerCase()] = m[2].trim();
    }
  }
  return rules;
}

/** A Cap'n Proto text literal: JSON's quoting is Cap'n Proto's for every character we allow. */
function str(s) {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new Error(`a control character in ${JSON.stringify(s)}`);
  return JSON.stringify(s);
}
const list = (items) => `[${items.join(", ")}]`;

function main(argv) {
  let configPath = "wrangler.toml", env, out, all;
  const options = { vars: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--config") configPath = value();
    else if (a === "--env") env = value();
    else if (a === "--out") out = value();
    else if (a === "--all") all = value();
    else if (a === "--state-dir") options.stateDir = value();
    else if (a === "--listen") options.listen = value();
    else if (a === "--origin-ca") options.originCa = resolve(value());
    else if (a === "--local-client-address") options.localClientAddress = value();
    else if (a === "--var") {
      const v = value();
      const at = v.indexOf(":");
      if (at < 1) throw new Error(`--var wants NAME:VALUE, got ${JSON.stringify(v)}`);
      options.vars[v.slice(0, at)] = v.slice(at + 1);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (Boolean(out) === Boolean(all)) throw new Error("give exactly one of --out <dir> or --all <dir>");
  const targets = all
    ? [["local", undefined], ...readSettings(configPath, undefined).regions.map((r) => [r, r])].map(([label, e]) => [join(all, label), e])
    : [[out, env]];
  for (const [dir, e] of targets) {
    writeBundle(readSettings(configPath, e), dir, options);
    console.log(`wrote ${join(dir, CONFIG_FILE)} (${e ?? "top level"})`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`workerd-config: ${e.message}`);
    process.exit(1);
  }
}
