"""The drained record's sampling (``Engine.sample_events``): what a busy window is sent.

The sampler alone runs on a stepped clock; the engine tests send real requests on
127.0.0.1 and check what the record took, what it counted as left out, and that
subscribers (``log`` lines) still get every event.
"""

from __future__ import annotations

import asyncio

import pytest
from _engine_support import HTTP_DEFAULTS, backends, request, running

from proxy.engine import LogEvent
from proxy.engine.session import EventSampler, Hub, is_notable


def test_a_burst_is_taken_whole_then_the_refills_hold_the_rate() -> None:
    sampler = EventSampler(per_second=10, burst=5, now=100.0)
    assert [sampler.admit(False) for _ in range(7)] == [True] * 5 + [False] * 2
    sampler.refill(100.25)  # 2.5 tokens
    assert [sampler.admit(False) for _ in range(4)] == [True, True, False, False]
    sampler.refill(160.0)  # a long quiet spell refills to the burst, not beyond
    assert sum(sampler.admit(False) for _ in range(20)) == 5
    sampler.refill(150.0)  # a clock that went back earns nothing
    assert not sampler.admit(False)


def test_errors_have_a_bucket_of_their_own() -> None:
    sampler = EventSampler(per_second=1, burst=3, now=0.0)
    assert sum(sampler.admit(False) for _ in range(10)) == 3  # the successes ran it dry
    assert [sampler.admit(True) for _ in range(4)] == [True, True, True, False]


def test_the_hub_takes_tokens_as_the_sampler_does() -> None:
    hub = Hub()
    hub.drain_active = True
    hub.sampler = EventSampler(per_second=1, burst=2, now=0.0)
    taken = [hub.records(notable) for notable in (False, False, False, True, True, True)]
    assert taken == [True, True, False, True, True, False] and hub.unrecorded == 2


def test_what_counts_as_notable() -> None:
    assert not is_notable(200, "--") and not is_notable(302, "--") and not is_notable(None, "--")
    assert is_notable(404, "--") and is_notable(503, "SC") and is_notable(None, "CD")
    assert is_notable(403, "PR")
    assert not is_notable(200, "LR") and not is_notable(302, "LR")  # answered by the proxy itself
    assert is_notable(401, "LR")


def test_an_undrained_record_counts_what_it_pushes_out() -> None:
    hub = Hub()
    hub.drain_active = True
    hub.events = type(hub.events)(maxlen=3)
    event = LogEvent(0.0, ("127.0.0.1", 1), "f", "b", "s", 200, 0, 0, None, "", "--")  # type: ignore[arg-type]
    for _ in range(5):
        hub.emit(event, hub.records(False))
    assert len(hub.events) == 3 and hub.unrecorded == 2


CONFIG = HTTP_DEFAULTS + """frontend web
    bind 127.0.0.1:0
    http-request deny if {{ path_beg /admin }}
    default_backend app
backend app
    server s1 127.0.0.1:{port}
"""


async def _send(port: int, paths: list[str]) -> list[int]:
    return [(await request(port, path)).status for path in paths]


@pytest.mark.asyncio
async def test_a_sampled_record_lists_the_burst_and_every_refusal_and_counts_the_rest() -> None:
    async with backends("a") as (app,), running(CONFIG.format(port=app.port)) as engine:
        engine.sample_events(per_second=0.001, burst=10)  # no refill during the test
        engine.drain_events()  # switches the record on
        logged: list[LogEvent] = []
        engine.subscribe(logged.append)
        port = engine.port_of("web")
        statuses = await _send(port, ["/"] * 30 + ["/admin"] * 4)
        await asyncio.sleep(0.05)
        listed = engine.drain_events(1000)
    assert statuses == [200] * 30 + [403] * 4
    assert [e.status for e in listed] == [200] * 10 + [403] * 4  # errors were not crowded out
    assert engine.events_unrecorded == 20
    assert len(logged) == 34  # a subscriber (a log target) gets every request


@pytest.mark.asyncio
async def test_an_unsampled_record_takes_every_event() -> None:
    async with backends("a") as (app,), running(CONFIG.format(port=app.port)) as engine:
        engine.drain_events()
        statuses = await _send(engine.port_of("web"), ["/"] * 25)
        await asyncio.sleep(0.05)
        listed = engine.drain_events(1000)
    assert statuses == [200] * 25
    assert len(listed) == 25 and engine.events_unrecorded == 0
