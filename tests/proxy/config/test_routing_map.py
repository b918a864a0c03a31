"""The routing map's graph, read against the config's semantics (no Qt)."""

from __future__ import annotations

import ipaddress
import itertools
from pathlib import Path

import pytest

from proxy.config.in_words import condition_in_words
from proxy.config.model import Config
from proxy.config.nodes import Acl, Rule, UseBackend
from proxy.config.parser import parse
from proxy.config.routing_map import (
    BACKEND,
    FRONTEND,
    SERVER,
    TERMINAL,
    MapEdge,
    build_map,
    route_path,
    server_state,
)
from proxy.config.semantics import describe
from proxy.engine import Engine, RequestContext

ROOT = Path(__file__).resolve().parents[3]
TUTORIAL = ROOT / "proxy" / "demo" / "tutorial.cfg"
PRODUCTION = ROOT / "tests" / "data" / "valid" / "40-big-mixed-production.cfg"
TEN = ROOT / "tests" / "data" / "gui" / "ten-backends.cfg"


def _config(path: Path) -> Config:
    return parse(path.read_text(), str(path)).config


@pytest.mark.parametrize("path", [TUTORIAL, PRODUCTION, TEN])
def test_every_frontend_rule_backend_and_server_is_on_the_map(path: Path) -> None:
    config = _config(path)
    semantics = describe(config)
    graph = build_map(config, semantics)
    assert {n.frontend for n in graph.of_kind(FRONTEND)} == {m.name for m in semantics.frontends}
    # a listen is drawn once, as a frontend: only backend sections get a backend box
    assert {n.backend for n in graph.of_kind(BACKEND)} == {
        m.name for m in semantics.backends if m.section.kind == "backend"}
    servers = {(m.name, s.name) for m in semantics.backends for _st, s in m.servers}
    assert servers <= {(n.backend, n.server) for n in graph.of_kind(SERVER)}
    for meaning in semantics.frontends:
        rules = [graph.nodes[e.target] for e in graph.edges_from(f"frontend:{meaning.name}")]
        routes = [(e.target, e.label) for r in rules for e in graph.edges_from(r.id)]
        own = meaning.name if meaning.section.kind == "listen" else None
        acls: dict[str, list[Acl]] = {}
        for _st, acl in meaning.own_nodes(Acl):
            acls.setdefault(acl.name, []).append(acl)
        expected = [(f"backend:{u.backend}", condition_in_words(u.condition, acls))
                    for _st, u in meaning.own_nodes(UseBackend) if "%[" not in u.backend]
        default = meaning.name if meaning.section.kind == "listen" else (
            meaning.default_backend.value if meaning.default_backend else None)
        words = "otherwise" if len(rules) > 1 else "always"
        if own is not None:  # a listen's last rule leads straight to its own servers
            expected += [(f"server:{own}/{s.name}", words) for _st, s in meaning.servers]
        elif default is not None:
            expected.append((f"backend:{default}", words))
        assert routes == expected  # the rules in HAProxy's order, each labelled with its condition


def test_the_tutorial_reads_as_its_comment_says() -> None:
    graph = build_map(_config(TUTORIAL))
    rules = [n for n in graph.nodes.values() if n.frontend == "main" and n.kind != FRONTEND]
    assert [(n.kind, n.title, n.detail) for n in rules] == [
        (TERMINAL, "1. path starts with /admin", "deny"),
        ("rule", "2. path starts with /lightwork", "use_backend light"),
        ("rule", "3. path starts with /heavywork", "use_backend heavy"),
        ("rule", "4. otherwise", "default_backend all"),
    ]
    assert [e.target for e in graph.edges_from("backend:all")] == [
        f"server:all/server{n}" for n in range(1, 5)]


def test_production_terminals_and_templates() -> None:
    graph = build_map(_config(PRODUCTION))
    terminals = [n.detail for n in graph.of_kind(TERMINAL) if n.frontend == "fe_public"]
    assert terminals == ["redirect scheme https (301)", "answer (200)", "deny (403)", "deny (429)",
                         "redirect prefix https://www.${SITE_DOMAIN} (301)"]
    assert all(not graph.edges_from(n.id) for n in graph.of_kind(TERMINAL))  # the request ends there
    admin = [graph.nodes[e.target] for e in graph.edges_from("backend:be_admin")]
    assert [(n.kind, n.title, n.detail) for n in admin] == [  # refused before a server is chosen
        (TERMINAL, "1. " + _words(PRODUCTION, "be_admin", 0), "deny"),
        (TERMINAL, "2. " + _words(PRODUCTION, "be_admin", 1), "ask for a password (realm edge-lb-01 admin) · 401"),
        (SERVER, "admin1", "10.44.0.11:8080 · check")]
    assert admin[0].column == admin[2].column and admin[0].y < admin[1].y < admin[2].y
    assert " ".join(admin[0].title_lines) == admin[0].title  # wrapped, not cut, in the narrower column
    assert [n.server for n in graph.of_kind(SERVER) if n.backend == "be_api"] == [
        "api1", "api2", "api-auto1", "api-auto2", "api-auto3"]


def _words(path: Path, backend: str, index: int) -> str:
    """The condition, in words, of ``backend``'s index-th http-request rule."""
    meaning = next(m for m in describe(_config(path)).backends if m.name == backend)
    acls: dict[str, list[Acl]] = {}
    for _st, acl in meaning.own_nodes(Acl):
        acls.setdefault(acl.name, []).append(acl)
    rules = [r for _st, r in meaning.own_nodes(Rule) if r.family == "http-request"]
    return condition_in_words(rules[index].condition, acls)


def test_a_listen_is_drawn_once_in_its_own_row_below_the_rest() -> None:
    graph = build_map(_config(PRODUCTION))
    assert "backend:postgres" not in graph.nodes
    postgres = graph.nodes["frontend:postgres"]
    assert postgres.title == "listen postgres"
    rule = graph.nodes["rule:postgres:1"]
    assert (rule.title, rule.detail) == ("1. always", "its own servers · roundrobin")
    servers = [graph.nodes[e.target] for e in graph.edges_from(rule.id)]
    assert [n.server for n in servers] == ["pg1", "pg2"]
    assert postgres.y == rule.y == servers[0].y  # one row
    others = [n for n in graph.nodes.values() if n.section[0] != "listen"]
    assert postgres.y > max(n.y + n.height for n in others)  # below every frontend and backend
    stats = graph.nodes["rule:stats:1"]
    assert stats.detail == "statistics page" and not graph.edges_from(stats.id)


@pytest.mark.parametrize("path", [TEN, PRODUCTION])
def test_layout_is_deterministic_ordered_and_free_of_overlaps(path: Path) -> None:
    config = _config(path)
    first, second = build_map(config), build_map(_config(path))
    assert [(n.id, n.column, n.y) for n in first.nodes.values()] == \
        [(n.id, n.column, n.y) for n in second.nodes.values()]
    by_column: dict[int, list[tuple[float, float]]] = {}
    for node in first.nodes.values():
        by_column.setdefault(node.column, []).append((node.y, node.y + node.height))
    for spans in by_column.values():
        for (_top, bottom), (next_top, _bottom) in itertools.pairwise(spans):
            assert next_top > bottom  # file order, top to bottom, never overlapping
    backends = [n.backend for n in first.of_kind(BACKEND)]
    assert backends == [s.name for s in config.backends if s.kind == "backend"]


def test_an_edit_elsewhere_moves_nothing() -> None:
    text = TUTORIAL.read_text()
    before = build_map(parse(text).config)
    after = build_map(parse(text.replace("server server3 127.0.0.1:8003 check",
                                         "server server3 127.0.0.1:8003 check weight 5")).config)
    assert [(n.id, n.y) for n in before.nodes.values()] == [(n.id, n.y) for n in after.nodes.values()]


def test_route_path_reads_the_engine_labels() -> None:
    graph = build_map(_config(TUTORIAL))
    line = next(n.line for n in graph.nodes.values() if n.id == "rule:main:3")
    assert route_path(graph, "main", f"use_backend heavy if is_heavy (line {line})", "heavy", "server4") == [
        "frontend:main", "rule:main:3", "backend:heavy", "server:heavy/server4"]
    assert route_path(graph, "main", "default_backend all", "all", "server1") == [
        "frontend:main", "rule:main:4", "backend:all", "server:all/server1"]


def test_route_path_ends_at_a_backend_rule_the_real_engine_says_refused() -> None:
    text = TUTORIAL.read_text() + """
backend guarded
    acl office src 10.9.0.0/16
    http-request deny unless office
    server g1 127.0.0.1:9
listen db
    bind 127.0.0.1:0
    mode tcp
    server d1 127.0.0.1:9
"""
    text = text.replace("use_backend light if is_light", "use_backend guarded if is_light")
    config = parse(text).config
    graph = build_map(config)
    engine = Engine(config)  # routing is a pure decision: nothing listens
    here = ipaddress.ip_address("10.1.2.3")

    def route(frontend: str, path: str) -> list[str]:
        request = RequestContext.for_http(src=here, src_port=5555, dst=here, dst_port=80, method=b"GET",
                                          target=path.encode(), headers=[(b"Host", b"x")])
        d = engine.route(frontend, request)
        return route_path(graph, d.frontend, d.rule, d.backend, d.server)

    assert route("main", "/lightwork") == [
        "frontend:main", "rule:main:2", "backend:guarded", "refusal:guarded:1"]
    assert route("db", "/") == ["frontend:db", "rule:db:1", "server:db/d1"]  # a listen: once
    assert graph.edges_from("rule:db:1") == [MapEdge("rule:db:1", "server:db/d1", "server", "always")]


@pytest.mark.parametrize("status, state", [
    ("UP", "UP"), ("UP 1/3", "UP"), ("DOWN", "DOWN"), ("DOWN 1/2", "DOWN"), ("MAINT", "MAINT"),
    ("DRAIN", "DRAIN"), ("no check", "UP"), ("MAINT (resolution)", "MAINT")])
def test_server_states(status: str, state: str) -> None:
    assert server_state(status) == state
