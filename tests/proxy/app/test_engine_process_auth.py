"""The app's engine process on its loopback TCP control port (Windows' case, in every lane):
only the app, which holds the run's secret, can drive it.  Real child, real sockets on
127.0.0.1, real requests to see that a refused connection changed nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from proxy import platform
from proxy.app.engine_process import EngineProcess
from proxy.config.parser import parse
from proxy.engine.runtime_api import AUTH_REFUSED, parse_address
from proxy.engine.session import LogEvent
from tests.proxy.app._engine_child_support import CONFIG
from tests.proxy.app._engine_child_support import get as _get

DENYING = CONFIG.replace("    default_backend be", "    http-request deny\n    default_backend be")


@pytest_asyncio.fixture
async def on_tcp(origin: int, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[EngineProcess]:
    """An EngineProcess whose child listens on ``ipv4@127.0.0.1:0``, as on Windows."""
    monkeypatch.setattr(platform, "unix_sockets_available", lambda: False)  # the app's choice only
    process = EngineProcess(parse(CONFIG.format(port=origin), str(tmp_path / "app.cfg")).config)
    await process.start()
    monkeypatch.undo()
    yield process
    await process.stop(1.0)


async def _stranger(process: EngineProcess, data: bytes) -> bytes:
    """What another local process gets: it knows the port, not the secret."""
    kind, where = parse_address(process.control_address)
    assert kind == "tcp" and isinstance(where, tuple) and where[0] == "127.0.0.1"
    reader, writer = await asyncio.open_connection(*where)
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def _events(process: EngineProcess, wanted: int) -> list[LogEvent]:
    events: list[LogEvent] = []
    deadline = time.monotonic() + 5
    while len(events) < wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        events += process.drain_events()
    return events


def _alpha_status(process: EngineProcess) -> str:
    row = process.stats().find("be", "alpha")
    assert row is not None
    return row.status


@pytest.mark.asyncio
async def test_the_app_drives_its_engine_over_the_tcp_port(on_tcp: EngineProcess, origin: int,
                                                           tmp_path: Path) -> None:
    assert on_tcp.control_address.startswith("ipv4@127.0.0.1:")
    assert len(on_tcp.control_secret) == 64
    port = on_tcp.port_of("fe")
    assert [(await _get(port, path))[0] for path in ("/one", "/two")] == [200, 200]
    assert [e.path for e in await _events(on_tcp, 2)] == ["/one", "/two"]
    snapshot = await asyncio.to_thread(on_tcp.stats)
    alpha = snapshot.find("be", "alpha")
    assert alpha is not None and alpha.counters["stot"] == 2
    await asyncio.to_thread(on_tcp.set_server_state, "be", "alpha", "maint")
    assert await asyncio.to_thread(_alpha_status, on_tcp) == "MAINT"
    await asyncio.to_thread(on_tcp.set_server_state, "be", "alpha", "ready")
    await on_tcp.apply(parse(DENYING.format(port=origin), str(tmp_path / "app.cfg")).config)
    assert (await _get(port))[0] == 403


def _no_secret(_: str) -> bytes:
    return b"disable server be/alpha\n"


def _wrong_secret(secret: str) -> bytes:
    return f"auth {'0' * len(secret)}\ndisable server be/alpha\n".encode()


def _secret_but_one(secret: str) -> bytes:
    return f"auth {secret[:-1]}\ndisable server be/alpha\n".encode()


def _secret_after_the_command(secret: str) -> bytes:
    return f"disable server be/alpha\nauth {secret}\n".encode()


@pytest.mark.asyncio
@pytest.mark.parametrize("first", [_no_secret, _wrong_secret, _secret_but_one,
                                   _secret_after_the_command])
async def test_a_connection_without_the_secret_disables_nothing(
    on_tcp: EngineProcess, first: Callable[[str], bytes]
) -> None:
    assert await _stranger(on_tcp, first(on_tcp.control_secret)) == AUTH_REFUSED
    assert await asyncio.to_thread(_alpha_status, on_tcp) != "MAINT"
    status, body = await _get(on_tcp.port_of("fe"))
    assert status == 200 and b"alpha" in body  # the server still serves


@pytest.mark.asyncio
async def test_a_reload_without_the_secret_applies_nothing(on_tcp: EngineProcess,
                                                           origin: int) -> None:
    assert on_tcp.private_dir is not None
    copy = on_tcp.private_dir / "running.cfg"
    copy.write_text(DENYING.format(port=origin))  # what a reload would apply
    assert await _stranger(on_tcp, b"reload\n") == AUTH_REFUSED
    assert (await _get(on_tcp.port_of("fe")))[0] == 200
    answer = await asyncio.to_thread(on_tcp.command, "reload")  # the app's own: it applies
    assert answer.startswith("Success=1")
    assert (await _get(on_tcp.port_of("fe")))[0] == 403


@pytest.mark.asyncio
@pytest.mark.parametrize("how", [b"json", b"marshal"])
async def test_an_event_stream_without_the_secret_sees_no_request(on_tcp: EngineProcess,
                                                                  how: bytes) -> None:
    stranger = asyncio.ensure_future(_stranger(on_tcp, b"stream events " + how + b"\n"))
    await asyncio.sleep(0.1)  # connected before the request
    assert (await _get(on_tcp.port_of("fe"), "/private-url"))[0] == 200
    assert [e.path for e in await _events(on_tcp, 1)] == ["/private-url"]  # the app's stream
    await asyncio.sleep(0.2)  # two flushes: what a stranger could get, it would have had by now
    assert await asyncio.wait_for(stranger, 10) == AUTH_REFUSED
