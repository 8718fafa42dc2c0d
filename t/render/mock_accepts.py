#!/usr/bin/env python3
"""TAP: the mock Slack (t/mock_slack) accepts every message nxs-render produces.

Starts a private mock on free ports, installs the app through the mock's OAuth flow, then posts with
chat.postMessage: every postable catalog type, the starting-soon alert, the daily recap and the morning
summary (of one night, and of 500 held events: t/render/long_night.py), in English and French, plus a
hostile copy of every event whose free-text fields all hold 10 KB of mentions, links, entities, emoji and
right-to-left text. Each post must answer ok:true without invalid_blocks or any warning, and the mock
must have stored exactly what was sent.

    python3 t/render/mock_accepts.py        (needs build/out/nxs-render: make -f apxs.mk tools)
"""

import base64
import http.client
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import urllib.parse

import long_night

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RENDER = os.path.join(TOP, "build", "out", "nxs-render")
MOCK = os.path.join(TOP, "t", "mock_slack", "mock_slack.py")
FIXTURES = os.path.join(TOP, "t", "fixtures", "events")
INPUTS = os.path.join(TOP, "t", "render", "inputs")

CLIENT_ID, CLIENT_SECRET, REDIRECT = "1111.2222", "mock-client-secret", "http://x/cb"
SETTINGS = ["--tz", "Europe/Paris", "--app-url", "https://app.nexte.io", "--delivery-id", "dlv_0042"]
NOT_POSTED = {"account.updated", "appointment.rescheduled"}
HOSTILE_UNIT = ("<!channel> <!everyone> <@U123> <https://evil|click here> &amp; "
                "\U0001F389 \u05e9\u05dc\u05d5\u05dd \u202e\n")
STRUCTURED = {"type", "occurred_at", "starts_at", "ends_at", "proposed_starts_at", "due_date",
              "value", "currency"}
# The mock's default channels, one per category.
CHANNELS = [("invoice.overdue", "C0ALERTS"), ("invoice.", "C0PAYMENTS"), ("payment.", "C0PAYMENTS"),
            ("subscription.", "C0PAYMENTS"), ("refund.", "C0PAYMENTS"), ("quote.", "C0QUOTES"),
            ("lead.", "C0CONTACTS"), ("appointment.", "C0BOOKING"), ("project.", "C0ALERTS"),
            ("integration.", "C0ALERTS"), ("plan.", "C0ALERTS"), ("recap", "C0DAILY"),
            ("summary", "C0GENERAL")]


def bail(why):
    print(f"Bail out! {why}")
    sys.exit(1)


def channel_for(name):
    return next(channel for prefix, channel in CHANNELS if name.startswith(prefix))


class Mock:
    """A private mock Slack on free ports, stopped at the end."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, MOCK, "--api-port", "0", "--control-port", "0"],
                                     stdout=subprocess.PIPE, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.proc.stdout], daemon=True).start()
        try:
            ready = lines.get(timeout=15)
        except queue.Empty:
            self.stop()
            bail("the mock Slack did not print READY within 15 s")
        fields = dict(f.split("=") for f in ready.split()[1:])
        self.api, self.control = int(fields["api"]), int(fields["control"])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def request(self, port, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp, data

    def control_json(self, method, path, doc=None):
        body = json.dumps(doc).encode() if doc is not None else None
        resp, data = self.request(self.control, method, path, body, {"Content-Type": "application/json"})
        return json.loads(data)

    def install(self):
        """The OAuth flow a workspace admin goes through; returns the bot token."""
        query = urllib.parse.urlencode({"client_id": CLIENT_ID, "scope": "chat:write,chat:write.public",
                                        "redirect_uri": REDIRECT, "state": "s"})
        resp, _ = self.request(self.api, "GET", "/oauth/v2/authorize?" + query)
        location = urllib.parse.urlsplit(resp.getheader("Location") or "")
        code = urllib.parse.parse_qs(location.query).get("code", [None])[0]
        if resp.status != 302 or not code:
            bail(f"authorize answered {resp.status} without a code")
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = urllib.parse.urlencode({"code": code, "redirect_uri": REDIRECT}).encode()
        _, data = self.request(self.api, "POST", "/api/oauth.v2.access", form,
                               {"Authorization": "Basic " + basic,
                                "Content-Type": "application/x-www-form-urlencoded"})
        answer = json.loads(data)
        if not answer.get("ok"):
            bail(f"oauth.v2.access refused: {answer}")
        return answer["access_token"]

    def post(self, token, message):
        resp, data = self.request(self.api, "POST", "/api/chat.postMessage",
                                  json.dumps(message).encode("utf-8"),
                                  {"Authorization": "Bearer " + token,
                                   "Content-Type": "application/json; charset=utf-8"})
        return resp.status, json.loads(data)


def render(args):
    out = subprocess.run([RENDER] + args, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()
    return json.loads(out.stdout), None


def poison(value, text):
    """Every free-text string of an envelope becomes TEXT (structured fields keep their format)."""
    for key, child in value.items():
        if isinstance(child, dict):
            poison(child, text)
        elif isinstance(child, str) and key not in STRUCTURED:
            value[key] = text


def cases(tmp):
    """(name, nxs-render arguments) for every message to post."""
    hostile = HOSTILE_UNIT * (10 * 1024 // len(HOSTILE_UNIT) + 1)
    events = sorted(os.path.join(FIXTURES, f) for f in os.listdir(FIXTURES) if f.endswith(".json"))
    events.append(os.path.join(INPUTS, "appointment.starting_soon.json"))
    night = os.path.join(tmp, "summary.long_night.json")
    long_night.write(night)
    for lang in ("en", "fr"):
        base = ["--locale", lang] + SETTINGS
        for path in events:
            name = os.path.basename(path)[:-5]
            if name in NOT_POSTED:
                continue
            yield f"{name} ({lang})", name, base + [path]
            with open(path, encoding="utf-8") as f:
                envelope = json.load(f)
            poison(envelope, hostile)
            bad = os.path.join(tmp, f"{name}.hostile.json")
            with open(bad, "w", encoding="utf-8") as f:
                json.dump(envelope, f)
            yield f"{name} ({lang}) with 10 KB hostile values and @here", name, \
                base + ["--mention", "here", bad]
        yield f"daily recap ({lang})", "recap", base + ["--mention", "channel", "--recap",
                                                       os.path.join(INPUTS, "recap.json")]
        yield f"morning summary ({lang})", "summary", base + ["--summary",
                                                             os.path.join(INPUTS, "summary.json")]
        yield f"morning summary of 500 held events ({lang}) with @channel", "summary", \
            base + ["--mention", "channel", "--summary", night]


def main():
    if not os.access(RENDER, os.X_OK):
        bail(f"{RENDER} is missing: make -f apxs.mk tools")
    if not os.path.exists(MOCK):
        bail(f"{MOCK} is missing")
    mock = Mock()
    failed = 0
    try:
        mock.control_json("POST", "/_mock/seed", {"rate_limit": {"enabled": False}})
        token = mock.install()
        with tempfile.TemporaryDirectory() as tmp:
            todo = list(cases(tmp))
            print(f"1..{len(todo) + 1}")
            posted = []
            for n, (title, name, args) in enumerate(todo, 1):
                message, why = render(args)
                if message is None:
                    print(f"not ok {n} - {title}\n# nxs-render: {why}")
                    failed += 1
                    continue
                message["channel"] = channel_for(name)
                status, answer = mock.post(token, message)
                good = status == 200 and answer.get("ok") is True and "warning" not in answer
                print(f"{'ok' if good else 'not ok'} {n} - {title} is accepted in {message['channel']}")
                if not good:
                    failed += 1
                    print(f"# HTTP {status}: {json.dumps(answer)[:2000]}")
                else:
                    posted.append((message, answer["ts"]))
        stored = {(m["channel"], m["ts"]): m for m in mock.control_json("GET", "/_mock/messages")["messages"]}
        same = all(stored.get((m["channel"], ts), {}).get("blocks") == m["blocks"] and
                   stored[(m["channel"], ts)].get("text") == m["text"] for m, ts in posted)
        print(f"{'ok' if same else 'not ok'} {len(todo) + 1} - the mock stored every message as sent")
        failed += 0 if same else 1
    finally:
        mock.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
