"""``proxydesk run`` and ``proxydesk demo`` as a user runs them: real subprocesses and signals."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from proxy.app import instances
from proxy.app.demo import start_responder, tutorial_answer
from proxy.app.launch import NO_DISPLAY, has_display, qt_start_problem
from proxy.cli import main
from tests.portability import ENV as LANE
from tests.portability import SITE_DIR, child_env
from tests.proxy.engine._engine_support import HTTP_DEFAULTS

ROOT = Path(__file__).resolve().parents[3]
HTTPLOG = re.compile(
    r'^127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:[\d:.]+\] fe be/alpha [-\d/]+ 200 \d+ .* "GET /hello HTTP/1\.1"$',
    re.M,
)

CONFIG = HTTP_DEFAULTS + """
frontend fe
    bind 127.0.0.1:0
    default_backend be
    log stderr format raw local0

backend be
    server {name} 127.0.0.1:{port}
"""


def write_config(path: Path, name: str, port: int) -> Path:
    path.write_text(CONFIG.format(name=name, port=port))
    return path


# ------------------------------------------------------------------ --check-only


def test_check_only_accepts_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path / "ok.cfg", "alpha", 8001)
    assert main(["run", "--check-only", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"{path}: configuration is valid" in err
    # HAProxy refuses port 0; the engine binds a free port, so run only warns
    assert f"{path}:8:10: warning: port 0" in err


def test_check_only_rejects_an_invalid_file_with_located_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.cfg"
    path.write_text(CONFIG.format(name="alpha", port=8001).replace("default_backend be",
                                                                   "default_backend nowhere"))
    assert main(["run", "--check-only", str(path)]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"^{re.escape(str(path))}:9:\d+: error: .*'nowhere'", err, re.M), err
    assert "configuration is valid" not in err


def test_run_on_a_missing_file_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "absent.cfg")]) == 1
    assert "absent.cfg:0:0: error: no such file" in capsys.readouterr().err


def test_display_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert not has_display()
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert has_display()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert not has_display()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not has_display()
    monkeypatch.delenv("QT_QPA_PLATFORM")
    assert has_display()


# ------------------------------------------------------------------ subprocesses


@dataclass
class Proxydesk:
    """A ``python -m proxy.cli`` subprocess whose output goes to files we can poll."""

    process: asyncio.subprocess.Process
    out: Path
    err: Path

    def stdout(self) -> str:
        return self.out.read_text()

    def stderr(self) -> str:
        return self.err.read_text()

    async def wait_for(self, pattern: str, *, stream: str = "stdout", timeout: float = 5.0) -> re.Match[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            found = re.search(pattern, self.stdout() if stream == "stdout" else self.stderr(), re.M)
            if found:
                return found
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {pattern!r} in {stream}:\n{self.stdout()}\n{self.stderr()}")

    async def port(self, frontend: str) -> int:
        found = await self.wait_for(rf"{frontend} listening on 127\.0\.0\.1:(\d+)$")
        return int(found.group(1))

    async def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        return await asyncio.wait_for(self.process.wait(), 3)


@asynccontextmanager
async def proxydesk(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> AsyncIterator[Proxydesk]:
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as out_file, err.open("wb") as err_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "proxy.cli", *args, cwd=tmp_path, stdout=out_file, stderr=err_file,
            env={**child_env(str(ROOT)), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})},
        )
    running = Proxydesk(process, out, err)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def http_get(port: int, path: str) -> tuple[int, str]:
    """(status, body) of one GET with ``Connection: close``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        raw = await asyncio.wait_for(reader.read(), 3)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


@pytest.mark.asyncio
async def test_run_logs_only_where_a_log_line_asks_as_haproxy_does(tmp_path: Path) -> None:
    alpha = await start_responder(tutorial_answer("alpha"))
    text = CONFIG.format(name="alpha", port=alpha.sockets[0].getsockname()[1])
    config = tmp_path / "haproxy.cfg"
    config.write_text(text.replace("    log stderr format raw local0\n", ""))
    try:
        async with proxydesk(tmp_path, "run", str(config)) as run:
            port = await run.port("fe")
            assert await http_get(port, "/hello") == (200, "alpha: Home page!\n")
            assert await http_get(port, "/hello") == (200, "alpha: Home page!\n")
            await run.stop(signal.SIGTERM)
        assert "GET /hello" not in run.stderr()  # no "log" line: HAProxy logs nothing either
    finally:
        alpha.close()


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
@pytest.mark.asyncio
async def test_run_serves_reloads_on_sighup_and_stops_on_sigterm(tmp_path: Path) -> None:
    alpha = await start_responder(tutorial_answer("alpha"))
    beta = await start_responder(tutorial_answer("beta"))
    config = write_config(tmp_path / "haproxy.cfg", "alpha", alpha.sockets[0].getsockname()[1])
    try:
        async with proxydesk(tmp_path, "run", str(config)) as run:
            port = await run.port("fe")
            assert await http_get(port, "/hello") == (200, "alpha: Home page!\n")
            await run.wait_for(HTTPLOG.pattern, stream="stderr")

            # a broken file: refused, the old config keeps serving
            config.write_text(CONFIG.format(name="beta", port=0).replace("server beta", "server"))
            run.process.send_signal(signal.SIGHUP)
            await run.wait_for(r"reload refused; still serving the previous configuration", stream="stderr")
            assert await http_get(port, "/lightwork") == (200, "alpha: Doing light work!\n")

            # the fixed file: applied on the same listening port
            write_config(config, "beta", beta.sockets[0].getsockname()[1])
            run.process.send_signal(signal.SIGHUP)
            await run.wait_for(r"reloaded .*haproxy\.cfg$", stream="stderr")
            assert await http_get(port, "/heavywork") == (200, "beta: Doing heavy work!\n")

            started = asyncio.get_running_loop().time()
            assert await run.stop(signal.SIGTERM) == 0
            assert asyncio.get_running_loop().time() - started < 2.5
    finally:
        alpha.close()
        beta.close()


@pytest.mark.asyncio
async def test_run_refuses_to_start_on_an_invalid_file(tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(CONFIG.format(name="alpha", port=1).replace("\nbackend be", "\nbackend other"))
    async with proxydesk(tmp_path, "run", str(config)) as run:
        assert await asyncio.wait_for(run.process.wait(), 5) == 1
        assert re.search(r"haproxy\.cfg:9:\d+: error: .*'be'", run.stderr()), run.stderr()


TUTORIAL_ANSWERS = {
    "/lightwork": (200, r"server[12]: Doing light work!"),
    "/heavywork": (200, r"server[34]: Doing heavy work!"),
    "/": (200, r"server[1-4]: Home page!"),
}


async def _check_tutorial(port: int) -> None:
    for path, (status, body) in TUTORIAL_ANSWERS.items():
        got_status, got_body = await http_get(port, path)
        assert got_status == status and re.fullmatch(body + "\n", got_body), (path, got_body)
    assert (await http_get(port, "/admin"))[0] == 403


@pytest.mark.asyncio
async def test_demo_headless_serves_the_tutorial_and_stops_on_sigint(tmp_path: Path) -> None:
    async with proxydesk(tmp_path, "demo", "--headless", "--port", "0") as demo:
        port = await demo.port("main")
        await demo.wait_for(rf"curl http://127\.0\.0\.1:{port}/lightwork\n +-> server1: Doing light work!")
        await _check_tutorial(port)
        assert await demo.stop(signal.SIGINT) == 0
    assert NO_DISPLAY not in demo.stderr()


@pytest.mark.asyncio
async def test_demo_without_a_display_says_so_and_serves_headless(tmp_path: Path) -> None:
    async with proxydesk(tmp_path, "demo", "--port", "0", "--quiet",
                         env={"QT_QPA_PLATFORM": "offscreen"}) as demo:
        port = await demo.port("main")
        await demo.wait_for(re.escape(NO_DISPLAY), stream="stderr")
        await _check_tutorial(port)
        assert await demo.stop(signal.SIGTERM) == 0
    assert "GET /lightwork" not in demo.stderr()  # --quiet: no request log


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="X11 only")
@pytest.mark.asyncio
async def test_demo_on_a_display_qt_cannot_use_says_why_and_serves_headless(tmp_path: Path) -> None:
    # A display that is not there: Qt would abort the process inside QApplication();
    # the probe's child process takes that fall instead, and the demo is served.
    async with proxydesk(tmp_path, "demo", "--port", "0", "--quiet", env={"DISPLAY": ":97"}) as demo:
        port = await demo.port("main")
        await demo.wait_for("The desktop app cannot open a window here", stream="stderr")
        await _check_tutorial(port)
        assert await demo.stop(signal.SIGTERM) == 0
    stderr = demo.stderr()
    assert re.search(r"^qt\.qpa\.", stderr, re.M), stderr  # Qt's own words, passed on
    assert "apt-get install libxcb-cursor0" in stderr  # and what to do about it


@pytest.mark.asyncio
async def test_bare_proxydesk_without_a_display_serves_the_demo(tmp_path: Path) -> None:
    async with proxydesk(tmp_path, env={"QT_QPA_PLATFORM": "offscreen"}) as app:
        port = await app.port("main")
        await app.wait_for(re.escape(NO_DISPLAY), stream="stderr")
        await _check_tutorial(port)
        assert await app.stop(signal.SIGTERM) == 0


def test_the_qt_probe_passes_where_qt_can_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert qt_start_problem() is None


# ------------------------------------------------------- reload without signals


async def proxydesk_once(tmp_path: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """(exit status, stderr) of one short ``proxydesk`` command."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "proxy.cli", *args, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**child_env(str(ROOT)), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, err.decode() + out.decode()


async def served_within(port: int, path: str, expected: tuple[int, str], timeout: float = 5.0) -> float:
    """Seconds until ``GET path`` answers ``expected``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while (got := await http_get(port, path)) != expected:
        assert loop.time() - started < timeout, got
        await asyncio.sleep(0.05)
    return loop.time() - started


@pytest.mark.asyncio
async def test_run_follows_its_file_and_refuses_a_broken_edit(tmp_path: Path) -> None:
    alpha = await start_responder(tutorial_answer("alpha"))
    beta = await start_responder(tutorial_answer("beta"))
    config = write_config(tmp_path / "haproxy.cfg", "alpha", alpha.sockets[0].getsockname()[1])
    env = {"PROXYDESK_RUNTIME_DIR": str(tmp_path / "rt")}
    try:
        async with proxydesk(tmp_path, "run", "--quiet", str(config), env=env) as run:
            port = await run.port("fe")
            assert await http_get(port, "/hello") == (200, "alpha: Home page!\n")

            write_config(config, "beta", beta.sockets[0].getsockname()[1])  # no signal, no command
            assert await served_within(port, "/hello", (200, "beta: Home page!\n")) < 3.0
            await run.wait_for(r"file changed: reloading .*haproxy\.cfg$", stream="stderr")

            # a broken edit: refused with its located message, the running config keeps serving
            config.write_text(config.read_text().replace("default_backend be", "default_backend nowhere"))
            await run.wait_for(r"haproxy\.cfg:\d+:\d+: error: .*'nowhere'", stream="stderr")
            await run.wait_for(r"reload refused; still serving the previous configuration", stream="stderr")
            assert await http_get(port, "/lightwork") == (200, "beta: Doing light work!\n")
            await asyncio.sleep(1.2)  # refused once, not on every poll
            assert run.stderr().count("reload refused") == 1

            write_config(config, "alpha", alpha.sockets[0].getsockname()[1])  # fixed: applied
            assert await served_within(port, "/hello", (200, "alpha: Home page!\n")) < 3.0
            assert await run.stop(signal.SIGTERM) == 0
    finally:
        alpha.close()
        beta.close()


@pytest.mark.asyncio
async def test_proxydesk_reload_asks_the_running_instance_without_signals(tmp_path: Path) -> None:
    alpha = await start_responder(tutorial_answer("alpha"))
    beta = await start_responder(tutorial_answer("beta"))
    config = write_config(tmp_path / "haproxy.cfg", "alpha", alpha.sockets[0].getsockname()[1])
    runtime = tmp_path / "rt"
    env = {"PROXYDESK_RUNTIME_DIR": str(runtime)}
    try:
        status, said = await proxydesk_once(tmp_path, "reload", str(config), env=env)
        assert status == 1 and "no 'proxydesk run' serves" in said, said

        async with proxydesk(tmp_path, "run", "--quiet", str(config), env=env) as run:
            port = await run.port("fe")
            record = json.loads(next((runtime / "instances").glob("*.json")).read_text())
            assert record["config"] == str(config.resolve()) and record["pid"] == run.process.pid

            write_config(config, "beta", beta.sockets[0].getsockname()[1])
            status, said = await proxydesk_once(tmp_path, "reload", str(config), env=env)
            assert status == 0, said
            assert "reloaded" in said
            assert await http_get(port, "/hello") == (200, "beta: Home page!\n")  # at once

            config.write_text(config.read_text().replace("server beta", "server"))
            status, said = await proxydesk_once(tmp_path, "reload", env=env)  # the only instance
            assert status == 1, said
            assert re.search(r"haproxy\.cfg:\d+:\d+: error: ", said), said
            assert "reload refused; still serving the previous configuration" in said
            assert await http_get(port, "/hello") == (200, "beta: Home page!\n")

            assert await run.stop(signal.SIGTERM) == 0
        assert list((runtime / "instances").glob("*.json")) == []  # withdrawn on stop
    finally:
        alpha.close()
        beta.close()


@pytest.mark.asyncio
async def test_reload_of_an_instance_that_died_says_so(tmp_path: Path) -> None:
    config = write_config(tmp_path / "haproxy.cfg", "alpha", 1)
    env = {"PROXYDESK_RUNTIME_DIR": str(tmp_path / "rt")}
    async with proxydesk(tmp_path, "run", "--quiet", str(config), env=env) as run:
        await run.port("fe")
        run.process.kill()  # no chance to withdraw its record
        await run.process.wait()
    status, said = await proxydesk_once(tmp_path, "reload", str(config), env=env)
    assert status == 1 and "is gone; its record was removed" in said, said
    status, said = await proxydesk_once(tmp_path, "reload", str(config), env=env)
    assert status == 1 and "no 'proxydesk run' serves" in said, said


@pytest.mark.asyncio
async def test_run_with_a_unix_stats_socket_where_there_are_none(tmp_path: Path) -> None:
    """Windows, simulated (no asyncio.start_unix_server, no AF_UNIX, no SIGHUP) in the child:
    the unix stats socket gets a located warning and everything else serves, reload too."""
    alpha = await start_responder(tutorial_answer("alpha"))
    config = write_config(tmp_path / "haproxy.cfg", "alpha", alpha.sockets[0].getsockname()[1])
    config.write_text(f"global\n    stats socket {tmp_path}/admin.sock level admin\n" + config.read_text())
    windows = {"PYTHONPATH": os.pathsep.join([str(SITE_DIR), str(ROOT)]), LANE: "1",
               "PROXYDESK_RUNTIME_DIR": str(tmp_path / "rt")}
    try:
        async with proxydesk(tmp_path, "run", "--quiet", str(config), env=windows) as run:
            port = await run.port("fe")
            assert await http_get(port, "/hello") == (200, "alpha: Home page!\n")
            assert re.search(r"haproxy\.cfg:2:18: warning: unix sockets are not available on this "
                             r"platform; use `ipv4@127\.0\.0\.1:PORT`$", run.stderr(), re.M), run.stderr()
            assert not (tmp_path / "admin.sock").exists()
            record = json.loads(next((tmp_path / "rt" / "instances").glob("*.json")).read_text())
            assert record["control"].startswith("ipv4@127.0.0.1:")  # no unix control socket either
            # any local user can reach that port: without the record's secret nothing happens
            for secret in (None, "0" * 64):
                answer = await instances.request(record["control"], "reload", 5.0, secret)
                assert answer.startswith("Permission denied"), answer
            assert "reloading" not in run.stderr()
            status, said = await proxydesk_once(tmp_path, "reload", str(config), env=windows)
            assert status == 0 and "reloaded" in said, said
            assert "Traceback" not in run.stderr()
            assert await run.stop(signal.SIGTERM) == 0
    finally:
        alpha.close()


def test_demo_refuses_a_port_out_of_range_with_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # it was an OverflowError traceback from the free-port probe
    with pytest.raises(SystemExit) as stopped:
        main(["demo", "--headless", "--port", "99999"])
    assert stopped.value.code == 2
    assert "'99999' is not a port (0-65535; 0: any free port)" in capsys.readouterr().err
