"""Slack semantics of the API port: Web API methods, the OAuth consent page, response_url targets.

`parse_request` turns raw HTTP into a `Request` (route, parameters, token), `SlackAPI.process`
answers it the way Slack would, and `SlackAPI.forced` builds the answer a failure-mode rule
imposes instead. Neither does network I/O: delays, hangs and disconnects are the server's job.

Answers follow Slack's conventions: Web API errors are HTTP 200 with {"ok": false, "error": code};
HTTP errors come only from rate limiting, unknown methods, and injected failures.
"""

import base64
import binascii
import json
import secrets
import time
import urllib.parse

from . import blockkit
from .world import CODE_LIFETIME_S, _as_bool, decode_cursor, encode_cursor, wall_ms

MAX_TEXT = 40000
RAW_BODY_RECORD_LIMIT = 65536


class Request:
    """One HTTP request to the API port, parsed once and shared by recording, modes and semantics."""

    def __init__(self, http_method, target, headers, body, client, conn_id, conn_request):
        split = urllib.parse.urlsplit(target)
        self.http_method = http_method
        self.path = split.path
        self.query = _flatten(urllib.parse.parse_qs(split.query, keep_blank_values=True))
        self.headers = headers
        self.raw_body = body
        self.client = client
        self.conn_id = conn_id
        self.conn_request = conn_request
        self.content_type = headers.get("Content-Type", "") or ""
        self.body_params, self.body_format, self.body_error = self._parse_body()
        self.params = dict(self.query)
        if isinstance(self.body_params, dict):
            self.params.update(self.body_params)
        self.route, self.method, self.target_id = _route(self.path)
        self.token, self.token_source = self._token()
        self.basic_auth = self._basic_auth()

    def _parse_body(self):
        if not self.raw_body:
            return {}, "none", None
        mime = self.content_type.split(";")[0].strip().lower()
        if mime == "application/json":
            try:
                value = json.loads(self.raw_body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return None, "invalid", "invalid_json"
            if not isinstance(value, dict):
                return value, "invalid", "invalid_json"
            return value, "json", None
        if mime in ("application/x-www-form-urlencoded", ""):
            try:
                text = self.raw_body.decode("utf-8")
                return _flatten(urllib.parse.parse_qs(text, keep_blank_values=True, strict_parsing=False)), \
                    "form", None
            except (UnicodeDecodeError, ValueError):
                return None, "invalid", "invalid_form_data"
        return None, "unsupported", None

    def _token(self):
        auth = self.headers.get("Authorization")
        if auth:
            scheme, _, value = auth.strip().partition(" ")
            if scheme.lower() == "bearer":
                return value.strip(), "header"
            if scheme.lower() != "basic":
                return auth.strip(), "header"  # an unknown scheme is an unknown token: invalid_auth
        # Slack accepts `token` as a form or query parameter, never inside a JSON body.
        if self.body_format in ("form", "none") and isinstance(self.params.get("token"), str):
            return self.params["token"], "param"
        if self.body_format == "json" and isinstance(self.query.get("token"), str):
            return self.query["token"], "param"
        return None, None

    def _basic_auth(self):
        auth = self.headers.get("Authorization") or ""
        scheme, _, value = auth.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return ("", "")
        return (user, password) if sep else (user, "")

    def recorded_body(self):
        """The body as tests see it in /_mock/calls: decoded when possible, raw text otherwise."""
        if self.body_format in ("json", "form", "none"):
            return self.body_params
        return self.raw_body[:RAW_BODY_RECORD_LIMIT].decode("utf-8", "replace")


def param_str(req, name):
    """A parameter that must be a string; anything else (a list, an object) counts as absent."""
    value = req.params.get(name)
    return value if isinstance(value, str) else None


def _flatten(multi):
    return {k: v[0] if len(v) == 1 else v for k, v in multi.items()}


def _route(path):
    if path.startswith("/api/") and len(path) > len("/api/"):
        return "api", path[len("/api/"):], None
    if path.rstrip("/") == "/oauth/v2/authorize":
        return "authorize", "oauth.v2.authorize", None
    if path.startswith("/response/") and len(path) > len("/response/"):
        return "response", "response_url", path[len("/response/"):]
    return "unknown", path, None


class Response:
    def __init__(self, status, body=b"", content_type=None, headers=None, record=None, action=None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if content_type:
            self.headers.insert(0, ("Content-Type", content_type))
        self.record = record      # what /_mock/calls shows as the response
        self.action = action      # None, or "disconnect": close without answering


def json_response(obj, status=200, headers=None):
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = [("X-Slack-Req-Id", secrets.token_hex(16))] + list(headers or [])
    return Response(status, body, "application/json; charset=utf-8", headers, obj)


def text_response(status, text, headers=None):
    return Response(status, text.encode("utf-8"), "text/plain; charset=utf-8", headers, text)


def html_response(status, title, message, headers=None):
    page = (f"<!DOCTYPE html><html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>{message}</p></body></html>")
    return Response(status, page.encode("utf-8"), "text/html; charset=utf-8", headers, page)


def redirect_response(location):
    resp = html_response(302, "Found", "Redirecting", [("Location", location)])
    resp.record = {"location": location}
    return resp


def add_query(url, params):
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + joiner + urllib.parse.urlencode(params)


class ApiError(Exception):
    """A Slack Web API error: {"ok": false, "error": code, ...extra}, HTTP 200 unless told."""

    def __init__(self, code, status=200, headers=None, **extra):
        super().__init__(code)
        self.code = code
        self.status = status
        self.headers = headers or []
        self.extra = extra


class SlackAPI:
    def __init__(self, world):
        self.world = world
        self.methods = {
            "api.test": self.api_test,
            "auth.test": self.auth_test,
            "auth.revoke": self.auth_revoke,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "conversations.list": self.conversations_list,
            "oauth.v2.access": self.oauth_v2_access,
        }

    # ------------------------------------------------------------------ entry points

    def scope_channel(self, req):
        """The channel a failure-mode rule may be scoped to, before any authentication."""
        if req.route == "response":
            record = self.world.response_urls.get(req.target_id)
            return record["channel"] if record else None
        if req.route == "api":
            return self.world.channel_key(req.params.get("channel"))
        return None

    def process(self, req):
        with self.world.lock:
            if req.route == "api":
                return self._web_api(req)
            if req.route == "authorize":
                return self.authorize(req)
            if req.route == "response":
                return self.response_url(req)
            return text_response(404, "Not Found")

    def forced(self, req, rule):
        """The answer a failure-mode rule imposes (the request may or may not have been applied)."""
        mode = rule["mode"]
        if mode == "disconnect":
            return Response(None, action="disconnect")
        if mode == "unavailable":
            headers = [("Retry-After", str(rule["retry_after"]))] if rule["retry_after"] else []
            return html_response(503, "503 Service Unavailable", "Slack is temporarily unavailable.", headers)
        if mode == "error5xx":
            status = rule["status"] or (500 if rule["fired"] % 2 == 1 else 502)
            title = {500: "500 Internal Server Error", 502: "502 Bad Gateway"}.get(status, f"{status} Error")
            return html_response(status, title, "An error occurred.")
        if mode == "ratelimit":
            self.world.count_forced_429()
            headers = [("Retry-After", str(rule["retry_after"]))]
            if req.route == "api":
                return json_response({"ok": False, "error": "ratelimited"}, 429, headers)
            return text_response(429, "rate_limited", headers)
        if mode == "slack_error":
            code = rule["error"]
            if req.route == "api":
                return json_response({"ok": False, "error": code})
            if req.route == "authorize" and req.params.get("redirect_uri"):
                return redirect_response(self._consent_redirect(req, {"error": code}))
            return text_response(400, code)
        raise ValueError(f"mode {mode} has no forced response")

    def _web_api(self, req):
        handler = self.methods.get(req.method)
        if handler is None:
            return json_response({"ok": False, "error": "unknown_method", "req_method": req.method}, 404)
        try:
            if req.body_error:
                raise ApiError(req.body_error)
            return handler(req)
        except ApiError as err:
            return json_response(dict({"ok": False, "error": err.code}, **err.extra), err.status, err.headers)

    # ------------------------------------------------------------------ shared checks

    def auth(self, req, scope=None):
        """The token record behind the request, or the ApiError Slack would answer."""
        if not req.token:
            raise ApiError("not_authed")
        record = self.world.tokens.get(req.token)
        if record is None:
            raise ApiError("invalid_auth")
        if record["revoked"]:
            raise ApiError("token_revoked")
        if record["expires_at"] is not None and time.time() >= record["expires_at"]:
            raise ApiError("token_expired")
        if self.world.teams[record["team_id"]]["inactive"]:
            raise ApiError("account_inactive")
        if scope is not None and scope not in record["scopes"]:
            raise ApiError("missing_scope", needed=scope, provided=",".join(record["scopes"]))
        return record

    def channel_for(self, token, raw):
        if not isinstance(raw, str) or not raw:
            raise ApiError("channel_not_found")
        channel, _ = self.world.find_channel(raw, token["team_id"])
        if channel is None:
            raise ApiError("channel_not_found")
        return channel

    def content(self, req):
        """Decode and check text/blocks/attachments. Returns (fields present, warnings)."""
        params = req.params
        fields = {}
        if params.get("text") is not None:
            fields["text"] = params["text"] if isinstance(params["text"], str) else str(params["text"])
        for key, error in (("blocks", "invalid_blocks_format"), ("attachments", "invalid_attachments")):
            value = params.get(key)
            if isinstance(value, str):
                if not value.strip():
                    continue
                try:
                    value = json.loads(value)
                except ValueError:
                    raise ApiError(error) from None
            if value is None:
                continue
            if not isinstance(value, list):
                raise ApiError(error)
            fields[key] = value
        has_text = bool(fields.get("text"))
        if not has_text and not fields.get("blocks") and not fields.get("attachments"):
            raise ApiError("no_text")
        if has_text and len(fields["text"]) > MAX_TEXT:
            raise ApiError("msg_too_long")
        errors = []
        if fields.get("blocks"):
            errors += blockkit.validate_blocks(fields["blocks"])
        for i, attachment in enumerate(fields.get("attachments") or []):
            if isinstance(attachment, dict) and attachment.get("blocks") is not None:
                errors += blockkit.validate_blocks(attachment["blocks"], f"/attachments/{i}/blocks")
        if errors:
            raise ApiError("invalid_blocks", errors=errors,
                           response_metadata={"messages": ["[ERROR] " + e for e in errors]})
        warnings = []
        if fields.get("blocks") and not has_text:
            warnings.append("missing_text_in_blocks")
        if req.body_format == "json" and "charset" not in req.content_type.lower():
            warnings.append("missing_charset")
        return fields, warnings

    @staticmethod
    def with_warnings(obj, warnings):
        if warnings:
            obj["warning"] = ",".join(warnings)
            obj["response_metadata"] = {"warnings": warnings}
        return obj

    def message_object(self, record):
        team = self.world.teams.get(record["team_id"], {})
        msg = {"user": record["user"], "type": "message", "ts": record["ts"], "bot_id": record["bot_id"],
               "app_id": self.world.app.get("app_id"), "text": record["text"], "team": record["team_id"],
               "bot_profile": {"id": record["bot_id"], "app_id": self.world.app.get("app_id"),
                               "name": self.world.app.get("name", "Nexte"), "deleted": False,
                               "team_id": team.get("id")}}
        for key in ("blocks", "attachments", "thread_ts"):
            if record.get(key) is not None:
                msg[key] = record[key]
        return msg

    def _ok(self, obj, token=None, warnings=None):
        headers = [("X-OAuth-Scopes", ",".join(token["scopes"]))] if token else []
        return json_response(self.with_warnings(dict({"ok": True}, **obj), warnings or []), 200, headers)

    # ------------------------------------------------------------------ methods

    def api_test(self, req):
        return self._ok({"args": {k: v for k, v in req.params.items() if k != "token"}})

    def auth_test(self, req):
        token = self.auth(req)
        team = self.world.teams[token["team_id"]]
        return self._ok({"url": f"https://{team['domain']}.slack.com/", "team": team["name"],
                         "user": self.world.app.get("name", "nexte").lower(), "team_id": team["id"],
                         "user_id": token["bot_user_id"], "bot_id": token["bot_id"],
                         "is_enterprise_install": False}, token)

    def auth_revoke(self, req):
        token = self.auth(req)
        if _as_bool(req.params.get("test")):
            return self._ok({"revoked": False}, token)
        self.world.revoke_token(token["token"])
        return self._ok({"revoked": True})

    def chat_post_message(self, req):
        token = self.auth(req, "chat:write")
        raw = req.params.get("channel")
        # Slack limits per channel before looking at the message; failed posts still spend the budget.
        retry_after = self.world.take_rate_token(self.world.channel_key(raw) or "")
        if retry_after is not None:
            raise ApiError("ratelimited", status=429, headers=[("Retry-After", str(retry_after))])
        channel = self.channel_for(token, raw)
        if channel["is_archived"]:
            raise ApiError("is_archived")
        if not channel["is_member"] and (channel["is_private"] or "chat:write.public" not in token["scopes"]):
            raise ApiError("not_in_channel")
        fields, warnings = self.content(req)
        thread_ts = param_str(req, "thread_ts")
        record = {"channel": channel["id"], "ts": self.world.next_ts(), "team_id": token["team_id"],
                  "bot_id": token["bot_id"], "user": token["bot_user_id"], "text": fields.get("text", ""),
                  "blocks": fields.get("blocks"), "attachments": fields.get("attachments"),
                  "thread_ts": thread_ts or None,
                  "posted_ms": wall_ms(), "updated_ms": None, "token": token["token"], "history": [],
                  "source": "chat.postMessage"}
        self.world.store_message(record)
        self._count_message("posted", channel["id"])
        return self._ok({"channel": channel["id"], "ts": record["ts"], "message": self.message_object(record)},
                        token, warnings)

    def chat_update(self, req):
        token = self.auth(req, "chat:write")
        channel = self.channel_for(token, req.params.get("channel"))
        if channel["is_archived"]:
            raise ApiError("is_archived")
        record = self.world.messages.get((channel["id"], param_str(req, "ts")))
        if record is None:
            raise ApiError("message_not_found")
        if record["team_id"] != token["team_id"] or record["bot_id"] != token["bot_id"]:
            raise ApiError("cant_update_message")
        fields, warnings = self.content(req)
        record["history"].append({k: record[k] for k in ("text", "blocks", "attachments", "updated_ms")})
        # Like Slack: blocks/attachments not sent are kept; an empty array removes them.
        record["text"] = fields.get("text", "" if "blocks" in fields else record["text"])
        for key in ("blocks", "attachments"):
            if key in fields:
                record[key] = fields[key] or None
        record["updated_ms"] = wall_ms()
        self._count_message("updated", channel["id"])
        message = self.message_object(record)
        message.pop("ts")
        return self._ok({"channel": channel["id"], "ts": record["ts"], "text": record["text"],
                         "message": message}, token, warnings)

    def _count_message(self, kind, channel):
        stats = self.world.stats["messages"]
        stats[kind] += 1
        per = stats["by_channel"].setdefault(channel, {"posted": 0, "updated": 0})
        per[kind] += 1

    TYPE_SCOPES = {"public_channel": "channels:read", "private_channel": "groups:read", "mpim": "mpim:read",
                   "im": "im:read"}

    def conversations_list(self, req):
        token = self.auth(req)
        types = [t.strip() for t in str(req.params.get("types") or "public_channel").split(",") if t.strip()]
        if not types or any(t not in self.TYPE_SCOPES for t in types):
            raise ApiError("invalid_types")
        for kind in types:
            if self.TYPE_SCOPES[kind] not in token["scopes"]:
                raise ApiError("missing_scope", needed=self.TYPE_SCOPES[kind], provided=",".join(token["scopes"]))
        try:
            limit = int(req.params.get("limit") or 100)
        except (TypeError, ValueError):
            raise ApiError("invalid_limit") from None
        if limit < 0:
            raise ApiError("invalid_limit")
        limit = min(limit or 100, 1000)
        exclude_archived = _as_bool(req.params.get("exclude_archived"))
        # Private channels are visible only to members, as for a real bot.
        selected = [c for c in self.world.channels_of(token["team_id"])
                    if (("private_channel" in types and c["is_private"] and c["is_member"])
                        or ("public_channel" in types and not c["is_private"]))
                    and not (exclude_archived and c["is_archived"])]
        start = 0
        cursor = req.params.get("cursor")
        if cursor:
            resume = decode_cursor(str(cursor))
            ids = [c["id"] for c in selected]
            if resume is None or resume not in ids:
                raise ApiError("invalid_cursor")
            start = ids.index(resume)
        page = selected[start:start + limit]
        rest = selected[start + limit:]
        return self._ok({"channels": [self.channel_object(c) for c in page],
                         "response_metadata": {"next_cursor": encode_cursor(rest[0]["id"]) if rest else ""}}, token)

    @staticmethod
    def channel_object(c):
        return {"id": c["id"], "name": c["name"], "is_channel": True, "is_group": False, "is_im": False,
                "is_mpim": False, "is_private": c["is_private"], "created": c["created"],
                "is_archived": c["is_archived"], "is_general": c["is_general"], "unlinked": 0,
                "name_normalized": c["name"], "is_shared": False, "is_org_shared": False,
                "is_ext_shared": False, "is_pending_ext_shared": False, "context_team_id": c["team"],
                "is_member": c["is_member"], "num_members": c["num_members"],
                "topic": {"value": c.get("topic", ""), "creator": "", "last_set": 0},
                "purpose": {"value": c.get("purpose", ""), "creator": "", "last_set": 0},
                "previous_names": []}

    # ------------------------------------------------------------------ OAuth

    def authorize(self, req):
        """The consent screen stand-in: validate, then redirect back the way Slack does."""
        world = self.world
        world.stats["oauth"]["authorize"] += 1
        params = req.params
        if req.http_method not in ("GET", "HEAD"):
            return html_response(405, "Method Not Allowed", "Use GET.")
        if params.get("client_id") != world.app.get("client_id"):
            return html_response(400, "Slack: something went wrong", "Invalid client_id parameter")
        redirect_uri = params.get("redirect_uri")
        if not isinstance(redirect_uri, str) or not redirect_uri.startswith(("http://", "https://")):
            return html_response(400, "Slack: something went wrong", "Missing or invalid redirect_uri")
        allowed = world.app.get("redirect_uris") or []
        if allowed and not any(redirect_uri.startswith(prefix) for prefix in allowed):
            return html_response(400, "Slack: something went wrong", "redirect_uri did not match any configured URIs")
        if not params.get("scope") and not params.get("user_scope"):
            return html_response(400, "Slack: something went wrong", "Invalid permissions requested")
        decision = world.take_decision()
        kind = decision.get("decision", "allow")
        if kind != "allow":
            world.stats["oauth"]["denied"] += 1
            error = "access_denied" if kind == "deny" else decision.get("error", "access_denied")
            return redirect_response(self._consent_redirect(req, {"error": error}))
        scopes = decision.get("scopes") or params.get("scope") or ""
        if isinstance(scopes, list):
            scopes = ",".join(scopes)
        code = world.new_code({"client_id": params["client_id"], "redirect_uri": redirect_uri,
                               "team_id": decision.get("team") or world.default_team, "scopes": scopes,
                               "user_scope": params.get("user_scope"), "user_id": decision.get("user_id")})
        return redirect_response(self._consent_redirect(req, {"code": code}))

    @staticmethod
    def _consent_redirect(req, params):
        state = req.params.get("state")
        if state is not None:
            params["state"] = state
        return add_query(req.params["redirect_uri"], params)

    def oauth_v2_access(self, req):
        world, params = self.world, req.params
        client_id, secret = req.basic_auth or (params.get("client_id"), params.get("client_secret"))
        if not client_id or client_id != world.app.get("client_id"):
            raise ApiError("invalid_client_id")
        if secret != world.app.get("client_secret"):
            raise ApiError("bad_client_secret")
        grant = params.get("grant_type") or "authorization_code"
        if grant == "authorization_code":
            return self._grant_code(req, client_id)
        if grant == "refresh_token":
            return self._grant_refresh(req, client_id)
        raise ApiError("invalid_grant_type")

    def _grant_code(self, req, client_id):
        world = self.world
        code = world.codes.get(param_str(req, "code"))
        if (code is None or code["used"] or code["client_id"] != client_id
                or time.time() - code["created"] > CODE_LIFETIME_S):
            raise ApiError("invalid_code")
        # RFC 6749 4.1.3: the redirect_uri of the authorize request must be repeated, identically.
        if req.params.get("redirect_uri") != code["redirect_uri"]:
            raise ApiError("bad_redirect_uri")
        code["used"] = True
        world.stats["oauth"]["codes_exchanged"] += 1
        rotating = world.rotation.get("enabled", False)
        record, refresh = world.create_token(code["team_id"], code["scopes"] or None, rotating=rotating,
                                             user_id=code["user_id"], source="oauth")
        return self._ok(self._install_body(record, refresh))

    def _grant_refresh(self, req, client_id):
        world = self.world
        old = world.refresh_tokens.get(param_str(req, "refresh_token"))
        if old is None or not old["valid"] or old["client_id"] != client_id:
            raise ApiError("invalid_refresh_token")
        old["valid"] = False  # single use: the new refresh token replaces it
        record, refresh = world.create_token(old["team_id"], old["scopes"], rotating=True,
                                             user_id=old["user_id"], source="refresh")
        world.stats["tokens"]["refreshed"] += 1
        return self._ok(self._install_body(record, refresh))

    def _install_body(self, record, refresh):
        team = self.world.teams[record["team_id"]]
        body = {"app_id": record["app_id"], "authed_user": {"id": record["user_id"]},
                "scope": ",".join(record["scopes"]), "token_type": "bot", "access_token": record["token"],
                "bot_user_id": record["bot_user_id"], "team": {"id": team["id"], "name": team["name"]},
                "enterprise": None, "is_enterprise_install": False}
        if refresh is not None:
            body["refresh_token"] = refresh
            body["expires_in"] = int(round(record["expires_at"] - time.time()))
        return body

    # ------------------------------------------------------------------ response_url

    def response_url(self, req):
        """A response_url target: Slack answers these with plain-text bodies, not JSON."""
        world = self.world
        target = world.response_urls.get(req.target_id)
        if target is None:
            return text_response(404, "no_service")
        if req.http_method != "POST":
            return text_response(405, "method_not_allowed")
        if time.time() - target["created"] > target["lifetime_s"]:
            return text_response(404, "expired_url")
        if target["uses"] >= target["max_uses"]:
            return text_response(404, "used_url")
        if req.body_format != "json":
            return text_response(400, "invalid_payload")
        target["uses"] += 1
        payload = req.body_params
        world.stats["response_url"]["posts"] += 1
        target["posts"].append({"time_ms": wall_ms(), "payload": payload})
        if _as_bool(payload.get("delete_original")):
            self._response_delete(target)
            return text_response(200, "ok")
        try:
            fields, _ = self.content(req)
        except ApiError as err:
            return text_response(400, err.code)
        if _as_bool(payload.get("replace_original")):
            self._response_replace(target, fields)
        elif payload.get("response_type") == "in_channel" and target["channel"]:
            self._response_post(target, fields)
        return text_response(200, "ok")

    def _response_replace(self, target, fields):
        record = self.world.messages.get((target["channel"], target["ts"]))
        if record is None:
            return
        record["history"].append({k: record[k] for k in ("text", "blocks", "attachments", "updated_ms")})
        record["text"] = fields.get("text", "")
        record["blocks"] = fields.get("blocks")
        record["attachments"] = fields.get("attachments")
        record["updated_ms"] = wall_ms()
        record["updated_via"] = "response_url"
        self._count_message("updated", target["channel"])

    def _response_delete(self, target):
        self.world.messages.pop((target["channel"], target["ts"]), None)

    def _response_post(self, target, fields):
        channel = self.world.channels[target["channel"]]
        team = self.world.teams[channel["team"]]
        record = {"channel": channel["id"], "ts": self.world.next_ts(), "team_id": team["id"],
                  "bot_id": team["bot_id"], "user": team["bot_user_id"], "text": fields.get("text", ""),
                  "blocks": fields.get("blocks"), "attachments": fields.get("attachments"), "thread_ts": None,
                  "posted_ms": wall_ms(), "updated_ms": None, "token": None, "history": [],
                  "source": "response_url"}
        self.world.store_message(record)
        self._count_message("posted", channel["id"])
