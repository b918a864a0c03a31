"""TrafficHistory: per-server rates from successive stats snapshots, without Qt.

The snapshots are built by hand with the engine's own ``StatRow``/``StatsSnapshot``
types, so each test states exactly which counters moved and when."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from gui.traffic_series import TrafficHistory, counter_delta
from proxy.engine.stats import TYPE_BACKEND, TYPE_SERVER, StatRow, StatsSnapshot

ROOT = Path(__file__).resolve().parents[2]
STARTED = 1_700_000_000.0


def _server(backend: str, name: str, stot: int, *, scur: int = 0, status: str = "UP",
            mode: str = "http") -> StatRow:
    # stot: the engine opens one server session per request it dispatches to the server.
    counters = {"stot": stot, "scur": scur, "req_tot": 0, "bout": 0}
    return StatRow(proxy=backend, name=name, type=TYPE_SERVER, iid=2, sid=1, mode=mode,
                   status=status, counters=counters)


def _snapshot(*servers: StatRow, started_at: float = STARTED) -> StatsSnapshot:
    backends = {row.proxy: row.mode for row in servers}
    rows = [*servers, *(StatRow(proxy=b, name="BACKEND", type=TYPE_BACKEND, iid=2, sid=0, mode=m,
                                status="UP", counters={}) for b, m in backends.items())]
    return StatsSnapshot(time=STARTED + 100, started_at=started_at, rows=tuple(rows))


def _requests(history: TrafficHistory, backend: str, server: str) -> list[float]:
    return list(history.backends[backend].servers[server].requests)


def test_rates_are_counter_increases_over_elapsed_time() -> None:
    history = TrafficHistory(rate_window=0)  # each tick's own rate
    history.record(_snapshot(_server("app", "s1", 10, scur=1), _server("app", "s2", 0)), now=0.0)
    history.record(_snapshot(_server("app", "s1", 30, scur=4), _server("app", "s2", 5)), now=0.5)
    history.record(_snapshot(_server("app", "s1", 30, scur=0), _server("app", "s2", 6)), now=1.0)
    app = history.backends["app"]
    first, *rest = _requests(history, "app", "s1")
    assert math.isnan(first)  # no rate before a second sample: a blank point, not a zero
    assert rest == [40.0, 0.0]
    assert list(app.servers["s1"].sessions) == [1.0, 4.0, 0.0]  # sampled as they are
    assert _requests(history, "app", "s2")[1:] == [10.0, 2.0]
    assert app.ages() == [1.0, 0.5, 0.0]  # x values: seconds before the newest sample
    assert app.unit == "requests/s"


def test_rates_are_averaged_over_the_last_second() -> None:
    history = TrafficHistory()  # 4 Hz ticks, one request a second, counted at one tick of four
    for tick, count in enumerate((0, 1, 1, 1, 1, 2, 2, 2, 2, 3)):
        history.record(_snapshot(_server("app", "s1", count)), now=tick * 0.25)
    rates = _requests(history, "app", "s1")
    assert rates[1:4] == [4.0, 2.0, pytest.approx(4 / 3)]  # less than a second seen yet
    assert rates[4:] == [1.0] * 6  # then steady, where one tick's rate would jump 0 <-> 4


def test_a_counter_reset_counts_from_zero_instead_of_going_negative() -> None:
    history = TrafficHistory()
    history.record(_snapshot(_server("app", "s1", 500)), now=0.0)
    history.record(_snapshot(_server("app", "s1", 3)), now=1.0)  # an Apply rebuilt s1
    history.record(_snapshot(_server("app", "s1", 7)), now=2.0)
    assert _requests(history, "app", "s1")[1:] == [3.0, 4.0]
    assert counter_delta(10, 4) == 4 and counter_delta(4, 10) == 6


def test_a_new_engine_run_starts_a_fresh_history() -> None:
    history = TrafficHistory()
    history.record(_snapshot(_server("app", "s1", 100)), now=0.0)
    history.record(_snapshot(_server("app", "s1", 120)), now=1.0)
    history.record(_snapshot(_server("app", "s1", 125), started_at=STARTED + 50), now=2.0)
    assert len(history.backends["app"].times) == 1  # the old run's samples went
    assert math.isnan(_requests(history, "app", "s1")[0])  # and 125 - 120 is not a rate
    assert history.started_at == STARTED + 50


def test_servers_and_backends_follow_an_apply() -> None:
    history = TrafficHistory()
    history.record(_snapshot(_server("app", "s1", 0), _server("old", "x", 0)), now=0.0)
    history.record(_snapshot(_server("app", "s1", 4), _server("old", "x", 1)), now=1.0)
    # The Apply: s2 joins app, backend "old" is gone, backend "new" appears.
    history.record(_snapshot(_server("app", "s1", 8), _server("app", "s2", 0),
                             _server("new", "n1", 0, mode="tcp")), now=2.0)
    history.record(_snapshot(_server("app", "s1", 10), _server("app", "s2", 3),
                             _server("new", "n1", 2, mode="tcp")), now=3.0)
    assert list(history.backends) == ["app", "new"]
    app = history.backends["app"]
    assert list(app.servers) == ["s1", "s2"]
    s2 = _requests(history, "app", "s2")
    assert len(s2) == len(app.times) == 4  # aligned with the sample times, NaN before it existed
    assert all(math.isnan(v) for v in s2[:3]) and s2[3] == 3.0
    assert _requests(history, "new", "n1")[1:] == [2.0]  # TCP: sessions per second
    assert history.backends["new"].unit == "sessions/s"
    history.record(_snapshot(_server("app", "s2", 4)), now=4.0)  # s1 removed
    assert list(history.backends["app"].servers) == ["s2"]


def test_state_and_current_sessions_follow_the_latest_snapshot() -> None:
    history = TrafficHistory()
    history.record(_snapshot(_server("app", "s1", 0, status="UP", scur=3)), now=0.0)
    history.record(_snapshot(_server("app", "s1", 0, status="MAINT", scur=0)), now=1.0)
    server = history.backends["app"].servers["s1"]
    assert (server.status, server.current_sessions) == ("MAINT", 0)


def test_buffers_are_bounded_and_repeated_instants_are_ignored() -> None:
    history = TrafficHistory(capacity=5)
    for tick in range(20):
        assert history.record(_snapshot(_server("app", "s1", tick * 2)), now=tick * 0.25)
    assert not history.record(_snapshot(_server("app", "s1", 99)), now=19 * 0.25)
    app = history.backends["app"]
    assert len(app.times) == 5 and _requests(history, "app", "s1") == [8.0] * 5
    assert app.ages()[0] == pytest.approx(1.0)


def test_an_empty_history_and_a_cleared_one() -> None:
    history = TrafficHistory()
    assert history.latest_rates() == {} and history.started_at is None
    history.record(_snapshot(_server("app", "s1", 0)), now=0.0)
    history.record(_snapshot(_server("app", "s1", 2)), now=1.0)
    assert history.latest_rates() == {("app", "s1"): 2.0}
    history.clear()
    assert history.backends == {} and history.started_at is None


def test_the_data_logic_never_imports_qt() -> None:
    code = ("import sys, gui.traffic_series\n"
            "sys.exit(1 if any(m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6') for m in sys.modules) else 0)\n")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0
