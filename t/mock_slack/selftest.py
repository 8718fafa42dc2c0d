#!/usr/bin/python3
"""Self-test of the mock Slack: starts it on free ports, exercises every endpoint, error and mode.

Prints TAP (run by `prove -e python3 t/mock_slack/selftest.py`); exit status 1 on any failure.
Each group below is one area of the mock; a group that raises counts as one failure and the
others still run, so one regression does not hide the rest.
"""

import base64
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "mock_slack.py")
TOKEN = "xoxb-mock-T0MOCK01"
TOKEN2 = "xoxb-mock-T0MOCK02"
CLIENT_ID, CLIENT_SECRET = "1111.2222", "mock-client-secret"
REDIRECT = "https://nexte.test/slack/oauth/callback"


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, got=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}")
        if not cond and got is not None:
            for line in str(got)[:2000].splitlines():
                print(f"#   got: {line}")
        sys.stdout.flush()
        return bool(cond)

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, f"{got!r} (wanted {want!r})")

    def skip(self, desc, reason):
        self.n += 1
        print(f"ok {self.n} - {desc} # SKIP {reason}")

    def diag(self, text):
        for line in text.splitlines():
            print(f"# {line}")


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text)
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<{self.status} {self.text[:300]}>"


class Mock:
    """The mock under test, as a child process, plus clients for both of its ports."""

    def __init__(self, workdir):
        self.pidfile = os.path.join(workdir, "mock.pid")
        self.logfile = os.path.join(workdir, "mock.log")
        self.proc = subprocess.Popen([sys.executable, MOCK, "--api-port", "0", "--control-port", "0",
                                      "--pidfile", self.pidfile, "--log", self.logfile],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        self.ready_line = self.proc.stdout.readline().decode().strip() if ready else ""
        match = re.match(r"READY api=(\d+) control=(\d+)$", self.ready_line)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"mock did not start: {self.ready_line!r} {self.proc.stderr.read()!r}")
        self.api_port, self.control_port = int(match.group(1)), int(match.group(2))
        self.conn = None

    # -- control port --------------------------------------------------------------------------

    def control(self, method, path, body=None, query=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.control_port, timeout=10)
        if query:
            path += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, data, {"Content-Type": "application/json"} if data else {})
        res = conn.getresponse()
        resp = Resp(res.status, res.getheaders(), res.read())
        conn.close()
        return resp

    def post(self, path, body=None):
        resp = self.control("POST", path, body or {})
        if resp.status != 200:
            raise RuntimeError(f"control {path} {body}: {resp}")
        return resp.json

    def get(self, path, **query):
        resp = self.control("GET", path, query={k: v for k, v in query.items() if v is not None})
        if resp.status != 200:
            raise RuntimeError(f"control {path}: {resp}")
        return resp.json

    def mode(self, **body):
        return self.post("/_mock/mode", body)

    def calls(self, **query):
        return self.get("/_mock/calls", **query)["calls"]

    def stats(self):
        return self.get("/_mock/stats")["stats"]

    # -- API port ------------------------------------------------------------------------------

    def connect(self, timeout=5):
        return http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout)

    def http(self, method, path, body=None, headers=None, conn=None):
        """One request on the shared keep-alive connection (or `conn`); reconnects once if it broke."""
        own = conn is None
        for attempt in (1, 2):
            if own and self.conn is None:
                self.conn = self.connect()
            c = self.conn if own else conn
            try:
                c.request(method, path, body, headers or {})
                res = c.getresponse()
                return Resp(res.status, res.getheaders(), res.read())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not own or attempt == 2:
                    raise
                self.conn.close()
                self.conn = None

    def api(self, method, params=None, token=TOKEN, fmt="json", headers=None, conn=None):
        headers = dict(headers or {})
        params = dict(params or {})
        if fmt == "json":
            body = json.dumps(params).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
            if token:
                headers["Authorization"] = f"Bearer {token}"
        else:
            if token:
                params["token"] = token
            body = urllib.parse.urlencode({k: json.dumps(v) if isinstance(v, (list, dict)) else v
                                           for k, v in params.items()}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self.http("POST", f"/api/{method}", body, headers, conn)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _swallow(call):
    """Run a call whose failure is the expected outcome (checked elsewhere)."""
    try:
        call()
    except (OSError, http.client.HTTPException):
        pass


def post_ok(resp):
    return resp.status == 200 and resp.json is not None and resp.json.get("ok") is True


def error_of(resp):
    return resp.json.get("error") if resp.json else f"HTTP {resp.status} {resp.text[:80]}"


def no_rate_limit(mock):
    mock.post("/_mock/seed", {"rate_limit": {"enabled": False}})


def section(text):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text="View", **extra):
    return dict({"type": "button", "text": {"type": "plain_text", "text": text}}, **extra)


# ============================================================================ groups


def test_startup(t, m):
    t.ok(m.ready_line.startswith("READY api="), "prints READY with both ports")
    health = m.get("/_mock/health")
    t.ok(health["ok"] and health["api_listening"] and health["api_port"] == m.api_port, "health reports the ports")
    t.ok(os.path.exists(m.pidfile) and open(m.pidfile).read().strip() == str(m.proc.pid), "pidfile holds the pid")
    config = m.get("/_mock/config")["config"]
    t.eq(config["app"]["client_id"], CLIENT_ID, "default app client_id")
    teams = {team["id"]: team for team in config["teams"]}
    t.ok(teams["T0MOCK01"]["name"] == "Mock Agency" and teams["T0MOCK02"]["name"] == "Second Agency",
         "default teams seeded")
    channels = {c["id"]: c for c in m.get("/_mock/channels", team="T0MOCK01")["channels"]}
    t.ok(all(cid in channels for cid in ("C0PAYMENTS", "C0QUOTES", "C0CONTACTS", "C0BOOKING", "C0ALERTS",
                                         "C0DAILY", "C0GENERAL", "C0ARCHIVED", "G0PRIVATE")),
         "default named channels seeded")
    t.ok(channels["C0ARCHIVED"]["is_archived"] and channels["G0PRIVATE"]["is_private"]
         and not channels["G0PRIVATE"]["is_member"], "archived and private channel flags")
    t.eq(sum(1 for c in channels.values() if c["name"].startswith("c-filler-")), 240, "240 filler channels")


def test_auth(t, m):
    resp = m.api("auth.test")
    body = resp.json
    t.ok(post_ok(resp) and body["team_id"] == "T0MOCK01" and body["user_id"] == "U0MOCKBOT"
         and body["bot_id"] == "B0MOCKBOT" and body["url"] == "https://mock-agency.slack.com/"
         and body["team"] == "Mock Agency", "auth.test identifies the seeded token", resp)
    t.eq(error_of(m.api("auth.test", token=None)), "not_authed", "no token: not_authed")
    t.eq(error_of(m.api("auth.test", token="xoxb-nope")), "invalid_auth", "unknown token: invalid_auth")
    t.ok(post_ok(m.api("auth.test", fmt="form")), "token accepted as a form field")
    resp = m.http("POST", "/api/auth.test", json.dumps({"token": TOKEN}).encode(),
                  {"Content-Type": "application/json; charset=utf-8"})
    t.eq(error_of(resp), "not_authed", "token inside a JSON body is ignored, like Slack")
    resp = m.api("no.such", {})
    t.ok(resp.status == 404 and error_of(resp) == "unknown_method", "unknown method: 404 unknown_method", resp)
    resp = m.http("POST", "/api/auth.test", b"{not json", {"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {TOKEN}"})
    t.eq(error_of(resp), "invalid_json", "malformed JSON body: invalid_json")
    t.ok("x-slack-req-id" in m.api("auth.test").headers, "responses carry X-Slack-Req-Id")


def test_conversations_list(t, m):
    ids, cursor, pages = [], None, 0
    while True:
        params = {"limit": 100, "token": TOKEN}
        if cursor:
            params["cursor"] = cursor
        resp = m.http("GET", "/api/conversations.list?" + urllib.parse.urlencode(params))
        pages += 1
        if not post_ok(resp) or pages > 10:
            break
        ids += [c["id"] for c in resp.json["channels"]]
        cursor = resp.json["response_metadata"]["next_cursor"]
        if not cursor:
            break
    t.ok(pages == 3 and len(ids) == 248 and len(set(ids)) == 248, "GET pagination: 3 pages of public channels",
         (pages, len(ids)))
    t.eq(cursor, "", "last page has an empty next_cursor")
    t.ok("G0PRIVATE" not in ids and "C2GENERAL" not in ids, "no private or other-team channels by default")
    resp = m.api("conversations.list", {"limit": 1000, "exclude_archived": True}, fmt="form")
    chans = resp.json["channels"] if post_ok(resp) else []
    t.ok(len(chans) == 247 and "C0ARCHIVED" not in [c["id"] for c in chans], "exclude_archived (POST form)")
    first = chans[0] if chans else {}
    t.ok(all(k in first for k in ("id", "name", "is_channel", "is_private", "is_archived", "is_member",
                                  "num_members")), "channel objects carry Slack's fields", first)
    resp = m.api("conversations.list", {"limit": 5000})
    t.ok(post_ok(resp) and len(resp.json["channels"]) == 248, "limit above 1000 is clamped")
    t.eq(error_of(m.api("conversations.list", {"cursor": "bm9wZQ=="})), "invalid_cursor", "bad cursor")
    t.eq(error_of(m.api("conversations.list", {"types": "private_channel"})), "missing_scope",
         "private_channel without groups:read: missing_scope")
    created = m.post("/_mock/token", {"action": "create", "team": "T0MOCK01",
                                      "scopes": "chat:write,channels:read,groups:read"})
    resp = m.api("conversations.list", {"types": "private_channel"}, token=created["token"])
    t.ok(post_ok(resp) and [c["id"] for c in resp.json["channels"]] == ["G0TEAMPRIV"],
         "private listing shows only channels the bot is in", resp)
    resp = m.api("conversations.list", {"limit": 10}, token=TOKEN2)
    t.ok(post_ok(resp) and {c["id"] for c in resp.json["channels"]} == {"C2GENERAL", "C2PAYMENTS", "C2ALERTS"},
         "second team sees its own channels")


def test_post_message(t, m):
    no_rate_limit(m)
    resp = m.api("chat.postMessage", {"channel": "C0PAYMENTS", "text": "💰 Invoice paid"})
    body = resp.json
    t.ok(post_ok(resp) and body["channel"] == "C0PAYMENTS" and re.fullmatch(r"\d{10}\.\d{6}", body["ts"])
         and body["message"]["text"] == "💰 Invoice paid" and body["message"]["bot_id"] == "B0MOCKBOT"
         and body["message"]["type"] == "message" and body["message"]["ts"] == body["ts"],
         "postMessage success shape", resp)
    ts2 = m.api("chat.postMessage", {"channel": "C0PAYMENTS", "text": "again"}).json["ts"]
    t.ok(float(ts2) > float(body["ts"]), "timestamps are unique and increasing")
    msgs = m.get("/_mock/messages", channel="C0PAYMENTS")["messages"]
    t.ok(len(msgs) == 2 and msgs[0]["text"] == "💰 Invoice paid", "messages stored per channel")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0NOPE", "text": "x"})), "channel_not_found",
         "unknown channel")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C2GENERAL", "text": "x"})), "channel_not_found",
         "another team's channel is not found")
    t.eq(error_of(m.api("chat.postMessage", {"text": "x"})), "channel_not_found", "missing channel")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0ARCHIVED", "text": "x"})), "is_archived",
         "archived channel")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "G0PRIVATE", "text": "x"})), "not_in_channel",
         "private channel without membership")
    t.ok(post_ok(m.api("chat.postMessage", {"channel": "G0TEAMPRIV", "text": "x"})),
         "private channel with membership")
    narrow = m.post("/_mock/token", {"action": "create", "scopes": "chat:write"})["token"]
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0QUOTES", "text": "x"}, token=narrow)),
         "not_in_channel", "public non-member channel without chat:write.public")
    m.post("/_mock/channel", {"id": "C0QUOTES", "is_member": True})
    t.ok(post_ok(m.api("chat.postMessage", {"channel": "C0QUOTES", "text": "x"}, token=narrow)),
         "... allowed once the bot is a member (control channel flags)")
    reader = m.post("/_mock/token", {"action": "create", "scopes": "channels:read"})["token"]
    resp = m.api("chat.postMessage", {"channel": "C0QUOTES", "text": "x"}, token=reader)
    t.ok(error_of(resp) == "missing_scope" and resp.json.get("needed") == "chat:write",
         "missing chat:write: missing_scope with needed", resp)
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0ALERTS"})), "no_text", "no text, no blocks: no_text")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0ALERTS", "text": ""})), "no_text", "empty text")
    resp = m.api("chat.postMessage", {"channel": "C0ALERTS", "blocks": [section("hello")]})
    t.ok(post_ok(resp) and resp.json.get("warning") == "missing_text_in_blocks"
         and resp.json["response_metadata"]["warnings"] == ["missing_text_in_blocks"],
         "blocks without text: ok with warning", resp)
    t.ok(post_ok(m.api("chat.postMessage", {"channel": "C0ALERTS", "attachments": [{"text": "a"}]})),
         "attachments alone satisfy the text rule")
    t.ok(post_ok(m.api("chat.postMessage", {"channel": "C0ALERTS", "text": "é" * 40000})),
         "40000 code points (80000 bytes) is not too long")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0ALERTS", "text": "x" * 40001})), "msg_too_long",
         "40001 characters: msg_too_long")
    resp = m.api("chat.postMessage", {"channel": "C0ALERTS", "text": "t",
                                      "blocks": [section("form"), {"type": "divider"}]}, fmt="form")
    t.ok(post_ok(resp) and resp.json["message"]["blocks"][1] == {"type": "divider"},
         "form-encoded post with blocks as a JSON string", resp)
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0ALERTS", "text": "t", "blocks": "[oops"},
                        fmt="form")), "invalid_blocks_format", "unparsable blocks: invalid_blocks_format")
    resp = m.api("chat.postMessage", {"channel": "C0ALERTS", "text": "t"},
                 headers={"Content-Type": "application/json"})
    t.ok(post_ok(resp) and "missing_charset" in resp.json.get("warning", ""), "JSON without charset: warning")
    resp = m.api("chat.postMessage", {"channel": "#alerts", "text": "by name"})
    t.ok(post_ok(resp) and resp.json["channel"] == "C0ALERTS", "a channel name resolves to its ID, like Slack")


BLOCK_CASES = [
    ("51 blocks", [{"type": "divider"}] * 51, "no more than 50 items"),
    ("unknown block type", [{"type": "table"}], "unsupported type"),
    ("header over 150", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "151"),
    ("header in mrkdwn", [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "plain_text"),
    ("section text over 3000", [section("s" * 3001)], "3001"),
    ("section without text or fields", [{"type": "section"}], "either text or fields"),
    ("11 section fields", [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "10 items"),
    ("section field over 2000", [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "2001"),
    ("11 context elements", [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
     "10 items"),
    ("26 actions elements", [{"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}],
     "25 items"),
    ("button text over 75", [{"type": "actions", "elements": [button("b" * 76)]}], "76"),
    ("button text in mrkdwn", [{"type": "actions", "elements": [
        {"type": "button", "text": {"type": "mrkdwn", "text": "b"}}]}], "plain_text"),
    ("button url over 3000", [{"type": "actions", "elements": [button(url="https://x/" + "u" * 2991)]}], "3001"),
    ("button value over 2000", [{"type": "actions", "elements": [button(value="v" * 2001)]}], "2001"),
    ("action_id over 255", [{"type": "actions", "elements": [button(action_id="a" * 256)]}], "256"),
    ("duplicate action_id", [{"type": "actions", "elements": [button(action_id="x"), button(action_id="x")]}],
     "duplicate action_id"),
    ("duplicate block_id", [dict(section("a"), block_id="b"), dict(section("b"), block_id="b")],
     "duplicate block_id"),
    ("block_id over 255", [dict(section("a"), block_id="b" * 256)], "256"),
    ("bad button style", [{"type": "actions", "elements": [button(style="green")]}], "primary, danger"),
    ("empty text object", [section("")], "more than 0"),
    ("bad text object type", [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
     "plain_text, mrkdwn"),
    ("unknown property", [dict(section("a"), url="https://x")], "additional property"),
    ("image without alt_text", [{"type": "image", "image_url": "https://x/i.png"}], "alt_text"),
]


def test_blocks(t, m):
    no_rate_limit(m)
    for desc, blocks, expect in BLOCK_CASES:
        resp = m.api("chat.postMessage", {"channel": "C0BOOKING", "text": "t", "blocks": blocks})
        errors = (resp.json or {}).get("errors") or []
        t.ok(error_of(resp) == "invalid_blocks" and any(expect in e for e in errors)
             and all("[json-pointer:/blocks" in e for e in errors)
             and resp.json["response_metadata"]["messages"][0].startswith("[ERROR] "),
             f"invalid_blocks: {desc}", resp)
    good = [{"type": "header", "text": {"type": "plain_text", "text": "💰 Invoice INV-2026-042 paid", "emoji": True}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "<!date^1700000000^{date}|x> · *Acme*"},
                                             {"type": "image", "image_url": "https://x/i.png", "alt_text": "i"}]},
            {"type": "section", "text": {"type": "mrkdwn", "text": "h" * 3000},
             "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10},
            {"type": "actions", "block_id": "b" * 255, "elements": [
                button("b" * 75, url="https://app.nexte.io/" + "u" * 2979, action_id="view", value="v" * 2000),
                button("Mark as handled", action_id="a" * 255, style="primary")]},
            {"type": "divider"},
            {"type": "rich_text", "elements": [{"type": "rich_text_section",
                                                "elements": [{"type": "text", "text": "r"}]}]},
            {"type": "header", "text": {"type": "plain_text", "text": "😀" * 150}}]
    resp = m.api("chat.postMessage", {"channel": "C0BOOKING", "text": "t", "blocks": good})
    t.ok(post_ok(resp), "a message at every limit (code points) is valid", resp)
    resp = m.api("chat.postMessage", {"channel": "C0BOOKING", "text": "t", "attachments": [
        {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]}]})
    t.ok(error_of(resp) == "invalid_blocks" and "/attachments/0/blocks/0" in resp.json["errors"][0],
         "blocks inside attachments are validated too", resp)


def test_update(t, m):
    no_rate_limit(m)
    ts = m.api("chat.postMessage", {"channel": "C0CONTACTS", "text": "lead",
                                    "blocks": [section("lead"), {"type": "actions",
                                                                 "elements": [button(action_id="h")]}]}).json["ts"]
    resp = m.api("chat.update", {"channel": "C0CONTACTS", "ts": ts, "text": "handled",
                                 "blocks": [section("✅ Handled by <@U1>")]})
    t.ok(post_ok(resp) and resp.json["ts"] == ts and resp.json["channel"] == "C0CONTACTS"
         and resp.json["text"] == "handled" and resp.json["message"]["blocks"][0]["text"]["text"].startswith("✅"),
         "chat.update success shape", resp)
    stored = [x for x in m.get("/_mock/messages", channel="C0CONTACTS")["messages"] if x["ts"] == ts][0]
    t.ok(stored["text"] == "handled" and len(stored["blocks"]) == 1 and len(stored["history"]) == 1
         and stored["updated_ms"], "update replaces the stored message and keeps history")
    t.eq(error_of(m.api("chat.update", {"channel": "C0CONTACTS", "ts": "1.000001", "text": "x"})),
         "message_not_found", "unknown ts: message_not_found")
    human = m.post("/_mock/messages", {"channel": "C0CONTACTS", "text": "from a human"})["message"]
    t.eq(error_of(m.api("chat.update", {"channel": "C0CONTACTS", "ts": human["ts"], "text": "x"})),
         "cant_update_message", "someone else's message: cant_update_message")
    t.eq(error_of(m.api("chat.update", {"channel": "C0CONTACTS", "ts": ts,
                                        "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]})),
         "invalid_blocks", "update runs the Block Kit checks")
    t.eq(error_of(m.api("chat.update", {"channel": "C0CONTACTS", "ts": ts})), "no_text", "update with nothing")
    t.eq(error_of(m.api("chat.update", {"channel": "C0CONTACTS", "ts": ts, "text": "x"}, token=TOKEN2)),
         "channel_not_found", "another team's token cannot see the channel")
    t.eq(m.stats()["messages"]["updated"], 1, "stats count updates")


def oauth_authorize(m, state="st4te", **extra):
    query = dict({"client_id": CLIENT_ID, "scope": "chat:write,chat:write.public,channels:read",
                  "redirect_uri": REDIRECT, "state": state}, **extra)
    conn = m.connect()
    resp = m.http("GET", "/oauth/v2/authorize?" + urllib.parse.urlencode(query), conn=conn)
    conn.close()
    location = resp.headers.get("location", "")
    return resp, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query)), location


def oauth_access(m, params, basic=True):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    params = dict(params)
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    else:
        params.update(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    return m.http("POST", "/api/oauth.v2.access", urllib.parse.urlencode(params).encode(), headers)


def test_oauth(t, m):
    resp, query, location = oauth_authorize(m)
    t.ok(resp.status == 302 and location.startswith(REDIRECT + "?") and query.get("state") == "st4te"
         and query.get("code"), "authorize: 302 to redirect_uri with code and state", resp.headers)
    code = query.get("code")
    resp = oauth_access(m, {"code": code, "redirect_uri": REDIRECT})
    body = resp.json or {}
    t.ok(post_ok(resp) and body["access_token"].startswith("xoxb-") and body["token_type"] == "bot"
         and body["scope"] == "chat:write,chat:write.public,channels:read" and body["bot_user_id"] == "U0MOCKBOT"
         and body["app_id"] == "A0MOCKAPP" and body["team"] == {"id": "T0MOCK01", "name": "Mock Agency"}
         and body["enterprise"] is None and body["is_enterprise_install"] is False
         and body["authed_user"]["id"] and "refresh_token" not in body, "code grant (Basic auth) success shape",
         resp)
    first = body.get("access_token")
    t.ok(post_ok(m.api("auth.test", token=first)), "the issued token works")
    t.eq(error_of(oauth_access(m, {"code": code, "redirect_uri": REDIRECT})), "invalid_code", "reused code")
    t.eq(error_of(oauth_access(m, {"code": "123.456.abc", "redirect_uri": REDIRECT})), "invalid_code",
         "unknown code")
    _, query, _ = oauth_authorize(m)
    t.eq(error_of(oauth_access(m, {"code": query["code"], "redirect_uri": REDIRECT + "x"})), "bad_redirect_uri",
         "redirect_uri must match the authorize call")
    resp = oauth_access(m, {"code": query["code"], "redirect_uri": REDIRECT}, basic=False)
    t.ok(post_ok(resp) and resp.json["access_token"] != first, "form client auth; a reinstall issues a new token")
    t.ok(post_ok(m.api("auth.test", token=first)), "... and the older token stays valid")
    bad = {"Content-Type": "application/x-www-form-urlencoded",
           "Authorization": "Basic " + base64.b64encode(f"{CLIENT_ID}:wrong".encode()).decode()}
    t.eq(error_of(m.http("POST", "/api/oauth.v2.access", b"code=x", bad)), "bad_client_secret", "bad secret")
    t.eq(error_of(m.http("POST", "/api/oauth.v2.access", b"client_id=9.9&client_secret=x&code=x",
                         {"Content-Type": "application/x-www-form-urlencoded"})), "invalid_client_id",
         "unknown client_id")
    t.eq(error_of(oauth_access(m, {"grant_type": "password"})), "invalid_grant_type", "unknown grant_type")
    resp, _, _ = oauth_authorize(m, client_id="0000.0000")
    t.ok(resp.status == 400 and "client_id" in resp.text, "authorize with a bad client_id: 400 page")
    resp, _, _ = oauth_authorize(m, redirect_uri="")
    t.eq(resp.status, 400, "authorize without redirect_uri: 400 page")

    m.post("/_mock/decision", {"decision": "deny"})
    resp, query, _ = oauth_authorize(m, state="s2")
    t.ok(resp.status == 302 and query == {"error": "access_denied", "state": "s2"}, "deny: error=access_denied",
         query)
    resp, query, _ = oauth_authorize(m)
    t.ok("code" in query, "a decision applies to one authorize only")
    m.post("/_mock/decision", {"next_install_team": "T0MOCK02", "scopes": "chat:write"})
    _, query, _ = oauth_authorize(m)
    resp = oauth_access(m, {"code": query["code"], "redirect_uri": REDIRECT})
    t.ok(post_ok(resp) and resp.json["team"]["id"] == "T0MOCK02" and resp.json["scope"] == "chat:write"
         and resp.json["bot_user_id"] == "U0MOCKBOT2", "next_install_team and granted scopes", resp)
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C2GENERAL", "text": "x"}, token=resp.json["access_token"])),
         "not_in_channel", "granted scopes are enforced (no chat:write.public)")

    m.post("/_mock/seed", {"token_rotation": {"enabled": True, "expires_in": 1}})
    _, query, _ = oauth_authorize(m)
    resp = oauth_access(m, {"code": query["code"], "redirect_uri": REDIRECT})
    body = resp.json or {}
    t.ok(post_ok(resp) and body["refresh_token"].startswith("xoxe-1-") and body["expires_in"] == 1
         and body["access_token"].startswith("xoxe.xoxb-"), "rotation: refresh_token and expires_in", resp)
    rotating, refresh = body.get("access_token"), body.get("refresh_token")
    t.ok(post_ok(m.api("auth.test", token=rotating)), "rotating token works before expiry")
    resp = oauth_access(m, {"grant_type": "refresh_token", "refresh_token": refresh}, basic=False)
    t.ok(post_ok(resp) and resp.json["refresh_token"] != refresh and resp.json["access_token"] != rotating
         and resp.json["expires_in"] == 1, "refresh grant: new access and refresh tokens", resp)
    newer = (resp.json or {}).get("access_token")
    t.eq(error_of(oauth_access(m, {"grant_type": "refresh_token", "refresh_token": refresh})),
         "invalid_refresh_token", "the old refresh token is spent")
    time.sleep(1.05)
    t.eq(error_of(m.api("auth.test", token=newer)), "token_expired", "rotating token past expires_in")
    m.post("/_mock/seed", {"token_rotation": {"enabled": False}})

    m.post("/_mock/token", {"action": "expire", "token": first})
    t.eq(error_of(m.api("auth.test", token=first)), "token_expired", "control: expire a token")
    m.post("/_mock/token", {"action": "revoke", "token": TOKEN2})
    t.eq(error_of(m.api("auth.test", token=TOKEN2)), "token_revoked", "control: revoke a token")
    m.post("/_mock/token", {"action": "inactive", "team": "T0MOCK01"})
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0ALERTS", "text": "x"})), "account_inactive",
         "control: inactive team")
    m.post("/_mock/token", {"action": "active", "team": "T0MOCK01"})
    resp = m.api("auth.revoke", {"test": True})
    t.ok(post_ok(resp) and resp.json["revoked"] is False and post_ok(m.api("auth.test")),
         "auth.revoke test=true keeps the token")
    spare = m.post("/_mock/token", {"action": "create"})["token"]
    resp = m.api("auth.revoke", token=spare)
    t.ok(post_ok(resp) and resp.json["revoked"] is True, "auth.revoke revokes")
    t.eq(error_of(m.api("auth.test", token=spare)), "token_revoked", "... and the token is revoked after")
    stats = m.stats()
    t.ok(stats["oauth"]["codes_exchanged"] == 4 and stats["oauth"]["denied"] == 1
         and stats["tokens"]["refreshed"] == 1, "oauth statistics", stats["oauth"])


def test_response_url(t, m):
    no_rate_limit(m)
    ts = m.api("chat.postMessage", {"channel": "C0PAYMENTS", "text": "paid"}).json["ts"]
    created = m.post("/_mock/response_url", {"channel": "C0PAYMENTS", "ts": ts, "max_uses": 2})
    path = urllib.parse.urlsplit(created["url"]).path
    t.ok(created["url"].startswith(f"http://127.0.0.1:{m.api_port}/response/"), "control creates response_urls")
    payload = {"replace_original": True, "text": "✅ Handled", "blocks": [section("✅ Handled by <@U1>")]}
    resp = m.http("POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    t.ok(resp.status == 200 and resp.text == "ok", "response_url answers 200 ok (text)", resp)
    stored = [x for x in m.get("/_mock/messages", channel="C0PAYMENTS")["messages"] if x["ts"] == ts][0]
    t.ok(stored["text"] == "✅ Handled" and stored.get("updated_via") == "response_url",
         "replace_original replaces the bound message")
    call = m.calls(method="response_url")[-1]
    t.ok(call["body"] == payload and call["channel"] == "C0PAYMENTS" and call["status"] == 200,
         "response_url posts are recorded", call)
    resp = m.http("POST", path, b"{bad", {"Content-Type": "application/json"})
    t.ok(resp.status == 400 and resp.text == "invalid_payload", "invalid JSON: 400 invalid_payload")
    m.http("POST", path, json.dumps({"text": "ephemeral"}).encode(), {"Content-Type": "application/json"})
    resp = m.http("POST", path, json.dumps({"text": "third"}).encode(), {"Content-Type": "application/json"})
    t.ok(resp.status == 404 and resp.text == "used_url", "uses are limited", resp)
    resp = m.http("POST", "/response/nope", json.dumps(payload).encode(), {"Content-Type": "application/json"})
    t.eq(resp.status, 404, "unknown response_url: 404")


def test_rate_limit(t, m):
    m.post("/_mock/seed", {"rate_limit": {"enabled": True, "rate": 1, "burst": 3}})
    statuses = [m.api("chat.postMessage", {"channel": "C0DAILY", "text": f"m{i}"}) for i in range(4)]
    t.ok([r.status for r in statuses] == [200, 200, 200, 429], "burst of 3, then 429",
         [r.status for r in statuses])
    last = statuses[-1]
    t.ok(error_of(last) == "ratelimited" and last.headers.get("retry-after") == "1",
         "429 carries Retry-After and ratelimited", last.headers)
    t.ok(post_ok(m.api("chat.postMessage", {"channel": "C0GENERAL", "text": "x"})),
         "the bucket is per channel")
    m.api("chat.postMessage", {"channel": "C0DAILY", "text": "again"})
    stats = m.stats()
    t.ok(stats["rate_violations"]["total"] == 2 and stats["rate_violations"]["by_channel"] == {"C0DAILY": 2}
         and stats["http_429"]["violations"] == 2, "violations counted per channel", stats["rate_violations"])
    time.sleep(1.05)
    t.ok(post_ok(m.api("chat.postMessage", {"channel": "C0DAILY", "text": "later"})), "the bucket refills at 1/s")
    m.post("/_mock/seed", {"rate_limit": {"rate": 4, "burst": 1}})
    first = m.api("chat.postMessage", {"channel": "C0DAILY", "text": "a"})
    second = m.api("chat.postMessage", {"channel": "C0DAILY", "text": "b"})
    time.sleep(0.3)
    third = m.api("chat.postMessage", {"channel": "C0DAILY", "text": "c"})
    t.ok([first.status, second.status, third.status] == [200, 429, 200], "rate and burst are configurable",
         [first.status, second.status, third.status])


def test_modes(t, m):
    no_rate_limit(m)
    m.mode(mode="unavailable")
    resp = m.api("auth.test")
    t.ok(resp.status == 503 and "text/html" in resp.headers.get("content-type", ""), "unavailable: 503 HTML")
    m.mode(mode="error5xx")
    t.eq([m.api("auth.test").status for _ in range(3)], [500, 502, 500], "error5xx: 500 and 502 alternately")
    m.mode(mode="ratelimit", retry_after=7)
    resp = m.api("chat.postMessage", {"channel": "C0ALERTS", "text": "x"})
    t.ok(resp.status == 429 and resp.headers.get("retry-after") == "7" and error_of(resp) == "ratelimited",
         "ratelimit mode: 429 with the given Retry-After")
    stats = m.stats()
    t.ok(stats["http_429"]["forced"] == 1 and stats["rate_violations"]["total"] == 0,
         "forced 429s are counted apart from violations", stats["http_429"])
    m.mode(mode="normal")
    t.ok(post_ok(m.api("auth.test")), "normal clears every rule")
    m.mode(mode="slow", delay_ms=300)
    start = time.monotonic()
    resp = m.api("auth.test")
    t.ok(post_ok(resp) and time.monotonic() - start >= 0.3, "slow: answers after delay_ms")
    m.mode(mode="normal")
    m.mode(mode="slack_error", error="channel_not_found", channel="C0ALERTS", count=2)
    results = [error_of(m.api("chat.postMessage", {"channel": "C0ALERTS", "text": "x"})) for _ in range(3)]
    t.eq(results, ["channel_not_found", "channel_not_found", None], "slack_error scoped to a channel, count 2")
    m.mode(mode="slack_error", error="internal_error", method="chat.postMessage")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0BOOKING", "text": "x"})), "internal_error",
         "slack_error scoped to a method")
    t.ok(post_ok(m.api("auth.test")), "... other methods unaffected")
    m.mode(mode="slack_error", error="fatal_error", method="chat.postMessage", channel="C0BOOKING")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0BOOKING", "text": "x"})), "fatal_error",
         "method+channel rule beats the method rule")
    m.mode(mode="normal", method="chat.postMessage", channel="C0BOOKING")
    t.eq(error_of(m.api("chat.postMessage", {"channel": "C0BOOKING", "text": "x"})), "internal_error",
         "normal with a scope removes only that rule")
    m.mode(mode="normal")
    before = len(m.get("/_mock/messages", channel="C0BOOKING")["messages"])
    m.mode(mode="slack_error", error="internal_error", apply=True, count=1)
    resp = m.api("chat.postMessage", {"channel": "C0BOOKING", "text": "maybe posted"})
    after = len(m.get("/_mock/messages", channel="C0BOOKING")["messages"])
    t.ok(error_of(resp) == "internal_error" and after == before + 1, "apply: posted anyway, error returned")
    resp = m.control("POST", "/_mock/mode", {"mode": "outage", "method": "auth.test"})
    t.eq(resp.status, 400, "a scoped outage is refused")
    t.eq(m.control("POST", "/_mock/mode", {"mode": "bogus"}).status, 400, "unknown mode is refused")

    m.mode(mode="disconnect", method="auth.test", count=1)
    try:
        conn = m.connect()
        m.api("auth.test", conn=conn)
        dropped = False
    except (http.client.RemoteDisconnected, ConnectionResetError):
        dropped = True
    t.ok(dropped, "disconnect: connection closed without an answer")
    t.eq(m.calls(method="auth.test")[-1]["state"], "disconnected", "... recorded as disconnected")

    m.mode(mode="hang", method="auth.test")
    conn = m.connect(timeout=0.4)
    try:
        m.api("auth.test", conn=conn)
        timed_out = False
    except (socket.timeout, TimeoutError):
        timed_out = True
    conn.close()
    t.ok(timed_out, "hang: no answer before the client gives up")
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and m.calls(method="auth.test")[-1]["state"] == "pending":
        time.sleep(0.05)
    t.eq(m.calls(method="auth.test")[-1]["state"], "client_gone", "... recorded as client_gone")
    results = {}

    def hung_call():
        try:
            results["resp"] = m.api("auth.test", conn=m.connect(timeout=5))
        except Exception as err:  # reported through results
            results["error"] = err

    worker = threading.Thread(target=hung_call)
    worker.start()
    time.sleep(0.3)
    waiting = "resp" not in results
    m.mode(mode="normal")
    worker.join(5)
    t.ok(waiting and post_ok(results.get("resp")), "a hung call is answered once the mode changes", results)


def test_outage(t, m):
    keep = m.connect()
    t.ok(post_ok(m.api("auth.test", conn=keep)), "keep-alive connection before the outage")
    m.mode(mode="outage")
    t.eq(m.get("/_mock/health")["api_listening"], False, "outage: health shows the listener closed")
    try:
        socket.create_connection(("127.0.0.1", m.api_port), timeout=2).close()
        refused = False
    except ConnectionRefusedError:
        refused = True
    t.ok(refused, "outage: connection refused")
    try:
        m.api("auth.test", conn=keep)
        cut = False
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.BadStatusLine):
        cut = True
    t.ok(cut, "outage: established keep-alive connections are cut")
    t.ok(m.get("/_mock/health")["ok"], "the control port keeps working during an outage")
    m.mode(mode="normal")
    t.ok(post_ok(m.api("auth.test", conn=m.connect())), "leaving the outage reopens the same port")
    m.mode(mode="outage", duration_ms=800)
    try:
        socket.create_connection(("127.0.0.1", m.api_port), timeout=2).close()
        refused = False
    except ConnectionRefusedError:
        refused = True
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not m.get("/_mock/health")["api_listening"]:
        time.sleep(0.05)
    t.ok(refused and post_ok(m.api("auth.test", conn=m.connect())), "an outage with duration_ms ends by itself")
    m.mode(mode="hang", method="chat.postMessage")
    worker = threading.Thread(target=lambda: _swallow(lambda: m.api(
        "chat.postMessage", {"channel": "C0ALERTS", "text": "parked"}, conn=m.connect(timeout=3))))
    worker.start()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not m.calls(method="chat.postMessage"):
        time.sleep(0.02)
    m.mode(mode="outage")
    worker.join(5)
    time.sleep(0.1)
    states = [c["state"] for c in m.calls(method="chat.postMessage")]
    t.ok(states == ["cut_by_outage"] and not m.get("/_mock/messages", channel="C0ALERTS")["messages"],
         "a request parked by hang is dropped, not applied, when an outage starts", states)
    m.mode(mode="unavailable")
    resp = m.api("auth.test", conn=m.connect())
    t.eq(resp.status, 503, "switching from outage to another mode reopens the listener")
    m.mode(mode="normal")


def test_recording(t, m):
    m.post("/_mock/reset")
    conn = m.connect()
    for i in range(3):
        m.api("chat.postMessage", {"channel": "C0PAYMENTS", "text": f"r{i}"}, conn=conn)
    m.api("auth.test", conn=conn)
    calls = m.calls(method="chat.postMessage")
    t.eq([c["seq"] for c in calls], [1, 2, 3], "calls have sequence numbers from 1 after reset")
    first = calls[0] if calls else {}
    t.ok(isinstance(first.get("time_ms"), float) and first["token"] == TOKEN and first["body"]["text"] == "r0"
         and first["status"] == 200 and first["response"]["ok"] is True and first["channel"] == "C0PAYMENTS"
         and first["path"] == "/api/chat.postMessage" and first["state"] == "answered",
         "a call records time, token, parsed body, status, response and channel", first)
    t.ok(len({c["conn_id"] for c in m.calls()}) == 1 and [c["conn_request"] for c in m.calls()] == [1, 2, 3, 4],
         "keep-alive reuse is visible (conn_id, conn_request)")
    t.eq([c["seq"] for c in m.calls(since=2)], [3, 4], "since=SEQ lists later calls")
    t.eq(len(m.calls(channel="C0PAYMENTS")), 3, "filter by channel")
    t.eq(m.stats()["calls"]["by_method"], {"chat.postMessage": 3, "auth.test": 1}, "stats count calls per method")


def test_concurrency(t, m):
    no_rate_limit(m)
    failures = []

    def client(n):
        conn = m.connect()
        for i in range(15):
            try:
                resp = m.api("chat.postMessage", {"channel": "C0GENERAL", "text": f"{n}-{i}"}, conn=conn)
                if not post_ok(resp):
                    failures.append(resp)
            except Exception as err:
                failures.append(err)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    t.ok(not failures, "16 concurrent keep-alive clients, 240 posts", failures[:3])
    msgs = m.get("/_mock/messages", channel="C0GENERAL")["messages"]
    t.ok(len({x["ts"] for x in msgs}) == len(msgs) >= 240, "every concurrent post got a unique ts")


def raw_exchange(port, data, timeout=2):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(data)
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"Connection: close" not in b"".join(chunks):
                break
    except socket.timeout:
        pass
    sock.close()
    return b"".join(chunks)


def test_robustness(t, m):
    reply = raw_exchange(m.api_port, b"GARBAGE\r\n\r\n")
    t.ok(reply.startswith(b"HTTP/1.") and b" 400 " in reply.split(b"\r\n")[0], "malformed request line: 400")
    reply = raw_exchange(m.api_port, b"POST /api/auth.test HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
    t.ok(b" 413 " in reply.split(b"\r\n")[0], "oversized Content-Length: 413")
    reply = raw_exchange(m.api_port, b"POST /api/auth.test HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    t.ok(b" 400 " in reply.split(b"\r\n")[0], "bad Content-Length: 400")
    body = urllib.parse.urlencode({"token": TOKEN}).encode()
    chunked = (b"POST /api/auth.test HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n"
               + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    reply = raw_exchange(m.api_port, chunked)
    t.ok(b'"ok":true' in reply, "chunked request bodies are read", reply[:200])
    sock = socket.create_connection(("127.0.0.1", m.api_port), timeout=2)
    sock.sendall(b"POST /api/auth.test HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nshort")
    sock.close()
    resp = m.control("POST", "/_mock/seed", None)
    t.eq(resp.status, 200, "an empty control body counts as {}")
    resp = m.http("POST", "/_mock/mode", b"{", {"Content-Type": "application/json"}, conn=http.client.HTTPConnection(
        "127.0.0.1", m.control_port, timeout=5))
    t.eq(resp.status, 400, "invalid control JSON: 400")
    t.eq(m.control("GET", "/_mock/nothing").status, 404, "unknown control route: 404")
    t.eq(m.control("GET", "/_mock/calls", query={"since": "x"}).status, 400, "bad control query: 400")
    t.ok(post_ok(m.api("auth.test", conn=m.connect())), "the server survives all of the above")


def test_reset_and_seed(t, m):
    token = m.post("/_mock/token", {"action": "create"})["token"]
    m.mode(mode="unavailable", method="auth.test")
    m.post("/_mock/reset")
    t.eq(error_of(m.api("auth.test", token=token)), "invalid_auth", "reset forgets issued tokens and modes")
    t.ok(m.calls()[-1]["seq"] == 1 and not m.get("/_mock/messages")["messages"], "reset clears calls and messages")
    m.post("/_mock/seed", {"teams": [{"id": "T0MOCK03", "name": "Third", "tokens": ["xoxb-third"],
                                      "channels": [{"id": "C3ONE", "name": "one", "is_member": True}],
                                      "filler_channels": {"count": 5, "name_prefix": "f-", "id_prefix": "C3F"}}]})
    resp = m.api("conversations.list", {}, token="xoxb-third")
    t.ok(post_ok(resp) and len(resp.json["channels"]) == 6, "seed adds a team with channels and a token", resp)
    m.post("/_mock/seed", {"app": {"client_secret": "s2"}})
    t.eq(error_of(oauth_access(m, {"grant_type": "refresh_token", "refresh_token": "x"})), "bad_client_secret",
         "seed changes the app secret")
    m.post("/_mock/seed", {"replace": True})
    t.eq(m.get("/_mock/config")["config"]["app"]["client_secret"], CLIENT_SECRET, "replace restores defaults")


def test_callbacks(t, m):
    def sink(body, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", m.control_port, timeout=10)
        conn.request("POST", "/_mock/callbacks", body, headers or {})
        res = conn.getresponse()
        resp = Resp(res.status, res.getheaders(), res.read())
        conn.close()
        return resp

    t.eq(m.get("/_mock/callbacks")["callbacks"], [], "callback sink: empty after reset")
    raw = b'{"type":"slack.connection_broken","account_id":"acc_1", "team_id":"T0MOCK01"}'
    resp = sink(raw, {"Content-Type": "application/json", "X-Nexte-Timestamp": "1795853702",
                      "X-Nexte-Signature": "v1=abc"})
    t.ok(resp.status == 200 and resp.json == {"ok": True, "seq": 1}, "callback sink: a POST is answered 200", resp)
    sink(b"not json at all", {"Content-Type": "text/plain"})
    got = m.get("/_mock/callbacks")
    first = got["callbacks"][0] if got["callbacks"] else {}
    t.ok(got["count"] == 2 and got["last_seq"] == 2 and [c["seq"] for c in got["callbacks"]] == [1, 2],
         "callback sink: GET lists every POST, oldest first", got)
    t.ok(first.get("body") == raw.decode() and first.get("json", {}).get("account_id") == "acc_1"
         and first.get("headers", {}).get("X-Nexte-Signature") == "v1=abc"
         and first.get("headers", {}).get("X-Nexte-Timestamp") == "1795853702"
         and first.get("content_type") == "application/json" and isinstance(first.get("time_ms"), float),
         "callback sink: raw body (byte for byte), decoded JSON, headers and time are kept", first)
    t.ok(got["callbacks"][1]["json"] is None and got["callbacks"][1]["body"] == "not json at all",
         "callback sink: a body that is not JSON is kept as text")
    t.eq([c["seq"] for c in m.get("/_mock/callbacks", since=1)["callbacks"]], [2], "callback sink: since=SEQ")
    t.eq([c["seq"] for c in m.get("/_mock/callbacks", type="slack.connection_broken")["callbacks"]], [1],
         "callback sink: filter by the JSON body's type")
    m.post("/_mock/callbacks/status", {"status": 503})
    t.eq(sink(b"{}").status, 503, "callback sink: answers the status set through control")
    t.eq(m.control("POST", "/_mock/callbacks/status", {"status": 99}).status, 400,
         "callback sink: a bad status is refused")
    t.eq(m.stats()["callbacks"]["received"], 3, "stats count the callbacks received")
    m.post("/_mock/reset")
    t.ok(m.get("/_mock/callbacks")["callbacks"] == [] and sink(b"{}").status == 200,
         "callback sink: reset forgets callbacks and answers 200 again")


PERL_CHECKS = r"""
use strict; use warnings; use NxsMock;
my $m = NxsMock->new;
sub check { my ($ok, $desc) = @_; print(($ok ? "pass" : "fail"), " $desc\n") }
$m->reset;
check($m->api_base eq "http://127.0.0.1:$ENV{NXS_MOCK_API_PORT}/api", 'api_base from the environment');
check($m->config->{app}{client_id} eq '1111.2222', 'config');
$m->seed({rate_limit => {enabled => JSON::PP::false}});
$m->mode(mode => 'slack_error', error => 'internal_error', channel => 'C0ALERTS', count => 1);
check(scalar(@{ $m->modes }) == 1, 'mode and modes');
my $url = $m->response_url(channel => 'C0ALERTS');
check($url =~ m{/response/}, 'response_url');
my $tok = $m->token(action => 'create')->{token};
check($tok =~ /^xoxb-/, 'token create');
system('curl', '-s', '-o', '/dev/null', '-H', 'Authorization: Bearer xoxb-mock-T0MOCK01',
       '-d', 'channel=C0ALERTS&text=hi', $m->api_base . '/chat.postMessage') for 1 .. 2;
my $calls = $m->wait_for_calls(method => 'chat.postMessage', count => 2, timeout => 5);
check(@$calls == 2, 'wait_for_calls');
check($calls->[0]{response}{error} eq 'internal_error' && $calls->[1]{response}{ok}, 'calls carry responses');
check(@{ $m->wait_for_messages(channel => 'C0ALERTS', timeout => 1) } == 1, 'wait_for_messages');
check(@{ $m->calls(method => 'chat.postMessage', since => $calls->[0]{seq}) } == 1, 'calls since');
my $t0 = time; my $none = $m->wait_for_calls(method => 'nothing', timeout => 0.3);
check(@$none == 0 && time - $t0 < 3, 'wait_for_calls times out with what it has');
check($m->stats->{calls}{by_method}{'chat.postMessage'} == 2, 'stats');
check(!eval { $m->mode(mode => 'bogus'); 1 } && $@ =~ /mode must be/, 'control errors croak');
system('curl', '-s', '-o', '/dev/null', '-H', 'Content-Type: application/json', '-H', 'X-Nexte-Timestamp: 7',
       '-d', '{"type":"t.one"}', $m->callback_url);
my $cbs = $m->wait_for_callbacks(count => 1, timeout => 5);
check(@$cbs == 1 && $cbs->[0]{json}{type} eq 't.one' && $cbs->[0]{headers}{'X-Nexte-Timestamp'} eq '7'
      && !@{ $m->callbacks(type => 't.none') }, 'callback_url, callbacks, wait_for_callbacks');
$m->callback_status(500);
check(`curl -s -o /dev/null -w '%{http_code}' -d x ${\ $m->callback_url }` eq '500', 'callback_status');
$m->reset;
"""


def test_perl_helper(t, m):
    if not shutil.which("perl") or not shutil.which("curl"):
        t.skip("NxsMock.pm checks", "perl or curl not installed")
        return
    env = dict(os.environ, NXS_MOCK_API_PORT=str(m.api_port), NXS_MOCK_CONTROL_PORT=str(m.control_port))
    lib = os.path.join(HERE, "..", "lib")
    proc = subprocess.run(["perl", "-I", lib, "-e", PERL_CHECKS], env=env, capture_output=True, text=True,
                          timeout=30)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(("pass ", "fail "))]
    for line in lines:
        t.ok(line.startswith("pass "), "NxsMock.pm: " + line[5:])
    t.ok(proc.returncode == 0 and len(lines) == 14, "NxsMock.pm checks ran to the end", proc.stderr)


def test_shutdown(t, m):
    m.proc.send_signal(signal.SIGTERM)
    try:
        status = m.proc.wait(5)
    except subprocess.TimeoutExpired:
        status = None
    t.eq(status, 0, "SIGTERM: clean exit with status 0")
    t.ok(not os.path.exists(m.pidfile), "the pidfile is removed")
    log = open(m.logfile, encoding="utf-8").read()
    t.ok("api listener closed" in log and "stopped" in log and "/api/chat.postMessage" in log,
         "the log file records calls and lifecycle")


GROUPS = [test_startup, test_auth, test_conversations_list, test_post_message, test_blocks, test_update,
          test_oauth, test_response_url, test_rate_limit, test_modes, test_outage, test_recording,
          test_concurrency, test_robustness, test_reset_and_seed, test_callbacks, test_perl_helper,
          test_shutdown]


def main():
    t = Tap()
    workdir = tempfile.mkdtemp(prefix="mock_slack_selftest.")
    started = time.monotonic()
    try:
        m = Mock(workdir)
    except Exception as err:
        print("1..1")
        print(f"not ok 1 - mock starts ({err})")
        return 1
    try:
        for group in GROUPS:
            if group is not test_shutdown:
                m.post("/_mock/reset")
                m.conn = None
            try:
                group(t, m)
            except Exception:
                t.ok(False, f"{group.__name__} ran without raising", traceback.format_exc())
    finally:
        m.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    t.diag(f"{t.n} checks in {time.monotonic() - started:.1f}s")
    print(f"1..{t.n}")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
