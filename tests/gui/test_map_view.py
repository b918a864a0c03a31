"""The Map tab with real widgets: the graph drawn for real configs, read back from the scene
and checked against the config's semantics; live states and rates from a real engine fed
by real loopback requests; the what-if path; edits from the context menu and their undo."""

from __future__ import annotations

import difflib
import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog

from gui.editors.whatif import WhatIfTester
from gui.main_window import MainWindow
from gui.map_view import DRAW_INTERVAL, NO_ENGINE, EdgeItem, MapView, NodeItem, RuleDialog
from proxy.app import demo
from proxy.config.in_words import condition_in_words
from proxy.config.nodes import Acl, Term, UseBackend
from proxy.config.semantics import describe
from proxy.config.writer import write
from tests.gui._support import http_get, on_next_modal

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "proxy" / "demo" / "tutorial.cfg"
PRODUCTION = ROOT / "tests" / "data" / "valid" / "40-big-mixed-production.cfg"
TEN = ROOT / "tests" / "data" / "gui" / "ten-backends.cfg"



def _items(view: MapView) -> tuple[dict[str, NodeItem], list[EdgeItem]]:
    nodes = {i.node.id: i for i in view.scene.items() if isinstance(i, NodeItem)}
    edges = [i for i in view.scene.items() if isinstance(i, EdgeItem)]
    return nodes, edges


def _shown_text(item: NodeItem) -> str:
    return " ".join(t.text() for t in item.texts)


@pytest.mark.parametrize("path", [TUTORIAL, PRODUCTION, TEN])
def test_opening_a_config_shows_its_map_against_its_semantics(window: MainWindow, path: Path) -> None:
    assert window.open_path(path)
    assert window.tabs.currentWidget() is window.map_view  # the default tab of an open config
    nodes, edges = _items(window.map_view)
    semantics = describe(window.document.config)
    for meaning in semantics.frontends:
        assert f"frontend:{meaning.name}" in nodes
    for meaning in semantics.backends:  # a listen once: its frontend node
        assert f"{'frontend' if meaning.section.kind == 'listen' else 'backend'}:{meaning.name}" in nodes
        for _stmt, server in meaning.servers:
            assert f"server:{meaning.name}/{server.name}" in nodes
    for meaning in semantics.frontends:
        acls: dict[str, list[Acl]] = {}
        for _st, acl in meaning.own_nodes(Acl):
            acls.setdefault(acl.name, []).append(acl)
        rules = [e.edge.target for e in edges if e.edge.source == f"frontend:{meaning.name}"]
        drawn = {(e.edge.target, e.edge.label) for e in edges if e.edge.source in rules}
        for _st, use in meaning.own_nodes(UseBackend):
            if "%[" not in use.backend:
                words = condition_in_words(use.condition, acls)
                assert (f"backend:{use.backend}", words) in drawn
                # and the words are on screen, in the rule's box
                box = next(nodes[r] for r in rules if nodes[r].node.backend == use.backend)
                assert words[:20] in _shown_text(box)
    # nothing overlaps: node boxes of one column never intersect
    boxes = sorted(nodes.values(), key=lambda i: (i.node.column, i.rect().top()))
    for upper, lower in itertools.pairwise(boxes):
        if upper.node.column == lower.node.column:
            assert upper.sceneBoundingRect().bottom() < lower.sceneBoundingRect().top()


def test_the_tutorial_map_says_its_routing_in_words(window: MainWindow) -> None:
    window.open_path(TUTORIAL)
    nodes, edges = _items(window.map_view)
    assert _shown_text(nodes["rule:main:2"]).startswith("2. path starts with /lightwork")
    assert {(e.edge.source, e.edge.target, e.edge.label) for e in edges if e.edge.kind == "route"} >= {
        ("rule:main:2", "backend:light", "path starts with /lightwork"),
        ("rule:main:3", "backend:heavy", "path starts with /heavywork"),
        ("rule:main:4", "backend:all", "otherwise"),
    }
    assert nodes["rule:main:1"].node.kind == "terminal"
    assert window.map_view.status.text() == NO_ENGINE


def test_zoom_keys_and_fit(window: MainWindow, qtbot: Any) -> None:
    window.open_path(TUTORIAL)
    view = window.map_view
    view.fit()
    fitted = view.view.transform().m11()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    view.view.setFocus()
    qtbot.keyClick(view.view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.view.transform().m11() == pytest.approx(fitted * 1.2)
    qtbot.keyClick(view.view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.view.transform().m11() == pytest.approx(fitted / 1.2)
    qtbot.keyClick(view.view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.view.transform().m11() == pytest.approx(fitted)


def test_clicking_a_node_opens_its_form(window: MainWindow) -> None:
    window.open_path(TUTORIAL)
    window.tabs.setCurrentWidget(window.map_view)
    nodes, _edges = _items(window.map_view)
    window.map_view.view.nodeClicked.emit(nodes["server:heavy/server3"])
    assert window.current_key == ("backend", "heavy")
    assert window.tabs.currentWidget() is window.editor_area
    rule = window.map_view.graph.nodes["rule:main:3"]
    window.tabs.setCurrentWidget(window.map_view)
    window.map_view.view.nodeClicked.emit(nodes["rule:main:3"])  # a rule: its frontend's Rules tab
    form = window.editor_area.widget()
    assert window.current_key == ("frontend", "main")
    assert form.tabs.tabText(form.tabs.currentIndex()) == "Rules"
    window.map_view.view.nodeClicked.emit(nodes["server:heavy/server3"])
    window.map_view.view.nodeClicked.emit(nodes["frontend:main"])  # the frontend itself: its first tab
    form = window.editor_area.widget()
    assert form.tabs.currentIndex() == 0
    _menu_action(window.map_view, rule.id, f"Show line {rule.line} in haproxy.cfg").trigger()
    assert window.tabs.currentWidget() is window.text_view
    assert window.document.text.splitlines()[rule.line - 1].strip() == "use_backend heavy if is_heavy"


def _menu_action(view: MapView, node_id: str, text: str) -> QAction:
    menu = view.menu_for(view.graph.nodes[node_id])
    actions = [a for a in menu.actions()]
    for action in menu.actions():
        if action.menu() is not None:
            actions += action.menu().actions()
    return next(a for a in actions if a.text() == text)


def test_a_weight_edited_from_the_map_changes_one_line_and_ctrl_z_undoes_it(
        window: MainWindow, qtbot: Any) -> None:
    window.open_path(TUTORIAL)
    window.tabs.setCurrentWidget(window.map_view)
    before = window.document.text

    def answer(dialog: QInputDialog) -> None:
        dialog.setIntValue(7)
        dialog.accept()

    on_next_modal(QInputDialog, answer)
    _menu_action(window.map_view, "server:heavy/server3", "Edit weight…").trigger()
    after = window.document.text
    changed = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-    server server3 127.0.0.1:8003 check",
                       "+    server server3 127.0.0.1:8003 check weight 7"]
    nodes, _edges = _items(window.map_view)
    assert "weight 7" in _shown_text(nodes["server:heavy/server3"])  # the map redrew
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.map_view.view.setFocus()
    qtbot.keyClick(window.map_view.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.text == before


def test_a_rule_added_from_the_map_uses_the_condition_builder(window: MainWindow) -> None:
    window.open_path(TUTORIAL)

    def answer(dialog: RuleDialog) -> None:
        dialog.condition.set_condition(None)
        dialog.condition.add_term(Term(name="is_admin"))
        dialog.accept()

    on_next_modal(RuleDialog, answer)
    _menu_action(window.map_view, "frontend:main", "backend light").trigger()
    section = window.document.section("frontend", "main")
    assert section is not None
    assert ["use_backend", "light", "if", "is_admin"] in [s.words for s in section.body]
    _nodes, edges = _items(window.map_view)
    assert any(e.edge.target == "backend:light" and e.edge.label == "path starts with /admin" for e in edges)
    window.document.undo_stack.undo()  # one step, as every edit
    assert "use_backend light if is_admin" not in window.document.text


# -- with the demo engine running ---------------------------------------------------------------
@pytest.fixture
def running(window: MainWindow) -> MainWindow:
    ports = window.host.start_demo_servers_blocking()
    config = demo.tutorial_config(ports, 0, stats_port=0, socket_port=None)
    window.document.load_text(write(config), "tutorial.cfg")
    window.host.start_blocking(window.document.config, window.document.base_dir)
    window.tabs.setCurrentWidget(window.map_view)
    return window


def _port(window: MainWindow) -> int:
    return next(p for f, _h, p in window.host.listening if f == "main")


def _poll_until(window: MainWindow, done: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        window.poll_engine()
        if done():
            return
        time.sleep(DRAW_INTERVAL / 2)
    raise AssertionError("the map did not show it in time")


def test_states_and_rates_follow_the_engines_stats(running: MainWindow) -> None:
    window = running
    view = window.map_view
    nodes, edges = _items(view)
    server = nodes["server:light/server1"]
    _poll_until(window, lambda: server.badge_text is not None and server.badge_text.text() == "UP")
    assert server.badge is not None and server.badge.brush().color().name() == "#2e7d32"
    for _ in range(20):
        http_get(_port(window), "/lightwork")
    to_server = next(e for e in edges if e.edge.target == "server:light/server1")
    _poll_until(window, lambda: to_server.label.text().endswith("/s") and to_server.label.text()[0] != "0")
    route = next(e for e in edges if e.edge.target == "backend:light" and e.edge.kind == "route")
    assert route.label.text().endswith("req/s") and route.label_back.isVisible()
    assert nodes["backend:light"].rate_text is not None
    assert nodes["backend:light"].rate_text.text().endswith("req/s")
    # a state changed through the runtime API shows, as text and colour
    engine = window.host.engine
    assert engine is not None
    window.host.call(engine.set_server_state, "light", "server1", "maint").result(5)
    _poll_until(window, lambda: server.badge_text is not None and server.badge_text.text() == "MAINT")
    assert server.badge is not None and server.badge.brush().color().name() == "#6d4c41"
    # ... and from the map's own context menu
    _menu_action(view, "server:light/server2", "Drain (running engine)").trigger()
    drained = nodes["server:light/server2"]
    _poll_until(window, lambda: drained.badge_text is not None and drained.badge_text.text() == "DRAIN")
    assert window.document.undo_stack.count() == 0  # runtime only: the file is unchanged
    window.host.stop_blocking()
    _poll_until(window, lambda: view.status.text() == NO_ENGINE)
    assert server.badge is not None and not server.badge.isVisible()


def test_a_listen_shows_its_rate_on_its_one_node(window: MainWindow) -> None:
    ports = window.host.start_demo_servers_blocking()
    window.document.load_text(
        "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n"
        f"listen web\n    bind 127.0.0.1:0\n    server s1 127.0.0.1:{ports[0]}\n"
        f"    server s2 127.0.0.1:{ports[1]}\n", "listen.cfg")
    window.host.start_blocking(window.document.config, window.document.base_dir)
    window.tabs.setCurrentWidget(window.map_view)
    nodes, edges = _items(window.map_view)
    assert "backend:web" not in nodes  # drawn once
    port = next(p for f, _h, p in window.host.listening if f == "web")
    s1 = nodes["server:web/s1"]
    _poll_until(window, lambda: s1.badge_text is not None and s1.badge_text.text() == "UP")
    for _ in range(20):
        http_get(port, "/")
    listen = nodes["frontend:web"]
    _poll_until(window, lambda: listen.rate_text is not None and listen.rate_text.text().endswith("req/s")
                and listen.rate_text.text()[0] != "0")
    to_s1 = next(e for e in edges if e.edge.target == "server:web/s1")
    assert to_s1.edge.source == "rule:web:1"
    _poll_until(window, lambda: to_s1.label.text().endswith("/s"))


def test_the_what_if_path_is_the_one_the_engine_takes(running: MainWindow) -> None:
    window = running
    window.select_section(("frontend", "main"))
    tester = window.editor_area.widget().findChild(WhatIfTester)
    assert tester is not None
    tester.path.setText("/heavywork")
    decision = tester.run()
    assert decision is not None and decision.backend == "heavy"
    _status, body = http_get(_port(window), "/heavywork")  # the real engine, balance source
    assert body.startswith(f"{decision.server}:")
    view = window.map_view
    assert view.path == ["frontend:main", "rule:main:3", "backend:heavy", f"server:heavy/{decision.server}"]
    nodes, edges = _items(view)
    highlight = view.palette().color(view.palette().ColorRole.Highlight).name()
    lit = {node_id for node_id, item in nodes.items() if item.pen().color().name() == highlight}
    assert lit == set(view.path)
    lit_edges = {(e.edge.source, e.edge.target) for e in edges if e.pen().color().name() == highlight}
    assert lit_edges == {("frontend:main", "rule:main:3"), ("rule:main:3", "backend:heavy"),
                         ("backend:heavy", f"server:heavy/{decision.server}")}
    assert "heavy" in view.whatif_label.text()
    tester.path.setText("/admin")
    tester.run()
    assert view.path == ["frontend:main", "rule:main:1"]  # denied: the path ends at the rule
