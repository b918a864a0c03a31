"""The routing map: frontends, their ordered rules, backends and servers as a graph.

Theory of operation
-------------------
``build_map`` reads the semantic layer (``describe``: each proxy section with
its defaults resolved) and lists, left to right, four columns:

    frontends (binds)  |  rules, in the order HAProxy runs them  |  backends  |  servers

A frontend's rules are its ``tcp-request`` rules that end a connection, its
``http-request`` rules that answer the request themselves (deny, redirect,
return, auth, ...: *terminal* nodes, the request goes no further), its
``redirect`` lines, its ``use_backend`` lines, then ``default_backend`` (a
listen section's own servers are its default).  That is the order the engine
compiler (``proxy.engine.runtime``) and HAProxy evaluate them in, so the map
reads top to bottom as "first match wins".  Rules that only modify a request
(set-header, track-sc0, ...) decide nothing and are counted on the frontend.

A listen is one section, so it is drawn once: a node in the frontends column,
its rules, and its last rule ("its own servers") leads straight to its servers.
Listens take a row each below the frontends and backends, so those edges cross
an empty backends column; a use_backend naming a listen goes to that rule.

A backend's own refusing rules (``http-request deny``, ``auth``, ...: read by
the same ``_refusals`` as a frontend's) run before a server is chosen; they are
terminal nodes in the servers column, above that backend's servers, numbered
in file order.

Edges: frontend -> each of its rules; rule -> the backend it sends to,
labelled with its condition in words (``proxy.config.in_words``); backend ->
each of its refusals (``refusal:admin:1``), then each server.  Node ids are
built from names and positions (``rule:www:2``), so a rebuilt map names the
same things the same way.

Layout is deterministic and in abstract units: x in *columns*, y and heights
in *text lines*; the view multiplies by its font's metrics, so the same layout
is legible at any scale.  Within a column the order is file order; each
frontend is placed level with its first rule and each backend with its first
server, and a group takes the height of its taller side.

No Qt here: tests assert the graph against the config's semantics without a
window.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from proxy.config.in_words import condition_in_words
from proxy.config.model import Config, Statement
from proxy.config.nodes import Acl, Bind, Condition, Rule, UseBackend, split_condition
from proxy.config.semantics import ProxyMeaning, Semantics, describe

__all__ = [
    "BACKEND", "COLUMN_CHARS", "FRONTEND", "RULE", "SERVER", "TERMINAL",
    "MapEdge", "MapNode", "RoutingMap", "build_map", "route_path", "server_state",
]

FRONTEND, RULE, TERMINAL, BACKEND, SERVER = "frontend", "rule", "terminal", "backend", "server"
COLUMNS = (FRONTEND, RULE, BACKEND, SERVER)  # TERMINAL shares the rules column
# http-request actions after which the request goes to no backend (HAProxy's final actions)
TERMINAL_ACTIONS = {
    "deny": "deny", "tarpit": "tarpit", "reject": "reject", "silent-drop": "drop",
    "redirect": "redirect", "return": "answer", "auth": "ask for a password",
    "use-service": "service",
}
# Node widths in average characters, per column (the view multiplies by its font's width);
# a rule's condition wraps onto a second line before it is cut.
COLUMN_CHARS = (30, 40, 30, 34)
TEXT_MARGIN_CHARS = 4  # the stripe and the padding inside a node
TITLE_LINES = {FRONTEND: 1, RULE: 2, TERMINAL: 2, BACKEND: 1, SERVER: 1}
PADDING = 0.6  # lines of padding inside a node (top + bottom)
GAP = 0.4  # lines between nodes of a group
GROUP_GAP = 1.0  # lines between groups (a frontend and its rules, a backend and its servers)
_LINE_RE = re.compile(r"\(line (\d+)\)\s*$")


@dataclass
class MapNode:
    id: str
    kind: str
    title: str
    detail: str  # the second line (and third for frontends, after a newline)
    section: tuple[str, str | None]  # the section to open when clicked
    line: int = 0  # the statement drawn (rules, servers), 0 for sections
    frontend: str | None = None
    backend: str | None = None
    server: str | None = None
    tooltip: str = ""
    default: bool = False  # the default_backend (or a listen's own servers) rule
    tab: str = ""  # the tab of the section's form that shows this node ("" its first)
    column: int = 0
    y: float = 0.0  # top, in text lines
    height: float = 0.0  # in text lines

    title_lines: tuple[str, ...] = ()  # the title wrapped to the node's width

    @property
    def text_lines(self) -> list[str]:
        return [*(self.title_lines or (self.title,)), *[part for part in self.detail.split("\n") if part]]


@dataclass(frozen=True)
class MapEdge:
    source: str
    target: str
    kind: str  # "rule" (frontend -> rule), "route" (rule -> backend), "server" (backend -> server)
    label: str = ""  # route edges: the condition in words


@dataclass
class RoutingMap:
    nodes: dict[str, MapNode] = field(default_factory=dict)
    edges: list[MapEdge] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[MapNode]:
        return [n for n in self.nodes.values() if n.kind in kinds]

    def edges_from(self, node_id: str) -> list[MapEdge]:
        return [e for e in self.edges if e.source == node_id]

    def edges_to(self, node_id: str) -> list[MapEdge]:
        return [e for e in self.edges if e.target == node_id]

    @property
    def height(self) -> float:
        return max((n.y + n.height for n in self.nodes.values()), default=0.0)

    def add(self, node: MapNode, column: str | None = None, title_lines: int = 0) -> MapNode:
        """Add ``node`` in its kind's column (terminals: the rules'), or in ``column``; its
        title wraps onto its kind's TITLE_LINES, or ``title_lines``."""
        node.column = COLUMNS.index(column or (RULE if node.kind == TERMINAL else node.kind))
        width = COLUMN_CHARS[node.column] - TEXT_MARGIN_CHARS
        # bold titles run about 15 % wider than the average character
        node.title_lines = tuple(textwrap.wrap(node.title, int(width * 0.85),
                                               max_lines=title_lines or TITLE_LINES[node.kind],
                                               placeholder=" …") or [node.title])
        node.height = len(node.text_lines) + PADDING
        self.nodes[node.id] = node
        return node


def build_map(config: Config, semantics: Semantics | None = None) -> RoutingMap:
    """The graph of ``config`` (every active frontend, listen and backend), laid out."""
    semantics = semantics or describe(config)
    graph = RoutingMap()
    frontends, backends, listens = _split(semantics)
    # a use_backend naming a listen goes to the rule that sends to its own servers (its last)
    backend_ids = {m.name: f"rule:{m.name}:{len(_rules(m))}" for m in listens}
    for meaning in backends:
        backend_ids[meaning.name] = _add_backend(graph, meaning)
    for meaning in [*frontends, *listens]:  # listens last: they are drawn below the rest
        _add_frontend(graph, meaning, backend_ids)
    _layout(graph, frontends, backends, listens)
    return graph


def _split(semantics: Semantics) -> tuple[list[ProxyMeaning], list[ProxyMeaning], list[ProxyMeaning]]:
    """(frontends, backends, listens): a listen is drawn once, as a frontend with its servers."""
    listens = [m for m in semantics.frontends if m.section.kind == "listen"]
    return ([m for m in semantics.frontends if m.section.kind != "listen"],
            [m for m in semantics.backends if m.section.kind != "listen"], listens)


# -- frontends and their rules ------------------------------------------------------------------
def _add_frontend(graph: RoutingMap, meaning: ProxyMeaning, backend_ids: dict[str, str]) -> None:
    section = meaning.section
    name = meaning.name
    key = (section.kind, section.name)
    binds = [a for _s, b in meaning.own_nodes(Bind) for a in _bind_texts(b)]
    rules = _rules(meaning)
    modifiers = sum(1 for _s, n in meaning.own_nodes(Rule)
                    if n.family == "http-request" and n.action not in TERMINAL_ACTIONS)
    mode = meaning.mode.value
    third = f"mode {mode}" + (f" · {modifiers} rule(s) change requests" if modifiers else "")
    node = graph.add(MapNode(
        f"frontend:{name}", FRONTEND, f"{section.kind} {name}",
        ("listens on " + ", ".join(binds) if binds else "no bind line") + "\n" + third, key,
        line=section.header.location()[0], frontend=name,
        backend=name if section.kind == "listen" else None, tooltip="\n".join([f"{section.kind} {name} ({mode})", *(f"bind {b}" for b in binds)])))
    acls = _acls(meaning)
    for number, (stmt, kind, target, condition, action) in enumerate(rules, start=1):
        if kind == "default":
            words = "otherwise" if len(rules) > 1 else "always"
        else:
            words = condition_in_words(condition, acls)
        rule_id = f"rule:{name}:{number}"
        node_kind = TERMINAL if kind == TERMINAL else RULE
        line = stmt.location()[0] if stmt is not None else 0
        graph.add(MapNode(
            rule_id, node_kind, f"{number}. {words}", action, key, line=line, frontend=name,
            backend=target, tooltip=" ".join(stmt.words) if stmt is not None else action,
            default=kind == "default", tab="Rules"))
        graph.edges.append(MapEdge(node.id, rule_id, "rule"))
        if kind == "default" and section.kind == "listen":
            _add_servers(graph, rule_id, meaning, words)
        elif target is not None and target in backend_ids:
            graph.edges.append(MapEdge(rule_id, backend_ids[target], "route", words))


Decision = tuple[Statement | None, str, str | None, Condition | None, str]


def _rules(meaning: ProxyMeaning) -> list[Decision]:
    """(statement, kind, backend, condition, action text) in evaluation order."""
    found = _refusals(meaning)
    for stmt, use in meaning.own_nodes(UseBackend):
        if "%[" in use.backend:
            found.append((stmt, RULE, None, use.condition, f"backend named by {use.backend}"))
        else:
            found.append((stmt, RULE, use.backend, use.condition, f"use_backend {use.backend}"))
    default = _default_backend(meaning)
    if default is not None:
        found.append((meaning.last_statement("default_backend"), "default", default, None,
                      f"default_backend {default}" if meaning.section.kind != "listen"
                      else _own_servers(meaning)))
    return found


def _own_servers(meaning: ProxyMeaning) -> str:
    if meaning.servers or any(s.keyword == "server-template" for s in meaning.own):
        return "its own servers · " + " ".join(meaning.balance.value)
    return "statistics page" if meaning.last_statement("stats") else "no servers"


def _refusals(meaning: ProxyMeaning) -> list[Decision]:
    """The rules of a section (frontend or backend) that end the request there, in the order
    HAProxy runs them: tcp-request rejects, final http-request actions, redirect lines."""
    found: list[Decision] = []
    for stmt, node in meaning.own_nodes(Rule):
        if node.family == "tcp-request" and node.action == "reject":
            found.append((stmt, TERMINAL, None, node.condition, f"reject the connection ({node.stage})"))
    for stmt, node in meaning.own_nodes(Rule):
        if node.family == "http-request" and node.action in TERMINAL_ACTIONS:
            found.append((stmt, TERMINAL, None, node.condition, _terminal_text(node)))
    for stmt in meaning.every("redirect"):
        if stmt in meaning.own:
            args, condition = split_condition(stmt.words, 1)
            found.append((stmt, TERMINAL, None, condition, "redirect " + " ".join(args)))
    return found


def _default_backend(meaning: ProxyMeaning) -> str | None:
    """A listen section is its own default; a frontend's default_backend may be inherited."""
    if meaning.section.kind == "listen":
        return meaning.name
    found = meaning.default_backend
    return found.value if found is not None else None


def _terminal_text(node: Rule) -> str:
    what = TERMINAL_ACTIONS[node.action]
    args = node.args
    status = _option(args, "deny_status") or _option(args, "status") or _option(args, "code")
    if node.action == "redirect" and len(args) >= 2:
        return f"redirect {args[0]} {args[1]}" + (f" ({status})" if status else "")
    if node.action == "auth":
        realm = _option(args, "realm")
        return f"{what}" + (f" (realm {realm})" if realm else "") + " · 401"
    return f"{what} ({status})" if status else what


def _option(args: Sequence[str], name: str) -> str | None:
    for i, word in enumerate(args[:-1]):
        if word == name:
            return args[i + 1]
    return None


def _acls(meaning: ProxyMeaning) -> dict[str, list[Acl]]:
    acls: dict[str, list[Acl]] = {}
    for _stmt, acl in meaning.own_nodes(Acl):
        acls.setdefault(acl.name, []).append(acl)
    return acls


def _bind_texts(bind: Bind) -> Iterable[str]:
    tls = " (TLS)" if bind.ssl else ""
    for address in bind.addresses:
        yield address + tls


# -- backends and servers -----------------------------------------------------------------------
def _add_backend(graph: RoutingMap, meaning: ProxyMeaning) -> str:
    section = meaning.section
    name = meaning.name
    key = (section.kind, section.name)
    templates = [s for s in meaning.own if s.keyword == "server-template"]
    algorithm = " ".join(meaning.balance.value)
    count = len(meaning.servers) + sum(_template_count(s) for s in templates)
    what = algorithm if count else "no servers"  # the servers are drawn beside it
    node_id = f"backend:{name}"
    # the title is the name alone: its live requests/s share the line
    graph.add(MapNode(node_id, BACKEND, name, f"{section.kind} · {what}", key, line=section.header.location()[0], backend=name,
                      tooltip=f"{section.kind} {name}: balance {algorithm}"))
    _add_backend_refusals(graph, meaning, node_id)
    _add_servers(graph, node_id, meaning)
    return node_id


def _add_servers(graph: RoutingMap, source_id: str, meaning: ProxyMeaning, label: str = "") -> None:
    """The servers of a backend, or of a listen (then drawn from its own-servers rule)."""
    key = (meaning.section.kind, meaning.section.name)
    name = meaning.name
    for stmt, server in meaning.servers:
        merged = meaning.merged_server(server)
        flags = [f"weight {merged.weight}"] if merged.option("weight") else []
        flags += [flag for flag in ("backup", "check") if merged.has(flag)]
        _add_server(graph, source_id, key, name, server.name, server.address, flags, stmt, label)
    for stmt in (s for s in meaning.own if s.keyword == "server-template"):
        words = stmt.words
        prefix, address = (words[1], words[3]) if len(words) > 3 else (words[-1], "")
        for n in range(1, _template_count(stmt) + 1):
            _add_server(graph, source_id, key, name, f"{prefix}{n}", address, ["template"], stmt, label)


def _add_backend_refusals(graph: RoutingMap, meaning: ProxyMeaning, backend_id: str) -> None:
    """A backend's own deny/auth/redirect... rules, in the servers column above its servers:
    they run before a server is chosen, so a request sent here can still be refused."""
    acls = _acls(meaning)
    key = (meaning.section.kind, meaning.section.name)
    for number, (stmt, _kind, _target, condition, action) in enumerate(_refusals(meaning), start=1):
        node_id = f"refusal:{meaning.name}:{number}"
        graph.add(MapNode(node_id, TERMINAL, f"{number}. {condition_in_words(condition, acls)}", action, key,
                          line=stmt.location()[0] if stmt is not None else 0, backend=meaning.name,
                          tooltip=" ".join(stmt.words) if stmt is not None else action),
                  column=SERVER, title_lines=3)  # a narrower column than the rules': one more line
        graph.edges.append(MapEdge(backend_id, node_id, "rule"))


def _add_server(graph: RoutingMap, backend_id: str, key: tuple[str, str | None], backend: str,
                name: str, address: str, flags: list[str], stmt: Statement, label: str = "") -> None:
    server_id = f"server:{backend}/{name}"
    graph.add(MapNode(server_id, SERVER, name, " · ".join([address, *flags]), key,
                      line=stmt.location()[0], backend=backend, server=name,
                      tooltip=" ".join(stmt.words)))
    graph.edges.append(MapEdge(backend_id, server_id, "server", label))


def _template_count(stmt: Statement) -> int:
    """``server-template api 3 ...`` makes api1..api3; ``1-5`` makes five."""
    words = stmt.words
    if len(words) < 3:
        return 0
    low, _sep, high = words[2].partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        return 0
    return int(high) - int(low) + 1 if high else int(low)


# -- layout --------------------------------------------------------------------------------------
def _stack(nodes: Sequence[MapNode], top: float) -> float:
    """Place ``nodes`` one under the other from ``top``; returns the bottom."""
    y = top
    for node in nodes:
        node.y = y
        y += node.height + GAP
    return y - GAP if nodes else top


def _layout(graph: RoutingMap, frontends: list[ProxyMeaning], backends: list[ProxyMeaning],
            listens: list[ProxyMeaning]) -> None:
    """Frontends level with their first rule, backends level with their first server; then,
    below both, one row per listen: its node, its rules, its own servers."""
    fronts_bottom = backs_bottom = -GROUP_GAP
    for meaning in frontends:
        fronts_bottom = _place_frontend(graph, meaning, fronts_bottom + GROUP_GAP)
    for meaning in backends:
        backend = graph.nodes[f"backend:{meaning.name}"]
        servers = [graph.nodes[e.target] for e in graph.edges_from(backend.id)]
        top = backs_bottom + GROUP_GAP
        backs_bottom = max(_stack([backend], top), _stack(servers, top))
    bottom = max(fronts_bottom, backs_bottom)
    for meaning in listens:
        bottom = _place_frontend(graph, meaning, bottom + GROUP_GAP)


def _place_frontend(graph: RoutingMap, meaning: ProxyMeaning, top: float) -> float:
    """A frontend and its rules from ``top`` (a listen's servers too); returns the bottom."""
    frontend = graph.nodes[f"frontend:{meaning.name}"]
    rules = [graph.nodes[e.target] for e in graph.edges_from(frontend.id) if e.kind == "rule"]
    servers = [graph.nodes[e.target] for r in rules for e in graph.edges_from(r.id) if e.kind == "server"]
    return max(_stack([frontend], top), _stack(rules, top), _stack(servers, top))


# -- reading the engine's answers ---------------------------------------------------------------
def route_path(graph: RoutingMap, frontend: str, rule: str, backend: str | None,
               server: str | None) -> list[str]:
    """The node ids a routed request went through: its frontend, the rule that decided
    (the engine labels rules "<text> (line N)", default_backend "default_backend NAME"),
    the backend and the server.  Unknown parts are left out."""
    path = [f"frontend:{frontend}"]
    rules = [graph.nodes[e.target] for e in graph.edges_from(path[0]) if e.kind == "rule"]
    match = _LINE_RE.search(rule)
    line = int(match.group(1)) if match is not None else 0
    refused = [graph.nodes[e.target] for e in graph.edges_from(f"backend:{backend}")
               if e.kind == "rule" and line and graph.nodes[e.target].line == line]
    if refused:  # the backend's own rule refused it (the engine names that rule, not the route)
        routing = [r.id for r in rules if r.backend == backend]
        return [*path, *(routing if len(routing) == 1 else []), f"backend:{backend}", refused[0].id]
    if line:
        path += [n.id for n in rules if n.line == line][:1]
    elif rule.startswith("default_backend"):
        path += [n.id for n in rules if n.default][:1]
    if backend is not None:
        path.append(f"backend:{backend}")  # absent for a listen: its rule leads to its servers
        if server is not None:
            path.append(f"server:{backend}/{server}")
    return [node_id for node_id in path if node_id in graph.nodes]


def server_state(status: str) -> str:
    """The state word a server node shows for a ``show stat`` status: UP, DOWN, MAINT,
    DRAIN or NOLB ("UP 1/3", a server going up, is still DOWN for traffic: HAProxy)."""
    for word in ("MAINT", "DRAIN", "NOLB"):
        if word in status:
            return word
    # "UP 1/3" is still up (a check failed), "DOWN 1/2" still down (one succeeded)
    if status.startswith("DOWN"):
        return "DOWN"
    if status.startswith("UP") or status in ("no check", "OPEN"):
        return "UP"
    return status or "?"
