"""The haproxy.cfg editor widget, real and offscreen: gutter, marks, tooltips, completion."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QTextCharFormat
from PySide6.QtWidgets import QApplication, QToolTip

from gui.code_editor import CodeEditor
from proxy.config.assist import diagnose_text

TEXT = """\
global
    log /dev/log local0

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind :80
    acl is_api path_beg /api
    use_backend api if is_api
    default_backend nowhere

backend api
    server a1 127.0.0.1:9001

backend dns
    server-template srv 3 app.example:80
"""
ERROR_LINE = 14  # default_backend nowhere
REFUSES_LINE = 20  # server-template
IGNORES_LINE = 2  # log /dev/log
ERROR_ICON_RED = QColor("#d64545")


@pytest.fixture
def editor(qtbot: Any) -> CodeEditor:
    widget = CodeEditor()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.setPlainText(TEXT)
    widget.set_diagnostics(diagnose_text(TEXT))
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def line_top(editor: CodeEditor, line: int) -> int:
    block = editor.document().findBlockByNumber(line - 1)
    return round(editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top())


def band(image: QImage, top: int, height: int, ratio: float) -> set[tuple[int, int, int]]:
    """The colours in a horizontal band of a grabbed image (device pixels)."""
    colours = set()
    for y in range(int(top * ratio), int((top + height) * ratio)):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            colours.add((c.red(), c.green(), c.blue()))
    return colours


def near(colours: set[tuple[int, int, int]], target: QColor, slack: int = 30) -> bool:
    return any(abs(r - target.red()) + abs(g - target.green()) + abs(b - target.blue()) < slack
               for r, g, b in colours)


def test_gutter_paints_line_numbers_and_grows_with_the_line_count(editor: CodeEditor, qtbot: Any) -> None:
    narrow = editor.gutter_width()
    assert editor.gutter.width() == narrow and editor.viewportMargins().left() == narrow
    image = editor.gutter.grab().toImage()
    ratio = image.devicePixelRatio()
    height = editor.fontMetrics().height()
    paper = editor.palette().color(editor.palette().ColorRole.Window)
    line_3 = band(image, line_top(editor, 3), height, ratio)
    assert any(  # "3" is drawn: ink much darker than the gutter's paper
        sum(c) < sum(paper.getRgb()[:3]) - 150 for c in line_3)
    editor.setPlainText("\n".join(f"    # line {i}" for i in range(2000)))
    qtbot.waitUntil(lambda: editor.gutter.width() > narrow)
    assert editor.gutter_width() - narrow == editor.fontMetrics().horizontalAdvance("99")  # 2 -> 4 digits


def test_error_and_engine_marks_on_their_lines(editor: CodeEditor) -> None:
    assert editor.markers[ERROR_LINE].kind == "error"
    assert editor.markers[REFUSES_LINE].kind == "engine-refuses"
    assert editor.markers[IGNORES_LINE].kind == "engine-ignores"
    assert set(editor.markers) == {IGNORES_LINE, ERROR_LINE, REFUSES_LINE}
    selections = {s.cursor.blockNumber() + 1: s for s in editor.extraSelections()}
    error = selections[ERROR_LINE]
    assert error.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
    assert error.cursor.selectedText() == "nowhere"  # the located word, not the whole line
    refuses = selections[REFUSES_LINE]
    assert refuses.format.background().color().alpha() > 0  # a line tint, no underline
    assert refuses.format.underlineStyle() == QTextCharFormat.UnderlineStyle.NoUnderline
    image = editor.gutter.grab().toImage()
    height = editor.fontMetrics().height()
    ratio = image.devicePixelRatio()
    assert near(band(image, line_top(editor, ERROR_LINE), height, ratio), ERROR_ICON_RED)
    assert not near(band(image, line_top(editor, ERROR_LINE - 1), height, ratio), ERROR_ICON_RED)
    assert near(band(image, line_top(editor, REFUSES_LINE), height, ratio), QColor("#c2418f"))


def hover(widget: Any, pos: QPoint) -> str:
    """The tooltip a hover at ``pos`` shows ("" for none), after the previous one is gone."""
    QToolTip.hideText()
    deadline = time.monotonic() + 2
    while QToolTip.text() and time.monotonic() < deadline:  # a hidden tip lingers 300 ms
        QApplication.processEvents()
        time.sleep(0.01)
    event = QHelpEvent(QEvent.Type.ToolTip, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)
    return QToolTip.text()


def point_at(editor: CodeEditor, line: int, col: int) -> QPoint:
    cursor = editor.textCursor()
    block = editor.document().findBlockByNumber(line - 1)
    cursor.setPosition(block.position() + col - 1)
    return editor.cursorRect(cursor).center() + QPoint(3, 0)


def test_hovering_a_marked_line_shows_its_messages_and_the_keyword_doc(editor: CodeEditor) -> None:
    text = hover(editor.viewport(), point_at(editor, ERROR_LINE, 7))
    assert "error: frontend &#x27;web&#x27;: unable to find required backend" in text \
        or "error: frontend 'web': unable to find required backend" in text
    assert "Specify the backend to use when no" in text  # default_backend's doc
    assert "Engine: the embedded engine runs it" in text
    gutter = editor.gutter
    gutter_text = hover(gutter, QPoint(8, line_top(editor, REFUSES_LINE) + 4))
    assert "engine refuses" in gutter_text and "server-template" in gutter_text
    assert hover(gutter, QPoint(8, line_top(editor, ERROR_LINE - 1) + 4)) == ""


def test_hover_doc_escapes_the_synopsis(editor: CodeEditor) -> None:
    text = hover(editor.viewport(), point_at(editor, 11, 6))  # bind [<address>]:<port_range>
    assert "&lt;address&gt;" in text
    assert "Define one or several listening addresses" in text
    assert hover(editor.viewport(), point_at(editor, 9, 1)) == ""  # a blank line


def line_of(editor: CodeEditor, fragment: str) -> int:
    return next(i for i, text in enumerate(editor.toPlainText().splitlines(), 1) if fragment in text)


def type_line(editor: CodeEditor, qtbot: Any, line: int, text: str) -> None:
    """Put the cursor at the start of a new line after ``line`` and type ``text``."""
    block = editor.document().findBlockByNumber(line - 1)
    cursor = editor.textCursor()
    cursor.setPosition(block.position() + block.length() - 1)
    editor.setTextCursor(cursor)
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, text)


def test_typing_two_letters_opens_the_section_keywords(editor: CodeEditor, qtbot: Any) -> None:
    type_line(editor, qtbot, 11, "    bi")  # in frontend web
    popup = editor.completer.popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible)
    assert editor.completion_items() == ["bind", "bind-process"]
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert editor.textCursor().block().text() == "    bind "
    type_line(editor, qtbot, line_of(editor, "server a1"), "    se")  # in backend api
    qtbot.waitUntil(popup.isVisible)
    assert "server" in editor.completion_items() and "bind" not in editor.completion_items()


def test_control_space_offers_backends_after_use_backend(editor: CodeEditor, qtbot: Any) -> None:
    type_line(editor, qtbot, 13, "    use_backend ")
    popup = editor.completer.popup()
    assert popup is not None and not popup.isVisible()  # no popup by itself on an argument
    qtbot.keyClick(editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert popup.isVisible()
    assert editor.completion_items() == ["api", "dns"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert editor.textCursor().block().text() == "    use_backend dns "
    qtbot.keyClick(editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert editor.completion_items() == ["if", "unless"]
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    assert not popup.isVisible()


def test_a_backend_typed_a_moment_ago_is_offered(editor: CodeEditor, qtbot: Any) -> None:
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, "backend fresh")  # not applied anywhere: the editor's own text
    type_line(editor, qtbot, 13, "    use_backend f")
    qtbot.keyClick(editor, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert editor.completion_items() == ["fresh"]


# -- lines with characters outside the BMP: Qt counts them as two UTF-16 units ------------
ASTRAL = """\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 127.0.0.1:8080
    http-request deny if { hdr(x) -m str 🚀 } badword
    acl is_🚀 path_beg /x
    default_backend app

backend app
    server s🚀1 127.0.0.1:8001 weight 300
"""
DENY_LINE, ACL_LINE, SERVER_LINE = 9, 10, 14


@pytest.fixture
def astral(qtbot: Any) -> CodeEditor:
    widget = CodeEditor()
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.setPlainText(ASTRAL)
    widget.set_diagnostics(diagnose_text(ASTRAL))
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def found(editor: CodeEditor, term: str) -> Any:
    """Qt's own cursor selecting ``term`` (Qt positions throughout, none computed here)."""
    cursor = editor.document().find(term)
    assert not cursor.isNull(), term
    return cursor


def test_marks_land_on_the_word_after_an_emoji(astral: CodeEditor) -> None:
    located = {(d.line, d.col) for d in diagnose_text(ASTRAL)}
    assert located == {(DENY_LINE, ASTRAL.splitlines()[DENY_LINE - 1].index("badword") + 1),
                       (SERVER_LINE, ASTRAL.splitlines()[SERVER_LINE - 1].index("300") + 1)}
    underlined = {s.cursor.blockNumber() + 1: s.cursor.selectedText() for s in astral.extraSelections()}
    assert underlined == {DENY_LINE: "badword", SERVER_LINE: "300"}
    # ... and under them on screen: the wave starts where Qt draws the word
    selection = next(s for s in astral.extraSelections() if s.cursor.blockNumber() + 1 == SERVER_LINE)
    word = found(astral, "300")
    assert selection.cursor.selectionStart() == word.selectionStart()


def test_hover_over_a_word_after_an_emoji_documents_that_word(astral: CodeEditor) -> None:
    fetch = found(astral, "path_beg")
    last = astral.textCursor()
    last.setPosition(fetch.selectionEnd() - 1)  # the "g": its right half is still path_beg
    inside = astral.cursorRect(last).center() + QPoint(3, 0)
    assert "Prefix match on path" in hover(astral.viewport(), inside)
    after = astral.textCursor()
    after.setPosition(fetch.selectionEnd())  # the blank after it documents nothing
    assert hover(astral.viewport(), astral.cursorRect(after).center() + QPoint(3, 0)) == ""


def test_completion_after_an_emoji_replaces_just_the_word(astral: CodeEditor, qtbot: Any) -> None:
    cursor = found(astral, "badword")  # select it and type over it, as a user would
    astral.setTextCursor(cursor)
    astral.setFocus()
    qtbot.keyClicks(astral, "is")
    qtbot.keyClick(astral, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert astral.completion_items() == ["is_🚀"]  # the ACL of the next line, emoji and all
    popup = astral.completer.popup()
    assert popup is not None and popup.isVisible()
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert astral.textCursor().block().text() == "    http-request deny if { hdr(x) -m str 🚀 } is_🚀 "
