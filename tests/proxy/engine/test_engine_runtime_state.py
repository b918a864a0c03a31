"""Runtime state the stats and the GUI read: drain vs weight, disabled servers, thread safety.

Real engine, real backends on 127.0.0.1.  The thread test runs the engine on
a loop in its own thread, exactly as the GUI's ``EngineHost`` does, and calls
``stats()``/``drain_events()`` from the test's thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from _engine_support import HTTP_DEFAULTS, backends, load, request, running, wait_for

from proxy.engine import Engine, LogEvent

TWO_SERVERS = """
global
    maxconn 321
""" + HTTP_DEFAULTS + """backend app
    balance leastconn
    server a 127.0.0.1:{a} weight 3
    server b 127.0.0.1:{b} weight 2
    server c 127.0.0.1:{b} check inter 20ms disabled
frontend web
    bind 127.0.0.1:0
    default_backend app
"""


def row(engine: Engine, server: str):  # type: ignore[no-untyped-def]
    found = engine.stats().find("app", server)
    assert found is not None
    return found


@pytest.mark.asyncio
async def test_drain_keeps_the_user_weight_and_takes_no_new_traffic() -> None:
    async with backends("a", "b") as [a, b], running(TWO_SERVERS.format(a=a.port, b=b.port)) as engine:
        port = engine.port_of("web")
        engine.set_server_state("app", "a", "drain")
        drained = row(engine, "a")
        assert (drained.status, drained.weight, drained.uweight) == ("DRAIN", 0, 3)
        for _ in range(4):
            assert (await request(port)).body == b"b: Home page!\n"
        assert not a.seen
        engine.set_server_weight("app", "a", 5)  # a weight change while draining is remembered
        assert (row(engine, "a").status, row(engine, "a").weight, row(engine, "a").uweight) == (
            "DRAIN", 0, 5)
        engine.set_server_state("app", "a", "ready")
        ready = row(engine, "a")
        assert (ready.status, ready.weight, ready.uweight) == ("no check", 5, 5)
        engine.set_server_state("app", "b", "maint")
        assert (await request(port)).body == b"a: Home page!\n"
        engine.set_server_weight("app", "b", 0)  # user weight 0 is HAProxy's DRAIN too
        engine.set_server_state("app", "b", "ready")
        assert row(engine, "b").status == "DRAIN"


@pytest.mark.asyncio
async def test_disabled_server_starts_in_maintenance_without_a_down_transition() -> None:
    async with backends("a", "b") as [a, b], running(TWO_SERVERS.format(a=a.port, b=b.port)) as engine:
        await asyncio.sleep(0.1)  # several check intervals
        disabled = row(engine, "c")
        assert disabled.status == "MAINT"
        assert disabled.check is not None and disabled.check.chkdown == 0
        engine.set_server_state("app", "c", "ready")
        await wait_for(lambda: row(engine, "c").status.startswith("UP"))
        assert row(engine, "c").check.chkdown == 0


@pytest.mark.asyncio
async def test_snapshot_carries_global_maxconn_declaration_order_and_algorithm() -> None:
    async with backends("a", "b") as [a, b], running(TWO_SERVERS.format(a=a.port, b=b.port)) as engine:
        snapshot = engine.stats()
        assert snapshot.maxconn == 321
        assert [(r.proxy, r.name) for r in snapshot.rows] == [
            ("app", "a"), ("app", "b"), ("app", "c"), ("app", "BACKEND"), ("web", "FRONTEND"),
        ]
        header, *lines = snapshot.csv().splitlines()
        columns = header[2:].split(",")
        backend_line = next(line.split(",") for line in lines if line.startswith("app,BACKEND,"))
        assert backend_line[columns.index("algo")] == "leastconn"


@pytest.fixture
def engine_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in its own thread (the GUI's arrangement)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="engine-loop", daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


def test_stats_and_events_from_another_thread(engine_thread: asyncio.AbstractEventLoop) -> None:
    loop = engine_thread

    def on_loop(coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=5)

    async def setup() -> tuple[object, Engine]:
        context = backends("a", "b")
        started = await context.__aenter__()
        engine = load(TWO_SERVERS.format(a=started[0].port, b=started[1].port))
        await engine.start()
        return context, engine

    context, engine = on_loop(setup())
    built_on: list[threading.Thread] = []
    build = engine._build_stats  # a spy recording the thread; the real builder still runs

    def spying_build():  # type: ignore[no-untyped-def]
        built_on.append(threading.current_thread())
        return build()

    engine._build_stats = spying_build  # type: ignore[method-assign]
    try:
        assert engine.drain_events() == []  # switches recording on (through the loop)
        port = engine.port_of("web")
        for i in range(1, 6):
            on_loop(request(port))
            assert engine.stats().find("web", "FRONTEND").counters["req_tot"] == i  # type: ignore[union-attr]
        assert built_on and all(t.name == "engine-loop" for t in built_on)
        events: list[LogEvent] = []
        deadline = 50
        while len(events) < 5 and deadline:
            events += engine.drain_events()
            deadline -= 1
            threading.Event().wait(0.01)
        assert [e.status for e in events] == [200] * 5
    finally:
        on_loop(engine.stop(grace=0.5))
        on_loop(context.__aexit__(None, None, None))  # type: ignore[attr-defined]
