"""Bad input and failures answered as HAProxy answers them, through the real engine.

Every request of http1's HAProxy case table (verdicts recorded from haproxy
2.6.12) goes through a running engine in front of a raw recording server:
refused requests get HAProxy's status and the server sees nothing; accepted
ones reach it.  Then server-side failures: refused connects with retries and
redispatch, invalid responses (502), no usable server (503), timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from _engine_support import (
    HTTP_DEFAULTS,
    LoopbackServer,
    backends,
    raw_exchange,
    read_response,
    request,
    running,
    serving,
    wait_for,
)
from test_http1 import FORWARDED, HAPROXY_CASES

CONFIG = """
defaults
    mode http
    timeout connect 100ms
    timeout client 5s
    timeout server {server_timeout}
    timeout http-request {http_request}
    retries {retries}
    {redispatch}
frontend www
    bind 127.0.0.1:0
    default_backend app
backend app
    {servers}
"""


def config(servers: str, *, server_timeout: str = "5s", http_request: str = "5s",
           retries: int = 3, redispatch: bool = False) -> str:
    return CONFIG.format(servers=servers, server_timeout=server_timeout,
                         http_request=http_request, retries=retries,
                         redispatch="option redispatch" if redispatch else "")


class RawServer(LoopbackServer):
    """Records the bytes it receives; answers each head with a fixed response (or garbage)."""

    def __init__(self, answer: bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok") -> None:
        super().__init__()
        self.answer = answer
        self.received = b""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            self.received += data
            if b"\r\n\r\n" in data or b"\n\n" in data:
                writer.write(self.answer)
                await writer.drain()


def raw_server(answer: bytes | None = None) -> contextlib.AbstractAsyncContextManager[RawServer]:
    return serving(RawServer() if answer is None else RawServer(answer))


@contextlib.asynccontextmanager
async def refused_port() -> AsyncIterator[int]:
    """A loopback port whose server has just closed: connecting to it is refused."""
    async with raw_server() as closed:
        assert closed.server is not None
        closed.server.close()
        await closed.server.wait_closed()
        yield closed.port


async def _first_response_status(port: int, data: bytes) -> int:
    """The status of the first response, 0 if none came within a second."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        async with asyncio.timeout(1):
            return (await read_response(reader)).status
    except (TimeoutError, asyncio.IncompleteReadError):
        return 0
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_every_haproxy_case_gets_haproxys_verdict_and_refused_ones_reach_nobody() -> None:
    mismatches = []
    async with (
        raw_server() as server,
        running(config(f"server s1 127.0.0.1:{server.port}")) as engine,
    ):
        port = engine.port_of("www")
        for name, data, expected in HAPROXY_CASES:
            server.received = b""
            status = await _first_response_status(port, data)
            if expected == FORWARDED:
                if status != 200 or not server.received:
                    mismatches.append((name, status, "not forwarded"))
            elif status != expected or server.received:
                mismatches.append((name, status, server.received[:40]))
        # after all of that, everyone else is still served
        assert (await request(port, "/")).status == 200
    assert mismatches == []


@pytest.mark.asyncio
async def test_slow_client_gets_408_at_timeout_http_request() -> None:
    async with raw_server() as server:
        text = config(f"server s1 127.0.0.1:{server.port}", http_request="300ms")
        async with running(text) as engine:
            started = time.monotonic()
            raw = await raw_exchange(engine.port_of("www"), b"GET / HTTP/1.1\r\nHost: x\r\n")
            elapsed = time.monotonic() - started
    assert raw.startswith(b"HTTP/1.1 408 Request Time-out")
    assert 0.15 <= elapsed <= 0.45
    assert server.received == b""


@pytest.mark.asyncio
async def test_slow_server_gets_504_at_timeout_server() -> None:
    async with backends("slow") as (slow,):
        text = config(f"server s1 127.0.0.1:{slow.port}", server_timeout="300ms")
        async with running(text) as engine:
            started = time.monotonic()
            response = await request(engine.port_of("www"), "/?delay=1")
            elapsed = time.monotonic() - started
    assert response.status == 504
    assert b"504 Gateway Time-out" in response.body
    assert 0.15 <= elapsed <= 0.45


@pytest.mark.asyncio
async def test_invalid_server_response_is_502_and_the_engine_goes_on() -> None:
    async with raw_server(b"HTTP/1.1 2000 Nope\r\n\r\n") as bad, backends("good") as (good,):
        text = config(f"server bad 127.0.0.1:{bad.port}\n    server good 127.0.0.1:{good.port}")
        async with running(text) as engine:
            port = engine.port_of("www")
            statuses = [(await request(port, "/")).status for _ in range(4)]
            stats = engine.generation.backends["app"].counters  # type: ignore[union-attr]
            assert stats.hrsp_5xx == 2
    assert statuses == [502, 200, 502, 200]


@pytest.mark.asyncio
async def test_refused_server_is_redispatched_at_once_without_client_error() -> None:
    async with backends("alive") as (alive,), refused_port() as dead_port:
        servers = f"server dead 127.0.0.1:{dead_port}\n    server alive 127.0.0.1:{alive.port}"
        async with running(config(servers, retries=2, redispatch=True)) as engine:
            port = engine.port_of("www")
            statuses = [(await request(port, "/")).status for _ in range(6)]
            backend = engine.generation.backends["app"]  # type: ignore[union-attr]
            dead = backend.servers[0]
    assert statuses == [200] * 6
    # roundrobin with two active servers: each request tried "dead" first and moved at once,
    # as haproxy 2.6 does (tests/proxy/engine/test_engine_retries.py compares them)
    assert backend.counters.wredis == dead.counters.wredis == 6
    assert dead.counters.econ == dead.counters.wretr == 0
    assert alive.seen and len(alive.seen) == 6


@pytest.mark.asyncio
async def test_without_redispatch_a_refused_server_is_503_after_retries() -> None:
    async with (
        refused_port() as dead_port,
        running(config(f"server dead 127.0.0.1:{dead_port}", retries=1)) as engine,
    ):
        response = await request(engine.port_of("www"), "/")
        dead = engine.generation.backends["app"].servers[0]  # type: ignore[union-attr]
    assert response.status == 503
    assert b"No server is available" in response.body
    # HAProxy: econ once for the request that finally failed, wretr once per retry
    assert (dead.counters.econ, dead.counters.wretr) == (1, 1)


@pytest.mark.asyncio
async def test_all_servers_down_answers_503_at_once() -> None:
    async with refused_port() as dead_port:
        servers = f"server s1 127.0.0.1:{dead_port} check inter 50ms fall 1 rise 1"
        async with running(config(servers)) as engine:
            server = engine.generation.backends["app"].servers[0]  # type: ignore[union-attr]
            await wait_for(lambda: not server.up)
            started = time.monotonic()
            response = await request(engine.port_of("www"), "/")
            elapsed = time.monotonic() - started
            assert server.counters.econ == 0  # no connection was even tried
    assert response.status == 503
    assert elapsed < 0.1


@pytest.mark.asyncio
async def test_maxconn_queues_and_timeout_queue_gives_503() -> None:
    text = "\n" + HTTP_DEFAULTS + """    timeout queue 300ms
frontend www
    bind 127.0.0.1:0
    default_backend app
backend app
    server s1 127.0.0.1:{0} maxconn 1
"""
    async with backends("one") as (one,), running(text.replace("{0}", str(one.port))) as engine:
        port = engine.port_of("www")
        slow = asyncio.create_task(request(port, "/?delay=0.8"))
        server = engine.generation.backends["app"].servers[0]  # type: ignore[union-attr]
        await wait_for(lambda: server.active_conns == 1)
        started = time.monotonic()
        queued_out = await request(port, "/")
        elapsed = time.monotonic() - started
        first = await slow
        # a queued request that fits in the timeout is served when the slot frees
        short = asyncio.create_task(request(port, "/?delay=0.1"))
        await asyncio.sleep(0.02)
        waited = await request(port, "/")
        assert (await short).status == 200
        counters = engine.generation.backends["app"].counters  # type: ignore[union-attr]
    assert queued_out.status == 503
    assert 0.15 <= elapsed <= 0.45
    assert first.status == 200
    assert waited.status == 200
    assert counters.qmax == 1
    assert counters.qcur == 0


@pytest.mark.asyncio
async def test_server_killed_under_load_goes_down_and_clients_see_no_error() -> None:
    async with backends("a", "b") as (a, b):
        servers = (f"server a 127.0.0.1:{a.port} check inter 100ms fall 2 rise 1\n"
                   f"    server b 127.0.0.1:{b.port} check inter 100ms fall 2 rise 1")
        async with running(config(servers, retries=3, redispatch=True)) as engine:
            port = engine.port_of("www")
            victim = engine.generation.backends["app"].servers[1]  # type: ignore[union-attr]
            stop = asyncio.Event()
            statuses: list[int] = []

            async def client() -> None:
                while not stop.is_set():
                    statuses.append((await request(port, "/")).status)

            clients = [asyncio.create_task(client()) for _ in range(3)]
            await asyncio.sleep(0.1)
            await b.close()
            killed = time.monotonic()
            await wait_for(lambda: not victim.up, timeout=2)
            marked_down = time.monotonic() - killed
            await asyncio.sleep(0.1)
            stop.set()
            await asyncio.gather(*clients)
    assert marked_down <= 0.2 + 0.15  # inter x fall, plus scheduling slack
    assert statuses and set(statuses) == {200}


@pytest.mark.asyncio
async def test_a_tls_hello_on_a_plain_port_is_refused_at_once_not_at_the_timeout() -> None:
    async with raw_server() as server, running(config(f"server s1 127.0.0.1:{server.port}")) as engine:
        started = time.monotonic()
        answer = await raw_exchange(engine.port_of("www"), b"\x16\x03\x01", timeout=3)
        assert answer.startswith(b"HTTP/1.1 400 Bad request\r\n")
        assert time.monotonic() - started < 1.0  # "timeout client" is 5 s here
        assert server.received == b""


@pytest.mark.asyncio
async def test_h1_accept_payload_with_any_method_lets_an_http10_get_body_through() -> None:
    get_with_body = b"GET / HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    async with raw_server() as server:
        text = config(f"server s1 127.0.0.1:{server.port}")
        async with running(text) as engine:
            assert await _first_response_status(engine.port_of("www"), get_with_body) == 413
        allowing = "global\n    h1-accept-payload-with-any-method\n" + text
        async with running(allowing) as engine:
            assert await _first_response_status(engine.port_of("www"), get_with_body) == 200
            assert server.received.endswith(b"hello")
