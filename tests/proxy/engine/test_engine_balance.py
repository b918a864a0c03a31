"""Balancing through the real engine (the algorithms' unit tables live in test_balance.py)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from _engine_support import HTTP_DEFAULTS, backends, config_of, request, running

HEAD = "\n" + HTTP_DEFAULTS + """frontend www
    bind 127.0.0.1:0
    default_backend app
backend app
"""


def _names(bodies: list[bytes]) -> list[str]:
    return [b.split(b":")[0].decode() for b in bodies]


async def _bodies(port: int, paths: list[str]) -> list[bytes]:
    return [(await request(port, p)).body for p in paths]


@pytest.mark.asyncio
async def test_weighted_roundrobin_is_smooth_and_proportional() -> None:
    async with backends("a", "b") as (a, b):
        text = HEAD + f"    server a 127.0.0.1:{a.port} weight 3\n    server b 127.0.0.1:{b.port} weight 1\n"
        async with running(text) as engine:
            names = _names(await _bodies(engine.port_of("www"), ["/"] * 8))
    assert Counter(names) == {"a": 6, "b": 2}
    assert "bb" not in "".join(names)  # smooth: b never twice in a row


@pytest.mark.asyncio
async def test_backup_serves_only_when_the_active_server_is_in_maintenance() -> None:
    async with backends("main", "spare") as (main, spare):
        text = HEAD + f"    server main 127.0.0.1:{main.port}\n    server spare 127.0.0.1:{spare.port} backup\n"
        async with running(text) as engine:
            port = engine.port_of("www")
            before = _names(await _bodies(port, ["/"] * 3))
            engine.set_server_state("app", "main", "maint")
            during = _names(await _bodies(port, ["/"] * 3))
            engine.set_server_state("app", "main", "ready")
            after = _names(await _bodies(port, ["/"] * 3))
    assert (before, during, after) == (["main"] * 3, ["spare"] * 3, ["main"] * 3)


@pytest.mark.asyncio
async def test_uri_hashing_is_stable_per_uri() -> None:
    async with backends("a", "b", "c") as servers:
        lines = "".join(f"    server {s.name} 127.0.0.1:{s.port}\n" for s in servers)
        async with running(HEAD + "    balance uri\n" + lines) as engine:
            paths = [f"/item/{i}" for i in range(12)]
            first = _names(await _bodies(engine.port_of("www"), paths))
            second = _names(await _bodies(engine.port_of("www"), paths))
    assert first == second
    assert len(set(first)) >= 2


@pytest.mark.asyncio
async def test_consistent_hashing_moves_few_uris_when_a_server_is_added() -> None:
    async with backends("a", "b", "c", "d", "e") as servers:
        def text(count: int) -> str:
            lines = "".join(f"    server {s.name} 127.0.0.1:{s.port}\n" for s in servers[:count])
            return HEAD + "    balance uri\n    hash-type consistent\n" + lines

        paths = [f"/obj/{i}" for i in range(200)]
        async with running(text(4)) as engine:
            port = engine.port_of("www")
            before = _names(await _bodies(port, paths))
            await engine.apply(config_of(text(5)))
            after = _names(await _bodies(port, paths))
    moved = sum(x != y for x, y in zip(before, after, strict=True))
    assert all(y == "e" for x, y in zip(before, after, strict=True) if x != y)
    assert 0 < moved <= 200 * 0.35


@pytest.mark.asyncio
async def test_leastconn_avoids_the_busy_server() -> None:
    async with backends("a", "b") as (a, b):
        text = HEAD + f"    balance leastconn\n    server a 127.0.0.1:{a.port}\n    server b 127.0.0.1:{b.port}\n"
        async with running(text) as engine:
            port = engine.port_of("www")
            slow = asyncio.create_task(request(port, "/?delay=0.4"))
            await asyncio.sleep(0.1)
            quick = _names(await _bodies(port, ["/"] * 4))
            busy = (await slow).body.split(b":")[0].decode()
    assert busy not in quick
    assert len(set(quick)) == 1


@pytest.mark.asyncio
async def test_weight_change_at_runtime_takes_effect() -> None:
    async with backends("a", "b") as (a, b):
        text = HEAD + f"    server a 127.0.0.1:{a.port}\n    server b 127.0.0.1:{b.port}\n"
        async with running(text) as engine:
            engine.set_server_weight("app", "b", 0)
            names = _names(await _bodies(engine.port_of("www"), ["/"] * 4))
    assert names == ["a"] * 4
