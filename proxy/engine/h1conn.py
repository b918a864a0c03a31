"""Sans-IO HTTP/1 exchange: one client connection's protocol state, no sockets, no clock.

Theory of operation
-------------------
``H1Exchange`` is what h11's ``Connection`` or a mitmproxy layer is to their
drivers: it is *fed* events -- client bytes, server bytes, EOFs, a lost
connection, a timer expiry -- and answers with *effects* -- send to the
client, send to the server, "I need a server connection", pause/resume
reading the client, arm the timer, abort the server connection, close
with a termination state, "the exchange is over: give the server connection
back (pooled or closed), account and log it".
The asyncio driver (``http.HttpSession``) owns the transports, the routing,
the balancing, the pool, the cookies, the counters and the log; this class
owns keep-alive, pipelining, body framing, 1xx, upgrades, timeouts and the
retry of a reused server connection, and can be driven from a test with
plain bytes and a fake clock (tests/proxy/engine/test_h1conn.py).

Effects are *calls* on the driver (``H1Driver``), made the moment the
exchange decides them, not a returned list.  A keep-alive request makes
about 7; measured with timeit here, 7 effects cost 1.10 us as ``(kind,
data)`` records appended to a reused list and dispatched by the driver
(1.28 us with two parallel lists and no tuples), 0.36 us as direct calls --
the cheaper design, at ~21 us of Python per request.  The playbook tests
get their effect list by giving the exchange a recording driver.  Routing stays outside: ``H1Driver.route`` is the driver's strategy
for a complete request head (it answers locally through ``respond`` /
``close`` and returns None, or returns the head to forward).

Each side has an explicit state.  Client side (the request)::

    C_HEAD ──head parsed──> C_BODY ──body complete──> C_DONE
      ^   (no body) ─────────────────────────────────>  │
      │                                                 │
      └──────── exchange finished, keep-alive <─────────┘
    C_BODY/C_DONE ──101 / CONNECT 2xx──> C_TUNNEL
    any ──close / abort / client lost──> C_CLOSED

Server side (the response)::

    S_IDLE ──route() forwards──> S_CONNECTING ──server_connected──> S_HEAD
    S_HEAD ──1xx──> S_HEAD (forwarded)
    S_HEAD ──final head──> S_BODY ──body complete──> S_IDLE (exchange finished)
    S_HEAD ──final head, no body──> S_IDLE
    S_HEAD ──101 / CONNECT 2xx──> S_TUNNEL
    S_HEAD ──reused connection lost, request replayable──> S_CONNECTING (once)
    S_CONNECTING/S_HEAD ──local answer (fail/respond)──> S_IDLE

Transition table (what each input does per state; anything not listed is
ignored or buffered):

=================  ===========================================================
input              effect
=================  ===========================================================
client bytes       C_HEAD: parse heads (pipelined ones wait in ``buf`` until the
                   response is done, so responses go out in request order);
                   C_BODY + server attached: forward body bytes as byte ranges;
                   C_TUNNEL: send to server; otherwise buffer (pause > 64 KiB)
client EOF         C_HEAD: close ("--" between requests, "CR" mid-head);
                   C_TUNNEL: shut down the server side; else finish, then close
client lost        close, "CD" when an exchange was in flight
server bytes       S_HEAD: parse 1xx/final/101 heads; S_BODY: relay the body;
                   S_TUNNEL: send to client
server EOF         S_BODY until close: response done; S_TUNNEL: shut down client
server lost        S_HEAD: retry a reused connection once, else 502 (SH);
                   S_BODY framed: abort "SD"; S_TUNNEL: close "--"
timer              C_HEAD: 408 "cR" (or close "--" when idle between requests);
                   S_HEAD: 504 "sH"; S_BODY: abort "sD"; C_TUNNEL: close "cD"
=================  ===========================================================

A request refused by the head parser (``HttpError``), or whose chunked body
bytes buffered with the head are malformed, is answered with HAProxy's error
page and the connection closed; ``route`` is never called for it, so it
never reaches a server.  Timeouts: ``timeout http-request`` (or ``client``)
while a head arrives, ``http-keep-alive`` between requests, ``server`` while
waiting for or relaying a response, ``tunnel`` after an upgrade; none while
the driver finds a server (queue and connect have their own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol, final

from proxy.engine import http1
from proxy.engine.http1 import HttpError, RequestHead, ResponseHead
from proxy.engine.runtime import Timeouts

__all__ = [
    "C_BODY", "C_CLOSED", "C_DONE", "C_HEAD", "C_TUNNEL", "MAX_BUFFER",
    "S_BODY", "S_CONNECTING", "S_HEAD", "S_IDLE", "S_TUNNEL", "H1Driver", "H1Exchange",
]

MAX_BUFFER: Final = 64 * 1024  # client bytes buffered ahead (pipelining, early body) before pausing

# client side
C_HEAD: Final = 0
C_BODY: Final = 1
C_DONE: Final = 2
C_TUNNEL: Final = 3
C_CLOSED: Final = 4
# server side
S_IDLE: Final = 0
S_CONNECTING: Final = 1
S_HEAD: Final = 2
S_BODY: Final = 3
S_TUNNEL: Final = 4


class H1Driver(Protocol):
    """The effects an exchange asks for, and the strategies it leaves to its driver."""

    def send_client(self, data: bytes) -> None: ...
    def send_server(self, data: bytes) -> None: ...
    def shutdown_client(self) -> None: ...  # half-close towards the client (tunnel)
    def shutdown_server(self) -> None: ...  # half-close towards the server (tunnel)
    def pause_client(self) -> None: ...
    def resume_client(self) -> None: ...
    def set_deadline(self, seconds: float | None, now: float) -> None: ...  # None: no timeout

    def route(self, head: RequestHead) -> bytes | None:
        """Strategy for a complete request head: the head to forward (then the exchange
        asks ``need_server``), or None once the driver answered through ``respond``/``close``.
        It sets ``server_timeouts`` to the chosen backend's timeouts."""
        ...

    def need_server(self, fresh: bool) -> None:
        """Find a server connection and call ``server_connected`` (or ``fail``).
        ``fresh``: the reused one died unanswered; a new connection to the same server."""
        ...

    def response_head(self, resp: ResponseHead) -> None: ...  # response rules, cookies
    def abort_server(self) -> None: ...
    def server_error(self, status: int, count_error: bool) -> bytes: ...  # count, give the page
    def bad_request(self, started: bool) -> None: ...  # count a refused request (ereq)

    def exchange_done(self, proxied: bool, now: float, keep: bool, reusable: bool) -> None:
        """The exchange is over: release the server connection (to the pool when
        ``reusable``, else closed), account for and log it (``proxied``: a server answered).
        One effect rather than "release" + "log": a call less per request."""
        ...

    def close(self, termination: str) -> None: ...
    def abort_both(self, termination: str) -> None: ...  # both at once, server side failed


@final
class _Detached:
    """The driver of a closed exchange: swallows late effects.  Swapping it in on close breaks
    the driver <-> exchange reference cycle, so a closed session is freed by its reference
    count at once instead of waiting for the cyclic GC (measured: with the cycle, 200
    connection-per-request sessions stayed alive until a collection)."""

    __slots__ = ()

    def send_client(self, data: bytes) -> None: pass
    def send_server(self, data: bytes) -> None: pass
    def shutdown_client(self) -> None: pass
    def shutdown_server(self) -> None: pass
    def pause_client(self) -> None: pass
    def resume_client(self) -> None: pass
    def set_deadline(self, seconds: float | None, now: float) -> None: pass
    def route(self, head: RequestHead) -> bytes | None: return None
    def need_server(self, fresh: bool) -> None: pass
    def response_head(self, resp: ResponseHead) -> None: pass
    def abort_server(self) -> None: pass
    def server_error(self, status: int, count_error: bool) -> bytes: return b""
    def bad_request(self, started: bool) -> None: pass
    def exchange_done(self, proxied: bool, now: float, keep: bool, reusable: bool) -> None: pass
    def close(self, termination: str) -> None: pass
    def abort_both(self, termination: str) -> None: pass


_DETACHED: Final[H1Driver] = _Detached()


@final
class H1Exchange:
    """The HTTP/1 protocol state of one client connection (see the module docstring)."""

    __slots__ = (
        "accept_any_payload", "buf", "bytes_in", "bytes_out", "client", "client_timeouts", "clock",
        "fwd_head", "io", "keep_alive", "paused", "pumping", "rbuf",
        "req", "req_body_sent", "req_remaining", "req_scanner", "requests", "resp",
        "resp_remaining", "resp_scanner", "response_hook", "retried_reuse", "reused", "server",
        "server_timeouts", "status", "t_head", "t_response", "t_routed", "t_start", "termination",
        "tunnel_timeout",
    )

    def __init__(self, io: H1Driver, clock: Callable[[], float], timeouts: Timeouts,
                 *, accept_any_payload: bool = False) -> None:
        self.io = io
        self.clock = clock
        self.client_timeouts = timeouts
        self.accept_any_payload = accept_any_payload
        self.buf = b""
        self.requests = 0
        self.pumping = False
        self.paused = False
        self.t_start = 0.0
        self.t_routed = 0.0
        self.tunnel_timeout: float | None = None
        # Whether the driver wants ``response_head`` (it has response rules or cookies); set
        # by ``route`` with ``server_timeouts``.  A call saved on every plain response.
        self.response_hook = False
        self._reset()

    def _reset(self) -> None:
        """Per-exchange state back to "waiting for a request" (only what an exchange changed
        needs resetting, but one flat list of stores is cheaper than tracking that)."""
        self.client = C_HEAD
        self.server = S_IDLE
        self.req: RequestHead | None = None
        self.resp: ResponseHead | None = None
        self.server_timeouts: Timeouts | None = None
        self.fwd_head = b""
        self.req_remaining = 0
        self.req_scanner: http1.ChunkedScanner | None = None
        self.req_body_sent = False
        self.rbuf = b""
        self.resp_remaining = -1  # -1: until close
        self.resp_scanner: http1.ChunkedScanner | None = None
        self.keep_alive = False
        self.status: int | None = None
        self.termination = "--"
        self.bytes_in = 0
        self.bytes_out = 0
        self.reused = False
        self.retried_reuse = False
        self.t_head = -1
        self.t_response = -1

    # ================================================================ inputs: client
    def start(self, now: float) -> None:
        """The client connected at ``now``: the first head has ``timeout http-request``."""
        self.t_start = now
        timeouts = self.client_timeouts
        self.io.set_deadline(timeouts.http_request or timeouts.client, now)

    def client_data(self, data: bytes) -> None:
        client = self.client
        if client == C_TUNNEL:
            self.bytes_in += len(data)
            self.io.send_server(data)
            self.io.set_deadline(self.tunnel_timeout, self.clock())
            return
        if client == C_BODY and not self.buf and self.server >= S_HEAD:
            self._forward_body(data)  # the bulk path: no buffering, no copy
            return
        if client == C_HEAD and not self.buf and self.requests:
            now = self.t_start = self.clock()  # first byte of a keep-alive request
            timeouts = self.client_timeouts
            self.io.set_deadline(timeouts.http_request or timeouts.client, now)
        self.buf = self.buf + data if self.buf else data
        if len(self.buf) > MAX_BUFFER and client != C_HEAD:
            self.paused = True
            self.io.pause_client()
        self._pump()

    def client_eof(self) -> bool:
        """The client half-closed; True to keep the transport open for the response."""
        client = self.client
        if client == C_TUNNEL:
            self.io.shutdown_server()
            return True
        if client == C_HEAD:
            self._close("--" if not self.buf and self.requests else "CR")
            return False
        # the request is in flight: let the response finish (HAProxy's default, no
        # abortonclose), then close.
        self.keep_alive = False
        return True

    def client_lost(self) -> None:
        if self.client == C_CLOSED:
            return
        aborted = self.server != S_IDLE or self.client == C_TUNNEL
        self._close("CD" if aborted and self.termination == "--" else self.termination)

    def timer_expired(self) -> None:
        client, server = self.client, self.server
        if client == C_HEAD:
            if self.buf or not self.requests:
                self.io.bad_request(False)
                self.termination = "cR"
                self._respond(http1.early_error_response(408), 408, close=True)
            else:
                self._close("--")
        elif client == C_TUNNEL:
            self._close("cD")
        elif server == S_HEAD:
            self.fail(504, "sH")
        elif server == S_BODY:
            self._abort("sD")

    def idle(self) -> bool:
        """Between requests with nothing buffered: closing now loses nothing."""
        return self.client == C_HEAD and not self.buf

    # -- consuming buffered client bytes ---------------------------------------------
    def _pump(self) -> None:
        if self.pumping:
            return
        self.pumping = True
        try:
            while True:
                client = self.client
                if client == C_HEAD and self.buf:
                    if not self._read_head():
                        break
                elif client == C_BODY and self.buf and self.server >= S_HEAD:
                    data, self.buf = self.buf, b""
                    self._forward_body(data)
                else:
                    break
        finally:
            self.pumping = False
        if self.paused and len(self.buf) < MAX_BUFFER:
            self.paused = False
            self.io.resume_client()

    def _read_head(self) -> bool:
        """Parse one request head from ``buf``; True when the loop should go on."""
        try:
            head = http1.parse_request_head(self.buf, accept_any_payload=self.accept_any_payload)
        except HttpError as exc:
            self._refuse(exc.status, started=False)
            return False
        if head is None:
            return False
        self.buf = self.buf[head.head_size:]
        self.bytes_in = head.head_size  # HAProxy's bytes in count the head too
        self._start_request(head)
        return True

    def _refuse(self, status: int, *, started: bool) -> None:
        """HAProxy answers a malformed request itself, counts ereq, and closes."""
        self.io.bad_request(started)
        self.status = status
        self.termination = "PR" if status != 408 else "cR"
        self._respond(http1.early_error_response(status), status, close=True)

    def _start_request(self, head: RequestHead) -> None:
        self.req = head
        self.requests += 1
        now = self.t_routed = self.clock()
        self.t_head = int((now - self.t_start) * 1000)
        self.keep_alive = head.keep_alive and not head.close_after_response
        # The request timer is left running while the driver routes, queues and connects
        # (they have their own timeouts): timer_expired ignores those states, and that costs
        # nothing where disarming it cost a call per request.
        if head.chunked:
            self.req_scanner = http1.ChunkedScanner(error_status=400)
            self.client = C_BODY
            # A framing error in the body bytes that came with the head is answered 400
            # with nothing forwarded (as HAProxy, which parses the buffer before forwarding).
            if self.buf:
                try:
                    http1.ChunkedScanner(error_status=400).feed(self.buf)
                except HttpError as exc:
                    self._refuse(exc.status, started=False)
                    return
        elif head.content_length:
            self.req_remaining = head.content_length
            self.client = C_BODY
        else:
            self.client = C_DONE
        forward = self.io.route(head)
        if forward is None:
            return  # answered (or closed) by the driver
        self.fwd_head = forward
        self.server = S_CONNECTING
        self.io.need_server(False)

    def _forward_body(self, data: bytes) -> None:
        """Send request body bytes; whatever follows the body stays buffered (pipelining)."""
        self.bytes_in += len(data)
        scanner = self.req_scanner
        if scanner is not None:
            try:
                upto, done = scanner.feed(data)
            except HttpError as exc:
                self._bad_request_body(exc.status)
                return
        else:
            upto = min(self.req_remaining, len(data))
            self.req_remaining -= upto
            done = self.req_remaining == 0
        self.io.send_server(data if upto == len(data) else data[:upto])
        self.req_body_sent = True
        if done:
            self.client = C_DONE
            if upto < len(data):
                self.buf = data[upto:] + self.buf
        timeouts = self.server_timeouts
        if timeouts is not None:
            self.io.set_deadline(timeouts.server, self.clock())

    def _bad_request_body(self, status: int) -> None:
        self.io.bad_request(True)
        self.termination = "CD"
        self.io.abort_server()
        if self.server == S_HEAD:  # nothing of a response yet: answer it
            self.status = status
            self.server = S_IDLE
            self._respond(http1.error_response(status), status, close=True)
        else:
            self._close("CD")

    # ================================================================ inputs: driver
    def server_connected(self, reused: bool) -> None:
        """A server connection is attached (``reused``: it came from the pool)."""
        self.reused = reused
        self.server = S_HEAD
        self.io.send_server(self.fwd_head)
        timeouts = self.server_timeouts
        # A pooled connection arrives while the request is being read (pumping): its clock
        # reading is still current, one clock call less per request.
        now = self.t_routed if self.pumping else self.clock()
        self.io.set_deadline(timeouts.server if timeouts is not None else None, now)
        self._pump()

    def respond(self, response: bytes, status: int, *, close: bool) -> None:
        """The driver answers without a server (deny, redirect, return, stats, 503)."""
        self._respond(response, status, close=close)

    def fail(self, status: int, termination: str, *, count_error: bool = True) -> None:
        """No response from a server will come: answer ``status`` ourselves."""
        self.termination = termination
        self.io.abort_server()
        page = self.io.server_error(status, count_error)
        self.keep_alive = self.keep_alive and self.client == C_DONE
        self._respond(page, status, close=not self.keep_alive)

    def close(self, termination: str) -> None:
        """The driver closes the connection without an answer (``tcp-request reject``...)."""
        self._close(termination)

    # ================================================================ inputs: server
    def server_data(self, data: bytes) -> None:
        server = self.server
        if server == S_BODY:
            self._relay_response_body(data)
        elif server == S_HEAD:
            self.rbuf = self.rbuf + data if self.rbuf else data
            self._read_response_head()
        elif server == S_TUNNEL:
            self.bytes_out += len(data)
            self.io.send_client(data)
            self.io.set_deadline(self.tunnel_timeout, self.clock())

    def server_eof(self) -> None:
        server = self.server
        if server == S_TUNNEL:
            self.io.shutdown_client()
        elif server == S_BODY and self.resp_remaining < 0 and self.resp_scanner is None:
            self._response_done(server_closed=True)

    def server_lost(self) -> None:
        if self.client == C_CLOSED:
            return
        server = self.server
        if server == S_TUNNEL:
            self._close("--")
        elif server == S_BODY and self.resp_remaining < 0 and self.resp_scanner is None:
            self._response_done(server_closed=True)
        elif server == S_HEAD:
            if not self._retry_fresh():
                self._bad_response(truncated=True)
        else:
            self._abort("SD")

    def _retry_fresh(self) -> bool:
        """A reused connection closed under an unanswered, replayable request: try a new
        one, once (HAProxy retries "safe" reused connections the same way)."""
        replayable = not self.rbuf and self.client == C_DONE and not self.req_body_sent
        if not self.reused or self.retried_reuse or not replayable:
            return False
        self.retried_reuse = True
        self.server = S_CONNECTING
        self.io.need_server(True)
        return True

    def _read_response_head(self) -> None:
        req = self.req
        assert req is not None
        while self.server == S_HEAD and self.rbuf:
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
            if resp.status < 200:  # 1xx: forwarded as they come, the final head follows
                self._to_client(http1.render_response_head(resp, keep_alive=True,
                                                           request_version=req.version))
                continue
            self._start_response(resp)

    def _start_response(self, resp: ResponseHead) -> None:
        req = self.req
        assert req is not None
        self.resp = resp
        self.status = resp.status
        self.t_response = int((self.clock() - self.t_start) * 1000)
        if self.response_hook:
            self.io.response_head(resp)
        self.keep_alive = self.keep_alive and http1.client_keep_alive(req, resp)
        head = http1.render_response_head(resp, keep_alive=self.keep_alive,
                                          request_version=req.version)
        # (the hot paths write inline rather than through _to_client: a call less per write)
        if not resp.body_allowed or resp.content_length == 0:
            self.bytes_out += len(head)
            self.io.send_client(head)
            self._response_done()
            return
        rest, self.rbuf = self.rbuf, b""
        if resp.content_length == len(rest):  # the whole (small) response in one read
            data = head + rest  # one write, one syscall
            self.bytes_out += len(data)
            self.io.send_client(data)
            self._response_done()
            return
        self.server = S_BODY
        if resp.chunked:
            self.resp_scanner = http1.ChunkedScanner(error_status=502)
        elif resp.content_length is not None:
            self.resp_remaining = resp.content_length
        if rest:
            self._relay_response_body(rest, head)  # head and body in one write: one syscall
        else:
            self.bytes_out += len(head)
            self.io.send_client(head)

    def _relay_response_body(self, data: bytes, head: bytes = b"") -> None:
        scanner = self.resp_scanner
        if scanner is not None:
            try:
                upto, done = scanner.feed(data)
            except HttpError:
                if head:
                    self._to_client(head)
                self._abort("SD")
                return
        elif self.resp_remaining >= 0:
            upto = min(self.resp_remaining, len(data))
            self.resp_remaining -= upto
            done = self.resp_remaining == 0
        else:
            upto, done = len(data), False
        body = data if upto == len(data) else data[:upto]
        if head:
            body = head + body
        self.bytes_out += len(body)
        self.io.send_client(body)
        if done:
            self._response_done()
        else:
            timeouts = self.server_timeouts
            if timeouts is not None:
                self.io.set_deadline(timeouts.server, self.clock())

    def _to_client(self, data: bytes) -> None:
        self.bytes_out += len(data)
        self.io.send_client(data)

    def _start_tunnel(self, resp: ResponseHead) -> None:
        req = self.req
        assert req is not None
        self.status = resp.status
        self.resp = resp
        self.t_response = int((self.clock() - self.t_start) * 1000)
        self._to_client(http1.render_response_head(resp, keep_alive=True,
                                                   request_version=req.version))
        self.client = C_TUNNEL
        self.server = S_TUNNEL
        self.keep_alive = False
        self.tunnel_timeout = self._tunnel_timeout()
        rest, self.rbuf = self.rbuf, b""
        if rest:
            self._to_client(rest)
        pending, self.buf = self.buf, b""
        if pending:
            self.bytes_in += len(pending)
            self.io.send_server(pending)
        self.io.set_deadline(self.tunnel_timeout, self.clock())

    def _tunnel_timeout(self) -> float | None:
        """``timeout tunnel`` (backend, then frontend), else the smaller of client/server."""
        client = self.client_timeouts
        timeouts = self.server_timeouts or client
        tunnel = timeouts.tunnel or client.tunnel
        if tunnel is None:
            values = [v for v in (client.client, timeouts.server) if v is not None]
            tunnel = min(values) if values else None
        return tunnel

    # ================================================================ endings
    def _response_done(self, *, server_closed: bool = False) -> None:
        resp = self.resp
        request_done = self.client == C_DONE
        self.server = S_IDLE
        if not request_done:
            self.keep_alive = False  # the rest of the request body would be taken for a request
        self._finish(self.clock(), proxied=True, reusable=(
            not server_closed and resp is not None and resp.keep_alive and request_done
            and not self.rbuf))

    def _respond(self, response: bytes, status: int, *, close: bool) -> None:
        self.status = status
        self._to_client(response)
        if close or self.req is None or self.client == C_BODY:
            self.keep_alive = False  # (a body still coming cannot be resynchronised)
        self.server = S_IDLE
        self._finish(self.clock(), proxied=False, reusable=False)

    def _finish(self, now: float, *, proxied: bool, reusable: bool) -> None:
        """Account and log, then wait for the next (maybe pipelined) request or close."""
        keep = self.keep_alive and self.client != C_CLOSED
        self.io.exchange_done(proxied, now, keep, reusable)
        if not keep:
            self._close(self.termination)
            return
        self._reset()
        self.t_start = now  # a pipelined request starts now too
        timeouts = self.client_timeouts
        self.io.set_deadline(timeouts.http_keep_alive or timeouts.http_request or timeouts.client, now)
        if self.buf:
            self._pump()

    def _bad_response(self, *, truncated: bool = False) -> None:
        if self.bytes_out:  # part of a response already went out: nothing to answer
            self._abort("SH")
            return
        self.fail(502, "SH" if truncated else "PH")

    def _abort(self, termination: str) -> None:
        io = self._detach(termination)
        if io is not None:
            io.abort_both(termination)

    def _close(self, termination: str) -> None:
        io = self._detach(termination)
        if io is not None:
            io.close(termination)

    def _detach(self, termination: str) -> H1Driver | None:
        """End the exchange once: the driver it returns (None if it already ended) gets
        the last effect, and nothing reaches a driver after that."""
        if self.client == C_CLOSED:
            return None
        self.termination = termination
        self.client = C_CLOSED
        self.server = S_IDLE
        io, self.io = self.io, _DETACHED
        return io
