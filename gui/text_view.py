"""The haproxy.cfg text view: the text the model writes, highlighted, editable.

The view shows ``document.text`` and follows every model change as long as the
user has no unapplied edits of their own.  "Apply text" hands the text to
``Document.set_text``: parse errors are underlined in place and listed under
the editor, and the model stays untouched until the text parses.

The highlighter reads the keyword registry: section headers, statement
keywords (the longest multi-word match, as HAProxy's parser does), comments,
quoted strings, ``if``/``unless`` conditions and time/number values.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from gui.document import Document
from gui.theme import syntax_colours
from proxy.config import keywords as kw
from proxy.config.model import Diagnostic

__all__ = ["ConfigHighlighter", "TextView"]

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
                self.setFormat(match.start(), match.end() - match.start(), self.formats[name])
        if comment_at is not None:
            self.setFormat(comment_at, len(text) - comment_at, self.formats["comment"])

    def _highlight_statement(self, code: str, words: list[re.Match[str]]) -> None:
        first = words[0]
        if first.group() in kw.SECTION_KINDS and not code[: first.start()].strip():
            self.setFormat(first.start(), len(code) - first.start(), self.formats["section"])
            return
        keyword, count = kw.lookup([w.group() for w in words])
        if keyword is not None and count == 0:
            count = len(keyword.name.split())
        if keyword is not None:
            end = words[min(count, len(words)) - 1].end()
            self.setFormat(first.start(), end - first.start(), self.formats["keyword"])


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
    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.editor = QPlainTextEdit()
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setMinimumSize(400, 200)
        self.highlighter = ConfigHighlighter(self.editor.document())
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
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        self.editor.document().modificationChanged.connect(self._update_buttons)
        document.changed.connect(self._model_changed)
        self.reload()

    @property
    def has_local_edits(self) -> bool:
        return self.editor.document().isModified()

    def _model_changed(self) -> None:
        if not self.has_local_edits:
            self.reload()

    def reload(self) -> None:
        """Show the model's text (keeping the scroll position)."""
        bar = self.editor.verticalScrollBar()
        position = bar.value() if bar is not None else 0
        self.editor.setPlainText(self.document.text)
        self.editor.document().setModified(False)
        if bar is not None:
            bar.setValue(position)
        self._show_errors([])

    def apply(self) -> list[Diagnostic]:
        errors = self.document.set_text(self.editor.toPlainText())
        if errors:
            self._show_errors(errors)
            return errors
        self.reload()
        return []

    def go_to_line(self, line: int) -> None:
        block = self.editor.document().findBlockByLineNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        self.editor.setTextCursor(cursor)
        self.editor.centerCursor()
        self.editor.setFocus()

    def _update_buttons(self, modified: bool) -> None:
        self.apply_button.setEnabled(modified)
        self.revert_button.setEnabled(modified)
        if modified and not self.status.text():
            self.status.setText("Text edited: Apply to update the model.")

    def _show_errors(self, errors: list[Diagnostic]) -> None:
        selections = []
        colour = syntax_colours()["error"]
        for error in errors:
            block = self.editor.document().findBlockByLineNumber(max(error.line - 1, 0))
            selection = QTextEdit.ExtraSelection()
            selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            selection.format.setUnderlineColor(colour)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = QTextCursor(block)
            selection.cursor.select(QTextCursor.SelectionType.LineUnderCursor)
            selections.append(selection)
        self.editor.setExtraSelections(selections)
        text = "\n".join(f"line {e.line}: {e.message}" for e in errors[:5])
        if errors:
            text = "Not applied - fix these first:\n" + text
        self.status.setText(text)
        self._update_buttons(self.has_local_edits)
