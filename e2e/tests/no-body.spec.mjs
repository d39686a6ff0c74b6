// Refuse what the document does not allow (issue 12, item 6): a route that takes no body refuses
// one with `400 unexpected_body` and does nothing (a signed cancel with broken JSON no longer
// cancels; a code is not sent; a link is not opened); no body, or the empty object `{}` (which the
// app sends to its body-less routes), is still taken. Every body is a JSON object: the phone switch
// with `[]` is `400 bad_json` and does not switch.
import { test, expect } from '@playwright/test';
import { insurerPost, insurerRequest, readDevVars, revisitRequest, loadScript, signature } from '../lib/insurer.mjs';
import { PolicyholderClient } from '../lib/policyholder.mjs';
import { send as raw } from '../lib/raw.mjs';

const EDGE_URL = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const ORIGIN_URL = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const secret = () => readDevVars('.dev.vars').INSURER_API_SECRET;
const hex16 = () => Math.floor(Math.random() * 0xffff).toString(16);
const clientIp = () => `2001:db8:${hex16()}:${hex16()}::${hex16()}:${hex16()}`;

async function createRevisit() {
  const request = revisitRequest(loadScript('scripts/default.json'));
  request.policyholder.phone = '134' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const { status, body } = await insurerPost(EDGE_URL, secret(), '/v1/revisits', request);
  expect(status, JSON.stringify(body)).toBe(201);
  return { id: body.revisit_id, token: new URL(body.link).pathname.split('/').pop(), phone: request.policyholder.phone };
}

/** A signed insurer request with exactly this body text (sent as JSON). */
function signed(method, path, body) {
  const ts = Math.floor(Date.now() / 1000);
  return raw(EDGE_URL, method, path, {
    body,
    headers: {
      'x-huifang-timestamp': String(ts),
      'x-huifang-signature': signature(secret(), method, path, ts, body ?? ''),
      ...(body === null ? {} : { 'content-type': 'application/json' }),
    },
  });
}

const stage = async (id) => (await insurerRequest(EDGE_URL, secret(), 'GET', `/v1/revisits/${id}`)).body.stage;
// The code SMS sent to a phone (not any other text it may have had, such as the link).
const codesSent = async (phone) => (await (await fetch(`${ORIGIN_URL}/sms/outbox?phone=${phone}&limit=10`)).json()).filter((m) => m.code);

test('the insurer routes without a body refuse one: a signed cancel with broken JSON does not cancel', async () => {
  const r = await createRevisit();
  for (const [method, path] of [['POST', `/v1/revisits/${r.id}/cancel`], ['POST', `/v1/revisits/${r.id}/reissue`], ['GET', `/v1/revisits/${r.id}`], ['GET', `/v1/revisits/${r.id}/storage`]]) {
    for (const body of ['{"reason": ', '[]', '{"force":true}', 'null']) {
      const res = await signed(method, path, body);
      expect(`${res.status} ${res.body.code}`, `${method} ${path} with ${body}`).toBe('400 unexpected_body');
      expect(res.body.message).toMatch(/takes no body/);
    }
  }
  expect(await stage(r.id)).toBe('issued');
  // The link was not re-issued either: the first one still opens.
  expect((await new PolicyholderClient(EDGE_URL, r.token, { ip: clientIp() }).open()).status).toBe(200);
  // `{}` and no body are taken.
  expect((await signed('GET', `/v1/revisits/${r.id}`, '{}')).status).toBe(200);
  expect((await signed('POST', `/v1/revisits/${r.id}/cancel`, '{}')).status).toBe(200);
  expect(await stage(r.id)).toBe('cancelled');
  const other = await createRevisit();
  expect((await signed('POST', `/v1/revisits/${other.id}/cancel`, null)).status).toBe(200);
});

test('the policyholder routes without a body refuse one and do nothing; the switch takes only an object', async () => {
  const r = await createRevisit();
  const ip = clientIp();
  const bearer = { authorization: `Bearer ${r.token}`, 'content-type': 'application/json', 'cf-connecting-ip': ip };
  // Opening the link with a body: refused, and the link stays unbound (another browser opens it).
  const open = await raw(EDGE_URL, 'GET', '/v1/session', { body: '{"device":"mine"}', headers: bearer });
  expect(`${open.status} ${open.body.code}`).toBe('400 unexpected_body');
  expect(open.headers['set-cookie']).toBeUndefined();
  const ph = new PolicyholderClient(EDGE_URL, r.token, { ip });
  expect((await ph.open()).status).toBe(200);

  // Asking for a code with a body: refused, and no SMS goes out.
  const code = await ph.call('POST', '/v1/session/code', { phone: '13800000000' });
  expect(`${code.status} ${code.body.code}`).toBe('400 unexpected_body');
  expect(await codesSent(r.phone)).toEqual([]);
  const completeArray = await ph.call('POST', '/v1/session/complete', []);
  expect(`${completeArray.status} ${completeArray.body.code}`).toBe('400 unexpected_body');

  // The switch with a body that is not an object: refused, not switched.
  for (const body of [[], ['x'], 'phone', 1]) {
    const res = await ph.call('POST', '/v1/session/switch', body);
    expect(`${res.status} ${res.body.code}`, JSON.stringify(body)).toBe('400 bad_json');
  }
  expect((await ph.open()).body.stage).toBe('opened');
  expect(await stage(r.id)).toBe('opened');

  // What the app sends is taken: `{}` to the code route; an object to the switch.
  expect((await ph.call('POST', '/v1/session/code', {})).status).toBe(200);
  await expect.poll(() => codesSent(r.phone).then((c) => c.length)).toBe(1);
  const switched = await ph.switchToPhone('no body tricks');
  expect(switched.status).toBe(200);
  expect(switched.body.stage).toBe('switched_to_phone');
});
