"""What a config means: one description per proxy section, every value with its source.

Theory of operation
-------------------
HAProxy parses each ``frontend``/``backend``/``listen`` section into one
``struct proxy`` that every subsystem reads; this module is Proxydesk's
``struct proxy``.  The validator, the engine compiler and the GUI's
"inherited from ..." hints all read a ``ProxyMeaning`` instead of walking
statements on their own, so the three cannot disagree about a line.

Which defaults a section gets follows HAProxy 2.6 (cfgparse-listen.c):

* a proxy without ``from`` takes the **last defaults section before it**,
  named or not;
* ``from NAME`` (on a proxy or on a defaults section) takes the defaults
  section called NAME **declared before** that line; none is an error
  ("defaults section 'NAME' not found ..."), two or more is an error
  ("ambiguous defaults section name ...") -- an unreferenced duplicate name
  is fine;
* a defaults section without ``from`` starts from HAProxy's built-in values
  ("the next defaults section resets" the previous one); one with ``from``
  starts as a copy of its parent.

So a proxy's settings are its defaults chain's statements, farthest parent
first, then its own: HAProxy's "last one wins" read over that list is the
effective value, and the statement it came from is its provenance.  Values
nobody sets come from the registry (``proxy.config.keywords``: the
keyword's or option's ``default``); timeouts that fall back on another one
(``timeout http-request`` -> ``timeout client``) follow
``keywords.TIMEOUTS``.

Meaning-level diagnostics (an unknown or ambiguous ``from``, missing
timeouts) are produced here once; the validator collects them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from proxy.config import keywords as kw
from proxy.config.conditionals import active_statements
from proxy.config.model import PROXY_KINDS, Config, Diagnostic, Section, Statement
from proxy.config.nodes import Bind, Node, Server
from proxy.config.timeparse import parse_time_ms

__all__ = [
    "BUILTIN",
    "ProxyMeaning",
    "Semantics",
    "Source",
    "Value",
    "describe",
    "global_setting",
    "inheritors",
    "meaning_of",
    "takers",
    "tls_binds_taking",
]

T = TypeVar("T")
N = TypeVar("N", bound=Node)


@dataclass(frozen=True)
class Source:
    """Where a value comes from: a statement of a section, or HAProxy's built-in value.

    ``through`` lists the defaults sections between the proxy and ``section``
    (nearest first): ``frontend fe from web`` reading ``timeout server`` of
    ``defaults base`` through ``defaults web from base`` has ``through=(web,)``.
    """

    section: Section | None = None
    statement: Statement | None = None
    through: tuple[Section, ...] = ()

    @property
    def builtin(self) -> bool:
        return self.section is None

    @property
    def line(self) -> int:
        return self.statement.location()[0] if self.statement is not None else 0

    def where(self) -> str:
        """``defaults base``, ``backend be`` or ``HAProxy's default``."""
        return section_title(self.section) if self.section is not None else kw.BUILTIN_SOURCE

    def describe(self) -> str:
        """``defaults base line 4, through defaults web`` -- for tooltips and messages."""
        if self.section is None:
            return kw.BUILTIN_SOURCE
        text = f"{section_title(self.section)} line {self.line}" if self.line else self.where()
        if self.through:
            text += ", through " + ", ".join(section_title(s) for s in self.through)
        return text


BUILTIN = Source()


@dataclass(frozen=True)
class Value(Generic[T]):
    """An effective value and its ``Source``."""

    value: T
    source: Source

    @property
    def builtin(self) -> bool:
        return self.source.builtin


def section_title(section: Section) -> str:
    return f"{section.kind} {section.name}" if section.name else section.kind


class ProxyMeaning:
    """One frontend, backend, listen or defaults section with its defaults chain resolved.

    ``statements`` are the active statements that apply, inherited ones
    first (farthest defaults first), so "last wins" reads give HAProxy's value.
    """

    def __init__(self, section: Section, chain: tuple[Section, ...], active: set[int] | None,
                 *, own: bool = True) -> None:
        self.section = section
        self.chain = chain  # defaults sections inherited from, nearest first
        self._sources: dict[int, Source] = {}
        self.inherited: list[Statement] = []
        for depth in range(len(chain) - 1, -1, -1):
            parent = chain[depth]
            for stmt in _live(parent, active):
                self.inherited.append(stmt)
                self._sources[id(stmt)] = Source(parent, stmt, chain[:depth])
        self.own = list(_live(section, active)) if own else []  # own=False: what it inherits
        for stmt in self.own:
            self._sources[id(stmt)] = Source(section, stmt)
        self.statements = [*self.inherited, *self.own]
        # ids of the statements a reader asked for: the engine compiler's reads tell which
        # keywords it implements (tests check the registry's ``engine`` flags against them)
        self.read: set[int] = set()

    def __repr__(self) -> str:
        return f"ProxyMeaning({section_title(self.section)!r}, chain={[section_title(s) for s in self.chain]})"

    @property
    def name(self) -> str:
        return self.section.name or ""

    @property
    def defaults(self) -> Section | None:
        """The defaults section this one reads first (``from`` or the last before it)."""
        return self.chain[0] if self.chain else None

    def _mark(self, stmts: list[Statement]) -> list[Statement]:
        self.read.update(id(s) for s in stmts)
        return stmts

    def source(self, stmt: Statement) -> Source:
        return self._sources.get(id(stmt), BUILTIN)

    def sourced(self, stmt: Statement, value: T) -> Value[T]:
        return Value(value, self.source(stmt))

    # -- "last one wins" reads ----------------------------------------------------
    def last_statement(self, keyword: str, *, inherited: bool = True) -> Statement | None:
        pool = self.statements if inherited else self.own
        found = self._mark([s for s in pool if s.keyword == keyword])
        return found[-1] if found else None

    def last(self, keyword: str) -> Value[list[str]] | None:
        """The words of the last ``keyword`` line that applies."""
        stmt = self.last_statement(keyword)
        return self.sourced(stmt, stmt.words) if stmt is not None else None

    def every(self, keyword: str) -> list[Statement]:
        """Every line of ``keyword`` that applies, inherited first (for cumulative keywords)."""
        return self._mark([s for s in self.statements if s.keyword == keyword])

    def option(self, name: str) -> Value[tuple[bool, list[str]]] | None:
        """(enabled, arguments) of the last ``[no] option NAME`` line, with its source."""
        found: Value[tuple[bool, list[str]]] | None = None
        for stmt in self.statements:
            words = stmt.words
            negated = words[0] == "no"
            body = words[1:] if negated or words[0] == "default" else words
            if len(body) >= 2 and body[0] == "option" and body[1] == name:
                found = self.sourced(self._mark([stmt])[0], (not negated, body[2:]))
        return found

    def enabled(self, name: str) -> bool:
        found = self.option(name)
        return found is not None and found.value[0]

    def setting(self, keyword: str) -> Value[list[str]] | None:
        """The arguments of the last ``keyword`` line that applies, else HAProxy's
        built-in value from the registry (``retries`` -> ``["3"]``), else None."""
        found = self.last(keyword)
        if found is not None:
            return Value(found.value[len(keyword.split()):], found.source)
        spec = kw.KEYWORDS.get(keyword)
        return Value([spec.default], BUILTIN) if spec is not None and spec.default else None

    def own_nodes(self, kind: type[N]) -> list[tuple[Statement, N]]:
        found = self._mark([s for s in self.own if isinstance(s.node, kind)])
        return [(s, s.node) for s in found if isinstance(s.node, kind)]

    # -- typed settings -------------------------------------------------------------
    @property
    def mode(self) -> Value[str]:
        found = self.last("mode")
        if found is not None and len(found.value) > 1:
            return Value(found.value[1], found.source)
        return Value(kw.builtin_default("mode"), BUILTIN)

    @property
    def balance(self) -> Value[list[str]]:
        """The algorithm and its arguments: ``["uri", "whole"]``; HAProxy's is roundrobin."""
        found = self.last("balance")
        if found is not None and len(found.value) > 1:
            return Value(found.value[1:], found.source)
        return Value([kw.builtin_default("balance")], BUILTIN)

    @property
    def default_backend(self) -> Value[str] | None:
        found = self.last("default_backend")
        return Value(found.value[1], found.source) if found and len(found.value) > 1 else None

    def timeout(self, kind: str) -> Value[str] | None:
        """The ``timeout KIND`` value set for this section (own or inherited), no fallback."""
        for stmt in reversed(self.statements):
            words = stmt.words
            if len(words) == 3 and words[0] == "timeout" and words[1] == kind:
                return self.sourced(self._mark([stmt])[0], words[2])
        return None

    def timeout_seconds(self, kind: str) -> float | None:
        """``timeout KIND`` in seconds, None when not set (HAProxy: no timeout)."""
        found = self.timeout(kind)
        return parse_time_ms(found.value) / 1000.0 if found is not None else None

    def effective_timeout(self, kind: str) -> tuple[str, Value[str]] | None:
        """The timeout that really applies for ``kind``, following HAProxy's fallbacks:
        (the kind it was found under, its value); None when none applies."""
        seen: set[str] = set()
        current: str | None = kind
        while current is not None and current not in seen:
            seen.add(current)
            found = self.timeout(current)
            if found is not None:
                return current, found
            current = kw.TIMEOUTS[current].fallback if current in kw.TIMEOUTS else None
        return None

    # -- servers ----------------------------------------------------------------------
    def default_server_lines(self, *, own: bool = True) -> list[Statement]:
        """The ``default-server`` lines that apply, inherited first."""
        pool = self.statements if own else self.inherited
        return self._mark([s for s in pool if isinstance(s.node, Server) and s.node.default])

    @property
    def servers(self) -> list[tuple[Statement, Server]]:
        """The section's own servers as written (``default-server`` lines excluded)."""
        return [(s, n) for s, n in self.own_nodes(Server) if not n.default]

    def merged_server(self, node: Server) -> Server:
        """``node`` with every ``default-server`` option under its own (read "last wins")."""
        options = [o for s in self.default_server_lines() for o in _server(s).options]
        return Server(node.name, node.address, [*options, *node.options])

    def server_option(self, name: str, *, own_defaults: bool = True) -> Value[str] | None:
        """What option ``name`` is for a server whose line does not set it: the last
        ``default-server`` setting it, else the registry's default.  ``own_defaults=False``
        skips this section's own ``default-server``."""
        for stmt in reversed(self.default_server_lines(own=own_defaults)):
            args = _server(stmt).option(name)
            if args:
                return self.sourced(stmt, args[0])
        spec = kw.SERVER_OPTIONS.get(name)
        return Value(spec.default, BUILTIN) if spec is not None and spec.default else None


def _server(stmt: Statement) -> Server:
    assert isinstance(stmt.node, Server)
    return stmt.node


def _live(section: Section, active: set[int] | None) -> Iterator[Statement]:
    for stmt in section.body:
        if stmt.words and (active is None or id(stmt) in active):
            yield stmt


@dataclass
class Semantics:
    """Every proxy section of a config with its meaning, and the diagnostics about it."""

    config: Config
    active: set[int]
    proxies: list[ProxyMeaning] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _by_id: dict[int, ProxyMeaning] = field(default_factory=dict, repr=False)

    def of(self, section: Section) -> ProxyMeaning:
        found = self._by_id.get(id(section))
        if found is None:  # an inactive section, or one added since: resolve it alone
            found = ProxyMeaning(section, resolve_chain(self.config, section)[0], self.active)
        return found

    def of_kind(self, *kinds: str) -> list[ProxyMeaning]:
        return [p for p in self.proxies if p.section.kind in kinds]

    @property
    def frontends(self) -> list[ProxyMeaning]:
        return self.of_kind("frontend", "listen")

    @property
    def backends(self) -> list[ProxyMeaning]:
        return self.of_kind("backend", "listen")

    def backend(self, name: str) -> ProxyMeaning | None:
        return next((p for p in self.backends if p.section.name == name), None)


def describe(config: Config, *, env: Mapping[str, str] | None = None,
             active: set[int] | None = None) -> Semantics:
    """The meaning of every active proxy section of ``config``."""
    if active is None:
        active, _ = active_statements(config.all_statements(), config.path, env)
    semantics = Semantics(config, active)
    live = [s for s in config.sections if id(s.header) in active]
    for section in live:
        if section.kind not in PROXY_KINDS:
            continue
        chain, problem = resolve_chain(config, section, live)
        meaning = ProxyMeaning(section, chain, active)
        semantics.proxies.append(meaning)
        semantics._by_id[id(section)] = meaning
        if problem is not None:
            semantics.diagnostics.append(problem)
    for meaning in semantics.proxies:
        semantics.diagnostics.extend(_missing_timeouts(config, meaning))
    return semantics


def inheritors(semantics: Semantics, defaults: Section) -> list[ProxyMeaning]:
    """The sections that read ``defaults`` (directly, or through a ``from`` chain of other
    defaults sections), in file order: what a change to it affects."""
    return [p for p in semantics.proxies if any(parent is defaults for parent in p.chain)]


def takers(semantics: Semantics, defaults: Section, read: Callable[[ProxyMeaning], Value[T] | None],
           keyword: str = "") -> list[ProxyMeaning]:
    """The proxies (not defaults) whose value for a setting comes from ``defaults`` or passes
    through it (``defaults web from base`` passes base's values on): ``read`` gives the value
    (e.g. ``lambda m: m.timeout("client")``); a section that sets its own, or inherits it
    from a nearer defaults, is not among them.  With ``keyword``,
    only the section kinds the registry says it has an effect in count (``timeout client``
    does nothing in a backend)."""
    spec = kw.KEYWORDS.get(keyword)
    found = []
    for meaning in inheritors(semantics, defaults):
        kind = kw.SECTION_KINDS.get(meaning.section.kind)
        if meaning.section.kind == "defaults" or kind is None:
            continue
        if spec is not None and not spec.sections & kind:
            continue
        value = read(meaning)
        if value is not None and (value.source.section is defaults
                                  or any(s is defaults for s in value.source.through)):
            found.append(meaning)
    return found


def global_setting(config: Config, keyword: str) -> Value[list[str]] | None:
    """The arguments of the last active ``keyword`` line of ``global`` with its source, else
    HAProxy's built-in value from the registry, else None."""
    active, _ = active_statements(config.all_statements(), config.path)
    section = config.global_section
    if section is not None:
        words = keyword.split()
        lines = [s for s in _live(section, active) if s.words[: len(words)] == words]
        if lines:
            return Value(lines[-1].words[len(words):], Source(section, lines[-1]))
    spec = kw.GLOBAL_KEYWORDS.get(keyword)
    return Value([spec.default], BUILTIN) if spec is not None and spec.default else None


def tls_binds_taking(semantics: Semantics, global_keyword: str) -> list[tuple[ProxyMeaning, Bind]]:
    """The TLS binds a global ``ssl-default-bind-*`` setting applies to: those with ``ssl``
    that do not set the matching bind option themselves (``keywords.SSL_DEFAULT_BIND``)."""
    option = kw.SSL_DEFAULT_BIND.get(global_keyword)
    return [(meaning, node) for meaning in semantics.frontends
            for _stmt, node in meaning.own_nodes(Bind)
            if node.ssl and (option is None or not node.has(option))]


def meaning_of(config: Config, section: Section, *, own: bool = True) -> ProxyMeaning:
    """One section's meaning, for callers that need only it (the GUI's hints);
    ``own=False`` gives what the section would get if it set nothing itself."""
    active, _ = active_statements(config.all_statements(), config.path)
    return ProxyMeaning(section, resolve_chain(config, section)[0], active, own=own)


def resolve_chain(config: Config, section: Section,
                  sections: list[Section] | None = None) -> tuple[tuple[Section, ...], Diagnostic | None]:
    """The defaults sections ``section`` inherits from, nearest first, and the error
    HAProxy reports when its ``from`` names no (or more than one) earlier defaults."""
    sections = config.sections if sections is None else sections
    chain: list[Section] = []
    current: Section | None = section
    problem: Diagnostic | None = None
    while current is not None:
        parent, error = _parent(config, current, sections)
        if current is section:  # a parent's own "from" is reported where it is written
            problem = error
        if parent is None or parent in chain or parent is section:
            break
        chain.append(parent)
        current = parent
    return tuple(chain), problem


def _parent(config: Config, section: Section, sections: list[Section]) -> tuple[Section | None, Diagnostic | None]:
    before = sections[: _index(sections, section)]
    wanted = section.from_defaults
    if wanted is None:
        if section.kind == "defaults":
            return None, None  # a defaults section without "from" starts from HAProxy's values
        return next((s for s in reversed(before) if s.kind == "defaults"), None), None
    found = [s for s in before if s.kind == "defaults" and s.name == wanted]
    if len(found) == 1:
        return found[0], None
    col = section.header.words.index("from", 2) + 1
    who = f"{section.kind} '{section.name}'"
    if not found:
        message = f"defaults section '{wanted}' not found for {who}."
    else:
        lines = " and ".join(f"line {s.header.location()[0]}" for s in found[:2])
        message = f"ambiguous defaults section name '{wanted}' referenced by {who} exists at least at {lines}."
    line, column = section.header.location(col)
    return found[-1] if found else None, Diagnostic(config.path, line, column, "error", message)


def _index(sections: list[Section], section: Section) -> int:
    for i, s in enumerate(sections):
        if s is section:
            return i
    return len(sections)


def _missing_timeouts(config: Config, meaning: ProxyMeaning) -> list[Diagnostic]:
    """HAProxy's "missing timeouts" warning (cfgparse.c), from the effective values."""
    section = meaning.section
    if section.kind == "defaults" or meaning.mode.value not in ("http", "tcp"):
        return []
    needed = ["client"] if section.kind in ("frontend", "listen") else []
    if section.kind in ("backend", "listen") and meaning.servers:  # HAProxy: only with servers
        needed += ["connect", "server"]
    missing = [t for t in needed if meaning.timeout(t) is None]
    if "server" in missing and meaning.mode.value == "tcp" and meaning.timeout("tunnel"):
        missing.remove("server")  # a tcp backend may rely on "timeout tunnel" alone
    if not missing:
        return []
    quoted = ", ".join(f"'{m}'" for m in missing)
    line, col = section.header.location()
    return [Diagnostic(
        config.path, line, col, "warning",
        f"missing timeouts for {section.kind} '{section.name}'. While not properly invalid, "
        f"you will certainly encounter various problems with such a configuration. "
        f"To fix this, please ensure that all following timeouts are set to a non-zero value: {quoted}.",
    )]
