"""The request log: rows from engine events, bounded per update and in total, and the demo's offer."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from PySide6.QtCore import Qt

from gui.log_view import COLUMNS, LogModel, LogView
from proxy.engine import LogEvent
from proxy.engine.session import Timings


def _event(n: int, status: int | None = 200) -> LogEvent:
    return LogEvent(time=1_700_000_000.0 + n, client=("127.0.0.1", 40000 + n), frontend="main",
                    backend="light", server=f"server{n % 2 + 1}", status=status, bytes_in=0,
                    bytes_out=100 + n, timings=Timings(0, 0, 1, 2, 3 + n), rule="use_backend light",
                    termination_state="--", method="GET" if status else "", path=f"/p{n}")


def test_rows_show_the_event_and_its_log_line(qtmodeltester: Any) -> None:
    model = LogModel()
    qtmodeltester.check(model)
    model.append([_event(1), _event(2, status=None)])
    assert model.rowCount() == 2 and model.columnCount() == len(COLUMNS)
    header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    row = {h: model.index(0, c).data() for c, h in enumerate(header)}
    assert row["Backend/server"] == "light/server2" and row["Status"] == "200"
    assert row["Request"] == "GET /p1" and row["Total ms"] == "4" and row["Client"] == "127.0.0.1:40001"
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == _event(1).httplog()
    assert model.index(1, 5).data() == "(tcp)"
    assert model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) == _event(2, None).tcplog()
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable


def test_a_busy_batch_shows_its_newest_events_and_counts_the_rest(qtbot: Any) -> None:
    view = LogView(LogModel(capacity=30, rows_per_update=10))
    qtbot.addWidget(view)
    view.append([_event(n) for n in range(25)])
    assert view.model.rowCount() == 10 and view.model.not_shown == 15
    assert _shown(view)[-1] == "GET /p24"  # newest last
    for start in range(100, 130, 10):
        view.append([_event(n) for n in range(start, start + 10)])
    assert view.model.rowCount() == 30  # capacity: the oldest rows went
    assert _shown(view) == [f"GET /p{n}" for n in range(100, 130)]


def test_a_full_log_keeps_the_newest_rows_in_order_and_filters_them(qtbot: Any) -> None:
    """Once full, rows are reused in a ring (see gui/log_view.py): what the table shows
    must still be the newest ``capacity`` requests, oldest first, filtered as typed."""
    view = LogView(LogModel(capacity=7, rows_per_update=5))
    qtbot.addWidget(view)
    sent = 0
    for batch in (3, 5, 4, 5, 2, 5, 1, 5):  # wraps the ring several times, at odd offsets
        view.append([_event(n) for n in range(sent, sent + batch)])
        sent += batch
        assert _shown(view) == [f"GET /p{n}" for n in range(max(0, sent - 7), sent)]
    assert view.model.rowCount() == 7
    qtbot.keyClicks(view.filter, "/p25")
    assert _shown(view) == ["GET /p25"]
    view.filter.clear()
    qtbot.keyClicks(view.filter, "/p1")  # /p1, /p10../p19 went with their rows
    assert _shown(view) == []
    view.filter.clear()
    view.model.clear_rows()
    view.append([_event(n) for n in range(100, 103)])
    assert _shown(view) == ["GET /p100", "GET /p101", "GET /p102"]


def test_a_selected_row_is_deselected_when_its_request_ages_out(qtbot: Any) -> None:
    view = LogView(LogModel(capacity=4, rows_per_update=4))
    qtbot.addWidget(view)
    view.append([_event(n) for n in range(4)])
    view.table.selectRow(3)  # GET /p3, the newest
    view.append([_event(n) for n in range(4, 7)])  # /p0../p2 make room: /p3 stays selected
    selected = {view.shown.index(i.row(), 5).data() for i in view.table.selectionModel().selectedRows()}
    assert selected == {"GET /p3"}
    view.append([_event(7)])  # /p3's row takes /p7
    assert not view.table.selectionModel().hasSelection()


class _Counting(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(403 if self.path == "/admin" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[tuple[int, list[str]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    server.daemon_threads = True
    _Counting.paths = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.server_address[1], _Counting.paths
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_offered_samples_are_links_and_the_button_requests_them(
    qtbot: Any, counting_server: tuple[int, list[str]]
) -> None:
    port, paths = counting_server
    view = LogView()
    qtbot.addWidget(view)
    view.show()
    assert view.offer.isHidden() and view.send_samples() is None  # nothing offered: no button
    urls = [f"http://127.0.0.1:{port}{p}" for p in ("/", "/admin")]
    view.offer_samples(urls, "Try")
    assert view.offer.isVisible()
    assert f'href="{urls[1]}">/admin</a>' in view.hint.text()
    qtbot.mouseClick(view.samples_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(paths) == 4, timeout=10_000)
    assert paths == ["/", "/admin", "/", "/admin"]  # two rounds, in order, a 403 does not stop it


def _shown(view: LogView, column: str = "Request") -> list[str]:
    at = [header for header, _text in COLUMNS].index(column)
    return [view.table.model().index(row, at).data() for row in range(view.table.model().rowCount())]


def test_the_filter_and_problems_only_narrow_the_rows_and_say_so(qtbot: Any) -> None:
    view = LogView()
    qtbot.addWidget(view)
    events = [_event(n) for n in range(6)]
    events[2] = events[2]._replace(status=403, termination_state="PR", path="/admin")
    events[4] = events[4]._replace(status=None, termination_state="CD", method="")
    events[5] = events[5]._replace(status=302, termination_state="LR", path="/moved")
    view.append(events)

    qtbot.keyClicks(view.filter, "ADMIN")  # any column, any case
    assert _shown(view) == ["GET /admin"]
    assert view.summary.text().startswith("1 of 6 request(s) shown (filtered)")
    view.filter.clear()
    assert len(_shown(view)) == 6 and view.summary.text().startswith("6 request(s) shown")

    view.problems.setChecked(True)  # a refusal and an abort; a redirect is no problem
    assert _shown(view) == ["GET /admin", "(tcp)"]
    view.append([_event(9, status=503)._replace(termination_state="SC"), _event(10)])
    assert _shown(view) == ["GET /admin", "(tcp)", "GET /p9"]  # new rows are filtered too
    qtbot.keyClicks(view.filter, "p9")
    assert _shown(view) == ["GET /p9"]


def test_clear_empties_the_list_and_its_counts(qtbot: Any) -> None:
    view = LogView(LogModel(rows_per_update=2))
    qtbot.addWidget(view)
    view.append([_event(n) for n in range(5)])
    view.count_unlisted(7)
    assert "10 more while busy were not listed" in view.summary.text()
    qtbot.mouseClick(view.clear_button, Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == 0 and view.model.not_shown == 0
    assert view.summary.text().startswith("0 request(s) shown")
