"""A Playbook for the sans-IO HTTP/1 exchange, in the shape of mitmproxy's ``tutils.Playbook``.

A playbook is a script of *inputs* (what the client, the server, the driver
or the clock do) and the *effects* the exchange must answer with, in order::

    assert (
        Playbook()
        >> client(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        >> need_server()
        >> connected()
        >> send_server(b"GET / HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n")
        >> server(b"HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n")
        >> send_client(b"HTTP/1.1 200 OK\\r\\ncontent-length: 0\\r\\n\\r\\n")
        >> release_server(True)
        >> log(proxied=True, keep=True)
    )

``bool(playbook)`` runs the inputs against a fresh ``H1Exchange`` driven by a
recording driver and a fake clock, and compares every effect with the
expectations that follow its input (extra, missing or different effects
fail with the whole transcript).  Timer arming, ``route`` and
``response_head`` calls are bookkeeping, left out of the comparison unless
the playbook is built with ``timers=True``; ``advance(seconds)`` moves the
fake clock and fires the timer when its deadline has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from proxy.engine import http1
from proxy.engine.h1conn import H1Exchange
from proxy.engine.http1 import RequestHead, ResponseHead
from proxy.engine.runtime import Timeouts

Effect = tuple[object, ...]
NEVER = float("inf")
BOOKKEEPING = frozenset({"set_deadline", "route", "response_head"})


class FakeClock:
    """The injectable clock: time only moves when a playbook says so."""

    __slots__ = ("now",)

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


Router = Callable[["RecordingDriver", RequestHead], "bytes | None"]


def forward_as_haproxy(driver: RecordingDriver, head: RequestHead) -> bytes | None:
    """The default strategy: every request goes to a backend, head rendered as HAProxy's."""
    driver.exchange.server_timeouts = driver.server_timeouts
    return http1.render_request_head(head)


class RecordingDriver:
    """An ``H1Driver`` that records every effect instead of doing I/O."""

    def __init__(self, clock: FakeClock, route: Router, server_timeouts: Timeouts) -> None:
        self.clock = clock
        self.router = route
        self.server_timeouts = server_timeouts
        self.effects: list[Effect] = []
        self.deadline = NEVER
        self.exchange: H1Exchange  # set by the Playbook right after building both

    def send_client(self, data: bytes) -> None:
        self.effects.append(("send_client", data))

    def send_server(self, data: bytes) -> None:
        self.effects.append(("send_server", data))

    def shutdown_client(self) -> None:
        self.effects.append(("shutdown_client",))

    def shutdown_server(self) -> None:
        self.effects.append(("shutdown_server",))

    def pause_client(self) -> None:
        self.effects.append(("pause_client",))

    def resume_client(self) -> None:
        self.effects.append(("resume_client",))

    def set_deadline(self, seconds: float | None, now: float) -> None:
        self.deadline = NEVER if seconds is None else now + seconds
        self.effects.append(("set_deadline", seconds))

    def route(self, head: RequestHead) -> bytes | None:
        self.effects.append(("route", head.target))
        return self.router(self, head)

    def need_server(self, fresh: bool) -> None:
        self.effects.append(("need_server", fresh))

    def response_head(self, resp: ResponseHead) -> None:
        self.effects.append(("response_head", resp.status))

    def abort_server(self) -> None:
        self.effects.append(("abort_server",))

    def server_error(self, status: int, count_error: bool) -> bytes:
        self.effects.append(("server_error", status, count_error))
        return http1.error_response(status)

    def bad_request(self, started: bool) -> None:
        self.effects.append(("bad_request", started))

    def exchange_done(self, proxied: bool, now: float, keep: bool, reusable: bool) -> None:
        """Recorded as two effects: a proxied exchange gives its server connection back
        (``release_server(reusable)``), then every exchange is accounted and logged."""
        if proxied:
            self.effects.append(("release_server", reusable))
        else:
            assert not reusable, "a local answer has no server connection to pool"
        self.effects.append(("log", proxied, keep, self.exchange.status, self.exchange.termination))

    def close(self, termination: str) -> None:
        self.effects.append(("close", termination))

    def abort_both(self, termination: str) -> None:
        self.effects.append(("abort_both", termination))


# -- inputs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Input:
    name: str
    args: tuple[object, ...] = ()

    def apply(self, book: Playbook) -> None:
        ex = book.exchange
        if self.name == "advance":
            (seconds,) = self.args
            assert isinstance(seconds, float | int)
            book.clock.now += seconds
            if book.clock.now >= book.driver.deadline:
                book.driver.deadline = NEVER
                ex.timer_expired()
            return
        if self.name == "fail":
            status, termination, count_error = self.args
            assert isinstance(status, int) and isinstance(termination, str)
            ex.fail(status, termination, count_error=bool(count_error))
            return
        method = getattr(ex, self.name)
        result = method(*self.args)
        if self.name == "client_eof":
            book.driver.effects.append(("client_eof_keeps_open", result))


def client(data: bytes) -> Input:
    return Input("client_data", (data,))


def server(data: bytes) -> Input:
    return Input("server_data", (data,))


def client_eof() -> Input:
    """Also records ("client_eof_keeps_open", bool): the answer to asyncio's eof_received."""
    return Input("client_eof")


def client_lost() -> Input:
    return Input("client_lost")


def server_eof() -> Input:
    return Input("server_eof")


def server_lost() -> Input:
    return Input("server_lost")


def connected(reused: bool = False) -> Input:
    return Input("server_connected", (reused,))


def fail(status: int, termination: str, count_error: bool = False) -> Input:
    """The driver could not find a server (queue timeout, connect failure, none up)."""
    return Input("fail", (status, termination, count_error))


def advance(seconds: float) -> Input:
    return Input("advance", (seconds,))


# -- expected effects -------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    effect: Effect
    prefix: bool = False  # send_*: the data starts with the expected bytes

    def matches(self, actual: Effect) -> bool:
        if self.prefix:
            data = actual[1] if len(actual) > 1 else None
            return (actual[0] == self.effect[0] and isinstance(data, bytes)
                    and data.startswith(self.effect[1]))  # type: ignore[arg-type]
        return actual == self.effect


def send_client(data: bytes | None = None, *, status: int | None = None) -> Expect:
    """Exact bytes, or (``status=``) any response with that status line."""
    if status is not None:
        return Expect(("send_client", b"HTTP/1.1 %d " % status), prefix=True)
    assert data is not None
    return Expect(("send_client", data))


def send_server(data: bytes) -> Expect:
    return Expect(("send_server", data))


def need_server(fresh: bool = False) -> Expect:
    return Expect(("need_server", fresh))


def release_server(reusable: bool) -> Expect:
    return Expect(("release_server", reusable))


def abort_server() -> Expect:
    return Expect(("abort_server",))


def server_error(status: int, count_error: bool = True) -> Expect:
    return Expect(("server_error", status, count_error))


def bad_request(started: bool = False) -> Expect:
    return Expect(("bad_request", started))


def log(*, proxied: bool, keep: bool, status: int | None, termination: str = "--") -> Expect:
    """The exchange is over: account and log it (with the status and termination it logs)."""
    return Expect(("log", proxied, keep, status, termination))


def close(termination: str) -> Expect:
    return Expect(("close", termination))


def abort_both(termination: str) -> Expect:
    return Expect(("abort_both", termination))


def pause_client() -> Expect:
    return Expect(("pause_client",))


def resume_client() -> Expect:
    return Expect(("resume_client",))


def shutdown_client() -> Expect:
    return Expect(("shutdown_client",))


def shutdown_server() -> Expect:
    return Expect(("shutdown_server",))


def keeps_open(value: bool) -> Expect:
    return Expect(("client_eof_keeps_open", value))


def route(target: bytes) -> Expect:
    """Only compared in a ``Playbook(timers=True)``: the driver's routing strategy was asked."""
    return Expect(("route", target))


def timer(seconds: float | None) -> Expect:
    """Only compared in a ``Playbook(timers=True)``."""
    return Expect(("set_deadline", seconds))


# -- the playbook -------------------------------------------------------------------------
CLIENT_TIMEOUTS = Timeouts(client=30.0, http_request=5.0, http_keep_alive=2.0)
SERVER_TIMEOUTS = Timeouts(connect=1.0, server=10.0, queue=3.0)


@dataclass
class Playbook:
    timeouts: Timeouts = CLIENT_TIMEOUTS
    server_timeouts: Timeouts = SERVER_TIMEOUTS
    route: Router = forward_as_haproxy
    timers: bool = False  # compare set_deadline/route/response_head effects too
    accept_any_payload: bool = False
    steps: list[Input | Expect] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.clock = FakeClock()
        self.driver = RecordingDriver(self.clock, self.route, self.server_timeouts)
        self.exchange = H1Exchange(self.driver, self.clock, self.timeouts,
                                   accept_any_payload=self.accept_any_payload)
        self.driver.exchange = self.exchange
        self.exchange.start(self.clock.now)
        self.transcript: list[str] = []

    def __rshift__(self, step: Input | Expect) -> Playbook:
        self.steps.append(step)
        return self

    def _relevant(self, effects: list[Effect]) -> list[Effect]:
        if self.timers:
            return effects
        return [e for e in effects if e[0] not in BOOKKEEPING]

    def __bool__(self) -> bool:
        index = 0
        steps = self.steps
        while index < len(steps):
            step = steps[index]
            assert isinstance(step, Input), f"step {index}: an effect before any input: {step}"
            self.driver.effects.clear()
            step.apply(self)
            actual = self._relevant(self.driver.effects)
            index += 1
            expected: list[Expect] = []
            while index < len(steps) and isinstance(steps[index], Expect):
                expected.append(steps[index])  # type: ignore[arg-type]
                index += 1
            self.transcript.append(f">> {step.name}{step.args!r}")
            self.transcript += [f"<< {effect!r}" for effect in actual]
            if len(actual) != len(expected) or not all(
                want.matches(got) for want, got in zip(expected, actual, strict=True)
            ):
                wanted = "\n".join(f"   {e.effect!r}{' (prefix)' if e.prefix else ''}" for e in expected)
                raise AssertionError(
                    "playbook mismatch after input " + f"{step.name}{step.args!r}\n"
                    "transcript:\n" + "\n".join(self.transcript) + "\nexpected:\n" + wanted
                )
        return True
