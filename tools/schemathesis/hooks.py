"""Schemathesis hooks for the edge's two APIs (issue 12): `tools/fuzz.sh` runs schemathesis with
SCHEMATHESIS_HOOKS pointing here.

- Insurer API (`/v1/revisits…`): every request is signed as `e2e/lib/insurer.mjs` and the README
  say (HMAC-SHA256 of METHOD\\nPATH\\nTIMESTAMP\\nhex(SHA-256(body)) with the bytes of
  INSURER_API_SECRET), over the exact bytes sent: a `requests` auth hook, which runs on the
  prepared request after schemathesis has serialised the body. Half the calls on `{id}` go to a
  revisit made for them, so status, cancel, re-issue and storage are reached beyond `404`.
- Policyholder API (`/v1/session…`, `/r/{token}`, `/v1/session/phone-form/{token}`): each case gets
  a revisit of its own, created through the insurer API, opened (device cookie) from a client
  address of its own, and for half of them verified (code sent, read from the origin's SMS outbox,
  entered), so the session routes are reached in the states where they do something.
- Each generated request with a well-formed Idempotency-Key gets a key of its own.
- A generated create gets its ID number's GB 11643 check digit and a cooling-off end within the
  coming year, rules no JSON Schema can state (`fit_create`; a shape the document refuses is left
  refused).

Every answer is appended to FUZZ_STATS (JSON lines) for tools/schemathesis/summary.py.
"""

import hashlib
import hmac
import json
import os
import random
import re
import threading
import time
import urllib.parse
import urllib.request

import requests
import schemathesis

EDGE_URL = os.environ["EDGE_URL"].rstrip("/")
ORIGIN_URL = os.environ["ORIGIN_URL"].rstrip("/")
STATS = os.environ.get("FUZZ_STATS")
_lock = threading.Lock()


def _dev_vars(path=os.environ.get("HUIFANG_DEV_VARS", ".dev.vars")):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'^\s*([A-Z0-9_]+)\s*=\s*"?([^"]*)"?\s*$', line)
            if m:
                out[m.group(1)] = m.group(2)
    return out


SECRET = _dev_vars()["INSURER_API_SECRET"].encode()


def signature(method, path, timestamp, body):
    to_sign = f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"
    return "v1=" + hmac.new(SECRET, to_sign.encode(), hashlib.sha256).hexdigest()


class InsurerSignature(requests.auth.AuthBase):
    """Signs the prepared request: its final method, path and body bytes."""

    def __call__(self, r):
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        ts = str(int(time.time()))
        path = urllib.parse.urlsplit(r.url).path
        r.headers["X-Huifang-Timestamp"] = ts
        r.headers["X-Huifang-Signature"] = signature(r.method, path, ts, body)
        return r


def _insurer(method, path, payload=None):
    body = b"" if payload is None else json.dumps(payload).encode()
    ts = str(int(time.time()))
    headers = {"x-huifang-timestamp": ts, "x-huifang-signature": signature(method, path, ts, body)}
    if body:
        headers["content-type"] = "application/json"
    r = requests.request(method, EDGE_URL + path, data=body or None, headers=headers, timeout=30)
    r.raise_for_status()
    return r.json()


def _check_digit(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def _phone():
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def _client_ip():
    return f"10.{random.randint(1, 250)}.{random.randint(0, 250)}.{random.randint(1, 250)}"


def _script():
    with open("scripts/default.json", encoding="utf-8") as f:
        script = json.load(f)
    script["items"] = [i for i in script["items"] if not i.get("products")]
    for item in script["items"]:
        item["min_read_secs"] = 1
    return script


SCRIPT = _script()


def new_revisit():
    """A revisit made through the signed insurer API: (revisit id, link token, phone)."""
    phone = _phone()
    created = _insurer("POST", "/v1/revisits", {
        "policy_number": "FZ" + "".join(random.choice("0123456789") for _ in range(10)),
        "product": "鑫享人生年金保险",
        "policyholder": {"name": "张三", "phone": phone, "id_number": "11010519491231002X"},
        "cooling_off_ends_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 15 * 86400)),
        "script": SCRIPT,
    })
    return created["revisit_id"], created["link"].rsplit("/", 1)[1], phone


def _latest_code(phone):
    for _ in range(50):
        with urllib.request.urlopen(f"{ORIGIN_URL}/sms/outbox?phone={phone}&limit=1", timeout=10) as res:
            sent = json.load(res)
        if sent:
            return sent[0]["code"]
        time.sleep(0.1)
    raise RuntimeError(f"no SMS code for {phone}")


def session_fixture(verified):
    """A revisit opened by its own browser (cookie, client address), verified if asked."""
    revisit_id, token, phone = new_revisit()
    ip = _client_ip()
    s = requests.Session()
    s.headers.update({"authorization": f"Bearer {token}", "cf-connecting-ip": ip})
    s.get(f"{EDGE_URL}/v1/session", timeout=30).raise_for_status()
    if verified:
        s.post(f"{EDGE_URL}/v1/session/code", timeout=30).raise_for_status()
        s.post(f"{EDGE_URL}/v1/session/verify", json={"code": _latest_code(phone)}, timeout=30).raise_for_status()
    return {"revisit_id": revisit_id, "token": token, "ip": ip, "cookies": dict(s.cookies)}


DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))")


def fit_create(body):
    """Fits a generated create to the two rules no JSON Schema states: the ID number's check digit,
    and a cooling-off end between tomorrow and 366 days ahead (the generated time of day, fraction and
    offset are kept). A value of another shape is left as generated."""
    if not isinstance(body, dict):
        return
    holder = body.get("policyholder")
    number = holder.get("id_number") if isinstance(holder, dict) else None
    if isinstance(number, str) and re.fullmatch(r"[0-9]{17}[0-9Xx]", number):
        holder["id_number"] = number[:17] + _check_digit(number[:17])
    when = body.get("cooling_off_ends_at")
    m = DATE_TIME.fullmatch(when) if isinstance(when, str) else None
    if m:
        day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + random.randint(2, 300) * 86400))
        body["cooling_off_ends_at"] = day + m.group(1)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    path = case.operation.path
    if path.startswith("/v1/revisits"):
        kwargs["auth"] = InsurerSignature()
        if (case.operation.method.upper(), path) == ("POST", "/v1/revisits"):
            fit_create(case.body)
        # One key per generated request, as a client keeps it: the generator draws the same few
        # keys ("0", "A") for different bodies, which the edge rightly refuses as reused
        # (idempotency.spec.mjs tests reuse). A malformed key is left malformed.
        key = (case.headers or {}).get("Idempotency-Key")
        if isinstance(key, str) and re.fullmatch(r"[A-Za-z0-9._:+/=-]{1,255}", key):
            case.headers["Idempotency-Key"] = f"{key[:230]}.{case.id}"
        if "{id}" in path and random.random() < 0.5:
            case.path_parameters["id"] = new_revisit()[0]
        return
    if path.startswith("/v1/session") or path.startswith("/r/"):
        fixture = session_fixture(verified=random.random() < 0.5)
        if case.headers is None:
            case.headers = {}
        if "{token}" in path:
            if random.random() < 0.7:
                case.path_parameters["token"] = fixture["token"]
        else:
            case.headers["Authorization"] = f"Bearer {fixture['token']}"
        case.headers["CF-Connecting-IP"] = fixture["ip"]
        if random.random() < 0.9:
            case.cookies = {**(case.cookies or {}), **fixture["cookies"]}


@schemathesis.hook
def after_call(ctx, case, response):
    if not STATS:
        return
    try:
        code = response.json().get("code") if response.status_code >= 400 else None
    except Exception:  # not JSON (the app shell, the fallback pages)
        code = None
    meta = getattr(case, "_meta", None)
    mode = getattr(getattr(getattr(meta, "generation", None), "mode", None), "value", None)
    # The method sent: schemathesis also probes a path with methods it does not document (405).
    line = json.dumps({
        "op": f"{case.method.upper()} {case.operation.path}",
        "mode": mode,
        "status": response.status_code,
        "code": code,
        "body": case.body if mode == "positive" and case.operation.path == "/v1/revisits" and response.status_code >= 400 else None,
    }, default=str)
    with _lock, open(STATS, "a", encoding="utf-8") as f:
        f.write(line + "\n")
