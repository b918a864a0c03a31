"""Admission of accepted connections: frontend ``maxconn`` and the TLS connection info.

Theory of operation
-------------------
A plain connection on a frontend without ``maxconn`` goes straight to its
session (the listener's protocol factory returns it).  Every other
connection first gets an ``Admission`` protocol, which asks the frontend's
``Gate`` for a slot::

    ARRIVED --slot free--> SESSION (TLS: with the connection's TlsInfo)
        | frontend full
        v
    PARKED (FIFO, reading paused) --a session of the frontend ends--> SESSION

*Why parking instead of pausing the listener.*  HAProxy stops polling a full
listener and lets the kernel backlog hold new connections.  asyncio has no
portable way to stop accepting on a listening socket short of closing it
(``Server.close``), and its accept loop takes up to ``backlog`` connections
per wake-up anyway; so the excess is accepted and parked with reading
paused.  Seen from the client it is the same: the connection is established
and nothing is served until a slot frees, oldest first.  The difference is a
file descriptor per parked connection.  On a TLS bind the asyncio server has
completed the handshake before any protocol sees the connection, so
handshakes are not gated (HAProxy counts them); the sessions are.

Whatever arrives while parked is kept and replayed to the session: uvloop
starts reading only *after* ``connection_made`` returns, so a
``pause_reading()`` made there is ignored (it is repeated on the next loop
iteration, and anything read in between is buffered here).

``bind ... accept-proxy``: ``ProxyAdmission`` comes first, before any of this.
It runs the frontend's ``tcp-request connection`` rules on the real address
(they "only see the real connection address", configuration.txt), reads the
PROXY header (proxy_protocol.py) under ``timeout client``, then hands the
connection to an ``Admission`` carrying the header's addresses::

    WAITING --header whole--> Admission (gate, then SESSION with those addresses)
       | bad header, timeout, client gone
       v
    REFUSED: reset without an answer, one error log event (HAProxy's error
    log line, e.g. "Received something which does not look like a PROXY
    protocol header"; with ``option dontlognull`` not for an empty connection)

On ``bind ... ssl accept-proxy`` the header comes before the TLS handshake, so
such a listener is a plain asyncio server: once the header is read,
``loop.start_tls`` handshakes on the same transport (the ClientHello bytes that
came with the header are handed to its TLS protocol), and the ``Admission``
then gets the TLS transport and the connection's ``TlsInfo``, as on any TLS bind.

Binds without ``accept-proxy`` never see it: the listener picks its protocol
factory when it is served (engine._serve).

The gate counts live sessions through the frontend's ``scur``.  A session's
end is reported by the hub's ``on_leave`` hook; the gate re-checks on the
next loop iteration, once the session's counters are final.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

from proxy.engine import proxy_protocol
from proxy.engine.acl import RequestContext
from proxy.engine.dispatch import parse_ip
from proxy.engine.http import HttpSession
from proxy.engine.proxy_protocol import HeaderReader
from proxy.engine.runtime import Frontend
from proxy.engine.session import Hub, LogEvent, Timings, host_text, is_notable
from proxy.engine.tasks import spawn
from proxy.engine.tcp import TcpSession
from proxy.engine.tls import TlsTerminator

__all__ = ["Admission", "Gate", "ProxyAdmission"]

Address = tuple[str, int]

Session = HttpSession | TcpSession
SessionFactory = Callable[[Frontend], Session]


class Gate:
    """One frontend's connection slots: ``maxconn`` (0: unlimited) against its live sessions."""

    def __init__(self, frontend: Frontend, new_session: SessionFactory) -> None:
        self.frontend = frontend
        self.new_session = new_session
        self.parked: deque[Admission] = deque()
        self.reading_headers: set[ProxyAdmission] = set()  # accept-proxy: no session yet

    def full(self) -> bool:
        limit = self.frontend.maxconn
        return bool(limit) and self.frontend.counters.scur >= limit

    def arrive(self, admission: Admission) -> None:
        if self.parked or self.full():  # FIFO: never overtake a parked connection
            self.parked.append(admission)
        else:
            admission.start()  # the session counts itself in scur at once

    def gone(self, admission: Admission) -> None:
        """A parked connection closed before its turn."""
        with contextlib.suppress(ValueError):
            self.parked.remove(admission)

    def release(self) -> None:
        """Admit parked connections while slots are free (after a session ended)."""
        while self.parked and not self.full():
            self.parked.popleft().start()

    def abort_all(self) -> None:
        parked, self.parked = list(self.parked), deque()
        for admission in parked:
            admission.abort()
        for reader in list(self.reading_headers):  # (the engine stops: no error log for them)
            reader.abort()


class Admission(asyncio.Protocol):
    """The first protocol of a gated or TLS connection, until its session takes over."""

    def __init__(self, gate: Gate, terminator: TlsTerminator | None,
                 addresses: tuple[Address, Address] | None = None) -> None:
        self.gate = gate
        self.terminator = terminator
        self.addresses = addresses  # (client, local) from a PROXY header (ProxyAdmission)
        self.transport: asyncio.Transport | None = None
        self.early: list[bytes] = []  # read while parked (see the module docstring)
        self.eof = False
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: cast, don't assert
        self.transport = cast(asyncio.Transport, transport)
        self.gate.arrive(self)
        if not self.handed_over:
            self.transport.pause_reading()
            asyncio.get_running_loop().call_soon(self._pause_again)

    @property
    def handed_over(self) -> bool:
        return self.transport is not None and self.transport.get_protocol() is not self

    def _pause_again(self) -> None:
        if not self.handed_over and not self.lost and self.transport is not None:
            self.transport.pause_reading()

    def data_received(self, data: bytes) -> None:
        self.early.append(data)

    def eof_received(self) -> bool:
        self.eof = True
        return True  # keep the transport: the session decides once it exists

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.gate.gone(self)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def start(self) -> None:
        """Hand the connection to a new session (called by the gate when a slot is free)."""
        transport = self.transport
        if self.lost or transport is None:
            return
        session = self.gate.new_session(self.gate.frontend)
        if self.addresses is not None:
            session.preset_addresses(*self.addresses)
        if self.terminator is not None:  # computed once per connection, not per request
            session.tls = self.terminator.info(transport.get_extra_info("ssl_object"))
        transport.set_protocol(session)
        session.connection_made(transport)
        for chunk in self.early:
            session.data_received(chunk)
        if self.eof and not session.eof_received():
            transport.close()  # what a transport does when eof_received says False
        transport.resume_reading()


class ProxyAdmission(asyncio.Protocol):
    """The first protocol of an ``accept-proxy`` connection (see the module docstring)."""

    def __init__(self, gate: Gate, hub: Hub, listener: str, local: Address | None,
                 terminator: TlsTerminator | None = None) -> None:
        self.gate = gate
        self.hub = hub
        self.terminator = terminator  # "bind ... ssl accept-proxy": TLS after the header
        self.listener = listener  # for the error log line: the bind's name or number
        self.local: Address = local or ("", 0)
        self.client: Address = ("", 0)
        self.reader = HeaderReader()
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.accepted_at = time.time()
        self.accepted_mono = 0.0
        self.finished = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername") or ("0.0.0.0", 0)
        self.client = (host_text(peer[0]), int(peer[1]))
        if not self.local[0]:
            sock = transport.get_extra_info("sockname") or ("0.0.0.0", 0)
            self.local = (host_text(sock[0]), int(sock[1]))
        loop = asyncio.get_running_loop()
        self.accepted_mono = loop.time()
        frontend = self.gate.frontend
        if frontend.mode == "tcp" and frontend.tcp_connection_rules and self._rejected():
            frontend.counters.dreq += 1
            self.finished = True
            self.transport.close()
            return
        timeout = frontend.timeouts.client
        if timeout:
            self.timer = loop.call_later(timeout, self._timed_out)
        self.gate.reading_headers.add(self)

    def _rejected(self) -> bool:
        """``tcp-request connection`` on the real address: the first matching rule decides."""
        ctx = RequestContext(parse_ip(self.client[0]), self.client[1],
                             parse_ip(self.local[0]), self.local[1])
        for rule in self.gate.frontend.tcp_connection_rules:
            if rule.condition is None or rule.condition(ctx):
                return rule.action == "reject"
        return False

    def data_received(self, data: bytes) -> None:
        if self.finished:
            if self.terminator is not None:  # TLS bytes before start_tls took over: kept
                self.reader.rest += data
            return
        verdict = self.reader.feed(data)
        if verdict == proxy_protocol.DONE:
            self._hand_over()
        elif verdict == proxy_protocol.FAILED:
            self._refuse(self.reader.error, "PR")

    def eof_received(self) -> bool:
        if not self.finished:
            self._refuse(self.reader.closed(), "CR")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished:
            self._refuse(proxy_protocol.ABORT if exc is not None else self.reader.closed(), "CR")

    def _timed_out(self) -> None:
        self.timer = None
        if not self.finished:
            self._refuse(proxy_protocol.TIMEOUT, "cR")

    def _hand_over(self) -> None:
        self._finish()
        transport = self.transport
        assert transport is not None
        header = self.reader.header
        addresses = (self.client, self.local) if header is None else (
            (host_text(header.src[0]), header.src[1]), (host_text(header.dst[0]), header.dst[1]))
        if self.terminator is not None:
            transport.pause_reading()
            spawn(self._start_tls(transport, self.terminator, addresses), name="accept-proxy-tls")
            return
        admission = Admission(self.gate, None, addresses)
        if self.reader.rest:
            admission.early.append(self.reader.rest)
        transport.set_protocol(admission)
        admission.connection_made(transport)

    async def _start_tls(self, transport: asyncio.Transport, terminator: TlsTerminator,
                         addresses: tuple[Address, Address]) -> None:
        """The TLS handshake on the connection the header came on, then the gate.

        ``loop.start_tls`` puts its TLS protocol on the transport (on this loop
        iteration) and has it start on the next one; the bytes that came with the
        header (the start of the ClientHello) are handed to it right after, as if
        the socket had just delivered them."""
        loop = asyncio.get_running_loop()
        admission = Admission(self.gate, terminator, addresses)
        timeouts = self.gate.frontend.timeouts
        handshake = loop.create_task(loop.start_tls(
            transport, admission, terminator.context, server_side=True,
            ssl_handshake_timeout=timeouts.http_request or timeouts.client or None))
        await asyncio.sleep(0)  # start_tls has installed its protocol and queued its start
        loop.call_soon(self._deliver_rest, transport)  # (after it, before any new read)
        try:
            tls_transport = await handshake
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError):
            transport.abort()  # (HAProxy logs a failed handshake too: not modelled here)
            return
        if tls_transport is None:
            return
        admission.connection_made(tls_transport)

    def _deliver_rest(self, transport: asyncio.Transport) -> None:
        rest, self.reader.rest = self.reader.rest, b""
        if rest:
            _deliver(transport, rest)

    def abort(self) -> None:
        self._finish()
        if self.transport is not None:
            self.transport.abort()

    def _finish(self) -> None:
        self.finished = True
        self.gate.reading_headers.discard(self)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _refuse(self, error: str, termination: str) -> None:
        """Reset the connection without an answer, as HAProxy does, and log its error line."""
        self._finish()
        if self.transport is not None:
            _reset_on_close(self.transport)
            self.transport.abort()
        frontend, hub = self.gate.frontend, self.hub
        quiet = frontend.dontlognull and error in (proxy_protocol.EMPTY, proxy_protocol.ABORT)
        if not hub.log_wanted or quiet:
            return
        record = hub.records(is_notable(None, termination))
        if record or hub.subscribers:
            loop = asyncio.get_running_loop()
            claimed = self.reader.claimed
            client = self.client if claimed is None else (host_text(claimed[0]), claimed[1])
            hub.emit(LogEvent(
                time=self.accepted_at, client=client, frontend=frontend.name,
                backend=frontend.name, server="<NOSRV>", status=None,
                bytes_in=len(self.reader.buffer), bytes_out=0,
                timings=Timings(Ta=int((loop.time() - self.accepted_mono) * 1000)),
                rule="accept-proxy", termination_state=termination,
                actconn=hub.actconn, feconn=frontend.counters.scur,
                listener=self.listener, error=error,
            ), record)


_LINGER_OFF = struct.pack("ii", 1, 0)


def _reset_on_close(transport: asyncio.Transport) -> None:
    """SO_LINGER 0: closing sends a reset, not a FIN (what HAProxy does to a refused client)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError, AttributeError, TypeError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_OFF)


def _deliver(transport: asyncio.Transport, data: bytes) -> None:
    """``data`` to the transport's protocol as if just read (a buffered or plain protocol)."""
    protocol: Any = transport.get_protocol()
    if transport.is_closing():
        return
    # (duck-typed: uvloop's TLS protocol is buffered without subclassing BufferedProtocol)
    if hasattr(protocol, "get_buffer") and hasattr(protocol, "buffer_updated"):
        view = memoryview(data)
        while view:
            buffer = memoryview(protocol.get_buffer(len(view)))
            size = min(len(buffer), len(view))
            buffer[:size] = view[:size]
            protocol.buffer_updated(size)
            view = view[size:]
    else:
        protocol.data_received(data)
