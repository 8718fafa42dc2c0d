"""HTTP/1.1 plumbing and process lifecycle of the mock Slack.

Two listeners: the API port (Slack semantics, see webapi.py) and the control port (control.py).
Both are ThreadingHTTPServers speaking HTTP/1.1 with keep-alive, because libcurl reuses
connections and the module's behaviour on a reused connection is part of what is tested.

The API listener can be closed and reopened on the same port: that is the `outage` mode, where
connects must be refused (not merely answered with errors) and established keep-alive
connections must break, as they would when Slack's edge goes away.
"""

import errno
import gc
import itertools
import json
import select
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .control import Control
from .webapi import Request, SlackAPI
from .world import World, wall_ms

MAX_BODY = 16 * 1024 * 1024
IDLE_KEEPALIVE_S = 300          # close idle keep-alive connections after this long
HANG_POLL_S = 0.1               # how often a hung request checks for release or a departed client
HOUSEKEEPING_S = 0.05           # expiry of duration-limited modes (e.g. a 3 s outage)
GC_FREEZE_S = 1.0               # see MockSlack._housekeeping


class Logger:
    """Optional line log (--log FILE) of calls and lifecycle events; errors also go to stderr."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.file = open(path, "a", buffering=1, encoding="utf-8") if path else None

    def write(self, line, error=False):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime()) + f".{int(time.time() * 1000) % 1000:03d}"
        with self.lock:
            if self.file:
                self.file.write(f"{stamp} {line}\n")
            if error:
                sys.stderr.write(f"mock_slack: {line}\n")
                sys.stderr.flush()

    def call(self, entry):
        if not self.file:
            return
        response = entry.get("response")
        error = response.get("error") if isinstance(response, dict) else None
        self.write(f"#{entry['seq']} {entry['http_method']} {entry['path']} -> {entry['status'] or entry['state']}"
                   + (f" error={error}" if error else "") + (f" channel={entry['channel']}" if entry["channel"] else "")
                   + (f" mode={entry['mode']}" if entry["mode"] else "") + f" {entry['duration_ms']}ms"
                   + f" conn={entry['conn_id']}/{entry['conn_request']}")

    def close(self):
        with self.lock:
            if self.file:
                self.file.close()
                self.file = None


class TrackingServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its open connections, so an outage can cut them."""

    daemon_threads = True
    block_on_close = False      # never wait for hung handlers when closing
    request_queue_size = 1024   # benchmarks open many connections at once

    def __init__(self, address, handler, app):
        self.app = app
        self.conn_lock = threading.Lock()
        self.conns = set()
        self.conn_ids = itertools.count(1)
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self.conn_lock:
            self.conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.conn_lock:
            self.conns.discard(request)
        super().shutdown_request(request)

    def drop_connections(self):
        with self.conn_lock:
            conns = list(self.conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
            return  # clients going away is normal for a mock that hangs and drops connections
        self.app.log.write("unhandled error:\n" + traceback.format_exc(), error=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # garbage request lines get a proper status line, not HTTP/0.9
    server_version = "mock-slack"
    sys_version = ""
    timeout = IDLE_KEEPALIVE_S

    def setup(self):
        super().setup()
        # Headers and body are written separately: without NODELAY, Nagle + delayed ACK add 40 ms stalls.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn_id = next(self.server.conn_ids)
        self.conn_requests = 0

    def log_message(self, format, *args):
        pass  # calls are logged with more detail by the mock itself

    def log_error(self, format, *args):
        self.server.app.log.write("http: " + (format % args))

    def do_GET(self):
        self._guarded()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _guarded(self):
        """A bug or a malformed request must cost one answer, never the server."""
        self.conn_requests += 1
        try:
            self.dispatch()
        except (ConnectionError, TimeoutError, socket.timeout):
            self.close_connection = True
        except Exception:
            self.server.app.log.write("error handling request:\n" + traceback.format_exc(), error=True)
            self.close_connection = True
            try:
                self.send_body(500, "application/json; charset=utf-8",
                               b'{"ok":false,"error":"mock_internal_error"}')
            except OSError:
                pass

    def read_body(self):
        """The request body, or None after an error answer (the connection is then closed)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
            if size < 0:
                raise ValueError
        except ValueError:
            self._refuse(400, "bad Content-Length")
            return None
        if size > MAX_BODY:
            self._refuse(413, "body too large")
            return None
        data = self.rfile.read(size)
        if len(data) < size:
            self.close_connection = True
            return None
        return data

    def _read_chunked(self):
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self._refuse(400, "bad chunk size")
                return None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                self._refuse(413, "body too large")
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _refuse(self, status, message):
        self.close_connection = True
        self.send_body(status, "text/plain; charset=utf-8", message.encode())

    def send_body(self, status, content_type, body, headers=()):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class ApiHandler(_Handler):
    """The Slack side: record the call, apply failure modes, answer with Slack semantics."""

    def dispatch(self):
        app = self.server.app
        world = app.world
        body = self.read_body()
        if body is None:
            return
        req = Request(self.command, self.path, self.headers, body, self.client_address, self.conn_id,
                      self.conn_requests)
        with world.lock:
            channel = app.api.scope_channel(req)
            entry = world.record_start({
                "time_ms": wall_ms(), "http_method": self.command, "path": req.path, "query": req.query,
                "method": req.method, "headers": dict(self.headers.items()), "token": req.token,
                "token_source": req.token_source, "content_type": req.content_type,
                "body": req.recorded_body() if world.record_bodies else None, "body_format": req.body_format,
                "channel": channel, "client": f"{self.client_address[0]}:{self.client_address[1]}",
                "conn_id": self.conn_id, "conn_request": self.conn_requests, "mode": None, "state": "pending",
                "status": None, "response": None, "duration_ms": None,
            })
        resp = self._answer(req, channel, entry)
        if resp is None:
            return
        if resp.action == "disconnect":
            world.record_end(entry, None, None, state="disconnected")
            app.log.call(entry)
            self.close_connection = True
            return
        # Record before sending: a test that reads /_mock/calls right after its answer must see it.
        world.record_end(entry, resp.status, resp.record)
        app.log.call(entry)
        try:
            self.send_body(resp.status, None, resp.body, resp.headers)
        except OSError:
            world.mark(entry, "send_failed")
            raise

    def _answer(self, req, channel, entry):
        """Apply failure-mode rules (delays and hangs included); None when the client is gone."""
        app, world = self.server.app, self.server.app.world
        applied = None  # a response computed early by a rule with "apply": the side effects happened once
        while True:
            if world.outage_active():
                # Arrived (or was parked) just as the outage began: it must not take effect.
                return self._gone(entry, "cut_by_outage")
            rule = world.pick_rule(req.method, channel)
            if rule is None:
                break
            entry["mode"] = rule["mode"]
            if rule["delay_ms"] and app.stop_event.wait(rule["delay_ms"] / 1000.0):
                return self._gone(entry, "aborted")
            if rule["mode"] != "hang":
                break
            if rule["apply"] and applied is None:
                applied = app.api.process(req)
            outcome = self._hang(rule["generation"])
            if outcome != "released":
                return self._gone(entry, outcome)
        if rule is None or rule["mode"] == "slow":
            return applied or app.api.process(req)
        if rule["apply"] and applied is None:
            app.api.process(req)
        return app.api.forced(req, rule)

    def _gone(self, entry, state):
        self.server.app.world.record_end(entry, None, None, state=state)
        self.server.app.log.call(entry)
        self.close_connection = True
        return None

    def _hang(self, generation):
        """Park until the failure modes change, the client gives up, or the mock stops."""
        world = self.server.app.world
        while True:
            with world.cond:
                if world.stopping:
                    return "aborted"
                if world.mode_generation != generation:
                    return "released"
                world.cond.wait(HANG_POLL_S)
            if self._client_gone():
                return "client_gone"

    def _client_gone(self):
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True


class ControlHandler(_Handler):
    """The test side: JSON in, JSON out."""

    def dispatch(self):
        app = self.server.app
        body = self.read_body()
        if body is None:
            return
        split = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        if self.command == "POST" and split.path.rstrip("/") == "/_mock/callbacks":
            # The callback sink: any body (kept raw, so tests can check its signature), any headers.
            status, result = app.control.record_callback(
                self.headers.items(), body, f"{self.client_address[0]}:{self.client_address[1]}")
            data = json.dumps(result).encode("utf-8")
            self.send_body(status, "application/json; charset=utf-8", data)
            return
        try:
            decoded = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            status, result = 400, {"ok": False, "error": "body is not valid JSON"}
        else:
            status, result = app.control.dispatch(self.command, split.path, query, decoded)
        if self.command == "POST":
            app.sync_listener()  # an outage must be in force (or over) when the control call returns
            if split.path.rstrip("/") in ("/_mock/mode", "/_mock/reset") and status == 200:
                result["outage"] = app.world.outage_active()
        data = json.dumps(result, ensure_ascii=False, default=str).encode("utf-8")
        self.send_body(status, "application/json; charset=utf-8", data)


class ApiListener:
    """The API port's server, which an outage closes and recovery reopens on the same port."""

    def __init__(self, app, host, port):
        self.app = app
        self.host = host
        self.port = port
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    @property
    def listening(self):
        return self.server is not None

    def open(self):
        with self.lock:
            if self.server is not None:
                return
            deadline = time.monotonic() + 5.0
            while True:
                try:
                    server = TrackingServer((self.host, self.port), ApiHandler, self.app)
                    break
                except OSError as err:
                    # The old socket may linger for a moment after close; SO_REUSEADDR covers TIME_WAIT.
                    if err.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            self.port = server.server_address[1]
            self.server = server
            self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                           name="api-listener", daemon=True)
            self.thread.start()

    def close(self):
        with self.lock:
            server, thread = self.server, self.thread
            self.server = self.thread = None
            if server is None:
                return
            server.shutdown()
            server.server_close()
            server.drop_connections()
            thread.join(timeout=5)


class MockSlack:
    def __init__(self, host, api_port, control_port, log_path=None, max_calls=50000):
        self.host = host
        self.log = Logger(log_path)
        self.world = World(max_calls=max_calls)
        self.api = SlackAPI(self.world)
        self.control = Control(self.world, self.listener_info)
        self.stop_event = threading.Event()
        self.sync_lock = threading.Lock()
        self.api_listener = ApiListener(self, host, api_port)
        self.control_server = TrackingServer((host, control_port), ControlHandler, self)
        self.threads = []

    def listener_info(self):
        return {"host": self.host, "api_port": self.api_listener.port,
                "control_port": self.control_server.server_address[1],
                "api_listening": self.api_listener.listening}

    def start(self):
        self.api_listener.open()
        for name, target, kwargs in (("control-listener", self.control_server.serve_forever, {"poll_interval": 0.05}),
                                     ("housekeeping", self._housekeeping, {})):
            thread = threading.Thread(target=target, kwargs=kwargs, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)
        self.log.write(f"started api={self.api_listener.port} control={self.control_server.server_address[1]}")

    def sync_listener(self):
        """Make the API listener match the modes: closed during an outage, open otherwise."""
        with self.sync_lock:
            want_open = not self.world.outage_active() and not self.stop_event.is_set()
            if want_open and not self.api_listener.listening:
                self.api_listener.open()
                self.log.write("api listener reopened")
            elif not want_open and self.api_listener.listening:
                self.api_listener.close()
                self.log.write("api listener closed")

    def _housekeeping(self):
        last_freeze = time.monotonic()
        while not self.stop_event.wait(HOUSEKEEPING_S):
            try:
                self.world.expire_rules()
                self.sync_listener()
                # Benchmarks store 100 000s of messages; the cyclic GC would rescan all of them and stall
                # every request for hundreds of ms. Frozen objects are skipped by the GC but still freed
                # by reference counting, and the mock's records hold no cycles, so nothing leaks.
                if time.monotonic() - last_freeze >= GC_FREEZE_S:
                    gc.freeze()
                    last_freeze = time.monotonic()
            except Exception:
                self.log.write("housekeeping error:\n" + traceback.format_exc(), error=True)

    def shutdown(self):
        self.stop_event.set()
        self.world.stop()
        with self.sync_lock:
            self.api_listener.close()
        self.control_server.shutdown()
        self.control_server.server_close()
        self.control_server.drop_connections()
        self.log.write("stopped")
        self.log.close()
