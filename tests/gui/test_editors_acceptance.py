"""THE acceptance test of issue 5: build HAProxy's tutorial from an empty document through the
forms only (key presses and clicks on the real widgets), Apply, and check the routing with real
HTTP requests on 127.0.0.1: /admin 403, /lightwork on servers 1-2, /heavywork sticky, / round-robin.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QInputDialog, QLineEdit

from gui.editors.backend import BackendEditor
from gui.editors.frontend import FrontendEditor
from gui.main_window import MainWindow
from tests.gui._support import close_window, http_get, named_http_servers, on_next_modal

SERVERS = ("server1", "server2", "server3", "server4")
BACKENDS = {"light": SERVERS[:2], "heavy": SERVERS[2:], "all": SERVERS}
BALANCE = {"light": "roundrobin", "heavy": "source", "all": "roundrobin"}
ACLS = {"is_admin": "/admin", "is_light": "/lightwork", "is_heavy": "/heavywork"}


@pytest.fixture
def web_servers() -> Iterator[dict[str, int]]:
    """The tutorial's four web servers, each answering its own name; yields name -> port."""
    with named_http_servers(*SERVERS) as ports:
        yield ports


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[MainWindow]:
    # Not qtbot.addWidget: pytest-qt would close the window before this fixture marks the
    # document clean, and the unsaved-changes prompt would wait for an answer.
    main = MainWindow(settings_path=tmp_path / "ui.ini")
    main.resize(1280, 800)
    main.show()
    main.activateWindow()  # shortcuts go to the active window
    qtbot.waitActive(main)
    yield main
    close_window(main)  # no save or stop prompt when the test closes it
    main.host.shutdown()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- typing like a user ------------------------------------------------------------------------


def type_into(qtbot: Any, widget: Any, text: str) -> None:
    """Select what a field holds and type ``text`` over it, as a user would."""
    target = widget.lineEdit() if isinstance(widget, QComboBox | QAbstractSpinBox) else widget
    target = target or widget
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton)
    qtbot.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(target, Qt.Key.Key_Delete)
    qtbot.keyClicks(target, text)


def choose(qtbot: Any, box: QComboBox, text: str) -> None:
    """Pick an item of a (non-editable) combo box with the arrow keys, as keyboard users do."""
    qtbot.keyClick(box, Qt.Key.Key_Home)
    for _ in range(box.count()):
        if box.currentText() == text:
            break
        qtbot.keyClick(box, Qt.Key.Key_Down)
    assert box.currentText() == text


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def add_section(qtbot: Any, window: MainWindow, shortcut: Qt.Key, name: str) -> Any:
    """Use the window's Add shortcut and answer its name dialog with the keyboard."""

    def answer(dialog: QInputDialog) -> None:
        edit = dialog.findChild(QLineEdit)
        qtbot.keyClicks(edit, name)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    window.activateWindow()  # back from the previous dialog: shortcuts need the active window
    qtbot.waitUntil(window.isActiveWindow)
    on_next_modal(QInputDialog, answer, tries=50)  # the shortcut may still be on its way
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, shortcut, modifiers)
    return window.editor_area.widget()


def build_backend(qtbot: Any, window: MainWindow, name: str, ports: dict[str, int]) -> None:
    editor = add_section(qtbot, window, Qt.Key.Key_B, name)
    assert isinstance(editor, BackendEditor), (editor, window.current_key, window.isActiveWindow())
    choose(qtbot, editor.mode_box, "http")
    choose(qtbot, editor.balance_box, BALANCE[name])
    page = editor.servers
    for server in BACKENDS[name]:
        type_into(qtbot, page.new_name, server)
        type_into(qtbot, page.new_address.host, "127.0.0.1")
        type_into(qtbot, page.new_address.port, str(ports[server]))
        click(qtbot, page.add_button)
    assert page.model.rowCount() == len(BACKENDS[name]), window.document.text


def build_frontend(qtbot: Any, window: MainWindow) -> None:
    editor = add_section(qtbot, window, Qt.Key.Key_F, "main")
    assert isinstance(editor, FrontendEditor)
    choose(qtbot, editor.mode_box, "http")
    for kind, value in (("client", "10"), ("http-request", "5")):
        type_into(qtbot, editor.timeout_edits[kind].number, value)
    binds = editor.binds
    type_into(qtbot, binds.address.host, "127.0.0.1")
    # HAProxy (and so the validator) refuses port 0: ask the OS for a free port to type.
    type_into(qtbot, binds.address.port, str(free_port()))
    click(qtbot, binds.add_button)
    type_into(qtbot, editor.default_backend_box, "all")

    editor.tabs.setCurrentWidget(editor.acls)
    acls = editor.acls
    for acl, prefix in ACLS.items():
        type_into(qtbot, acls.new_name, acl)
        type_into(qtbot, acls.new_fetch, "path_beg")
        type_into(qtbot, acls.new_patterns, prefix)
        click(qtbot, acls.add_button)

    editor.tabs.setCurrentWidget(editor.rules)
    rules = editor.rules
    choose(qtbot, rules.rule_type, "http-request")
    type_into(qtbot, rules.action, "deny")
    click(qtbot, rules.condition.add_term_button)
    type_into(qtbot, rules.condition.rows[0].term, "is_admin")
    click(qtbot, rules.add_button)
    choose(qtbot, rules.rule_type, "use_backend")
    for backend, acl in (("light", "is_light"), ("heavy", "is_heavy")):
        type_into(qtbot, rules.backend, backend)
        type_into(qtbot, rules.condition.rows[0].term, acl)
        click(qtbot, rules.add_button)


def press_apply(qtbot: Any, window: MainWindow, loop: asyncio.AbstractEventLoop) -> None:
    """Ctrl+R (Apply) with the qasync loop running, until the engine serves."""

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    async def apply() -> None:
        qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        deadline = time.monotonic() + 10
        while window.host.state != "running" and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    loop.run_until_complete(apply())
    assert window.host.state == "running", window.statusBar().currentMessage()


def test_tutorial_built_through_the_forms_routes_real_requests(
    qtbot: Any, window: MainWindow, loop: asyncio.AbstractEventLoop, web_servers: dict[str, int]
) -> None:
    for backend in BACKENDS:
        build_backend(qtbot, window, backend, web_servers)
    build_frontend(qtbot, window)
    errors = [str(d) for d in window.document.errors]
    assert errors == []
    text = window.document.text
    for line in ("http-request deny if is_admin", "use_backend light if is_light",
                 "use_backend heavy if is_heavy", "default_backend all", "balance source",
                 "acl is_heavy path_beg /heavywork"):
        assert line in text

    press_apply(qtbot, window, loop)
    port = next(p for f, _h, p in window.host.listening if f == "main")

    assert http_get(port, "/admin")[0] == 403
    light = {http_get(port, "/lightwork")[1] for _ in range(4)}
    assert light == {"server1", "server2"}
    heavy = {http_get(port, "/heavywork")[1] for _ in range(6)}
    assert len(heavy) == 1 and heavy <= {"server3", "server4"}  # balance source: sticky
    home = [http_get(port, "/")[1] for _ in range(8)]
    assert set(home) == set(SERVERS)  # round-robin visits every server
    loop.run_until_complete(window.stop_engine())
