"""The text editor's inline Find / Replace bar.

Searching uses ``QTextDocument.find`` (positions in the document's own units, so
the count and the selection agree whatever the text holds) and always wraps
around.  Replacing edits through a ``QTextCursor``, exactly as typing does: the
edits land on the editor's own undo stack (Ctrl+Z in the editor) and reach the
``Document`` when the user applies the text.  Replace all is one edit block, so
one Ctrl+Z restores the text.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

__all__ = ["FindBar"]


class FindBar(QWidget):
    def __init__(self, editor: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.find_field = QLineEdit()
        self.find_field.setPlaceholderText("Find")
        self.find_field.setClearButtonEnabled(True)
        self.replace_field = QLineEdit()
        self.replace_field.setPlaceholderText("Replace with")
        self.case_box = QCheckBox("Match case")
        self.previous_button = QPushButton("Previous")
        self.previous_button.setToolTip("Previous match (Shift+F3, Shift+Enter)")
        self.next_button = QPushButton("Next")
        self.next_button.setToolTip("Next match (F3, Enter)")
        self.replace_button = QPushButton("Replace")
        self.replace_all_button = QPushButton("Replace all")
        self.replace_all_button.setToolTip("Replace every match (one undo step)")
        self.status = QLabel()
        self.status.setMinimumWidth(self.status.fontMetrics().horizontalAdvance("999 of 999 (wrapped)"))
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Close (Esc)")
        self.replace_label = QLabel("Replace:")
        self._layout()
        self._connect()
        self.hide()

    def _layout(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setVerticalSpacing(2)
        grid.addWidget(QLabel("Find:"), 0, 0)
        grid.addWidget(self.find_field, 0, 1)
        grid.addWidget(self.previous_button, 0, 2)
        grid.addWidget(self.next_button, 0, 3)
        grid.addWidget(self.case_box, 0, 4)
        grid.addWidget(self.status, 0, 5)
        grid.addWidget(self.close_button, 0, 6)
        grid.addWidget(self.replace_label, 1, 0)
        grid.addWidget(self.replace_field, 1, 1)
        grid.addWidget(self.replace_button, 1, 2)
        grid.addWidget(self.replace_all_button, 1, 3)
        grid.setColumnStretch(1, 1)

    def _connect(self) -> None:
        self.find_field.textEdited.connect(lambda _text: self._search_from(self._selection_start()))
        self.find_field.installEventFilter(self)
        self.replace_field.returnPressed.connect(self.replace_current)
        self.case_box.toggled.connect(lambda _on: self._search_from(self._selection_start()))
        self.previous_button.clicked.connect(lambda: self.find_next(backward=True))
        self.next_button.clicked.connect(lambda: self.find_next())
        self.replace_button.clicked.connect(self.replace_current)
        self.replace_all_button.clicked.connect(self.replace_all)
        self.close_button.clicked.connect(self.close_bar)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.close_bar)

    # -- opening and closing ---------------------------------------------------------------
    @property
    def replacing(self) -> bool:
        return not self.replace_field.isHidden()

    def open_find(self, *, replace: bool = False) -> None:
        """Show the bar (with the replace row if ``replace``), seeded with the selected text."""
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:  # a multi-line selection is no search term
            self.find_field.setText(selected)
        for widget in (self.replace_label, self.replace_field, self.replace_button, self.replace_all_button):
            widget.setVisible(replace)
        self.show()
        field = self.replace_field if replace and self.find_field.text() else self.find_field
        field.setFocus()
        field.selectAll()
        self._update_status()

    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()

    # -- searching ---------------------------------------------------------------------------
    def _flags(self, backward: bool = False) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if self.case_box.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        return flags

    def _selection_start(self) -> int:
        return self.editor.textCursor().selectionStart()

    def _search_from(self, position: int, backward: bool = False) -> bool:
        """Select the next match from ``position`` (wrapping around); False when there is none."""
        term = self.find_field.text()
        document = self.editor.document()
        if not term:
            self._update_status()
            return False
        found = document.find(term, position, self._flags(backward))
        wrapped = found.isNull()
        if wrapped:
            found = document.find(term, document.characterCount() if backward else 0, self._flags(backward))
        if found.isNull():
            self._update_status()
            return False
        self.editor.setTextCursor(found)
        self.editor.ensureCursorVisible()
        self._update_status(wrapped)
        return True

    def find_next(self, *, backward: bool = False) -> bool:
        if self.isHidden() or not self.find_field.text():
            self.open_find(replace=self.replacing and not self.isHidden())
            if not self.find_field.text():
                return False
        cursor = self.editor.textCursor()
        return self._search_from(cursor.selectionStart() if backward else cursor.selectionEnd(), backward)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the find field: next match; Shift+Enter: previous."""
        if watched is self.find_field and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.find_next(backward=bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            return True
        return super().eventFilter(watched, event)

    def matches(self) -> list[tuple[int, int]]:
        """(start, end) of every match, in document order."""
        term = self.find_field.text()
        document = self.editor.document()
        found: list[tuple[int, int]] = []
        if not term:
            return found
        cursor = document.find(term, 0, self._flags())
        while not cursor.isNull():
            found.append((cursor.selectionStart(), cursor.selectionEnd()))
            cursor = document.find(term, cursor.selectionEnd(), self._flags())
        return found

    def _current_is_match(self) -> bool:
        cursor = self.editor.textCursor()
        return (cursor.selectionStart(), cursor.selectionEnd()) in self.matches() if cursor.hasSelection() else False

    def _update_status(self, wrapped: bool = False) -> None:
        if not self.find_field.text():
            self.status.setText("")
            return
        found = self.matches()
        cursor = self.editor.textCursor()
        current = (cursor.selectionStart(), cursor.selectionEnd())
        if not found:
            self.status.setText("not found")
        elif current in found:
            self.status.setText(f"{found.index(current) + 1} of {len(found)}" + (" (wrapped)" if wrapped else ""))
        else:
            self.status.setText(f"{len(found)} matches")

    # -- replacing ------------------------------------------------------------------------------
    def replace_current(self) -> bool:
        """Replace the selected match (if the selection is one), then select the next match."""
        if self._current_is_match():
            self.editor.textCursor().insertText(self.replace_field.text())
        return self.find_next()

    def replace_all(self) -> int:
        """Replace every match as one edit block (one undo step); returns how many."""
        term, replacement = self.find_field.text(), self.replace_field.text()
        document = self.editor.document()
        if not term:
            return 0
        editing = QTextCursor(document)
        editing.beginEditBlock()
        count = 0
        found = document.find(term, 0, self._flags())
        while not found.isNull():
            editing.setPosition(found.selectionStart())
            editing.setPosition(found.selectionEnd(), QTextCursor.MoveMode.KeepAnchor)
            editing.insertText(replacement)  # continue after it: a replacement holding the term is not re-found
            count += 1
            found = document.find(term, editing.position(), self._flags())
        editing.endEditBlock()
        self.status.setText(f"replaced {count}" if count else "not found")
        return count
