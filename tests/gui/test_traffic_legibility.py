"""The Traffic graphs stay legible: tick labels never collide (at the default size, at
1280x800, narrow, and with a doubled font as a 200 % screen has), equal lines do not
hide each other, and the plots take their colours from the palette (dark included)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from PySide6.QtGui import QColor, QFont, QImage, QPalette
from PySide6.QtWidgets import QApplication

from gui.theme import set_scheme
from gui.traffic_view import STROKES, BackendPanel, TrafficView, label_rects
from proxy.engine.stats import TYPE_SERVER, StatRow, StatsSnapshot


def _snapshot(counts: dict[str, int], sessions: int = 0) -> StatsSnapshot:
    rows = tuple(StatRow(proxy="app", name=name, type=TYPE_SERVER, iid=2, sid=i + 1, mode="http",
                         status="UP", counters={"stot": count, "scur": sessions})
                 for i, (name, count) in enumerate(counts.items()))
    return StatsSnapshot(time=1.0, started_at=1.0, rows=rows)


def _equal_traffic(view: TrafficView, names: tuple[str, ...] = ("s1", "s2"), seconds: int = 60) -> None:
    """Round robin's picture: every server the same rate, ~8 req/s, for ``seconds``."""
    for tick in range(seconds * 4):
        view.history.record(_snapshot({n: 2 * tick for n in names}, sessions=3), now=tick * 0.25)
    view.redraw()


def _show(qtbot: Any, width: int, height: int, font_scale: float = 1.0) -> TrafficView:
    view = TrafficView(draw_interval=0)
    qtbot.addWidget(view)
    if font_scale != 1.0:
        font = QFont(view.font())
        font.setPointSizeF(font.pointSizeF() * font_scale)
        view.setFont(font)
    view.resize(width, height)
    view.show()
    _equal_traffic(view)
    for _ in range(3):
        QApplication.processEvents()
    view.redraw()  # after the layout: the plots have their final size
    return view


def _collisions(rects: list[Any]) -> list[tuple[int, int]]:
    return [(a, b) for (a, ra), (b, rb) in itertools.combinations(enumerate(rects), 2) if ra.intersects(rb)]


def _axis_rects(panel: BackendPanel, side: str) -> tuple[list[Any], float]:
    """The rects of the labels the axis really has, laid out as pyqtgraph draws them."""
    plot = panel.requests_plot
    item = plot.getPlotItem()
    box = item.getViewBox()
    axis = item.getAxis(side)
    ticks = axis._tickLevels[0]  # what setTicks gave the axis: the labels it draws
    (x_low, x_high), (y_low, y_high) = box.viewRange()
    if side == "bottom":
        return label_rects(ticks, x_low, x_high, box.width(), plot.font(), inverted=True), box.width()
    return label_rects(ticks, y_low, y_high, box.height(), plot.font(), vertical=True), box.height()


@pytest.mark.parametrize(("width", "height", "font_scale"), [
    (1000, 600, 1.0),   # the default Traffic tab
    (1010, 690, 1.0),   # the tab inside a 1280x800 window
    (560, 420, 1.0),    # a narrow window
    (1010, 690, 2.0),   # 200 %: twice the font on the same logical room
])
def test_tick_labels_do_not_collide(qtbot: Any, width: int, height: int, font_scale: float) -> None:
    view = _show(qtbot, width, height, font_scale)
    panel = view.panels["app"]
    for side in ("bottom", "left"):
        rects, length = _axis_rects(panel, side)
        assert len(rects) >= 2, side  # 0 and the far end at least
        assert _collisions(rects) == [], (side, [r.getRect() for r in rects])
        assert all(r.top() >= -r.height() and r.bottom() <= length + r.height() for r in rects
                   if side == "left"), side  # on the axis, within half a line of its ends
    wider = _show(qtbot, 1800, 600)
    wide, _ = _axis_rects(wider.panels["app"], "bottom")
    narrow, _ = _axis_rects(panel, "bottom")
    assert len(wide) >= len(narrow)  # more room, at least as many labels


def _count(image: QImage, colour: QColor, tolerance: int = 40) -> int:
    found = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            pixel = image.pixelColor(x, y)
            if abs(pixel.red() - colour.red()) + abs(pixel.green() - colour.green()) \
                    + abs(pixel.blue() - colour.blue()) < tolerance:
                found += 1
    return found


def test_two_identical_series_both_show(qtbot: Any) -> None:
    view = _show(qtbot, 1000, 600)
    panel = view.panels["app"]
    pens = [panel.request_curves[name].opts["pen"] for name in ("s1", "s2")]
    assert pens[0].style() != pens[1].style() and pens[0].widthF() > pens[1].widthF()
    legend = panel.legend.text()
    assert STROKES[0][2] in legend and STROKES[1][2] in legend  # each stroke in the legend
    assert "s1</b>" in legend and "s2</b>" in legend and legend.count("8.0&nbsp;req/s") == 2
    image = panel.requests_plot.grab().toImage()
    for name in ("s1", "s2"):  # both colours reach the screen, the under line included
        assert _count(image, QColor(panel.colours[name])) > 50, name


def test_the_plots_follow_the_dark_palette(qtbot: Any, qapp: QApplication) -> None:
    set_scheme(qapp, "dark")
    try:
        view = _show(qtbot, 1000, 600)
        panel = view.panels["app"]
        base = qapp.palette().color(QPalette.ColorRole.Base)
        text = qapp.palette().color(QPalette.ColorRole.WindowText)
        assert base.lightness() < 60 and text.lightness() > 180  # it is dark
        image = panel.requests_plot.grab().toImage()
        box = panel.requests_plot.getPlotItem().getViewBox().sceneBoundingRect()
        ratio = image.devicePixelRatio()
        inside = image.pixelColor(int((box.left() + 3) * ratio), int((box.top() + 3) * ratio))
        assert inside.name() == base.name()  # the plot area, not pyqtgraph's black or white
        assert _count(image, QColor("#ffffff"), tolerance=10) == 0
        axis = panel.requests_plot.getPlotItem().getAxis("bottom")
        assert axis.textPen().color().name() == text.name() and axis.pen().color().name() == text.name()
        assert _count(image, text, tolerance=60) > 20  # the labels are drawn in the text colour
    finally:
        set_scheme(qapp, None)
