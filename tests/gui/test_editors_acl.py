"""The ACL table and the condition builder: what they write is what haproxy.cfg says."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.document import Document
from gui.editors.acl import AclEditor, ConditionBuilder, term_from_text
from proxy.config.nodes import Condition, Term
from tests.gui.test_editors_widgets import TUTORIAL_TEXT


@pytest.mark.parametrize("text", [
    "if is_admin",
    "unless is_light is_heavy",
    "if !is_admin || is_light !is_heavy",
    "if { path_beg /api } || !{ hdr(host) -i example.com }",
    "if a b or c",
])
def test_builder_round_trips_conditions(qtbot: Any, text: str) -> None:
    builder = ConditionBuilder()
    qtbot.addWidget(builder)
    kind, *words = text.split()
    original = Condition(kind, words)
    builder.set_condition(original)
    rebuilt = builder.condition()
    assert rebuilt is not None
    assert rebuilt.kind == kind and rebuilt.groups() == original.groups()


def test_builder_edits_by_user_actions(qtbot: Any) -> None:
    builder = ConditionBuilder()
    qtbot.addWidget(builder)
    builder.set_acl_names(["is_admin", "is_light"])
    assert builder.condition() is None
    qtbot.mouseClick(builder.add_term_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(builder.rows[0].term.lineEdit(), "is_admin")
    qtbot.mouseClick(builder.add_term_button, Qt.MouseButton.LeftButton)
    builder.rows[1].join.setCurrentText("or")
    builder.rows[1].negate.setChecked(True)
    qtbot.keyClicks(builder.rows[1].term.lineEdit(), "path_beg /api")
    condition = builder.condition()
    assert condition is not None
    assert condition.to_words() == ["if", "is_admin", "||", "!", "{", "path_beg", "/api", "}"]
    assert "is_admin" in builder.preview.text()
    qtbot.mouseClick(builder.rows[0].remove, Qt.MouseButton.LeftButton)
    assert builder.condition() == Condition("if", ["!", "{", "path_beg", "/api", "}"])
    builder.kind.setCurrentText("always")
    assert builder.condition() is None


def test_unreadable_condition_is_kept_until_changed(qtbot: Any) -> None:
    builder = ConditionBuilder()
    qtbot.addWidget(builder)
    broken = Condition("if", ["{", "path_beg", "/x"])  # no closing brace
    builder.set_condition(broken)
    assert builder.condition() == broken


def test_term_from_text() -> None:
    assert term_from_text("is_api", True) == Term(True, name="is_api")
    assert term_from_text("{ src 10.0.0.0/8 }", False) == Term(anonymous=("src", "10.0.0.0/8"))
    assert term_from_text("  ", False) is None


def test_acl_editor_adds_from_its_composer(qtbot: Any) -> None:
    document = Document()
    document.set_text(TUTORIAL_TEXT)
    editor = AclEditor(document, "frontend", "main")
    qtbot.addWidget(editor)
    qtbot.keyClicks(editor.new_name, "is_api")
    editor.new_fetch.setCurrentText("hdr(host)")
    editor.new_matcher.setCurrentText("end")
    editor.new_ignore_case.setChecked(True)
    qtbot.keyClicks(editor.new_patterns, "api.example.com")
    qtbot.keyClick(editor.new_patterns, Qt.Key.Key_Return)
    assert "    acl is_api hdr(host) -i -m end api.example.com\n" in document.text
    text = document.text
    assert text.index("acl is_api") < text.index("http-request deny")  # ACLs stay together
    assert editor.acl_names() == ["is_admin", "is_light", "is_heavy", "is_api"]
    editor.table.selectRow(0)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert "acl is_admin" not in document.text
    document.undo_stack.undo()
    assert "acl is_admin" in document.text and editor.model.rowCount() == 4
