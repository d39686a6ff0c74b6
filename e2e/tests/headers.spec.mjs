// The headers of every kind of response, against a table here (issue 12, item 2; OWASP ASVS V14.4):
// the app's page at the link and every file of the shell (a CSP of this origin only, with
// 'wasm-unsafe-eval' for the app's WebAssembly; never framed; never sniffed; no referrer; the page,
// whose address holds the token, never stored; the versioned files immutable), the fallback pages,
// the edge's API (success and refusal: no-store, nosniff), its OpenAPI document, the origin's JSON,
// the staff console's login page and the evidence report. Each GET's HEAD carries the same. Runs on
// both runtimes (wrangler dev and the self-hosted workerd): one table for both.
// Then the browser: the app passes its CSP (the `page` fixture fails any test on a violation, and
// the whole revisit suite runs under it), the check can fail (an injected inline script and an inline
// style are refused and reported), and a page on another origin cannot frame the app.
import { test, expect } from './fixtures/revisit.mjs';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { insurerPost, readDevVars, revisitRequest, loadScript, signature } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';
import { watchCsp } from '../lib/csp.mjs';
import { send } from '../lib/raw.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;

// ---- the table -------------------------------------------------------------------------------
const csp = (text) => Object.fromEntries(text.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
  const [name, ...values] = d.split(/\s+/);
  return [name, values.join(' ')];
}));
// The page's one inline script (the first screen, issue 19) is allowed by its sha256, computed
// here from the page itself, and nothing else inline is.
const FIRST_SCRIPT = /<script>([\s\S]*?)<\/script>/.exec(readFileSync('app/index.html', 'utf8'))[1];
const FIRST_SCRIPT_HASH = `'sha256-${createHash('sha256').update(FIRST_SCRIPT).digest('base64')}'`;
// Its stylesheet too (style/app.css, put inside the page by tools/build-app.sh), by the file's sha256.
const STYLE_HASH = `'sha256-${createHash('sha256').update(readFileSync('style/app.css')).digest('base64')}'`;
const APP_CSP = {
  'default-src': "'none'", 'script-src': `'self' 'wasm-unsafe-eval' ${FIRST_SCRIPT_HASH}`, 'style-src': `'self' ${STYLE_HASH}`,
  'img-src': "'self' data:", 'font-src': "'self'", 'connect-src': "'self'", 'manifest-src': "'self'",
  'worker-src': "'self'", 'form-action': "'self'", 'base-uri': "'none'", 'object-src': "'none'",
  'frame-ancestors': "'none'",
};
const FALLBACK_CSP = {
  'default-src': "'none'", 'style-src': "'self'", 'img-src': 'data:', 'form-action': "'self'",
  'base-uri': "'none'", 'frame-ancestors': "'none'",
};
const REPORT_CSP = {
  'default-src': "'none'", 'style-src': "'unsafe-inline'", 'img-src': 'data:', 'base-uri': "'none'",
  'form-action': "'none'", 'frame-ancestors': "'none'",
};
const CONSOLE_CSP = {
  'default-src': "'none'", 'style-src': "'self'", 'img-src': "'self'", 'form-action': "'self'",
  'frame-ancestors': "'none'", 'base-uri': "'none'",
};
const HARDENED = { 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=0, must-revalidate';
const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const page = (policy, cache, type = HTML) => ({ type, csp: policy, cache, ...HARDENED });
const api = (type = /^application\/json/) => ({ type, cache: 'no-store', 'x-content-type-options': 'nosniff' });

/** Every file of the built shell, and what it carries (a new file fails the test until listed). */
const SHELL = {
  'index.html': page(APP_CSP, REVALIDATE),
  'app.js': page(APP_CSP, IMMUTABLE, JS),
  'app_bg.wasm': page(APP_CSP, IMMUTABLE, 'application/wasm'),
  'boot.js': page(APP_CSP, IMMUTABLE, JS),
  'start.js': page(APP_CSP, IMMUTABLE, JS),
  'sw.js': page(APP_CSP, 'no-cache', JS),
  'fallback.css': page(APP_CSP, REVALIDATE, 'text/css; charset=utf-8'),
};
// The brotli copies of what a first visit downloads (tools/build-app.sh; issue 19): reachable as
// files of their own (whatever type the assets give them: none under wrangler dev), and sent
// instead of the file, with its type and headers and `content-encoding: br`, to a client that takes
// brotli (edge/src/shell.rs). Asked with `br` alone: given `gzip, br`, wrangler dev's proxy
// re-encodes with gzip (the self-hosted workerd sends the brotli file as it is).
const BROTLI = ['index.html', 'boot.js', 'start.js', 'app.js', 'app_bg.wasm'];
for (const f of BROTLI) SHELL[`${f}.br`] = page(APP_CSP, REVALIDATE, /^/);

/** What is wrong with `res` against `expected`; empty when it conforms. */
function problems(res, expected) {
  const out = [];
  const h = res.headers;
  const check = (name, want, got) => {
    const ok = want instanceof RegExp ? want.test(got ?? '') : got === want;
    if (!ok) out.push(`${name}: ${JSON.stringify(got)}, expected ${want}`);
  };
  if (expected.status !== undefined) check('status', expected.status, res.status);
  check('content-type', expected.type, h['content-type']);
  check('cache-control', expected.cache, h['cache-control']);
  for (const name of ['x-frame-options', 'x-content-type-options', 'referrer-policy', 'allow', 'content-encoding', 'vary']) {
    if (expected[name] !== undefined) check(name, expected[name], h[name]);
  }
  if (expected.csp) {
    const got = h['content-security-policy'];
    if (!got) out.push('no content-security-policy');
    else expect.soft(csp(got), `${res.what}: the CSP's directives`).toEqual(expected.csp);
  }
  return out;
}

async function createRevisit() {
  const request = revisitRequest(loadScript('scripts/default.json'));
  request.policyholder.phone = '132' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const res = await insurerPost(EDGE_URL, secret(), '/v1/revisits', request);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.revisit_id, token: new URL(res.body.link).pathname.split('/').pop(), phone: request.policyholder.phone };
}

const hex16 = () => Math.floor(Math.random() * 0xffff).toString(16);
const clientIp = () => `2001:db8:${hex16()}:${hex16()}::${hex16()}:${hex16()}`;
/** Signature headers for a body-less insurer request, `method` as sent (node:http, to read HEAD too). */
function signedHeaders(method, path) {
  const ts = Math.floor(Date.now() / 1000);
  return { 'x-huifang-timestamp': String(ts), 'x-huifang-signature': signature(secret(), method, path, ts, '') };
}

test('every kind of response carries the headers of the table, and HEAD the same as GET', async () => {
  test.setTimeout(90_000);
  const live = await createRevisit();
  const ip = clientIp();
  const bearer = { authorization: `Bearer ${live.token}`, 'cf-connecting-ip': ip };
  const me = new PolicyholderClient(EDGE_URL, live.token, { ip });
  expect((await me.open()).status).toBe(200);
  const cookie = [...me.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  // A revisit switched to phone, so that its record is archived at the origin (the evidence report).
  const archived = await createRevisit();
  const other = new PolicyholderClient(EDGE_URL, archived.token, { ip: clientIp() });
  expect((await other.open()).status).toBe(200);
  expect((await other.switchToPhone('headers')).status).toBe(200);
  await expect.poll(async () => (await fetch(`${ORIGIN_URL}/records/${archived.id}`)).status, { timeout: 20_000 }).toBe(200);

  // The shell's files as the page asks for them (?v=<build>), every file of the build.
  const index = (await send(EDGE_URL, 'GET', '/')).text;
  const build = /<meta name="huifang-build" id="build" content="([0-9a-f]+)">/.exec(index)?.[1];
  expect(build, 'the page names its build').toBeTruthy();
  const built = readdirSync('app/dist').sort();
  expect(built, 'every file of the build is in the table').toEqual(Object.keys(SHELL).sort());
  const versioned = (f) => (/^(app|boot|start)[._]/.test(f) ? `?v=${build}` : '');
  const shellPath = (f) => (f === 'index.html' ? '/' : `/${f}${versioned(f)}`);

  const statusPath = `/v1/revisits/${live.id}`;
  // [what, method, url, { body, headers }, expected]
  const rows = [
    ['the app page at the link', 'GET', `${EDGE_URL}/r/${live.token}`, {}, { status: 200, ...page(APP_CSP, 'no-store') }],
    ['the app page at a link that names nothing', 'GET', `${EDGE_URL}/r/${'A'.repeat(38)}`, {}, { status: 200, ...page(APP_CSP, 'no-store') }],
    ...built.map((f) => [`shell file ${f}`, 'GET', `${EDGE_URL}${shellPath(f)}`, {}, { status: 200, ...SHELL[f] }]),
    ...BROTLI.map((f) => [`shell file ${f} as brotli`, 'GET', f === 'index.html' ? `${EDGE_URL}/r/${live.token}` : `${EDGE_URL}${shellPath(f)}`,
      { headers: { 'accept-encoding': 'br' } },
      { status: 200, ...(f === 'index.html' ? page(APP_CSP, 'no-store') : SHELL[f]), 'content-encoding': 'br', vary: 'accept-encoding' }]),
    ['the fallback page: switched', 'POST', `${EDGE_URL}/r/${(await createRevisit()).token}`,
      { body: 'action=switch_to_phone', headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': clientIp() } },
      { status: 200, ...page(FALLBACK_CSP, 'no-store') }],
    ['the fallback page: refused', 'POST', `${EDGE_URL}/r/${live.token}`,
      { body: 'action=complete', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { status: 400, ...page(FALLBACK_CSP, 'no-store') }],
    ['API success: the session', 'GET', `${EDGE_URL}/v1/session`, { headers: { ...bearer, cookie } }, { status: 200, ...api() }],
    ['API success: the insurer status', 'GET', `${EDGE_URL}${statusPath}`, { headers: signedHeaders('GET', statusPath) }, { status: 200, ...api() }],
    ['API refusal: no link', 'GET', `${EDGE_URL}/v1/session`, {}, { status: 401, ...api() }],
    ['API refusal: another browser', 'GET', `${EDGE_URL}/v1/session`, { headers: bearer }, { status: 403, ...api() }],
    ['API refusal: unsigned', 'GET', `${EDGE_URL}${statusPath}`, {}, { status: 401, ...api() }],
    ['API refusal: a method not allowed', 'PUT', `${EDGE_URL}/v1/revisits`, {}, { status: 405, ...api(), allow: 'POST' }],
    ['API refusal: no such route', 'GET', `${EDGE_URL}/v1/nothing`, {}, { status: 404, ...api() }],
    ['the OpenAPI document', 'GET', `${EDGE_URL}/v1/openapi.json`, {}, { status: 200, type: 'application/json; charset=utf-8', cache: 'public, max-age=300', 'x-content-type-options': 'nosniff' }],
    ['origin JSON: health', 'GET', `${ORIGIN_URL}/healthz`, {}, { status: 200, ...api() }],
    ['origin JSON: cases without the token', 'GET', `${ORIGIN_URL}/cases`, {}, { status: 403, ...api() }],
    ['origin JSON: an archived record', 'GET', `${ORIGIN_URL}/records/${archived.id}`, {}, { status: 200, ...api() }],
    ['the staff console login page', 'GET', `${ORIGIN_URL}/console/login`, {}, { status: 200, ...page(CONSOLE_CSP, 'no-store') }],
    ['the evidence report', 'GET', `${ORIGIN_URL}/records/${archived.id}/report`, {}, { status: 200, ...page(REPORT_CSP, 'no-store') }],
  ];
  const wrong = [];
  for (const [what, method, url, options, expected] of rows) {
    const res = await send(url, method, '', { body: options.body ?? null, headers: options.headers ?? {} });
    res.what = what;
    for (const p of problems(res, expected)) wrong.push(`${what} (${method} ${url}): ${p}`);
    if (method === 'GET' && !url.endsWith('/v1/session')) {
      // HEAD: the same status and headers, no body. (Not the session: a HEAD there opens it too.)
      const head = await send(url, 'HEAD', '', { headers: options.headers?.['x-huifang-signature'] ? signedHeaders('HEAD', statusPath) : options.headers ?? {} });
      head.what = `HEAD ${what}`;
      for (const p of problems(head, expected)) wrong.push(`HEAD ${what}: ${p}`);
      if (head.text !== '') wrong.push(`HEAD ${what}: a body of ${head.text.length} bytes`);
    }
  }
  expect(wrong).toEqual([]);
  expect(rows.length).toBeGreaterThanOrEqual(25);
});

test('the check fails on a violation: an injected inline script and an inline style are refused and reported', async ({ browser, insurer }) => {
  const r = await insurer.createRevisit();
  const context = await browser.newContext();
  const probe = await context.newPage();
  const violations = await watchCsp(probe);
  await probe.goto(`${EDGE_URL}/r/${r.token}`);
  await expect(probe.getByRole('button', { name: '获取验证码' })).toBeVisible();
  expect(violations, 'the app itself passes').toEqual([]);
  // As an injection would: an inline script, and an element with a style attribute.
  const ran = await probe.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true;';
    document.body.append(s);
    const d = document.createElement('div');
    d.setAttribute('style', 'color: red');
    document.body.append(d);
    return window.__injected === true;
  });
  expect(ran, 'the browser did not run the injected script').toBe(false);
  await expect.poll(() => violations.join('\n')).toMatch(/script-src/);
  await expect.poll(() => violations.join('\n')).toMatch(/style-src/);
  expect(violations.some((v) => v.includes('securitypolicyviolation:')), 'the page event').toBe(true);
  expect(violations.some((v) => /Content Security Policy/.test(v)), "Chromium's own report").toBe(true);
  await context.close();
});

test('a page of another origin cannot frame the app (frame-ancestors, X-Frame-Options)', async ({ browser, insurer }) => {
  const r = await insurer.createRevisit();
  const context = await browser.newContext();
  const framer = await context.newPage();
  const violations = await watchCsp(framer);
  // The origin's port is another origin: a page there framing the link.
  await framer.goto(`${ORIGIN_URL}/healthz`);
  await framer.setContent(`<iframe src="${EDGE_URL}/r/${r.token}" title="framed"></iframe>`);
  await expect.poll(() => violations.join('\n')).toMatch(/frame-ancestors/);
  const framed = framer.frames().find((f) => f !== framer.mainFrame());
  await expect(framed.getByRole('button', { name: '获取验证码' })).toHaveCount(0);
  await context.close();
});

test('the app runs under its CSP with no violation, through to an item', async ({ page, revisit, insurer, origin }) => {
  // The `page` fixture fails the test on any violation (as for every spec that drives the page).
  const r = await insurer.createRevisit();
  await revisit.open(r.path);
  await revisit.verifyWithCode(origin, r.phone);
  // The first item, its progress bar drawn (its width set through the CSSOM, not a style attribute).
  await expect(page.locator('.progress-fill')).toHaveCSS('width', /^[1-9][0-9.]*px$/);
  await revisit.answer('yes');
  // The service worker registered under the CSP (worker-src 'self').
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker?.getRegistration().then((reg) => Boolean(reg)))).toBe(true);
});
