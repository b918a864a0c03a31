"""The request log: the engine's log events as a table, newest last.

The main window's QTimer drains the engine's bounded event deque (plain,
frozen ``LogEvent`` objects) and hands each batch to ``LogModel.append``,
which appends rows and drops the oldest beyond ``capacity`` - so a busy
engine costs the GUI one insert/remove pair per tick, never per request.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from proxy.engine import LogEvent

__all__ = ["LogModel", "LogView"]

AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def _route(event: LogEvent) -> str:
    return f"{event.backend}/{event.server}" if event.server else event.backend


def _request(event: LogEvent) -> str:
    return f"{event.method} {event.path}" if event.method else "(tcp)"


# (header, cell text) - one table instead of a column if-chain
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("Time", lambda e: time.strftime("%H:%M:%S", time.localtime(e.time))),
    ("Client", lambda e: f"{e.client[0]}:{e.client[1]}"),
    ("Frontend", lambda e: e.frontend),
    ("Backend/server", _route),
    ("Status", lambda e: "" if e.status is None else str(e.status)),
    ("Request", _request),
    ("Total ms", lambda e: str(e.timings.Ta)),
    ("Bytes", lambda e: str(e.bytes_out)),
    ("State", lambda e: e.termination_state),
    ("Decided by", lambda e: e.rule),
)


class LogModel(QAbstractTableModel):
    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self.capacity = capacity
        self._events: list[LogEvent] = []

    def append(self, events: Sequence[LogEvent]) -> None:
        if not events:
            return
        events = list(events)[-self.capacity :]
        overflow = len(self._events) + len(events) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(_ROOT, 0, overflow - 1)
            del self._events[:overflow]
            self.endRemoveRows()
        first = len(self._events)
        self.beginInsertRows(_ROOT, first, first + len(events) - 1)
        self._events.extend(events)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._events.clear()
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._events)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self._events[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[index.column()][1](event)
        if role == Qt.ItemDataRole.ToolTipRole:
            return event.httplog() if event.status is not None else event.tcplog()
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section][0]
        return None


class LogView(QWidget):
    def __init__(self, model: LogModel | None = None) -> None:
        super().__init__()
        self.model = model or LogModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)  # one line per request; the tooltip has the full log line
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((70, 130, 80, 140, 55, 170, 70, 60, 50)):
            self.table.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def append(self, events: Sequence[LogEvent]) -> None:
        bar = self.table.verticalScrollBar()
        follow = bar is None or bar.value() >= bar.maximum() - 2
        self.model.append(events)
        if follow:  # keep showing the newest requests unless the user scrolled up
            self.table.scrollToBottom()
