"""``mode tcp`` through the real engine: relay, half-close, backpressure, rules, timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib

import pytest
from _engine_support import LoopbackServer, running, serving

CONFIG = """
defaults
    mode tcp
    timeout connect 1s
    timeout client {client}
    timeout server 5s
frontend edge
    bind 127.0.0.1:0
    {rules}
    default_backend echo
backend echo
    server e1 127.0.0.1:{port}
backend other
    server o1 127.0.0.1:{other}
"""


class TcpServer(LoopbackServer):
    """Echo (or digest) server: "digest" mode reads to EOF, then answers the sha256 and closes."""

    def __init__(self, mode: str = "echo", banner: bytes = b"") -> None:
        super().__init__()
        self.mode = mode
        self.banner = banner
        self.accepted = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.banner:
            writer.write(self.banner)
        if self.mode == "digest":
            digest = hashlib.sha256()
            while data := await reader.read(65536):
                digest.update(data)
            writer.write(digest.hexdigest().encode())
        else:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        await writer.drain()


def tcp_server(mode: str = "echo", banner: bytes = b"") -> contextlib.AbstractAsyncContextManager[TcpServer]:
    return serving(TcpServer(mode, banner))


def config(port: int, other: int = 1, *, rules: str = "", client: str = "5s") -> str:
    return CONFIG.format(port=port, other=other, rules=rules, client=client)


@pytest.mark.asyncio
async def test_large_upload_then_half_close_gets_the_servers_answer() -> None:
    payload = bytes(range(256)) * 16384  # 4 MiB
    async with tcp_server("digest") as server, running(config(server.port)) as engine:
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        writer.write(payload)
        await writer.drain()
        writer.write_eof()  # half-close: the answer must still come back
        answer = await reader.read()
        writer.close()
    assert answer == hashlib.sha256(payload).hexdigest().encode()


@pytest.mark.asyncio
async def test_echo_of_a_large_payload_with_a_slow_reader_stays_bounded() -> None:
    payload = b"z" * (8 * 1024 * 1024)
    async with (
        tcp_server("echo") as server,
        running(config(server.port)) as engine,
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))

        async def send() -> None:
            writer.write(payload)
            await writer.drain()

        sender = asyncio.create_task(send())
        await asyncio.sleep(0.3)  # nobody reads: both directions fill up and must pause
        sessions = list(engine._hub.sessions)
        held = sum(s.transport.get_write_buffer_size() for s in sessions  # type: ignore[attr-defined]
                   if s.transport is not None)
        received = b""
        while len(received) < len(payload):
            received += await reader.read(1 << 20)
        await sender
        writer.close()
    assert received == payload
    assert held < 2 * 1024 * 1024  # the proxy never holds the whole 8 MiB


@pytest.mark.asyncio
async def test_tcp_request_connection_reject_by_source() -> None:
    rules = "tcp-request connection reject if { src 127.0.0.2 }"
    async with (
        tcp_server("echo") as server,
        running(config(server.port, rules=rules)) as engine,
    ):
        port = engine.port_of("edge")
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
        rejected = await reader.read()
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hi")
        accepted = await reader.readexactly(2)
        writer.close()
    assert rejected == b""
    assert accepted == b"hi"
    assert server.accepted == 1


@pytest.mark.asyncio
async def test_content_inspection_routes_on_the_payload() -> None:
    rules = """tcp-request inspect-delay 2s
    tcp-request content reject if { req.payload(0,4) -m str QUIT }
    tcp-request content accept if { req.len gt 0 }
    use_backend other if { req.payload(0,4) -m str PING }"""
    async with (
        tcp_server("echo", banner=b"[echo]") as echo, tcp_server("echo", banner=b"[other]") as other,
        running(config(echo.port, other.port, rules=rules)) as engine,
    ):
        port = engine.port_of("edge")
        answers = []
        for first in (b"PING", b"HELO", b"QUIT"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(first)
            async with asyncio.timeout(1):
                answers.append(await reader.read(64) if first != b"QUIT" else await reader.read())
            writer.close()
    assert answers[0].startswith(b"[other]")
    assert answers[1].startswith(b"[echo]")
    assert answers[2] == b""


@pytest.mark.asyncio
async def test_idle_client_is_closed_at_timeout_client() -> None:
    async with (
        tcp_server("echo") as server,
        running(config(server.port, client="300ms")) as engine,
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        writer.write(b"x")
        await reader.readexactly(1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        rest = await reader.read()
        elapsed = loop.time() - started
        writer.close()
    assert rest == b""
    assert 0.15 <= elapsed <= 0.45


@pytest.mark.asyncio
async def test_connection_refused_closes_the_client_and_counts_econ() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    dead = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    async with running(config(dead).replace("timeout connect 1s", "timeout connect 50ms\n    retries 1")) as engine:
        events = []
        engine.subscribe(events.append)
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        assert await reader.read() == b""
        writer.close()
        server = engine.generation.backends["echo"].servers[0]  # type: ignore[union-attr]
        await asyncio.sleep(0.01)
    # HAProxy: econ once for the connection that finally failed, wretr once per retry
    assert (server.counters.econ, server.counters.wretr) == (1, 1)
    assert events[0].termination_state == "SC"
    assert " edge echo/e1 " in events[0].tcplog()
