"""Connects benchmark accounts 0..N-1 to the lean Slack and maps their five categories.

    python3 bench/py/connect.py PORT SECRET_FILE N [THREADS]

Each account goes through the real install: launch link -> session cookie -> POST /slack/oauth/start
(state, nxs_oauth cookie) -> /slack/oauth/callback?code=TEAM&state=... (the module calls
oauth.v2.access at the lean Slack, which makes TEAM the team) -> signed PUT categories/<cat>.
The authorize page itself is skipped: it only hands the browser back with code and state.
"""
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import nexte


def connect_one(port, secret, n):
    acc = nexte.account(n)
    conn = nexte.http_conn(port)
    exp = str(int(time.time()) + 300)
    sig = hmac.new(secret, ("launch:%s:%s" % (acc, exp)).encode(), hashlib.sha256).hexdigest()
    for _ in range(50):
        # A fresh database: a 503 while the processes race to migrate it is retried
        # (a failed first migration is retried at the next request).
        conn.request("GET", "/slack/settings/launch?account=%s&exp=%s&sig=%s" % (acc, exp, sig))
        res = conn.getresponse()
        res.read()
        if res.status != 503:
            break
        time.sleep(0.2)
    jar = nexte.cookies_of(res)
    if res.status != 302 or "nxs_session" not in jar:
        raise RuntimeError("%s: launch answered %d" % (acc, res.status))
    cookie = "; ".join("%s=%s" % kv for kv in jar.items())
    res = nexte.oauth_start(conn, cookie)
    jar.update(nexte.cookies_of(res))
    loc = res.getheader("Location") or ""
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query).get("state", [""])[0]
    if res.status != 302 or not state:
        raise RuntimeError("%s: oauth/start answered %d" % (acc, res.status))
    cookie = "; ".join("%s=%s" % kv for kv in jar.items())
    conn.request("GET", "/slack/oauth/callback?code=%s&state=%s" % (nexte.team(n), urllib.parse.quote(state)),
                 headers={"Cookie": cookie})
    res = conn.getresponse()
    res.read()
    if res.status != 302 or "connected=" not in (res.getheader("Location") or ""):
        raise RuntimeError("%s: oauth/callback answered %d %s" % (acc, res.status, res.getheader("Location")))
    for k, (cat, _) in enumerate(nexte.CATEGORIES):
        body = json.dumps({"channel_id": nexte.channel(n, k)}).encode()
        status, text = nexte.signed_api(conn, secret, acc, "PUT", "/slack/settings/api/categories/" + cat, body)
        if status != 200:
            raise RuntimeError("%s: PUT categories/%s answered %d %s" % (acc, cat, status, text[:200]))
    conn.close()


def main():
    port, secret, count = int(sys.argv[1]), nexte.read_secret(sys.argv[2]), int(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    t0 = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda n: connect_one(port, secret, n), range(count)))
    print("connected %d accounts (%d channels) in %.1f s" % (count, count * len(nexte.CATEGORIES),
                                                          time.monotonic() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
