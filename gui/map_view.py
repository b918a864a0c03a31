"""The Map tab: frontends, rules, backends and servers as a live left-to-right graph.

Theory of operation
-------------------
The graph and its layout come from ``proxy.config.routing_map`` (no Qt): this
module only draws them.  The layout is in text lines and columns, so the scene
is sized from the font's metrics and stays legible at any scale factor.

The scene is rebuilt when the document changes, and only when the graph it
would draw differs (a form edit that changes nothing on the map keeps every
item); the zoom is kept across rebuilds and fitted again when another file
opens.  Live state is cheap: ``follow`` is handed the Traffic tab's
``TrafficHistory`` (fed by the window's 4 Hz poll of ``host.latest_stats()``, the one
observation path) and, at most twice a second and only while the map is shown,
changes the text and brush of the state badges and rate labels that differ
from what they show.  No item is created or removed per tick.

A what-if result (``WhatIfTester.routed``) is a path of node ids from
``route_path``: those nodes and the edges between them are drawn in the
palette's highlight colour until the next result or Clear.

Edits from the context menu go through ``Document.edit`` (one undo step each);
runtime actions (drain, maintenance, ready) go to the running engine through
``EngineHost.call``, and change nothing in the file.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.document import Document
from gui.editors.acl import ConditionBuilder
from gui.engine_host import EngineHost
from gui.traffic_series import TrafficHistory
from gui.traffic_view import format_rate
from proxy.config.edit import place_node
from proxy.config.model import Config
from proxy.config.nodes import Server, UseBackend
from proxy.config.parser import parse
from proxy.config.routing_map import (
    BACKEND,
    COLUMN_CHARS,
    FRONTEND,
    RULE,
    SERVER,
    TERMINAL,
    MapEdge,
    MapNode,
    RoutingMap,
    build_map,
    route_path,
    server_state,
)

__all__ = ["MapView", "RuleDialog"]

GAP_CHARS = 11  # room for the edges between columns
DRAW_INTERVAL = 0.5  # seconds between live updates, as the Traffic tab
MIN_FIT = 0.8  # Fit never shrinks text below 80 %: taller maps scroll
ZOOM_STEP = 1.2
# Accent per node kind (border and stripe), chosen to read on light and dark bases.
ACCENTS = {FRONTEND: "#3d7be0", RULE: "#8a8f98", TERMINAL: "#d64545", BACKEND: "#9a5fc0",
           SERVER: "#3f9a5a"}
# State badges: colour AND text; white text reads on each of these in both schemes.
STATE_COLOURS = {"UP": "#2e7d32", "DOWN": "#c62828", "MAINT": "#6d4c41", "DRAIN": "#b26a00",
                 "NOLB": "#b26a00"}
NO_ENGINE = "Engine stopped: Start (F5) to see server states and requests per second."


def _palette_colour(widget: QWidget, role: QPalette.ColorRole) -> QColor:
    return widget.palette().color(role)


class NodeItem(QGraphicsRectItem):
    """One box: a coloured stripe, a bold title, detail lines; servers get a state badge."""

    def __init__(self, node: MapNode, rect: QRectF, fonts: tuple[QFont, QFont],
                 colours: dict[str, QColor]) -> None:
        super().__init__(rect)
        self.node = node
        self.colours = colours
        self.accent = QColor(ACCENTS[node.kind])
        self.setBrush(QBrush(colours["base"]))
        self.setPen(QPen(self.accent, 1.5))
        self.setToolTip(node.tooltip)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAcceptHoverEvents(True)
        stripe = QGraphicsRectItem(QRectF(rect.left(), rect.top(), 5, rect.height()), self)
        stripe.setBrush(QBrush(self.accent))
        stripe.setPen(QPen(Qt.PenStyle.NoPen))
        bold, plain = fonts
        metrics = QFontMetricsF(plain)
        line = metrics.lineSpacing()
        self.badge_width = metrics.horizontalAdvance(" GOING UP ") if node.kind == SERVER else 0.0
        # a backend's requests/s end its title line; a listen's (it has no backend box) its
        # last line, shorter than its "listen NAME" title
        self.has_rate = node.kind == BACKEND or (node.kind == FRONTEND and node.section[0] == "listen")
        self.rate_width = QFontMetricsF(bold).horizontalAdvance(" 999 conn/s") if self.has_rate else 0.0
        self.rate_row = 0 if node.kind == BACKEND else len(node.text_lines) - 1
        y = rect.top() + line * 0.3
        self.texts: list[QGraphicsSimpleTextItem] = []
        titles = len(node.title_lines)
        for n, text in enumerate(node.text_lines):
            font = bold if n < titles else plain
            width = (rect.width() - 18 - (self.badge_width if n == 0 else 0)
                     - (self.rate_width if n == self.rate_row else 0))
            item = QGraphicsSimpleTextItem(QFontMetricsF(font).elidedText(
                text, Qt.TextElideMode.ElideRight, width), self)
            item.setFont(font)
            item.setBrush(QBrush(colours["text"] if n < titles else colours["muted"]))
            item.setPos(rect.left() + 12, y)
            self.texts.append(item)
            y += line
        self.badge: QGraphicsRectItem | None = None
        self.badge_text: QGraphicsSimpleTextItem | None = None
        self.rate_text: QGraphicsSimpleTextItem | None = None
        if node.kind == SERVER:
            self._make_badge(rect, plain, line)
        if self.has_rate:
            self.rate_text = QGraphicsSimpleTextItem("", self)
            self.rate_text.setFont(bold)
            self.rate_text.setBrush(QBrush(colours["text"]))
            self.rate_text.setPos(rect.right() - 8, rect.top() + line * (0.3 + self.rate_row))

    def _make_badge(self, rect: QRectF, font: QFont, line: float) -> None:
        box = QRectF(rect.right() - self.badge_width - 6, rect.top() + line * 0.3,
                     self.badge_width, line)
        self.badge = QGraphicsRectItem(box, self)
        self.badge.setPen(QPen(Qt.PenStyle.NoPen))
        self.badge_text = QGraphicsSimpleTextItem("", self.badge)
        self.badge_text.setFont(font)
        self.badge_text.setBrush(QBrush(QColor("#ffffff")))
        self.badge.setVisible(False)
        self.state = ""

    def show_state(self, state: str) -> None:
        """UP/DOWN/MAINT/DRAIN as text on a coloured badge ("" hides it: engine stopped)."""
        if self.badge is None or self.badge_text is None or state == self.state:
            return
        self.state = state
        self.badge.setVisible(bool(state))
        if not state:
            return
        self.badge.setBrush(QBrush(QColor(STATE_COLOURS.get(state, "#6b7280"))))
        self.badge_text.setText(state)
        box = self.badge.rect()
        text = self.badge_text.boundingRect()
        self.badge_text.setPos(box.center().x() - text.width() / 2, box.top() + (box.height() - text.height()) / 2)

    def show_rate(self, text: str) -> None:
        if self.rate_text is not None and self.rate_text.text() != text:
            self.rate_text.setText(text)
            width = self.rate_text.boundingRect().width()
            self.rate_text.setX(self.rect().right() - 10 - width)

    def highlight(self, on: bool) -> None:
        self.setPen(QPen(self.colours["highlight"], 3.5) if on else QPen(self.accent, 1.5))

    def left_anchor(self) -> QPointF:
        rect = self.rect()
        return QPointF(rect.left(), rect.center().y())

    def right_anchor(self) -> QPointF:
        rect = self.rect()
        return QPointF(rect.right(), rect.center().y())


class EdgeItem(QGraphicsPathItem):
    """A curve from one node's right side to the next one's left side, with a rate label."""

    def __init__(self, edge: MapEdge, source: NodeItem, target: NodeItem, font: QFont,
                 colours: dict[str, QColor]) -> None:
        super().__init__()
        self.edge = edge
        self.colours = colours
        start, end = source.right_anchor(), target.left_anchor()
        bend = (end.x() - start.x()) / 2
        path = QPainterPath(start)
        path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
        self.setPath(path)
        self.setZValue(-1)
        self.setToolTip(edge.label)
        self.highlight(False)
        self.label = QGraphicsSimpleTextItem("")
        self.label.setFont(font)
        self.label.setBrush(QBrush(colours["text"]))
        self.label_back = QGraphicsRectItem()
        self.label_back.setBrush(QBrush(colours["window"]))
        self.label_back.setPen(QPen(Qt.PenStyle.NoPen))
        self.label_back.setZValue(1)
        self.label.setParentItem(self.label_back)
        self.label_back.setVisible(False)
        # labels end just before the target, where edges into one node fan apart
        self.anchor = QPointF(end.x() - 6, end.y())

    def highlight(self, on: bool) -> None:
        colour = self.colours["highlight"] if on else self.colours["edge"]
        self.setPen(QPen(colour, 3.5 if on else 1.4))
        self.setZValue(0 if on else -1)

    def show_label(self, text: str) -> None:
        if text == self.label.text() and self.label_back.isVisible() == bool(text):
            return
        self.label.setText(text)
        self.label_back.setVisible(bool(text))
        if text:
            box = self.label.boundingRect().adjusted(-3, -1, 3, 1)
            self.label_back.setRect(QRectF(0, 0, box.width(), box.height()))
            self.label.setPos(3, 1)
            self.label_back.setPos(self.anchor.x() - box.width(), self.anchor.y() - box.height() / 2)


class MapGraphicsView(QGraphicsView):
    """Ctrl+wheel zooms around the cursor; a plain wheel scrolls."""

    nodeClicked = Signal(object)
    nodeMenu = Signal(object, object)  # (NodeItem, global QPoint)

    def __init__(self, scene: QGraphicsScene) -> None:
        super().__init__(scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.2 <= scale <= 4.0:
            self.scale(factor, factor)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
            event.accept()
            return
        super().wheelEvent(event)

    def node_at(self, pos: Any) -> NodeItem | None:
        item: QGraphicsItem | None = self.itemAt(pos)
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        return item

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        moved = (event.position() - self._pressed_at).manhattanLength() if hasattr(self, "_pressed_at") else 0
        node = self.node_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and node is not None and moved < 4:
            self.nodeClicked.emit(node)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._pressed_at = event.position()
        super().mousePressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        node = self.node_at(event.pos())
        if node is not None:
            self.nodeMenu.emit(node, event.globalPos())


class RuleDialog(QDialog):
    """A use_backend rule from a frontend to a backend, its condition from the condition builder."""

    def __init__(self, frontend: str, backend: str, acl_names: list[str], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Route {frontend} to {backend}")
        self.condition = ConditionBuilder()
        self.condition.set_acl_names(acl_names)
        self.condition.add_term()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel(f"Requests to <b>{frontend}</b> that match go to <b>{backend}</b>. "
                       "The rule is placed after the frontend's other use_backend rules; "
                       "the first that matches wins.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.condition)
        layout.addWidget(buttons)


class ServerDialog(QDialog):
    """Name and address of a server to add from the map."""

    def __init__(self, backend: str, suggested: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Add a server to {backend}")
        self.name = QLineEdit(suggested)
        self.address = QLineEdit("127.0.0.1:80")
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Address", self.address)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class MapView(QWidget):
    """The Map tab."""

    sectionRequested = Signal(object)  # (kind, name) or (kind, name, tab): open its form, as the tree does
    lineRequested = Signal(int)  # show this line of haproxy.cfg
    message = Signal(str)  # for the status bar

    def __init__(self, document: Document, host: Callable[[], EngineHost] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.host = host
        self.graph = RoutingMap()
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: list[EdgeItem] = []
        self.path: list[str] = []
        self._signature: object = None
        self._fit_pending = True
        self._drawn_at = -math.inf
        self._history: TrafficHistory | None = None
        self.scene = QGraphicsScene(self)
        self.view = MapGraphicsView(self.scene)
        self.view.nodeClicked.connect(lambda item: self.open_node(item.node))
        self.view.nodeMenu.connect(self._node_menu)
        self.status = QLabel(NO_ENGINE)
        self.status.setWordWrap(True)
        self.whatif_label = QLabel()
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear path")
        self.clear_button.clicked.connect(lambda: self.show_path([]))
        self.clear_button.setVisible(False)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        for text, slot, keys in (("Fit", self.fit, "Ctrl+0"),
                                 ("Zoom in", lambda: self.view.zoom(ZOOM_STEP), "Ctrl+="),
                                 ("Zoom out", lambda: self.view.zoom(1 / ZOOM_STEP), "Ctrl+-")):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(keys), *([QKeySequence("Ctrl++")] if keys == "Ctrl+=" else [])])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{text} ({keys})")
            action.triggered.connect(lambda _c=False, s=slot: s())
            self.addAction(action)
            button = QToolButton()
            button.setDefaultAction(action)
            bar.addWidget(button)
        bar.addSpacing(12)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.whatif_label)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        document.changed.connect(self.rebuild)
        document.pathChanged.connect(self._refit)
        self.rebuild()

    # -- building the scene ----------------------------------------------------------------
    def _colours(self) -> dict[str, QColor]:
        role = QPalette.ColorRole
        muted = QColor(_palette_colour(self, role.Text))
        muted.setAlphaF(0.72)
        edge = QColor(_palette_colour(self, role.Text))
        edge.setAlphaF(0.45)
        return {"base": _palette_colour(self, role.Base), "text": _palette_colour(self, role.Text),
                "muted": muted, "edge": edge, "highlight": _palette_colour(self, role.Highlight),
                "window": _palette_colour(self, role.Window)}

    def rebuild(self) -> None:
        """Redraw the graph of the document's config if it changed."""
        config = parse(self.document.text, self.document.config.path).config  # its lines, as shown
        graph = build_map(config)
        signature = ([(n.id, n.text_lines, n.y, n.tooltip) for n in graph.nodes.values()], graph.edges)
        if signature == self._signature:
            return
        self._signature = signature
        self.graph = graph
        self._draw()

    def _draw(self) -> None:
        self.scene.clear()
        self.node_items.clear()
        self.edge_items.clear()
        colours = self._colours()
        self.scene.setBackgroundBrush(QBrush(colours["window"]))
        plain = QFont(self.font())
        bold = QFont(plain)
        bold.setBold(True)
        metrics = QFontMetricsF(plain)
        line, char = metrics.lineSpacing(), metrics.averageCharWidth()
        lefts = [0.0]
        for chars in COLUMN_CHARS[:-1]:
            lefts.append(lefts[-1] + (chars + GAP_CHARS) * char)
        for node in self.graph.nodes.values():
            rect = QRectF(lefts[node.column], node.y * line, COLUMN_CHARS[node.column] * char,
                          node.height * line)
            item = NodeItem(node, rect, (bold, plain), colours)
            self.scene.addItem(item)
            self.node_items[node.id] = item
        for edge in self.graph.edges:
            source, target = self.node_items.get(edge.source), self.node_items.get(edge.target)
            if source is None or target is None:
                continue
            item_edge = EdgeItem(edge, source, target, plain, colours)
            self.scene.addItem(item_edge)
            self.scene.addItem(item_edge.label_back)
            self.edge_items.append(item_edge)
        if not self.graph.nodes:
            empty = self.scene.addSimpleText("No frontend, listen or backend yet: add one with the toolbar.")
            empty.setBrush(QBrush(colours["text"]))
        margin = 2 * line
        self.scene.setSceneRect(self.scene.itemsBoundingRect().adjusted(-margin, -margin, margin, margin))
        self.show_path([p for p in self.path if p in self.node_items])
        self._drawn_at = -math.inf
        if self._history is not None:
            self._update_live(self._history)
        if self._fit_pending and self.isVisible():
            self.fit()

    def _refit(self) -> None:
        self._fit_pending = True
        if self.isVisible():
            self.fit()

    def fit(self) -> None:
        """Everything in view, but never smaller than MIN_FIT (a tall map scrolls instead)."""
        self._fit_pending = False
        rect = self.scene.sceneRect()
        if rect.isEmpty():
            return
        viewport = self.view.viewport().size()
        scale = min(viewport.width() / rect.width(), viewport.height() / rect.height())
        width_scale = viewport.width() / rect.width()
        scale = max(scale, min(MIN_FIT, width_scale), 0.2)
        scale = min(scale, 1.5)
        self.view.resetTransform()
        self.view.scale(scale, scale)
        self.view.centerOn(rect.center().x(), rect.top())
        self.view.ensureVisible(QRectF(rect.left(), rect.top(), 1, 1), 0, 0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._fit_pending:
            self.fit()
        if self._history is not None:
            self._update_live(self._history)

    def changeEvent(self, event: Any) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and self.graph.nodes:
            self._draw()  # light <-> dark: every brush comes from the palette

    # -- live state ------------------------------------------------------------------------
    def follow(self, history: TrafficHistory) -> None:
        """One poll tick: show server states and rates, at most every DRAW_INTERVAL, if shown."""
        self._history = history
        if not self.isVisible() or time.monotonic() - self._drawn_at < 0.8 * DRAW_INTERVAL:
            return
        self._update_live(history)

    def _update_live(self, history: TrafficHistory) -> None:
        self._drawn_at = time.monotonic()
        running = history.started_at is not None
        states: dict[tuple[str, str], tuple[str, float]] = {}
        totals: dict[str, float] = {}
        unit = {}
        for backend in history.backends.values():
            unit[backend.name] = "req/s" if backend.mode == "http" else "conn/s"
            for server in backend.servers.values():
                rate = server.requests[-1] if server.requests else math.nan
                states[(backend.name, server.name)] = (server_state(server.status), rate)
                if not math.isnan(rate):
                    totals[backend.name] = totals.get(backend.name, 0.0) + rate
        for item in self.node_items.values():
            node = item.node
            if node.kind == SERVER and node.backend is not None and node.server is not None:
                state, _rate = states.get((node.backend, node.server), ("", math.nan))
                item.show_state(state if running else "")
            elif item.has_rate and node.backend is not None:
                total = totals.get(node.backend)
                item.show_rate(f"{format_rate(total)} {unit[node.backend]}"
                               if running and total is not None else "")
        incoming: dict[str, int] = {}
        for edge_item in self.edge_items:
            if edge_item.edge.kind == "route":
                incoming[edge_item.edge.target] = incoming.get(edge_item.edge.target, 0) + 1
        for edge_item in self.edge_items:
            edge_item.show_label(self._edge_rate(edge_item.edge, states, totals, unit, incoming)
                                 if running else "")
        self._set_status("" if running else NO_ENGINE)

    def _edge_rate(self, edge: MapEdge, states: dict[tuple[str, str], tuple[str, float]],
                   totals: dict[str, float], unit: dict[str, str], incoming: dict[str, int]) -> str:
        target = self.graph.nodes.get(edge.target)
        if target is None or target.backend is None:
            return ""
        if edge.kind == "server" and target.server is not None:
            _state, rate = states.get((target.backend, target.server), ("", math.nan))
            return "" if math.isnan(rate) else f"{format_rate(rate)}/s"
        if edge.kind == "route" and incoming.get(edge.target) == 1 and target.backend in totals:
            # the only rule into this backend carries all of its requests
            return f"{format_rate(totals[target.backend])} {unit[target.backend]}"
        return ""

    def _set_status(self, text: str) -> None:
        if self.status.text() != text:
            self.status.setText(text)

    # -- what-if ---------------------------------------------------------------------------
    def show_decision(self, decision: Any) -> None:
        """Light up the path of a ``RouteDecision`` (the what-if tester's result)."""
        path = route_path(self.graph, decision.frontend, decision.rule, decision.backend, decision.server)
        where = decision.backend or decision.outcome
        if decision.backend and decision.outcome != "backend":  # refused by the backend's own rule
            where = f"{decision.outcome} in {decision.backend}"
        elif decision.server:
            where += f" / {decision.server}"
        self.show_path(path, f"What-if: {decision.frontend} → {where}")

    def show_path(self, path: list[str], caption: str = "") -> None:
        self.path = path
        on = set(path)
        for node_id, item in self.node_items.items():
            item.highlight(node_id in on)
        steps = set(itertools.pairwise(path))
        for edge_item in self.edge_items:
            edge_item.highlight((edge_item.edge.source, edge_item.edge.target) in steps)
        self.whatif_label.setText(caption if path else "")
        self.clear_button.setVisible(bool(path))

    def open_node(self, node: MapNode) -> None:
        """The node's section form, on the tab that shows the node (a rule: Rules)."""
        self.sectionRequested.emit((*node.section, node.tab) if node.tab else node.section)

    # -- context menu and edits --------------------------------------------------------------
    def _node_menu(self, item: NodeItem, where: Any) -> None:
        menu = self.menu_for(item.node)
        menu.exec(where)
        menu.deleteLater()

    def menu_for(self, node: MapNode) -> QMenu:
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_node(node))
        if node.kind == BACKEND or (node.kind == FRONTEND and node.section[0] == "listen"):
            menu.addAction("Add server…", lambda: self.prompt_add_server(node))
        if node.kind == BACKEND:
            routes = menu.addMenu("Add a rule to here from")
            for frontend in self.graph.of_kind(FRONTEND):
                if frontend.section[0] == "frontend":
                    routes.addAction(frontend.title, functools.partial(self.prompt_add_rule, frontend, node))
            routes.setEnabled(not routes.isEmpty())
        if node.kind == FRONTEND and node.section[0] == "frontend":
            routes = menu.addMenu("Add a rule to backend")
            for backend in self.graph.of_kind(BACKEND):
                routes.addAction(f"{backend.section[0]} {backend.backend}", functools.partial(self.prompt_add_rule, node, backend))
            routes.setEnabled(not routes.isEmpty())
        if node.kind == SERVER:
            menu.addAction("Edit weight…", lambda: self.prompt_weight(node))
            menu.addSeparator()
            running = self._running_host() is not None
            for label, state in (("Drain (running engine)", "drain"),
                                 ("Disable: maintenance (running engine)", "maint"),
                                 ("Ready (running engine)", "ready")):
                action = menu.addAction(label, functools.partial(self.set_runtime_state, node, state))
                action.setEnabled(running)
                if not running:
                    action.setToolTip("Start the engine first")
        if node.line:
            menu.addAction(f"Show line {node.line} in haproxy.cfg", lambda: self.lineRequested.emit(node.line))
        return menu

    def _running_host(self) -> EngineHost | None:
        host = self.host() if self.host is not None else None
        return host if host is not None and host.running and host.engine is not None else None

    def prompt_weight(self, node: MapNode) -> None:
        current = self._server_weight(node)
        weight, ok = QInputDialog.getInt(self, "Server weight",
                                         f"Weight of {node.server} in {node.backend} (0-256):",
                                         current, 0, 256)
        if ok:
            self.set_server_weight(node, weight)

    def _server_weight(self, node: MapNode) -> int:
        section = self.document.section(*node.section)
        server = next((s for s in section.servers if s.name == node.server), None) if section else None
        return server.weight if server is not None else 1

    def set_server_weight(self, node: MapNode, weight: int) -> None:
        def mutate(config: Config) -> None:
            section = config.find(*node.section)
            server = next((s for s in section.servers if s.name == node.server), None) if section else None
            if server is None:
                raise KeyError(f"no server {node.server} in {node.backend}")
            server.set_option("weight", str(weight))

        self.document.edit(f"Set the weight of {node.server} to {weight}", mutate)

    def prompt_add_server(self, node: MapNode) -> None:
        taken = {n.server for n in self.graph.of_kind(SERVER) if n.backend == node.backend}
        suggested = next(f"server{n}" for n in range(1, len(taken) + 2) if f"server{n}" not in taken)
        dialog = ServerDialog(node.backend or "", suggested, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_server(node, dialog.name.text().strip(), dialog.address.text().strip())
        dialog.deleteLater()

    def add_server(self, node: MapNode, name: str, address: str) -> bool:
        if not name or any(c.isspace() for c in name) or not address:
            self.message.emit("A server needs a name without spaces and an address")
            return False
        self.document.edit(f"Add server {name}", lambda config: _place_in(config, node.section, Server(name, address)))
        return True

    def prompt_add_rule(self, frontend: MapNode, backend: MapNode) -> None:
        section = self.document.section(*frontend.section)
        names = sorted({a.name for a in section.acls}) if section else []
        dialog = RuleDialog(frontend.frontend or "", backend.backend or "", names, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_rule(frontend, backend, dialog.condition.condition())
        dialog.deleteLater()

    def add_rule(self, frontend: MapNode, backend: MapNode, condition: Any) -> None:
        rule = UseBackend(backend.backend or "", condition)
        self.document.edit(f"Route {frontend.frontend} to {backend.backend}",
                           lambda config: _place_in(config, frontend.section, rule))

    def set_runtime_state(self, node: MapNode, state: str) -> None:
        """drain / maint / ready on the running engine (HAProxy's ``set server be/srv state``)."""
        host = self._running_host()
        if host is None or host.engine is None:
            self.message.emit("Start the engine to change a server's state")
            return
        setter = getattr(host.engine, "set_server_state", None)  # the runtime API's command
        if setter is None:
            self.message.emit(f"{host.label} cannot change a server's state from here")
            return
        try:
            host.call(setter, node.backend, node.server, state).result(5)
        except (KeyError, ValueError, OSError) as exc:
            self.message.emit(f"Cannot set {node.server} to {state}: {exc}")
            return
        self.message.emit(f"{node.backend}/{node.server} is now {state} on the running engine "
                          "(the file is unchanged)")


def _place_in(config: Config, key: tuple[str, str | None], node: Any) -> None:
    section = config.find(*key)
    if section is None:
        raise KeyError(f"no {key[0]} {key[1]}")
    place_node(section, node)
