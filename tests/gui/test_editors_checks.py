"""Refused form values: the reason is shown, the typed text is kept, nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLineEdit

from gui.document import Document
from gui.editors.backend import BackendEditor
from gui.editors.checks import name_problem, option_problem, port_problem, time_problem
from gui.editors.widgets import REFUSED_COLOR
from gui.main_window import MainWindow
from proxy.config import keywords as kw
from tests.gui.test_editors_acceptance import type_into
from tests.gui.test_editors_defaults import changed_lines
from tests.gui.test_editors_widgets import TUTORIAL_TEXT


def test_checks_word_the_registry_facts() -> None:
    low, high = kw.PORT_RANGE
    assert port_problem("99999") == f"port 99999 is out of range: ports go from {low} to {high}"
    assert port_problem("80") is None and port_problem("", allow_empty=True) is None
    assert "not a port" in (port_problem("http") or "")
    weight_high = kw.SERVER_OPTIONS["weight"].bounds[1]  # type: ignore[index]
    assert option_problem(kw.SERVER_OPTIONS, "weight", str(weight_high + 1)) == \
        f"weight {weight_high + 1} is out of range: it goes from 0 to {weight_high}"
    assert option_problem(kw.SERVER_OPTIONS, "weight", str(weight_high)) is None
    assert "is not a time" in (option_problem(kw.SERVER_OPTIONS, "slowstart", "5 s") or "")
    assert time_problem("1500") is None
    assert name_problem("web 1", "server name") is not None
    assert "a space" in (name_problem("web 1", "server name") or "")


@pytest.fixture
def editor(qtbot: Any) -> tuple[BackendEditor, Document]:
    document = Document()
    document.load_text(TUTORIAL_TEXT)
    widget = BackendEditor(document, "light")
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, document


def open_cell(qtbot: Any, editor: BackendEditor, row: int, column: int) -> QLineEdit:
    table = editor.servers.table
    index = editor.servers.model.index(row, column)
    table.setCurrentIndex(index)
    table.edit(index)
    lines = [w for w in table.findChildren(QLineEdit) if w.isVisible()]  # closed ones linger
    assert len(lines) == 1
    return lines[0]


def test_port_99999_in_a_server_cell_shows_why_and_keeps_the_text(
        editor: tuple[BackendEditor, Document], qtbot: Any, qtlog: Any) -> None:
    backend, document = editor
    before = document.text
    model = backend.servers.model
    original_port = model.data(model.index(0, 2))
    cell = open_cell(qtbot, backend, 0, 2)
    qtbot.keyClick(cell, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(cell, "99999")
    assert cell.toolTip() == "Refused: port 99999 is out of range: ports go from 1 to 65535"
    assert "border" in cell.styleSheet()  # marked while typing, before any Enter
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert document.text == before  # nothing written
    assert cell.isVisible() and cell.text() == "99999"  # the editor stays open on the text
    message = backend.servers.message
    assert message.isVisible() and "port 99999 is out of range" in message.text()
    # leaving the cell keeps the typed value in it, marked, rather than reverting
    backend.servers.table.setCurrentIndex(model.index(1, 0))
    qtbot.waitUntil(lambda: not cell.isVisible())
    assert model.data(model.index(0, 2)) == "99999"
    assert "port 99999 is out of range" in model.data(model.index(0, 2), Qt.ItemDataRole.ToolTipRole)
    assert document.text == before
    # fixing it writes exactly that line and clears the message
    cell = open_cell(qtbot, backend, 0, 2)
    assert cell.text() == "99999"  # editing starts from the typed text
    qtbot.keyClick(cell, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(cell, "8081")
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not cell.isVisible())  # Qt commits an accepted Return queued
    changed = changed_lines(before, document.text)
    assert changed == [f"-    server server1 127.0.0.1:{original_port} check",
                       "+    server server1 127.0.0.1:8081 check"]
    assert not message.isVisible()
    qtbot.wait(100)  # let Qt's queued commit run: it is what used to find its editor gone
    assert not [r.message for r in qtlog.records if "commitData" in r.message]  # Qt's old complaint


def test_esc_gives_back_the_files_value(editor: tuple[BackendEditor, Document], qtbot: Any) -> None:
    backend, _document = editor
    model = backend.servers.model
    original = model.data(model.index(0, 3))
    cell = open_cell(qtbot, backend, 0, 3)  # weight
    qtbot.keyClicks(cell, "999")
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert "weight" in backend.servers.message.text() and "0 to 256" in backend.servers.message.text()
    qtbot.keyClick(cell, Qt.Key.Key_Escape)
    assert model.data(model.index(0, 3)) == original
    assert not backend.servers.message.isVisible()


def test_a_refused_line_edit_keeps_its_text_and_writes_when_fixed(
        editor: tuple[BackendEditor, Document], qtbot: Any) -> None:
    backend, document = editor
    weight = backend.default_server_widgets["weight"]
    before = document.text
    type_into(qtbot, weight, "300")  # "3" and "30" are accepted on the way; "300" is not
    assert "weight 300" not in document.text and weight.text() == "300"
    assert "weight 300 is out of range: it goes from 0 to 256" in backend.problem.text()
    assert backend.problem.isVisible() and backend.problem.window() is backend  # in the form
    type_into(qtbot, weight, "30")
    assert changed_lines(before, document.text) == ["+    default-server weight 30"]
    assert not backend.problem.isVisible()
    qtbot.keyClicks(weight, "0")  # 300 again: refused; Esc gives the file's value back
    assert weight.text() == "300" and backend.problem.isVisible()
    qtbot.keyClick(weight, Qt.Key.Key_Escape)
    assert weight.text() == "30" and not backend.problem.isVisible() and weight.styleSheet() == ""


def test_a_server_name_with_a_space_is_refused_with_its_reason(
        editor: tuple[BackendEditor, Document], qtbot: Any) -> None:
    backend, document = editor
    before = document.text
    type_into(qtbot, backend.servers.new_name, "web 1")
    backend.servers.add_button.click()
    assert document.text == before
    assert "a space is not permitted" in backend.servers.message.text()
    assert backend.servers.new_name.text() == "web 1"


# -- a refused value is a draft over the file's value: undo and other document changes drop it --
CTRL = Qt.KeyboardModifier.ControlModifier
RED = QColor(REFUSED_COLOR)


def window_backend(window: MainWindow, qtbot: Any, name: str = "light") -> BackendEditor:
    window.document.load_text(TUTORIAL_TEXT)
    assert window.select_section(("backend", name))
    backend = window.editor_area.widget()
    assert isinstance(backend, BackendEditor)
    qtbot.waitUntil(backend.servers.table.isVisible)
    return backend


def type_in_cell(qtbot: Any, backend: BackendEditor, row: int, column: int, text: str) -> None:
    cell = open_cell(qtbot, backend, row, column)
    qtbot.keyClick(cell, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(cell, text)
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    backend.servers.table.setCurrentIndex(backend.servers.model.index(1, 0))  # leave the cell
    qtbot.waitUntil(lambda: not cell.isVisible())


def test_ctrl_z_drops_a_refused_port_and_shows_the_files_value(window: MainWindow, qtbot: Any) -> None:
    backend = window_backend(window, qtbot)
    document, model, table = window.document, backend.servers.model, backend.servers.table
    original = document.text
    port = model.index(0, 2)
    file_port = model.data(port)
    type_in_cell(qtbot, backend, 0, 3, "7")  # a real edit first: server1's weight
    assert "server server1 127.0.0.1:8001 check weight 7" in document.text
    type_in_cell(qtbot, backend, 0, 2, "99999")  # then a refused port
    assert model.data(port) == "99999" and model.data(port, Qt.ItemDataRole.ForegroundRole) == RED
    message = backend.servers.message
    assert message.isVisible() and "port 99999 is out of range" in message.text()
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Z, CTRL)  # the window's Undo: the weight edit goes
    assert document.text == original
    backend = window.editor_area.widget()  # (the same form, kept across the undo)
    model = backend.servers.model
    assert model.data(model.index(0, 2)) == file_port  # the file's port, not the draft
    assert model.data(model.index(0, 2), Qt.ItemDataRole.ForegroundRole) != RED
    assert "Not saved" not in (model.data(model.index(0, 2), Qt.ItemDataRole.ToolTipRole) or "")
    assert not backend.servers.message.isVisible()
    qtbot.keyClick(backend.servers.table, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # redo
    assert "check weight 7" in document.text and model.data(model.index(0, 2)) == file_port


def test_a_draft_survives_edits_elsewhere_but_not_a_new_file_value(window: MainWindow, qtbot: Any) -> None:
    backend = window_backend(window, qtbot)
    document, model = window.document, backend.servers.model
    type_in_cell(qtbot, backend, 0, 2, "99999")
    type_in_cell(qtbot, backend, 1, 3, "9")  # server2's weight: nothing to do with the draft
    assert "server server2 127.0.0.1:8002 check weight 9" in document.text
    assert model.data(model.index(0, 2)) == "99999" and backend.servers.message.isVisible()
    # Apply text that rewrites server1's line: the document replaced the value typed over
    view = window.text_view
    view.editor.setPlainText(document.text.replace("server1 127.0.0.1:8001", "server1 127.0.0.1:8011"))
    assert view.apply() == []
    assert model.data(model.index(0, 2)) == "8011" and not backend.servers.message.isVisible()


def test_undo_gives_a_refused_line_edit_the_files_value(window: MainWindow, qtbot: Any) -> None:
    backend = window_backend(window, qtbot)
    document = window.document
    weight = backend.default_server_widgets["weight"]
    original = document.text
    type_into(qtbot, weight, "30")
    assert "default-server weight 30" in document.text
    qtbot.keyClicks(weight, "0")  # 300: refused, kept as typed, the reason shown
    assert weight.text() == "300" and backend.problem.isVisible() and weight.styleSheet()
    window.tree.setFocus()  # Ctrl+Z in the field would be the field's own undo
    qtbot.keyClick(window.tree, Qt.Key.Key_Z, CTRL)
    assert document.text == original
    assert weight.text() == "" and not backend.problem.isVisible() and weight.styleSheet() == ""
