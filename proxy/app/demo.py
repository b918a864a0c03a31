"""The built-in demo: HAProxy's four-server tutorial, with its four web servers, on loopback.

Theory of operation
-------------------
``start_demo_servers`` binds four tiny HTTP/1.1 servers (``server1`` ..
``server4``) on 127.0.0.1, on 8001-8004 when free and on free ports
otherwise.  Each answers like the tutorial's app: ``GET /`` ->
``server1: Home page!``, ``/admin...`` -> ``server1: Admin page!`` and so on,
plus ``/health`` -> ``OK`` for the health checks.

``tutorial_config`` parses the canonical ``proxy/demo/tutorial.cfg`` (the
file a user can also run on HAProxy) and points it at those servers by
editing the model (``Server.address``, ``Bind.addresses``), so the shipped
text stays the single source of the tutorial.

``Demo`` ties both to an ``Engine`` for ``proxydesk demo`` and the GUI.

The responder (``HttpResponder``) is a minimal ``asyncio.Protocol`` rather
than ``asyncio.start_server`` streams or an HTTP library: it is on the hot
path of the benchmark's backend too, and a protocol that answers every
pipelined request of a read with one ``write`` costs a fraction of a
stream-based handler.  Heads go through the engine's own parser
(``http1.parse_request_head``, HAProxy's rules), so the demo origin accepts
and refuses exactly what the proxy in front of it does; ``Content-Length``
bodies are skipped, chunked uploads answered 501.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import cast

from proxy import platform
from proxy.config import keywords as kw
from proxy.config.model import Config, Section
from proxy.config.nodes import Generic
from proxy.config.parser import parse
from proxy.engine import http1
from proxy.engine.acl import RequestContext
from proxy.engine.dispatch import parse_ip
from proxy.engine.engine import Engine
from proxy.engine.http1 import HttpError

__all__ = [
    "DEFAULT_LISTEN_PORT",
    "DEFAULT_SERVER_PORTS",
    "SERVER_NAMES",
    "Demo",
    "HttpResponder",
    "start_demo_servers",
    "start_responder",
    "tutorial_answer",
    "tutorial_config",
    "tutorial_text",
]

HOST = "127.0.0.1"
SERVER_NAMES = ("server1", "server2", "server3", "server4")
DEFAULT_SERVER_PORTS = (8001, 8002, 8003, 8004)
DEFAULT_LISTEN_PORT = 8080
DEFAULT_STATS_PORT = 8404
DEFAULT_SOCKET_PORT = 9999

# (path prefix, page) in the tutorial app's order; anything else is the home page.
PAGES: tuple[tuple[bytes, str], ...] = (
    (b"/admin", "Admin page!"),
    (b"/lightwork", "Doing light work!"),
    (b"/heavywork", "Doing heavy work!"),
)
HOME_PAGE = "Home page!"

# status -> reason phrase, for the few statuses the responder produces
REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 501: b"Not Implemented"}


Answer = Callable[[bytes, bytes], tuple[int, bytes]]  # (method, path) -> (status, body)


def tutorial_answer(name: str) -> Answer:
    """The tutorial app of server ``name``: its page for each path, ``/health`` -> OK."""

    def answer(method: bytes, path: bytes) -> tuple[int, bytes]:
        if path == b"/health":
            return 200, b"OK\n"
        page = next((text for prefix, text in PAGES if path.startswith(prefix)), HOME_PAGE)
        return 200, f"{name}: {page}\n".encode()

    return answer


@functools.lru_cache(maxsize=256)
def _render(status: int, body: bytes, close: bool, head_only: bool) -> bytes:
    """A whole response; cached because a demo (or benchmark) origin repeats a few answers."""
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n%s\r\n"
        % (status, REASONS.get(status) or http1.reason_phrase(status), len(body), b"connection: close\r\n" if close else b"")
    )
    return head if head_only else head + body


class HttpResponder(asyncio.Protocol):
    """One client connection to a demo server (see the module docstring)."""

    __slots__ = ("_answer", "_buffer", "_skip", "_transport")

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._buffer = b""  # bytes, not bytearray: the head parser's fast path wants bytes
        self._skip = 0  # request body bytes still to discard
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer = self._buffer + data if self._buffer else data
        out: list[bytes] = []
        close = self._answer_complete_requests(out)
        transport = self._transport
        if transport is None:
            return
        if out:
            transport.write(b"".join(out))
        if close:
            transport.close()
            self._transport = None

    def _answer_complete_requests(self, out: list[bytes]) -> bool:
        """Answer every complete request in the buffer (pipelining); True to close after."""
        while True:
            if self._skip:
                dropped = min(self._skip, len(self._buffer))
                self._buffer = self._buffer[dropped:]
                self._skip -= dropped
                if self._skip:
                    return False
            if not self._buffer:
                return False
            try:
                head = http1.parse_request_head(self._buffer)
            except HttpError as exc:
                out.append(_render(exc.status, http1.reason_phrase(exc.status) + b"\n", True, False))
                return True
            if head is None:
                return False
            self._buffer = self._buffer[head.head_size:]
            if head.chunked:  # chunked uploads: not for a demo origin
                out.append(_render(501, REASONS[501] + b"\n", True, False))
                return True
            self._skip = head.content_length or 0
            status, body = self._answer(head.method, head.path)
            out.append(_render(status, body, not head.keep_alive, head.method == b"HEAD"))
            if not head.keep_alive:
                return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def start_responder(answer: Answer, port: int = 0, host: str = HOST) -> asyncio.Server:
    """Serve ``answer`` on ``host:port``; a taken port falls back to a free one."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.create_server(lambda: HttpResponder(answer), host, port, backlog=1024)
    except OSError as exc:
        if port == 0 or exc.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        return await loop.create_server(lambda: HttpResponder(answer), host, 0, backlog=1024)


async def start_demo_servers(
    ports: Sequence[int] = DEFAULT_SERVER_PORTS, host: str = HOST
) -> list[asyncio.Server]:
    """The tutorial's four web servers, ``server1``..``server4``, in order."""
    servers: list[asyncio.Server] = []
    try:
        for name, port in zip(SERVER_NAMES, ports, strict=True):
            servers.append(await start_responder(tutorial_answer(name), port, host))
    except BaseException:
        for server in servers:
            server.close()
        raise
    return servers


def port_of(server: asyncio.Server) -> int:
    sockets = server.sockets
    return int(sockets[0].getsockname()[1])


# --------------------------------------------------------------------- the config


def tutorial_text() -> str:
    """The canonical tutorial config (also shipped as resources/examples/tutorial.cfg)."""
    return resources.files("proxy").joinpath("demo/tutorial.cfg").read_text(encoding="utf-8")


def tutorial_config(
    ports: Sequence[int],
    listen_port: int = DEFAULT_LISTEN_PORT,
    *,
    stats_port: int = DEFAULT_STATS_PORT,
    socket_port: int | None = DEFAULT_SOCKET_PORT,
    host: str = HOST,
) -> Config:
    """The tutorial config pointed at servers on ``ports`` (server1..server4), listening on
    ``host:listen_port`` (stats page on ``stats_port``; runtime API on ``socket_port``, or
    none).  Port 0 lets the engine pick a free port (``Engine.listening`` tells which)."""
    result = parse(tutorial_text(), "tutorial.cfg")
    if result.errors:  # the shipped file is tested; this guards against a broken install
        raise ValueError(f"the built-in tutorial config is invalid: {result.errors[0]}")
    config = result.config
    addresses = {name: f"{host}:{port}" for name, port in zip(SERVER_NAMES, ports, strict=True)}
    for section in config.backends:
        for server in section.servers:
            server.address = addresses[server.name]
    _rebind(config.find("frontend", "main"), f"{host}:{listen_port}")
    _rebind(config.find("listen", "stats"), f"{host}:{stats_port}")
    _set_stats_socket(config.global_section, host, socket_port)
    return config


def _rebind(section: Section | None, address: str) -> None:
    if section is None or not section.binds:
        raise ValueError("the built-in tutorial config lost a section it needs")
    section.binds[0].addresses = [address]


def _set_stats_socket(section: Section | None, host: str, port: int | None) -> None:
    if section is None:
        return
    for stmt in list(section.statements("stats")):
        if isinstance(stmt.node, Generic) and stmt.node.words[1:2] == ["socket"]:
            if port is None:
                section.remove(stmt)
            else:
                stmt.node.words[2] = f"ipv4@{host}:{port}"


# ----------------------------------------------------------------------- the demo


def _usable_port(host: str, port: int) -> int:
    """``port`` when it can be bound right now, else 0 (the engine then picks a free one).
    A probe rather than retrying ``Engine.start``: EngineError does not say which bind failed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # exactly what the engine's bind will ask: SO_REUSEADDR on POSIX; never on Windows,
        # where it would let the probe "find" a port another program listens on
        platform.prepare_listening_socket(probe)
        try:
            probe.bind((host, port))
        except OSError:
            return 0
    return port


def listen_port(text: str) -> int:
    """The argparse type of ``demo --port``: 0 (any free port) to 65535, else a usage error."""
    if not text.isdigit() or int(text) > kw.PORT_RANGE[1]:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port (0-{kw.PORT_RANGE[1]}; 0: any free port)")
    return int(text)


def _any_free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def demo_ports(listen_port: int = DEFAULT_LISTEN_PORT, host: str = HOST) -> tuple[int, int, int]:
    """Ports for the tutorial's frontend, stats page and runtime API: the usual ones where
    they are free, else free ones picked now -- real numbers, so a document that shows the
    config says where it listens (port 0 there would read as an error: HAProxy refuses it)."""
    wanted = (listen_port, DEFAULT_STATS_PORT, DEFAULT_SOCKET_PORT)  # 0: any free port
    found = [(_usable_port(host, port) if port else 0) or _any_free_port(host) for port in wanted]
    return found[0], found[1], found[2]


@dataclass(eq=False)
class Demo:
    """The demo servers and an engine running the tutorial config on them."""

    listen_port: int = DEFAULT_LISTEN_PORT
    server_ports: Sequence[int] = DEFAULT_SERVER_PORTS
    host: str = HOST
    servers: list[asyncio.Server] = field(default_factory=list)
    engine: Engine | None = None

    async def start(self) -> Engine:
        self.servers = await start_demo_servers(self.server_ports, self.host)
        config = tutorial_config(
            [port_of(s) for s in self.servers],
            _usable_port(self.host, self.listen_port),
            stats_port=_usable_port(self.host, DEFAULT_STATS_PORT),
            socket_port=_usable_port(self.host, DEFAULT_SOCKET_PORT) or None,
            host=self.host,
        )
        self.engine = Engine(config)
        try:
            await self.engine.start()
        except BaseException:
            await self.stop()
            raise
        return self.engine

    async def stop(self, grace: float = 2.0) -> None:
        if self.engine is not None:
            with contextlib.suppress(Exception):  # never started: nothing to stop
                await self.engine.stop(grace)
        for server in self.servers:
            server.close()
        self.servers = []

    def url(self, path: str = "/", frontend: str = "main") -> str:
        assert self.engine is not None
        return f"http://{self.host}:{self.engine.port_of(frontend)}{path}"

    def expected_server(self, path: str) -> str | None:
        """Which server the engine would send ``path`` to right now (the what-if router)."""
        assert self.engine is not None
        ip = parse_ip(self.host)
        request = RequestContext.for_http(
            src=ip, src_port=50000, dst=ip, dst_port=self.engine.port_of("main"),
            method=b"GET", target=path.encode(), headers=[(b"host", self.host.encode())],
        )
        return self.engine.route("main", request).server

    def try_these(self) -> list[tuple[str, str]]:
        """(curl command, expected answer) for the tutorial's four URLs."""
        heavy = self.expected_server("/heavywork") or "server3"
        return [
            (f"curl {self.url('/')}", "server1: Home page!   (next: server2, server3, server4, round robin)"),
            (f"curl {self.url('/lightwork')}", "server1: Doing light work!   (server1 and server2 take turns)"),
            (f"curl {self.url('/heavywork')}", f"{heavy}: Doing heavy work!   (balance source: the same server for your address)"),
            (f"curl -i {self.url('/admin')}", "HTTP/1.1 403 Forbidden   (http-request deny if is_admin)"),
            (f"curl {self.url('/stats', 'stats')}", "the stats page (HTML)"),
        ]
