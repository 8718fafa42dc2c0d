"""All mutable state of the mock Slack, behind one lock.

One `World` holds what real Slack would hold (the app, workspaces, channels, tokens, OAuth codes,
posted messages, response_url targets) and what tests need to observe or steer (the call log,
statistics, failure-mode rules, per-channel rate buckets). Every public method takes `self.lock`;
callers that need several steps to be atomic (a Web API call) hold the lock around them too.

`self.cond` (same lock) is notified whenever failure modes change, so requests parked by the
`hang` mode wake up and re-evaluate.
"""

import base64
import collections
import copy
import json
import math
import secrets
import string
import threading
import time

DEFAULT_BOT_SCOPES = "chat:write,chat:write.public,channels:read"
CODE_LIFETIME_S = 600           # Slack's authorization codes expire after 10 minutes
RESPONSE_URL_LIFETIME_S = 1800  # response_url: 30 minutes ...
RESPONSE_URL_MAX_USES = 5       # ... and at most 5 uses, like Slack

MODES = ("normal", "outage", "unavailable", "error5xx", "ratelimit", "slow", "hang", "slack_error",
         "disconnect")

_ALNUM = string.ascii_letters + string.digits


def wall_ms():
    return round(time.time() * 1000.0, 3)


def _random_digits(n):
    return str(secrets.randbelow(9) + 1) + "".join(secrets.choice(string.digits) for _ in range(n - 1))


def _random_alnum(n):
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _as_bool(value, default=False):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class ControlError(ValueError):
    """A control request the mock cannot honour; answered with HTTP 400 and this message."""


def _default_seed():
    """The world every test starts from (docs/CONTRACT.md "Routing and filters" categories each get a channel)."""
    team1 = [
        ("C0PAYMENTS", "payments", 6), ("C0QUOTES", "quotes", 4), ("C0CONTACTS", "contacts", 4),
        ("C0BOOKING", "booking", 3), ("C0ALERTS", "alerts", 5), ("C0DAILY", "nexte-daily", 7),
        ("C0GENERAL", "general", 12),
    ]
    channels = [{"id": cid, "name": name, "num_members": members} for cid, name, members in team1]
    channels[-1]["is_general"] = True
    channels.append({"id": "C0ARCHIVED", "name": "old-stuff", "is_archived": True, "num_members": 2})
    channels.append({"id": "G0PRIVATE", "name": "secret", "is_private": True, "num_members": 3})
    # A private channel the bot was invited to, so private listings are not empty.
    channels.append({"id": "G0TEAMPRIV", "name": "team-private", "is_private": True, "is_member": True,
                     "num_members": 4})
    return {
        "app": {"client_id": "1111.2222", "client_secret": "mock-client-secret",
                "signing_secret": "mock-signing-secret", "app_id": "A0MOCKAPP", "name": "Nexte",
                "default_scopes": DEFAULT_BOT_SCOPES, "redirect_uris": []},
        "token_rotation": {"enabled": False, "expires_in": 43200},
        "rate_limit": {"enabled": True, "rate": 1.0, "burst": 3},
        "default_team": "T0MOCK01",
        "teams": [
            {"id": "T0MOCK01", "name": "Mock Agency", "domain": "mock-agency", "bot_user_id": "U0MOCKBOT",
             "bot_id": "B0MOCKBOT", "installer_user_id": "U0MOCKUSR", "channels": channels,
             "filler_channels": {"count": 240, "name_prefix": "c-filler-", "id_prefix": "C0FILL"},
             "tokens": ["xoxb-mock-T0MOCK01"]},
            {"id": "T0MOCK02", "name": "Second Agency", "domain": "second-agency", "bot_user_id": "U0MOCKBOT2",
             "bot_id": "B0MOCKBOT2", "installer_user_id": "U0MOCKUSR2",
             "channels": [{"id": "C2GENERAL", "name": "general", "is_general": True, "num_members": 3},
                          {"id": "C2PAYMENTS", "name": "payments", "num_members": 2},
                          {"id": "C2ALERTS", "name": "alerts", "num_members": 2}],
             "tokens": ["xoxb-mock-T0MOCK02"]},
        ],
    }


class World:
    def __init__(self, max_calls=50000, max_messages=100000):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.stopping = False
        self.mode_generation = 0
        self.default_max_calls = max_calls
        self.default_max_messages = max_messages
        self.started_ms = wall_ms()
        self.reset()

    # ------------------------------------------------------------------ reset / seed

    def reset(self):
        with self.lock:
            self.app = {}
            self.rotation = {}
            self.rate = {}
            self.default_team = None
            self.teams = {}
            self.channels = {}          # id -> channel (insertion order = listing order)
            self.tokens = {}            # access token -> record
            self.refresh_tokens = {}    # refresh token -> record
            self.codes = {}             # OAuth code -> record
            self.decision = None        # pending one-shot consent decision
            self.messages = collections.OrderedDict()  # (channel, ts) -> message record
            self.response_urls = {}     # id -> record
            self.buckets = {}           # channel -> [tokens, last monotonic time]
            self.rules = {}             # (method|None, channel|None) -> failure-mode rule
            self.calls = collections.deque(maxlen=self.default_max_calls)
            self.max_messages = self.default_max_messages
            self.record_bodies = True
            self.seq = 0
            self.last_ts_us = 0
            self.stats = self._empty_stats()
            self.callbacks = collections.deque(maxlen=10000)  # what the module POSTed to the callback sink
            self.callback_seq = 0
            self.callback_status = 200  # the sink's answer (set through control to test the module's retries)
            self._bump_modes()
            self.seed(_default_seed())

    @staticmethod
    def _empty_stats():
        return {
            "calls": {"total": 0, "by_method": {}, "by_status": {}},
            "errors": {},
            "rate_violations": {"total": 0, "by_channel": {}},
            "http_429": {"total": 0, "violations": 0, "forced": 0},
            "forced": {},
            "messages": {"posted": 0, "updated": 0, "by_channel": {}},
            "tokens": {"issued": 0, "refreshed": 0, "revoked": 0},
            "oauth": {"authorize": 0, "denied": 0, "codes_exchanged": 0},
            "response_url": {"posts": 0},
        }

    def seed(self, spec):
        """Merge a seed document into the world (see the control API docs); `replace` resets first."""
        if not isinstance(spec, dict):
            raise ControlError("seed body must be a JSON object")
        with self.lock:
            if _as_bool(spec.get("replace")):
                self.reset()
            app = spec.get("app")
            if app is not None:
                if not isinstance(app, dict):
                    raise ControlError("app must be an object")
                self.app.update(app)
            rotation = spec.get("token_rotation")
            if rotation is not None:
                self.rotation.update(rotation if isinstance(rotation, dict) else {"enabled": _as_bool(rotation)})
                self.rotation["enabled"] = _as_bool(self.rotation.get("enabled"))
                self.rotation["expires_in"] = int(self.rotation.get("expires_in", 43200))
            rate = spec.get("rate_limit")
            if rate is not None:
                if not isinstance(rate, dict):
                    raise ControlError("rate_limit must be an object")
                self.rate.update(rate)
                self.rate["enabled"] = _as_bool(self.rate.get("enabled"), True)
                self.rate["rate"] = float(self.rate.get("rate", 1.0))
                self.rate["burst"] = float(self.rate.get("burst", 3))
                if self.rate["rate"] <= 0 or self.rate["burst"] < 1:
                    raise ControlError("rate_limit needs rate > 0 and burst >= 1")
                self.buckets.clear()
            for team in spec.get("teams") or []:
                self._seed_team(team)
            for channel in spec.get("channels") or []:
                self.upsert_channel(channel)
            if spec.get("default_team") is not None:
                if spec["default_team"] not in self.teams:
                    raise ControlError(f"default_team {spec['default_team']} is not a known team")
                self.default_team = spec["default_team"]
            recording = spec.get("recording")
            if recording is not None:
                if "max_calls" in recording:
                    self.calls = collections.deque(self.calls, maxlen=int(recording["max_calls"]))
                if "max_messages" in recording:
                    self.max_messages = int(recording["max_messages"])
                if "bodies" in recording:
                    self.record_bodies = _as_bool(recording["bodies"], True)
            return self.config()

    def _seed_team(self, spec):
        if not isinstance(spec, dict) or not spec.get("id"):
            raise ControlError("each team needs an id")
        tid = spec["id"]
        team = self.teams.setdefault(tid, {
            "id": tid, "name": tid, "domain": tid.lower(), "bot_user_id": "U" + tid[1:] + "BOT",
            "bot_id": "B" + tid[1:] + "BOT", "installer_user_id": "U" + tid[1:] + "USR", "inactive": False,
        })
        for key in ("name", "domain", "bot_user_id", "bot_id", "installer_user_id"):
            if spec.get(key) is not None:
                team[key] = spec[key]
        if "inactive" in spec:
            team["inactive"] = _as_bool(spec["inactive"])
        if self.default_team is None:
            self.default_team = tid
        for channel in spec.get("channels") or []:
            self.upsert_channel(dict(channel, team=tid))
        filler = spec.get("filler_channels")
        if filler:
            count = int(filler.get("count", 0))
            width = max(3, len(str(count)))
            for i in range(1, count + 1):
                self.upsert_channel({
                    "team": tid, "id": f"{filler.get('id_prefix', 'CFILL')}{i:0{width}d}",
                    "name": f"{filler.get('name_prefix', 'filler-')}{i:0{width}d}",
                    "num_members": 1 + i % 9,
                })
        for token in spec.get("tokens") or []:
            self.create_token(tid, token=token, source="seed")

    def upsert_channel(self, spec):
        """Create or update a channel; flags not given keep their value (new channels: public, not member)."""
        with self.lock:
            if not isinstance(spec, dict) or not spec.get("id"):
                raise ControlError("a channel needs an id")
            cid = spec["id"]
            if _as_bool(spec.get("delete")):
                self.channels.pop(cid, None)
                return None
            channel = self.channels.get(cid)
            if channel is None:
                team = spec.get("team") or self.default_team
                if team not in self.teams:
                    raise ControlError(f"channel {cid}: unknown team {team}")
                channel = {"id": cid, "team": team, "name": cid.lower(), "is_private": False,
                           "is_archived": False, "is_member": False, "is_general": False, "num_members": 1,
                           "created": int(time.time()) - 86400 * 30}
                self.channels[cid] = channel
            for key in ("name", "num_members", "topic", "purpose"):
                if spec.get(key) is not None:
                    channel[key] = spec[key]
            for key in ("is_private", "is_archived", "is_member", "is_general"):
                if key in spec:
                    channel[key] = _as_bool(spec[key])
            return dict(channel)

    def config(self):
        with self.lock:
            return {
                "app": dict(self.app), "token_rotation": dict(self.rotation), "rate_limit": dict(self.rate),
                "default_team": self.default_team,
                "teams": [dict(t, channel_count=sum(1 for c in self.channels.values() if c["team"] == t["id"]))
                          for t in self.teams.values()],
                "recording": {"max_calls": self.calls.maxlen, "max_messages": self.max_messages,
                              "bodies": self.record_bodies},
            }

    # ------------------------------------------------------------------ lookups

    def channel_key(self, raw):
        """Resolve a `channel` parameter (ID, or name with or without '#') to an ID when known."""
        if not isinstance(raw, str) or not raw:
            return None
        with self.lock:
            if raw in self.channels:
                return raw
            name = raw[1:] if raw.startswith("#") else raw
            for channel in self.channels.values():
                if channel["name"] == name:
                    return channel["id"]
            return raw

    def find_channel(self, raw, team_id):
        """The channel a token of `team_id` means by `raw` (ID or name), or None. Second value: by name?"""
        with self.lock:
            channel = self.channels.get(raw)
            if channel is not None:
                return (channel, False) if channel["team"] == team_id else (None, False)
            name = raw[1:] if raw.startswith("#") else raw
            for channel in self.channels.values():
                if channel["team"] == team_id and channel["name"] == name:
                    return channel, True
            return None, False

    def channels_of(self, team_id):
        with self.lock:
            return [c for c in self.channels.values() if c["team"] == team_id]

    # ------------------------------------------------------------------ tokens

    def create_token(self, team_id, scopes=None, token=None, rotating=False, user_id=None, source="control"):
        """Issue a bot token for a team; returns (token record, refresh token or None)."""
        with self.lock:
            team = self.teams.get(team_id)
            if team is None:
                raise ControlError(f"unknown team {team_id}")
            if isinstance(scopes, (list, tuple)):
                scopes = ",".join(scopes)
            scope_list = [s for s in (scopes or self.app.get("default_scopes", DEFAULT_BOT_SCOPES)).split(",") if s]
            if token is None:
                body = f"{_random_digits(13)}-{_random_digits(13)}-{_random_alnum(24)}"
                # Slack's rotating bot tokens carry the xoxe. prefix; the module must not parse tokens.
                token = f"xoxe.xoxb-1-{body}" if rotating else f"xoxb-{body}"
            record = {
                "token": token, "team_id": team_id, "app_id": self.app.get("app_id"), "scopes": scope_list,
                "bot_user_id": team["bot_user_id"], "bot_id": team["bot_id"],
                "user_id": user_id or team["installer_user_id"], "created_ms": wall_ms(), "revoked": False,
                "expires_at": None, "refresh_token": None, "source": source,
            }
            refresh = None
            if rotating:
                record["expires_at"] = time.time() + int(self.rotation.get("expires_in", 43200))
                refresh = f"xoxe-1-{_random_alnum(8)}-{_random_digits(13)}-{_random_alnum(40)}"
                record["refresh_token"] = refresh
                self.refresh_tokens[refresh] = {
                    "refresh_token": refresh, "team_id": team_id, "client_id": self.app.get("client_id"),
                    "scopes": list(scope_list), "user_id": record["user_id"], "valid": True, "access_token": token,
                }
            self.tokens[token] = record
            if source != "seed":
                self.stats["tokens"]["issued"] += 1
            return record, refresh

    def control_token(self, body):
        """POST /_mock/token: create, revoke, expire, set scopes, or flag a team inactive."""
        with self.lock:
            action = body.get("action")
            if action == "create":
                record, refresh = self.create_token(body.get("team") or self.default_team, body.get("scopes"),
                                                    body.get("token"), _as_bool(body.get("rotating")),
                                                    body.get("user_id"))
                return {"token": record["token"], "refresh_token": refresh}
            if action in ("inactive", "active"):
                team = self.teams.get(body.get("team"))
                if team is None:
                    raise ControlError("inactive/active needs a known team")
                team["inactive"] = _as_bool(body.get("value"), True) if action == "inactive" else False
                return {"team": dict(team)}
            record = self.tokens.get(body.get("token"))
            if record is None:
                raise ControlError(f"unknown token for action {action!r}")
            if action == "revoke":
                self.revoke_token(record["token"])
            elif action == "expire":
                record["expires_at"] = time.time() - 1
            elif action == "unexpire":
                record["expires_at"] = None
            elif action == "scopes":
                scopes = body.get("scopes") or ""
                record["scopes"] = [s for s in (scopes.split(",") if isinstance(scopes, str) else scopes) if s]
            else:
                raise ControlError("action must be create, revoke, expire, unexpire, scopes, inactive or active")
            return {"token": self._public_token(record)}

    def revoke_token(self, token):
        with self.lock:
            record = self.tokens[token]
            if not record["revoked"]:
                record["revoked"] = True
                self.stats["tokens"]["revoked"] += 1
            # Revoking the access token uninstalls: its refresh chain must not resurrect it.
            if record.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens[record["refresh_token"]]["valid"] = False

    def _public_token(self, record):
        out = dict(record)
        if out["expires_at"] is not None:
            out["expires_in_s"] = round(out["expires_at"] - time.time(), 3)
        return out

    def token_list(self, team=None):
        with self.lock:
            return [self._public_token(r) for r in self.tokens.values() if team in (None, r["team_id"])]

    # ------------------------------------------------------------------ OAuth consent

    def set_decision(self, body):
        with self.lock:
            if _as_bool(body.get("clear")):
                self.decision = None
                return {"decision": None}
            decision = dict(self.decision or {})
            decision.update({k: v for k, v in body.items() if k != "clear"})
            if "next_install_team" in decision:
                decision["team"] = decision.pop("next_install_team")
            if decision.get("decision", "allow") not in ("allow", "deny", "error"):
                raise ControlError("decision must be allow, deny or error")
            if decision.get("team") is not None and decision["team"] not in self.teams:
                raise ControlError(f"unknown team {decision['team']}")
            self.decision = decision
            return {"decision": dict(decision)}

    def take_decision(self):
        with self.lock:
            decision, self.decision = self.decision or {}, None
            return decision

    def new_code(self, record):
        with self.lock:
            code = f"{_random_digits(13)}.{_random_digits(13)}.{secrets.token_hex(32)}"
            self.codes[code] = dict(record, code=code, created=time.time(), used=False)
            return code

    # ------------------------------------------------------------------ messages

    def next_ts(self):
        """A Slack message timestamp: unique and increasing, microseconds as the fraction."""
        with self.lock:
            now_us = int(time.time() * 1_000_000)
            self.last_ts_us = max(now_us, self.last_ts_us + 1)
            return f"{self.last_ts_us // 1_000_000}.{self.last_ts_us % 1_000_000:06d}"

    def store_message(self, record):
        with self.lock:
            self.messages[(record["channel"], record["ts"])] = record
            while len(self.messages) > self.max_messages:
                self.messages.popitem(last=False)
            return record

    def inject_message(self, body):
        """POST /_mock/messages: a message by someone else (a human), so chat.update can be refused."""
        with self.lock:
            channel = self.channels.get(body.get("channel"))
            if channel is None:
                raise ControlError("inject needs a known channel")
            ts = body.get("ts") or self.next_ts()
            record = {"channel": channel["id"], "ts": ts, "team_id": channel["team"], "bot_id": body.get("bot_id"),
                      "user": body.get("user", "U0HUMAN01"), "text": body.get("text", ""),
                      "blocks": body.get("blocks"), "attachments": None, "thread_ts": None, "posted_ms": wall_ms(),
                      "updated_ms": None, "token": None, "history": [], "source": "control"}
            return self.store_message(record)

    def message_list(self, channel=None, team=None, since_ts=None):
        with self.lock:
            out = []
            for record in self.messages.values():
                if channel not in (None, record["channel"]) or team not in (None, record["team_id"]):
                    continue
                if since_ts is not None and float(record["ts"]) <= float(since_ts):
                    continue
                out.append(copy.deepcopy(record))
            return out

    def new_response_url(self, body):
        with self.lock:
            rid = body.get("id") or f"T{_random_digits(9)}/{_random_digits(13)}/{_random_alnum(24)}"
            channel = body.get("channel")
            if channel is not None and channel not in self.channels:
                raise ControlError(f"unknown channel {channel}")
            self.response_urls[rid] = {"id": rid, "channel": channel, "ts": body.get("ts"),
                                       "created": time.time(), "uses": 0, "posts": [],
                                       "max_uses": int(body.get("max_uses", RESPONSE_URL_MAX_USES)),
                                       "lifetime_s": float(body.get("lifetime_s", RESPONSE_URL_LIFETIME_S))}
            return rid

    # ------------------------------------------------------------------ rate limiting

    def take_rate_token(self, channel):
        """Token bucket per channel. Returns None when allowed, else the Retry-After seconds."""
        with self.lock:
            if not self.rate.get("enabled", True):
                return None
            rate, burst = self.rate["rate"], self.rate["burst"]
            now = time.monotonic()
            bucket = self.buckets.setdefault(channel, [burst, now])
            bucket[0] = min(burst, bucket[0] + (now - bucket[1]) * rate)
            bucket[1] = now
            if bucket[0] >= 1.0:
                bucket[0] -= 1.0
                return None
            violations = self.stats["rate_violations"]
            violations["total"] += 1
            violations["by_channel"][channel] = violations["by_channel"].get(channel, 0) + 1
            self.stats["http_429"]["violations"] += 1
            return max(1, math.ceil((1.0 - bucket[0]) / rate))

    # ------------------------------------------------------------------ failure modes

    def _bump_modes(self):
        self.mode_generation += 1
        self.cond.notify_all()

    def set_mode(self, body):
        """POST /_mock/mode. A rule applies to a scope: global, a method, a channel, or both."""
        with self.lock:
            if not isinstance(body, dict):
                raise ControlError("mode body must be a JSON object")
            mode = body.get("mode", "normal")
            if mode not in MODES:
                raise ControlError(f"mode must be one of {', '.join(MODES)}")
            method, channel = body.get("method"), body.get("channel")
            if channel is not None:
                channel = self.channel_key(channel)
            if _as_bool(body.get("clear")) or (mode == "normal" and method is None and channel is None):
                self.rules.clear()
                self._bump_modes()
                return self.mode_list()
            if mode == "outage" and (method is not None or channel is not None):
                raise ControlError("outage closes the whole API listener: it cannot be scoped")
            if mode == "normal":
                self.rules.pop((method, channel), None)
                self._bump_modes()
                return self.mode_list()
            retry_after = body.get("retry_after", 1 if mode == "ratelimit" else None)
            count, duration = body.get("count"), body.get("duration_ms")
            rule = {"mode": mode, "method": method, "channel": channel,
                    "remaining": int(count) if count is not None else None,
                    "delay_ms": float(body.get("delay_ms", 1000 if mode == "slow" else 0)),
                    "retry_after": int(retry_after) if retry_after is not None else None,
                    "error": body.get("error", "internal_error") if mode == "slack_error" else None,
                    "status": int(body["status"]) if body.get("status") is not None else None,
                    "apply": _as_bool(body.get("apply")),
                    "expires_at": time.monotonic() + float(duration) / 1000.0 if duration is not None else None,
                    "fired": 0, "set_ms": wall_ms()}
            if rule["remaining"] is not None and rule["remaining"] < 1:
                raise ControlError("count must be >= 1")
            self.rules[(method, channel)] = rule
            self._bump_modes()
            return self.mode_list()

    def expire_rules(self):
        """Drop rules whose duration_ms has passed; called by the housekeeping thread."""
        with self.lock:
            now = time.monotonic()
            expired = [k for k, r in self.rules.items() if r["expires_at"] is not None and r["expires_at"] <= now]
            for key in expired:
                del self.rules[key]
            if expired:
                self._bump_modes()

    def outage_active(self):
        with self.lock:
            rule = self.rules.get((None, None))
            return rule is not None and rule["mode"] == "outage"

    def pick_rule(self, method, channel):
        """The most specific rule for this call (method+channel > channel > method > global), consumed once."""
        with self.lock:
            keys = [(method, channel), (None, channel)] if channel is not None else []
            keys += [(method, None), (None, None)]
            now = time.monotonic()
            for key in dict.fromkeys(keys):
                rule = self.rules.get(key)
                if rule is None or rule["mode"] == "outage":
                    continue  # an outage is enforced by the closed listener, not per request
                if rule["expires_at"] is not None and rule["expires_at"] <= now:
                    continue
                rule["fired"] += 1
                picked = dict(rule, generation=self.mode_generation)
                if rule["remaining"] is not None:
                    rule["remaining"] -= 1
                    if rule["remaining"] <= 0:
                        del self.rules[key]
                forced = self.stats["forced"]
                forced[rule["mode"]] = forced.get(rule["mode"], 0) + 1
                return picked
            return None

    def mode_list(self):
        with self.lock:
            now = time.monotonic()
            out = []
            for rule in self.rules.values():
                item = {k: v for k, v in rule.items() if k != "expires_at"}
                if rule["expires_at"] is not None:
                    item["expires_in_ms"] = round((rule["expires_at"] - now) * 1000.0, 1)
                out.append(item)
            return {"rules": out, "outage": self.outage_active(), "generation": self.mode_generation}

    # ------------------------------------------------------------------ recording

    def record_start(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.calls.append(entry)
            return entry

    def record_end(self, entry, status, response, state="answered"):
        """Complete a call's record and count it. `response` is the decoded body (dict or text)."""
        with self.lock:
            entry["status"] = status
            entry["response"] = response if self.record_bodies or status != 200 else None
            entry["state"] = state
            entry["duration_ms"] = round(wall_ms() - entry["time_ms"], 3)
            calls = self.stats["calls"]
            calls["total"] += 1
            method = entry["method"]
            calls["by_method"][method] = calls["by_method"].get(method, 0) + 1
            key = str(status) if status is not None else state
            calls["by_status"][key] = calls["by_status"].get(key, 0) + 1
            if status == 429:
                self.stats["http_429"]["total"] += 1
            if isinstance(response, dict) and response.get("ok") is False and response.get("error"):
                errors = self.stats["errors"]
                errors[response["error"]] = errors.get(response["error"], 0) + 1

    def mark(self, entry, state):
        """Change a completed call's state without counting it again (e.g. its answer could not be sent)."""
        with self.lock:
            entry["state"] = state

    def count_forced_429(self):
        with self.lock:
            self.stats["http_429"]["forced"] += 1

    def call_list(self, method=None, channel=None, since=None, token=None, status=None, path=None, limit=None):
        with self.lock:
            out = []
            for entry in self.calls:
                if since is not None and entry["seq"] <= since:
                    continue
                if method not in (None, entry["method"]) or channel not in (None, entry.get("channel")):
                    continue
                if token not in (None, entry.get("token")) or path not in (None, entry["path"]):
                    continue
                if status is not None and entry.get("status") != status:
                    continue
                out.append(copy.deepcopy(entry))
            if limit is not None:
                out = out[-limit:]
            return out

    # ------------------------------------------------------------------ callback sink

    def record_callback(self, headers, body, client):
        """A POST to the control port's callback sink (the module's NexteSlackCallbackURL): keep it."""
        headers = dict(headers)
        with self.lock:
            self.callback_seq += 1
            text = body.decode("utf-8", "replace")
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = None
            entry = {"seq": self.callback_seq, "time_ms": wall_ms(), "headers": dict(headers),
                     "content_type": headers.get("Content-Type"), "body": text, "json": decoded,
                     "client": client, "status": self.callback_status}
            self.callbacks.append(entry)
            return entry

    def callback_list(self, since=None, type_=None):
        with self.lock:
            return [copy.deepcopy(c) for c in self.callbacks
                    if (since is None or c["seq"] > since)
                    and (type_ is None or (isinstance(c["json"], dict) and c["json"].get("type") == type_))]

    def set_callback_status(self, status):
        status = int(status)
        if status < 200 or status > 599:
            raise ControlError("status must be an HTTP status (200-599)")
        with self.lock:
            self.callback_status = status

    def stats_snapshot(self):
        with self.lock:
            snap = copy.deepcopy(self.stats)
            snap["last_seq"] = self.seq
            snap["messages"]["stored"] = len(self.messages)
            snap["modes"] = len(self.rules)
            snap["callbacks"] = {"received": self.callback_seq}
            return snap

    def stop(self):
        with self.lock:
            self.stopping = True
            self.cond.notify_all()


def encode_cursor(channel_id):
    return base64.b64encode(f"channel:{channel_id}".encode()).decode()


def decode_cursor(cursor):
    """The channel ID a cursor resumes at, or None when the cursor is not one of ours."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeError):
        return None
    return text[len("channel:"):] if text.startswith("channel:") else None
