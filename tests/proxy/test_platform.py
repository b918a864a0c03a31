"""``proxy.platform``: each POSIX assumption's Windows branch, forced on Linux where that is safe.

Windows' file-sharing violations are simulated (``os.replace`` failing N times), the
unix-socket-less Python by removing ``asyncio.start_unix_server``; everything else is
real: real files, real sockets, a real engine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import pytest

from proxy import platform
from proxy.app.demo import _usable_port
from proxy.certs.atomic import atomic_write
from proxy.cli import main
from proxy.config.load import check_text
from proxy.config.parser import parse
from proxy.config.writer import write_file
from proxy.engine.engine import Engine
from tests.conftest import HaproxyCheck
from tests.proxy.engine._engine_support import HTTP_DEFAULTS


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "SYSTEM", "windows")


def failing_replace(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[float]:
    """``os.replace`` refusing ``failures`` times as Windows does while a file is held open."""
    real = os.replace
    calls: list[float] = []

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(time.monotonic())
        if len(calls) <= failures:
            raise PermissionError(13, "The process cannot access the file because it is being "
                                      "used by another process", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return calls


def write_cfg(path: Path) -> None:
    write_file(parse("global\n    maxconn 10\n", str(path)).config, path)


@pytest.mark.parametrize("writer", ["atomic_write", "write_file"])
@pytest.mark.usefixtures("windows")
def test_windows_replace_is_retried_while_the_file_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    target = tmp_path / "held.cfg"
    target.write_text("old\n")
    calls = failing_replace(monkeypatch, 3)
    if writer == "atomic_write":
        atomic_write(target, b"new\n", private=False)
        assert target.read_text() == "new\n"
    else:
        write_cfg(target)
        assert target.read_text() == "global\n    maxconn 10\n"
    assert len(calls) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["held.cfg"]  # no temporary file left


@pytest.mark.parametrize("writer", ["atomic_write", "write_file"])
@pytest.mark.usefixtures("windows")
def test_windows_replace_gives_up_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    monkeypatch.setattr(platform, "REPLACE_RETRY_S", 0.3)
    target = tmp_path / "held.cfg"
    target.write_text("old\n")
    calls = failing_replace(monkeypatch, 10_000)
    started = time.monotonic()
    with pytest.raises(PermissionError) as raised:
        if writer == "atomic_write":
            atomic_write(target, b"new\n", private=False)
        else:
            write_cfg(target)
    took = time.monotonic() - started
    assert 0.3 <= took < 1.5
    assert 4 <= len(calls) < 40  # backoff, not a busy loop
    message = str(raised.value)
    assert str(target) in message and "another program" in message and "holds it open" in message
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["held.cfg"]


def test_posix_replace_is_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "SYSTEM", "posix")
    calls = failing_replace(monkeypatch, 1)
    with pytest.raises(PermissionError):
        atomic_write(tmp_path / "f", b"x", private=False)
    assert len(calls) == 1  # a real refusal: said at once


def test_listening_socket_options(monkeypatch: pytest.MonkeyPatch) -> None:
    def reuse(system: str) -> int:
        monkeypatch.setattr(platform, "SYSTEM", system)
        with socket.socket() as sock:
            platform.prepare_listening_socket(sock)
            return sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)

    assert reuse("posix") != 0
    assert reuse("windows") == 0  # on Windows it would let a bind steal a busy port


@pytest.mark.parametrize("system", ["posix", "windows"])
def test_the_demo_probe_sees_a_busy_port_as_busy(monkeypatch: pytest.MonkeyPatch, system: str) -> None:
    monkeypatch.setattr(platform, "SYSTEM", system)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert _usable_port("127.0.0.1", port) == 0
    assert _usable_port("127.0.0.1", port) == port  # free again


def test_unix_addresses() -> None:
    assert platform.is_unix_address("/run/haproxy/admin.sock")
    assert platform.is_unix_address("unix@x.sock") and platform.is_unix_address("abns@x")
    assert not platform.is_unix_address("ipv4@127.0.0.1:9999")
    assert not platform.is_unix_address("127.0.0.1:9999")


UNIX_STATS = """global
    stats socket {sock} mode 660 level admin
    stats socket ipv4@127.0.0.1:0 level admin
""" + HTTP_DEFAULTS + """
frontend fe
    bind 127.0.0.1:0
    http-request return status 200 content-type text/plain string served
"""


@pytest.mark.asyncio
async def test_a_unix_stats_socket_without_unix_sockets_warns_and_the_rest_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(asyncio, "start_unix_server", raising=False)
    assert not platform.unix_sockets_available()
    sock = tmp_path / "admin.sock"
    engine = Engine(check_text(UNIX_STATS.format(sock=sock), "w.cfg").config)
    await engine.start()
    try:
        assert [(w.line, w.col, w.message) for w in engine.warnings] == [
            (2, 18, platform.UNIX_SOCKETS_UNAVAILABLE)]
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("fe"))
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        assert (await reader.read()).endswith(b"served")
        writer.close()
    finally:
        await engine.stop(0.5)
    assert not sock.exists()


@pytest.mark.usefixtures("windows")
def test_check_warns_at_a_unix_stats_socket_on_windows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "w.cfg"
    path.write_text(UNIX_STATS.format(sock="/run/haproxy/admin.sock").replace(":0", ":8080"))
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:2:18: warning: {platform.UNIX_SOCKETS_UNAVAILABLE}" in out
    assert out.count("unix sockets") == 1  # the TCP one is fine


def test_check_does_not_warn_where_unix_sockets_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform, "SYSTEM", "posix")
    if not platform.unix_sockets_available():
        pytest.skip("this Python has no unix sockets")
    path = tmp_path / "w.cfg"
    path.write_text(UNIX_STATS.format(sock="/run/haproxy/admin.sock").replace(":0", ":8080"))
    assert main(["check", str(path)]) == 0
    assert "unix sockets" not in capsys.readouterr().out


ACCOUNTS = "global\n    user {user}\n    group {group}\n" + HTTP_DEFAULTS + (
    "frontend fe\n    bind 127.0.0.1:18080\n    http-request return status 200\n")


@pytest.mark.haproxy
def test_an_unknown_user_or_group_is_what_haproxy_refuses_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    haproxy_check: HaproxyCheck,
) -> None:
    monkeypatch.setattr(platform, "SYSTEM", "posix")
    unknown, known = tmp_path / "unknown.cfg", tmp_path / "known.cfg"
    unknown.write_text(ACCOUNTS.format(user="nosuchuser-pd", group="nosuchgroup-pd"))
    known.write_text(ACCOUNTS.format(user="root", group="root"))
    theirs = haproxy_check(unknown, cwd=tmp_path)
    assert theirs.returncode != 0
    assert f"parsing [{unknown}:2] : cannot find user id for 'nosuchuser-pd'" in theirs.stderr
    assert f"parsing [{unknown}:3] : cannot find group id for 'nosuchgroup-pd'" in theirs.stderr
    assert haproxy_check(known, cwd=tmp_path).returncode == 0
    # Ours: a located warning, not a refusal -- the file may be meant for another machine.
    assert main(["check", str(unknown)]) == 0
    out = capsys.readouterr().out
    assert f"{unknown}:2:10: warning: cannot find user id for 'nosuchuser-pd' on this machine" in out
    assert f"{unknown}:3:11: warning: cannot find group id for 'nosuchgroup-pd' on this machine" in out
    assert main(["check", str(known)]) == 0
    assert "cannot find" not in capsys.readouterr().out


@pytest.mark.usefixtures("windows")
def test_accounts_are_not_looked_up_where_there_is_no_account_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert platform.system_account_known("user", "nosuchuser-pd") is None
    path = tmp_path / "w.cfg"
    path.write_text(ACCOUNTS.format(user="nosuchuser-pd", group="nosuchgroup-pd"))
    assert main(["check", str(path)]) == 0
    assert "cannot find" not in capsys.readouterr().out
