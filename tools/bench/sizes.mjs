// Rows 1 and 5: first-load bytes of the app against the static floor page, and the worker bundle
// against the Workers size limits. Usage: node tools/bench/sizes.mjs --out DIR [--edge URL]
import { readFileSync, readdirSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { args, writeFragment, round } from './common.mjs';
import { floorPage, gzip } from './floor.mjs';
import { brotliCompressSync } from 'node:zlib';

const opts = args();
const out = opts.out ?? 'bench/results/.parts';
const edge = opts.edge ?? process.env.EDGE_URL;

// What a first visit to a revisit link downloads, in order: the HTML shell (the CSS and the first
// screen's script inside it), the module that starts the app, the wasm-bindgen glue, the wasm. (The
// service worker, sw.js, is fetched after the app runs, for the next visit; boot.js only by a
// browser that cannot run the app, for the fallback.)
const APP_FILES = ['index.html', 'start.js', 'app.js', 'app_bg.wasm'];

/** The bytes the edge actually sends for a path with `encoding` accepted (gzip: workerd compresses
 * on the fly; br: the build's brotli copies, edge/src/shell.rs). */
function wireBytes(path, encoding = 'gzip') {
  return new Promise((resolve, reject) => {
    // node:http, not fetch: fetch would decode the body and hide the encoded size.
    const req = httpGet(new URL(path, edge), { headers: { 'accept-encoding': encoding } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => { bytes += chunk.length; });
      res.on('end', () => resolve({ status: res.statusCode, encoding: res.headers['content-encoding'] ?? null, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const files = [];
for (const name of APP_FILES) {
  const raw = readFileSync(join('app/dist', name));
  const file = { name, raw: raw.length, gzip: gzip(raw).length, brotli: brotliCompressSync(raw).length };
  if (edge) {
    const w = await wireBytes(name === 'index.html' ? '/' : `/${name}`);
    file.edge_gzip = w.encoding === 'gzip' ? w.bytes : null;
    const b = await wireBytes(name === 'index.html' ? '/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' : `/${name}`, 'br, gzip');
    file.edge_br = b.encoding === 'br' ? b.bytes : null;
  }
  files.push(file);
}
const sum = (k) => files.reduce((a, f) => a + (f[k] ?? 0), 0);
const app = { raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli'), edge_gzip: edge ? sum('edge_gzip') : null, edge_br: edge ? sum('edge_br') : null, files };
const floorRaw = Buffer.from(floorPage());
const floor = { raw: floorRaw.length, gzip: gzip(floorRaw).length, files: [{ name: 'floor.html', raw: floorRaw.length, gzip: gzip(floorRaw).length }] };
writeFragment(out, 'first_load_bytes', {
  what: 'bytes of HTML+CSS+JS+WASM a first visit downloads (app/dist); gzip = zlib level 6, what workerd sends (edge_gzip: Content-Length measured from the edge)',
  app,
  floor,
  ratio_raw: round(app.raw / floor.raw, 1),
  ratio_gzip: round(app.gzip / floor.gzip, 1),
});

// Row 5: what `wrangler deploy` would upload, from its own dry run (no network, no account).
const dry = mkdtempSync(join(tmpdir(), 'huifang-bench-dry-'));
let upload = null;
try {
  const text = execFileSync('node_modules/.bin/wrangler', ['deploy', '--dry-run', '--outdir', dry], {
    encoding: 'utf8',
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = text.match(/Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/);
  const modules = readdirSync(dry).filter((f) => !f.endsWith('.map') && !f.endsWith('.md'))
    .map((f) => { const b = readFileSync(join(dry, f)); return { name: f.replace(/^[0-9a-f]{40}-/, ''), raw: b.length, gzip: gzip(b).length }; });
  upload = {
    wrangler_total_kib: m ? Number(m[1]) : null,
    wrangler_gzip_kib: m ? Number(m[2]) : null,
    modules,
  };
} finally {
  rmSync(dry, { recursive: true, force: true });
}
const built = ['edge/build/index_bg.wasm', 'edge/build/index.js'].map((p) => {
  const b = readFileSync(p);
  return { name: p, raw: statSync(p).size, gzip: gzip(b).length };
});
const gzipBytes = upload?.wrangler_gzip_kib != null ? upload.wrangler_gzip_kib * 1024 : built.reduce((a, f) => a + f.gzip, 0);
const rawBytes = upload?.wrangler_total_kib != null ? upload.wrangler_total_kib * 1024 : built.reduce((a, f) => a + f.raw, 0);
writeFragment(out, 'worker_bundle', {
  what: 'the Worker script wrangler deploy uploads (JS shim + wasm), raw and gzip; the Workers limit applies to the gzip-compressed size',
  raw: Math.round(rawBytes),
  gzip: Math.round(gzipBytes),
  upload,
  built,
  limits: { free_gzip: 3 * 1024 * 1024, paid_gzip: 10 * 1024 * 1024 },
  share_of_free: round(gzipBytes / (3 * 1024 * 1024) * 100, 1),
  share_of_paid: round(gzipBytes / (10 * 1024 * 1024) * 100, 1),
});
console.log(`[bench] sizes: app ${app.raw} B raw / ${app.gzip} B gzip; floor ${floor.raw} / ${floor.gzip}; worker ${Math.round(rawBytes)} / ${Math.round(gzipBytes)}`);
