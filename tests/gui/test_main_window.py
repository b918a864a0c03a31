"""The main window's unsaved-changes prompt (New, Open, Open Recent, close) and its title.

The prompt is a real modal QMessageBox; a timer answers it the way a user would,
by clicking one of its buttons."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.main_window import MainWindow
from proxy.config.model import Config
from proxy.config.nodes import Server
from tests.conftest import DATA

TUTORIAL = DATA / "valid" / "01-tutorial-four-servers.cfg"
Button = QMessageBox.StandardButton



@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "haproxy.cfg"
    shutil.copy(TUTORIAL, target)
    return target


class Answerer:
    """Clicks ``button`` on the next modal QMessageBox and remembers what it said."""

    def __init__(self, button: Button) -> None:
        self.button = button
        self.texts: list[str] = []
        self._tries = 200  # 200 x 10 ms: the prompt opens within the call that triggers it
        QTimer.singleShot(0, self._answer)

    def choose(self, box: QMessageBox) -> Any:
        return box.button(self.button)

    def _answer(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            self._tries -= 1
            if self._tries > 0:
                QTimer.singleShot(10, self._answer)
            return
        self.texts.append(box.text())
        clicked = self.choose(box)
        assert clicked is not None
        clicked.click()


def _add_server(config: Config) -> None:
    backend = config.find("backend", "light_servers")
    assert backend is not None
    backend.add(Server.from_words(["server", "web9", "127.0.0.1:81"]))


def _shown_title(window: MainWindow) -> str:
    handle = window.windowHandle()  # the title the window system shows, "[*]" resolved
    assert handle is not None
    return handle.title()


def test_title_shows_the_file_name_and_a_star_when_dirty(window: MainWindow, copy: Path) -> None:
    assert _shown_title(window) == "Untitled — Proxydesk"
    window.open_path(copy)
    assert _shown_title(window) == "haproxy.cfg — Proxydesk"
    window.document.edit("Add server", _add_server)
    assert _shown_title(window) == "haproxy.cfg* — Proxydesk"
    window.document.undo_stack.undo()
    assert _shown_title(window) == "haproxy.cfg — Proxydesk"


def test_clean_document_is_replaced_without_a_prompt(window: MainWindow, copy: Path) -> None:
    window.open_path(copy)
    window.file_new()  # no prompt to answer: this would block if one opened
    assert window.document.path is None and window.document.text == ""


def test_new_asks_and_cancel_keeps_the_changes(window: MainWindow, copy: Path) -> None:
    window.open_path(copy)
    window.document.edit("Add server", _add_server)
    edited = window.document.text
    answer = Answerer(Button.Cancel)
    window.file_new()
    assert answer.texts == ["Save the changes to haproxy.cfg first?"]
    assert window.document.text == edited and window.document.dirty
    answer = Answerer(Button.Discard)
    window.file_new()
    assert answer.texts and window.document.text == "" and not window.document.dirty
    assert copy.read_bytes() == TUTORIAL.read_bytes()  # discarding never writes


def test_open_asks_first_and_cancel_shows_no_file_dialog(window: MainWindow, copy: Path) -> None:
    window.open_path(copy)
    window.document.edit("Add server", _add_server)
    answer = Answerer(Button.Cancel)
    window.file_open()  # a file dialog after Cancel would block this call
    assert answer.texts and window.document.dirty and window.document.path == copy.resolve()


def test_open_recent_with_save_writes_then_opens(
    window: MainWindow, copy: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.cfg"
    other.write_text("backend other\n    server s1 127.0.0.1:9000\n")
    window.open_path(other)
    window.open_path(copy)  # recent: [copy, other]
    window.document.edit("Add server", _add_server)
    recent = window.recent_menu.actions()
    assert [a.text() for a in recent] == [f"&1 {copy.resolve()}", f"&2 {other.resolve()}"]
    answer = Answerer(Button.Save)
    recent[1].trigger()
    assert answer.texts == ["Save the changes to haproxy.cfg first?"]
    assert "server web9 127.0.0.1:81" in copy.read_text()  # saved before leaving
    assert window.document.path == other.resolve() and not window.document.dirty


def test_open_recent_with_cancel_stays(window: MainWindow, copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.cfg"
    other.write_text("backend other\n")
    window.open_path(other)
    window.open_path(copy)
    window.document.edit("Add server", _add_server)
    answer = Answerer(Button.Cancel)
    assert not window.open_recent(other)
    assert answer.texts and window.document.path == copy.resolve() and window.document.dirty


def test_close_asks_cancel_keeps_the_window_and_discard_closes(
    window: MainWindow, copy: Path
) -> None:
    window.open_path(copy)
    window.document.edit("Add server", _add_server)
    answer = Answerer(Button.Cancel)
    assert not window.close()
    assert answer.texts and window.isVisible() and window.document.dirty
    answer = Answerer(Button.Discard)
    assert window.close()
    assert answer.texts and not window.isVisible()
    assert copy.read_bytes() == TUTORIAL.read_bytes()


def test_close_with_save_writes_the_file(window: MainWindow, copy: Path) -> None:
    window.open_path(copy)
    window.document.edit("Add server", _add_server)
    Answerer(Button.Save)
    assert window.close()
    assert "server web9 127.0.0.1:81" in copy.read_text()


def test_edit_menu_adds_a_userlist_that_opens_in_its_editor(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    from gui.editors.userlist import UserlistEditor

    window.document.load_text("defaults\n    mode http\n\nfrontend web\n    bind :80\n")
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kwargs: ("staff", True))
    window.add_userlist_action.trigger()
    assert window.document.text.endswith("    bind :80\n\nuserlist staff\n")
    assert isinstance(window.editor_area.widget(), UserlistEditor)
    window.document.undo_stack.undo()
    assert "userlist" not in window.document.text


def test_renaming_a_userlist_renames_what_refers_to_it(window: MainWindow) -> None:
    text = (
        "userlist staff\n    user bob insecure-password pw\n\n"
        "defaults\n    mode http\n\n"
        "frontend web\n    bind :80\n    acl ok http_auth(staff)\n"
        "    acl admin http_auth_group(staff) admins  # kept comment\n"
        "    http-request auth if !{ http_auth(staff) }\n"
        "    http-request deny if { http_auth(staffing) }\n"
    )
    window.document.load_text(text)
    assert window.rename_section(("userlist", "staff"), "team")
    assert window.document.text == text.replace("staff", "team").replace("teaming", "staffing")


class StopAnswerer(Answerer):
    """Answers the "proxy is running" prompt: Cancel, or its "Stop and …" button."""

    def __init__(self, stop: bool) -> None:
        self.stop = stop
        super().__init__(Button.Cancel)

    def choose(self, box: QMessageBox) -> Any:
        if self.stop:
            return next(b for b in box.buttons() if b.text().startswith("Stop and"))
        return super().choose(box)


def _served_config(tmp_path: Path) -> Path:
    text = TUTORIAL.read_text()
    for port in ("80", "8080", "8404"):  # free ports: the engine binds them for real
        text = text.replace(f":{port}\n", ":0\n")
    target = tmp_path / "served.cfg"
    target.write_text(text)
    return target


def test_quit_while_the_proxy_runs_says_it_stops(window: MainWindow, tmp_path: Path) -> None:
    window.open_path(_served_config(tmp_path))
    window.host.start_blocking(window.document.config)
    answer = StopAnswerer(stop=False)
    assert not window.close()
    assert answer.texts and window.isVisible() and window.host.running
    answer = StopAnswerer(stop=True)
    assert window.close()
    assert not window.host.running
