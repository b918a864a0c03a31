"""The text view in the window: problem clicks, live marks on unapplied text, light/dark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow
from gui.theme import icon, set_scheme, syntax_colours
from tests.gui._support import close_window

TEXT = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 127.0.0.1:8080
    default_backend nowhere

backend app
    server s1 127.0.0.1:8001
"""


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[MainWindow]:
    main = MainWindow(settings_path=tmp_path / "ui.ini")
    main.resize(1280, 800)
    main.show()
    qtbot.waitExposed(main)
    main.document.load_text(TEXT)
    yield main
    close_window(main)
    main.deleteLater()


def test_clicking_a_problem_puts_the_cursor_on_its_line_and_column(window: MainWindow, qtbot: Any) -> None:
    model = window.diagnostics_model
    row = next(r for r in range(model.rowCount()) if "nowhere" in model.index(r, 2).data())
    diagnostic = model.items[row]
    assert (diagnostic.line, diagnostic.col) == (9, 21)
    window.tabs.setCurrentWidget(window.editor_area)
    table = window.diagnostics
    rect = table.visualRect(model.index(row, 2))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentWidget() is window.text_view
    cursor = window.text_view.editor.textCursor()
    assert (cursor.blockNumber() + 1, cursor.positionInBlock() + 1) == (9, 21)
    assert cursor.block().text()[cursor.positionInBlock():] == "nowhere"
    assert window.text_view.editor.markers[9].kind == "error"


def test_unapplied_text_is_checked_again_when_typing_pauses(window: MainWindow, qtbot: Any) -> None:
    view = window.text_view
    editor = view.editor
    assert set(editor.markers) == {9}
    window.tabs.setCurrentWidget(view)
    view.go_to_line(12, 100)  # the end of "server s1 ..."
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "    server-template srv 3 app.example:80")
    assert view.has_local_edits and window.document.text == TEXT
    qtbot.waitUntil(lambda: 13 in editor.markers, timeout=3000)
    assert editor.markers[13].kind == "engine-refuses"
    assert "engine refuses" in editor.markers[13].tooltip
    assert view.apply() == []  # the Problems panel shows the gutter's mark for it
    model = window.diagnostics_model
    row = next(r for r, d in enumerate(model.items) if d.line == 13)
    decoration = model.index(row, 0).data(Qt.ItemDataRole.DecorationRole)
    assert decoration.cacheKey() == icon("engine-refuses").cacheKey()
    window.document.undo_stack.undo()
    view.reload()  # Revert: the model's marks again
    assert set(editor.markers) == {9}


def test_colours_follow_a_switch_to_dark_and_back(window: MainWindow, qtbot: Any) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    view = window.text_view
    light_keyword = view.highlighter.formats["keyword"].foreground().color()
    try:
        set_scheme(app, "dark")
        qtbot.waitUntil(lambda: view.highlighter.formats["keyword"].foreground().color() != light_keyword)
        assert view.highlighter.formats["keyword"].foreground().color() == syntax_colours()["keyword"]
        image = view.editor.gutter.grab().toImage()
        paper = image.pixelColor(2, image.height() - 2)
        assert paper.lightness() < 80  # the gutter went dark with the palette
        error = next(s for s in view.editor.extraSelections() if s.cursor.blockNumber() == 8)
        assert error.format.underlineColor() == syntax_colours()["error"]
    finally:
        set_scheme(app, None)
    qtbot.waitUntil(lambda: view.highlighter.formats["keyword"].foreground().color() == light_keyword)


ASTRAL = TEXT.replace("    server s1 127.0.0.1:8001\n",
                      "    server s🚀1 127.0.0.1:8001 weight 300 # 🚀 spare\n")


def test_a_problem_after_an_emoji_is_located_on_its_word(window: MainWindow, qtbot: Any) -> None:
    window.document.load_text(ASTRAL)
    model = window.diagnostics_model
    row = next(r for r, d in enumerate(model.items) if "weight" in d.message)
    diagnostic = model.items[row]
    line = ASTRAL.splitlines()[11]
    assert (diagnostic.line, diagnostic.col) == (12, line.index("300") + 1)  # characters, as HAProxy counts
    window.tabs.setCurrentWidget(window.editor_area)
    rect = window.diagnostics.visualRect(model.index(row, 2))
    qtbot.mouseClick(window.diagnostics.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    view = window.text_view
    assert window.tabs.currentWidget() is view
    cursor = view.editor.textCursor()
    assert cursor.positionInBlock() == diagnostic.col  # Qt's UTF-16 offset: the emoji is two
    rest = view.editor.textCursor()
    rest.movePosition(rest.MoveOperation.EndOfWord, rest.MoveMode.KeepAnchor)
    assert rest.selectedText() == "300"
    assert view.position.text() == f"Ln 12, Col {diagnostic.col}"  # what the Problems list says


def test_highlighting_after_an_emoji_covers_its_own_characters(window: MainWindow) -> None:
    window.document.load_text(ASTRAL)
    editor = window.text_view.editor
    block = editor.document().findBlockByNumber(11)
    formats = window.text_view.highlighter.formats
    layout = block.layout()
    ranges = {(r.start, r.length): (r.format.foreground().color(), r.format.fontItalic())
              for r in layout.formats()}
    number = editor.document().find("300")
    comment = editor.document().find("# 🚀 spare")
    assert ranges[(number.positionInBlock() - 3, 3)] == (formats["number"].foreground().color(), False)
    start = comment.selectionStart() - block.position()
    assert ranges[(start, block.length() - 1 - start)] == (formats["comment"].foreground().color(), True)
