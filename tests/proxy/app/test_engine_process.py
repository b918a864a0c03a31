"""``EngineProcess`` and ``proxy.app.engine_child``: the app's engine as a real child process,
driven over its real runtime socket, with real requests on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from proxy import platform
from proxy.app import engine_wire as wire
from proxy.app.engine_process import EngineProcess, _blocking_connection, child_command
from proxy.config.parser import parse
from proxy.engine.engine import EngineError
from tests.proxy.app._engine_child_support import CONFIG
from tests.proxy.app._engine_child_support import get as _get


@pytest_asyncio.fixture
async def running(origin: int, tmp_path: Path) -> AsyncIterator[EngineProcess]:
    process = EngineProcess(parse(CONFIG.format(port=origin), str(tmp_path / "app.cfg")).config)
    await process.start()
    yield process
    await process.stop(1.0)


async def _events(process: EngineProcess, wanted: int) -> list[object]:
    events: list[object] = []
    deadline = time.monotonic() + 5
    while len(events) < wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        events += process.drain_events()
    return events


@pytest.mark.asyncio
async def test_serves_and_streams_every_request_as_an_event(running: EngineProcess) -> None:
    assert running.pid is not None and running.pid != os.getpid()
    port = running.port_of("fe")
    for path in ("/", "/lightwork", "/heavywork"):
        assert (await _get(port, path))[0] == 200
    events = await _events(running, 3)
    assert [(e.frontend, e.server, e.status, e.path) for e in events] == [  # type: ignore[attr-defined]
        ("fe", "alpha", 200, "/"), ("fe", "alpha", 200, "/lightwork"), ("fe", "alpha", 200, "/heavywork")]
    assert running.dropped_events == 0


@pytest.mark.asyncio
async def test_stats_snapshot_is_whole_including_percentiles(running: EngineProcess) -> None:
    for _ in range(4):
        await _get(running.port_of("fe"))
    snapshot = await asyncio.to_thread(running.stats)
    assert snapshot.pid == running.pid
    server = snapshot.find("be", "alpha")
    assert server is not None and server.counters["stot"] == 4
    assert "rtime_p99" in server.counters  # what `show stat` CSV cannot carry


@pytest.mark.asyncio
async def test_control_socket_is_unix_where_there_are_unix_sockets(running: EngineProcess) -> None:
    kind = "unix" if platform.unix_sockets_available() else "tcp"
    assert (kind == "unix") == (not running.control_address.startswith("ipv4@127.0.0.1:"))
    assert running.private_dir is not None and (running.private_dir / "running.cfg").is_file()


@pytest.mark.asyncio
async def test_apply_reloads_and_a_refused_config_keeps_the_old_one(
    running: EngineProcess, origin: int, tmp_path: Path
) -> None:
    port = running.port_of("fe")
    denying = CONFIG.format(port=origin).replace("    default_backend be", "    http-request deny\n"
                                                                        "    default_backend be")
    await running.apply(parse(denying, str(tmp_path / "app.cfg")).config)
    assert (await _get(port))[0] == 403
    broken = denying.replace("default_backend be", "default_backend nowhere")
    with pytest.raises(EngineError) as refused:
        await running.apply(parse(broken, str(tmp_path / "app.cfg")).config)
    diagnostic = refused.value.diagnostics[0]
    assert diagnostic.line == broken.splitlines().index("    default_backend nowhere") + 1
    assert diagnostic.path == str(tmp_path / "app.cfg")  # the user's file, not the copy
    assert (await _get(port))[0] == 403  # the old config keeps serving
    assert running.private_dir is not None
    assert (running.private_dir / "running.cfg").read_text() == denying  # the copy says what runs


@pytest.mark.asyncio
async def test_a_config_the_engine_refuses_at_start_says_where(tmp_path: Path) -> None:
    text = "frontend fe\n    bind 127.0.0.1:0\n    default_backend nowhere\n"
    process = EngineProcess(parse(text, str(tmp_path / "bad.cfg")).config)
    with pytest.raises(EngineError) as refused:
        await process.start()
    assert refused.value.diagnostics and refused.value.diagnostics[0].line == 3
    assert process.pid is None and process.private_dir is None  # nothing left behind


@pytest.mark.asyncio
async def test_a_killed_child_is_reported_with_how_it_ended(running: EngineProcess) -> None:
    assert running.exit_reason() is None
    pid = running.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while running.exit_reason() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert running.exit_reason() == (
        "The engine process exited (killed by signal 9); Start runs it again")


@pytest.mark.asyncio
async def test_stop_leaves_no_process_and_no_directory(origin: int) -> None:
    process = EngineProcess(parse(CONFIG.format(port=origin)).config)
    await process.start()
    pid, directory = process.pid, process.private_dir
    assert pid is not None and directory is not None
    await process.stop(1.0)
    assert process.pid is None and not directory.exists()
    assert not _alive(pid)


@pytest.mark.asyncio
async def test_server_state_goes_over_the_runtime_api(running: EngineProcess) -> None:
    await asyncio.to_thread(running.set_server_state, "be", "alpha", "maint")
    snapshot = await asyncio.to_thread(running.stats)
    row = snapshot.find("be", "alpha")
    assert row is not None and row.status == "MAINT"
    with pytest.raises(ValueError, match="No such server"):
        await asyncio.to_thread(running.set_server_state, "be", "nobody", "maint")


@pytest.mark.asyncio
async def test_json_event_stream_and_help_for_people(running: EngineProcess) -> None:
    help_text = await asyncio.to_thread(running.command, "help")
    assert "show snapshot" in help_text and "stream events [json|marshal]" in help_text
    reader, writer = await wire_connection(running)
    writer.write(b"stream events json\n")
    await writer.drain()
    await asyncio.sleep(0.05)  # attached before the request
    await _get(running.port_of("fe"), "/admin")
    line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    (event,) = json.loads(line)
    assert event[2:6] == ["fe", "be", "alpha", 200] and event[12] == "/admin"


async def wire_connection(process: EngineProcess) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    from proxy.app.engine_process import _connect

    return await _connect(process.control_address, process.control_secret)


def test_event_frames_round_trip() -> None:
    from proxy.engine.session import LogEvent, Timings

    event = LogEvent(1.5, ("::1", 80), "fe", "be", "s", None, 1, 2, Timings(1, 2, 3, 4, 5), "r", "CD")
    body = wire.event_frame(7, [event])[wire.FRAME_HEADER.size:]
    assert wire.decode_events(body) == (7, [event])


# ------------------------------------------------------------------ the child on its own


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _by_hand(tmp_path: Path, control: str, *flags: str) -> subprocess.Popen[bytes]:
    copy = tmp_path / "running.cfg"
    copy.write_text("frontend fe\n    bind 127.0.0.1:0\n    mode tcp\n    default_backend be\n"
                    "backend be\n    mode tcp\n    server s 127.0.0.1:9\n")
    return subprocess.Popen([*child_command(), "--config", str(copy), "--control", control, *flags],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _reap(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait()
    for pipe in (child.stdin, child.stdout, child.stderr):
        if pipe is not None:
            pipe.close()


@pytest.mark.parametrize("secret", [False, True])
def test_the_child_stops_when_its_stdin_ends(tmp_path: Path, secret: bool) -> None:
    """The watchdog alone (no --parent-pid, so no PR_SET_PDEATHSIG): a dead parent's
    pipe ends exactly like this, on every OS -- also after the secret's line."""
    if not secret and not platform.unix_sockets_available():
        pytest.skip("a TCP control socket needs the secret (the next test)")
    control = str(tmp_path / "c.sock") if platform.unix_sockets_available() else "ipv4@127.0.0.1:0"
    child = _by_hand(tmp_path, control, *(["--auth-on-stdin"] if secret else []))
    try:
        assert child.stdout is not None and child.stdin is not None
        if secret:
            child.stdin.write(b"0123abcd\n")
            child.stdin.flush()
        report = json.loads(child.stdout.readline())
        assert report["ready"] and report["pid"] == child.pid
        child.stdin.close()
        assert child.wait(10) == 0
    finally:
        _reap(child)


def test_a_signalled_child_exits_cleanly_while_its_stdin_is_open(tmp_path: Path) -> None:
    """SIGTERM while the watchdog waits on stdin: once a SIGABRT (the interpreter could not
    take stdin's buffer lock at shutdown), now a plain exit 0."""
    child = _by_hand(tmp_path, "ipv4@127.0.0.1:0", "--auth-on-stdin")
    try:
        assert child.stdout is not None and child.stdin is not None and child.stderr is not None
        child.stdin.write(b"0123abcd\n")
        child.stdin.flush()
        report = json.loads(child.stdout.readline())
        with _blocking_connection(report["control"], "0123abcd", 5) as sock:
            sock.sendall(b"show backend\n")  # answered: the loop is past installing its handlers
            assert sock.recv(100).startswith(b"# name")
        child.send_signal(signal.SIGTERM)
        assert child.wait(10) == 0, child.stderr.read()
    finally:
        _reap(child)


def test_the_child_opens_no_tcp_control_port_without_a_secret(tmp_path: Path) -> None:
    child = _by_hand(tmp_path, "ipv4@127.0.0.1:0")
    try:
        assert child.stdout is not None
        report = json.loads(child.stdout.readline())
        assert not report["ready"] and "needs --auth-on-stdin" in report["message"]
        assert child.wait(10) == 1
    finally:
        _reap(child)


def test_the_child_does_not_start_when_stdin_ends_before_the_secret(tmp_path: Path) -> None:
    child = _by_hand(tmp_path, "ipv4@127.0.0.1:0", "--auth-on-stdin")
    try:
        assert child.stdout is not None and child.stdin is not None
        child.stdin.close()  # the app died at once
        report = json.loads(child.stdout.readline())
        assert report == {"ready": False,
                          "message": "no control socket secret on stdin (the app is gone?)"}
        assert child.wait(10) == 1
    finally:
        _reap(child)


def test_a_child_whose_app_died_exits_by_itself(tmp_path: Path, origin_port: int) -> None:
    """A small parent starts an engine process and is SIGKILLed: its child must go."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT.format(port=origin_port))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert _alive(child_pid)
        parent.kill()
        parent.wait(5)
        deadline = time.monotonic() + 10  # the bound: the child's own grace + hard exit
        while _alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child_pid)
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.communicate()


PARENT = """
import asyncio, sys, time
from proxy.app.engine_process import EngineProcess
from proxy.config.parser import parse

TEXT = "frontend fe\\n    bind 127.0.0.1:0\\n    default_backend be\\nbackend be\\n    server s 127.0.0.1:{port}\\n"

async def main():
    process = EngineProcess(parse(TEXT).config)
    await process.start()
    print(process.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.fixture
def origin_port() -> int:
    return 9  # nothing needs to answer: the test only watches processes


@pytest.mark.asyncio
async def test_snapshots_cross_as_json_unchanged(origin: int) -> None:
    from proxy.app.demo import tutorial_config
    from proxy.engine.engine import Engine

    engine = Engine(tutorial_config([origin] * 4, 0, stats_port=0, socket_port=None))
    await engine.start()
    try:
        await _get(engine.port_of("main"))
        snapshot = engine.stats()
        assert any(row.check is not None for row in snapshot.rows)  # CheckInfo crosses too
        assert wire.snapshot_from_json(wire.snapshot_to_json(snapshot)) == snapshot
    finally:
        await engine.stop(0)
