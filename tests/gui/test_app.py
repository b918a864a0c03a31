"""The main window driven like a user: open, select, undo/redo by shortcut, engine control."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

from gui.first_run import LocalRoute, add_local_route
from gui.main_window import MainWindow, section_at_line
from proxy.config.model import Config
from proxy.config.parser import parse
from tests.conftest import DATA
from tests.gui._support import http_get, proxy_config_text

TUTORIAL = DATA / "valid" / "01-tutorial-four-servers.cfg"



def test_open_select_and_undo_redo_by_shortcut(window: MainWindow, qtbot: Any) -> None:
    assert window.open_path(TUTORIAL)
    assert window.current_key == ("frontend", "www")  # the first section is shown
    assert window.select_section(("backend", "heavy_servers"))
    assert window.current_key == ("backend", "heavy_servers")
    original = window.document.text
    assert window.rename_section(("backend", "heavy_servers"), "heavy")
    assert "use_backend heavy if url_heavy" in window.document.text  # references follow
    assert window.windowTitle().startswith("01-tutorial-four-servers.cfg")
    assert window.isWindowModified()
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.text == original and not window.isWindowModified()
    assert window.current_key is None  # the renamed section is gone again: placeholder shown
    assert window.select_section(("backend", "heavy_servers"))
    editor = window.editor_area.widget()
    window.document.edit("comment", lambda c: c.sections[0].body.insert(0, parse("#x\n").config.preamble[0]))
    assert window.current_key == ("backend", "heavy_servers")  # selection survives the reset
    assert window.editor_area.widget() is editor  # and the editor is not rebuilt (focus kept)
    commented = window.document.text
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.text == original
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.document.text == commented
    assert window.recent_files() == [str(TUTORIAL.resolve())]


def test_add_and_remove_sections(window: MainWindow) -> None:
    window.document.new()
    assert window.add_section("backend", "app")
    assert window.add_section("frontend", "web")
    assert not window.add_section("frontend", "web")  # duplicates are refused
    assert not window.add_section("frontend", "bad name")
    assert "character a space is not permitted" in window.statusBar().currentMessage()
    assert not window.add_section("backend", "app@home")  # HAProxy's rule: no '@' either
    assert "character '@' is not permitted" in window.statusBar().currentMessage()
    assert not window.add_section("backend", "app")
    assert window.statusBar().currentMessage() == "Cannot add backend 'app': there is already one"
    assert not window.rename_section(("backend", "app"), "a/b")
    assert window.current_key == ("frontend", "web")
    window.remove_selected()
    assert window.document.section("frontend", "web") is None
    assert [(s.kind, s.name) for s in window.document.config.sections] == [("backend", "app")]


def test_diagnostic_click_jumps_to_section_and_line(window: MainWindow) -> None:
    window.open_path(TUTORIAL)
    window.document.edit("break", lambda c: _set_default_backend(c, "www", "nowhere"))
    model = window.diagnostics_model
    row = next(r for r in range(model.rowCount()) if "nowhere" in model.index(r, 2).data())
    window.jump_to_diagnostic(model.index(row, 2))
    assert window.current_key == ("frontend", "www")
    assert window.tabs.currentWidget() is window.text_view
    cursor_line = window.text_view.editor.textCursor().blockNumber() + 1
    assert "nowhere" in window.document.text.splitlines()[cursor_line - 1]


def _set_default_backend(config: Config, frontend: str, backend: str) -> None:
    from proxy.config.nodes import DefaultBackend

    section = config.find("frontend", frontend)
    assert section is not None
    section.nodes(DefaultBackend)[-1].backend = backend


def test_section_at_line() -> None:
    text = TUTORIAL.read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "balance source" in t)
    assert section_at_line(text, line) == ("backend", "heavy_servers")
    assert section_at_line(text, 1) is None


def test_text_view_refuses_unparsable_text_in_place(window: MainWindow) -> None:
    window.open_path(TUTORIAL)
    original = window.document.text
    view = window.text_view
    view.editor.setPlainText(original + "backend b\n    server s1 'oops\n")
    assert view.apply()  # parse errors come back
    assert window.document.text == original and "Not applied" in view.status.text()
    view.editor.setPlainText(original.replace("maxconn 4096", "maxconn 10"))
    assert view.apply() == []
    assert "maxconn 10" in window.document.text and not view.has_local_edits


def test_engine_start_apply_refused_and_stop(
    window: MainWindow, loop: asyncio.AbstractEventLoop, backend_server: int
) -> None:
    window.document.load_text(proxy_config_text(backend_server))
    assert loop.run_until_complete(window.start_engine())
    port = next(p for f, _h, p in window.host.listening if f == "web")
    assert http_get(port) == (200, "backend")
    assert f"web on 127.0.0.1:{port}" in window.engine_label.text()

    # An invalid edit: Apply is refused and the engine keeps the old config.
    window.document.edit("break", lambda c: _set_default_backend(c, "web", "nowhere"))
    assert not loop.run_until_complete(window.apply_engine())
    assert "refused" in window.statusBar().currentMessage()
    assert http_get(port) == (200, "backend")

    window.document.undo_stack.undo()  # undo restores the model: Apply works again
    assert loop.run_until_complete(window.apply_engine())
    deadline = time.monotonic() + 5  # the engine process sends its events in batches
    while (window.poll_engine(), window.log_view.model.rowCount())[1] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert window.log_view.model.rowCount() == 2
    loop.run_until_complete(window.stop_engine())
    assert window.host.state == "stopped"


class _PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_window_repaints_ten_times_a_second_under_engine_load(
    window: MainWindow, qtbot: Any, backend_server: int
) -> None:
    window.document.load_text(proxy_config_text(backend_server))
    window.host.start_blocking(window.document.config)
    port = next(p for f, _h, p in window.host.listening if f == "web")
    stop = threading.Event()
    served = [0]

    def hammer() -> None:
        while not stop.is_set():
            if http_get(port)[0] == 200:
                served[0] += 1

    clients = [threading.Thread(target=hammer) for _ in range(2)]
    for client in clients:
        client.start()
    target: QWidget = window.engine_label
    counter = _PaintCounter()
    target.installEventFilter(counter)
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            target.update()  # what an animated graph does every frame
            qtbot.wait(20)
    finally:
        stop.set()
        for client in clients:
            client.join(5)
        target.removeEventFilter(counter)
    assert served[0] > 10  # the engine really was under load
    assert counter.paints >= 10


def test_local_route_wizard_builds_a_frontend_and_backend() -> None:
    config = parse("").config
    add_local_route(config, LocalRoute())
    add_local_route(config, LocalRoute("api.localhost", "127.0.0.1:4000"))
    frontend = config.find("frontend", "local_routes")
    assert frontend is not None
    assert [u.backend for u in frontend.use_backends] == ["be_app.localhost", "be_api.localhost"]
    backend = config.find("backend", "be_app.localhost")
    assert backend is not None and backend.servers[0].address == "127.0.0.1:3000"
    from proxy.config.validate import validate
    from proxy.config.writer import write

    assert [d for d in validate(parse(write(config)).config) if d.is_error] == []


def test_what_the_engine_refuses_is_listed_in_problems_until_the_next_edit(
    window: MainWindow, loop: asyncio.AbstractEventLoop, backend_server: int
) -> None:
    # Valid for HAProxy (the validator only notes the test's "bind :0") but not run by the
    # engine: its located refusal must not vanish with the status bar message.
    window.document.load_text(proxy_config_text(backend_server, extra_frontend="    http-request tarpit\n"))
    before = window.diagnostics_model.items
    # the checker already says so, on the line, before anything runs
    warned = [d for d in before if d.code == "engine-refuses"]
    assert [(d.line, d.severity) for d in warned] == [(9, "warning")]
    assert "tarpit" in warned[0].message and "run this config on HAProxy" in warned[0].message
    assert not loop.run_until_complete(window.start_engine())
    added = window.diagnostics_model.items[len(before):]
    assert [(d.line, d.severity) for d in added] == [(9, "error")]
    assert "tarpit" in added[0].message
    errors_before = sum(d.is_error for d in before)
    assert f"{errors_before + 1} error(s)" in window.diagnostics_title.text()
    window.document.edit("drop tarpit", lambda c: c.find("frontend", "web").remove(  # type: ignore[union-attr]
        next(s for s in c.find("frontend", "web").body if s.keyword == "http-request")))  # type: ignore[union-attr]
    assert window.diagnostics_model.items == [d for d in before if d not in warned]
    assert loop.run_until_complete(window.start_engine())


NO_LOG_ADDRESS = """\
defaults
    mode http
    option httplog
    timeout client 5s
    timeout connect 5s
    timeout server 5s

frontend www
    bind 127.0.0.1:18080
    default_backend app

backend app
    server s1 127.0.0.1:9
"""


def test_problems_pane_shows_what_haproxy_warns_after_parsing(window: MainWindow, tmp_path: Any) -> None:
    """HAProxy's post-parse warning (a log format with no log address, inherited from the
    defaults) is in the Problems pane, at the defaults line, and goes once the fix is in."""
    path = tmp_path / "nolog.cfg"
    path.write_text(NO_LOG_ADDRESS)
    assert window.open_path(path)
    model = window.diagnostics_model
    rows = [r for r in range(model.rowCount()) if "no log address" in model.index(r, 2).data()]
    assert len(rows) == 1, [model.index(r, 2).data() for r in range(model.rowCount())]
    row = rows[0]
    assert (model.index(row, 0).data(), model.index(row, 1).data()) == ("warning", "3")
    assert "frontend 'www'" in model.index(row, 2).data()
    assert "log stdout format raw local0" in model.index(row, 2).data()
    assert window.diagnostics.isVisible()
    assert "0 error(s), 1 warning(s)" in window.diagnostics_title.text()
    window.jump_to_diagnostic(model.index(row, 2))
    cursor_line = window.text_view.editor.textCursor().blockNumber() + 1
    assert window.document.text.splitlines()[cursor_line - 1].strip() == "option httplog"
    view = window.text_view
    view.editor.setPlainText(window.document.text.replace("    option httplog\n",
                                                          "    option httplog\n    log stdout format raw local0\n"))
    assert view.apply() == []
    assert not any("no log address" in d.message for d in model.items)
    assert window.diagnostics_title.text().strip() == "Problems: none"
