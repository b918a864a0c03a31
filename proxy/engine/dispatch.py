"""Server assignment with per-server ``maxconn`` queues, and connecting with retries.

Theory of operation
-------------------
A request (HTTP) or connection (TCP) needs a *slot* on a server.
``assign`` asks the backend's balancer and either takes a slot at once
(``server.active_conns += 1``), or says why it cannot:

* ``NO_SERVER``: nothing usable -> the caller answers 503 immediately (all
  servers DOWN, as HAProxy does);
* ``QUEUE``: every candidate is at ``maxconn`` -> the caller awaits
  ``wait_in_queue``, which parks a future on the chosen server's queue (hash
  algorithms pin the server) or the backend's queue, bounded by ``timeout
  queue`` (HAProxy's 503 with termination state ``sQ``).

``release`` gives the slot back and hands it straight to the oldest waiter of
that server or of its backend, so a queued request never races a newcomer --
HAProxy's ``process_srv_queue``.  The common path (a free slot) allocates
nothing and never touches the event loop.

``connect`` opens a server connection under ``timeout connect`` with
``retries`` attempts.  Between attempts it does what HAProxy 2.6 does
(``_before_retry``): with ``option redispatch`` a request whose server does not
matter moves to another one at once, else it waits HAProxy's turn-around delay
(min(timeout connect, 1s)) after a refusal and retries the same server, moving
before the last attempt.  ``econ`` counts final failures, ``wretr`` retries on
the same server, ``wredis`` moves, as HAProxy's stats do.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from proxy.config import keywords as kw
from proxy.engine import proxy_protocol
from proxy.engine.runtime import Backend, RuntimeServer

__all__ = [
    "NO_SERVER",
    "QUEUE",
    "ConnectFailed",
    "assign",
    "assign_persistent",
    "connect",
    "release",
    "wait_in_queue",
    "wake_backend_queue",
]

P = TypeVar("P", bound=asyncio.BaseProtocol)


class _Outcome:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NO_SERVER = _Outcome("NO_SERVER")
QUEUE = _Outcome("QUEUE")


def assign(
    backend: Backend, key: bytes | None, exclude: tuple[RuntimeServer, ...] = ()
) -> RuntimeServer | _Outcome:
    """Take a slot on the balancer's choice, or tell the caller to answer 503 / to queue."""
    server = backend.balancer.pick(key, exclude=exclude)
    if server is None:
        return QUEUE if backend.balancer.has_usable() else NO_SERVER
    assert isinstance(server, RuntimeServer)
    if not server.has_free_slot():
        return QUEUE
    _take(backend, server)
    return server


def assign_persistent(backend: Backend, server: RuntimeServer) -> RuntimeServer | _Outcome:
    """Cookie persistence: that server if it is usable (queue on it when full)."""
    if not (server.up and not server.disabled):
        return NO_SERVER
    if not server.has_free_slot():
        return QUEUE
    _take(backend, server)
    return server


def _take(backend: Backend, server: RuntimeServer) -> None:
    server.active_conns += 1
    server.counters.lbtot += 1
    server.counters.session_opened()
    backend.counters.lbtot += 1


def release(backend: Backend, server: RuntimeServer) -> None:
    """Give the slot back; the oldest waiter of the server or backend inherits it."""
    server.active_conns -= 1
    server.counters.session_closed()
    if server.waiters or backend.waiters:
        _serve_queue(backend, server)


def _serve_queue(backend: Backend, server: RuntimeServer) -> None:
    while server.maxconn == 0 or server.active_conns < server.maxconn:
        waiter = _oldest(server, backend)
        if waiter is None:
            return
        future, queue = waiter
        queue.popleft()
        if queue is server.waiters:
            server.queued -= 1
            server.counters.qcur -= 1
        else:
            backend.counters.qcur -= 1
        if future.done():
            continue  # timed out meanwhile
        server.active_conns += 1
        server.counters.lbtot += 1
        server.counters.session_opened()
        future.set_result(server)


def wake_backend_queue(backend: Backend, server: RuntimeServer) -> None:
    """A server came back (UP, ready, weight): let queued requests use its free slots."""
    if server.waiters or backend.waiters:
        _serve_queue(backend, server)


_Queue = deque[tuple[float, "asyncio.Future[RuntimeServer]"]]


def _oldest(
    server: RuntimeServer, backend: Backend
) -> tuple[asyncio.Future[RuntimeServer], _Queue] | None:
    """The waiter that has waited longest, from the server's queue or the backend's."""
    queues: list[_Queue] = []
    if server.waiters:
        queues.append(server.waiters)
    usable = server.up and not server.disabled and server.weight > 0
    if backend.waiters and usable:
        queues.append(backend.waiters)
    if not queues:
        return None
    queue = min(queues, key=lambda q: q[0][0])
    return queue[0][1], queue


async def wait_in_queue(
    backend: Backend, key: bytes | None, timeout: float | None
) -> RuntimeServer | None:
    """Queue until a slot frees up; None after ``timeout queue`` (or when nothing is usable)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[RuntimeServer] = loop.create_future()
    pinned = backend.balancer.pick(key)
    entry = (loop.time(), future)
    if isinstance(pinned, RuntimeServer) and backend.balancer.key_kind.value != "none":
        pinned.waiters.append(entry)
        pinned.queued += 1
        counters = pinned.counters
    else:
        backend.waiters.append(entry)
        counters = backend.counters
    counters.qcur += 1
    counters.qmax = max(counters.qmax, counters.qcur)
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        return None


class ConnectFailed(Exception):
    """Every attempt failed; ``server`` is the last server tried (its slot is released)."""

    def __init__(self, server: RuntimeServer | None, reason: str) -> None:
        super().__init__(reason)
        self.server = server


async def connect(
    backend: Backend,
    server: RuntimeServer,
    factory: Callable[[], P],
    *,
    dst_port: int,
    key: bytes | None,
    headers: Sequence[tuple[bytes, bytes]] | None = None,
    client_sni: str | None = None,
    direct: bool = False,
    proxy_addresses: tuple[tuple[str, int], tuple[str, int]] | None = None,
) -> tuple[asyncio.Transport, P, RuntimeServer, int]:
    """Connect to ``server`` with retries and redispatch; returns (transport, protocol, server, retries).

    ``server ... ssl``: the handshake is part of the attempt (``timeout connect``
    bounds both); ``headers``/``client_sni`` feed its ``sni`` expression.
    ``direct``: the server was chosen by a persistence cookie (no early redispatch).
    ``proxy_addresses``: (client, local) for a ``send-proxy[-v2]`` server's PROXY header,
    written before anything else (on the server finally connected: a redispatch may move).

    The slot taken by ``assign`` moves with a redispatch; on failure it is released.
    """
    loop = asyncio.get_running_loop()
    attempts = backend.retries + 1
    for attempt in range(attempts):
        try:
            tls = _tls_args(server, headers, client_sni)
            if server.send_proxy:
                src, dst = proxy_addresses or (None, None)
                opening = _open_with_proxy_header(
                    loop, factory, _target(server, dst_port),
                    proxy_protocol.render(server.send_proxy, src, dst), tls)
            else:
                opening = loop.create_connection(factory, *_target(server, dst_port), **tls)
            transport, protocol = await asyncio.wait_for(opening, backend.timeouts.connect)
            _set_nodelay(transport)
            return transport, protocol, server, attempt
        except (OSError, TimeoutError) as exc:
            if attempt == attempts - 1:
                # econ counts the attempts that finally failed, not each retry (HAProxy)
                server.counters.econ += 1
                backend.counters.econ += 1
                release(backend, server)
                reason = "timeout" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
                raise ConnectFailed(server, reason) from exc
            server = await _before_retry(backend, server, key, attempt, direct, refused=isinstance(exc, OSError))
    raise AssertionError("unreachable")


async def _open_with_proxy_header(
    loop: asyncio.AbstractEventLoop, factory: Callable[[], P], target: tuple[str, int],
    header: bytes, tls: dict[str, Any],
) -> tuple[asyncio.Transport, P]:
    """A ``send-proxy[-v2]`` connection: the PROXY header first, then (``ssl``) the TLS
    handshake on the same connection, as HAProxy sends them."""
    transport, protocol = await loop.create_connection(factory, *target)
    transport.write(header)
    if not tls:
        return transport, protocol
    try:
        secured = await loop.start_tls(transport, protocol, tls["ssl"],
                                       server_hostname=tls["server_hostname"])
    except BaseException:
        transport.abort()
        raise
    if secured is None:
        raise ConnectionResetError("the server closed during the TLS handshake")
    protocol.connection_made(secured)  # (start_tls does not: the protocol keeps the new one)
    return secured, protocol


async def _before_retry(backend: Backend, server: RuntimeServer, key: bytes | None, attempt: int,
                        direct: bool, *, refused: bool) -> RuntimeServer:
    """Where the next attempt goes and whether it waits first (stream.c back_handle_st_cer,
    as haproxy 2.6.12 behaves, measured in tests/proxy/engine/test_engine_retries.py).

    With ``option redispatch`` the request moves to another server at once when that
    cannot matter -- not pinned by a cookie, more than one active server, an algorithm
    that does not hash the request -- or when its server is down; otherwise only before
    the last attempt (the default interval, -1).  A refused connection that will be
    retried on the same server, or with a single active server, waits HAProxy's
    turn-around, min(timeout connect, 1 s), first.
    """
    hashing = _hashing(backend)
    active = sum(1 for s in backend.servers if s.up and not s.disabled and not s.backup)
    redispatch = backend.redispatch and (
        not server.up or attempt + 1 == backend.retries or (not direct and active > 1 and not hashing)
    )
    moved = server
    if redispatch:
        moved = _redispatch(backend, server, key, other=not hashing)
    if moved is server:
        server.counters.wretr += 1
        backend.counters.wretr += 1
    if refused and (not redispatch or active <= 1):
        # "a turn-around timer of min(timeout connect, 1s) is applied before a
        # retry occurs on the same server" (configuration.txt, retries)
        await asyncio.sleep(min(backend.timeouts.connect or 1.0, 1.0))
    return moved


def _hashing(backend: Backend) -> bool:
    """Whether the algorithm hashes the request (HAProxy's BE_LB_KIND_HI): the server matters."""
    spec = kw.BALANCE_ALGORITHMS.get(backend.algorithm.split("(", 1)[0])
    return spec is not None and spec.hashing


def _redispatch(backend: Backend, server: RuntimeServer, key: bytes | None, *, other: bool) -> RuntimeServer:
    """Ask the balancer again (``other``: never the same server); the slot moves with it."""
    server.active_conns -= 1  # HAProxy leaves the server before asking (leastconn sees it)
    try:
        picked = backend.balancer.pick(key, exclude=(server,) if other else ())
    finally:
        server.active_conns += 1
    if not isinstance(picked, RuntimeServer) or picked is server or not picked.has_free_slot():
        return server
    release(backend, server)
    _take(backend, picked)
    server.counters.wredis += 1  # counted on the server the request leaves, as HAProxy does
    backend.counters.wredis += 1
    return picked


def _tls_args(
    server: RuntimeServer, headers: Sequence[tuple[bytes, bytes]] | None, client_sni: str | None
) -> dict[str, Any]:
    """``ssl=``/``server_hostname=`` for a server with ``ssl`` (an empty dict otherwise)."""
    tls = server.tls
    if tls is None or not tls.traffic:
        return {}
    context, name = tls.connection_args(headers=headers, client_sni=client_sni)
    return {"ssl": context, "server_hostname": name}


def _target(server: RuntimeServer, dst_port: int) -> tuple[str, int]:
    host, port = server.address
    return host, dst_port if server.port_from_client else port


def _set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


@functools.lru_cache(maxsize=4096)
def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address from a socket name, IPv4-mapped IPv6 unwrapped as HAProxy shows it.

    Cached: the same few addresses recur, and sharing the objects keeps idle
    connections small (each would otherwise hold its own copies)."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
