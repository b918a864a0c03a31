"""The haproxy.cfg text view: the text the model writes, highlighted, editable.

The view shows ``document.text`` and follows every model change as long as the
user has no unapplied edits of their own.  "Apply text" hands the text to
``Document.set_text``: parse errors are underlined in place and listed under
the editor, and the model stays untouched until the text parses.

Edits of any kind - typing, completion, Replace, Replace all - go to the editor's
own undo stack (Ctrl+Z while typing) and reach the document's undo stack as one
"Edit text" step on Apply.  The line marks show the document's diagnostics while
the text is the model's; once the user edits, the text is checked again
(``assist.diagnose_text``) after a short pause in typing, so the marks follow
the text being written.  The editor widget itself is gui/code_editor.py, the
find bar gui/find_bar.py.

The highlighter reads the keyword registry: section headers, statement
keywords (the longest multi-word match, as HAProxy's parser does), comments,
quoted strings, ``if``/``unless`` conditions and time/number values.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QKeySequence,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.code_editor import CodeEditor
from gui.document import MEMORY_PATH, Document
from gui.find_bar import FindBar
from gui.text_columns import column_of, position_of, utf16_offset
from gui.theme import syntax_colours
from proxy.config import assist
from proxy.config import keywords as kw
from proxy.config.model import Diagnostic

__all__ = ["RECHECK_DELAY_MS", "ConfigHighlighter", "TextView"]

RECHECK_DELAY_MS = 400  # pause in typing before edited text is checked again

_WORD = re.compile(r"\S+")
_NUMBER = re.compile(r"(?<![\w.:-])\d+(?:ms|us|s|m|h|d)?(?![\w.])")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"?|'[^']*'?")
_CONDITION = re.compile(r"(?<!\S)(?:if|unless|!|\|\||or)(?!\S)")


def _format(colour: QColor, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(colour)
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class ConfigHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        self._make_formats()

    def refresh_colours(self) -> None:
        """After a light/dark switch: the new scheme's colours, everywhere."""
        self._make_formats()
        self.rehighlight()

    def _make_formats(self) -> None:
        colours = syntax_colours()
        self.formats = {
            "section": _format(colours["section"], bold=True),
            "keyword": _format(colours["keyword"], bold=True),
            "comment": _format(colours["comment"], italic=True),
            "string": _format(colours["string"]),
            "number": _format(colours["number"]),
            "acl": _format(colours["acl"], bold=True),
        }

    def highlightBlock(self, text: str) -> None:
        code, comment_at = _split_comment(text)
        words = list(_WORD.finditer(code))
        if words:
            self._highlight_statement(code, words)
        for pattern, name in ((_NUMBER, "number"), (_CONDITION, "acl"), (_STRING, "string")):
            for match in pattern.finditer(code):
                self._paint(text, match.start(), match.end(), name)
        if comment_at is not None:
            self._paint(text, comment_at, len(text), "comment")

    def _paint(self, text: str, start: int, end: int, name: str) -> None:
        """Format characters ``start:end`` of the block's ``text`` (Python indexes; Qt wants UTF-16)."""
        first = utf16_offset(text, start + 1)
        self.setFormat(first, utf16_offset(text, end + 1) - first, self.formats[name])

    def _highlight_statement(self, code: str, words: list[re.Match[str]]) -> None:
        first = words[0]
        if first.group() in kw.SECTION_KINDS and not code[: first.start()].strip():
            self._paint(code, first.start(), len(code), "section")
            return
        keyword, count = kw.lookup([w.group() for w in words])
        if keyword is not None and count == 0:
            count = len(keyword.name.split())
        if keyword is not None:
            self._paint(code, first.start(), words[min(count, len(words)) - 1].end(), "keyword")


def _split_comment(text: str) -> tuple[str, int | None]:
    """The code part of a line and where its comment starts (a '#' outside quotes)."""
    quote: str | None = None
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return text[:i], i
    return text, None


class TextView(QWidget):
    revealRequested = Signal()  # Find/Replace was asked for: the window shows this view

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.editor = CodeEditor()
        self.editor.setMinimumSize(400, 200)
        self.highlighter = ConfigHighlighter(self.editor.document())
        self.find_bar = FindBar(self.editor)
        self.apply_button = QPushButton("Apply text")
        self.apply_button.setToolTip("Parse this text into the model (Ctrl+Return)")
        self.apply_button.setShortcut("Ctrl+Return")
        self.apply_button.clicked.connect(self.apply)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Throw away text edits and show the model again")
        self.revert_button.clicked.connect(self.reload)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.position = QLabel()  # "Ln 3, Col 12" of the cursor
        self.position.setToolTip("Cursor line and column (characters, as in the Problems list)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.position)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.find_bar)
        layout.addLayout(buttons)
        self._recheck = QTimer(self)  # re-validates edited text once typing pauses
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(RECHECK_DELAY_MS)
        self._recheck.timeout.connect(self._check_edited_text)
        self._build_actions()
        self.editor.escapePressed.connect(lambda: self.find_bar.close_bar() if self.find_bar.isVisible() else None)
        self.editor.document().modificationChanged.connect(self._update_buttons)
        self.editor.document().contentsChanged.connect(self._text_edited)
        self.editor.cursorPositionChanged.connect(self._show_position)
        document.changed.connect(self._model_changed)
        document.diagnosticsChanged.connect(self._model_diagnostics_changed)
        self.reload()
        self._show_position()

    def _build_actions(self) -> None:
        """Find/Replace; they work while the view has focus, and the window puts them in its
        Edit menu (giving them a window-wide shortcut there)."""
        def action(text: str, keys: QKeySequence | QKeySequence.StandardKey | str,
                   slot: Callable[[], object]) -> QAction:
            made = QAction(text, self)
            made.setShortcut(QKeySequence(keys))
            made.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            made.triggered.connect(lambda _checked=False: slot())
            self.addAction(made)
            return made

        self.find_action = action("&Find…", "Ctrl+F", self.open_find)
        self.replace_action = action("Find and r&eplace…", "Ctrl+H", lambda: self.open_find(replace=True))
        self.find_next_action = action("Find ne&xt", "F3", self.find_next)
        self.find_previous_action = action("Find pre&vious", "Shift+F3",
                                           lambda: self.find_next(backward=True))

    @property
    def has_local_edits(self) -> bool:
        return self.editor.document().isModified()

    def _model_changed(self) -> None:
        if not self.has_local_edits:
            self.reload()

    def _model_diagnostics_changed(self) -> None:
        if not self.has_local_edits:
            self.editor.set_diagnostics(self.document.diagnostics)

    def reload(self) -> None:
        """Show the model's text (keeping the scroll position)."""
        bar = self.editor.verticalScrollBar()
        position = bar.value() if bar is not None else 0
        self.editor.setPlainText(self.document.text)
        self.editor.document().setModified(False)
        if bar is not None:
            bar.setValue(position)
        self._recheck.stop()
        self._show_errors([])
        self.editor.set_diagnostics(self.document.diagnostics)

    def apply(self) -> list[Diagnostic]:
        errors = self.document.set_text(self.editor.toPlainText())
        if errors:
            self._show_errors(errors)
            self._check_edited_text()
            return errors
        self.reload()
        return []

    def _show_position(self) -> None:
        # The file's character column (code points, 1-based), as HAProxy, `proxydesk check`
        # and the Problems list count it - not Qt's UTF-16 offset, where an emoji is two.
        cursor = self.editor.textCursor()
        self.position.setText(f"Ln {cursor.blockNumber() + 1}, Col {column_of(cursor)}")

    def go_to_line(self, line: int, col: int = 1) -> None:
        """Put the cursor at ``line``:``col`` (1-based; ``col`` in characters, as diagnostics
        count), in the middle of the view, and focus it."""
        block = self.editor.document().findBlockByNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        cursor.setPosition(position_of(block, col))  # col counts characters, as diagnostics do
        self.editor.setTextCursor(cursor)
        self.editor.centerCursor()
        self.editor.setFocus()

    # -- find / replace ---------------------------------------------------------------------
    def open_find(self, *, replace: bool = False) -> None:
        self.revealRequested.emit()
        self.find_bar.open_find(replace=replace)

    def find_next(self, *, backward: bool = False) -> bool:
        self.revealRequested.emit()
        return self.find_bar.find_next(backward=backward)

    # -- live checking of edited text -----------------------------------------------------------
    def _text_edited(self) -> None:
        if self.has_local_edits:
            self._recheck.start()

    def _check_edited_text(self) -> None:
        if not self.has_local_edits:
            return
        path = str(self.document.path) if self.document.path is not None else MEMORY_PATH
        started = time.perf_counter()
        self.editor.set_diagnostics(
            assist.diagnose_text(self.editor.toPlainText(), path, base_dir=self.document.base_dir))
        # The check runs on the GUI thread (~0.4 s for a 7,000-line file): on big files,
        # wait for a longer pause so typing is not interrupted every few words.
        took_ms = (time.perf_counter() - started) * 1000
        self._recheck.setInterval(max(RECHECK_DELAY_MS, int(3 * took_ms)))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.highlighter.refresh_colours()

    def _update_buttons(self, modified: bool) -> None:
        self.apply_button.setEnabled(modified)
        self.revert_button.setEnabled(modified)
        if modified and not self.status.text():
            self.status.setText("Text edited: Apply to update the model.")

    def _show_errors(self, errors: list[Diagnostic]) -> None:
        """List the errors that kept Apply from working (the editor marks them in place)."""
        text = "\n".join(f"line {e.line}: {e.message}" for e in errors[:5])
        if errors:
            text = "Not applied - fix these first:\n" + text
        self.status.setText(text)
        self._update_buttons(self.has_local_edits)
