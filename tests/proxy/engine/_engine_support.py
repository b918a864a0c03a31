"""Real loopback backends and clients for the engine's black-box tests.

``Backend`` is a small HTTP/1.1 server built on h11 (an independent, strict
implementation, so whatever the engine forwards is parsed by someone else's
rules).  It records every request it receives and answers like the
tutorial's app: ``"<name>: Home page!"`` and friends.  Behaviour switches
(``delay``, chunked answers, 100-continue, upgrade echo) are chosen per
request by path so one backend serves every test.

``request()`` is a raw HTTP/1.1 client over asyncio streams that returns
(status, headers, body) and understands Content-Length, chunked and
close-delimited bodies.  Everything binds 127.0.0.1 port 0.

``HTTP_DEFAULTS``/``TCP_DEFAULTS`` are the ``defaults`` section nearly every
engine test config opens with, so a test's config text shows only what that
test is about.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

import h11

from proxy.config.load import check_text
from proxy.engine import Engine


def defaults_section(mode: str = "http", *, client: str = "5s", server: str = "5s") -> str:
    """A ``defaults`` section: a short connect timeout so refused servers fail fast."""
    return (
        f"defaults\n    mode {mode}\n    timeout connect 1s\n"
        f"    timeout client {client}\n    timeout server {server}\n"
    )


HTTP_DEFAULTS = defaults_section("http")
TCP_DEFAULTS = defaults_section("tcp")

PAGES = {
    "/admin": "Admin page!",
    "/lightwork": "Doing light work!",
    "/heavywork": "Doing heavy work!",
}


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass(eq=False, kw_only=True)
class LoopbackServer:
    """A test server on 127.0.0.1 port 0; a subclass's ``serve`` handles one connection.

    It keeps the open connections because ``Server.close`` leaves accepted ones
    open: ``close`` hangs up on them too, so no test leaks a connection.
    """

    port: int = 0
    server: asyncio.AbstractServer | None = None
    writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> Self:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.close()
        await asyncio.sleep(0)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            await self.serve(reader, writer)
        except ConnectionError:
            pass  # the client hung up: nothing left to answer
        finally:
            self.writers.discard(writer)
            writer.close()


ServerT = TypeVar("ServerT", bound=LoopbackServer)


@contextlib.asynccontextmanager
async def serving(server: ServerT) -> AsyncIterator[ServerT]:
    """Start ``server`` for the block, close it (and its connections) afterwards."""
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def listening(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[int]:
    """Serve ``handle`` on 127.0.0.1 port 0 (over TLS with ``ssl_context``); yields the port."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ssl_context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


@dataclass(eq=False)
class Backend(LoopbackServer):
    name: str
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    delay: float = 0.0

    def page(self, target: str) -> bytes:
        path = target.split("?", 1)[0]
        text = next((p for prefix, p in PAGES.items() if path.startswith(prefix)), "Home page!")
        return f"{self.name}: {text}\n".encode()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        conn = h11.Connection(h11.SERVER)
        with contextlib.suppress(h11.ProtocolError, asyncio.IncompleteReadError):
            await self._serve(conn, reader, writer)

    async def _next_event(self, conn: h11.Connection, reader: asyncio.StreamReader) -> object:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                conn.receive_data(data)
                continue
            return event

    async def _serve(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            event = await self._next_event(conn, reader)
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return
            assert isinstance(event, h11.Request)
            headers = {k.decode(): v.decode() for k, v in event.headers}
            target = event.target.decode()
            if headers.get("expect", "").lower() == "100-continue" and "/no-continue" not in target:
                writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
            if event.method == b"GET" and headers.get("upgrade"):
                await self._upgrade(conn, event, reader, writer)
                return
            body = b""
            while True:
                part = await self._next_event(conn, reader)
                if isinstance(part, h11.Data):
                    body += part.data
                elif isinstance(part, h11.EndOfMessage):
                    break
            self.seen.append(Seen(event.method.decode(), target, headers, body))
            await self._respond(conn, writer, target, body)
            if conn.our_state is h11.MUST_CLOSE:
                return
            conn.start_next_cycle()

    async def _respond(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, target: str, body: bytes
    ) -> None:
        delay = self.delay
        if "delay=" in target:
            delay = float(target.split("delay=", 1)[1].split("&", 1)[0])
        if delay:
            await asyncio.sleep(delay)
        if target.startswith("/echo"):
            payload = body
        elif target.startswith("/big"):
            payload = b"x" * int(target.split("size=", 1)[1])
        else:
            payload = self.page(target)
        if target.startswith("/chunked"):
            writer.write(conn.send(h11.Response(status_code=200, headers=[
                ("transfer-encoding", "chunked")])))
            for piece in (payload[:5], payload[5:]):
                writer.write(conn.send(h11.Data(data=piece)))
        else:
            writer.write(conn.send(h11.Response(status_code=200, headers=[
                ("content-length", str(len(payload))), ("x-server", self.name)])))
            writer.write(conn.send(h11.Data(data=payload)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()

    async def _upgrade(
        self, conn: h11.Connection, event: h11.Request, reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.seen.append(Seen("GET", event.target.decode(), {k.decode(): v.decode() for k, v in event.headers}, b""))
        writer.write(conn.send(h11.InformationalResponse(status_code=101, headers=[
            ("connection", "upgrade"), ("upgrade", "echo")])))
        await writer.drain()
        pending = conn.trailing_data[0]
        if pending:
            writer.write(pending)
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


@contextlib.asynccontextmanager
async def backends(*names: str) -> AsyncIterator[list[Backend]]:
    started = [await Backend(name).start() for name in names]
    try:
        yield started
    finally:
        for backend in started:
            await backend.close()


def load(text: str, base_dir: Path | None = None) -> Engine:
    """An engine for config text; port-0 binds are the only validator errors allowed."""
    result = check_text(text, base_dir=base_dir)
    errors = [d for d in result.errors if "invalid port '0'" not in d.message]
    assert not errors, errors
    return Engine(result.config, base_dir=base_dir)


def config_of(text: str):  # type: ignore[no-untyped-def]
    return check_text(text).config


@contextlib.asynccontextmanager
async def running(text: str, base_dir: Path | None = None) -> AsyncIterator[Engine]:
    engine = load(text, base_dir)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop(grace=0.5)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    raw_head: bytes = b""


async def read_response(reader: asyncio.StreamReader, method: str = "GET") -> Response:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if status < 200 and status != 101:
        return Response(status, headers, b"", raw)
    if method == "HEAD" or status in (101, 204, 304):
        return Response(status, headers, b"", raw)
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            body += await reader.readexactly(size)
            await reader.readuntil(b"\r\n")
            if size == 0:
                break
    else:
        body = await reader.read()
    return Response(status, headers, body, raw)


async def request(
    port: int, path: str = "/", *, method: str = "GET", headers: dict[str, str] | None = None,
    body: bytes = b"", source: str | None = None,
) -> Response:
    """One request on a fresh connection."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, local_addr=(source, 0) if source else None
    )
    try:
        writer.write(render(path, method=method, headers=headers, body=body))
        return await read_response(reader, method)
    finally:
        writer.close()


def render(path: str, *, method: str = "GET", headers: dict[str, str] | None = None,
           body: bytes = b"") -> bytes:
    fields = {"host": "test.local", **(headers or {})}
    if body and "transfer-encoding" not in fields:
        fields["content-length"] = str(len(body))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return head.encode() + b"\r\n" + body


async def raw_exchange(port: int, data: bytes, *, timeout: float = 3.0) -> bytes:
    """Send raw bytes, read until the proxy closes (or timeout)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        chunks = b""
        with contextlib.suppress(ConnectionError):
            async with asyncio.timeout(timeout):
                while chunk := await reader.read(65536):
                    chunks += chunk
        return chunks
    finally:
        writer.close()


async def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def tls_json_line(
    port: int, context: ssl.SSLContext, server_hostname: str | None, timeout: float = 3.0
) -> dict[str, Any]:
    """Handshake with 127.0.0.1:port and read the one JSON line the TLS test servers answer."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=server_hostname),
        timeout,
    )
    try:
        return dict(json.loads(await asyncio.wait_for(reader.readuntil(b"\n"), timeout)))
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/") else 0
