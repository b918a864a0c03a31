"""Frontend ``maxconn``: connections beyond it wait, unserved, until a slot frees (oldest first).

Black-box through the real ``Engine``: real backends on 127.0.0.1, real
clients; what is observed is what a client sees (no answer while the
frontend is full) and what ``show stat`` says (``scur`` never above
``maxconn``).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _engine_support import (
    HTTP_DEFAULTS,
    TCP_DEFAULTS,
    backends,
    listening,
    read_response,
    render,
    running,
    wait_for,
)

from proxy.certs import CertStore

TIMEOUT = 3.0

HTTP = "\n" + HTTP_DEFAULTS + """frontend web
    bind 127.0.0.1:0
    maxconn 2
    default_backend app
backend app
    server s1 127.0.0.1:{port}
"""


def scur(engine: object) -> int:
    row = engine.stats().find("web", "FRONTEND")  # type: ignore[attr-defined]
    assert row is not None
    return int(row.counters["scur"])


@pytest.mark.asyncio
async def test_http_frontend_parks_connections_beyond_maxconn() -> None:
    async with backends("app") as [app], running(HTTP.format(port=app.port)) as engine:
        port = engine.port_of("web")
        held = []
        for _ in range(2):  # two keep-alive clients occupy both slots
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(render("/"))
            assert (await asyncio.wait_for(read_response(reader), TIMEOUT)).status == 200
            held.append((reader, writer))
        waiting = []
        for _ in range(2):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(render("/lightwork"))
            waiting.append((reader, writer))
        with pytest.raises(TimeoutError):  # full: nothing is read, nothing answered
            await asyncio.wait_for(waiting[0][0].read(1), 0.3)
        assert scur(engine) == 2 and len(app.seen) == 2
        held[0][1].close()  # one slot frees: the oldest waiting client is served
        first = await asyncio.wait_for(read_response(waiting[0][0]), TIMEOUT)
        assert first.status == 200 and first.body == b"app: Doing light work!\n"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(waiting[1][0].read(1), 0.2)
        assert scur(engine) <= 2
        held[1][1].close()
        second = await asyncio.wait_for(read_response(waiting[1][0]), TIMEOUT)
        assert second.status == 200
        for _, writer in waiting:
            writer.close()
        await wait_for(lambda: scur(engine) == 0)


@pytest.mark.asyncio
async def test_a_parked_client_that_leaves_frees_nothing_and_blocks_nobody() -> None:
    async with backends("app") as [app], running(HTTP.format(port=app.port)) as engine:
        port = engine.port_of("web")
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        await wait_for(lambda: scur(engine) == 2)
        _, quitter = await asyncio.open_connection("127.0.0.1", port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(render("/"))
        await asyncio.sleep(0.05)
        quitter.close()  # leaves while parked
        await asyncio.sleep(0.05)
        held[0][1].close()
        response = await asyncio.wait_for(read_response(reader), TIMEOUT)
        assert response.status == 200
        writer.close()
        held[1][1].close()
        await wait_for(lambda: scur(engine) == 0)


TLS_TCP = "\n" + TCP_DEFAULTS + """frontend tls
    bind 127.0.0.1:0 ssl crt {pem}
    maxconn 1
    default_backend echo
backend echo
    server e 127.0.0.1:{port}
"""


@contextlib.asynccontextmanager
async def echo_server() -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async with listening(handle) as port:
        yield port


@pytest.mark.asyncio
async def test_tls_sessions_wait_for_a_slot_too(tmp_path: Path) -> None:
    store = CertStore(tmp_path / "store", owner="tester@testhost")
    pem = tmp_path / "t.pem"
    shutil.copyfile(store.issue(["t.test"]).entry.pem_path, pem)
    context = ssl.create_default_context(cafile=str(store.ca_cert_path))
    async with echo_server() as port, running(TLS_TCP.format(pem=pem, port=port)) as engine:
        listen = engine.port_of("tls")
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", listen, ssl=context, server_hostname="t.test"
        )
        writer.write(b"one")
        assert await asyncio.wait_for(reader.readexactly(3), TIMEOUT) == b"one"
        # the handshake completes (asyncio's server does it), the session waits for the slot
        reader2, writer2 = await asyncio.wait_for(asyncio.open_connection(
            "127.0.0.1", listen, ssl=context, server_hostname="t.test"
        ), TIMEOUT)
        writer2.write(b"two")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader2.readexactly(3), 0.3)
        writer.close()
        assert await asyncio.wait_for(reader2.readexactly(3), TIMEOUT) == b"two"
        writer2.close()


def test_parking_under_uvloop_keeps_early_bytes() -> None:
    """uvloop ignores a pause_reading() made in connection_made: the request bytes a parked
    client sends at once must be kept and replayed to its session."""
    uvloop = pytest.importorskip("uvloop")
    uvloop.run(asyncio.wait_for(test_http_frontend_parks_connections_beyond_maxconn(), 10))
