"""The generic section editor: a section's statements as editable text lines.

Used for every section kind without a dedicated form (global, userlist,
resolvers, peers, ...).  Each row is one body statement as it would be
written; editing a row re-parses that one line in the section's context, so
the model stays typed (a ``server`` line becomes a ``Server`` node again).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.document import Document
from proxy.config import keywords as kw
from proxy.config.model import Config, Section, Statement
from proxy.config.parser import parse
from proxy.config.writer import render_statement


def parse_line(kind: str, line: str) -> Statement:
    """One body line parsed as it would be inside a ``kind`` section."""
    header = kind if kind in kw.SECTION_KINDS else "global"
    parsed = parse(f"{header} x\n    {line.strip()}\n").config
    body = parsed.sections[0].body
    stmt = body[0] if body else Statement()
    stmt.origin = None  # a new line: the writer renders it with the section's indentation
    return stmt


class GenericSectionEditor(QWidget):
    def __init__(self, document: Document, kind: str, name: str | None) -> None:
        super().__init__()
        self.document, self.kind, self.name = document, kind, name
        self._refreshing = False
        title = QLabel(f"<b>{kind}</b> {name or ''}")
        self.table = QTableWidget(0, 1)
        self.table.setHorizontalHeaderLabels(["Statement"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumSize(360, 200)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.itemChanged.connect(self._row_edited)
        add = QPushButton("Add line")
        add.clicked.connect(self.add_line)
        remove = QPushButton("Remove line")
        remove.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        document.changed.connect(self.refresh)
        self.refresh()

    def _section(self, config: Config | None = None) -> Section | None:
        return (config or self.document.config).find(self.kind, self.name)

    def refresh(self) -> None:
        section = self._section()
        body = section.body if section is not None else []
        self._refreshing = True
        try:
            self.table.setRowCount(len(body))
            for row, stmt in enumerate(body):
                text = render_statement(stmt, "", "").strip()
                item = QTableWidgetItem(text)
                keyword, _count = kw.lookup(stmt.words) if stmt.words else (None, 0)
                if keyword is not None:
                    item.setToolTip(f"{keyword.name} {keyword.synopsis}\n{keyword.doc}")
                self.table.setItem(row, 0, item)
        finally:
            self._refreshing = False

    def _row_edited(self, item: QTableWidgetItem) -> None:
        if self._refreshing:
            return
        row, text = item.row(), item.text()

        def mutate(config: Config) -> None:
            section = self._section(config)
            if section is not None and row < len(section.body):
                section.body[row] = parse_line(self.kind, text)

        self.document.edit(f"Edit line in {self.kind} {self.name or ''}".strip(), mutate)

    def add_line(self) -> None:
        def mutate(config: Config) -> None:
            section = self._section(config)
            if section is not None:
                section.body.insert(section.insertion_point(), parse_line(self.kind, "# new line"))

        self.document.edit("Add line", mutate)
        last = self.table.rowCount() - 1
        self.table.setCurrentCell(last, 0)
        item = self.table.item(last, 0)
        if item is not None:  # None when there is no row (the section is gone)
            self.table.editItem(item)

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)

        def mutate(config: Config) -> None:
            section = self._section(config)
            for row in rows:
                if section is not None and row < len(section.body):
                    del section.body[row]

        if rows:
            self.document.edit("Remove line", mutate)

