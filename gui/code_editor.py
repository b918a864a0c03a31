"""The haproxy.cfg editing widget: a QPlainTextEdit with a gutter, markers, completion, hover docs.

Theory of operation
-------------------
* **Gutter** - Qt's "code editor" pattern: a child widget over the left viewport
  margin, repainted from ``updateRequest``; its width follows the number of
  digits of the last line number.  Each line shows its number and, left of it,
  the mark of its most serious diagnostic (``assist.line_marker``): error
  (filled circle with a cross), warning (triangle), engine refuses (slashed
  circle), engine ignores (dashed circle) - shapes, not only colours.
* **Markers** - ``set_diagnostics`` turns diagnostics into extra selections: a
  wavy underline (and a faint tint) under the word each error or warning points
  at, a faint whole-line tint for what the embedded engine refuses or ignores.  Hovering the line (or
  its gutter mark) shows the messages.
* **Assist** - completion and hover docs come from ``proxy.config.assist`` over
  the ``Config`` parsed from the text as it is now (see ``config``), so names
  typed a moment ago are offered too.
* **Columns** - diagnostics and the assist count a line in characters, Qt in
  UTF-16 units (an emoji is two): every crossing goes through ``gui.text_columns``.
* Colours are read at paint time from the palette and ``theme.syntax_colours``,
  so a light/dark switch repaints correctly (``refresh_colours``).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QHelpEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QStandardItem,
    QStandardItemModel,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QPlainTextEdit,
    QTextEdit,
    QToolTip,
    QWidget,
)

from gui.text_columns import column_of, position_of
from gui.theme import icon, syntax_colours
from proxy.config import assist
from proxy.config.model import Config, Diagnostic
from proxy.config.parser import parse

__all__ = ["CodeEditor"]

_MARK_ICONS = {"error": "error", "warning": "warning", "engine-refuses": "engine-refuses",
               "engine-ignores": "engine-ignores"}
_TIP_WIDTH = 90  # characters per tooltip line
_AUTO_COMPLETE_AFTER = 2  # letters of a line's first word before the popup opens by itself


class _Gutter(QWidget):
    """Line numbers and diagnostic marks, painted by the editor."""

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            line = self.editor.line_at_y(event.pos().y())
            marker = self.editor.markers.get(line) if line else None
            if marker is not None:
                QToolTip.showText(event.globalPos(), _rich(marker.tooltip), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)


def _mix(ink: QColor, paper: QColor, share: float) -> QColor:
    """``ink`` faded towards ``paper`` (solid, unlike PlaceholderText, which may be translucent)."""
    def channel(a: float, b: float) -> float:
        return a * share + b * (1 - share)

    return QColor.fromRgbF(channel(ink.redF(), paper.redF()), channel(ink.greenF(), paper.greenF()),
                           channel(ink.blueF(), paper.blueF()))


def _rich(text: str) -> str:
    """Tooltip HTML: synopses hold "<address>" and such, which plain text would lose to
    Qt's rich-text guess.  Lines are wrapped here (Qt wraps rich tooltips very narrow)."""
    lines = [part for line in text.splitlines() for part in (textwrap.wrap(line, _TIP_WIDTH) or [""])]
    return "<p style='white-space:pre'>" + "<br>".join(html.escape(line) for line in lines) + "</p>"


class CodeEditor(QPlainTextEdit):
    escapePressed = Signal()  # Esc, unless the completion popup took it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.markers: dict[int, assist.Marker] = {}
        self._diagnostics: list[Diagnostic] = []
        self._parsed: tuple[list[str], Config] | None = None  # (lines parsed, their model)
        self._completion_start = 0  # document position where the completed word starts
        self.gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _count: self._fit_gutter())
        self.updateRequest.connect(self._scroll_gutter)
        self.cursorPositionChanged.connect(self.gutter.update)  # the cursor's line number is bold
        self.completer = QCompleter(self)
        self.completer.setWidget(self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setModel(QStandardItemModel(self.completer))
        self.completer.activated.connect(self.insert_completion)  # the str overload
        self._fit_gutter()

    # -- gutter ------------------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = max(2, len(str(max(1, self.blockCount()))))
        metrics = self.fontMetrics()
        return 6 + self._mark_size() + 4 + metrics.horizontalAdvance("9") * digits + 8

    def _mark_size(self) -> int:
        return max(self.fontMetrics().height() - 2, 10)

    def _fit_gutter(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)
        self.gutter.update()

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())
        viewport = self.viewport()
        if viewport is not None and rect.contains(viewport.rect()):
            self._fit_gutter()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self.gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self.gutter)
        palette = self.palette()
        paper = palette.color(QPalette.ColorRole.Window)
        painter.fillRect(event.rect(), paper)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        right = self.gutter.width() - 1
        painter.drawLine(right, event.rect().top(), right, event.rect().bottom())
        ink = palette.color(QPalette.ColorRole.WindowText)
        faded = _mix(ink, paper, 0.6)  # other lines' numbers; the cursor's line gets full ink
        current = self.textCursor().blockNumber()
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                number = block.blockNumber()
                self._paint_line(painter, number + 1, top, ink if number == current else faded, number == current)
            block = block.next()
            top = bottom
        painter.end()

    def _paint_line(self, painter: QPainter, line: int, top: int, colour: QColor, bold: bool) -> None:
        """One line's number (right-aligned) and, left of it, its diagnostic mark."""
        height = self.fontMetrics().height()
        font = painter.font()
        font.setBold(bold)
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(0, top, self.gutter.width() - 8, height,
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(line))
        marker = self.markers.get(line)
        if marker is not None:
            mark = self._mark_size()
            icon(_MARK_ICONS[marker.kind]).paint(painter, QRect(6, top + (height - mark) // 2, mark, mark))

    def line_at_y(self, y: int) -> int:
        """The 1-based line shown at viewport height ``y`` (0 below the last line)."""
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        while block.isValid():
            bottom = top + self.blockBoundingRect(block).height()
            if top <= y < bottom:
                return block.blockNumber() + 1
            block = block.next()
            top = bottom
        return 0

    # -- diagnostics ---------------------------------------------------------------------------
    def set_diagnostics(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Mark every located diagnostic on its line (gutter mark, underline or tint)."""
        self._diagnostics = [d for d in diagnostics if d.line > 0]
        by_line: dict[int, list[Diagnostic]] = {}
        for diagnostic in self._diagnostics:
            by_line.setdefault(diagnostic.line, []).append(diagnostic)
        self.markers = {line: m for line, found in by_line.items() if (m := assist.line_marker(found))}
        self._show_markers()
        self.gutter.update()

    def _show_markers(self) -> None:
        colours = syntax_colours()
        selections = []
        for diagnostic in self._diagnostics:
            block = self.document().findBlockByNumber(diagnostic.line - 1)
            if not block.isValid():
                continue
            kind = assist.marker_kind(diagnostic)
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(block)
            if kind.startswith("engine-"):
                selection.format.setBackground(colours[kind])
                selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            else:
                start, length = assist.word_span(block.text(), diagnostic.col)  # characters
                cursor.setPosition(position_of(block, start))
                cursor.setPosition(position_of(block, start + length), QTextCursor.MoveMode.KeepAnchor)
                selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                selection.format.setUnderlineColor(colours[kind])
                tint = QColor(colours[kind])
                tint.setAlpha(40)  # Qt's wave is one thin pixel: a faint tint makes the word stand out
                selection.format.setBackground(tint)
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)

    def refresh_colours(self) -> None:
        """After a light/dark switch: markers and gutter take the new scheme's colours."""
        self._show_markers()
        self.gutter.update()

    # -- hover -------------------------------------------------------------------------------
    def tooltip_at(self, line: int, col: int) -> str | None:
        """Plain text: the line's diagnostics, then the doc of the word at character column ``col``."""
        parts = []
        marker = self.markers.get(line)
        if marker is not None:
            parts.append(marker.tooltip)
        block = self.document().findBlockByNumber(line - 1)
        doc = assist.hover_doc(self.config(), line, block.text(), col) if block.isValid() else None
        if doc:
            parts.append(doc)
        return "\n\n".join(parts) or None

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            cursor = self.cursorForPosition(event.pos())
            line = self.line_at_y(event.pos().y())  # 0 below the text: no tooltip there
            col = column_of(cursor)
            if self.cursorRect(cursor).x() > event.pos().x() and col > 1:
                col -= 1  # over the right half of a character: the cursor lands after it
            text = self.tooltip_at(line, col) if line == cursor.blockNumber() + 1 else None
            if text:
                QToolTip.showText(event.globalPos(), _rich(text), self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    # -- completion ------------------------------------------------------------------------------
    def config(self) -> Config:
        """The text, parsed.  The assist reads the cursor's own line from the editor, so a
        model whose other lines match the text is still good: typing on one line, or moving
        about, parses nothing again (a 7,000-line file takes ~150 ms to parse)."""
        lines = self.toPlainText().split("\n")
        if self._parsed is not None:
            seen, model = self._parsed
            here = self.textCursor().blockNumber()
            if len(seen) == len(lines) and seen[:here] == lines[:here] and seen[here + 1:] == lines[here + 1:]:
                return model
        model = parse("\n".join(lines)).config
        self._parsed = (lines, model)
        return model

    def completions_here(self) -> assist.CompletionResult:
        cursor = self.textCursor()
        block = cursor.block()
        return assist.completions(self.config(), block.blockNumber() + 1, block.text(), column_of(cursor))

    def completion_items(self) -> list[str]:
        """What the completion popup lists now."""
        model = self.completer.completionModel()
        return [str(model.index(row, 0).data()) for row in range(model.rowCount())]

    def complete_here(self, *, forced: bool = True) -> bool:
        """Open (or update) the popup for the word at the cursor; False when nothing fits.

        Unforced (while typing) it opens only on a line's first word, 2+ letters in."""
        popup = self._popup()
        result = self.completions_here()
        first_word = self.textCursor().block().text()[: result.start - 1].strip() == ""
        wanted = forced or popup.isVisible() or (first_word and len(result.prefix) >= _AUTO_COMPLETE_AFTER)
        items = [c for c in result.items if forced or c.text != result.prefix]
        if not wanted or not items:
            popup.hide()
            return False
        self._fill_model(items)
        self._completion_start = position_of(self.textCursor().block(), result.start)
        self.completer.setCompletionPrefix(result.prefix)
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        start = QTextCursor(self.document())
        start.setPosition(self._completion_start)
        rect = self.cursorRect(start)
        widest = max(popup.fontMetrics().horizontalAdvance(c.text) for c in items)
        scrollbar = popup.verticalScrollBar()
        rect.setWidth(widest + (scrollbar.sizeHint().width() if scrollbar is not None else 0) + 24)
        self.completer.complete(rect)
        return True

    def _popup(self) -> QAbstractItemView:
        popup = self.completer.popup()
        assert popup is not None  # QCompleter makes its popup on first use
        return popup

    def _fill_model(self, items: Iterable[assist.Completion]) -> None:
        model = self.completer.model()
        assert isinstance(model, QStandardItemModel)
        model.clear()
        for completion in items:
            item = QStandardItem(completion.text)
            item.setToolTip(f"{completion.kind}: {completion.detail}" if completion.detail else completion.kind)
            item.setData(completion.kind, Qt.ItemDataRole.UserRole)
            model.appendRow(item)

    def insert_completion(self, text: str) -> None:
        cursor = self.textCursor()
        cursor.beginEditBlock()
        cursor.setPosition(self._completion_start, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text)
        after = self.document().characterAt(cursor.position())
        if after not in (" ", "\t") and not text.endswith("("):
            cursor.insertText(" ")  # ready for the next word, as after typing one
        cursor.endEditBlock()
        self.setTextCursor(cursor)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self._popup()
        if popup.isVisible() and event.key() in (Qt.Key.Key_Enter, Qt.Key.Key_Return, Qt.Key.Key_Escape,
                                                 Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            event.ignore()  # the completer takes these
            return
        if event.key() == Qt.Key.Key_Escape:
            self.escapePressed.emit()  # the text view closes its find bar
        control = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)
        if event.key() == Qt.Key.Key_Space and control:
            self.complete_here(forced=True)
            return
        super().keyPressEvent(event)
        typed = event.text()
        if popup.isVisible() or (typed and typed.isprintable() and not typed.isspace() and not control):
            self.complete_here(forced=False)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.refresh_colours()
