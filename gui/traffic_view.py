"""The Traffic tab: live per-server graphs of every backend, over the last two minutes.

Theory of operation
-------------------
The main window's poll timer (4 Hz) calls ``TrafficView.poll``, which hands
``update_from`` the engine's latest ``StatsSnapshot`` (None when the engine is
stopped; a tick whose snapshot timed out is skipped).  The numbers are kept by
``TrafficHistory`` (``gui.traffic_series``, no Qt): rates from successive
snapshots' cumulative counters, reset-safe.  This module only draws them.

Sampling always runs, so the graphs have a past when the tab is opened; drawing
runs only while the tab is shown, at most every ``DRAW_INTERVAL``, and only for
the backend panels scrolled into view.  GUI time is engine time here (the engine thread shares the GIL), so a
draw is ``setData`` on curves made once per server (antialiasing off), a fixed
x range and a y range computed once per draw: no autoscaling, no re-creation.

Each backend gets a panel: a legend line (server colour, name, state, current
sessions), then two plots side by side, requests/s (sessions/s for TCP) and
current sessions (concurrency: what a slow or overloaded server shows first;
the engine keeps no per-server byte counts in HTTP mode, so no bytes/s).
Colours keep to the server's position in its backend, so a server keeps its
colour from tick to tick; plot backgrounds, grid and text follow the window's
palette, so the graphs switch with the system's light/dark scheme.

Equal lines (round robin gives every server the same rate) would hide each
other, so each server also gets a stroke of its own (``STROKES``): the first is
wide and solid, the later ones narrower and dashed, so a line drawn over another
leaves it showing at its sides and through its gaps; the legend shows the stroke.

Tick labels are laid out from the axis' real length and the font's metrics
(``time_ticks``, ``count_ticks``, ``label_rects``): as many as fit with a gap
between them, at any window size and scale factor, recomputed when a plot resizes.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QFontMetricsF, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.engine_host import EngineHost
from gui.traffic_series import BackendSeries, ServerSeries, TrafficHistory
from proxy.engine.stats import StatsSnapshot

__all__ = ["SERVER_COLOURS", "STROKES", "WINDOW_SECONDS", "BackendPanel", "TrafficView",
           "count_ticks", "label_rects", "time_ticks"]

WINDOW_SECONDS = 120
POLL_SECONDS = 0.25  # the main window's poll interval: one sample per tick
# Drawing costs far more than sampling (measured offscreen: 15-20 ms to draw the
# tutorial's three panels, 0.05 ms to record a snapshot), so every other tick draws:
# the graphs move twice a second, a 2 px step at the usual plot width.
DRAW_INTERVAL = 0.5
SERVER_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
                  "#76b7b2", "#9c755f", "#ff9da7", "#bab0ac", "#edc948")  # Tableau 10: both schemes
# (pen style, width, legend sample) by server position: wide and solid first, then narrower
# dashed strokes, so a line drawn over an equal one leaves it visible (module docstring)
STROKES: tuple[tuple[Qt.PenStyle, float, str], ...] = (
    (Qt.PenStyle.SolidLine, 4.0, "&#9473;&#9473;&#9473;"),  # ━━━
    (Qt.PenStyle.DashLine, 2.0, "&#9477;&#9477;&#9477;"),  # ┅┅┅ (dashes)
    (Qt.PenStyle.DotLine, 2.0, "&#183;&#183;&#183;"),  # ···
    (Qt.PenStyle.DashDotLine, 1.5, "&#9476;&#183;&#9476;"),  # ┄·┄
)
X_PADDING = 0.05  # of the x range, each side: room for the edge labels
LABEL_GAP_EMS = 1.0  # at least this many "M" widths between two tick labels
TIME_STEPS = (10, 20, 30, 40, 60, 120)  # seconds between "seconds ago" labels
STOPPED_TEXT = "Engine stopped — press Start to see traffic"
NO_SERVERS_TEXT = "The running configuration has no backend with servers to graph"
_ALARM_STATES = ("DOWN", "MAINT", "NOLB")

pg.setConfigOptions(antialias=False)


def format_rate(rate: float) -> str:
    if math.isnan(rate):
        return "–"  # no second sample yet
    return f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"


def stroke_of(position: int) -> tuple[Qt.PenStyle, float, str]:
    return STROKES[position % len(STROKES)]


def time_ticks(axis_pixels: float, font: QFont) -> list[tuple[float, str]]:
    """Labels every 10, 20, ... seconds: the closest spacing at which the widest label
    ("120") and a gap fit between two ticks on an axis ``axis_pixels`` long."""
    metrics = QFontMetricsF(font)
    needed = metrics.horizontalAdvance(str(WINDOW_SECONDS)) + LABEL_GAP_EMS * metrics.horizontalAdvance("M")
    per_second = axis_pixels / (WINDOW_SECONDS * (1 + 2 * X_PADDING))
    step = next((s for s in TIME_STEPS if s * per_second >= needed), TIME_STEPS[-1])
    return [(float(s), str(s)) for s in range(0, WINDOW_SECONDS + 1, step)]


def count_ticks(axis_pixels: float, font: QFont) -> int:
    """How many labels a vertical axis ``axis_pixels`` high holds, each a line high
    with a line's gap: 2 at least (0 and the top)."""
    line = QFontMetricsF(font).height()
    return max(2, int(axis_pixels // (2 * line)))


def label_rects(ticks: Sequence[tuple[float, str]], low: float, high: float, axis_pixels: float,
                font: QFont, vertical: bool = False, inverted: bool = False) -> list[QRectF]:
    """Where each tick label is drawn along an axis showing ``low``..``high`` over
    ``axis_pixels``, centred on its tick as pyqtgraph's AxisItem draws it (for tests:
    labels that do not intersect do not collide)."""
    metrics = QFontMetricsF(font)
    rects = []
    for value, text in ticks:
        fraction = (value - low) / (high - low)
        if inverted != vertical:  # y grows upwards; an inverted x axis grows leftwards
            fraction = 1 - fraction
        centre = fraction * axis_pixels
        width, height = metrics.horizontalAdvance(text), metrics.height()
        rects.append(QRectF(0, centre - height / 2, width, height) if vertical
                     else QRectF(centre - width / 2, 0, width, height))
    return rects


def legend_entry(colour: str, server: ServerSeries, unit: str, sample: str = "&#9632;") -> str:
    """One server's legend line (rich text): swatch, name, state, its latest rate and sessions.

    The figures are there because equal lines hide each other: round robin draws
    every server's rate on the same spot, and only the last one drawn shows."""
    state = html.escape(server.status)
    if server.status.startswith(_ALARM_STATES):
        state = f'<b style="color:#d64545">{state}</b>'  # readable on both light and dark
    rate = format_rate(server.requests[-1] if server.requests else math.nan)
    sessions = server.current_sessions
    # monospace: every stroke's sample is as wide as the others, so the names line up
    return (f'<span style="color:{colour};font-family:monospace">{sample}</span>'
            f'&nbsp;<b>{html.escape(server.name)}</b>'
            f"&nbsp;{state} · {rate}&nbsp;{unit} · {sessions}&nbsp;session{'' if sessions == 1 else 's'}")


def _finite_peak(values: Sequence[np.ndarray]) -> float:
    peaks = [float(np.nanmax(v)) for v in values if v.size and not np.all(np.isnan(v))]
    return max(peaks, default=0.0)


def whole_step(span: float, ticks: int = 4) -> int:
    """A 1-2-5 tick step of at least 1 giving about ``ticks`` ticks: sessions are whole."""
    step = 1
    while step * ticks < span:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2  # 1, 2, 5, 10, 20, 50...
    return step


def _make_plot(unit_label: str, units: str | None) -> pg.PlotWidget:
    plot = pg.PlotWidget()
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()  # the "A" auto-range button: the ranges are set on every draw
    item.setMouseEnabled(x=False, y=False)
    item.invertX(True)  # "seconds ago": now at the right, like every scrolling monitor
    # A margin: with the grid on, pyqtgraph drops a tick label that overflows the plot's edge.
    item.setXRange(0, WINDOW_SECONDS, padding=X_PADDING)
    item.getAxis("bottom").setTicks([time_ticks(0, plot.font())])  # the widest until laid out
    item.showGrid(x=True, y=True, alpha=0.15)
    item.setLabel("bottom", "seconds ago")
    item.setLabel("left", unit_label, units=units)
    # Room for three digits at least, never less: the plots of all panels line up, and an
    # axis does not narrow and widen (a relayout) as the peak crosses 10 and back.
    digits = QFontMetrics(plot.font()).horizontalAdvance("000")
    item.getAxis("left").setStyle(tickTextWidth=digits, autoReduceTextSpace=False)
    plot.setMinimumHeight(130)  # three tutorial backends fit a 1280x800 window
    return plot


class BackendPanel(QFrame):
    """One backend: its legend line and two plots, with one curve per server in each."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        # One server a line, beside the plots: no word wrap (a wrapping label would make the
        # scroll area size panels by height-for-width instead of sharing the height out).
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.requests_plot = _make_plot("requests/s", None)
        self.sessions_plot = _make_plot("current sessions", None)
        self.request_curves: dict[str, pg.PlotCurveItem] = {}
        self.session_curves: dict[str, pg.PlotCurveItem] = {}
        self.colours: dict[str, str] = {}  # server -> its colour, kept while it exists
        self._unit = "requests/s"
        self._y_ticks: dict[int, list[tuple[float, str]]] = {}  # id(plot) -> its left ticks
        self._x_ticks: dict[int, list[tuple[float, str]]] = {}  # id(plot) -> its bottom ticks
        for plot in (self.requests_plot, self.sessions_plot):
            plot.getPlotItem().getViewBox().sigResized.connect(
                lambda _box, plot=plot: self._fit_time_ticks(plot))
        key = QVBoxLayout()  # read left to right: the backend, its servers, their graphs
        key.addWidget(self.title)
        key.addWidget(self.legend, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(key)
        layout.addWidget(self.requests_plot, 1)
        layout.addWidget(self.sessions_plot, 1)
        self.apply_palette()

    def apply_palette(self) -> None:
        """Plot background, axes, grid and text from the window palette (pyqtgraph
        defaults to white on black); the grid is the axis pen at low alpha."""
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.WindowText)
        for plot in (self.requests_plot, self.sessions_plot):
            plot.setBackground(background)
            item = plot.getPlotItem()
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                axis.setPen(text)
                axis.setTextPen(text)
            item.showGrid(x=True, y=True, alpha=0.15)

    def _fit_time_ticks(self, plot: pg.PlotWidget) -> None:
        """As many "seconds ago" labels as the plot's width holds (module docstring)."""
        item = plot.getPlotItem()
        ticks = time_ticks(item.getViewBox().width(), plot.font())
        if self._x_ticks.get(id(plot)) != ticks:
            self._x_ticks[id(plot)] = ticks
            item.getAxis("bottom").setTicks([ticks])

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply_palette()
        super().changeEvent(event)

    def _sync_curves(self, series: BackendSeries) -> None:
        """One curve per server, made once; the curves of servers an Apply removed go.

        A server keeps its colour while it exists (an Apply inserting a server before it
        must not repaint its line); a new one takes the first colour no other server has."""
        for gone in [name for name in self.colours if name not in series.servers]:
            del self.colours[gone]
        for name in series.servers:
            if name not in self.colours:
                free = [c for c in SERVER_COLOURS if c not in self.colours.values()]
                self.colours[name] = free[0] if free else SERVER_COLOURS[len(self.colours) % len(SERVER_COLOURS)]
        for curves, plot in ((self.request_curves, self.requests_plot),
                             (self.session_curves, self.sessions_plot)):
            for gone in [name for name in curves if name not in series.servers]:
                plot.removeItem(curves.pop(gone))
            for name in series.servers:
                if name not in curves:
                    position = SERVER_COLOURS.index(self.colours[name]) if self.colours[name] in SERVER_COLOURS else 0
                    style, width, _sample = stroke_of(position)
                    # pyqtgraph's pens are cosmetic (device pixels): as wide on a 2x screen
                    pen = pg.mkPen(QColor(self.colours[name]), width=width * self.devicePixelRatioF(),
                                   style=style)
                    # A bare PlotCurveItem, not plot.plot()'s PlotDataItem: that wrapper (symbols,
                    # downsampling, a pen re-applied on every call) cost 251 us a setData against
                    # 34 us (offscreen, 124 points, 2026-12-07), 20 curves on every redraw.
                    curves[name] = pg.PlotCurveItem(name=name, pen=pen, antialias=False, connect="finite")
                    plot.addItem(curves[name])
                    curves[name].setZValue(-width)  # the wide strokes under the narrow ones

    def draw(self, series: BackendSeries) -> None:
        self._sync_curves(series)
        if series.unit != self._unit:
            self._unit = series.unit
            self.requests_plot.getPlotItem().setLabel("left", series.unit)
        self._set_text(self.title, f"backend <b>{html.escape(series.name)}</b>")
        unit = "req/s" if series.mode == "http" else "sess/s"
        entries = [legend_entry(self.colours[s.name], s, unit, self._sample(s.name))
                   for s in series.servers.values()]
        self._set_text(self.legend, "<br>".join(entries))
        # Grow only: a column that narrowed and widened with the figures would resize the
        # plots beside it (a relayout of both) several times a second.
        self.legend.setMinimumWidth(max(self.legend.minimumWidth(), self.legend.sizeHint().width()))
        ages = np.fromiter(series.ages(), float, len(series.times))
        requests = [np.fromiter(s.requests, float, len(s.requests)) for s in series.servers.values()]
        sessions = [np.fromiter(s.sessions, float, len(s.sessions)) for s in series.servers.values()]
        for name, values in zip(series.servers, requests, strict=True):
            self.request_curves[name].setData(ages, values)
        for name, values in zip(series.servers, sessions, strict=True):
            self.session_curves[name].setData(ages, values)
        # Fixed ranges, from zero: autoscaling would re-range on every setData.
        self._set_y_range(self.requests_plot, max(1.0, _finite_peak(requests) * 1.1))
        self._set_y_range(self.sessions_plot, max(2.0, _finite_peak(sessions) * 1.1))

    def _sample(self, server: str) -> str:
        colour = self.colours[server]
        return stroke_of(SERVER_COLOURS.index(colour) if colour in SERVER_COLOURS else 0)[2]

    def _set_y_range(self, plot: pg.PlotWidget, top: float) -> None:
        """From zero to ``top``, labelled in whole steps from 0 (requests and sessions count),
        as many as the plot's height holds."""
        item = plot.getPlotItem()
        item.setYRange(-0.1 * top, top, padding=0)  # room below 0 for its label (see _make_plot)
        step = whole_step(top, max(1, count_ticks(item.getViewBox().height(), plot.font()) - 1))
        ticks = [(float(v), str(v)) for v in range(0, math.floor(top) + 1, step)]
        if self._y_ticks.get(id(plot)) != ticks:  # the same ticks: no relayout of the axis
            self._y_ticks[id(plot)] = ticks
            item.getAxis("left").setTicks([ticks])

    @staticmethod
    def _set_text(label: QLabel, text: str) -> None:
        if label.text() != text:  # a label relayouts on setText, even for the same text
            label.setText(text)


class TrafficView(QWidget):
    def __init__(self, history: TrafficHistory | None = None,
                 draw_interval: float = DRAW_INTERVAL) -> None:
        super().__init__()
        self.history = history or TrafficHistory(math.ceil(WINDOW_SECONDS / POLL_SECONDS) + 4)
        self.panels: dict[str, BackendPanel] = {}
        self.draw_interval = draw_interval
        self._drawn_at = -math.inf  # monotonic seconds
        self.message = QLabel(STOPPED_TEXT)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.panel_list = QWidget()
        self.panel_layout = QVBoxLayout(self.panel_list)
        self.panel_layout.setContentsMargins(6, 6, 6, 6)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(self.panel_list)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.message)
        self.pages.addWidget(self.scroll_area)
        self.summary = QLabel(
            f"The last {WINDOW_SECONDS // 60} minutes of each server's requests per second "
            "(averaged over a second) and sessions in progress, sampled four times a second.")
        self.summary.setContentsMargins(6, 2, 6, 2)
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.summary)

    # -- feeding (the main window's poll tick) ----------------------------------------------
    def poll(self, host: EngineHost) -> None:
        """One poll tick: the host's latest snapshot (``host.latest_stats()``: a plain read,
        the host's control thread fetched it), recorded at the time it arrived."""
        if not host.running:
            self.update_from(None)
            return
        latest = host.latest_stats()
        if latest is not None:  # None: the first snapshot of this run is not in yet
            self.update_from(*latest)

    def update_from(self, snapshot: StatsSnapshot | None, received_at: float | None = None) -> None:
        """Record a snapshot (None: stopped), taken at ``received_at`` (monotonic s; default
        now), and draw it if the tab is shown."""
        if snapshot is None:
            if self.history.started_at is not None:
                self.history.clear()  # the next run starts a history of its own
            self._show_message(STOPPED_TEXT)
            return
        if self.history.record(snapshot, received_at) and self._draw_due():
            self.redraw()

    def _draw_due(self) -> bool:
        if not self.isVisible() or self.window().isMinimized():
            return False  # another tab is shown: showEvent draws what was sampled meanwhile
        # 0.8: the poll timer's ticks jitter; two ticks just under 0.5 s apart still draw.
        return time.monotonic() - self._drawn_at >= 0.8 * self.draw_interval

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.redraw()  # the samples taken while another tab was shown

    # -- drawing ----------------------------------------------------------------------------
    def redraw(self) -> None:
        if not self.history.backends:
            running = self.history.started_at is not None
            self._show_message(NO_SERVERS_TEXT if running else STOPPED_TEXT)
            return
        self._drawn_at = time.monotonic()
        new_panels = self._sync_panels()
        self.pages.setCurrentWidget(self.scroll_area)
        for name, series in self.history.backends.items():
            panel = self.panels[name]
            # Scrolled out of view: not drawn (a new panel has no geometry yet: drawn once).
            if name in new_panels or not panel.visibleRegion().isEmpty():
                panel.draw(series)
        # One legend width for all panels, so their plots line up under each other.
        width = max(panel.legend.minimumWidth() for panel in self.panels.values())
        for panel in self.panels.values():
            if panel.legend.minimumWidth() != width:
                panel.legend.setMinimumWidth(width)

    def _show_message(self, text: str) -> None:
        if self.message.text() != text:
            self.message.setText(text)
        self.pages.setCurrentWidget(self.message)

    def _sync_panels(self) -> set[str]:
        """A panel per backend, in the snapshot's order (an Apply may add or remove backends);
        returns the names of the panels made now."""
        wanted = list(self.history.backends)
        if list(self.panels) == wanted:
            return set()
        for gone in [name for name in self.panels if name not in wanted]:
            panel = self.panels.pop(gone)
            self.panel_layout.removeWidget(panel)
            panel.deleteLater()
        new_panels = {name for name in wanted if name not in self.panels}
        for name in new_panels:
            self.panels[name] = BackendPanel(name)
        self.panels = {name: self.panels[name] for name in wanted}
        for position, name in enumerate(wanted):  # in order; they share the height
            self.panel_layout.insertWidget(position, self.panels[name])
        return new_panels

    def curve_data(self, backend: str) -> dict[str, Any]:
        """What is plotted for ``backend``: server -> (x, requests/s, sessions), for tests."""
        panel = self.panels[backend]
        return {name: (curve.xData, curve.yData, panel.session_curves[name].yData)
                for name, curve in panel.request_curves.items()}
