"""The Traffic tab on a real engine: real requests through 127.0.0.1 to two real servers,
then the plotted curves and the legend are read back."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QPalette

from gui.engine_host import EngineHost
from gui.main_window import MainWindow
from gui.traffic_view import (
    DRAW_INTERVAL,
    NO_SERVERS_TEXT,
    SERVER_COLOURS,
    STOPPED_TEXT,
    STROKES,
    TrafficView,
    format_rate,
    whole_step,
)
from proxy.config.parser import parse
from proxy.engine.stats import TYPE_SERVER, StatRow, StatsSnapshot
from tests.gui._support import close_window, fresh_stats, http_get, named_http_servers


def _config(ports: dict[str, int], *, servers: tuple[str, ...] = ("alpha", "beta")) -> str:
    lines = "".join(f"    server {name} 127.0.0.1:{ports[name]}\n" for name in servers)
    return ("defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n"
            "    timeout server 5s\n\n"
            "frontend web\n    bind 127.0.0.1:0\n    default_backend app\n\n"
            f"backend app\n    balance roundrobin\n{lines}")


@pytest.fixture
def servers() -> Iterator[dict[str, int]]:
    with named_http_servers("alpha", "beta", "gamma") as ports:
        yield ports


@pytest.fixture
def host(qtbot: Any) -> Iterator[EngineHost]:
    engine_host = EngineHost()
    yield engine_host
    engine_host.shutdown()


@pytest.fixture
def view(qtbot: Any) -> TrafficView:
    traffic = TrafficView(draw_interval=0)  # every tick draws: the tests read what is drawn
    qtbot.addWidget(traffic)
    traffic.resize(1000, 600)
    traffic.show()
    return traffic


def _port(host: EngineHost) -> int:
    return next(port for frontend, _h, port in host.listening if frontend == "web")


def _send(host: EngineHost, count: int) -> list[str]:
    return [http_get(_port(host))[1] for _ in range(count)]


def _tick(view: TrafficView, host: EngineHost) -> None:
    time.sleep(0.05)  # a poll tick's worth of time between the two snapshots
    view.update_from(host.stats())


def _latest(values: np.ndarray) -> float:
    return float(values[-1])


def test_stopped_engine_shows_how_to_start(view: TrafficView, host: EngineHost) -> None:
    view.update_from(host.stats())
    assert view.pages.currentWidget() is view.message
    assert view.message.text() == STOPPED_TEXT and view.message.isVisible()


def test_real_requests_draw_a_rate_for_each_server(
    view: TrafficView, host: EngineHost, servers: dict[str, int]
) -> None:
    host.start_blocking(parse(_config(servers)).config)
    view.update_from(host.stats())
    answers = _send(host, 20)
    assert sorted(set(answers)) == ["alpha", "beta"]  # round robin reached both
    _tick(view, host)

    assert view.pages.currentWidget() is view.scroll_area
    plotted = view.curve_data("app")
    assert list(plotted) == ["alpha", "beta"]
    for ages, requests, sessions in plotted.values():
        assert _latest(ages) == 0.0 and ages[0] > 0  # "seconds ago": newest at 0
        assert _latest(requests) > 0 and _latest(sessions) == 0  # every request has ended
        assert math.isnan(requests[0])  # the first sample has no rate: a blank point
    legend = view.panels["app"].legend.text()
    assert "alpha" in legend and "beta" in legend and "no check" in legend

    time.sleep(1.1)  # a quiet second (longer than the rate's window): back to zero
    view.update_from(host.stats())
    assert all(_latest(requests) == 0 for _ages, requests, _sessions in view.curve_data("app").values())

    host.stop_blocking()
    view.update_from(host.stats())
    assert view.message.text() == STOPPED_TEXT and view.message.isVisible()


def test_an_apply_adds_and_removes_server_lines_without_negative_rates(
    view: TrafficView, host: EngineHost, servers: dict[str, int]
) -> None:
    host.start_blocking(parse(_config(servers)).config)
    view.update_from(host.stats())
    _send(host, 6)
    _tick(view, host)
    host.apply_blocking(parse(_config(servers, servers=("beta", "gamma"))).config)
    _tick(view, host)
    _send(host, 6)
    _tick(view, host)
    plotted = view.curve_data("app")
    assert list(plotted) == ["beta", "gamma"]  # alpha's line went with alpha
    assert len(view.panels["app"].requests_plot.getPlotItem().listDataItems()) == 2
    for _ages, requests, _sessions in plotted.values():
        assert (requests[~np.isnan(requests)] >= 0).all()
    assert _latest(plotted["gamma"][1]) > 0
    assert "gamma" in view.panels["app"].legend.text()
    assert "alpha" not in view.panels["app"].legend.text()


def test_a_backend_without_servers_says_so(view: TrafficView, host: EngineHost) -> None:
    host.start_blocking(parse("frontend web\n    bind 127.0.0.1:0\n    http-request deny\n").config)
    view.update_from(host.stats())
    assert view.message.text() == NO_SERVERS_TEXT


def test_a_hidden_tab_samples_but_does_not_draw(
    qtbot: Any, host: EngineHost, servers: dict[str, int]
) -> None:
    hidden = TrafficView()
    qtbot.addWidget(hidden)
    host.start_blocking(parse(_config(servers)).config)
    hidden.update_from(host.stats())
    _send(host, 4)
    _tick(hidden, host)
    assert hidden.panels == {}  # nothing drawn while hidden
    assert len(hidden.history.backends["app"].times) == 2  # but the samples were kept
    hidden.show()  # showing it draws what was sampled
    assert _latest(hidden.curve_data("app")["alpha"][1]) > 0


def test_plots_follow_the_window_palette(view: TrafficView, host: EngineHost,
                                         servers: dict[str, int]) -> None:
    host.start_blocking(parse(_config(servers)).config)
    view.update_from(host.stats())
    _tick(view, host)
    panel = view.panels["app"]
    base = panel.palette().color(QPalette.ColorRole.Base)
    assert panel.requests_plot.backgroundBrush().color() == base  # not pyqtgraph's black
    dark = QPalette(panel.palette())
    dark.setColor(QPalette.ColorRole.Base, base.darker(300))
    panel.setPalette(dark)
    assert panel.sessions_plot.backgroundBrush().color() == base.darker(300)


def test_main_window_has_a_traffic_tab_fed_by_its_poll(
    qtbot: Any, tmp_path: Path, servers: dict[str, int]
) -> None:
    window = MainWindow(settings_path=tmp_path / "ui.ini")
    try:
        window.resize(1280, 800)
        window.show()
        labels = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert labels[-2:] == ["Requests", "Traffic"]
        window.document.load_text(_config(servers))
        window.host.start_blocking(window.document.config)
        window.tabs.setCurrentWidget(window.traffic_view)
        fresh_stats(window.host)
        window.poll_engine()
        _send(window.host, 10)
        time.sleep(DRAW_INTERVAL)  # the next poll is due to draw
        fresh_stats(window.host)  # a snapshot taken after the requests
        window.poll_engine()
        assert all(_latest(requests) > 0
                   for _a, requests, _s in window.traffic_view.curve_data("app").values())
    finally:
        close_window(window)
        window.deleteLater()


def test_a_server_in_maintenance_shows_it_and_gets_no_traffic(
    view: TrafficView, host: EngineHost, servers: dict[str, int]
) -> None:
    host.start_blocking(parse(_config(servers)).config)
    engine = host.engine
    assert engine is not None
    host.call(engine.set_server_state, "app", "alpha", "maint").result(5)  # the runtime API's way
    view.update_from(host.stats())
    assert set(_send(host, 6)) == {"beta"}
    _tick(view, host)
    legend = view.panels["app"].legend.text()
    assert 'alpha</b>&nbsp;<b style="color:#d64545">MAINT</b>' in legend  # the state stands out
    plotted = view.curve_data("app")
    assert _latest(plotted["alpha"][1]) == 0 and _latest(plotted["beta"][1]) > 0


def test_tick_steps_and_rate_figures() -> None:
    assert [whole_step(top) for top in (1.1, 2.2, 4.4, 9, 33, 120)] == [1, 1, 2, 5, 10, 50]
    assert [format_rate(r) for r in (math.nan, 0, 2.66, 12.4)] == ["–", "0.0", "2.7", "12"]


def test_drawing_waits_for_its_interval_but_sampling_does_not(
    qtbot: Any, host: EngineHost, servers: dict[str, int]
) -> None:
    view = TrafficView(draw_interval=30)
    qtbot.addWidget(view)
    view.show()
    host.start_blocking(parse(_config(servers)).config)
    view.update_from(host.stats())  # the first draw makes the panel
    drawn = len(view.curve_data("app")["alpha"][0])
    for _ in range(3):
        _tick(view, host)
    assert len(view.curve_data("app")["alpha"][0]) == drawn  # not due: nothing redrawn
    assert len(view.history.backends["app"].times) == drawn + 3  # but every tick sampled


def _hand_snapshot(*names: str, count: int) -> StatsSnapshot:
    rows = tuple(StatRow(proxy="app", name=name, type=TYPE_SERVER, iid=2, sid=1, mode="http",
                         status="UP", counters={"stot": count, "scur": 0}) for name in names)
    return StatsSnapshot(time=1.0, started_at=1.0, rows=rows)


def _pen_colour(view: TrafficView, server: str) -> str:
    colour: str = view.panels["app"].request_curves[server].opts["pen"].color().name()
    return colour


def test_a_server_keeps_its_colour_when_an_apply_inserts_one_before_it(view: TrafficView) -> None:
    view.history.record(_hand_snapshot("s1", "s2", count=0), now=0.0)
    view.redraw()
    before = {name: _pen_colour(view, name) for name in ("s1", "s2")}
    view.history.record(_hand_snapshot("s1", "s0", "s2", count=1), now=1.0)  # s0 inserted
    view.redraw()
    panel = view.panels["app"]
    assert {name: _pen_colour(view, name) for name in ("s1", "s2")} == before
    assert len({_pen_colour(view, name) for name in ("s0", "s1", "s2")}) == 3
    legend = panel.legend.text()
    for name in ("s0", "s1", "s2"):  # the legend's swatch is the line's colour and stroke
        colour = _pen_colour(view, name)
        sample = STROKES[SERVER_COLOURS.index(colour)][2]
        assert f'<span style="color:{colour};font-family:monospace">{sample}</span>&nbsp;<b>{name}</b>' in legend
