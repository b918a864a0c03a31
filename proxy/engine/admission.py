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

The gate counts live sessions through the frontend's ``scur``.  A session's
end is reported by the hub's ``on_leave`` hook; the gate re-checks on the
next loop iteration, once the session's counters are final.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import cast

from proxy.engine.http import HttpSession
from proxy.engine.runtime import Frontend
from proxy.engine.tcp import TcpSession
from proxy.engine.tls import TlsTerminator

__all__ = ["Admission", "Gate"]

Session = HttpSession | TcpSession
SessionFactory = Callable[[Frontend], Session]


class Gate:
    """One frontend's connection slots: ``maxconn`` (0: unlimited) against its live sessions."""

    def __init__(self, frontend: Frontend, new_session: SessionFactory) -> None:
        self.frontend = frontend
        self.new_session = new_session
        self.parked: deque[Admission] = deque()

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


class Admission(asyncio.Protocol):
    """The first protocol of a gated or TLS connection, until its session takes over."""

    def __init__(self, gate: Gate, terminator: TlsTerminator | None) -> None:
        self.gate = gate
        self.terminator = terminator
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
        if self.terminator is not None:  # computed once per connection, not per request
            session.tls = self.terminator.info(transport.get_extra_info("ssl_object"))
        transport.set_protocol(session)
        session.connection_made(transport)
        for chunk in self.early:
            session.data_received(chunk)
        if self.eof and not session.eof_received():
            transport.close()  # what a transport does when eof_received says False
        transport.resume_reading()
