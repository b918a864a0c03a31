"""Tests for proxy.engine.counters: the show-stat counters the hot path updates."""

from __future__ import annotations

import time

from proxy.engine.counters import Counters, RateCounter


def test_rate_counts_the_events_of_the_last_second() -> None:
    rate = RateCounter()
    second = int(time.monotonic())
    for _ in range(50):
        rate.add()
    if int(time.monotonic()) == second:  # no second boundary crossed meanwhile
        assert rate.value() == 50
        assert rate.max == 50
    assert 0 < rate.value() <= 50


def test_rate_max_keeps_the_peak_after_the_window_moves_on() -> None:
    rate = RateCounter()
    rate.add(30)
    peak = rate.max
    rate._roll(int(time.monotonic()) + 5)  # five seconds later: nothing recent
    assert rate.value() == 0
    assert rate.max == peak >= 30


def test_sessions_track_current_max_and_total() -> None:
    counters = Counters()
    for _ in range(3):
        counters.session_opened()
    counters.session_closed()
    counters.session_opened()
    assert (counters.scur, counters.smax, counters.stot) == (3, 3, 4)
    assert counters.snapshot()["rate"] >= 1


def test_statuses_land_in_their_class() -> None:
    counters = Counters()
    for status in (100, 200, 204, 302, 404, 503, 600):
        counters.count_status(status)
    snap = counters.snapshot()
    assert [snap[f"hrsp_{c}xx"] for c in range(1, 6)] == [1, 2, 1, 1, 1]
    assert snap["hrsp_other"] == 1
