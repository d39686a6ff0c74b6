// Links are never built on a host a request names (issue 12, item 6): without PUBLIC_BASE_URL (the
// local stack has none), the edge makes links only for a request to a loopback address, as in local
// development; a create or re-issue sent with `Host: evil.example` is refused with 500 misconfigured
// and nothing is created or changed. (With PUBLIC_BASE_URL set, the Host header plays no part:
// core's `wire::link_base` tests.)
import { test, expect } from '@playwright/test';
import { request as httpRequest } from 'node:http';
import { insurerPost, loadScript, readDevVars, revisitRequest, signature } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;

/** A signed POST with the Host header set by hand (fetch does not let a caller choose it). */
function postWithHost(host, path, payload) {
  const body = payload === undefined ? '' : JSON.stringify(payload);
  const ts = Math.floor(Date.now() / 1000);
  const edge = new URL(EDGE_URL);
  const headers = {
    host,
    'x-huifang-timestamp': String(ts),
    'x-huifang-signature': signature(secret(), 'POST', path, ts, body),
    'content-length': Buffer.byteLength(body),
  };
  if (body) headers['content-type'] = 'application/json';
  return new Promise((done, failed) => {
    const req = httpRequest({ host: edge.hostname, port: edge.port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => done({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on('error', failed);
    req.end(body);
  });
}

test('a create sent with a foreign Host gets no link on that host, and nothing is created', async () => {
  const request = revisitRequest(loadScript('scripts/default.json'));
  for (const host of ['evil.example', 'evil.example:8811', 'localhost.evil.example', '127.0.0.1.evil.example']) {
    const r = await postWithHost(host, '/v1/revisits', request);
    expect([r.status, r.body.code], host).toEqual([500, 'misconfigured']);
    expect(JSON.stringify(r.body)).not.toContain('evil');
  }
  // A loopback host (local development) gets its link there.
  const edge = new URL(EDGE_URL);
  for (const host of [`127.0.0.1:${edge.port}`, `localhost:${edge.port}`]) {
    const r = await postWithHost(host, '/v1/revisits', revisitRequest(loadScript('scripts/default.json')));
    expect(r.status, host).toBe(201);
    expect(new URL(r.body.link).host).toBe(host);
  }
});

test('a re-issue sent with a foreign Host changes nothing: the old link still works', async () => {
  const created = await insurerPost(EDGE_URL, secret(), '/v1/revisits', revisitRequest(loadScript('scripts/default.json')));
  expect(created.status).toBe(201);
  const r = await postWithHost('evil.example', `/v1/revisits/${created.body.revisit_id}/reissue`);
  expect([r.status, r.body.code]).toEqual([500, 'misconfigured']);
  const token = new URL(created.body.link).pathname.split('/').pop();
  expect((await new PolicyholderClient(EDGE_URL, token).open()).status).toBe(200);
});
