"""Hot reload: ``Engine.apply`` under load, with failures that must leave the old config serving."""

from __future__ import annotations

import asyncio
import socket

import pytest
from _engine_support import (
    HTTP_DEFAULTS,
    backends,
    config_of,
    read_response,
    render,
    request,
    running,
)

from proxy.engine import EngineError

CONFIG = "\n" + HTTP_DEFAULTS + """frontend www
    bind 127.0.0.1:0
    {extra}
    default_backend app
backend app
    server s 127.0.0.1:{port}
"""


def config(port: int, extra: str = "") -> str:
    return CONFIG.format(port=port, extra=extra)


@pytest.mark.asyncio
async def test_reload_under_load_fails_no_request() -> None:
    async with (
        backends("old", "new") as (old, new),
        running(config(old.port)) as engine,
    ):
        port = engine.port_of("www")
        stop = asyncio.Event()
        results: list[bytes | Exception] = []

        async def keep_alive_client() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                while not stop.is_set():
                    writer.write(render("/"))
                    results.append((await read_response(reader)).body)
            finally:
                writer.close()

        async def new_connection_client() -> None:
            while not stop.is_set():
                try:
                    results.append((await request(port, "/")).body)
                except Exception as exc:  # a refused or reset connection is a failure
                    results.append(exc)

        clients = [asyncio.create_task(c()) for c in
                   (keep_alive_client, keep_alive_client, new_connection_client, new_connection_client)]
        for round_ in range(6):
            await asyncio.sleep(0.05)
            target = new if round_ % 2 == 0 else old
            await engine.apply(config_of(config(target.port)))
            assert engine.port_of("www") == port  # the same socket keeps accepting
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*clients)
    failures = [r for r in results if not isinstance(r, bytes) or not r.endswith(b"Home page!\n")]
    assert failures == []
    assert len(results) > 50
    assert {r.split(b":")[0] for r in results if isinstance(r, bytes)} == {b"old", b"new"}


@pytest.mark.asyncio
async def test_in_flight_request_finishes_on_the_config_it_started_with() -> None:
    async with backends("old", "new") as (old, new), running(config(old.port)) as engine:
        port = engine.port_of("www")
        slow = asyncio.create_task(request(port, "/?delay=0.3"))
        await asyncio.sleep(0.1)
        await engine.apply(config_of(config(new.port)))
        fresh = await request(port, "/")
        assert (await slow).body == b"old: Home page!\n"
    assert fresh.body == b"new: Home page!\n"


@pytest.mark.asyncio
async def test_port_in_use_refuses_the_reload_and_keeps_serving() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    try:
        async with (
            backends("old", "new") as (old, new),
            running(config(old.port)) as engine,
        ):
            before = engine.listening
            extra_bind = f"bind 127.0.0.1:{busy}"
            with pytest.raises(EngineError) as refused:
                await engine.apply(config_of(config(new.port, extra_bind)))
            assert engine.listening == before
            answer = await request(engine.port_of("www"), "/")
    finally:
        holder.close()
    assert f"127.0.0.1:{busy}" in refused.value.message
    assert answer.body == b"old: Home page!\n"


@pytest.mark.asyncio
async def test_invalid_config_is_refused_with_diagnostics() -> None:
    async with backends("old") as (old,), running(config(old.port)) as engine:
        broken = config(old.port).replace("default_backend app", "default_backend missing")
        with pytest.raises(EngineError) as refused:
            await engine.apply(config_of(broken))
        answer = await request(engine.port_of("www"), "/")
    assert refused.value.diagnostics and refused.value.diagnostics[0].is_error
    assert "missing" in refused.value.message
    assert answer.status == 200


@pytest.mark.asyncio
async def test_removed_frontend_stops_listening_and_a_new_one_starts() -> None:
    second = """
frontend second
    bind 127.0.0.1:0
    default_backend app
"""
    async with backends("s") as (s,), running(config(s.port) + second) as engine:
        gone = engine.port_of("second")
        await engine.apply(config_of(config(s.port)))
        assert [name for name, _, _ in engine.listening] == ["www"]
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", gone)
        await engine.apply(config_of(config(s.port) + second))
        assert (await request(engine.port_of("second"), "/")).status == 200
