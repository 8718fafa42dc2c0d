"""The control API (JSON over HTTP on the control port): how tests steer and observe the mock.

Each route is a function (world, query, body) -> JSON-able dict; `dispatch` adds {"ok": true},
turns ControlError/bad values into HTTP 400 and unknown routes into 404. The routes are documented
in ../mock_slack.py and ../README.md.
"""

import os

from .world import ControlError, wall_ms


def _int(query, name):
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ControlError(f"{name} must be an integer") from None


class Control:
    def __init__(self, world, listener_info):
        self.world = world
        # Callable returning {"api_port": .., "control_port": .., "api_listening": ..}; set by the server.
        self.listener_info = listener_info
        self.routes = {
            ("GET", "/_mock/health"): self.health,
            ("POST", "/_mock/reset"): self.reset,
            ("POST", "/_mock/seed"): self.seed,
            ("GET", "/_mock/config"): self.config,
            ("POST", "/_mock/mode"): self.mode,
            ("GET", "/_mock/mode"): self.mode_list,
            ("POST", "/_mock/decision"): self.decision,
            ("POST", "/_mock/token"): self.token,
            ("GET", "/_mock/tokens"): self.tokens,
            ("POST", "/_mock/channel"): self.channel,
            ("GET", "/_mock/channels"): self.channels,
            ("POST", "/_mock/response_url"): self.response_url,
            ("GET", "/_mock/calls"): self.calls,
            ("GET", "/_mock/messages"): self.messages,
            ("POST", "/_mock/messages"): self.inject_message,
            ("GET", "/_mock/stats"): self.stats,
            ("GET", "/_mock/callbacks"): self.callbacks,
            ("POST", "/_mock/callbacks/status"): self.callback_status,
        }
        # POST /_mock/callbacks is the sink itself: raw body and headers, see server.ControlHandler.

    def dispatch(self, http_method, path, query, body):
        """Returns (HTTP status, JSON-able body)."""
        route = self.routes.get((http_method, path.rstrip("/") or "/"))
        if route is None:
            known = any(p == path.rstrip("/") for _, p in self.routes)
            return (405, {"ok": False, "error": "method_not_allowed"}) if known else \
                (404, {"ok": False, "error": "unknown_route"})
        if http_method == "POST" and not isinstance(body, dict):
            return 400, {"ok": False, "error": "body must be a JSON object"}
        try:
            return 200, dict({"ok": True}, **route(query, body))
        except (ControlError, TypeError, ValueError, KeyError) as err:
            return 400, {"ok": False, "error": str(err) or type(err).__name__}

    # ------------------------------------------------------------------ routes

    def health(self, query, body):
        return dict(self.listener_info(), pid=os.getpid(), uptime_ms=round(wall_ms() - self.world.started_ms, 3),
                    outage=self.world.outage_active())

    def reset(self, query, body):
        self.world.reset()
        return {}

    def seed(self, query, body):
        return {"config": self.world.seed(body)}

    def config(self, query, body):
        return {"config": self.world.config()}

    def mode(self, query, body):
        return self.world.set_mode(body)

    def mode_list(self, query, body):
        return self.world.mode_list()

    def decision(self, query, body):
        return self.world.set_decision(body)

    def token(self, query, body):
        return self.world.control_token(body)

    def tokens(self, query, body):
        return {"tokens": self.world.token_list(query.get("team"))}

    def channel(self, query, body):
        return {"channel": self.world.upsert_channel(body)}

    def channels(self, query, body):
        team = query.get("team")
        with self.world.lock:
            return {"channels": [dict(c) for c in self.world.channels.values() if team in (None, c["team"])]}

    def response_url(self, query, body):
        rid = self.world.new_response_url(body)
        info = self.listener_info()
        return {"id": rid, "url": f"http://{info['host']}:{info['api_port']}/response/{rid}"}

    def calls(self, query, body):
        calls = self.world.call_list(method=query.get("method"), channel=query.get("channel"),
                                     since=_int(query, "since"), token=query.get("token"),
                                     status=_int(query, "status"), path=query.get("path"),
                                     limit=_int(query, "limit"))
        return {"calls": calls, "count": len(calls), "last_seq": self.world.seq}

    def messages(self, query, body):
        messages = self.world.message_list(channel=query.get("channel"), team=query.get("team"),
                                           since_ts=query.get("since_ts"))
        return {"messages": messages, "count": len(messages)}

    def inject_message(self, query, body):
        return {"message": self.world.inject_message(body)}

    def callbacks(self, query, body):
        calls = self.world.callback_list(since=_int(query, "since"), type_=query.get("type") or None)
        return {"callbacks": calls, "count": len(calls), "last_seq": self.world.callback_seq}

    def callback_status(self, query, body):
        self.world.set_callback_status(body.get("status", 200))
        return {"status": self.world.callback_status}

    def record_callback(self, headers, raw, client):
        """The sink: (HTTP status, JSON-able body)."""
        entry = self.world.record_callback(headers, raw, client)
        return entry["status"], {"ok": 200 <= entry["status"] < 300, "seq": entry["seq"]}

    def stats(self, query, body):
        return {"stats": self.world.stats_snapshot()}
