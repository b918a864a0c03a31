"""The window on real HAProxy: Engine > Run on, Start through the action, traffic in Requests, Stop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction

from gui.haproxy_host import HaproxyHost, RunOnMenu, installed_haproxy
from gui.main_window import MainWindow
from tests.gui._support import close_window, http_get


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[MainWindow]:
    main = MainWindow(settings_path=tmp_path / "ui.ini")
    main.show()
    yield main
    close_window(main)  # no save or stop prompt when the test closes it
    main.deleteLater()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def logged_config(backend_port: int, port: int) -> str:
    """HAProxy refuses port 0, so the frontend gets a free port; ``log global`` is what
    sends a proxy's httplog lines to Proxydesk's injected log target."""
    return (
        "defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 2s\n"
        "    timeout client 5s\n    timeout server 5s\n\n"
        f"frontend web\n    bind 127.0.0.1:{port}\n    default_backend app\n\n"
        f"backend app\n    server s1 127.0.0.1:{backend_port}\n"
    )


def press(loop: asyncio.AbstractEventLoop, window: MainWindow, action: QAction, state: str) -> None:
    """Trigger ``action`` with the qasync loop running, until the host reaches ``state``."""

    async def run() -> None:
        action.trigger()
        deadline = time.monotonic() + 15
        while window.host.state != state and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    loop.run_until_complete(run())
    assert window.host.state == state, window.statusBar().currentMessage()


@pytest.mark.haproxy
def test_run_on_haproxy_start_traffic_and_stop(
    window: MainWindow, loop: asyncio.AbstractEventLoop, backend_server: int, haproxy_bin: str,
    qtbot: Any,
) -> None:
    window.document.load_text(logged_config(backend_server, free_port()))
    run_on = window.run_on
    assert run_on.haproxy_action.isEnabled() and run_on.embedded_action.isChecked()
    assert run_on.haproxy_action.text().replace("&", "").startswith("HAProxy 2.")

    run_on.haproxy_action.trigger()
    assert isinstance(window.host, HaproxyHost) and run_on.haproxy_action.isChecked()
    assert window.engine_label.text().startswith("HAProxy 2.") and "stopped" in window.engine_label.text()

    press(loop, window, window.start_action, "running")
    port = next(p for f, _h, p in window.host.listening if f == "web")
    assert "running" in window.engine_label.text() and f"web on 127.0.0.1:{port}" in window.engine_label.text()
    assert not run_on.embedded_action.isEnabled()  # no switching while running
    assert not window.set_host(run_on.embedded_host)
    pid = window.host.engine.pid  # type: ignore[union-attr]

    for _ in range(3):
        assert http_get(port) == (200, "backend")
    qtbot.waitUntil(lambda: (window.poll_engine(), window.log_view.model.rowCount() >= 3)[1],
                    timeout=5000)
    stats = window.host.stats()
    assert stats is not None and stats.find("app", "s1").counters["req_tot"] == 3  # type: ignore[union-attr]

    press(loop, window, window.stop_action, "stopped")
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert run_on.embedded_action.isEnabled()
    run_on.embedded_action.trigger()
    assert window.host is run_on.embedded_host and window.engine_label.text().startswith("Embedded engine")


@pytest.mark.haproxy
def test_a_killed_haproxy_is_noticed_and_start_is_offered_again(
    window: MainWindow, loop: asyncio.AbstractEventLoop, backend_server: int, haproxy_bin: str,
    qtbot: Any,
) -> None:
    window.document.load_text(logged_config(backend_server, free_port()))
    window.run_on.haproxy_action.trigger()
    press(loop, window, window.start_action, "running")
    os.killpg(window.host.engine.pid, signal.SIGKILL)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: (window.poll_engine(), window.host.state == "stopped")[1], timeout=5000)
    assert window.statusBar().currentMessage().startswith("HAProxy exited (status -9)")
    assert window.start_action.isEnabled() and not window.stop_action.isEnabled()
    assert window.host.engine is None  # its private directory is gone with it


def test_without_haproxy_the_choice_is_disabled_and_says_how_to_install(
    window: MainWindow,
) -> None:
    choice = RunOnMenu(window, window.menuBar().addMenu("Run on (probe)"), find=lambda: None)
    assert not choice.haproxy_action.isEnabled()
    assert "not installed" in choice.haproxy_action.text()
    assert "apt install haproxy" in choice.haproxy_action.toolTip()
    assert not choice.choose_haproxy() and window.host is choice.embedded_host
    choice.sync()  # what every state change does: the entry stays disabled
    assert not choice.haproxy_action.isEnabled() and choice.embedded_action.isChecked()


def test_the_run_on_choice_is_remembered_for_the_next_window(qtbot: Any, tmp_path: Path) -> None:
    haproxy = installed_haproxy()
    if haproxy is None:
        pytest.skip("haproxy is not installed")
    first = MainWindow(settings_path=tmp_path / "ui.ini")
    assert first.run_on.choose_haproxy()
    first.close()
    second = MainWindow(settings_path=tmp_path / "ui.ini")
    assert isinstance(second.host, HaproxyHost) and second.run_on.haproxy_action.isChecked()
    assert second.run_on.choose_embedded()
    second.close()
    third = MainWindow(settings_path=tmp_path / "ui.ini")
    assert not isinstance(third.host, HaproxyHost)
    third.close()
