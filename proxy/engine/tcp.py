"""``mode tcp``: a bidirectional relay between a client and one server.

Theory of operation (one ``TcpSession`` per accepted connection)
-----------------------------------------------------------------
::

    ACCEPTED --tcp-request connection--> reject: close ("PR")
        | accept
        v
    INSPECTING (only with tcp-request content rules / inspect-delay):
        buffer client bytes; re-run the content rules on each arrival;
        reject -> close ("PR"); accept, or the delay expiring -> ROUTING
        v
    ROUTING: use_backend/default_backend -> dispatch.assign
        NO_SERVER -> close ("SC"); QUEUE -> wait_in_queue ("sQ" on timeout)
        v
    CONNECTING (retries, redispatch) -- failure -> close ("SC")
        v
    RELAYING: bytes go straight from one transport to the other.

Backpressure: when a transport's write buffer passes its high-water mark
asyncio calls ``pause_writing`` on *its* protocol, and we pause reading on
the *other* side until ``resume_writing``; so a fast sender never makes the
proxy buffer more than one high-water mark per direction.

Half-close: an EOF from one side becomes ``write_eof`` on the other (the
transport stays open for the reverse direction, ``eof_received`` returns
True); the session ends when both directions are shut or either side
resets.  A TLS transport cannot half-close (``can_write_eof()`` is False),
so an EOF towards a TLS side ends the session, pending bytes flushed.  Timeouts: each side's inactivity is checked against ``timeout
client``/``server`` (``client-fin``/``server-fin`` once a direction is
shut), or ``timeout tunnel`` for both once connected when it is set.

TLS: on a ``bind ... ssl`` the engine hands us the decrypted stream and the
connection's ``TlsInfo`` (``self.tls``) before ``connection_made``; it fills
the ``ssl_fc*`` fetches.  Passthrough (no ``ssl`` on the bind): while
INSPECTING, the buffered bytes go through ``parse_client_hello`` (re-parsed
only once the parser's ``need`` is reached) so ``req.ssl_sni`` and
``req_ssl_hello_type`` can route; a final "not TLS" answer stops parsing and
the content rules simply never match on it -- the connection then goes to the
default backend (or is rejected) when ``inspect-delay`` expires.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from proxy.engine import dispatch
from proxy.engine.acl import RequestContext
from proxy.engine.balance import request_key
from proxy.engine.clienthello import HelloStatus, parse_client_hello
from proxy.engine.dispatch import parse_ip
from proxy.engine.runtime import Backend, Frontend, RuntimeServer, TcpRule
from proxy.engine.session import Hub, LogEvent, SessionBase, Timings, is_notable
from proxy.engine.tasks import spawn
from proxy.engine.tls import TlsInfo

__all__ = ["TcpSession"]

_MAX_PENDING = 256 * 1024  # bytes buffered before a server connection exists
_HELLO_DONE = 1 << 62  # "need" once the ClientHello parser gave its final answer


class _ServerSide(asyncio.Protocol):
    """The server connection of a TCP session; every event is forwarded to the session."""

    __slots__ = ("session", "transport")

    def __init__(self, session: TcpSession) -> None:
        self.session = session
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: cast, don't assert
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.session.from_server(data)

    def eof_received(self) -> bool:
        return self.session.server_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.server_lost(exc)

    def pause_writing(self) -> None:
        if self.session.transport is not None:
            self.session.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.session.transport is not None:
            self.session.transport.resume_reading()


class TcpSession(SessionBase):
    __slots__ = (
        "backend", "bytes_in", "bytes_out", "client_eof", "ctx", "frontend", "hello_need",
        "last_client", "last_server", "pending", "pending_size", "retries", "rule", "server",
        "server_eof_seen", "server_side", "slot_held", "state", "t_connect", "t_queue",
        "termination", "tls",
    )

    def __init__(self, hub: Hub, frontend: Frontend, local: tuple[str, int] | None = None) -> None:
        super().__init__(hub, local)
        self.frontend = frontend
        self.backend: Backend | None = None
        self.server: RuntimeServer | None = None
        self.server_side: _ServerSide | None = None
        self.pending: list[bytes] = []
        self.pending_size = 0
        self.state = "accepted"
        self.ctx: RequestContext | None = None
        self.client_eof = False
        self.server_eof_seen = False
        self.bytes_in = 0
        self.bytes_out = 0
        self.last_client = self.last_server = self.accepted_mono
        self.termination = "--"
        self.rule = ""
        self.retries = 0
        self.t_queue = -1
        self.t_connect = -1
        self.slot_held = False
        self.tls: TlsInfo | None = None  # set by the engine on "bind ... ssl"
        self.hello_need = 1

    # -- client side ------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: cast, don't assert
        self.transport = cast(asyncio.Transport, transport)
        self.record_addresses(transport)
        self.join()
        self.frontend.counters.session_opened()
        self.ctx = RequestContext(
            parse_ip(self.client[0]), self.client[1], parse_ip(self.local[0]), self.local[1]
        )
        if self.tls is not None:
            self.tls.apply_to(self.ctx)
        # (an accept-proxy listener ran them on the real address: ``proxied``)
        verdict = "accept" if self.proxied else self._run_rules(
            self.frontend.tcp_connection_rules, final=True)
        if verdict == "reject":
            self.frontend.counters.dreq += 1
            self._end("PR")
            return
        if self.frontend.tcp_content_rules or self.frontend.inspect_delay:
            self.state = "inspecting"
            self.set_deadline(self.frontend.inspect_delay or 0.0)
            return
        self._route()

    def data_received(self, data: bytes) -> None:
        self.bytes_in += len(data)
        self.frontend.counters.bin += len(data)
        self.last_client = self.loop.time()
        side = self.server_side
        if side is not None and side.transport is not None:
            side.transport.write(data)
            return
        self.pending.append(data)
        self.pending_size += len(data)
        if self.pending_size > _MAX_PENDING and self.transport is not None:
            self.transport.pause_reading()
        if self.state == "inspecting":
            self._inspect(final=False)

    def eof_received(self) -> bool:
        self.client_eof = True
        side = self.server_side
        if side is not None and side.transport is not None:
            if side.transport.can_write_eof():
                side.transport.write_eof()
            if self.server_eof_seen or not side.transport.can_write_eof():
                self._end(self.termination)  # a TLS side cannot half-close: close (it flushes)
        elif self.state == "inspecting":
            self._inspect(final=True)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and self.termination == "--":
            self.termination = "CD"
        self._end(self.termination)

    def pause_writing(self) -> None:
        side = self.server_side
        if side is not None and side.transport is not None:
            side.transport.pause_reading()

    def resume_writing(self) -> None:
        side = self.server_side
        if side is not None and side.transport is not None:
            side.transport.resume_reading()

    # -- server side events ---------------------------------------------------------
    def from_server(self, data: bytes) -> None:
        self.bytes_out += len(data)
        self.frontend.counters.bout += len(data)
        self.last_server = self.loop.time()
        if self.transport is not None:
            self.transport.write(data)

    def server_eof(self) -> bool:
        self.server_eof_seen = True
        half_close = self.transport is not None and self.transport.can_write_eof()
        if half_close:
            assert self.transport is not None
            self.transport.write_eof()
        if self.client_eof or not half_close:
            self._end(self.termination)  # a TLS client side cannot half-close: close (it flushes)
        return True

    def server_lost(self, exc: Exception | None) -> None:
        if exc is not None and self.termination == "--":
            self.termination = "SD"
        self._end(self.termination)

    # -- inspection and routing -------------------------------------------------------
    def _run_rules(self, rules: list[TcpRule], *, final: bool) -> str | None:
        """The action of the first matching rule; "accept" by default when ``final``."""
        assert self.ctx is not None
        for rule in rules:
            if rule.condition is None or rule.condition(self.ctx):
                self.rule = rule.label
                return rule.action
        return "accept" if final else None

    def _inspect(self, *, final: bool) -> None:
        assert self.ctx is not None
        self.ctx.req_payload = b"".join(self.pending)
        self._read_client_hello(self.ctx)
        rules = self.frontend.tcp_content_rules
        verdict = self._run_rules(rules, final=final)
        only_rejects = all(r.action == "reject" for r in rules)
        if verdict is None and self.pending and only_rejects:
            verdict = "accept"  # the data is there and no reject matched it: nothing to wait for
        if verdict == "reject":
            self.frontend.counters.dreq += 1
            self._end("PR")
        elif verdict == "accept":
            self.cancel_timer()
            self._route()

    def _read_client_hello(self, ctx: RequestContext) -> None:
        """Fill ``req.ssl_sni``/``req_ssl_hello_type`` once the hello is whole (any split)."""
        payload = ctx.req_payload
        if len(payload) < self.hello_need:
            return
        result = parse_client_hello(payload)
        if result.status is HelloStatus.NEED_MORE:
            self.hello_need = result.need
            return
        self.hello_need = _HELLO_DONE
        if result.status is HelloStatus.TLS:
            ctx.req_ssl_sni = result.sni
            ctx.req_ssl_hello_type = result.hello_type

    def _route(self) -> None:
        assert self.ctx is not None
        self.state = "routing"
        if self.ctx.req_payload != b"".join(self.pending):
            self.ctx.req_payload = b"".join(self.pending)
        backend, rule = self.frontend.select_backend(self.ctx)
        self.rule = self.rule or rule
        if backend is None:
            self._end("SC")
            return
        self.backend = backend
        backend.counters.session_opened()
        key = request_key(backend.balancer, src=self.ctx.src)
        outcome = dispatch.assign(backend, key)
        if outcome is dispatch.NO_SERVER:
            self._end("SC")
        elif outcome is dispatch.QUEUE:
            spawn(self._queue_then_connect(backend, key), name="tcp-queue")
        else:
            assert isinstance(outcome, RuntimeServer)
            self._start_connect(backend, outcome, key)

    async def _queue_then_connect(self, backend: Backend, key: bytes | None) -> None:
        started = self.loop.time()
        server = await dispatch.wait_in_queue(backend, key, backend.timeouts.queue)
        self.t_queue = self.elapsed_ms(started)
        if server is None:
            self._end("sQ")
            return
        if self.closed:
            dispatch.release(backend, server)
            return
        self._start_connect(backend, server, key)

    def _start_connect(self, backend: Backend, server: RuntimeServer, key: bytes | None) -> None:
        self.server = server
        self.slot_held = True
        self.t_queue = max(self.t_queue, 0)
        self.state = "connecting"
        spawn(self._connect(backend, server, key), name="tcp-connect")

    async def _connect(self, backend: Backend, server: RuntimeServer, key: bytes | None) -> None:
        started = self.loop.time()
        side = _ServerSide(self)
        try:
            _, _, self.server, self.retries = await dispatch.connect(
                backend, server, lambda: side, dst_port=self.local[1], key=key,
                client_sni=self._client_sni(), proxy_addresses=(self.client, self.local),
            )
        except dispatch.ConnectFailed as exc:
            self.slot_held = False
            self.server = exc.server
            self.retries = backend.retries
            self._end("SC")
            return
        self.t_connect = self.elapsed_ms(started)
        if self.closed:
            assert side.transport is not None
            side.transport.close()
            return
        self._relay(side)

    def _client_sni(self) -> str | None:
        """What ``sni ssl_fc_sni`` re-encrypts with: the terminated name, else the peeked one."""
        if self.tls is not None:
            return self.tls.ssl_fc_sni
        return self.ctx.req_ssl_sni if self.ctx is not None else None

    def _relay(self, side: _ServerSide) -> None:
        assert side.transport is not None and self.transport is not None
        self.server_side = side
        self.state = "relaying"
        if self.pending:
            side.transport.write(b"".join(self.pending))
            self.pending.clear()
            self.pending_size = 0
        self.transport.resume_reading()
        if self.client_eof and side.transport.can_write_eof():
            side.transport.write_eof()
        self.last_client = self.last_server = self.loop.time()
        self.set_deadline(self._idle_limit())

    # -- timeouts ---------------------------------------------------------------
    def _limits(self) -> tuple[float | None, float | None]:
        front = self.frontend.timeouts
        back = self.backend.timeouts if self.backend is not None else front
        if self.state == "relaying" and (back.tunnel or front.tunnel):
            tunnel = back.tunnel or front.tunnel
            return tunnel, tunnel
        shut = self.client_eof or self.server_eof_seen
        client = (front.client_fin if shut and front.client_fin else front.client)
        server = (back.server_fin if shut and back.server_fin else back.server)
        return client, server

    def _idle_limit(self) -> float | None:
        client, server = self._limits()
        values = [v for v in (client, server) if v is not None]
        return min(values) if values else None

    def on_timeout(self) -> None:
        if self.state == "inspecting":
            self._inspect(final=True)
            return
        if self.state != "relaying":
            self.set_deadline(self._idle_limit())
            return
        now = self.loop.time()
        client, server = self._limits()
        tunnel = self.backend is not None and (self.backend.timeouts.tunnel or self.frontend.timeouts.tunnel)
        last_any = max(self.last_client, self.last_server)
        client_idle = now - (last_any if tunnel else self.last_client)
        server_idle = now - (last_any if tunnel else self.last_server)
        if client is not None and not self.client_eof and client_idle >= client:
            self._end("cD")
        elif server is not None and not self.server_eof_seen and server_idle >= server:
            self._end("sD")
        else:
            remaining = [
                limit - idle for limit, idle in ((client, client_idle), (server, server_idle))
                if limit is not None
            ]
            self.set_deadline(max(min(remaining), 0.001) if remaining else None)

    # -- the end ------------------------------------------------------------------
    def _end(self, termination: str) -> None:
        if self.closed:
            return
        self.termination = termination
        self.leave()
        self.frontend.counters.session_closed()
        if self.transport is not None:
            self.transport.close()
        side = self.server_side
        if side is not None and side.transport is not None:
            side.transport.close()
        if self.backend is not None:
            self.backend.counters.session_closed()
            self.backend.counters.bin += self.bytes_in
            self.backend.counters.bout += self.bytes_out
            if self.server is not None and self.slot_held:
                self.server.counters.bin += self.bytes_in
                self.server.counters.bout += self.bytes_out
                self.slot_held = False
                dispatch.release(self.backend, self.server)
        if termination[0] in "sS" and self.backend is not None:
            self.backend.counters.eresp += termination == "sD"
        hub = self.hub
        if hub.log_wanted and not (self.frontend.dontlognull and not self.bytes_in and termination == "--"):
            record = hub.records(is_notable(None, termination))
            if record or hub.subscribers:
                hub.emit(self._event(), record)

    def _event(self) -> LogEvent:
        backend = self.backend
        return LogEvent(
            time=self.accepted_at,
            client=self.client,
            frontend=self.frontend.name,
            backend=backend.name if backend else self.frontend.name,
            server=self.server.name if self.server else "<NOSRV>",
            status=None,
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            timings=Timings(Tw=self.t_queue, Tc=self.t_connect, Ta=self.elapsed_ms(self.accepted_mono)),
            rule=self.rule,
            termination_state=self.termination,
            actconn=self.hub.actconn,
            feconn=self.frontend.counters.scur,
            beconn=backend.counters.scur if backend else 0,
            srv_conn=self.server.active_conns if self.server else 0,
            retries=self.retries,
        )

    def idle(self) -> bool:
        return False

    def describe(self) -> dict[str, Any]:
        return {"state": self.state, "client": self.client}
