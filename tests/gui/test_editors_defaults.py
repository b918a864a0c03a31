"""The defaults form: fields change exactly their lines, Ctrl+Z undoes, and the source and
"used by" texts say what the semantic layer says."""

from __future__ import annotations

import difflib
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.document import Document
from gui.editors import editor_for
from gui.editors.defaults import DefaultsEditor
from gui.editors.settings import SettingsGrid
from proxy.config.semantics import describe, inheritors, takers
from tests.gui.test_editors_acceptance import choose, type_into

CONFIG = """\
global
    log stdout format raw local0

defaults base
    mode http
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    retries 2

defaults web from base
    timeout client 10s
    option httplog

frontend site from web
    bind 127.0.0.1:8080
    default_backend app

frontend api from base
    bind 127.0.0.1:8081
    timeout client 3s
    default_backend app

backend app from base
    server s1 127.0.0.1:9001

backend other from web
    server s2 127.0.0.1:9002
"""


def changed_lines(before: str, after: str) -> list[str]:
    """The -/+ lines of a diff, without the headers: what an edit really changed."""
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.fixture
def document(qtbot: Any) -> Document:
    doc = Document()
    doc.load_text(CONFIG)
    return doc


@pytest.fixture
def base(document: Document, qtbot: Any) -> DefaultsEditor:
    editor = editor_for(document, "defaults", "base")
    assert isinstance(editor, DefaultsEditor)
    qtbot.addWidget(editor)
    editor.resize(1000, 700)
    editor.show()
    return editor


def infos(editor: Any) -> dict[str, str]:
    """Row label -> the info line under its field, over every settings group of ``editor``."""
    return {label: note.text() for grid in editor.findChildren(SettingsGrid)
            for label, note in grid.infos.items()}


def undo(qtbot: Any, editor: DefaultsEditor, document: Document) -> None:
    """Ctrl+Z as the window binds it: the document's undo stack's action (made once), pressed
    with the focus off the line edits (they have their own Ctrl+Z for their text)."""
    if not editor.actions():
        action = document.undo_stack.createUndoAction(editor)
        action.setShortcut("Ctrl+Z")
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        editor.addAction(action)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def test_each_field_changes_exactly_its_line_and_ctrl_z_undoes(base: DefaultsEditor, document: Document,
                                                               qtbot: Any) -> None:
    original = document.text
    steps = [
        (lambda: choose(qtbot, base.mode_box, "tcp"), ["-    mode http", "+    mode tcp"]),
        (lambda: type_into(qtbot, base.retries, "5"), ["-    retries 2", "+    retries 5"]),
        (lambda: base.timeout_edits["client"].number.setValue(45),
         ["-    timeout client 30s", "+    timeout client 45s"]),
        (lambda: type_into(qtbot, base.default_server_widgets["weight"], "20"),
         ["+    default-server weight 20"]),
        (lambda: choose(qtbot, base.option_boxes["redispatch"], "on"), ["+    option redispatch"]),
    ]
    for act, expected in steps:
        before = document.text
        act()
        assert changed_lines(before, document.text) == expected
    edited = document.text
    for _ in steps:
        undo(qtbot, base, document)
    assert document.text == original
    assert base.mode_box.currentData() == "http" and base.retries.text() == "2"  # the form follows
    document.undo_stack.setIndex(document.undo_stack.count())
    assert document.text == edited


def test_from_field_writes_the_header_and_refuses_unknown_parents(document: Document, qtbot: Any) -> None:
    web = editor_for(document, "defaults", "web")
    assert isinstance(web, DefaultsEditor)
    qtbot.addWidget(web)
    web.show()
    assert web.from_box.currentText() == "base"
    assert [web.from_box.itemText(i) for i in range(web.from_box.count())] == ["", "base"]
    before = document.text
    type_into(qtbot, web.from_box, "nowhere")
    assert "from nowhere" not in document.text  # refused: never written ...
    assert web.from_box.currentText() == "nowhere"  # ... and not thrown away either
    assert "no named defaults section 'nowhere' before this one" in web.problem.text()
    assert web.problem.isVisible()
    assert "Refused" in web.from_box.toolTip()
    type_into(qtbot, web.from_box, "base")
    assert document.text == before and not web.problem.isVisible()
    qtbot.keyClick(web.from_box.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(web.from_box.lineEdit(), Qt.Key.Key_Delete)
    assert changed_lines(before, document.text) == ["-defaults web from base", "+defaults web"]


def test_source_and_used_by_texts_match_the_semantics(base: DefaultsEditor, document: Document) -> None:
    config = document.config
    section = config.find("defaults", "base")
    assert section is not None
    semantics = describe(config)
    users = inheritors(semantics, section)
    assert [m.section.name for m in users] == ["web", "site", "api", "app", "other"]
    assert "web, frontend site, frontend api, backend app, backend other" in base.users.text()
    # timeout client: set on line 8; site reads web's 10s, api sets its own: nobody takes base's
    client = takers(semantics, section, lambda m: m.timeout("client"), "timeout client")
    assert client == []
    grid_infos = infos(base)
    assert "set here, line 8 · used by no section" in grid_infos["Client"]
    # timeout server: every backend takes base's (other through web)
    server = takers(semantics, section, lambda m: m.timeout("server"), "timeout server")
    assert [m.section.name for m in server] == ["app", "other"]
    assert "set here, line 9 · used by 2 backends" in grid_infos["Server"]
    # retries affects backends only (the registry: not in frontends)
    assert "set here, line 10 · used by 2 backends" in grid_infos["Retries"]
    assert "set here, line 5 · used by 2 frontends and 2 backends" in grid_infos["Mode"]


def test_inherited_values_say_where_they_come_from(document: Document, qtbot: Any) -> None:
    web = editor_for(document, "defaults", "web")
    assert isinstance(web, DefaultsEditor)
    qtbot.addWidget(web)
    shown = infos(web)
    assert "from defaults base line 9" in shown["Server"]
    assert "used by 1 backend" in shown["Server"]  # backend other, through web
    assert shown["Weight"] == "<small></small>"  # HAProxy's own: the field's hint says so
    assert web.default_server_widgets["weight"].placeholderText() == "1 (HAProxy's default)"
    assert web.option_boxes["httplog"].currentText() == "on"
    assert web.timeout_edits["server"].hint() == "30s from defaults base"


def test_adding_defaults_from_the_window_removes_the_missing_timeouts_warning(qtbot: Any, tmp_path: Any) -> None:
    from gui.main_window import MainWindow
    from tests.gui._support import close_window

    window = MainWindow(settings_path=tmp_path / "ui.ini")
    qtbot.addWidget(window)
    window.document.load_text("frontend fe\n    bind 127.0.0.1:8080\n")
    assert any("missing timeouts" in d.message for d in window.document.diagnostics)
    assert window.add_defaults("")
    assert not any("missing timeouts" in d.message for d in window.document.diagnostics)
    assert window.document.text.startswith("defaults\n    mode http\n")
    assert isinstance(window.editor_area.widget(), DefaultsEditor)
    window.add_global()
    assert window.document.text.startswith("global\n\ndefaults\n")
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    assert window.document.text == "frontend fe\n    bind 127.0.0.1:8080\n"
    close_window(window)
