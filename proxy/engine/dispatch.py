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
``retries`` attempts, waiting HAProxy's turn-around delay (min(timeout
connect, 1s)) after a refusal before retrying the same server; with ``option
redispatch`` the last attempt goes to another server at once (HAProxy 2.6's
default redispatch interval, -1), counting ``econ``/``wretr``/``wredis`` as
HAProxy does.
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
) -> tuple[asyncio.Transport, P, RuntimeServer, int]:
    """Connect to ``server`` with retries and redispatch; returns (transport, protocol, server, retries).

    ``server ... ssl``: the handshake is part of the attempt (``timeout connect``
    bounds both); ``headers``/``client_sni`` feed its ``sni`` expression.

    The slot taken by ``assign`` moves with a redispatch; on failure it is released.
    """
    loop = asyncio.get_running_loop()
    attempts = backend.retries + 1
    for attempt in range(attempts):
        last = attempt == attempts - 1
        if last and attempt > 0 and backend.redispatch:
            server = _redispatch(backend, server, key)
        try:
            transport, protocol = await asyncio.wait_for(
                loop.create_connection(
                    factory, *_target(server, dst_port), **_tls_args(server, headers, client_sni)
                ),
                backend.timeouts.connect,
            )
            _set_nodelay(transport)
            return transport, protocol, server, attempt
        except (OSError, TimeoutError) as exc:
            server.counters.econ += 1
            backend.counters.econ += 1
            reason = "timeout" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
            if last:
                release(backend, server)
                raise ConnectFailed(server, reason) from exc
            server.counters.wretr += 1
            backend.counters.wretr += 1
            redispatching = attempt + 1 == attempts - 1 and backend.redispatch
            if isinstance(exc, OSError) and not redispatching:
                # "a turn-around timer of min(timeout connect, 1s) is applied before a
                # retry occurs on the same server" (configuration.txt, retries)
                await asyncio.sleep(min(backend.timeouts.connect or 1.0, 1.0))
    raise AssertionError("unreachable")


def _redispatch(backend: Backend, server: RuntimeServer, key: bytes | None) -> RuntimeServer:
    other = backend.balancer.pick(key, exclude=(server,))
    if not isinstance(other, RuntimeServer) or other is server or not other.has_free_slot():
        return server
    release(backend, server)
    _take(backend, other)
    other.counters.wredis += 1
    backend.counters.wredis += 1
    return other


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
