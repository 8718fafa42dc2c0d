#!/usr/bin/python3
"""Mock Slack for the mod_nexte_slack tests: Slack's Web API, OAuth and response_url on loopback.

    python3 t/mock_slack/mock_slack.py --api-port N --control-port M [--host 127.0.0.1]
                                       [--log FILE] [--pidfile FILE] [--max-calls N]

Port 0 picks a free port; the chosen ports are printed, once both listen, as
`READY api=N control=M`. SIGTERM or SIGINT stops it cleanly (exit status 0).
Python 3 standard library only. Full documentation: t/mock_slack/README.md.

API PORT (what the module calls; answers shaped like real Slack)
  GET  /oauth/v2/authorize       consent stand-in: 302 to redirect_uri with code+state (or error=...)
  POST /api/oauth.v2.access      code and refresh_token grants; client auth by Basic or form fields
  POST /api/chat.postMessage     Block Kit validation, membership, archive, per-channel rate limit
  POST /api/chat.update          same checks; only the bot's own messages
  POST /api/auth.test            identity of the token
  POST /api/auth.revoke          revokes the token (test=true: answers revoked=false, keeps it)
  GET|POST /api/conversations.list  types, exclude_archived, limit, cursor pagination
  POST /api/api.test             echoes its arguments
  POST /response/<id>            response_url targets created through the control API; text answers
Web API errors are HTTP 200 {"ok":false,"error":code}; rate limits are HTTP 429 + Retry-After.

CONTROL PORT (JSON in and out; every answer has "ok")
  GET  /_mock/health             {"api_port","control_port","api_listening","outage","pid","uptime_ms"}
  POST /_mock/reset              forget everything (calls, stats, messages, tokens, modes); re-seed defaults
  POST /_mock/seed               merge a seed document (omitted parts unchanged; "replace":true resets first):
        {"app": {"client_id","client_secret","signing_secret","app_id","name","default_scopes","redirect_uris"},
         "token_rotation": {"enabled": bool, "expires_in": seconds},
         "rate_limit": {"enabled": bool, "rate": msgs_per_s, "burst": n},
         "default_team": "T..",
         "teams": [{"id","name","domain","bot_user_id","bot_id","installer_user_id","inactive",
                    "channels": [channel...], "filler_channels": {"count","name_prefix","id_prefix"},
                    "tokens": ["xoxb-fixed-token", ...]}],
         "channels": [{"id","team","name","is_private","is_archived","is_member","num_members","delete"}],
         "recording": {"max_calls": n, "max_messages": n, "bodies": bool}}
  GET  /_mock/config             the current app, rotation, rate limit, teams, recording settings
  POST /_mock/mode               a failure-mode rule (below); GET /_mock/mode lists the rules
  POST /_mock/decision           next consent decision, one-shot:
        {"decision": "allow"|"deny"|"error", "error": code, "team"|"next_install_team": "T..",
         "scopes": "granted,scopes", "user_id": "U.."}   or {"clear": true}
  POST /_mock/token              {"action":"revoke"|"expire"|"unexpire"|"scopes","token":..., "scopes":...}
                                 {"action":"inactive"|"active","team":"T..","value":bool}
                                 {"action":"create","team":"T..","scopes":...,"token":...,"rotating":bool}
  GET  /_mock/tokens?team=T..    tokens with their state
  POST /_mock/channel            create/update one channel (flags: is_archived, is_private, is_member, name,
                                 num_members; "delete": true); GET /_mock/channels?team=T..
  POST /_mock/response_url       {"channel","ts","id"?,"max_uses"?,"lifetime_s"?} -> {"id","url"}
  GET  /_mock/calls?method=&channel=&since=SEQ&token=&status=&path=&limit=   calls with seq > since
  GET  /_mock/messages?channel=&team=&since_ts=     stored messages, oldest first
  POST /_mock/messages           inject a message by someone else {"channel","text","user","ts"?}
  GET  /_mock/stats              calls by method/status, error codes, rate violations (total, per channel),
                                 429s sent (violations vs forced), injected failures, messages, tokens, oauth
  POST /_mock/callbacks          callback sink (stands in for Nexte core): keeps headers + raw body, answers 200
  GET  /_mock/callbacks?since=SEQ&type=   what the sink received; POST /_mock/callbacks/status {"status": N}

FAILURE MODES (POST /_mock/mode)
  {"mode": M, "method": "chat.postMessage"?, "channel": "C.."?, "count": K?, "duration_ms": D?,
   "delay_ms": D?, "apply": bool?, ...}
  Scope: global by default; "method" and/or "channel" narrow it; the most specific rule wins
  (method+channel > channel > method > global). "count": only the next K matching calls.
  "duration_ms": the rule lapses by itself. "apply": the call takes effect (message stored) before
  the failure is returned, like Slack's internal_error that may have posted anyway.
  Methods are Web API names, plus "oauth.v2.authorize" and "response_url".
    normal        no scope: remove every rule (and end an outage); with a scope: remove that rule
    outage        global only: close the API listener (connects refused, open connections cut);
                  any global mode change, reset, or duration_ms end reopens it on the same port
    unavailable   HTTP 503, HTML body ("retry_after" adds a Retry-After header)
    error5xx      HTTP 500 then 502 alternately ("status": fixed status instead)
    ratelimit     HTTP 429, Retry-After "retry_after" (default 1), {"ok":false,"error":"ratelimited"};
                  counted as forced 429s, not as rate violations
    slow          answer normally after "delay_ms" (default 1000)
    hang          read the request, never answer until the modes change or the client gives up
    slack_error   {"ok":false,"error": "error" (default internal_error)} with HTTP 200
    disconnect    read the request, close the connection without an answer
"""

import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (and none to .gitignore)

from mockslack.server import MockSlack  # noqa: E402  (needs the path above)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Mock Slack Web API for the mod_nexte_slack tests.")
    parser.add_argument("--api-port", type=int, required=True, help="Slack API port (0: pick a free one)")
    parser.add_argument("--control-port", type=int, required=True, help="control API port (0: pick a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address of both listeners (default 127.0.0.1)")
    parser.add_argument("--log", help="append a line per call and lifecycle event to this file")
    parser.add_argument("--pidfile", help="write the process id here; removed on exit")
    parser.add_argument("--max-calls", type=int, default=50000, help="calls kept for /_mock/calls (oldest dropped)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    mock = MockSlack(args.host, args.api_port, args.control_port, args.log, args.max_calls)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: mock.stop_event.set())
    mock.start()
    if args.pidfile:
        with open(args.pidfile, "w", encoding="ascii") as pidfile:
            pidfile.write(f"{os.getpid()}\n")
    info = mock.listener_info()
    try:
        print(f"READY api={info['api_port']} control={info['control_port']}", flush=True)
    except OSError:
        pass  # nobody reads stdout: the ports were given, so the mock is still usable
    # Wake up regularly: signal handlers run in the main thread only between waits.
    while not mock.stop_event.wait(0.5):
        pass
    mock.shutdown()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
