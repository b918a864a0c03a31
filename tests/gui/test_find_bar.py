"""Find / Replace in the text view, driven by the window's shortcuts like a user would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.main_window import MainWindow
from tests.conftest import DATA
from tests.gui._support import close_window

TUTORIAL = DATA / "valid" / "01-tutorial-four-servers.cfg"
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[MainWindow]:
    main = MainWindow(settings_path=tmp_path / "ui.ini")
    main.resize(1280, 800)
    main.show()
    qtbot.waitExposed(main)
    main.open_path(TUTORIAL)
    yield main
    close_window(main)
    main.deleteLater()


def test_ctrl_f_from_anywhere_opens_the_find_bar_on_the_text(window: MainWindow, qtbot: Any) -> None:
    window.tree.setFocus()
    assert window.tabs.currentWidget() is window.map_view  # an opened file shows its map first
    qtbot.keyClick(window.tree, Qt.Key.Key_F, CTRL)
    bar = window.text_view.find_bar
    assert window.tabs.currentWidget() is window.text_view
    assert bar.isVisible() and not bar.replacing and bar.find_field.hasFocus()
    qtbot.keyClicks(bar.find_field, "server web")
    total = window.document.text.count("server web")
    assert total == 8
    assert bar.status.text() == f"1 of {total}"
    editor = window.text_view.editor
    assert editor.textCursor().selectedText() == "server web"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_F3)
    assert bar.status.text() == f"2 of {total}"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_Return)
    assert bar.status.text() == f"3 of {total}"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_F3, SHIFT)
    qtbot.keyClick(bar.find_field, Qt.Key.Key_Return, SHIFT)
    assert bar.status.text() == f"1 of {total}"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_F3, SHIFT)  # before the first: wraps to the last
    assert bar.status.text() == f"{total} of {total} (wrapped)"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_F3)
    assert bar.status.text() == f"1 of {total} (wrapped)"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and editor.hasFocus()
    qtbot.keyClick(editor, Qt.Key.Key_F3)  # F3 in the text reopens it on the same term...
    assert bar.isVisible() and bar.status.text() == f"2 of {total}"
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)  # ...and Esc there closes it too
    assert not bar.isVisible()


def test_match_case_and_not_found(window: MainWindow, qtbot: Any) -> None:
    view = window.text_view
    view.open_find()
    bar = view.find_bar
    qtbot.keyClicks(bar.find_field, "SERVER")
    assert bar.status.text().endswith(f"of {window.document.text.lower().count('server')}")
    bar.case_box.setChecked(True)
    assert bar.status.text() == "not found"
    assert not bar.find_next()


def test_replace_all_is_one_undo_step_and_reaches_the_model_on_apply(window: MainWindow, qtbot: Any) -> None:
    original = window.document.text
    steps = window.document.undo_stack.count()
    editor = window.text_view.editor
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_H, CTRL)
    bar = window.text_view.find_bar
    assert bar.replacing and bar.replace_field.isVisible()
    bar.find_field.setText("check")
    qtbot.keyClicks(bar.replace_field, "check inter 2s")
    qtbot.mouseClick(bar.replace_all_button, Qt.MouseButton.LeftButton)
    assert bar.status.text() == f"replaced {original.count('check')}"
    assert editor.toPlainText() == original.replace("check", "check inter 2s")
    assert window.document.text == original  # the model waits for Apply, as with typing
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL)  # the editor's own undo: the whole replace at once
    assert editor.toPlainText() == original
    qtbot.keyClick(editor, Qt.Key.Key_Z, CTRL | SHIFT)
    assert editor.toPlainText() == original.replace("check", "check inter 2s")
    assert window.text_view.apply() == []
    assert window.document.undo_stack.count() == steps + 1  # one "Edit text" step
    assert "server web1 10.0.0.11:80 check inter 2s" in window.document.text
    window.document.undo_stack.undo()
    assert window.document.text == original


def test_replace_replaces_the_selected_match_then_moves_on(window: MainWindow, qtbot: Any) -> None:
    view = window.text_view
    view.open_find(replace=True)
    bar = view.find_bar
    bar.find_field.setText("roundrobin")
    assert bar.find_next()
    bar.replace_field.setText("leastconn")
    assert bar.replace_current()
    text = view.editor.toPlainText()
    assert text.count("leastconn") == 1 and text.count("roundrobin") == 1
    assert bar.status.text() == "1 of 1"
    assert view.has_local_edits


def test_find_and_replace_on_lines_with_emoji(window: MainWindow, qtbot: Any) -> None:
    text = ("backend app\n"
            "    server s🚀1 127.0.0.1:8001 weight 300 # 🚀 spare 300\n"
            "    server s🚀🚀2 127.0.0.1:8002 weight 300\n")
    window.document.load_text(text)
    view = window.text_view
    view.open_find(replace=True)
    bar = view.find_bar
    bar.find_field.setText("🚀2 127")
    assert bar.find_next()
    assert view.editor.textCursor().selectedText() == "🚀2 127"  # the emoji is one match character
    view.go_to_line(1)
    bar.find_field.setText("weight 300")
    assert bar.find_next() and view.editor.textCursor().selectedText() == "weight 300"
    assert bar.status.text() == "1 of 2"
    bar.replace_field.setText("weight 30")
    assert bar.replace_current()  # replaces the first, selects the second, past two emoji
    assert view.editor.textCursor().selectedText() == "weight 300" and bar.status.text() == "1 of 1"
    assert view.editor.textCursor().block().text() == "    server s🚀🚀2 127.0.0.1:8002 weight 300"
    bar.find_field.setText("300")
    bar.replace_field.setText("🚀")
    assert bar.replace_all() == 2
    assert view.editor.toPlainText() == text.replace("weight 300 #", "weight 30 #").replace("300", "🚀")
    last = view.editor.textCursor()  # the selection followed the replaced text to the line end
    assert last.positionInBlock() == len(last.block().text().encode("utf-16-le")) // 2  # Qt: 3 emoji, 6 units
    assert view.position.text() == f"Ln 3, Col {len(last.block().text()) + 1}"  # the user's: characters
