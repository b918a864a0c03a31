"""What every client session shares: the engine hub, log events, and a lazy deadline timer.

Theory of operation
-------------------
``Hub`` is the engine-wide state a session may touch: the loop, the live
session set (for a graceful stop), the global connection count and the log
event sink.  Sessions build a ``LogEvent`` only when ``hub.log_wanted`` is
true (someone subscribed or drains the deque), so an unobserved engine does
no logging work per request.

The drained record (the desktop app's Requests tab) can be *sampled*
(``EventSampler``): a window shows a few hundred rows a second, and at
20,000 requests a second building, encoding and relaying every event cost the
app-hosted engine ~13 % of its throughput for rows nobody could read (issue
12).  Subscribers (``log`` lines, which HAProxy writes for every request) are
never sampled; what the record leaves out is counted in ``Hub.unrecorded``, so
the window can say how many requests it did not list.

``SessionBase`` carries one *lazy* deadline per session.  Activity only
moves ``self.deadline`` forward (a float store); the session enters a
``TimerWheel`` bucket when it is in none or the new deadline falls in an
earlier bucket than the pending one.  When its bucket fires early (the
deadline moved on) it re-enters a later one.  The wheel runs one loop timer
per 10 ms bucket shared by every session expiring in it, instead of a
``TimerHandle`` per connection: a connection-per-request client then costs
a set insertion and removal rather than a timer's creation and cancelling,
and an idle connection holds no timer object.  Timeouts fire at most one
bucket (10 ms) late.

``LogEvent.httplog()``/``tcplog()`` reproduce HAProxy's default ``option
httplog``/``option tcplog`` lines (configuration.txt §8.2.3/§8.2.2).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from mypy_extensions import mypyc_attr

from proxy.engine.dispatch import parse_ip

__all__ = ["EventSampler", "Hub", "LogEvent", "SessionBase", "Timings", "host_text", "is_notable"]

_NEVER = float("inf")
_UNKNOWN_LOCAL = ("", 0)  # no host: "ask the transport for the local address"


# Timings and LogEvent are NamedTuples rather than frozen dataclasses: they are
# built once per request on the hot path, and a frozen dataclass's __init__
# (object.__setattr__ per field) measured 2.5 us against 0.6 us for a tuple.
# They stay immutable, which is what lets them cross to the GUI thread as is.
class Timings(NamedTuple):
    """HAProxy's timers in ms; -1 means the step was never reached."""

    TR: int = -1  # time to receive the full request head (HAProxy's Tq/TR)
    Tw: int = -1  # time waiting in queues
    Tc: int = -1  # time to connect to the server
    Tr: int = -1  # server response time (head received)
    Ta: int = -1  # total active time (HTTP) / Tt total session time (TCP)


class LogEvent(NamedTuple):
    """One finished request (HTTP) or connection (TCP)."""

    time: float  # epoch seconds when the request/connection was accepted
    client: tuple[str, int]
    frontend: str
    backend: str
    server: str
    status: int | None  # None in TCP mode
    bytes_in: int
    bytes_out: int
    timings: Timings
    rule: str
    termination_state: str  # two characters, e.g. "--", "CD", "sD", "PR"
    method: str = ""
    path: str = ""
    version: str = "HTTP/1.1"
    actconn: int = 0
    feconn: int = 0
    beconn: int = 0
    srv_conn: int = 0
    retries: int = 0
    srv_queue: int = 0
    backend_queue: int = 0
    # A connection refused before any request (a bad PROXY protocol header): the
    # listener's name ("name" on its bind, else its number in the frontend) and
    # HAProxy's error message; its log line is then HAProxy's error log format.
    listener: str = ""
    error: str = ""

    def _accept_date(self, with_ms: bool) -> str:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S", time.localtime(self.time))
        return f"{stamp}.{int(self.time * 1000) % 1000:03d}" if with_ms else stamp

    def _counts(self) -> str:
        retries = f"+{self.retries}" if self.retries and self.termination_state[:1] == "-" else str(self.retries)
        return (f"{self.actconn}/{self.feconn}/{self.beconn}/{self.srv_conn}/{retries} "
                f"{self.srv_queue}/{self.backend_queue}")

    def error_line(self) -> str:
        """HAProxy's error log format (configuration.txt 8.2.5)."""
        return (f"{self.client[0]}:{self.client[1]} [{self._accept_date(True)}] "
                f"{self.frontend}/{self.listener}: {self.error}")

    def httplog(self) -> str:
        if self.error:
            return self.error_line()
        t = self.timings
        request = f"{self.method} {self.path} {self.version}" if self.method else "<BADREQ>"
        return (
            f"{self.client[0]}:{self.client[1]} [{self._accept_date(True)}] {self.frontend} "
            f"{self.backend}/{self.server} {t.TR}/{t.Tw}/{t.Tc}/{t.Tr}/{t.Ta} "
            f"{self.status if self.status is not None else -1} {self.bytes_out} - - "
            f"{self.termination_state}-- {self._counts()} \"{request}\""
        )

    def tcplog(self) -> str:
        if self.error:
            return self.error_line()
        t = self.timings
        return (
            f"{self.client[0]}:{self.client[1]} [{self._accept_date(False)}] {self.frontend} "
            f"{self.backend}/{self.server} {t.Tw}/{t.Tc}/{t.Ta} {self.bytes_out} "
            f"{self.termination_state} {self._counts()}"
        )


class TimerWheel:
    """Deadlines rounded up to ``1/TICKS_PER_SECOND`` s buckets, one loop timer per bucket.

    asyncio has no cheaper timer than ``call_at``; sharing it per bucket is what a
    hand-written wheel buys (HAProxy's scheduler does the same with its wait queue).
    """

    TICKS_PER_SECOND: ClassVar[int] = 100  # (ClassVar: mypyc reads it through the class)

    __slots__ = ("buckets", "handles", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.buckets: dict[int, set[SessionBase]] = {}
        self.handles: dict[int, asyncio.TimerHandle] = {}

    def add(self, session: SessionBase, deadline: float) -> int:
        """Put ``session`` in the bucket that fires at or just after ``deadline``; its key."""
        key = int(deadline * self.TICKS_PER_SECOND) + 1
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = set()
            self.handles[key] = self.loop.call_at(key / self.TICKS_PER_SECOND, self._fire, key)
        bucket.add(session)
        return key

    def discard(self, session: SessionBase, key: int) -> None:
        bucket = self.buckets.get(key)
        if bucket is not None:
            bucket.discard(session)

    def _fire(self, key: int) -> None:
        self.handles.pop(key, None)
        for session in self.buckets.pop(key, ()):
            if session.bucket == key:  # (a session earlier in the bucket may have moved it)
                session.bucket = 0
                session.deadline_reached()

    def cancel_all(self) -> None:
        """Drop every pending bucket (the engine stopped: no session is left to expire)."""
        for handle in self.handles.values():
            handle.cancel()
        self.handles.clear()
        self.buckets.clear()


class EventSampler:
    """Which finished requests the drained record takes: two token buckets.

    Ordinary requests and *notable* ones (an error status, a refusal, an abort: what
    a user looks for in a busy log) each get ``per_second`` rows with bursts of up
    to ``burst``, so a burst of a few hundred requests is listed whole and a
    sustained load is listed at a steady, readable rate -- and errors are never
    crowded out by the successes around them.

    The reader refills the buckets when it drains (``refill``: the engine child's relay
    every 20 ms, the window's poll), so taking a token (``Hub.records``) is one
    comparison, with no clock read per request.  A refill from another thread than the
    loop's may race with a take; the sample is then one row off, nothing worse.
    """

    __slots__ = ("burst", "notable_tokens", "per_second", "refilled_at", "tokens")

    def __init__(self, per_second: float, burst: int, now: float | None = None) -> None:
        self.per_second = per_second
        self.burst = float(burst)
        self.tokens = self.notable_tokens = float(burst)
        self.refilled_at = time.monotonic() if now is None else now

    def refill(self, now: float | None = None) -> None:
        """Add the tokens earned since the last refill (monotonic seconds; default: now)."""
        now = time.monotonic() if now is None else now
        earned = (now - self.refilled_at) * self.per_second
        self.refilled_at = now
        if earned > 0:
            self.tokens = min(self.burst, self.tokens + earned)
            self.notable_tokens = min(self.burst, self.notable_tokens + earned)

    def admit(self, notable: bool) -> bool:
        """Take a token for one event: one comparison, no clock read (``refill`` adds them)."""
        if notable:
            if self.notable_tokens >= 1.0:
                self.notable_tokens -= 1.0
                return True
        elif self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def is_notable(status: int | None, termination: str) -> bool:
    """What a busy log must still show: an HTTP error status, or an exchange that did not
    end normally (a refusal, a timeout, an abort: HAProxy's termination state).  ``L``
    (answered by the proxy itself: ``return``, a redirect, the stats page) is normal."""
    return (status is not None and status >= 400) or termination[:1] not in ("-", "L")


@dataclass(eq=False)
class Hub:
    """Engine-wide state shared by sessions (owned by one loop)."""

    sessions: set[SessionBase] = field(default_factory=set)
    actconn: int = 0
    subscribers: list[Callable[[LogEvent], None]] = field(default_factory=list)
    events: deque[LogEvent] = field(default_factory=lambda: deque(maxlen=10_000))
    drain_active: bool = False
    log_wanted: bool = False
    sampler: EventSampler | None = None  # None: the record takes every event
    unrecorded: int = 0  # events the record left out (sampled out, or pushed out unread)
    stats_provider: Callable[[], Any] | None = None  # Engine.stats, for the stats page
    # The loop the sessions run on, looked up once: asyncio's lookup calls getpid()
    # (a syscall) every time, which shows in connection-per-request profiles.
    loop: asyncio.AbstractEventLoop | None = None
    on_leave: Callable[[SessionBase], None] | None = None  # the engine's maxconn gate
    wheel: TimerWheel | None = None  # the sessions' deadlines, on ``loop``

    def bind_loop(self) -> asyncio.AbstractEventLoop:
        """The loop sessions run on (and its timer wheel), looked up once per loop."""
        loop = self.loop
        if loop is None or loop.is_closed():
            loop = self.loop = asyncio.get_event_loop()
            self.wheel = TimerWheel(loop)
        return loop

    def refresh_log_wanted(self) -> None:
        self.log_wanted = bool(self.subscribers) or self.drain_active

    def records(self, notable: bool) -> bool:
        """Whether the drained record takes the event about to be built (counted if not)."""
        if not self.drain_active:
            return False
        sampler = self.sampler
        if sampler is None or sampler.admit(notable):
            return True
        self.unrecorded += 1
        return False

    def emit(self, event: LogEvent, record: bool = True) -> None:
        """``event`` to the subscribers, and to the record if ``records()`` said so."""
        if record and self.drain_active:
            events = self.events
            if len(events) == events.maxlen:
                self.unrecorded += 1  # nobody drained for a while: the oldest goes
            events.append(event)
        for callback in list(self.subscribers):
            callback(event)


@mypyc_attr(allow_interpreted_subclasses=True)  # compiled, yet tests may subclass it
class SessionBase(asyncio.Protocol):
    """A client connection: addresses, membership in the hub, and the lazy deadline.

    Sessions use ``__slots__``: an idle keep-alive connection must cost well
    under 2 KiB, and a per-instance ``__dict__`` alone would take more.
    """

    __slots__ = ("accepted_at", "accepted_mono", "bucket", "client", "closed", "deadline",
                 "hub", "local", "loop", "proxied", "transport", "wheel")

    def __init__(self, hub: Hub, local: tuple[str, int] | None = None) -> None:
        """``local``: the accepting socket's address when it is a concrete one (saves a
        getsockname() per connection); None to ask the transport."""
        self.hub = hub
        self.loop = hub.bind_loop()
        wheel = hub.wheel
        assert wheel is not None
        self.wheel = wheel
        self.transport: asyncio.Transport | None = None
        self.deadline = _NEVER
        self.bucket = 0  # the wheel bucket this session waits in (0: none)
        self.accepted_at = time.time()
        self.accepted_mono = self.loop.time()
        self.client = ("", 0)
        self.local = local or _UNKNOWN_LOCAL
        self.closed = False
        self.proxied = False

    def preset_addresses(self, client: tuple[str, int], local: tuple[str, int]) -> None:
        """The connection came through an ``accept-proxy`` listener: these addresses (the
        PROXY header's, or the real ones it said to keep) stand; its ``tcp-request
        connection`` rules have run already, on the real address (configuration.txt)."""
        self.client = client
        self.local = local
        self.proxied = True

    def record_addresses(self, transport: asyncio.BaseTransport) -> None:
        if self.proxied:
            return
        peer = transport.get_extra_info("peername") or ("0.0.0.0", 0)
        self.client = (host_text(peer[0]), int(peer[1]))
        if not self.local[0]:  # (by value: compiled, a tuple[str, int] has no identity)
            sock = transport.get_extra_info("sockname") or ("0.0.0.0", 0)
            self.local = (host_text(sock[0]), int(sock[1]))

    # -- the lazy timer -------------------------------------------------------
    def set_deadline(self, seconds: float | None, now: float | None = None) -> None:
        """Expire ``seconds`` from now (None: never); cheap enough to call per read.

        ``now``: the loop time when the caller has just read it."""
        if seconds is None:
            self.deadline = _NEVER
            return
        deadline = (self.loop.time() if now is None else now) + seconds
        self.deadline = deadline
        bucket = self.bucket
        # a later bucket than the pending one costs nothing now: it re-enters when that fires
        if not bucket or bucket > deadline * TimerWheel.TICKS_PER_SECOND + 1:
            if bucket:
                self.wheel.discard(self, bucket)
            self.bucket = self.wheel.add(self, deadline)

    def deadline_reached(self) -> None:
        """The session's wheel bucket fired: time out, or wait on if the deadline moved."""
        if self.closed or self.deadline == _NEVER:
            return
        if self.loop.time() + 0.001 < self.deadline:
            self.bucket = self.wheel.add(self, self.deadline)
            return
        self.deadline = _NEVER
        self.on_timeout()

    def on_timeout(self) -> None:
        raise NotImplementedError

    def cancel_timer(self) -> None:
        self.deadline = _NEVER
        if self.bucket:
            self.wheel.discard(self, self.bucket)
            self.bucket = 0

    # -- life cycle -----------------------------------------------------------
    def join(self) -> None:
        self.hub.sessions.add(self)
        self.hub.actconn += 1

    def leave(self) -> None:
        if not self.closed:
            self.closed = True
            self.cancel_timer()
            self.hub.sessions.discard(self)
            self.hub.actconn -= 1
            if self.hub.on_leave is not None:
                self.hub.on_leave(self)

    def idle(self) -> bool:
        """True when closing now loses nothing (between requests); graceful stop uses it."""
        return False

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def elapsed_ms(self, since: float) -> int:
        return int((self.loop.time() - since) * 1000)


@functools.lru_cache(maxsize=4096)
def host_text(host: str) -> str:
    """The address as HAProxy prints it, one shared string per distinct address."""
    return str(parse_ip(host))


def describe(obj: Any) -> str:
    return getattr(obj, "name", "<NOSRV>") if obj is not None else "<NOSRV>"
