// The policyholder API from Node, as a browser would use it: the link token as a bearer credential
// and the device cookie kept between calls. `ip` simulates the client address (CF-Connecting-IP,
// which local workerd passes through and Cloudflare's network sets itself).
export class PolicyholderClient {
  constructor(edgeUrl, token, { ip, userAgent, acceptLanguage } = {}) {
    this.edgeUrl = edgeUrl;
    this.token = token;
    this.ip = ip;
    this.userAgent = userAgent;
    this.acceptLanguage = acceptLanguage;
    this.cookies = new Map();
  }

  async call(method, path, body) {
    const headers = { authorization: `Bearer ${this.token}` };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.ip) headers['cf-connecting-ip'] = this.ip;
    if (this.userAgent) headers['user-agent'] = this.userAgent;
    if (this.acceptLanguage) headers['accept-language'] = this.acceptLanguage;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(path, this.edgeUrl), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: json ?? text, headers: res.headers };
  }

  open() { return this.call('GET', '/v1/session'); }
  sendCode() { return this.call('POST', '/v1/session/code'); }
  verify(code) { return this.call('POST', '/v1/session/verify', { code }); }
  answer(index, answer = 'yes', comment) { return this.call('POST', `/v1/session/items/${index}`, { answer, comment }); }
  /**
   * Answers as a careful client does (R9): when the edge says the item has not been shown long
   * enough (409 `answered_too_soon`), waits the `retry_after_secs` it names and sends the same answer
   * again. For tests about something else; the refusal itself is reading-enforced.spec.mjs's.
   */
  async answerWhenReady(index, answer = 'yes', comment, { tries = 5 } = {}) {
    let res = await this.answer(index, answer, comment);
    for (let t = 1; t < tries && res.status === 409 && res.body?.code === 'answered_too_soon'; t++) {
      await sleep(res.body.retry_after_secs * 1000);
      res = await this.answer(index, answer, comment);
    }
    return res;
  }
  complete() { return this.call('POST', '/v1/session/complete'); }
  language(lang) { return this.call('POST', '/v1/session/language', { lang }); }
  switchToPhone(reason) { return this.call('POST', '/v1/session/switch', { reason }); }
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * The dev origin's SMS outbox for `phone` (newest first) once it holds at least `count` messages:
 * a code's SMS is handed to the origin just after the answer of `POST /v1/session/code` (issue 19),
 * so it is waited for, up to `timeoutMs`.
 */
export async function smsOutbox(originUrl, phone, count = 1, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await (await fetch(`${originUrl}/sms/outbox?phone=${phone}&limit=100`)).json();
    if (list.length >= count || Date.now() > deadline) return list;
    await sleep(50);
  }
}

/** Counts responses by `status code` key, e.g. { '200 ': 1, '429 resend_too_soon': 99 }. */
export function tally(responses) {
  const out = {};
  for (const r of responses) {
    const key = `${r.status} ${r.body?.code ?? ''}`.trim();
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
