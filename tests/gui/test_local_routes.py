"""The Local routes window works on the per-user routes file ``proxydesk route`` uses.

Real widgets, offscreen.  The config directory, the certificate store and the hosts
file are temporary (PROXYDESK_CONFIG_DIR, PROXYDESK_DATA_DIR, PROXYDESK_HOSTS_FILE);
Reachable is checked against real sockets on 127.0.0.1; trust stores are fakes
(``TrustStore`` with a ``check``) looked at through ``proxy.certs.trust.trust_status``.
No browser is opened: ``open_url`` is a recorder.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMessageBox

from gui.local_routes import LocalRoutesModel, LocalRoutesWindow, RouteDialog
from gui.main_window import MainWindow
from proxy.certs.store import ENV_DATA_DIR, CertStore
from proxy.certs.trust import ABSENT, TRUSTED, Presence, TrustPlan, TrustStore, trust_status
from proxy.cli import main
from proxy.hostsfile import ENV_HOSTS_FILE
from proxy.routes import ENV_CONFIG_DIR, TrustSummary, trust_summary
from tests.gui._support import close_window, on_next_modal

M = LocalRoutesModel


def fake_trust(*states: str) -> TrustSummary:
    stores = tuple(TrustStore(f"store{i}", "nss", f"fake store {i}", check=lambda s=state: Presence(s))
                   for i, state in enumerate(states))
    return trust_summary(trust_status(TrustPlan(install=False, stores=stores, instructions="")))


@pytest.fixture
def routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, sub in ((ENV_CONFIG_DIR, "config"), (ENV_DATA_DIR, "data"), (ENV_HOSTS_FILE, "hosts")):
        monkeypatch.setenv(name, str(tmp_path / sub))
    (tmp_path / "hosts").write_text("127.0.0.1\tlocalhost\n")
    return tmp_path / "config" / "routes.cfg"


@pytest.fixture
def opened() -> list[str]:
    return []


@pytest.fixture
def window(qtbot: Any, routes: Path, opened: list[str]) -> Iterator[LocalRoutesWindow]:
    def open_url(url: QUrl) -> bool:
        opened.append(url.toString())
        return True

    view = LocalRoutesWindow(trust_checker=lambda: fake_trust(TRUSTED, TRUSTED), open_url=open_url)
    qtbot.addWidget(view)
    yield view
    view.close()


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])


def cell(view: LocalRoutesWindow, name: str, column: int) -> str:
    row = view.model.row_of(name)
    assert row >= 0, f"{name} is not listed"
    return str(view.model.index(row, column).data())


def cli_list(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["route", "list"]) == 0
    return capsys.readouterr().out


def add(view: LocalRoutesWindow, name: str, target: str, https: bool = True) -> RouteDialog:
    dialog = view.add_route()
    dialog.hostname.setText(name)
    dialog.target.setText(target)
    dialog.https.setChecked(https)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    return dialog


def test_it_lists_the_routes_the_command_line_added(
    qtbot: Any, routes: Path, window: LocalRoutesWindow, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["route", "add", "app.localhost", "3000"]) == 0
    assert main(["route", "add", "api.localhost", "https://127.0.0.1:4443", "--no-https"]) == 0
    window.refresh()
    assert window.model.rowCount() == 2 and window.file_ok
    assert [cell(window, "app.localhost", c) for c in (M.TARGET, M.HTTPS)] == ["127.0.0.1:3000", "yes"]
    expiry = CertStore().certificate_for("app.localhost").not_after
    assert cell(window, "app.localhost", M.CERTIFICATE) == f"expires {expiry:%Y-%m-%d}"
    assert [cell(window, "api.localhost", c) for c in (M.TARGET, M.HTTPS, M.CERTIFICATE, M.TRUSTED)] == [
        "https://127.0.0.1:4443", "no", "—", "—"]
    assert cell(window, "app.localhost", M.TRUSTED) == "not checked"  # only on demand (or when shown)
    window.check_trust()
    qtbot.waitUntil(lambda: cell(window, "app.localhost", M.TRUSTED) == "yes", timeout=5000)
    assert str(routes) in window.file_label.text()


def test_add_writes_the_file_the_command_line_lists(
    qtbot: Any, routes: Path, window: LocalRoutesWindow, capsys: pytest.CaptureFixture[str]
) -> None:
    dialog = add(window, "Shop.localhost", "4000")
    assert not dialog.isVisible() and dialog.saved is not None
    assert cli_list(capsys) == "shop.localhost -> 127.0.0.1:4000  (https: yes)\n"
    assert cell(window, "shop.localhost", M.HTTPS) == "yes"
    assert "Added shop.localhost → 127.0.0.1:4000" in window.message.text()
    add(window, "plain.localhost", "http://localhost:5000", https=False)
    assert "plain.localhost -> localhost:5000  (https: no)" in cli_list(capsys)


def test_an_invalid_target_shows_the_message_and_writes_nothing(
    qtbot: Any, routes: Path, window: LocalRoutesWindow
) -> None:
    dialog = add(window, "app.localhost", "localhost")
    assert dialog.isVisible()  # stays open, to be corrected
    assert "cannot route to 'localhost': no port" in dialog.error.text()
    assert "HOST:PORT" in dialog.error.text() and dialog.error.text().startswith("Error: ")
    assert not routes.parent.exists()
    dialog.hostname.setText("bad name!")
    dialog.target.setText("3000")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert "is not a host name a route can have" in dialog.error.text() and not routes.parent.exists()
    dialog.hostname.setText("app.localhost")  # corrected in place: now it is written
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible() and routes.exists()


def test_edit_changes_the_target_and_a_rename_moves_the_route(
    qtbot: Any, routes: Path, window: LocalRoutesWindow, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["route", "add", "app.localhost", "3000"]) == 0
    window.refresh()
    window.select("app.localhost")
    dialog = window.edit_selected()
    assert dialog is not None and dialog.hostname.text() == "app.localhost"
    assert dialog.target.text() == "127.0.0.1:3000" and dialog.https.isChecked()
    dialog.target.setText("https://127.0.0.1:3443")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert cli_list(capsys) == "app.localhost -> https://127.0.0.1:3443  (https: yes)\n"
    assert cell(window, "app.localhost", M.TARGET) == "https://127.0.0.1:3443"
    assert "Changed app.localhost" in window.message.text()
    window.select("app.localhost")
    dialog = window.edit_selected()
    assert dialog is not None
    dialog.hostname.setText("web.localhost")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert cli_list(capsys) == "web.localhost -> https://127.0.0.1:3443  (https: yes)\n"


def test_remove_asks_and_gives_back_the_file_byte_for_byte(
    qtbot: Any, routes: Path, window: LocalRoutesWindow
) -> None:
    assert main(["route", "add", "api.localhost", "4000"]) == 0
    before = routes.read_bytes()
    add(window, "app.localhost", "3000")
    assert routes.read_bytes() != before
    window.select("app.localhost")
    on_next_modal(QMessageBox, lambda box: box.button(QMessageBox.StandardButton.No).click())
    assert not window.remove_selected()
    assert window.model.row_of("app.localhost") >= 0 and window.message.text() == "Nothing was changed."
    on_next_modal(QMessageBox, lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    assert window.remove_selected()
    assert routes.read_bytes() == before
    assert window.model.row_of("app.localhost") == -1 and "Removed app.localhost" in window.message.text()
    window.select("api.localhost")
    on_next_modal(QMessageBox, lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    assert window.remove_selected()
    assert not routes.exists() and "the file was removed" in window.message.text()  # as 'route remove'


def test_reachable_is_a_real_connection(
    qtbot: Any, routes: Path, window: LocalRoutesWindow, listening: int
) -> None:
    closed = closed_port()
    assert main(["route", "add", "up.localhost", str(listening), "--no-https"]) == 0
    assert main(["route", "add", "down.localhost", str(closed), "--no-https"]) == 0
    window.refresh()
    qtbot.waitUntil(lambda: cell(window, "up.localhost", M.REACHABLE) == "yes", timeout=5000)
    assert cell(window, "down.localhost", M.REACHABLE) == "no"
    row = window.model.row_of("down.localhost")
    assert "start your app" in str(window.model.index(row, M.REACHABLE).data(3))  # the tooltip says what to do


def test_a_broken_file_is_reported_and_nothing_can_be_changed(
    qtbot: Any, routes: Path, window: LocalRoutesWindow
) -> None:
    routes.parent.mkdir(parents=True)
    routes.write_text('frontend local_routes\n    acl x "unterminated\n')
    window.refresh()
    text = window.message.text()
    assert text.startswith("Error: ") and "unmatched quote" in text and "fix them in the file" in text
    assert not window.add_button.isEnabled() and window.model.rowCount() == 0


def test_partial_trust_and_open_in_browser(
    qtbot: Any, routes: Path, opened: list[str]
) -> None:
    assert main(["route", "add", "app.localhost", "3000"]) == 0
    view = LocalRoutesWindow(trust_checker=lambda: fake_trust(TRUSTED, ABSENT),
                             open_url=lambda url: bool(opened.append(url.toString())) or True)
    qtbot.addWidget(view)
    view.show()  # the first show looks at trust by itself, off the GUI thread
    qtbot.waitUntil(lambda: cell(view, "app.localhost", M.TRUSTED) == "partly (1 of 2 stores)", timeout=5000)
    row = view.model.row_of("app.localhost")
    assert "store1: absent" in str(view.model.index(row, M.TRUSTED).data(3))
    view.select("app.localhost")
    assert view.browser_button.isEnabled() and view.open_selected()
    assert opened == ["https://app.localhost:8443/"]
    view.close()


def test_tools_menu_opens_it_beside_certificates(qtbot: Any, routes: Path, tmp_path: Path) -> None:
    window = MainWindow(settings_path=tmp_path / "ui.ini")
    qtbot.addWidget(window)
    try:
        menus = {action.text(): action.menu() for action in window.menuBar().actions()}
        tools = menus["&Tools"].actions()
        assert window.local_routes_action in tools and window.certificates_action in tools
        window.local_routes_action.trigger()
        view = window.findChild(LocalRoutesWindow)
        assert isinstance(view, LocalRoutesWindow) and view.isVisible() and view.path == routes
    finally:
        close_window(window)


def test_screenshot_at_1280x800(qtbot: Any, routes: Path, window: LocalRoutesWindow, listening: int) -> None:
    assert main(["route", "add", "app.localhost", str(listening)]) == 0
    assert main(["route", "add", "api.localhost", "4000", "--no-https"]) == 0
    assert main(["route", "add", "*.shop.localhost", "https://127.0.0.1:3443"]) == 0
    window.resize(1280, 800)
    window.show()
    window.select("app.localhost")
    qtbot.waitUntil(lambda: cell(window, "app.localhost", M.REACHABLE) == "yes", timeout=5000)
    qtbot.waitUntil(lambda: cell(window, "app.localhost", M.TRUSTED) == "yes", timeout=5000)
    header = window.table.horizontalHeader()
    for column, title in enumerate(M.HEADERS):  # every column at least as wide as its widest text
        needed = max([header.fontMetrics().horizontalAdvance(title)] + [
            window.table.fontMetrics().horizontalAdvance(cell(window, n, column))
            for n in ("app.localhost", "api.localhost", "*.shop.localhost")])
        assert header.sectionSize(column) >= needed + 16, title  # with room to breathe
    assert window.message.text() == ""  # no stale "No routes yet" from before the CLI added them
    assert window.grab().save("/tmp/local_routes_1280x800.png")
