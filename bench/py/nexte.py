"""Nexte core's side of the module's APIs, for the benchmark (standard library only).

Events are the fixtures of t/fixtures/events with a fresh id and a marker "NXB<seq>" where
the rendered message shows it, so the lean Slack can tell which event a message came from.
Accounts acc_b<N> use team T0B<N> and channels C0B<N>K<k> (k: index in CATEGORIES).
"""
import hashlib
import hmac
import http.client
import json
import os
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(TOP, "t", "fixtures", "events")
# One postable event type per category (recap is not an event Nexte core sends).
CATEGORIES = [("payments", "invoice.paid"), ("quotes", "quote.sent"), ("contacts", "lead.received"),
              ("booking", "appointment.booked"), ("alerts", "integration.error")]

_fixtures = {}


def account(n):
    return "acc_b%05d" % n


def team(n):
    return "T0B%05d" % n


def channel(n, k):
    return "C0B%05dK%d" % (n, k)


def channel_route(i):
    """The I-th benchmark channel: (account number, category index); 5 channels per account."""
    return i // len(CATEGORIES), i % len(CATEGORIES)


def event_body(n, k, seq):
    """The JSON text of an event for account N, category K, carrying marker NXB<SEQ>."""
    etype = CATEGORIES[k][1]
    if etype not in _fixtures:
        with open(os.path.join(FIXTURES, etype + ".json"), encoding="utf-8") as f:
            _fixtures[etype] = json.load(f)
    ev = json.loads(json.dumps(_fixtures[etype]))
    marker = "NXB%d" % seq
    if etype == "lead.received":
        ev["data"]["contact"]["name"] = marker
    elif etype == "appointment.booked":
        ev["data"]["title"] = marker
    elif etype == "integration.error":
        ev["data"]["integration"] = marker
    else:
        ev["record"]["number"] = marker
    ev["id"] = "evt_%s_%d" % (os.environ.get("NXS_BENCH_RUN", "r"), seq)
    ev["account_id"] = account(n)
    ev["occurred_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps(ev, separators=(",", ":"), ensure_ascii=False).encode()


def sign_event(secret, body, ts=None):
    ts = str(int(ts if ts is not None else time.time()))
    sig = hmac.new(secret, b"v1:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return ts, "v1=" + sig


def event_request(secret, path, body, host="127.0.0.1"):
    """The bytes of a keep-alive HTTP/1.1 POST of a signed event."""
    ts, sig = sign_event(secret, body)
    head = ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            "X-Nexte-Timestamp: %s\r\nX-Nexte-Signature: %s\r\nContent-Length: %d\r\n\r\n"
            % (path, host, ts, sig, len(body)))
    return head.encode() + body


def signed_api(conn, secret, acc, method, path, body=b""):
    """A settings API call as Nexte core (README "JSON API"); returns (status, body)."""
    ts = str(int(time.time()))
    text = b"v1:" + ts.encode() + b":" + ("%s %s\n%s\n" % (method, path, acc)).encode() + body
    sig = hmac.new(secret, text, hashlib.sha256).hexdigest()
    headers = {"X-Nexte-Account": acc, "X-Nexte-Timestamp": ts, "X-Nexte-Signature": "v1=" + sig}
    if body:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body or None, headers=headers)
    res = conn.getresponse()
    return res.status, res.read()


def cookies_of(res):
    """The cookies a response sets, name -> value."""
    out = {}
    for k, v in res.getheaders():
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            out[name.strip()] = rest.split(";", 1)[0]
    return out


def oauth_start(conn, cookie, settings="/slack/settings", oauth="/slack/oauth"):
    """Add to Slack as the settings page does it: the session's CSRF token from
    api/session, then a form POST to <oauth>/start. Returns the response (read)."""
    conn.request("GET", settings + "/api/session", headers={"Cookie": cookie})
    res = conn.getresponse()
    body = res.read()
    csrf = json.loads(body).get("csrf_token", "") if res.status == 200 else ""
    if res.status != 200:
        return res
    form = ("csrf_token=" + csrf).encode()
    conn.request("POST", oauth + "/start", body=form,
                 headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    res = conn.getresponse()
    res.read()
    return res


def read_secret(path):
    with open(path, "rb") as f:
        return f.read().rstrip(b"\n")


def http_conn(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def event_template(n, k):
    """A fast maker of event bodies for account N, category K: seq -> bytes (no JSON per call)."""
    text = event_body(n, k, 999999999999).decode()
    run = os.environ.get("NXS_BENCH_RUN", "r")
    text = text.replace("evt_%s_999999999999" % run, "evt_%s_\x00" % run).replace("NXB999999999999", "NXB\x00")
    parts = [p.encode() for p in text.split("\x00")]
    if len(parts) != 3:
        raise RuntimeError("event template for %s lacks its two markers" % CATEGORIES[k][1])
    a, b, c = parts

    def make(seq):
        s = str(seq).encode()
        return a + s + b + s + c
    return make
