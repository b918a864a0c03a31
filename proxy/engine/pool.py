"""Server-side HTTP connections and the per-server pool of idle ones.

Theory of operation
-------------------
A ``ServerConn`` is the asyncio protocol of one connection to a server.
While it carries a request it has an *owner* (the client's ``HttpSession``)
and forwards every event to it; between requests it sits in its server's
``idle`` list with no owner.

Only connections that have completed a request with a keep-alive response
enter the pool, so every pooled connection is "safe" in HAProxy's sense and
may serve any client's next request, first requests included -- HAProxy's
default ``http-reuse safe``.  That is what makes connection-per-request
clients cheap: the proxy keeps reusing warm server connections.

``take`` pops the most recently used connection (LIFO keeps few connections
warm and lets the rest age out); ``purge`` closes the ones idle longer than
HAProxy's ``pool-purge-delay`` (5 s).  A pooled connection the server closes
simply drops out of the list in ``connection_lost``.  Idle connections
cost no timer: the engine's sweeper task calls ``purge`` once a second.

A ``send-proxy[-v2]`` server's connection began with a PROXY header naming
one client, so HAProxy makes it private: it is never pooled, and ``put``
hands it back to its session (``keep_private``), which reuses it for its own
next request to that server and closes it with the session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any, Protocol, cast

from proxy.engine.runtime import RuntimeServer

__all__ = ["MAX_IDLE_PER_SERVER", "ServerConn", "close_all", "close_idle", "purge", "put", "take"]

MAX_IDLE_PER_SERVER = 256


class Owner(Protocol):
    """What a ServerConn reports to (the client session using it)."""

    def server_data(self, conn: ServerConn, data: bytes) -> None: ...
    def server_eof(self, conn: ServerConn) -> None: ...
    def server_lost(self, conn: ServerConn, exc: Exception | None) -> None: ...
    def server_paused(self, paused: bool) -> None: ...
    def keep_private(self, conn: ServerConn) -> None: ...


class ServerConn(asyncio.Protocol):
    __slots__ = ("closed", "idle_since", "owner", "requests", "server", "transport")

    def __init__(self, server: RuntimeServer, owner: Owner | None) -> None:
        self.server = server
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.requests = 0  # completed exchanges: > 0 means it came from the pool

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: cast, don't assert
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        owner = self.owner
        if owner is not None:
            owner.server_data(self, data)
        else:  # an idle server must not talk: the connection is out of sync
            self.close()

    def eof_received(self) -> bool:
        owner = self.owner
        if owner is not None:
            owner.server_eof(self)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        owner, self.owner = self.owner, None
        if owner is not None:
            owner.server_lost(self, exc)
        else:
            _forget(self)

    def pause_writing(self) -> None:
        if self.owner is not None:
            self.owner.server_paused(True)

    def resume_writing(self) -> None:
        if self.owner is not None:
            self.owner.server_paused(False)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.owner = None
            if self.transport is not None:
                self.transport.close()
            _forget(self)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.close()


def _forget(conn: ServerConn) -> None:
    idle: list[Any] = conn.server.idle
    if conn in idle:
        idle.remove(conn)


def take(server: RuntimeServer, owner: Owner) -> ServerConn | None:
    """The most recently pooled live connection of ``server``, now owned by ``owner``."""
    idle = server.idle
    while idle:
        conn: ServerConn = idle.pop()
        if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
            conn.owner = owner
            return conn
    return None


def put(conn: ServerConn) -> None:
    """Pool a connection whose exchange completed with keep-alive (or close it)."""
    owner = conn.owner
    conn.owner = None
    conn.requests += 1
    server = conn.server
    transport = conn.transport
    # (ServerState.usable() inline: server_state.py is not compiled, a Python frame per request)
    if conn.closed or transport is None or transport.is_closing() \
            or not (server.up and not server.disabled and server.weight > 0) \
            or len(server.idle) >= MAX_IDLE_PER_SERVER or not server.shares_connections:
        # (shares_connections: False when the TLS SNI varies per request, or with send-proxy)
        if server.send_proxy and owner is not None and not conn.closed and transport is not None \
                and not transport.is_closing() and server.up and not server.disabled:
            owner.keep_private(conn)  # its PROXY header named that client: HAProxy's private
            return
        conn.close()
        return
    transport.resume_reading()
    conn.idle_since = time.monotonic()
    server.idle.append(conn)


def close_idle(server: RuntimeServer) -> None:
    for conn in list(server.idle):
        conn.close()
    server.idle.clear()


def close_all(servers: Iterable[RuntimeServer]) -> None:
    for server in servers:
        close_idle(server)


def purge(servers: Iterable[RuntimeServer], *, max_idle: float) -> None:
    limit = time.monotonic() - max_idle
    for server in servers:
        for conn in [c for c in server.idle if c.idle_since < limit]:
            conn.close()
