"""Sets up the accounts of bench/chores/recap_e2e.sh through the module's real APIs.

    python3 bench/py/recap_setup.py PORT SECRET_FILE FAKETIME_FILE FIRST COUNT PROCS THREADS OCCURRED_AT

For each account n in FIRST..FIRST+COUNT-1 (acc_b<n>, team T0B<n>, recap channel C0RC<n>):
  1. account.updated (signed event): time zone Europe/Paris, locale en, currency EUR;
  2. the install: signed launch link -> session cookie -> POST /slack/oauth/start (state, nxs_oauth
     cookie) -> /slack/oauth/callback?code=TEAM&state=... (the module calls oauth.v2.access at
     the lean Slack, which makes TEAM the team) -> signed PUT api/categories/recap;
  3. invoice.paid (signed event) occurring at OCCURRED_AT (RFC 3339), an amount per account:
     the counted event that the next 09:00 recap reports (a day without one posts nothing).

The server runs under libfaketime: every signature and the launch link's expiry are made with
the *server's* clock, the real time plus the offset in FAKETIME_FILE ("+N" seconds, as
t/lib/NxsFaketime.pm writes it).  Signing with the real clock is what made an earlier attempt
fail: with the server's clock hours ahead, the settings API answers 401 stale_timestamp (and
the launch link 403 expired_link), the events endpoint 401.
A 503 (the module's answer when SQLite stays busy too long) is retried, as Nexte core and a
browser would, the launch link made afresh.
Prints one JSON line: {"accounts", "seconds", "failures", "first_error", "retried_503",
"step_ms": mean time of each step}.
"""
import hashlib
import hmac
import json
import multiprocessing
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import nexte


def recap_channel(n):
    return "C0RC%05d" % n


class Clock:
    """The server's clock: real time + the libfaketime offset (re-read, it only grows)."""

    def __init__(self, path):
        self.path = path

    def now(self):
        with open(self.path, encoding="ascii") as f:
            return time.time() + int(f.read().strip() or "0")


RETRIES = 20  # a 503 (SQLite busy for too long, or a fresh database being migrated) is retried


def post_event(conn, secret, clock, ev):
    body = json.dumps(ev, separators=(",", ":")).encode()
    for _ in range(RETRIES):
        ts, sig = nexte.sign_event(secret, body, clock.now())
        conn.request("POST", "/slack/events", body=body,
                     headers={"Content-Type": "application/json", "X-Nexte-Timestamp": ts,
                              "X-Nexte-Signature": sig})
        res = conn.getresponse()
        text = res.read()
        if res.status != 503:
            break
        RETRIED[0] += 1
        time.sleep(0.2)
    return res.status, text


def signed_api(conn, secret, clock, acc, method, path, body):
    for _ in range(RETRIES):
        ts = str(int(clock.now()))
        text = b"v1:" + ts.encode() + b":" + ("%s %s\n%s\n" % (method, path, acc)).encode() + body
        sig = hmac.new(secret, text, hashlib.sha256).hexdigest()
        conn.request(method, path, body=body, headers={
            "X-Nexte-Account": acc, "X-Nexte-Timestamp": ts, "X-Nexte-Signature": "v1=" + sig,
            "Content-Type": "application/json"})
        res = conn.getresponse()
        out = res.read()
        if res.status != 503:
            break
        RETRIED[0] += 1
        time.sleep(0.2)
    return res.status, out


def get(conn, path, cookie=None):
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    res = conn.getresponse()
    res.read()
    return res


def launch(conn, secret, clock, acc):
    """The launch link, made afresh for each try (a link works once)."""
    for _ in range(RETRIES):
        exp = str(int(clock.now()) + 300)
        sig = hmac.new(secret, ("launch:%s:%s" % (acc, exp)).encode(), hashlib.sha256).hexdigest()
        res = get(conn, "/slack/settings/launch?account=%s&exp=%s&sig=%s" % (acc, exp, sig))
        if res.status != 503:
            break
        RETRIED[0] += 1
        time.sleep(0.2)
    return res


def timed(step, fn, *args):
    t = time.monotonic()
    try:
        return fn(*args)
    finally:
        STEPS[step] = STEPS.get(step, 0.0) + time.monotonic() - t


RETRIED = [0]
STEPS = {}


class Retry(Exception):
    pass


def install(conn, secret, clock, acc, n):
    """Launch link -> session -> oauth/start -> oauth/callback; Retry on a 503."""
    res = timed("launch", launch, conn, secret, clock, acc)
    jar = nexte.cookies_of(res)
    if res.status == 503:
        raise Retry()
    if res.status != 302 or "nxs_session" not in jar:
        raise RuntimeError("%s: launch answered %d" % (acc, res.status))
    res = timed("oauth/start", nexte.oauth_start, conn, "; ".join("%s=%s" % kv for kv in jar.items()))
    jar.update(nexte.cookies_of(res))
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(res.getheader("Location") or "").query)
    state = state.get("state", [""])[0]
    if res.status == 503:
        raise Retry()
    if res.status != 302 or not state:
        raise RuntimeError("%s: oauth/start answered %d" % (acc, res.status))
    res = timed("oauth/callback", get, conn,
                "/slack/oauth/callback?code=%s&state=%s" % (nexte.team(n), urllib.parse.quote(state)),
                "; ".join("%s=%s" % kv for kv in jar.items()))
    if res.status == 503:
        raise Retry()
    if res.status != 302 or "connected=" not in (res.getheader("Location") or ""):
        raise RuntimeError("%s: oauth/callback answered %d %s" % (acc, res.status, res.getheader("Location")))


def setup_one(port, secret, clock, n, occurred_at, run):
    acc = nexte.account(n)
    conn = nexte.http_conn(port)
    try:
        upd = {"id": "evt_rc_%s_u%d" % (run, n), "type": "account.updated", "account_id": acc,
               "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now() - 60)),
               "data": {"plan": "agency", "timezone": "Europe/Paris", "locale": "en", "currency": "EUR"}}
        status, text = timed("account.updated", post_event, conn, secret, clock, upd)
        if status not in (200, 202):
            raise RuntimeError("%s: account.updated answered %d %s" % (acc, status, text[:200]))

        for attempt in range(5):  # a 503 anywhere in the install: start it again, as a user would
            try:
                install(conn, secret, clock, acc, n)
                break
            except Retry:
                RETRIED[0] += 1
                time.sleep(0.2)
        else:
            raise RuntimeError("%s: the install answered 503 five times" % acc)
        body = json.dumps({"channel_id": recap_channel(n)}).encode()
        status, text = timed("PUT categories/recap", signed_api, conn, secret, clock, acc, "PUT",
                             "/slack/settings/api/categories/recap", body)
        if status != 200:
            raise RuntimeError("%s: PUT categories/recap answered %d %s" % (acc, status, text[:200]))

        paid = {"id": "evt_rc_%s_p%d" % (run, n), "type": "invoice.paid", "account_id": acc,
                "occurred_at": occurred_at,
                "client": {"id": "cli_%d" % n, "name": "Client %d" % n},
                "record": {"kind": "invoice", "id": "inv_%d" % n, "number": "INV-%05d" % n},
                "amount": {"value": "%d.%02d" % (100 + n % 900, n % 100), "currency": "EUR"},
                "data": {"method": "card"}}
        status, text = timed("invoice.paid", post_event, conn, secret, clock, paid)
        if status not in (200, 202):
            raise RuntimeError("%s: invoice.paid answered %d %s" % (acc, status, text[:200]))
    finally:
        conn.close()


def run_slice(args):
    port, secret, ftfile, numbers, threads, occurred_at, run = args
    clock = Clock(ftfile)
    errors = []

    def one(n):
        try:
            setup_one(port, secret, clock, n, occurred_at, run)
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors.append(str(e))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, numbers))
    return errors, RETRIED[0], STEPS


def main():
    port, secret, ftfile = int(sys.argv[1]), nexte.read_secret(sys.argv[2]), sys.argv[3]
    first, count, procs, threads = (int(x) for x in sys.argv[4:8])
    occurred_at = sys.argv[8]
    run = nexte.os.environ.get("NXS_BENCH_RUN", "r")
    numbers = list(range(first, first + count))
    t0 = time.monotonic()
    slices = [(port, secret, ftfile, numbers[i::procs], threads, occurred_at, run) for i in range(procs)]
    with multiprocessing.Pool(procs) as pool:
        results = pool.map(run_slice, slices)
    errors = [e for errs, _, _ in results for e in errs]
    steps = {}
    for _, _, st in results:
        for k, v in st.items():
            steps[k] = steps.get(k, 0.0) + v
    # Mean time of each step as a client saw it (ms), and the 503s retried.
    print(json.dumps({"accounts": count - len(errors), "seconds": round(time.monotonic() - t0, 1),
                      "failures": len(errors), "first_error": errors[0] if errors else None,
                      "retried_503": sum(r for _, r, _ in results),
                      "step_ms": {k: round(v * 1000 / max(1, count), 1) for k, v in steps.items()}}))


if __name__ == "__main__":
    main()
