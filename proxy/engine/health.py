"""Server health checks, reproducing HAProxy 2.6's checks and their state machine.

Theory of operation
-------------------
Three layers, each usable alone:

* ``check_settings()`` reads the model once (server options after
  ``default-server`` merging, ``option httpchk``, ``http-check send/expect``,
  ``timeout check/connect``) into a frozen ``CheckSettings``; ``None`` means
  the server is not checked ("no check" in the stats).
* ``HealthState`` is the sans-IO state machine of ``check.c``: a *health*
  counter between 0 and ``rise + fall - 1``.  The server is UP while
  ``health >= rise``.  A success increments it and snaps it to the top once it
  reaches ``rise``; a failure decrements it and drops it to 0 (DOWN) once it
  falls below ``rise``.  Servers start at ``health == rise`` ("UP 1/3" in the
  stats, check status ``INI``), so a server that is dead at startup goes DOWN
  on its very first failed check -- exactly what HAProxy does.  Maintenance
  forces health to 0; leaving it restarts at ``rise`` ("start OK but check
  immediately", server.c).
* ``run_check()`` performs one check over asyncio streams (TCP connect,
  optional TLS, optional HTTP request/response) and returns a ``CheckResult``
  carrying HAProxy's status code (L4OK, L4CON, L4TOUT, L6OK, L6RSP, L6TOUT,
  L7OK, L7STS, L7RSP, L7TOUT), HTTP code, duration and text.
  ``HealthChecker`` loops ``run_check`` at ``inter``/``fastinter``/
  ``downinter`` (``srv_getinter()``), feeds ``HealthState`` and calls the
  engine's ``on_change(server, up)`` on every UP<->DOWN transition.

Timeouts follow the manual (``timeout check``): with ``timeout check`` set the
connect phase is bounded by ``min(timeout connect, inter)`` and the response
by ``timeout check``; without it the whole check is bounded by ``inter``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from proxy.config import keywords as kw
from proxy.config.nodes import Server, split_host_port
from proxy.config.semantics import ProxyMeaning
from proxy.config.timeparse import TimeError, parse_time_ms
from proxy.engine import http1, proxy_protocol, tasks
from proxy.engine.http1 import HttpError, ResponseHead

__all__ = [
    "CHECK_DESCRIPTIONS",
    "CheckResult",
    "CheckSettings",
    "Expect",
    "HealthChecker",
    "HealthState",
    "HttpCheckRequest",
    "check_settings",
    "run_check",
]

_log = logging.getLogger("proxy.engine.health")

_SSLContext = ssl.SSLContext  # CheckSettings has a field named "ssl" that hides the module

# HAProxy's defaults (server.c / check.c), as the registry records them.
DEFAULT_INTER = parse_time_ms(kw.SERVER_OPTIONS["inter"].default or "2s") / 1000.0
DEFAULT_RISE = int(kw.SERVER_OPTIONS["rise"].default or 2)
DEFAULT_FALL = int(kw.SERVER_OPTIONS["fall"].default or 3)
# tune.chksize: the most of a response a check reads (for "expect string").
CHECK_BUFFER = 16384

# check.c check_statuses[]: the short description of each check status.
CHECK_DESCRIPTIONS: dict[str, str] = {
    "UNK": "Unknown",
    "INI": "Initializing",
    "SOCKERR": "Socket error",
    "L4OK": "Layer4 check passed",
    "L4TOUT": "Layer4 timeout",
    "L4CON": "Layer4 connection problem",
    "L6OK": "Layer6 check passed",
    "L6TOUT": "Layer6 timeout",
    "L6RSP": "Layer6 invalid response",
    "L7OK": "Layer7 check passed",
    "L7OKC": "Layer7 check conditionally passed",
    "L7TOUT": "Layer7 timeout",
    "L7RSP": "Layer7 invalid response",
    "L7STS": "Layer7 wrong status",
}


# --------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class HttpCheckRequest:
    """What an HTTP check sends (``option httpchk`` + ``http-check send``)."""

    method: str = "OPTIONS"
    uri: str = "/"
    version: str = "HTTP/1.0"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""

    def render(self) -> bytes:
        lines = [f"{self.method} {self.uri} {self.version}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body:
            lines.append(f"content-length: {len(self.body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + self.body).encode("latin-1")


@dataclass(frozen=True, slots=True)
class Expect:
    """``http-check expect [!] status|rstatus|string|rstring <pattern>``."""

    kind: str = "status"
    pattern: str = ""
    negated: bool = False

    @property
    def on_body(self) -> bool:
        return self.kind in ("string", "rstring")

    def matches(self, status: int, body: bytes) -> bool:
        matched = _EXPECT_MATCHERS[self.kind](self.pattern, status, body)
        return matched != self.negated


def _status_in_list(pattern: str, status: int, body: bytes) -> bool:
    """``status 200,300-399``: a comma-separated list of codes and ranges (2.6 syntax)."""
    for item in pattern.split(","):
        low, _, high = item.partition("-")
        if low.isdigit() and (high or low).isdigit() and int(low) <= status <= int(high or low):
            return True
    return False


# The matchers the registry marks as implemented (kw.HTTP_CHECK_EXPECT_MATCHERS); a test
# keeps the two in step.
_EXPECT_MATCHERS: dict[str, Callable[[str, int, bytes], bool]] = {
    "status": _status_in_list,
    "rstatus": lambda p, status, body: re.search(p, str(status)) is not None,
    "string": lambda p, status, body: p.encode("latin-1") in body,
    "rstring": lambda p, status, body: re.search(p.encode("latin-1"), body) is not None,
}


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Everything one server's checker needs; times in seconds."""

    inter: float = DEFAULT_INTER
    fastinter: float | None = None
    downinter: float | None = None
    rise: int = DEFAULT_RISE
    fall: int = DEFAULT_FALL
    port: int | None = None  # "port": check another port than the traffic's
    addr: str | None = None  # "addr": check another address
    connect_timeout: float | None = None  # "timeout connect", only used with "timeout check"
    check_timeout: float | None = None  # "timeout check"
    http: HttpCheckRequest | None = None  # None: a plain TCP connect check
    expect: Expect | None = None  # None with http: 2xx/3xx pass
    ssl: bool = False  # "check-ssl"
    sni: str | None = None  # "check-sni"
    tls: Any = None  # tls.ServerTls: the server's verifying contexts (set by runtime.py)
    send_proxy: int = 0  # the PROXY header version a check starts with (0: none)

    def tls_args(self) -> tuple[_SSLContext, str] | None:
        """``(ssl, server_hostname)`` for the check connection; None: plain TCP."""
        if self.tls is not None:
            args: tuple[_SSLContext, str] = self.tls.check_connection_args()
            return args
        if self.ssl:  # no server context (checks built without the engine): HAProxy's verify none
            return _client_tls_context(), self.sni or ""
        return None

    @property
    def top(self) -> int:
        return self.rise + self.fall - 1

    def interval(self, health: int) -> float:
        """srv_getinter(): ``inter`` when fully UP, ``downinter`` when DOWN, else ``fastinter``."""
        if health >= self.top:
            return self.inter
        if health == 0:
            return self.downinter or self.inter
        return self.fastinter or self.inter

    def phase_limits(self) -> tuple[float, float | None]:
        """(connect limit, response limit); None = what is left of the connect limit."""
        if self.check_timeout is None:
            return self.inter, None
        return min(self.connect_timeout or self.inter, self.inter), self.check_timeout


def _server_flag(node: Server, on: str, off: str) -> bool:
    """The last of ``on``/``off`` wins (default-server options come first in ``node``)."""
    state = False
    for option in node.options:
        if option[0] == on:
            state = True
        elif option[0] == off:
            state = False
    return state


def _time_option(node: Server, name: str) -> float | None:
    args = node.option(name)
    if not args:
        return None
    try:
        return parse_time_ms(args[0]) / 1000.0
    except TimeError:
        return None


def _int_option(node: Server, name: str) -> int | None:
    args = node.option(name)
    return int(args[0]) if args and args[0].isdigit() and int(args[0]) > 0 else None


def _timeout(meaning: ProxyMeaning, kind: str) -> float | None:
    try:
        return meaning.timeout_seconds(kind)
    except TimeError:
        return None


def _check_lines(meaning: ProxyMeaning) -> list[list[str]]:
    """The ``http-check`` lines that apply: the proxy's own, else the nearest defaults' with
    any (a proxy's own check rules replace the inherited ones, as in HAProxy)."""
    lines = meaning.every("http-check")
    for layer in (meaning.section, *meaning.chain):
        own = [s.words for s in lines if meaning.source(s).section is layer]
        if own:
            return own
    return []


def _httpchk(meaning: ProxyMeaning) -> HttpCheckRequest | None:
    """``option httpchk [<uri>] | [<method> <uri> [<version>]]``, the last one wins."""
    found = meaning.option("httpchk")
    if found is None or not found.value[0]:
        return None
    args = found.value[1]
    if len(args) == 1:
        return HttpCheckRequest(uri=args[0])
    if len(args) >= 2:
        version = args[2] if len(args) > 2 else "HTTP/1.0"
        return HttpCheckRequest(method=args[0], uri=args[1], version=version)
    return HttpCheckRequest()


def _apply_send(request: HttpCheckRequest, words: Sequence[str]) -> HttpCheckRequest:
    """``http-check send [meth M] [uri U] [ver V] [hdr N V]* [body S]``."""
    fields: dict[str, Any] = {}
    headers = list(request.headers)
    simple = {"meth": "method", "uri": "uri", "ver": "version", "body": "body"}
    i = 0
    while i < len(words):
        word = words[i]
        if word in simple and i + 1 < len(words):
            fields[simple[word]] = words[i + 1]
            i += 2
        elif word == "hdr" and i + 2 < len(words):
            headers.append((words[i + 1], words[i + 2]))
            i += 3
        else:  # uri-lf/body-lf/comment ...: not modelled, skip the keyword
            i += 1
    return HttpCheckRequest(
        method=fields.get("method", request.method),
        uri=fields.get("uri", request.uri),
        version=fields.get("version", request.version),
        headers=tuple(headers),
        body=fields.get("body", request.body),
    )


def _parse_expect(words: Sequence[str]) -> Expect | None:
    """``http-check expect [min-recv N] [comment C] [...] [!] <match> <pattern>``."""
    negated = False
    i = 0
    while i < len(words):
        word = words[i]
        if word == "!":
            negated = True
        elif word in _EXPECT_MATCHERS and i + 1 < len(words):
            return Expect(word, words[i + 1], negated)
        elif word in kw.HTTP_CHECK_EXPECT_OPTIONS:
            i += 1  # keyword with one argument
        i += 1
    return None


def check_settings(meaning: ProxyMeaning, server: Server) -> CheckSettings | None:
    """The check settings of ``server`` (``default-server`` options apply under its own).

    Returns None when the server is not checked, including HAProxy's config
    error "health checks enabled but no port" (no port on the server or
    ``port`` option): such a server is reported as "no check".
    """
    server = meaning.merged_server(server)
    if not _server_flag(server, "check", "no-check"):
        return None
    port = _int_option(server, "port")
    if port is None and not split_host_port(server.address.split("@", 1)[-1])[2].isdigit():
        return None
    http = _httpchk(meaning)
    expect: Expect | None = None
    if http is not None:
        for words in _check_lines(meaning):
            if len(words) > 1 and words[1] == "send":
                http = _apply_send(http, words[2:])
            elif len(words) > 1 and words[1] == "expect":
                expect = expect or _parse_expect(words[2:])  # the first expect decides
    inter = _time_option(server, "inter") or DEFAULT_INTER
    addr = server.option("addr")
    sni = server.option("check-sni")
    return CheckSettings(
        send_proxy=_check_send_proxy(server, elsewhere=port is not None or bool(addr)),
        inter=inter,
        fastinter=_time_option(server, "fastinter"),
        downinter=_time_option(server, "downinter"),
        rise=_int_option(server, "rise") or DEFAULT_RISE,
        fall=_int_option(server, "fall") or DEFAULT_FALL,
        port=port,
        addr=addr[0] if addr else None,
        connect_timeout=_timeout(meaning, "connect"),
        check_timeout=_timeout(meaning, "check"),
        http=http,
        expect=expect,
        ssl=_server_flag(server, "check-ssl", "no-check-ssl"),
        sni=sni[0] if sni else None,
    )


def _check_send_proxy(server: Server, *, elsewhere: bool) -> int:
    """The PROXY header version checks send: the traffic's when the check goes to the
    traffic's address and port, else only with ``check-send-proxy`` (server.c); v2 when the
    server sends v2, else v1 (make_proxy_line)."""
    version = proxy_protocol.server_version(server.options)
    if not elsewhere and version:
        return version
    if any(option[:1] == ["check-send-proxy"] for option in server.options):
        return version or 1
    return 0


# ------------------------------------------------------------------ the result


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's outcome, in HAProxy's terms."""

    status: str  # key of CHECK_DESCRIPTIONS
    code: int | None = None  # HTTP status for L7 results
    duration_ms: int | None = None
    text: str = ""  # "last_chk": e.g. "Connection refused", "Internal Server Error"

    @property
    def passed(self) -> bool:
        return self.status in ("L4OK", "L6OK", "L7OK", "L7OKC")


# --------------------------------------------------------------- state machine


@dataclass
class HealthState:
    """Check state of one server: HAProxy's health counter plus the stats it feeds.

    Times are ``time.monotonic()`` seconds.  ``checked`` is False for servers
    without ``check``: they are always up as far as checks are concerned.
    """

    checked: bool = False
    rise: int = DEFAULT_RISE
    fall: int = DEFAULT_FALL
    health: int = DEFAULT_RISE
    maint: bool = False
    chkfail: int = 0
    chkdown: int = 0
    lastchg: float = field(default_factory=time.monotonic)
    down_total: float = 0.0
    down_since: float | None = None
    check_status: str = ""
    check_code: int | None = None
    check_duration: int | None = None
    last_chk: str = ""

    @classmethod
    def initial(cls, settings: CheckSettings | None, *, maint: bool = False) -> HealthState:
        """The state at startup; ``maint`` for a server configured ``disabled``."""
        now = time.monotonic()
        down_since = now if maint and settings is not None else None
        if settings is None:
            return cls(maint=maint, lastchg=now)
        return cls(
            checked=True,
            rise=settings.rise,
            fall=settings.fall,
            health=0 if maint else settings.rise,
            maint=maint,
            lastchg=now,
            down_since=down_since,
            check_status="" if maint else "INI",
        )

    @property
    def top(self) -> int:
        return self.rise + self.fall - 1

    @property
    def up(self) -> bool:
        """Whether checks let the server take traffic (maintenance is the engine's flag)."""
        if not self.checked:
            return not self.maint
        return not self.maint and self.health >= self.rise

    @property
    def status(self) -> str:
        """"UP", "DOWN" or "no check" (the transitional forms come from ``status_text``)."""
        if not self.checked:
            return "no check"
        return "UP" if self.up else "DOWN"

    @property
    def check_desc(self) -> str:
        return CHECK_DESCRIPTIONS.get(self.check_status, "")

    def status_text(self, *, drain: bool = False) -> str:
        """The ``status`` column of ``show stat`` (stats.c, srv_hlt_st[])."""
        if self.maint:
            return "MAINT"
        if not self.up:
            if self.checked and self.health > 0:
                return f"DOWN {self.health}/{self.rise}"
            return "DOWN"
        going_down = self.checked and self.health < self.top
        progress = f" {self.health - self.rise + 1}/{self.fall}" if going_down else ""
        if drain:
            return "DRAIN" + progress
        if not self.checked:
            return "no check"
        return "UP" + progress

    def downtime(self, now: float | None = None) -> float:
        """Total seconds spent DOWN (or in maintenance), the current spell included."""
        current = 0.0
        if self.down_since is not None:
            current = (time.monotonic() if now is None else now) - self.down_since
        return self.down_total + current

    def _transition(self, was_up: bool, now: float) -> bool | None:
        is_up = self.up
        if is_up == was_up:
            return None
        self.lastchg = now
        if is_up:
            if self.down_since is not None:
                self.down_total += now - self.down_since
            self.down_since = None
        else:
            self.chkdown += 1
            self.down_since = now
        return is_up

    def record(self, result: CheckResult, now: float | None = None) -> bool | None:
        """Apply one check result (check.c); returns the new ``up`` on a transition, else None."""
        if self.maint:  # HAProxy does not run checks in maintenance: a late result is void
            return None
        now = time.monotonic() if now is None else now
        was_up = self.up
        self.check_status = result.status
        self.check_code = result.code
        self.check_duration = result.duration_ms
        self.last_chk = result.text
        if result.passed:
            if self.health < self.top:
                self.health += 1
                if self.health >= self.rise:
                    self.health = self.top
        elif self.health > 0:
            self.chkfail += 1
            self.health -= 1
            if self.health < self.rise:
                self.health = 0
        return self._transition(was_up, now)

    def set_maintenance(self, on: bool, now: float | None = None) -> bool | None:
        """Enter/leave maintenance; returns the new ``up`` on a transition, else None."""
        now = time.monotonic() if now is None else now
        if on == self.maint:
            return None
        was_up = self.up
        self.maint = on
        if on:
            self.health = 0
            self.check_status, self.check_code, self.check_duration = "", None, None
            self.last_chk = ""
        elif self.checked:
            self.health = self.rise  # "start OK but check immediately"
        return self._transition(was_up, now)


# -------------------------------------------------------------- performing checks


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _client_tls_context() -> ssl.SSLContext:
    # Only for settings built without the engine's ServerTls (which carries the
    # server line's verify/ca-file): then checks do not verify, as "verify none".
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _read_response(
    reader: asyncio.StreamReader, need_body: bool, method: bytes
) -> tuple[ResponseHead | None, bytes]:
    """The response head through the proxy's own parser (``http1``, HAProxy's rules) and
    the body (up to CHECK_BUFFER) when ``need_body``; no head: invalid or truncated."""
    data = b""
    while True:
        try:
            head = http1.parse_response_head(data, request_method=method)
        except HttpError:
            return None, b""
        if head is not None or len(data) >= CHECK_BUFFER:
            break
        chunk = await reader.read(CHECK_BUFFER)
        if not chunk:
            break
        data += chunk
    if head is None:
        return None, b""
    body = data[head.head_size:]
    if need_body:
        wanted = head.content_length if head.content_length is not None else CHECK_BUFFER
        while len(body) < min(wanted, CHECK_BUFFER):
            chunk = await reader.read(CHECK_BUFFER)
            if not chunk:
                break
            body += chunk
    return head, body


def _judge_http(settings: CheckSettings, head: ResponseHead | None, body: bytes,
                started: float) -> CheckResult:
    if head is None:
        return CheckResult("L7RSP", None, _elapsed_ms(started), "Invalid HTTP response")
    status, reason = head.status, head.reason.decode("latin-1").strip()
    expect = settings.expect
    if expect is None:
        ok = 200 <= status < 400  # no expect rule: 2xx and 3xx pass
        return CheckResult("L7OK" if ok else "L7STS", status, _elapsed_ms(started),
                           "" if ok else reason)
    if expect.matches(status, body):
        return CheckResult("L7OK", status, _elapsed_ms(started))
    if expect.on_body:
        return CheckResult("L7RSP", None, _elapsed_ms(started), "HTTP content check did not match")
    return CheckResult("L7STS", status, _elapsed_ms(started), reason)


def _os_error_text(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else (str(exc) or type(exc).__name__)


async def run_check(host: str, port: int, settings: CheckSettings) -> CheckResult:
    """Run one check against ``host:port`` (the check ``addr``/``port`` already applied)."""
    started = time.monotonic()
    connect_limit, response_limit = settings.phase_limits()
    tls = settings.tls_args()
    try:
        async with asyncio.timeout(connect_limit):
            if settings.send_proxy:
                reader, writer = await _open_with_proxy_header(host, port, settings.send_proxy, tls)
            else:
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls[0] if tls else None, server_hostname=tls[1] if tls else None
                )
    except TimeoutError:
        return CheckResult("L6TOUT" if tls else "L4TOUT", None, _elapsed_ms(started))
    except ssl.SSLError as exc:
        return CheckResult("L6RSP", None, _elapsed_ms(started), exc.reason or str(exc))
    except OSError as exc:
        return CheckResult("L4CON", None, _elapsed_ms(started), _os_error_text(exc))
    try:
        if settings.http is None:
            return CheckResult("L6OK" if tls else "L4OK", None, _elapsed_ms(started))
        remaining = response_limit or max(0.0, connect_limit - (time.monotonic() - started))
        try:
            async with asyncio.timeout(remaining):
                writer.write(settings.http.render())
                await writer.drain()
                expect = settings.expect
                head, body = await _read_response(reader, bool(expect and expect.on_body),
                                                   settings.http.method.encode("latin-1"))
        except TimeoutError:
            return CheckResult("L7TOUT", None, _elapsed_ms(started))
        except OSError as exc:
            return CheckResult("L7RSP", None, _elapsed_ms(started), _os_error_text(exc))
        return _judge_http(settings, head, body, started)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


async def _open_with_proxy_header(
    host: str, port: int, version: int, tls: tuple[_SSLContext, str] | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A check connection that starts with a PROXY header, before any TLS handshake.

    A check has no client: HAProxy sends v1 with the check connection's own addresses
    and v2's LOCAL command (conn_send_proxy, make_proxy_line_v2)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        if version == 2:
            header = proxy_protocol.render_v2(None, None)
        else:
            local, peer = writer.get_extra_info("sockname"), writer.get_extra_info("peername")
            header = proxy_protocol.render_v1((local[0], local[1]), (peer[0], peer[1]))
        writer.write(header)
        await writer.drain()
        if tls is not None:
            await writer.start_tls(tls[0], server_hostname=tls[1] or None)
    except BaseException:
        writer.close()
        raise
    return reader, writer


# ----------------------------------------------------------------- the checker


class CheckedServer(Protocol):
    """What the checker needs of the engine's runtime server."""

    name: str
    backend: str
    address: tuple[str, int]
    health: HealthState

    @property
    def state(self) -> Any: ...  # balance.ServerState: reads ``.disabled``


class HealthChecker:
    """Runs the checks of one server in a background task until ``stop()``.

    ``on_change(server, up)`` is called on the engine's loop on every
    UP<->DOWN transition (checks or maintenance); the engine sets
    ``server.state.up`` and refreshes its balancer there.  Maintenance is the
    engine's ``server.state.disabled``; the checker notices it before each
    check, and ``poke()`` makes it notice (and check) at once.
    """

    def __init__(
        self,
        server: CheckedServer,
        settings: CheckSettings,
        on_change: Callable[[Any, bool], None],
        *,
        first_delay: float = 0.0,
    ) -> None:
        self.server = server
        self.settings = settings
        self.on_change = on_change
        self.first_delay = first_delay
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def target(self) -> tuple[str, int]:
        host, port = self.server.address
        return self.settings.addr or host, self.settings.port or port

    def start(self) -> None:
        if self._task is None or self._task.done():
            name = f"health:{self.server.backend}/{self.server.name}"
            self._task = tasks.spawn(self._run(), name=name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def poke(self) -> None:
        """Check now (e.g. right after the server left maintenance)."""
        self._wake.set()

    async def _sleep(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)
        self._wake.clear()

    def _notify(self, change: bool | None) -> None:
        if change is None:
            return
        try:
            self.on_change(self.server, change)
        except Exception:  # the engine's bug must not kill the checks
            _log.exception("health change callback failed for %s/%s",
                           self.server.backend, self.server.name)

    def _sync_maintenance(self) -> bool:
        """Follow the engine's maintenance flag; True while in maintenance."""
        disabled = bool(self.server.state.disabled)
        self._notify(self.server.health.set_maintenance(disabled))
        return disabled

    async def _run(self) -> None:
        await self._sleep(self.first_delay)
        while True:
            health = self.server.health
            if not self._sync_maintenance():
                result = await run_check(*self.target, self.settings)
                if not self._sync_maintenance():
                    self._notify(health.record(result))
            await self._sleep(self.settings.interval(health.health))
