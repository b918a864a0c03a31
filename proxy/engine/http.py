"""``mode http``: one ``HttpSession`` per client connection, HTTP/1.0 and 1.1.

Theory of operation
-------------------
The session is a callback-driven state machine (no task per request: a
keep-alive request costs a few function calls, not coroutine switches)::

    HEAD ──parse──> routed ──> local answer (deny/redirect/return/503) ──┐
     ^                 │                                                 │
     │                 └─> server slot (maybe queued) ─> ServerConn      │
     │                       (pooled, or connected with retries)         │
     │                                  │                                │
     │      request head + body ───────>│  (body relayed as byte ranges) │
     │      <──── response head + body ─┘  (1xx forwarded, 101 -> TUNNEL)│
     └──────── keep-alive: next (maybe pipelined) request <──────────────┘

Client bytes land in ``self.buf`` and ``_pump`` consumes them according to
the state: parse a head, or forward request body bytes.  Bytes beyond the
current request (pipelining) stay in ``buf`` until the response is done, so
responses go out in request order.  Bodies are never parsed byte by byte:
Content-Length bodies are counted, chunked ones go through http1's
``ChunkedScanner`` which only reads the framing.

A request refused by the head parser (``HttpError``) is answered with
HAProxy's error page and the connection closed; it never reaches a server
and no other session is affected.  Timeouts use the session's lazy timer:
``timeout http-request`` (408) while a head arrives, ``timeout
http-keep-alive`` between requests, ``timeout server`` (504) while waiting
for a response, ``timeout tunnel`` after an upgrade.

A pooled server connection that dies before answering (the server closed it
while idle) is retried once on a fresh connection, as HAProxy does for
"safe" reused connections.  Connect errors use ``retries``/``redispatch``
(dispatch.py).  Backpressure: each side's ``pause_writing`` pauses reading
on the other side.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, cast

from proxy.engine import dispatch, http1, pool
from proxy.engine.acl import RequestContext
from proxy.engine.auth import Userlist
from proxy.engine.balance import KeyKind, request_key
from proxy.engine.dispatch import parse_ip
from proxy.engine.http1 import HttpError, RequestHead, ResponseHead
from proxy.engine.pool import ServerConn
from proxy.engine.runtime import Backend, Frontend, RuntimeServer, run_response_rules
from proxy.engine.session import Hub, LogEvent, SessionBase, Timings
from proxy.engine.tasks import spawn
from proxy.engine.tls import TlsInfo

__all__ = ["HttpSession"]

_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__
_VERSIONS = {(1, 1): "HTTP/1.1", (1, 0): "HTTP/1.0"}

_NEVER = float("inf")
_MAX_BUFFER = 64 * 1024  # client bytes buffered ahead (pipelining, early body) before pausing

# request/response phases
_HEAD, _ROUTING, _FORWARD, _TUNNEL, _CLOSING = "head", "routing", "forward", "tunnel", "closing"
_R_HEAD, _R_BODY, _R_DONE = 0, 1, 2


@functools.lru_cache(maxsize=4096)
def _ip_bytes(host: str) -> bytes:
    """The client address as header bytes, one shared object per distinct address (an idle
    connection should not carry its own copy; the same few clients recur)."""
    return host.encode()


class HttpSession(SessionBase):
    __slots__ = (
        "backend", "backend_open", "buf", "bytes_in", "bytes_out", "client_ip", "conn",
        "cookie_server", "cookie_valid", "ctx", "dst", "frontend", "fwd_head", "keep_alive",
        "paused_for_buffer",
        "pumping", "rbuf", "req", "req_body_sent", "req_done", "req_remaining", "req_scanner",
        "requests", "resp", "resp_remaining", "resp_scanner", "resp_state", "retried_reuse",
        "retries", "rule", "server", "slot", "src", "state", "status", "t_connect", "t_head",
        "t_queue", "t_response", "t_start", "termination", "tls",
    )

    def __init__(self, hub: Hub, frontend: Frontend, local: tuple[str, int] | None = None) -> None:
        super().__init__(hub, local)
        self.frontend = frontend
        self.buf = b""
        self.state = _HEAD
        self.requests = 0
        self.src: Any = None
        self.dst: Any = None
        self.pumping = False
        self.paused_for_buffer = False
        self.tls: TlsInfo | None = None  # set by the engine on "bind ... ssl", once per connection
        self._reset_exchange()

    def _reset_exchange(self) -> None:
        self.req: RequestHead | None = None
        self.ctx: RequestContext | None = None
        self.backend: Backend | None = None
        self.server: RuntimeServer | None = None
        self.conn: ServerConn | None = None
        self.slot = False
        self.backend_open = False
        self.fwd_head = b""
        self.req_remaining = 0
        self.req_scanner: http1.ChunkedScanner | None = None
        self.req_done = True
        self.req_body_sent = False
        self.resp: ResponseHead | None = None
        self.resp_state = _R_HEAD
        self.rbuf = b""
        self.resp_remaining = -1  # -1: until close
        self.resp_scanner: http1.ChunkedScanner | None = None
        self.keep_alive = False
        self.cookie_server: RuntimeServer | None = None
        self.cookie_valid = False
        self.rule = ""
        self.termination = "--"
        self.status: int | None = None
        self.bytes_out = 0
        self.bytes_in = 0
        self.retries = 0
        self.retried_reuse = False
        self.t_start = 0.0
        self.t_head = -1
        self.t_queue = -1
        self.t_connect = -1
        self.t_response = -1

    # ================================================================== client side
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: cast, don't assert
        self.transport = cast(asyncio.Transport, transport)
        self.record_addresses(transport)
        self.src, self.dst = parse_ip(self.client[0]), parse_ip(self.local[0])
        self.client_ip = _ip_bytes(self.client[0])  # for x-forwarded-for
        self.join()
        self.frontend.counters.session_opened()
        self.t_start = self.accepted_mono
        timeouts = self.frontend.timeouts
        self.set_deadline(timeouts.http_request or timeouts.client)

    def data_received(self, data: bytes) -> None:
        self.frontend.counters.bin += len(data)
        state = self.state
        if state == _TUNNEL:
            self.bytes_in += len(data)
            if self.conn is not None:
                self.conn.write(data)
            self._refresh_tunnel()
            return
        if state == _FORWARD and not self.req_done and not self.buf and self.conn is not None:
            self._forward_body(data)  # the bulk path: no buffering, no copy
            return
        if state == _HEAD and not self.buf and self.requests:
            now = self.t_start = self.loop.time()  # first byte of a keep-alive request
            timeouts = self.frontend.timeouts
            self.set_deadline(timeouts.http_request or timeouts.client, now)
        self.buf = self.buf + data if self.buf else data
        if len(self.buf) > _MAX_BUFFER and state != _HEAD and self.transport is not None:
            self.paused_for_buffer = True
            self.transport.pause_reading()
        self._pump()

    def eof_received(self) -> bool:
        if self.state == _TUNNEL and self.conn is not None and self.conn.transport is not None:
            if self.conn.transport.can_write_eof():
                self.conn.transport.write_eof()
            return True
        if self.state == _HEAD and not self.buf:
            self._close("--" if self.requests else "CR")
            return False
        if self.state == _HEAD:
            self._close("CR")
            return False
        # the client half-closed while its request is in flight: let the response finish
        # (HAProxy's default, no abortonclose), then close.
        self.keep_alive = False
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            aborted = self.state in (_ROUTING, _FORWARD) or (self.state == _TUNNEL)
            self._close("CD" if aborted and self.termination == "--" else self.termination)

    def pause_writing(self) -> None:
        if self.conn is not None and self.conn.transport is not None:
            self.conn.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.conn is not None and self.conn.transport is not None:
            self.conn.transport.resume_reading()

    # -- consuming buffered client bytes ---------------------------------------------
    def _pump(self) -> None:
        if self.pumping:
            return
        self.pumping = True
        try:
            while not self.closed:
                if self.state == _HEAD and self.buf:
                    if not self._read_head():
                        break
                elif self.state == _FORWARD and not self.req_done and self.buf and self.conn:
                    data, self.buf = self.buf, b""
                    self._forward_body(data)
                else:
                    break
        finally:
            self.pumping = False
        if self.paused_for_buffer and len(self.buf) < _MAX_BUFFER and self.transport is not None:
            self.paused_for_buffer = False
            self.transport.resume_reading()

    def _read_head(self) -> bool:
        """Parse one request head from ``buf``; True when the loop should go on."""
        try:
            head = http1.parse_request_head(
                self.buf, accept_any_payload=self.frontend.accept_any_payload)
        except HttpError as exc:
            self._reject_bad_request(exc.status)
            return False
        if head is None:
            return False
        self.buf = self.buf[head.head_size:]
        self.bytes_in = head.head_size  # HAProxy's bytes in count the head too
        self._start_request(head)
        return True

    def _reject_bad_request(self, status: int) -> None:
        """HAProxy answers a malformed head itself, counts ereq, and closes."""
        self.frontend.counters.ereq += 1
        if self.req is None:
            self.frontend.counters.request_started()
        self.status = status
        self.termination = "PR" if status != 408 else "cR"
        self._send_local(http1.early_error_response(status), status, close=True)

    # -- one request ------------------------------------------------------------------
    def _start_request(self, head: RequestHead) -> None:
        frontend = self.frontend
        self.req = head
        self.requests += 1
        self.t_head = int((self.loop.time() - self.t_start) * 1000)
        frontend.counters.request_started()
        ctx = RequestContext(
            self.src, self.client[1], self.dst, self.local[1], head.method, head.path,
            head.query, head.target, head.headers,
        )
        if self.tls is not None:
            self.tls.apply_to(ctx)
        self.ctx = ctx
        self.keep_alive = head.keep_alive
        self.deadline = _NEVER  # no timeout while routing; _attach arms "timeout server"
        if frontend.stats_uri is not None and head.target.startswith(frontend.stats_uri):
            self._serve_stats(frontend.stats_auth)
            return
        decision = frontend.decide(ctx)
        self.rule = decision.rule
        if decision.kind != "backend":
            self._answer_locally(decision.kind, decision.status, decision.response, decision.backend)
            return
        backend = decision.backend
        assert backend is not None
        self.backend = backend
        backend.counters.req_tot += 1  # HAProxy keeps no req_rate for backends
        backend.counters.session_opened()
        self.backend_open = True
        if ctx.target is not head.target and ctx.target is not None:
            head.target = ctx.target  # set-path rewrote it
        if head.chunked or head.content_length or head.close_after_response:
            self._frame_request_body(head)  # (a request without a body is already "done")
        if self.req_scanner is not None and self.buf and not self._chunks_look_valid():
            return
        self.fwd_head = self._render_forwarded(head, backend)
        self._choose_server(backend)

    def _answer_locally(self, kind: str, status: int, response: bytes, backend: Backend | None) -> None:
        counters = self.frontend.counters
        if kind == "reject":
            counters.dreq += 1
            self.termination = "PR"
            self._close("PR")
            return
        if kind == "deny":
            counters.dreq += 1
            self.termination = "PR"
        if kind == "none":
            status, response = 503, self._error_page(503, backend)
            self.termination = "SC"
        if kind in ("auth", "return", "redirect"):
            self.termination = "LR"  # answered locally while processing the request
        # a body the client is still sending cannot be resynchronised: close afterwards
        pending_body = bool(self.req and (self.req.chunked or self.req.content_length))
        self.status = status
        self._send_local(response, status, close=pending_body or not self.keep_alive)

    def _error_page(self, status: int, backend: Backend | None) -> bytes:
        custom = (backend.errorfiles.get(status) if backend else None) or \
            self.frontend.errorfiles.get(status)
        return custom or http1.error_response(status)

    def _frame_request_body(self, head: RequestHead) -> None:
        if head.chunked:
            self.req_scanner = http1.ChunkedScanner(error_status=400)
            self.req_done = False
        elif head.content_length:
            self.req_remaining = head.content_length
            self.req_done = False
        else:
            self.req_done = True
        if head.close_after_response:
            self.keep_alive = False

    def _chunks_look_valid(self) -> bool:
        """Scan the chunked body bytes that came with the head before any server sees the
        request: a framing error there is answered 400 with nothing forwarded (as HAProxy,
        which parses the whole buffer before forwarding)."""
        try:
            http1.ChunkedScanner(error_status=400).feed(self.buf)
        except HttpError as exc:
            self._release_slot()
            self.backend = None
            self._reject_bad_request(exc.status)
            return False
        return True

    def _render_forwarded(self, head: RequestHead, backend: Backend) -> bytes:
        forwardfor = self.frontend.forwardfor or backend.forwardfor
        xff: bytes | None = None
        if forwardfor is not None and not (
            forwardfor.except_net is not None and self.src in forwardfor.except_net
        ):
            if forwardfor.header.lower() == b"x-forwarded-for":
                xff = self.client_ip
            else:
                head.headers.append((forwardfor.header, self.client_ip))
        if backend.cookie is not None:
            self._read_persistence_cookie(head, backend)
        server_close = (self.frontend.server_close or backend.server_close) and head.upgrade is None
        return http1.render_request_head(
            head, forwardfor=xff, connection=b"close" if server_close else None
        )

    # -- cookie persistence ------------------------------------------------------------
    def _read_persistence_cookie(self, head: RequestHead, backend: Backend) -> None:
        settings = backend.cookie
        assert settings is not None
        by_cookie = {s.cookie.encode(): s for s in backend.servers if s.cookie}
        for index, (name, value) in enumerate(head.headers):
            if name.lower() != b"cookie":
                continue
            kept: list[bytes] = []
            for pair in value.split(b";"):
                key, _, val = pair.strip().partition(b"=")
                if key != settings.name:
                    kept.append(pair.strip())
                    continue
                prefix, sep, rest = val.partition(b"~")
                server = by_cookie.get(prefix if settings.mode == "prefix" else val)
                if server is not None:
                    self.cookie_server = server
                if settings.mode == "prefix" and sep:
                    kept.append(key + b"=" + rest)
                elif not (settings.mode == "insert" and settings.indirect):
                    kept.append(pair.strip())
            head.headers[index] = (name, b"; ".join(kept))
        head.headers[:] = [(n, v) for n, v in head.headers if n.lower() != b"cookie" or v]

    def _write_persistence_cookie(self, resp: ResponseHead, backend: Backend) -> None:
        settings = backend.cookie
        server = self.server
        if settings is None or server is None or not server.cookie:
            return
        value = server.cookie.encode()
        prefix = settings.name + b"="
        headers = resp.headers
        if settings.mode == "insert":
            if not settings.preserve:
                headers[:] = [(n, v) for n, v in headers
                              if not (n.lower() == b"set-cookie" and v.startswith(prefix))]
            if not (settings.indirect and self.cookie_valid):
                headers.append((b"set-cookie", prefix + value + settings.attributes))
                if settings.nocache:
                    headers.append((b"cache-control", b"private"))
            return
        for index, (name, cookie) in enumerate(headers):
            if name.lower() == b"set-cookie" and cookie.startswith(prefix):
                rest = cookie[len(prefix):]
                if settings.mode == "prefix":
                    headers[index] = (name, prefix + value + b"~" + rest)
                else:
                    _, semi, attrs = rest.partition(b";")
                    headers[index] = (name, prefix + value + semi + attrs)

    # -- server choice, queueing, connecting -----------------------------------------
    def _choose_server(self, backend: Backend) -> None:
        self.state = _ROUTING
        key = self._balance_key(backend)
        persistent = self.cookie_server
        if persistent is not None and persistent.up and not persistent.disabled:
            outcome = dispatch.assign_persistent(backend, persistent)
            self.cookie_valid = True
        else:
            outcome = dispatch.assign(backend, key)
        if outcome is dispatch.NO_SERVER:
            self._fail(503, "SC", count_error=False)
        elif outcome is dispatch.QUEUE:
            spawn(self._queue(backend, key), name="http-queue")
        else:
            assert isinstance(outcome, RuntimeServer)
            self._got_server(backend, outcome, key)

    def _balance_key(self, backend: Backend) -> bytes | None:
        if backend.balancer.key_kind is KeyKind.NONE:
            return None
        req = self.req
        assert req is not None
        return request_key(backend.balancer, src=self.src, target=req.target, headers=req.headers)

    async def _queue(self, backend: Backend, key: bytes | None) -> None:
        started = self.loop.time()
        server = await dispatch.wait_in_queue(backend, key, backend.timeouts.queue)
        self.t_queue = self.elapsed_ms(started)
        if server is None:
            self._fail(503, "sQ", count_error=False)
            return
        if self.closed:
            dispatch.release(backend, server)
            return
        self._got_server(backend, server, key)

    def _got_server(self, backend: Backend, server: RuntimeServer, key: bytes | None) -> None:
        self.server = server
        self.slot = True
        if self.t_queue < 0:
            self.t_queue = 0
        conn = pool.take(server, self)
        if conn is not None:
            self.t_connect = 0
            self._attach(conn)
        else:
            spawn(self._connect(backend, server, key), name="http-connect")

    async def _connect(self, backend: Backend, server: RuntimeServer, key: bytes | None) -> None:
        started = self.loop.time()
        try:
            _, conn, server, retries = await dispatch.connect(
                backend, server, lambda: ServerConn(server, self), dst_port=self.local[1], key=key,
                headers=self.req.headers if self.req is not None else None,
                client_sni=self.tls.ssl_fc_sni if self.tls is not None else None,
                direct=self.cookie_valid,
            )
        except dispatch.ConnectFailed as exc:
            self.slot = False
            self.server = exc.server
            self.retries = backend.retries
            self._fail(503, "SC", count_error=False)
            return
        self.retries += retries
        self.server = conn.server = server  # a redispatch may have moved the request
        self.t_connect = self.elapsed_ms(started)
        if self.closed or self.state != _ROUTING:
            conn.close()
            if self.slot:
                self.slot = False
                dispatch.release(backend, server)
            return
        self._attach(conn)

    def _attach(self, conn: ServerConn) -> None:
        """Send the request on ``conn`` and start waiting for the response."""
        self.conn = conn
        conn.owner = self
        self.state = _FORWARD
        self.resp_state = _R_HEAD
        conn.write(self.fwd_head)
        backend = self.backend
        assert backend is not None
        self.set_deadline(backend.timeouts.server)
        self._pump()

    def _forward_body(self, data: bytes) -> None:
        """Send request body bytes; whatever follows the body stays buffered (pipelining)."""
        self.bytes_in += len(data)
        conn = self.conn
        assert conn is not None
        if self.req_scanner is not None:
            try:
                upto, done = self.req_scanner.feed(data)
            except HttpError as exc:
                self._bad_request_body(exc.status)
                return
        else:
            upto = min(self.req_remaining, len(data))
            self.req_remaining -= upto
            done = self.req_remaining == 0
        conn.write(data if upto == len(data) else data[:upto])
        self.req_body_sent = True
        if done:
            self.req_done = True
            if upto < len(data):
                self.buf = data[upto:] + self.buf
        backend = self.backend
        if backend is not None:
            self.set_deadline(backend.timeouts.server)

    def _bad_request_body(self, status: int) -> None:
        self.frontend.counters.ereq += 1
        self.termination = "CD"
        if self.conn is not None:
            self.conn.abort()
            self.conn = None
        if self.resp_state == _R_HEAD:
            self.status = status
            self._release_slot()
            self._send_local(http1.error_response(status), status, close=True)
        else:
            self._close("CD")

    # ================================================================== server side
    def server_data(self, conn: ServerConn, data: bytes) -> None:
        if conn is not self.conn:
            conn.close()
            return
        state = self.resp_state
        if self.state == _TUNNEL:
            self._to_client(data)
            self._refresh_tunnel()
            return
        if state == _R_BODY:
            self._relay_response_body(data)
            return
        if state == _R_HEAD:
            self.rbuf = self.rbuf + data if self.rbuf else data
            self._read_response_head()

    def _read_response_head(self) -> None:
        req = self.req
        assert req is not None
        while self.resp_state == _R_HEAD and self.rbuf:
            try:
                resp = http1.parse_response_head(self.rbuf, request_method=req.method)
            except HttpError:
                self._bad_response()
                return
            if resp is None:
                return
            self.rbuf = self.rbuf[resp.head_size:]
            connect_ok = req.method == b"CONNECT" and 200 <= resp.status < 300
            if (resp.status == 101 and req.upgrade is not None) or connect_ok:
                self._start_tunnel(resp)
                return
            if resp.status < 200:
                self._to_client(http1.render_response_head(resp, keep_alive=True,
                                                           request_version=req.version))
                continue
            self._start_response(resp)

    def _start_response(self, resp: ResponseHead) -> None:
        req, backend, frontend, ctx = self.req, self.backend, self.frontend, self.ctx
        assert req is not None and backend is not None and ctx is not None
        self.resp = resp
        self.status = resp.status
        self.t_response = int((self.loop.time() - self.t_start) * 1000)
        if frontend.http_response_rules:
            run_response_rules(frontend.http_response_rules, ctx, resp.headers)
        if backend.http_response_rules:
            run_response_rules(backend.http_response_rules, ctx, resp.headers)
        if backend.cookie is not None:
            self._write_persistence_cookie(resp, backend)
        self.keep_alive = self.keep_alive and http1.client_keep_alive(req, resp)
        head = http1.render_response_head(resp, keep_alive=self.keep_alive,
                                          request_version=req.version)
        if not resp.body_allowed or resp.content_length == 0:
            self._to_client(head)
            self._response_done()
            return
        rest, self.rbuf = self.rbuf, b""
        if resp.content_length == len(rest):  # the whole (small) response in one read
            self._to_client(head + rest)  # one write, one syscall
            self._response_done()
            return
        self.resp_state = _R_BODY
        if resp.chunked:
            self.resp_scanner = http1.ChunkedScanner(error_status=502)
        elif resp.content_length is not None:
            self.resp_remaining = resp.content_length
        if rest:
            self._relay_response_body(rest, head)  # head and body in one write: one syscall
        else:
            self._to_client(head)

    def _relay_response_body(self, data: bytes, head: bytes = b"") -> None:
        if self.resp_scanner is not None:
            try:
                upto, done = self.resp_scanner.feed(data)
            except HttpError:
                if head:
                    self._to_client(head)
                self._abort_both("SD")
                return
        elif self.resp_remaining >= 0:
            upto = min(self.resp_remaining, len(data))
            self.resp_remaining -= upto
            done = self.resp_remaining == 0
        else:
            upto, done = len(data), False
        body = data if upto == len(data) else data[:upto]
        self._to_client(head + body if head else body)
        if done:
            self._response_done()
        elif self.backend is not None:
            self.set_deadline(self.backend.timeouts.server)

    def _to_client(self, data: bytes) -> None:
        self.bytes_out += len(data)
        self.frontend.counters.bout += len(data)
        if self.transport is not None:
            self.transport.write(data)

    def server_eof(self, conn: ServerConn) -> None:
        if conn is not self.conn:
            return
        if self.state == _TUNNEL:
            if self.transport is not None and self.transport.can_write_eof():
                self.transport.write_eof()
            return
        if self.resp_state == _R_BODY and self.resp_remaining < 0 and self.resp_scanner is None:
            self._response_done(server_closed=True)

    def server_lost(self, conn: ServerConn, exc: Exception | None) -> None:
        if conn is not self.conn or self.closed:
            return
        if self.state == _TUNNEL:
            self._close("--")
            return
        if self.resp_state == _R_BODY and self.resp_remaining < 0 and self.resp_scanner is None:
            self._response_done(server_closed=True)
            return
        if self.resp_state == _R_HEAD:
            if self._retry_fresh(conn):
                return
            self._bad_response(truncated=True)
            return
        self._abort_both("SD")

    def _retry_fresh(self, conn: ServerConn) -> bool:
        """A reused connection closed under an unanswered, replayable request: try a new one."""
        replayable = not self.rbuf and (self.req_done and not self.req_body_sent)
        if conn.requests == 0 or self.retried_reuse or not replayable:
            return False
        backend, server = self.backend, self.server
        assert backend is not None and server is not None
        self.retried_reuse = True
        self.conn = None
        self.state = _ROUTING
        spawn(self._connect(backend, server, None), name="http-reconnect")
        return True

    def server_paused(self, paused: bool) -> None:
        if self.transport is None:
            return
        if paused:
            self.transport.pause_reading()
        else:
            self.transport.resume_reading()

    # -- tunnel (Connection: upgrade -> 101) -------------------------------------------
    def _start_tunnel(self, resp: ResponseHead) -> None:
        req = self.req
        assert req is not None
        self.status = resp.status
        self.resp = resp
        self.t_response = self.elapsed_ms(self.t_start)
        self._to_client(http1.render_response_head(resp, keep_alive=True,
                                                   request_version=req.version))
        self.state = _TUNNEL
        self.keep_alive = False
        rest, self.rbuf = self.rbuf, b""
        if rest:
            self._to_client(rest)
        pending, self.buf = self.buf, b""
        if pending and self.conn is not None:
            self.bytes_in += len(pending)
            self.conn.write(pending)
        self._refresh_tunnel()

    def _refresh_tunnel(self) -> None:
        backend = self.backend
        timeouts = backend.timeouts if backend else self.frontend.timeouts
        tunnel = timeouts.tunnel or self.frontend.timeouts.tunnel
        if tunnel is None:
            values = [v for v in (self.frontend.timeouts.client, timeouts.server) if v is not None]
            tunnel = min(values) if values else None
        self.set_deadline(tunnel)

    # ================================================================== endings
    def _response_done(self, *, server_closed: bool = False) -> None:
        conn, self.conn = self.conn, None
        resp = self.resp
        reusable = (
            conn is not None and not server_closed and resp is not None and resp.keep_alive
            and self.req_done and not self.rbuf and self.backend is not None
            and not (self.backend.server_close or self.frontend.server_close)
        )
        if conn is not None:
            if reusable:
                pool.put(conn)
            else:
                conn.close()
        # Status and timing accounting inline rather than in a helper: it runs once per
        # proxied request, and its clock read also starts the next keep-alive wait.
        now = self.loop.time()
        status = self.status
        if status is not None:
            backend, server = self.backend, self.server
            self.frontend.counters.count_status(status)
            total = int((now - self.t_start) * 1000)
            response = max(self.t_response, 0)
            if backend is not None:
                backend.counters.count_status(status)
                backend.counters.timings.add(response, total)
            if server is not None:
                server.counters.count_status(status)
                server.counters.timings.add(response, total)
        if not self.req_done:
            self.keep_alive = False  # the rest of the request body would be taken for a request
        self._finish_exchange(now)

    def _finish_exchange(self, now: float | None = None) -> None:
        """Log, free the server slot, then wait for the next request or close.

        ``now``: the loop time when the caller has just read it."""
        keep = self.keep_alive and not self.closed
        if self.hub.log_wanted:
            self._log()
        self._count_bytes()
        self._release_slot()
        if not keep:
            self._close(self.termination)
            return
        self._reset_exchange()
        self.state = _HEAD
        if now is None:
            now = self.loop.time()
        self.t_start = now  # a pipelined request starts now too
        timeouts = self.frontend.timeouts
        self.set_deadline(timeouts.http_keep_alive or timeouts.http_request or timeouts.client, now)
        if self.buf:
            self._pump()

    def _count_bytes(self) -> None:
        """The exchange's bytes on its backend and server too (show stat's bin/bout)."""
        backend = self.backend
        if backend is None:
            return
        counters = backend.counters
        counters.bin += self.bytes_in
        counters.bout += self.bytes_out
        server = self.server
        if server is not None:
            counters = server.counters
            counters.bin += self.bytes_in
            counters.bout += self.bytes_out

    def _release_slot(self) -> None:
        if self.backend is not None and self.backend_open:
            self.backend_open = False
            self.backend.counters.session_closed()
        if self.slot and self.backend is not None and self.server is not None:
            self.slot = False
            dispatch.release(self.backend, self.server)

    def _send_local(self, response: bytes, status: int, *, close: bool) -> None:
        """Answer without a server (errors, deny, redirect, return)."""
        self.status = status
        self._to_client(response)
        self.frontend.counters.count_status(status)
        if close or self.req is None:
            self.keep_alive = False
        self.resp_state = _R_DONE
        if self.req is not None and not self.req_done:
            self.keep_alive = False
        self._finish_exchange()

    def _fail(self, status: int, termination: str, *, count_error: bool = True) -> None:
        """No response from a server will come: answer ``status`` ourselves."""
        if self.closed:
            self._release_slot()
            return
        self.termination = termination
        if self.conn is not None:
            self.conn.abort()
            self.conn = None
        backend = self.backend
        if count_error and backend is not None:
            backend.counters.eresp += 1
            if self.server is not None:
                self.server.counters.eresp += 1
        if backend is not None:
            backend.counters.count_status(status)
        self.keep_alive = self.keep_alive and self.req_done
        self._send_local(self._error_page(status, backend), status, close=not self.keep_alive)

    def _bad_response(self, *, truncated: bool = False) -> None:
        if self.bytes_out:  # part of a response already went out: nothing to answer
            self._abort_both("SH")
            return
        self._fail(502, "SH" if truncated else "PH")

    def _abort_both(self, termination: str) -> None:
        self.termination = termination
        backend = self.backend
        if backend is not None:
            backend.counters.eresp += 1
        if self.conn is not None:
            self.conn.abort()
            self.conn = None
        self._log()
        self._release_slot()
        self.abort()
        self._close(termination)

    def on_timeout(self) -> None:
        state = self.state
        if state == _HEAD:
            if self.buf or not self.requests:
                self.frontend.counters.ereq += 1
                self.frontend.counters.request_started()
                self.termination = "cR"
                self._send_local(http1.early_error_response(408), 408, close=True)
            else:
                self._close("--")
        elif state == _FORWARD and self.resp_state == _R_HEAD:
            self._fail(504, "sH")
        elif state == _FORWARD:
            self._abort_both("sD")
        elif state == _TUNNEL:
            self._close("cD")

    def _close(self, termination: str) -> None:
        if self.closed:
            return
        self.termination = termination
        self.state = _CLOSING
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
        self._release_slot()
        self.leave()
        self.frontend.counters.session_closed()
        if self.transport is not None:
            self.transport.close()

    def idle(self) -> bool:
        return self.state == _HEAD and not self.buf

    # -- stats page and logging ------------------------------------------------------------
    def _serve_stats(self, auth: tuple[Userlist, bytes] | None) -> None:
        from proxy.engine import stats as stats_mod

        self.rule = "stats uri"
        if auth is not None and auth[0].authenticate(self.req.headers if self.req else None) is None:
            self._answer_locally("auth", 401, auth[1], None)
            return
        provider = self.hub.stats_provider
        body = b""
        if provider is not None:
            body = stats_mod.render_html(provider(), refresh=None, title="Statistics Report")
        head = (b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncache-control: no-cache\r\n"
                b"content-length: %d\r\n\r\n" % len(body))
        self.status = 200
        self._send_local(head + body, 200, close=not self.keep_alive)

    def _log(self) -> None:
        if not self.hub.log_wanted or (self.req is None and self.status is None):
            return
        req, backend, server = self.req, self.backend, self.server
        frontend = self.frontend
        timings = _new_tuple(Timings, (
            self.t_head, self.t_queue, self.t_connect,
            self.t_response - max(self.t_head, 0) if self.t_response >= 0 else -1,
            self.elapsed_ms(self.t_start),
        ))
        # Built positionally, in LogEvent's field order (test_log_events_describe_each_request
        # checks every field by name): NamedTuple's keyword __new__ cost 2.1 us a request, this 0.6 us.
        event: LogEvent = _new_tuple(LogEvent, (
            self.accepted_at, self.client, frontend.name,
            backend.name if backend else frontend.name,
            server.name if server else "<NOSRV>",
            self.status, self.bytes_in, self.bytes_out, timings, self.rule, self.termination,
            req.method.decode("latin-1") if req else "",
            req.target.decode("latin-1") if req else "",
            (_VERSIONS.get(req.version) or f"HTTP/{req.version[0]}.{req.version[1]}") if req else "",
            self.hub.actconn, frontend.counters.scur,
            backend.counters.scur if backend else 0,
            server.active_conns if server else 0,
            self.retries, 0, 0,
        ))
        self.hub.emit(event)
