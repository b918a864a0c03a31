"""The request log: the engine's log events as a table, newest last.

Theory of operation
-------------------
The main window's QTimer drains the engine's bounded event deque (plain,
frozen ``LogEvent`` objects) and hands each batch to ``LogModel.append``.

The model is a ``QStandardItemModel`` holding ready-made cell texts, not a
Python ``QAbstractTableModel``: measured with ``bench/gui_engine.py``, a Python
model's ``data()`` was called ~90,000 times a second while the table repainted
(every visible cell, for every role), and each call takes the GIL from the
engine's thread: the GUI-hosted engine served less than half the requests of
the headless one.  With the texts in C++ items, painting runs no Python at all.

The model fills its cells itself (``setData``, the items cloned in C++ from a
read-only prototype), with its signals blocked, then announces a batch with one
``dataChanged``; once it holds ``capacity`` rows it never removes one: it is a
ring, the oldest rows take the newest events in place, and ``LogFilter`` shows
them in arrival order (``ARRIVAL_ROLE``, compared in C++).  Why, measured
offscreen on 2026-12-07 with a full log: rows of items built in Python cost
~165 us each to add (every item carries a Python wrapper) and, removed from the
top, up to ~100 us each to remove -- QStandardItemModel's per-item lookup hint
goes stale as rows shift, so the cost grew with every trim -- 280-300 us a row
in all; the ring costs 100-180 us a row, on the GUI thread and on the core the
window shares with whatever else runs.

The Python work left is per *shown* row, so it is bounded: a tick shows at most
``rows_per_update`` of its events (the newest; a tail of a busy log cannot be
read at 20,000 lines a second anyway) and counts the others, and the table
keeps the newest ``capacity`` rows.

Above the table a filter (any cell containing the text) and "Problems only"
(``session.is_notable``: an error status, a refusal, an abort) narrow what is
shown through a ``QSortFilterProxyModel``; its only Python, ``filterAcceptsRow``,
runs once per appended row and when the filter changes, never while painting.
"""

from __future__ import annotations

import html
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.sample_requests import send_in_background
from proxy.app.engine_wire import EVENTS_BURST, EVENTS_PER_S
from proxy.engine import LogEvent
from proxy.engine.session import is_notable

__all__ = ["ARRIVAL_ROLE", "COLUMNS", "NOTABLE_ROLE", "LogFilter", "LogModel", "LogView"]

NOTABLE_ROLE = Qt.ItemDataRole.UserRole + 1  # on a row's first item: is_notable(event)
ARRIVAL_ROLE = Qt.ItemDataRole.UserRole + 2  # on a row's first item: 0, 1, 2... as events came


def _route(event: LogEvent) -> str:
    return f"{event.backend}/{event.server}" if event.server else event.backend


def _request(event: LogEvent) -> str:
    return f"{event.method} {event.path}" if event.method else "(tcp)"


# (header, cell text) - one table instead of a column if-chain
COLUMNS: tuple[tuple[str, Callable[[LogEvent], str]], ...] = (
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


_DISPLAY, _TOOLTIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole


class LogModel(QStandardItemModel):
    """The newest ``capacity`` events, in a ring of rows: once full, the oldest rows are
    overwritten (their ``ARRIVAL_ROLE`` says in which order; ``LogFilter`` sorts by it)."""

    overwriting = Signal(int, int)  # (first row, count): rows about to take newer events

    # rows_per_update: what one tick lists (the newest; the rest are counted).  As many as
    # the engine's sampled stream sends in a burst, so a burst it sends is listed whole.
    def __init__(self, capacity: int = 2000, rows_per_update: int = EVENTS_BURST) -> None:
        super().__init__(0, len(COLUMNS))
        read_only = QStandardItem()  # what the model clones, in C++, for every cell it fills
        read_only.setEditable(False)
        self.setItemPrototype(read_only)
        self.capacity = capacity
        self.rows_per_update = rows_per_update
        self.not_shown = 0  # events of busy ticks that got no row
        self._oldest = 0  # once full: the row the next event overwrites
        self._arrivals = 0  # numbers the rows in arrival order (ARRIVAL_ROLE)
        self.setHorizontalHeaderLabels([header for header, _text in COLUMNS])

    def append(self, events: Sequence[LogEvent]) -> None:
        if not events:
            return
        keep = min(self.rows_per_update, self.capacity)
        shown = list(events)[-keep:]
        self.not_shown += len(events) - len(shown)
        free = self.capacity - self.rowCount()
        if free > 0:  # not full yet: new rows at the end
            new, shown = shown[:free], shown[free:]
            start = self.rowCount()
            self.insertRows(start, len(new))
            self._write(start, new)
        while shown:  # full: the oldest rows take the newest events, in place
            before_wrap = self.capacity - self._oldest
            piece, shown = shown[:before_wrap], shown[before_wrap:]
            self.overwriting.emit(self._oldest, len(piece))
            self._write(self._oldest, piece)
            self._oldest = (self._oldest + len(piece)) % self.capacity

    def _write(self, start: int, events: list[LogEvent]) -> None:
        """``events`` into the rows from ``start``: the cells are set with signals blocked,
        then announced by one ``dataChanged`` (see the module docstring for why)."""
        index, set_data = self.index, self.setData
        self.blockSignals(True)
        try:
            for row, event in enumerate(events, start):
                # The full log line as every cell's tooltip: the table shows one line per request.
                line = event.httplog() if event.status is not None else event.tcplog()
                for column, (_header, text) in enumerate(COLUMNS):
                    cell = index(row, column)
                    set_data(cell, text(event), _DISPLAY)
                    set_data(cell, line, _TOOLTIP)
                first = index(row, 0)
                set_data(first, is_notable(event.status, event.termination_state), NOTABLE_ROLE)
                set_data(first, self._arrivals, ARRIVAL_ROLE)
                self._arrivals += 1
        finally:
            self.blockSignals(False)
        self.dataChanged.emit(index(start, 0), index(start + len(events) - 1, len(COLUMNS) - 1), [])

    def count_unlisted(self, n: int) -> None:
        """``n`` requests the engine did not send (its record is sampled under load)."""
        self.not_shown += n

    def clear_rows(self) -> None:
        self.removeRows(0, self.rowCount())
        self.not_shown = 0
        self._oldest = 0


class LogFilter(QSortFilterProxyModel):
    """The rows whose cells contain the filter text (any column, any case), and with
    ``problems_only`` only the notable ones."""

    def __init__(self) -> None:
        super().__init__()
        self.problems_only = False
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(ARRIVAL_ROLE)  # oldest first, whichever row of the ring holds it
        self.sort(0, Qt.SortOrder.AscendingOrder)

    def set_problems_only(self, on: bool) -> None:
        if not hasattr(self, "beginFilterChange"):  # Qt < 6.9 (PySide6 >= 6.8 is allowed)
            self.problems_only = on
            self.invalidateFilter()
            return
        self.beginFilterChange()  # Qt 6.10 deprecates invalidateFilter() for this pair
        self.problems_only = on
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        source = self.sourceModel()
        if self.problems_only and not source.index(row, 0, parent).data(NOTABLE_ROLE):
            return False
        return super().filterAcceptsRow(row, parent)


class LogView(QWidget):
    def __init__(self, model: LogModel | None = None) -> None:
        super().__init__()
        self.model = model or LogModel()
        self.shown = LogFilter()
        self.shown.setSourceModel(self.model)
        self.model.overwriting.connect(self._deselect)
        self.table = QTableView()
        self.table.setModel(self.shown)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)  # one line per request; the tooltip has the full log line
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # From the font, not pixels: the columns fit their usual content at any font size,
        # and "Decided by" (the last, stretched) keeps the room that is left.
        metrics = self.table.fontMetrics()
        for column, sample in enumerate(("88:88:88", "127.0.0.1:65535", "frontend",
                                         "heavy/server4", "Status", "GET /heavywork",
                                         "Total ms", "Bytes", "State")):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 20)
        self.summary = QLabel()
        self.summary.setContentsMargins(6, 2, 6, 2)
        self.summary.setToolTip(
            f"While the embedded engine is busy, this list takes a sample: up to {EVENTS_PER_S:g} "
            f"requests a second (bursts of {EVENTS_BURST} whole), and as many errors, refusals "
            "and aborts on top, so they are never crowded out. Every other request is counted "
            "here, and still in the Traffic graphs and in log targets.")
        self.hint = QLabel()  # "try these URLs", when the window knows some (the demo)
        self.hint.setOpenExternalLinks(True)
        self.hint.setWordWrap(True)
        self.hint.setContentsMargins(6, 4, 6, 4)
        self.samples_button = QPushButton("Send sample requests")
        self.samples_button.setToolTip("GET each of these URLs twice, through the engine")
        self.samples_button.clicked.connect(lambda _checked=False: self.send_samples())
        self._sample_urls: list[str] = []
        offer = QHBoxLayout()
        offer.addWidget(self.hint, 1)
        offer.addWidget(self.samples_button)
        self.offer = QWidget()
        self.offer.setLayout(offer)
        offer.setContentsMargins(0, 0, 6, 0)
        self.offer.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.offer)
        layout.addLayout(self._filter_bar())
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        self._update_summary()

    def _filter_bar(self) -> QHBoxLayout:
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: a status, path, client, server or rule")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.set_filter)
        self.problems = QCheckBox("&Problems only")
        self.problems.setToolTip("Errors (status 400 and above), refusals, timeouts and aborts")
        self.problems.toggled.connect(self._show_problems_only)
        self.clear_button = QPushButton("C&lear")
        self.clear_button.setToolTip("Remove every row (the engine keeps serving)")
        self.clear_button.clicked.connect(lambda _checked=False: self.clear())
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.problems)
        bar.addWidget(self.clear_button)
        return bar

    def set_filter(self, text: str) -> None:
        self.shown.setFilterFixedString(text.strip())
        self._update_summary()

    def _show_problems_only(self, on: bool) -> None:
        self.shown.set_problems_only(on)
        self._update_summary()

    def clear(self) -> None:
        self.model.clear_rows()
        self._update_summary()

    def offer_samples(self, urls: Sequence[str], intro: str = "Try") -> None:
        """Show ``urls`` as links and a button that requests them (the demo's first traffic)."""
        self._sample_urls = list(urls)
        # The path as the link's text: the intro names the address once, the line stays short.
        links = " ".join(f'<a href="{html.escape(u)}">{html.escape(urllib.parse.urlsplit(u).path or "/")}</a>'
                         for u in urls)
        self.hint.setText(f"{html.escape(intro)}: {links}")
        self.offer.setVisible(bool(urls))

    def send_samples(self, rounds: int = 2) -> threading.Thread | None:
        """Request the offered URLs ``rounds`` times: twice shows round robin taking turns."""
        if not self._sample_urls:
            return None
        return send_in_background(self._sample_urls * rounds)

    def append(self, events: Sequence[LogEvent]) -> None:
        bar = self.table.verticalScrollBar()
        follow = bar is None or bar.value() >= bar.maximum() - 2
        self.model.append(events)
        if follow:  # keep showing the newest requests unless the user scrolled up
            self.table.scrollToBottom()
        self._update_summary()

    def count_unlisted(self, n: int) -> None:
        self.model.count_unlisted(n)
        self._update_summary()

    def _deselect(self, first: int, count: int) -> None:
        """A selected row about to take a newer event is deselected: the selection names
        the request the user picked, not whatever comes to sit in its row."""
        selection = self.table.selectionModel()
        if selection is None or not selection.hasSelection():
            return
        for row in range(first, first + count):
            shown = self.shown.mapFromSource(self.model.index(row, 0))
            if shown.isValid() and selection.isRowSelected(shown.row(), QModelIndex()):
                selection.select(shown, QItemSelectionModel.SelectionFlag.Deselect
                                 | QItemSelectionModel.SelectionFlag.Rows)

    def _update_summary(self) -> None:
        rows, skipped, shown = self.model.rowCount(), self.model.not_shown, self.shown.rowCount()
        if shown != rows:
            text = f"{shown:,} of {rows:,} request(s) shown (filtered), newest last"
        else:
            text = f"{rows:,} request(s) shown, newest last (hover a row for its full log line)"
        if skipped:
            text += f"; {skipped:,} more while busy were not listed"
        if self.summary.text() != text:
            self.summary.setText(text)
