"""Traffic counters named after HAProxy's ``show stat`` columns.

The engine's connection handlers increment these plain attributes on the
hot path (no locks: one asyncio loop owns them).  Readers in other threads
(the GUI) never read them directly: they take ``snapshot()`` copies through
the engine's public ``stats()``.  Column meanings follow HAProxy's
management.txt §9.1.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, fields

__all__ = ["Counters", "RateCounter", "TimingWindow"]

_monotonic = time.monotonic


class RateCounter:
    """Events in the last second, as HAProxy's ``rate``/``req_rate`` (a 1-second sliding window)."""

    __slots__ = ("_curr", "_prev", "_second", "max")

    def __init__(self) -> None:
        self._second = int(time.monotonic())
        self._curr = 0
        self._prev = 0
        self.max = 0

    def _roll(self, now: int) -> None:
        if now != self._second:
            self._prev = self._curr if now == self._second + 1 else 0
            self._curr = 0
            self._second = now

    def add(self, n: int = 1) -> None:
        # Called several times per request: one clock read, arithmetic inline
        # (the same figure as value()).
        now = _monotonic()
        second = int(now)
        if second != self._second:
            self._roll(second)
        self._curr += n
        rate = int(self._curr + self._prev * (1.0 - (now - second)))
        if rate > self.max:
            self.max = rate

    def value(self) -> int:
        """Events over the last second: the current partial second plus the previous one, pro rata."""
        now = time.monotonic()
        self._roll(int(now))
        elapsed = now - int(now)
        return int(self._curr + self._prev * (1.0 - elapsed))


class TimingWindow:
    """The last N response and total times (ms), for averages and percentiles."""

    __slots__ = ("response", "total")

    def __init__(self, size: int = 1024) -> None:
        self.response: deque[float] = deque(maxlen=size)
        self.total: deque[float] = deque(maxlen=size)

    def add(self, response_ms: float, total_ms: float) -> None:
        self.response.append(response_ms)
        self.total.append(total_ms)

    @staticmethod
    def percentile(samples: deque[float] | list[float], q: float) -> float:
        if not samples:
            return 0.0
        ordered = sorted(samples)
        index = min(len(ordered) - 1, max(0, round(q / 100.0 * (len(ordered) - 1))))
        return ordered[index]


@dataclass(slots=True)
class Counters:
    """Counters of one frontend, backend or server (HAProxy's column names)."""

    scur: int = 0  # current sessions
    smax: int = 0  # max sessions
    slim: int = 0  # configured session limit (maxconn), 0 = none
    stot: int = 0  # total sessions
    bin: int = 0  # bytes in (from clients)
    bout: int = 0  # bytes out (to clients)
    dreq: int = 0  # requests denied by rules
    dresp: int = 0  # responses denied
    ereq: int = 0  # request errors (bad requests, client timeouts)
    econ: int = 0  # connection errors to servers
    eresp: int = 0  # response errors (invalid responses, server timeouts, aborts)
    wretr: int = 0  # connection retries
    wredis: int = 0  # redispatches
    qcur: int = 0  # queued requests now
    qmax: int = 0  # max queued
    req_tot: int = 0  # HTTP requests
    hrsp_1xx: int = 0
    hrsp_2xx: int = 0
    hrsp_3xx: int = 0
    hrsp_4xx: int = 0
    hrsp_5xx: int = 0
    hrsp_other: int = 0
    lbtot: int = 0  # times selected by the balancer
    rate: RateCounter = field(default_factory=RateCounter)  # sessions per second
    req_rate: RateCounter = field(default_factory=RateCounter)  # requests per second
    timings: TimingWindow = field(default_factory=TimingWindow)

    def session_opened(self) -> None:
        scur = self.scur = self.scur + 1
        self.stot += 1
        if scur > self.smax:
            self.smax = scur
        self.rate.add()

    def session_closed(self) -> None:
        self.scur -= 1

    def count_status(self, status: int) -> None:
        bucket = status // 100
        if bucket == 2:  # the usual answer first
            self.hrsp_2xx += 1
        elif bucket == 1:
            self.hrsp_1xx += 1
        elif bucket == 3:
            self.hrsp_3xx += 1
        elif bucket == 4:
            self.hrsp_4xx += 1
        elif bucket == 5:
            self.hrsp_5xx += 1
        else:
            self.hrsp_other += 1

    def request_started(self) -> None:
        self.req_tot += 1
        self.req_rate.add()

    def snapshot(self) -> dict[str, float]:
        """A plain, immutable-by-copy view: ints, rates and timing figures (ms)."""
        data: dict[str, float] = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("rate", "req_rate", "timings")
        }
        data["rate"] = self.rate.value()
        data["rate_max"] = self.rate.max
        data["req_rate"] = self.req_rate.value()
        data["req_rate_max"] = self.req_rate.max
        response = list(self.timings.response)
        total = list(self.timings.total)
        data["rtime"] = sum(response) / len(response) if response else 0.0
        data["ttime"] = sum(total) / len(total) if total else 0.0
        for q in (50, 90, 99):
            data[f"rtime_p{q}"] = TimingWindow.percentile(response, q)
        return data
