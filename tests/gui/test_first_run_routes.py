"""The first-run "Add a local route" works on the per-user routes file ``proxydesk route`` uses.

The config directory, the certificate store and the hosts file are temporary
(PROXYDESK_CONFIG_DIR, PROXYDESK_DATA_DIR, PROXYDESK_HOSTS_FILE).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from gui.app import add_route_to_user_file
from gui.first_run import LocalRoute
from gui.main_window import MainWindow
from proxy.certs.store import ENV_DATA_DIR
from proxy.cli import main
from proxy.hostsfile import ENV_HOSTS_FILE
from proxy.routes import ENV_CONFIG_DIR


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    for name, sub in ((ENV_CONFIG_DIR, "config"), (ENV_DATA_DIR, "data"), (ENV_HOSTS_FILE, "hosts")):
        monkeypatch.setenv(name, str(tmp_path / sub))
    main_window = MainWindow(settings_path=tmp_path / "ui.ini")
    yield main_window
    main_window.document.undo_stack.setClean()
    main_window.close()
    main_window.deleteLater()


def test_the_wizard_and_the_command_line_share_one_routes_file(
    window: MainWindow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = tmp_path / "config" / "routes.cfg"
    assert add_route_to_user_file(window, LocalRoute("App.localhost", "3000", 8080, 8443))
    assert window.document.path == routes.resolve() and not window.document.dirty
    assert main(["route", "list"]) == 0
    assert capsys.readouterr().out == "app.localhost -> 127.0.0.1:3000  (https: yes)\n"
    assert main(["route", "add", "api.localhost", "4000"]) == 0
    assert add_route_to_user_file(window, LocalRoute("app.localhost", "https://127.0.0.1:3443", 8080, 8443))
    capsys.readouterr()
    assert main(["route", "list"]) == 0  # the wizard read the file: both routes, app replaced
    assert capsys.readouterr().out == ("api.localhost -> 127.0.0.1:4000  (https: yes)\n"
                                       "app.localhost -> https://127.0.0.1:3443  (https: yes)\n")


def test_a_bad_target_in_the_wizard_is_refused_with_the_forms(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    assert not add_route_to_user_file(window, LocalRoute("app.localhost", "localhost", 8080, None))
    assert "cannot route to 'localhost': no port" in shown[0] and "HOST:PORT" in shown[0]
    assert not (tmp_path / "config").exists()
