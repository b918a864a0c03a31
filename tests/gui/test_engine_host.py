"""EngineHost: a real engine on its own thread, driven from the GUI thread."""

from __future__ import annotations

import threading

import pytest

from gui.engine_host import RUNNING, STOPPED, EngineError, EngineHost
from proxy.config.parser import parse
from tests.gui._support import http_get, proxy_config_text


@pytest.fixture
def host(qtbot):  # type: ignore[no-untyped-def]
    engine_host = EngineHost()
    yield engine_host
    engine_host.shutdown()


def _port(host: EngineHost) -> int:
    return next(port for frontend, _h, port in host.listening if frontend == "web")


def test_start_serves_real_requests_then_stop(host: EngineHost, backend_server: int) -> None:
    host.start_blocking(parse(proxy_config_text(backend_server)).config)
    assert host.state == RUNNING
    assert http_get(_port(host)) == (200, "backend")
    assert any(e.frontend == "web" for e in _drain_until_event(host))
    host.stop_blocking()
    assert host.state == STOPPED and host.listening == []


def _drain_until_event(host: EngineHost) -> list:  # type: ignore[type-arg]
    import time

    deadline = time.monotonic() + 3
    events = host.drain_events()
    while not events and time.monotonic() < deadline:
        time.sleep(0.02)
        events = host.drain_events()
    return events


def test_config_handed_over_is_a_private_copy(host: EngineHost, backend_server: int) -> None:
    config = parse(proxy_config_text(backend_server)).config
    host.start_blocking(config)
    config.sections.clear()  # a later GUI edit must not reach the running engine
    assert http_get(_port(host)) == (200, "backend")


def test_apply_switches_config_and_invalid_apply_is_refused(
    host: EngineHost, backend_server: int
) -> None:
    host.start_blocking(parse(proxy_config_text(backend_server)).config)
    port = _port(host)
    denying = proxy_config_text(backend_server, extra_frontend="    http-request deny\n")
    host.apply_blocking(parse(denying).config)
    assert http_get(port)[0] == 403

    broken = parse(proxy_config_text(backend_server).replace("default_backend app", "default_backend nowhere")).config
    with pytest.raises(EngineError) as refused:
        host.apply_blocking(broken)
    assert refused.value.diagnostics  # says why
    assert host.state == RUNNING
    assert http_get(port)[0] == 403  # the previous config keeps serving


def test_start_failure_leaves_host_stopped(host: EngineHost) -> None:
    broken = parse("frontend web\n    bind 127.0.0.1:0\n    default_backend nowhere\n").config
    with pytest.raises(EngineError):
        host.start_blocking(broken)
    assert host.state == STOPPED


def test_stats_snapshot_counts_requests(host: EngineHost, backend_server: int) -> None:
    host.start_blocking(parse(proxy_config_text(backend_server)).config)
    for _ in range(3):
        http_get(_port(host))
    snapshot = host.stats()
    assert snapshot is not None
    assert "web" in snapshot.csv()


# ------------------------------------------------------------------ the engine's own process


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_engine_runs_in_a_child_process(host: EngineHost, backend_server: int) -> None:
    import os

    host.start_blocking(parse(proxy_config_text(backend_server)).config)
    assert host.engine is not None
    pid = host.engine.pid
    assert pid is not None and pid != os.getpid() and _alive(pid)
    host.stop_blocking()
    assert not _alive(pid) and host.engine is None


def _window(tmp_path, backend_server: int):  # type: ignore[no-untyped-def]
    from gui.main_window import MainWindow

    window = MainWindow(settings_path=tmp_path / "ui.ini")
    window.show()
    window.document.load_text(proxy_config_text(backend_server))
    window.host.start_blocking(window.document.config)
    return window


def test_a_killed_engine_is_reported_and_start_works_again(
    qtbot, tmp_path, backend_server: int  # type: ignore[no-untyped-def]
) -> None:
    import os
    import signal

    from tests.gui._support import close_window

    window = _window(tmp_path, backend_server)
    try:
        pid = window.host.engine.pid
        os.kill(pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: (window.poll_engine(), window.host.state == STOPPED)[1], timeout=5000)
        assert window.statusBar().currentMessage() == (
            "The engine process exited (killed by signal 9); Start runs it again")
        assert window.start_action.isEnabled() and not window.stop_action.isEnabled()
        window.host.start_blocking(window.document.config)  # what Start does
        assert http_get(_port(window.host)) == (200, "backend")
        qtbot.waitUntil(lambda: (window.poll_engine(), window.log_view.model.rowCount() >= 1)[1],
                        timeout=5000)
    finally:
        close_window(window)
        window.deleteLater()


def test_closing_the_window_ends_the_engine_process(
    qtbot, tmp_path, backend_server: int  # type: ignore[no-untyped-def]
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.gui._support import on_next_modal

    window = _window(tmp_path, backend_server)
    pid = window.host.engine.pid
    assert http_get(_port(window.host)) == (200, "backend")
    window.document.undo_stack.setClean()

    def stop_and_quit(box: QMessageBox) -> None:  # "Quitting stops the proxy that serves ..."
        stop = next(b for b in box.buttons() if b.text() == "Stop and quit")
        stop.click()

    on_next_modal(QMessageBox, stop_and_quit)
    window.close()
    window.deleteLater()
    assert not _alive(pid)


def test_the_requests_tab_gets_every_request_without_log_lines(
    qtbot, tmp_path, backend_server: int  # type: ignore[no-untyped-def]
) -> None:
    from tests.gui._support import close_window

    window = _window(tmp_path, backend_server)  # the config has no "log" line at all
    try:
        for _ in range(20):
            http_get(_port(window.host))
        qtbot.waitUntil(lambda: (window.poll_engine(), window.log_view.model.rowCount() >= 20)[1],
                        timeout=5000)
        assert window.log_view.model.rowCount() == 20
    finally:
        close_window(window)
        window.deleteLater()


def test_a_gui_that_is_killed_leaves_no_engine_behind(tmp_path, backend_server: int) -> None:  # type: ignore[no-untyped-def]
    """A small parent (the host, no window) starts the engine and is SIGKILLed."""
    import subprocess
    import sys
    import time

    script = tmp_path / "small_app.py"
    script.write_text(
        "import sys, time\n"
        "from gui.engine_host import EngineHost\n"
        "from proxy.config.parser import parse\n"
        "host = EngineHost()\nhost.start_blocking(parse(sys.stdin.read()).config)\n"
        "print(host.engine.pid, flush=True)\ntime.sleep(3600)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdin is not None and parent.stdout is not None
        parent.stdin.write(proxy_config_text(backend_server))
        parent.stdin.close()
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.kill()
        parent.wait(5)
        deadline = time.monotonic() + 10  # the child's grace period and its hard exit fit
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


ANSWERING_ITSELF = """defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s

frontend web
    bind 127.0.0.1:0
    http-request deny if { path_beg /admin }
    http-request return status 200 content-type text/plain string ok
"""


def _keep_alive_gets(port: int, paths: list[str]) -> list[int]:
    """The paths' statuses, requested back to back on one keep-alive connection."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    statuses = []
    try:
        for path in paths:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()
    return statuses


def test_a_busy_engine_lists_a_sample_and_every_refusal_and_counts_the_rest(
    qtbot, tmp_path  # type: ignore[no-untyped-def]
) -> None:
    """Under load the child streams a sample (issue 12: the rest cost the engine ~13 %):
    a burst is listed whole, every refusal is listed, every request is listed or counted."""
    from gui.log_view import COLUMNS
    from gui.main_window import MainWindow
    from proxy.app.engine_wire import EVENTS_BURST
    from tests.gui._support import close_window

    window = MainWindow(settings_path=tmp_path / "ui.ini")
    try:
        window.show()
        window.document.load_text(ANSWERING_ITSELF)  # no origin: the engine is the only limit
        window.host.start_blocking(window.document.config)
        sent, statuses = 2000, []
        sender = threading.Thread(target=lambda: statuses.extend(
            _keep_alive_gets(_port(window.host), ["/admin" if i % 20 == 19 else "/" for i in range(sent)])))
        sender.start()
        while sender.is_alive():
            window.poll_engine()  # as the window's timer would, at most 50 rows a tick
            sender.join(0.02)
        model = window.log_view.model

        def settled() -> bool:
            window.poll_engine()
            return model.rowCount() + model.not_shown == sent

        qtbot.waitUntil(settled, timeout=5000)
        assert statuses.count(403) == sent // 20
        assert model.not_shown > 0 and model.rowCount() >= EVENTS_BURST
        status = [header for header, _text in COLUMNS].index("Status")
        listed = [model.item(row, status).text() for row in range(model.rowCount())]
        assert listed.count("403") == sent // 20  # errors are never sampled away
        assert f"{model.not_shown:,} more while busy were not listed" in window.log_view.summary.text()
    finally:
        close_window(window)
        window.deleteLater()


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGSTOP"), reason="needs SIGSTOP")
def test_a_hung_engine_does_not_freeze_the_window(
    qtbot, tmp_path, backend_server: int  # type: ignore[no-untyped-def]
) -> None:
    """The window reads the host's latest snapshot; the control thread asks the child."""
    import os
    import signal
    import time

    from tests.gui._support import close_window, fresh_stats

    window = _window(tmp_path, backend_server)
    pid = window.host.engine.pid
    try:
        fresh_stats(window.host)
        os.kill(pid, signal.SIGSTOP)  # the child answers nothing, as a hung process
        started = time.monotonic()
        for _ in range(5):
            window.poll_engine()
        assert time.monotonic() - started < 1.0  # a blocking stats read took up to 2 s each
        assert window.host.state == RUNNING
        os.kill(pid, signal.SIGCONT)
        fresh_stats(window.host)  # and the graphs go on
    finally:
        os.kill(pid, signal.SIGCONT)
        close_window(window)
        window.deleteLater()
