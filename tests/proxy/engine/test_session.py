"""The sessions' shared timer wheel (session.py): deadlines fire on time, move, cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from proxy.engine.session import Hub, SessionBase, TimerWheel

TOLERANCE = 0.05  # the wheel fires at most one 10 ms bucket late; leave room for a busy CI


class Sleeper(SessionBase):
    """A session that only records when its deadline expired."""

    __slots__ = ("expired_at",)

    def __init__(self, hub: Hub) -> None:
        super().__init__(hub)
        self.expired_at: float | None = None

    def on_timeout(self) -> None:
        self.expired_at = self.loop.time()


async def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate() and loop.time() < deadline:
        await asyncio.sleep(0.005)


@pytest.mark.asyncio
async def test_a_deadline_fires_not_before_and_shortly_after_its_time() -> None:
    session = Sleeper(Hub())
    start = session.loop.time()
    session.set_deadline(0.1, start)
    await wait_until(lambda: session.expired_at is not None)
    assert session.expired_at is not None
    assert 0.1 <= session.expired_at - start < 0.1 + TOLERANCE


@pytest.mark.asyncio
async def test_moving_a_deadline_later_delays_the_timeout() -> None:
    session = Sleeper(Hub())
    start = session.loop.time()
    session.set_deadline(0.05, start)
    await asyncio.sleep(0.03)
    moved_at = session.loop.time()
    session.set_deadline(0.1, moved_at)  # activity: the session stays alive longer
    await wait_until(lambda: session.expired_at is not None)
    assert session.expired_at is not None
    assert 0.1 <= session.expired_at - moved_at < 0.1 + TOLERANCE


@pytest.mark.asyncio
async def test_moving_a_deadline_earlier_fires_at_the_earlier_time() -> None:
    session = Sleeper(Hub())
    start = session.loop.time()
    session.set_deadline(5.0, start)
    session.set_deadline(0.05, start)
    await wait_until(lambda: session.expired_at is not None)
    assert session.expired_at is not None
    assert session.expired_at - start < 0.05 + TOLERANCE


@pytest.mark.asyncio
async def test_a_cancelled_or_disabled_deadline_never_fires() -> None:
    hub = Hub()
    cancelled, disabled = Sleeper(hub), Sleeper(hub)
    cancelled.set_deadline(0.02)
    disabled.set_deadline(0.02)
    cancelled.cancel_timer()
    disabled.set_deadline(None)
    await asyncio.sleep(0.08)
    assert cancelled.expired_at is None and disabled.expired_at is None
    assert cancelled.bucket == 0


@pytest.mark.asyncio
async def test_sessions_expiring_together_share_one_loop_timer() -> None:
    hub = Hub()
    sessions = [Sleeper(hub) for _ in range(200)]
    now = sessions[0].loop.time()
    for session in sessions:
        session.set_deadline(0.05, now)
    wheel = hub.wheel
    assert isinstance(wheel, TimerWheel)
    assert len(wheel.handles) == 1 and len(wheel.buckets[sessions[0].bucket]) == 200
    await wait_until(lambda: all(s.expired_at is not None for s in sessions))
    assert all(s.expired_at is not None for s in sessions)
    assert not wheel.handles and not wheel.buckets  # fired buckets are dropped


@pytest.mark.asyncio
async def test_cancel_all_drops_every_pending_bucket() -> None:
    hub = Hub()
    session = Sleeper(hub)
    session.set_deadline(0.02)
    assert hub.wheel is not None
    hub.wheel.cancel_all()
    await asyncio.sleep(0.06)
    assert session.expired_at is None
    assert not hub.wheel.handles
