"""Health checks: settings from the config, HAProxy's state machine, real checks on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from proxy.config.load import check_text
from proxy.config.semantics import meaning_of
from proxy.engine.health import (
    CheckResult,
    CheckSettings,
    Expect,
    HealthChecker,
    HealthState,
    HttpCheckRequest,
    check_settings,
    run_check,
)
from proxy.engine.runtime import RuntimeServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _settings_of(text: str, server: int = 0) -> CheckSettings | None:
    config = check_text(text).config
    section = config.backends[0]
    return check_settings(meaning_of(config, section), section.servers[server])


# ------------------------------------------------------------------ settings


def test_settings_read_server_options_and_proxy_http_check() -> None:
    settings = _settings_of(
        """
defaults
    timeout connect 3s
    timeout check 700ms
backend be
    option httpchk GET /health
    http-check send hdr Host example.org ver HTTP/1.1
    http-check expect ! status 500-599
    server s 127.0.0.1:80 check inter 500 fastinter 100 downinter 1s rise 3 fall 4 port 81 addr 10.0.0.1
"""
    )
    assert settings == CheckSettings(
        inter=0.5, fastinter=0.1, downinter=1.0, rise=3, fall=4, port=81, addr="10.0.0.1",
        connect_timeout=3.0, check_timeout=0.7,
        http=HttpCheckRequest("GET", "/health", "HTTP/1.1", (("Host", "example.org"),)),
        expect=Expect("status", "500-599", negated=True),
    )
    assert settings.phase_limits() == (0.5, 0.7)  # min(timeout connect, inter), timeout check


def test_settings_defaults_and_unchecked_servers() -> None:
    text = """
backend be
    default-server check
    server a 127.0.0.1:80
    server b 127.0.0.1:80 no-check
    server c 127.0.0.1
"""
    a = _settings_of(text, 0)
    assert a == CheckSettings()  # inter 2s, rise 2, fall 3, TCP connect check
    assert a.phase_limits() == (2.0, None)  # no "timeout check": inter bounds the whole check
    assert a.http is None
    assert _settings_of(text, 1) is None  # no-check after default-server check
    assert _settings_of(text, 2) is None  # no port to check: HAProxy refuses it, we do not check


def test_option_httpchk_forms() -> None:
    def request(args: str) -> HttpCheckRequest | None:
        found = _settings_of(f"backend be\n    option httpchk {args}\n    server s 1.2.3.4:80 check\n")
        assert found is not None
        return found.http

    assert request("") == HttpCheckRequest("OPTIONS", "/", "HTTP/1.0")
    assert request("/ping") == HttpCheckRequest("OPTIONS", "/ping", "HTTP/1.0")
    assert request("HEAD /ping HTTP/1.1") == HttpCheckRequest("HEAD", "/ping", "HTTP/1.1")


def test_intervals_follow_srv_getinter() -> None:
    settings = CheckSettings(inter=2.0, fastinter=0.5, downinter=5.0, rise=2, fall=3)
    assert settings.interval(4) == 2.0  # fully up
    assert settings.interval(3) == 0.5  # going down
    assert settings.interval(1) == 0.5  # going up
    assert settings.interval(0) == 5.0  # down


# ------------------------------------------------------------- state machine

OK = CheckResult("L4OK", None, 0)
FAIL = CheckResult("L4CON", None, 0, "Connection refused")


def test_servers_start_up_and_a_dead_one_goes_down_at_the_first_failure() -> None:
    state = HealthState.initial(CheckSettings(rise=2, fall=3))
    assert (state.status_text(), state.check_status, state.check_desc) == (
        "UP 1/3", "INI", "Initializing")
    assert state.record(FAIL, now=10.0) is False
    assert (state.status_text(), state.chkfail, state.chkdown, state.health) == ("DOWN", 1, 1, 0)
    assert state.last_chk == "Connection refused"


def test_rise_and_fall_with_transitional_statuses() -> None:
    state = HealthState.initial(CheckSettings(rise=2, fall=3))
    assert state.record(OK, now=1.0) is None
    assert (state.status_text(), state.health) == ("UP", 4)
    seen = []
    for now in (2.0, 3.0, 4.0):
        change = state.record(FAIL, now=now)
        seen.append((state.status_text(), change))
    assert seen == [("UP 2/3", None), ("UP 1/3", None), ("DOWN", False)]
    assert state.record(OK, now=5.0) is None
    assert state.status_text() == "DOWN 1/2"
    assert state.record(OK, now=6.5) is True
    assert state.status_text() == "UP"
    assert (state.chkfail, state.chkdown, state.downtime(now=100.0)) == (3, 1, 2.5)
    assert state.lastchg == 6.5


def test_maintenance_forces_down_and_restarts_at_rise() -> None:
    state = HealthState.initial(CheckSettings(rise=2, fall=3))
    state.record(OK, now=1.0)
    assert state.set_maintenance(True, now=2.0) is False
    assert (state.status_text(), state.check_status, state.chkdown) == ("MAINT", "", 1)
    assert state.record(FAIL, now=3.0) is None  # checks do not move a server in maintenance
    assert state.set_maintenance(False, now=4.0) is True
    assert state.status_text() == "UP 1/3"  # "start OK but check immediately"
    assert state.status_text(drain=True) == "DRAIN 1/3"


def test_unchecked_server() -> None:
    state = HealthState.initial(None)
    assert (state.status, state.status_text(), state.up) == ("no check", "no check", True)
    assert state.set_maintenance(True, now=1.0) is False
    assert state.status_text() == "MAINT"


# -------------------------------------------------------------- real checks


@pytest_asyncio.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[int]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def http_answer(status: str, body: bytes = b"") -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
        writer.write(head + body)
        await writer.drain()
        writer.close()

    return handler


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # never answers; the check times out
    writer.close()


def free_closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.asyncio
async def test_tcp_check_passes_and_refused_is_l4con(serve: Callable[[Handler], Awaitable[int]]) -> None:
    port = await serve(http_answer("200 OK"))
    assert (await run_check("127.0.0.1", port, CheckSettings())).status == "L4OK"
    refused = await run_check("127.0.0.1", free_closed_port(), CheckSettings())
    assert (refused.status, refused.text, refused.code) == ("L4CON", "Connection refused", None)


@pytest.mark.asyncio
async def test_httpchk_status(serve: Callable[[Handler], Awaitable[int]]) -> None:
    httpchk = CheckSettings(http=HttpCheckRequest("GET", "/health"))
    good = await run_check("127.0.0.1", await serve(http_answer("200 OK")), httpchk)
    bad = await run_check("127.0.0.1", await serve(http_answer("500 Internal Server Error")), httpchk)
    assert (good.status, good.code) == ("L7OK", 200)
    assert (bad.status, bad.code, bad.text) == ("L7STS", 500, "Internal Server Error")
    expect_200 = CheckSettings(http=HttpCheckRequest(), expect=Expect("status", "200"))
    moved = await run_check("127.0.0.1", await serve(http_answer("301 Moved")), expect_200)
    assert (moved.status, moved.code) == ("L7STS", 301)


def raw_answer(*pieces: bytes) -> Handler:
    """Answer with ``pieces`` written one at a time (separate reads), then close."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
        writer.close()

    return handler


@pytest.mark.asyncio
async def test_httpchk_reads_the_response_with_the_proxys_own_parser(
    serve: Callable[[Handler], Awaitable[int]],
) -> None:
    httpchk = CheckSettings(http=HttpCheckRequest("GET", "/health"),
                            expect=Expect("string", "ready"))
    split = await serve(raw_answer(b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 5\r\n\r\nre", b"ady"))
    lf_only = await serve(raw_answer(b"HTTP/1.1 200 OK\nContent-Length: 5\n\nready"))
    bad_header = await serve(raw_answer(b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\nready"))
    truncated = await serve(raw_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"))
    results = [await run_check("127.0.0.1", port, httpchk)
               for port in (split, lf_only, bad_header, truncated)]
    assert [(r.status, r.code) for r in results] == [
        ("L7OK", 200), ("L7OK", 200), ("L7RSP", None), ("L7RSP", None)]
    assert results[2].text == results[3].text == "Invalid HTTP response"


@pytest.mark.asyncio
async def test_httpchk_expect_string(serve: Callable[[Handler], Awaitable[int]]) -> None:
    port = await serve(http_answer("200 OK", b"status: OK\n"))
    wants_ok = CheckSettings(http=HttpCheckRequest(), expect=Expect("string", "OK"))
    wants_other = CheckSettings(http=HttpCheckRequest(), expect=Expect("rstring", "^ready$"))
    assert (await run_check("127.0.0.1", port, wants_ok)).status == "L7OK"
    miss = await run_check("127.0.0.1", port, wants_other)
    assert (miss.status, miss.text) == ("L7RSP", "HTTP content check did not match")


@pytest.mark.asyncio
async def test_check_request_bytes_and_timeout(serve: Callable[[Handler], Awaitable[int]]) -> None:
    received: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        await reader.read()
        writer.close()

    request = HttpCheckRequest("GET", "/h", "HTTP/1.1", (("Host", "x"),))
    started = time.monotonic()
    result = await run_check("127.0.0.1", await serve(record), CheckSettings(inter=0.3, http=request))
    elapsed = time.monotonic() - started
    assert received == [b"GET /h HTTP/1.1\r\nHost: x\r\n\r\n"]
    assert result.status == "L7TOUT"
    assert 0.25 <= elapsed < 0.6  # the whole check is bounded by inter without "timeout check"


# ---------------------------------------------------------------- the checker


@pytest.mark.asyncio
async def test_checker_marks_a_killed_server_down_then_up_after_rise() -> None:
    async def ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    backend = await asyncio.start_server(ok, "127.0.0.1", 0)
    port = backend.sockets[0].getsockname()[1]
    settings = CheckSettings(inter=0.1, rise=2, fall=3)
    server = RuntimeServer(name="s1", backend="be", address=("127.0.0.1", port), check=settings)
    server.health = HealthState.initial(settings)
    changes: list[tuple[bool, float]] = []

    def on_change(changed: RuntimeServer, up: bool) -> None:
        changed.up = up
        changes.append((up, time.monotonic()))

    checker = HealthChecker(server, settings, on_change)
    checker.start()
    try:
        await _wait_for(lambda: server.health.status_text() == "UP", 1.0)
        backend.close()
        await backend.wait_closed()
        killed = time.monotonic()
        await _wait_for(lambda: bool(changes), 2.0)
        assert changes[0][0] is False and not server.up
        assert changes[0][1] - killed <= settings.inter * settings.fall + 0.15
        revived = await asyncio.start_server(ok, "127.0.0.1", port)
        try:
            await _wait_for(lambda: len(changes) == 2, 2.0)
            assert changes[1][0] is True and server.up
            assert server.health.chkdown == 1 and server.health.downtime() > 0
        finally:
            revived.close()
            await revived.wait_closed()
    finally:
        await checker.stop()


@pytest.mark.asyncio
async def test_checker_follows_maintenance_and_poke_checks_at_once() -> None:
    settings = CheckSettings(inter=5.0)  # long: only poke() can trigger the second check
    server = RuntimeServer(name="s", backend="be", address=("127.0.0.1", free_closed_port()))
    server.health = HealthState.initial(settings)
    changes: list[bool] = []
    checker = HealthChecker(server, settings, lambda s, up: changes.append(up))
    checker.start()
    try:
        await _wait_for(lambda: changes == [False], 1.0)  # dead at startup: DOWN at once
        server.disabled = True
        checker.poke()
        await _wait_for(lambda: server.health.maint, 1.0)
        assert server.health.status_text() == "MAINT"
        server.disabled = False
        checker.poke()
        # leaving maintenance restarts UP at "rise", then the immediate check fails again
        await _wait_for(lambda: changes == [False, True, False], 1.0)
    finally:
        await checker.stop()


async def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
