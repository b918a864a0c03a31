"""Settings forms with provenance: each field says where its value comes from and what it affects.

Theory of operation
-------------------
The defaults, global and default-server forms lay their fields out as rows
of a ``SettingsGrid``: a label, the field, and an *info* line such as "set
here, line 5 · used by 3 backends" or "2s from defaults base line 3".  The
info is never computed here: a row gives a *reader* -- a function of a
``ProxyMeaning`` (``lambda m: m.timeout("client")``) or of the config (for
``global``) returning a semantic ``Value`` -- and the grid words its
``Source`` and, for a defaults section, ``semantics.takers``: the proxies
that really get this value (not those that set their own or inherit it from
a nearer defaults section), restricted by the registry to the section kinds
the keyword has an effect in.  The semantic description is computed once
per document change (``SettingsCache``), not once per field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.editors.widgets import REFUSED_COLOR, Draft, SectionEditor, keyword_tip, split_words
from proxy.config.build import node_from_words
from proxy.config.model import Config, Section, Statement
from proxy.config.semantics import ProxyMeaning, Semantics, Value, describe, meaning_of, takers

__all__ = [
    "LogTargets",
    "Reader",
    "SettingsCache",
    "SettingsGrid",
    "log_target_problem",
    "source_text",
    "usage_text",
]

Reader = Callable[[ProxyMeaning], Value[Any] | None]
_PLURALS = {"frontend": "frontends", "backend": "backends", "listen": "listens", "defaults": "defaults sections"}


def usage_text(meanings: list[ProxyMeaning]) -> str:
    """``used by 1 frontend and 3 backends`` (``used by no section`` for none)."""
    if not meanings:
        return "used by no section"
    counts = Counter(m.section.kind for m in meanings)
    parts = [f"{n} {kind if n == 1 else _PLURALS.get(kind, kind)}" for kind, n in counts.items()]
    return "used by " + (" and ".join(parts) if len(parts) < 3 else ", ".join(parts))


def source_text(value: Value[Any] | None, section: Section) -> str:
    """``set here, line 5``, ``from defaults base line 3``, ``HAProxy's default``, ``not set``."""
    if value is None:
        return "not set"
    if value.source.section is section:
        line = value.source.line
        return f"set here, line {line}" if line else "set here"
    return value.source.describe() if value.builtin else f"from {value.source.describe()}"


class SettingsCache:
    """The config's semantic description and one section's meaning, computed once per
    change (``Document.revision``)."""

    def __init__(self, editor: SectionEditor) -> None:
        self.editor = editor
        self._semantics: Semantics | None = None
        self._meaning: ProxyMeaning | None = None
        self._revision = -1

    def _fresh(self) -> None:
        if self._revision != self.editor.document.revision:
            self._semantics = self._meaning = None
            self._revision = self.editor.document.revision

    def semantics(self) -> Semantics:
        self._fresh()
        if self._semantics is None:
            self._semantics = describe(self.editor.document.config)
        return self._semantics

    def meaning(self, section: Section) -> ProxyMeaning:
        self._fresh()
        if self._meaning is None or self._meaning.section is not section:
            self._meaning = meaning_of(self.editor.document.config, section)
        return self._meaning

    def info(self, section: Section, read: Reader, keyword: str) -> str:
        """Where the value comes from, and -- for a defaults section -- who gets it."""
        value = read(self.meaning(section))
        if value is None or value.builtin:
            return ""  # the field's own hint says what applies ("not set: as client", "1 (HAProxy's default)")
        where = source_text(value, section)
        if section.kind != "defaults":
            return where
        return f"{where} · {usage_text(takers(self.semantics(), section, read, keyword))}"


class SettingsGrid(QGroupBox):
    """A group of rows: label and field, the field's info line (greyed, small) under it."""

    def __init__(self, title: str, editor: SectionEditor, cache: SettingsCache) -> None:
        super().__init__(title)
        self.editor, self.cache = editor, cache
        self.grid = QGridLayout(self)
        self.grid.setColumnStretch(1, 1)
        self.grid.setVerticalSpacing(2)
        self.infos: dict[str, QLabel] = {}

    def add_row(self, label: str, field: QWidget, *, keyword: str = "", read: Reader | None = None,
                info: Callable[[Config, Section], str] | None = None) -> QLabel:
        """Add a row; its info line follows ``read`` (a semantic reader) or ``info``."""
        row = self.grid.rowCount()
        name = QLabel(label)
        name.setToolTip(keyword_tip(keyword) if keyword else "")
        note = QLabel()
        note.setWordWrap(True)
        note.setEnabled(False)  # greyed: it describes the value, it is not one
        # the info goes under its field, so the field keeps the row's whole width
        self.grid.addWidget(name, row, 0)
        self.grid.addWidget(field, row, 1)
        self.grid.addWidget(note, row + 1, 1)
        self.infos[label] = note

        def show(config: Config, section: Section) -> None:
            text = info(config, section) if info is not None else (
                self.cache.info(section, read, keyword) if read is not None else "")
            note.setText(f"<small>{text}</small>")
            note.setVisible(bool(text))

        self.editor.add_hint(show)
        return note

    def add_wide(self, widget: QWidget) -> None:
        self.grid.addWidget(widget, self.grid.rowCount(), 0, 1, 2)


# --- log targets ----------------------------------------------------------------------------------


def log_target_problem(text: str) -> str | None:
    """A ``log`` line's arguments: ``global``, or an address and a facility at least."""
    words = split_words(text)
    if not words:
        return "type a target, e.g. global, or 127.0.0.1:514 local0"
    if words == ["global"] or words[0] == "stdout" or words[0] == "stderr":
        return None if len(words) > 1 or words == ["global"] else f"{words[0]} needs a facility, e.g. {words[0]} format raw local0"
    if len(words) < 2:
        return f"'{words[0]}' needs a facility after it, e.g. {words[0]} local0"
    return None


class LogTargets(QWidget):
    """The ``log`` lines of a section, one row each (the words after ``log``): add, edit, remove.
    A row the check refuses stays as typed, marked, and is not written: a ``Draft`` over its
    ``log`` statement, dropped once the document replaces that line (undo, Apply text)."""

    def __init__(self, editor: SectionEditor, placeholder: str) -> None:
        super().__init__()
        self.editor = editor
        self.table = QTableWidget(0, 1)
        self.table.setHorizontalHeaderLabels(["Log target"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setToolTip(keyword_tip("log"))
        rows = self.fontMetrics().height() + 10
        self.table.verticalHeader().setDefaultSectionSize(rows)
        self.table.setMinimumHeight(rows * 3 + 4)
        self.table.setMaximumHeight(rows * 4 + 4)
        self.table.itemChanged.connect(self._edited)
        self.add_button = QPushButton("Add target")
        self.add_button.setToolTip(placeholder)
        self.add_button.clicked.connect(self.add_target)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {REFUSED_COLOR};")
        self.message.hide()
        self.placeholder = placeholder
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._refusing: dict[int, Draft] = {}  # row -> the refused text typed there
        editor.add_hint(lambda _config, section: self.load(section))

    def _lines(self, section: Section) -> list[Statement]:
        return [s for s in section.body if s.words[:1] == ["log"]]

    def load(self, section: Section) -> None:
        statements = self._lines(section)
        lines = [" ".join(s.words[1:]) for s in statements]
        self._refusing = {row: draft for row, draft in self._refusing.items()
                          if row < len(lines) and draft.covers(statements[row], lines[row])}
        if self._refusing:
            self.message.setText(f"Log target not saved: {next(iter(self._refusing.values())).reason}.")
        self.message.setVisible(bool(self._refusing))
        self.table.blockSignals(True)
        self.table.setRowCount(len(lines))
        for row, text in enumerate(lines):
            if row in self._refusing:
                continue  # a refused row keeps what was typed
            item = self.table.item(row, 0)
            if item is None or item.text() != text or item.toolTip():  # a tooltip: a dropped draft's
                self.table.setItem(row, 0, QTableWidgetItem(text))
        self.table.blockSignals(False)

    def _edited(self, item: QTableWidgetItem) -> None:
        row, text = item.row(), item.text()
        problem = log_target_problem(text)
        self.table.blockSignals(True)
        item.setForeground(self.palette().text() if problem is None else _refused_brush())
        item.setToolTip(f"Not saved: {problem}" if problem else "")
        self.table.blockSignals(False)
        if problem is not None:
            section = self.editor.section()
            lines = self._lines(section) if section is not None else []
            if row < len(lines):
                over = " ".join(lines[row].words[1:])
                self._refusing[row] = Draft(text, problem, lines[row], over)
            self.message.setText(f"Log target not saved: {problem}.")
            self.message.show()
            return
        self._refusing.pop(row, None)
        self.message.setVisible(bool(self._refusing))

        def change(section: Section) -> None:
            lines = self._lines(section)
            if row < len(lines):
                lines[row].node = node_from_words(["log", *split_words(text)], proxy_section=section.is_proxy)

        self.editor.edit("Set log target", change)

    def add_target(self) -> None:
        words = split_words(self.placeholder)

        def change(section: Section) -> None:
            node = node_from_words(["log", *words], proxy_section=section.is_proxy)
            lines = self._lines(section)
            if lines:
                section.add(node, after=lines[-1])
            else:
                section.body.insert(_after_settings(section), Statement(node))

        self.editor.edit("Add log target", change)
        row = self.table.rowCount() - 1
        item = self.table.item(row, 0) if row >= 0 else None
        if item is not None:
            self.table.setCurrentCell(row, 0)
            self.table.editItem(item)

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)

        def change(section: Section) -> None:
            lines = self._lines(section)
            for row in rows:
                if row < len(lines):
                    section.remove(lines[row])

        if rows:
            for row in rows:
                self._refusing.pop(row, None)
            self.message.setVisible(bool(self._refusing))
            self.editor.edit("Remove log target", change)


def _after_settings(section: Section) -> int:
    """Where a first ``log`` line goes: after the mode line when there is one, else at the end."""
    modes = [i for i, s in enumerate(section.body) if s.words[:1] == ["mode"]]
    return modes[-1] + 1 if modes else section.insertion_point()


def _refused_brush() -> QBrush:
    return QBrush(QColor(REFUSED_COLOR))
