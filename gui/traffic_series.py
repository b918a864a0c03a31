"""Per-server traffic history for the Traffic tab: rates from successive stats snapshots.

Theory of operation
-------------------
The engine's ``StatsSnapshot`` holds cumulative counters.  ``TrafficHistory.record``
is handed one snapshot per poll tick and turns each server's ``stot`` into a
rate: its increase over the last ``rate_window`` seconds (1 s, as HAProxy's own
``rate`` columns) divided by the time those samples span; a rate over a single
250 ms tick would jump between 0 and 4 req/s for one request a second.
``stot`` because it is the server counter that counts each request: the
engine opens one server session (HAProxy's stream) per HTTP request it
dispatches, and one per TCP connection; it does not count ``req_tot`` nor bytes
per server in HTTP mode.  The second figure is ``scur``, the server's current
sessions, as sampled.  Each backend keeps the sample times and, per server, one
bounded ring buffer per figure, so memory is bounded by ``capacity``.

Counters restart from zero when a config Apply rebuilds a server or the engine
restarts.  A counter that went *down* is taken as a reset: the increase is its
new value (what was counted since the reset, as Prometheus' ``rate()`` does),
so a reset never draws a negative spike.  A new engine (``started_at`` changed)
starts a fresh history: the old one described another run.

Servers and backends follow the latest snapshot: one added by an Apply gets a
line from its first sample on (earlier samples are NaN, which the plot leaves
blank), one removed is dropped with its history.

Plain Python, no Qt: testable without a QApplication, cheap enough to run on
the GUI thread four times a second (a few dictionary reads per server).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from proxy.engine.stats import StatRow, StatsSnapshot

__all__ = ["REQUEST_COUNTER", "BackendSeries", "ServerSeries", "TrafficHistory", "counter_delta"]

NAN = math.nan
REQUEST_COUNTER = "stot"  # one per request dispatched to the server (see the module docstring)


def counter_delta(previous: float, current: float) -> float:
    """How much a cumulative counter grew; a counter that went down was reset to zero."""
    return current - previous if current >= previous else current


@dataclass
class ServerSeries:
    """One server's recent rates, aligned with its backend's sample times."""

    name: str
    status: str
    requests: deque[float]  # requests (TCP: sessions) per second
    sessions: deque[float]  # current sessions (scur) at each sample
    last_count: float | None = None  # REQUEST_COUNTER at the previous sample
    # (elapsed seconds, counter increase) of the newest steps, covering the rate window
    steps: deque[tuple[float, float]] = field(default_factory=deque)

    @property
    def current_sessions(self) -> int:
        return int(self.sessions[-1]) if self.sessions else 0


@dataclass
class BackendSeries:
    """A backend's sample times (monotonic seconds) and its servers' series."""

    name: str
    mode: str
    capacity: int
    rate_window: float = 1.0
    times: deque[float] = field(init=False)
    servers: dict[str, ServerSeries] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.times = deque(maxlen=self.capacity)

    @property
    def unit(self) -> str:
        return "requests/s" if self.mode == "http" else "sessions/s"

    def ages(self) -> list[float]:
        """Seconds before the newest sample, oldest first (the x values of the graphs)."""
        if not self.times:
            return []
        newest = self.times[-1]
        return [newest - t for t in self.times]

    def _new_server(self, row: StatRow) -> ServerSeries:
        # Padded with NaN so every server's buffer lines up with ``times``.
        padding = [NAN] * (len(self.times) - 1)
        return ServerSeries(row.name, row.status, deque(padding, self.capacity),
                            deque(padding, self.capacity))

    def record(self, when: float, elapsed: float | None, rows: Iterable[StatRow]) -> None:
        """Append one sample: ``elapsed`` seconds since the previous one (None: the first)."""
        self.times.append(when)
        # Rebuilt in the snapshot's order: a server removed by an Apply goes, with its line.
        servers: dict[str, ServerSeries] = {}
        for row in rows:
            server = self.servers.get(row.name) or self._new_server(row)
            _record_server(server, row, elapsed, self.rate_window)
            servers[row.name] = server
        self.servers = servers


def _record_server(server: ServerSeries, row: StatRow, elapsed: float | None,
                   rate_window: float) -> None:
    current = row.counters.get(REQUEST_COUNTER, 0.0)
    previous, server.last_count = server.last_count, current
    server.status = row.status
    server.sessions.append(row.counters.get("scur", 0.0))
    if previous is None or elapsed is None:
        server.requests.append(NAN)  # nothing to compare with yet: no rate, a blank point
        return
    # Increases per step (reset-safe one by one), summed over the newest steps that
    # cover the window: the oldest step goes once the others cover it without it.
    steps = server.steps
    steps.append((elapsed, counter_delta(previous, current)))
    span = sum(step for step, _increase in steps)
    while len(steps) > 1 and span - steps[0][0] >= rate_window:
        span -= steps.popleft()[0]
    server.requests.append(sum(increase for _step, increase in steps) / span)


def _servers_by_backend(snapshot: StatsSnapshot) -> dict[str, list[StatRow]]:
    grouped: dict[str, list[StatRow]] = {}
    for row in snapshot.servers:
        grouped.setdefault(row.proxy, []).append(row)
    return grouped


class TrafficHistory:
    """Every backend's server rates over the last ``capacity`` snapshots."""

    def __init__(self, capacity: int = 480, rate_window: float = 1.0) -> None:
        self.capacity = capacity  # 480 samples: two minutes at the window's 4 Hz poll
        self.rate_window = rate_window  # seconds; 0: each tick's own rate
        self.backends: dict[str, BackendSeries] = {}
        self._last_time: float | None = None
        self._started_at: float | None = None

    @property
    def started_at(self) -> float | None:
        """The recorded engine run's start (epoch seconds); None before the first snapshot."""
        return self._started_at

    def clear(self) -> None:
        self.backends.clear()
        self._last_time = self._started_at = None

    def record(self, snapshot: StatsSnapshot, now: float | None = None) -> bool:
        """Add one snapshot's sample, taken at ``now`` (monotonic seconds; default: the clock).

        The monotonic clock, not ``snapshot.time``: the wall clock can step (NTP, suspend)
        and a step would divide by a wrong interval.  The runner builds a snapshot when
        asked, so the time it arrives (``host.latest_stats()`` keeps it) is the time it
        describes, within a few ms.  Returns False when no time passed since the previous
        sample (nothing recorded: e.g. the same snapshot seen by two ticks).
        """
        now = time.monotonic() if now is None else now
        if snapshot.started_at != self._started_at:
            self.clear()  # another engine run: its counters and servers are not comparable
            self._started_at = snapshot.started_at
        elapsed = None if self._last_time is None else now - self._last_time
        if elapsed is not None and elapsed <= 0:
            return False
        self._last_time = now
        grouped = _servers_by_backend(snapshot)
        # Rebuilt in the snapshot's (declaration) order: a removed backend goes, with its history.
        backends: dict[str, BackendSeries] = {}
        for name, rows in grouped.items():
            backend = self.backends.get(name)
            if backend is None:
                backend = BackendSeries(name, rows[0].mode, self.capacity, self.rate_window)
            backend.mode = rows[0].mode
            backend.record(now, elapsed, rows)
            backends[name] = backend
        self.backends = backends
        return True

    def latest_rates(self) -> Mapping[tuple[str, str], float]:
        """(backend, server) -> the newest requests/s (NaN before the second sample)."""
        return {(b.name, s.name): (s.requests[-1] if s.requests else NAN)
                for b in self.backends.values() for s in b.servers.values()}
