"""The stats socket: HAProxy's runtime API over real unix and TCP sockets, against a real Engine."""

from __future__ import annotations

import asyncio
import csv
import io
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from _engine_support import defaults_section

from proxy.config.load import check_text
from proxy.engine import runtime_api
from proxy.engine.engine import Engine
from proxy.engine.runtime_api import AUTH_REFUSED, parse_address, serve

CONFIG = """
global
    stats socket {sock}
""" + defaults_section(client="2s", server="2s") + """frontend fe
    bind 127.0.0.1:0
    default_backend be
backend be
    server s1 127.0.0.1:{port} weight 10
    server s2 127.0.0.1:{port}
"""


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[tuple[Engine, Path]]:
    async def ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    backend = await asyncio.start_server(ok, "127.0.0.1", 0)
    sock = tmp_path / "admin.sock"
    port = backend.sockets[0].getsockname()[1]
    config = check_text(CONFIG.format(sock=sock, port=port)).config
    running = Engine(config)
    await running.start()
    try:
        yield running, sock
    finally:
        await running.stop(grace=0.5)
        backend.close()
        await backend.wait_closed()


async def ask(sock: Path, line: str) -> str:
    reader, writer = await asyncio.open_unix_connection(str(sock))
    writer.write(line.encode() + b"\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 2.0)
    writer.close()
    return answer.decode()


def stat_rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    assert text.startswith("# pxname,svname,") and text.endswith("\n\n")
    return {(r["pxname"], r["svname"]): r for r in csv.DictReader(io.StringIO(text[2:]))}


@pytest.mark.unix
@pytest.mark.asyncio
async def test_show_stat_and_info_over_a_private_unix_socket(engine: tuple[Engine, Path]) -> None:
    _, sock = engine
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    rows = stat_rows(await ask(sock, "show stat"))
    assert list(rows) == [("fe", "FRONTEND"), ("be", "s1"), ("be", "s2"), ("be", "BACKEND")]
    assert rows["be", "s1"]["weight"] == "10" and rows["be", "BACKEND"]["weight"] == "11"
    info = await ask(sock, "show info")
    assert info.endswith("\n\n")
    pairs = dict(line.split(": ", 1) for line in info.strip().splitlines())
    assert pairs["Name"] == "Proxydesk" and "Uptime_sec" in pairs and pairs["Nbthread"] == "1"


@pytest.mark.unix
@pytest.mark.asyncio
async def test_disable_enable_and_state_commands(engine: tuple[Engine, Path]) -> None:
    _, sock = engine
    assert await ask(sock, "disable server be/s1") == "\n"
    assert stat_rows(await ask(sock, "show stat"))["be", "s1"]["status"] == "MAINT"
    assert await ask(sock, "enable server be/s1") == "\n"
    assert stat_rows(await ask(sock, "show stat"))["be", "s1"]["status"] == "no check"
    assert await ask(sock, "set server be/s2 state maint") == "\n"
    assert stat_rows(await ask(sock, "show stat"))["be", "s2"]["status"] == "MAINT"
    assert await ask(sock, "set server be/s2 state ready") == "\n"
    assert await ask(sock, "set server be/s2 state bogus") == (
        "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n")


@pytest.mark.unix
@pytest.mark.asyncio
async def test_weights(engine: tuple[Engine, Path]) -> None:
    _, sock = engine
    assert await ask(sock, "set server be/s1 weight 7") == "\n"
    assert await ask(sock, "get weight be/s1") == "7 (initial 10)\n\n"
    assert await ask(sock, "set server be/s1 weight 50%") == "\n"  # of the initial weight
    assert await ask(sock, "get weight be/s1") == "5 (initial 10)\n\n"
    assert await ask(sock, "set weight be/s1 3") == "\n"
    assert stat_rows(await ask(sock, "show stat"))["be", "s1"]["weight"] == "3"
    assert await ask(sock, "set server be/s1 weight 300") == (
        "Absolute weight can only be between 0 and 256 inclusive.\n\n")
    assert await ask(sock, "set server be/s1 weight x") == (
        "Empty weight string empty or preceded by garbage\n\n")
    assert await ask(sock, "set server be/s1 weight") == "Require <weight> or <weight%>.\n\n"


@pytest.mark.unix
@pytest.mark.asyncio
async def test_errors_are_haproxys_words(engine: tuple[Engine, Path]) -> None:
    _, sock = engine
    assert await ask(sock, "disable server be/nope") == "No such server.\n\n"
    assert await ask(sock, "disable server nope/s1") == "No such backend.\n\n"
    assert await ask(sock, "disable server be") == "Require 'backend/server'.\n\n"
    unknown = await ask(sock, "frobnicate")
    assert unknown.startswith("Unknown command, but maybe one of the following ones is a better")
    assert "  show stat [desc|json|no-maint|typed|up]* : report counters" in unknown
    helped = await ask(sock, "help")
    assert helped.startswith("The following commands are valid at this level:\n")
    assert helped.endswith("\n\n")


@pytest.mark.unix
@pytest.mark.asyncio
async def test_several_commands_on_one_line(engine: tuple[Engine, Path]) -> None:
    _, sock = engine
    answer = await ask(sock, "disable server be/s2; show backend ;enable server be/s2")
    assert answer == "\n# name\nbe\n\n\n"


@pytest.mark.asyncio
async def test_tcp_form_interactive_prompt_and_levels(engine: tuple[Engine, Path]) -> None:
    running, _ = engine
    server = await serve(running, "ipv4@127.0.0.1:0", level="operator")
    try:
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"prompt\n")
        assert await reader.readuntil(b"> ") == b"\n> "
        writer.write(b"disable server be/s1\n")
        assert await reader.readuntil(b"> ") == b"Permission denied\n\n> "
        writer.write(b"show backend\n")
        assert await reader.readuntil(b"> ") == b"# name\nbe\n\n> "
        writer.write(b"quit\n")
        assert await asyncio.wait_for(reader.read(), 2.0) == b""
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_parse_address() -> None:
    assert parse_address("/run/haproxy/admin.sock") == ("unix", "/run/haproxy/admin.sock")
    assert parse_address("unix@relative.sock") == ("unix", "relative.sock")
    assert parse_address("ipv4@127.0.0.1:9999") == ("tcp", ("127.0.0.1", 9999))
    assert parse_address("ipv6@[::1]:9999") == ("tcp", ("::1", 9999))
    with pytest.raises(ValueError, match="missing port"):
        parse_address("ipv4@127.0.0.1")


@pytest.mark.asyncio
async def test_reload_is_served_where_a_reloader_is_given(engine: tuple[Engine, Path]) -> None:
    running, _ = engine
    calls: list[str] = []

    async def reloader() -> tuple[bool, str]:
        calls.append("reload")
        return len(calls) == 1, "f.cfg:3:5: error: something\nrefused" if len(calls) > 1 else ""

    async def ask_tcp(server: asyncio.Server, line: str) -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        writer.write(line.encode() + b"\n")
        answer = await asyncio.wait_for(reader.read(), 2.0)
        writer.close()
        return answer.decode()

    plain = await serve(running, "ipv4@127.0.0.1:0")
    user = await serve(running, "ipv4@127.0.0.1:0", level="user", reloader=reloader)
    operator = await serve(running, "ipv4@127.0.0.1:0", level="operator", reloader=reloader)
    try:
        assert (await ask_tcp(plain, "reload")).startswith("Unknown command")
        assert "  reload " not in await ask_tcp(plain, "help")
        assert await ask_tcp(user, "reload") == "Permission denied\n\n"
        assert "  reload " in await ask_tcp(operator, "help")
        assert await ask_tcp(operator, "reload") == "Success=1\n--\n\n"
        assert await ask_tcp(operator, "show backend; reload") == (
            "# name\nbe\n\nSuccess=0\n--\nf.cfg:3:5: error: something\nrefused\n\n")
        assert calls == ["reload", "reload"]
    finally:
        for server in (plain, user, operator):
            server.close()


# ------------------------------------------------------------- serve(secret=...): auth first


async def exchange_tcp(server: asyncio.Server, data: bytes) -> bytes:
    """Send ``data`` as it is and read the whole answer (until the server closes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10.0)
    writer.close()
    return answer


@pytest.mark.asyncio
async def test_a_secret_lets_in_only_connections_that_auth_first(engine: tuple[Engine, Path]) -> None:
    running, _ = engine
    plain = await serve(running, "ipv4@127.0.0.1:0")
    guarded = await serve(running, "ipv4@127.0.0.1:0", secret="s3cret")
    try:
        same = await exchange_tcp(plain, b"show backend\n")
        assert same == b"# name\nbe\n\n"
        assert await exchange_tcp(guarded, b"auth s3cret\nshow backend\n") == same
        for first in (b"disable server be/s1\n", b"auth wrong\ndisable server be/s1\n",
                      b"auth s3cre\ndisable server be/s1\n", b"auth s3cret extra\ndisable server be/s1\n",
                      b"auth\n", b"AUTH s3cret\ndisable server be/s1\n",
                      b"disable server be/s1; auth s3cret\n", b"prompt\ndisable server be/s1\n"):
            assert await exchange_tcp(guarded, first) == AUTH_REFUSED, first
        row = running.stats().find("be", "s1")
        assert row is not None and row.status != "MAINT"  # nothing was executed
        assert await exchange_tcp(guarded, b"auth s3cret\ndisable server be/s1\n") == b"\n"
        row = running.stats().find("be", "s1")
        assert row is not None and row.status == "MAINT"  # ...whereas with the secret it is
    finally:
        for server in (plain, guarded):
            server.close()
            await server.wait_closed()


@pytest.mark.asyncio
async def test_an_authenticated_connection_may_go_interactive(engine: tuple[Engine, Path]) -> None:
    running, _ = engine
    server = await serve(running, "ipv4@127.0.0.1:0", secret="s3cret")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        writer.write(b"auth s3cret\nprompt\n")
        assert await reader.readuntil(b"> ") == b"\n> "
        writer.write(b"show backend\n")
        assert await reader.readuntil(b"> ") == b"# name\nbe\n\n> "
        writer.write(b"quit\n")
        assert await asyncio.wait_for(reader.read(), 2.0) == b""
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.asyncio
async def test_a_silent_connection_is_let_go(engine: tuple[Engine, Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_api, "AUTH_TIMEOUT", 0.2)
    running, _ = engine
    server = await serve(running, "ipv4@127.0.0.1:0", secret="s3cret")
    try:
        started = asyncio.get_running_loop().time()
        assert await exchange_tcp(server, b"") == AUTH_REFUSED
        assert asyncio.get_running_loop().time() - started < 5.0
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.asyncio
@pytest.mark.parametrize("secret", ["", "two words", " padded"])
async def test_a_secret_is_one_word(engine: tuple[Engine, Path], secret: str) -> None:
    with pytest.raises(ValueError, match="one word"):
        await serve(engine[0], "ipv4@127.0.0.1:0", secret=secret)
