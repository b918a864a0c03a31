"""Compile a ``Config`` into the engine's runtime objects: one *generation*.

Theory of operation
-------------------
The config model is for editing; the data path needs something else: every
setting resolved (defaults inherited, ``default-server`` merged, timeouts in
seconds), every ACL, condition, rule and log-format compiled to functions,
and backends referenced by object rather than by name.  ``compile_config``
does that once per ``Engine.start``/``apply``; the resulting ``Generation``
is immutable in spirit -- a reload builds a new one, and connections keep
the generation they started with, which is how in-flight requests finish on
their old config.

Only *active* statements count (``.if`` blocks are evaluated as HAProxy
would).  Anything the engine cannot honour (an unknown fetch, an unreadable
map file, a certificate without its key) raises ``CompileError`` with located
diagnostics, so a bad reload is refused before a single socket is touched.
What it can run but only approximately (``alpn h2``, per-certificate crt-list
options, ...) becomes a *warning* diagnostic on ``Generation.warnings``.

TLS is compiled here too: a ``bind ... ssl`` line gets one
``tls.TlsTerminator`` (shared by all its addresses), a ``server ... ssl`` or
``check-ssl`` line one ``tls.ServerTls`` (default-server options merged), so
every certificate and CA file is read and checked at compile time.

Routing (``Frontend.decide``) lives here too because it is a pure function
of the compiled rules and a ``RequestContext``: the HTTP data path and the
GUI's what-if tester (``Engine.route``) run the very same code.
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mypy_extensions import mypyc_attr

from proxy import platform
from proxy.config import keywords as kw
from proxy.config.conditionals import active_statements
from proxy.config.model import Config, Diagnostic, Statement
from proxy.config.nodes import (
    Acl,
    Condition,
    Rule,
    Server,
    UseBackend,
    split_condition,
    split_host_port,
)
from proxy.config.semantics import ProxyMeaning, Semantics, describe
from proxy.config.timeparse import TimeError, parse_time_ms
from proxy.config.validate import ENGINE_IGNORES, ENGINE_REFUSES, engine_gap_message
from proxy.engine import acl as acl_mod
from proxy.engine import auth as auth_mod
from proxy.engine import balance as balance_mod
from proxy.engine import http1, proxy_protocol
from proxy.engine import tls as tls_mod
from proxy.engine.acl import RequestContext
from proxy.engine.counters import Counters
from proxy.engine.logformat import Format, FormatError, compile_format

__all__ = [
    "Backend",
    "BindAddress",
    "CompileError",
    "Decision",
    "Frontend",
    "Generation",
    "HttpRule",
    "Predicate",
    "RuntimeServer",
    "Timeouts",
    "compile_config",
]

Predicate = Callable[[RequestContext], bool]


class CompileError(Exception):
    """The config cannot run; ``diagnostics`` say where and why."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


# --------------------------------------------------------------------- objects


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Effective timeouts in seconds; None means "never" (HAProxy: unset = infinite)."""

    connect: float | None = None
    client: float | None = None
    server: float | None = None
    queue: float | None = None
    http_request: float | None = None
    http_keep_alive: float | None = None
    tunnel: float | None = None
    client_fin: float | None = None
    server_fin: float | None = None
    check: float | None = None


@mypyc_attr(native_class=False)  # extends ServerState, a Python class (server_state.py)
@dataclass(eq=False, slots=True)
class RuntimeServer(balance_mod.ServerState):
    """A server as the data path sees it (E2's health checker reads and updates it too)."""

    backend: str = ""
    address: tuple[str, int] = ("", 0)
    port_from_client: bool = False  # "server s 10.0.0.1" without a port: use the client's dst port
    counters: Counters = field(default_factory=Counters)
    check: Any = None  # health.CheckSettings | None
    health: Any = None  # health.HealthState
    cookie: str | None = None
    idle: list[Any] = field(default_factory=list)  # pool.py's idle server connections
    waiters: deque[Any] = field(default_factory=deque)  # requests queued on this server
    line: int = 0
    uweight: int = 1  # the user's weight (config or "set weight"); kept while draining
    admin_drain: bool = False  # "set server ... state drain": weight 0, uweight kept
    tls: tls_mod.ServerTls | None = None  # "ssl"/"check-ssl" on the server line
    shares_connections: bool = True  # False when the SNI varies per request: no pooling
    # "send-proxy" (1) / "send-proxy-v2" (2): the header each new connection starts with.
    # Its connections are private, as HAProxy makes them (the header names one client):
    # an idle one stays with its client session instead of the pool.
    send_proxy: int = 0

    @property
    def drain(self) -> bool:
        """HAProxy's DRAIN: drained by the admin, or a user weight of 0 (stats.c)."""
        return (self.admin_drain or self.uweight == 0) and not self.disabled

    def set_user_weight(self, weight: int) -> None:
        """``set server ... weight``: the effective weight stays 0 while draining."""
        self.uweight = weight
        self.weight = 0 if self.admin_drain else weight

    def set_drain(self, on: bool) -> None:
        self.admin_drain = on
        self.weight = 0 if on else self.uweight

    @property
    def state(self) -> RuntimeServer:
        """E2's interface calls the balancer view ``server.state``; it is the server itself."""
        return self

    def status_text(self) -> str:
        if self.disabled:
            return "MAINT"
        if not self.up:
            return "DOWN"
        if self.drain:
            return "DRAIN"
        return "UP" if self.check is not None else "no check"


@dataclass(frozen=True, slots=True)
class CookieSettings:
    name: bytes
    mode: str  # "insert" | "prefix" | "rewrite"
    indirect: bool
    nocache: bool
    preserve: bool
    attributes: bytes  # "; path=/; HttpOnly; Secure; domain=..."


@dataclass(frozen=True, slots=True)
class HttpRule:
    """One ``http-request``/``http-response`` rule: a condition and a compiled action."""

    text: str  # the statement as written, for logs and the what-if tester
    line: int
    condition: Predicate | None
    action: Callable[[RequestContext, list[tuple[bytes, bytes]]], Verdict | None]

    def describe(self) -> str:
        return f"{self.text} (line {self.line})"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a final rule decided: answer locally (deny/redirect/return) or stop rules (allow)."""

    kind: str  # "allow" | "deny" | "redirect" | "return" | "reject"
    status: int = 0
    response: bytes = b""


ALLOW = Verdict("allow")


@dataclass(slots=True, init=False)
class Decision:
    """The outcome of routing one request: a backend, or a local answer."""

    kind: str  # "backend" | "deny" | "redirect" | "return" | "reject" | "none"
    rule: str  # what decided, e.g. "use_backend heavy if is_heavy (line 23)"
    backend: Backend | None = None
    status: int = 0
    response: bytes = b""
    # every rule whose condition matched (only collected for explain=True; a shared
    # empty tuple otherwise, so routing a request allocates no list)
    fired: Sequence[str] = ()

    # (hand-written so that mypyc compiles it: see acl.RequestContext.__init__)
    def __init__(self, kind: str, rule: str, backend: Backend | None = None, status: int = 0,
                 response: bytes = b"", fired: Sequence[str] = ()) -> None:
        self.kind = kind
        self.rule = rule
        self.backend = backend
        self.status = status
        self.response = response
        self.fired = fired


@dataclass(frozen=True, slots=True)
class BindAddress:
    host: str
    port: int
    line: int
    options: tuple[tuple[str, ...], ...] = ()
    tls: tls_mod.TlsTerminator | None = field(default=None, compare=False)  # "ssl" binds
    accept_proxy: bool = False  # "accept-proxy": a PROXY header comes first
    # HAProxy's listener name in error logs: the bind's "name", else its number (luid)
    listener_name: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class UseBackendRule:
    line: int
    text: str
    condition: Predicate | None
    backend: Backend | None  # static target
    dynamic: Format | None  # "%[...]" target resolved per request
    # "use_backend x if y (line N)": formatted once here, not per request
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.text} (line {self.line})")


@dataclass(frozen=True, slots=True)
class TcpRule:
    """``tcp-request connection|content accept|reject [if cond]``."""

    stage: str
    action: str
    condition: Predicate | None
    text: str
    line: int
    label: str = field(default="", compare=False)  # "tcp-request ... (line N)", formatted once

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", f"{self.text} (line {self.line})")


@dataclass(eq=False)
class Backend:
    name: str
    mode: str
    line: int
    servers: list[RuntimeServer]
    balancer: balance_mod.Balancer
    algorithm: str  # the "balance" keyword's first word (show stat's "algo")
    timeouts: Timeouts
    retries: int
    redispatch: bool
    counters: Counters
    http_request_rules: list[HttpRule]
    http_response_rules: list[HttpRule]
    cookie: CookieSettings | None
    forwardfor: ForwardFor | None
    server_close: bool  # option http-server-close / httpclose
    errorfiles: dict[int, bytes]
    waiters: deque[Any] = field(default_factory=deque)  # requests queued in the backend
    shares_frontend: bool = False  # a listen section: its rules already ran as the frontend's
    # the log's "rule" when this backend is a frontend's default_backend (formatted once)
    default_label: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.default_label = f"default_backend {self.name}"

    @property
    def servers_by_cookie(self) -> dict[bytes, RuntimeServer]:
        return {s.cookie.encode(): s for s in self.servers if s.cookie}


@dataclass(frozen=True, slots=True)
class ForwardFor:
    header: bytes
    except_net: Any  # ipaddress network or None


@dataclass(eq=False)
class Frontend:
    name: str
    mode: str
    line: int
    binds: list[BindAddress]
    timeouts: Timeouts
    maxconn: int
    counters: Counters
    named_acls: dict[str, Predicate]
    http_request_rules: list[HttpRule]
    http_response_rules: list[HttpRule]
    use_backends: list[UseBackendRule]
    default_backend: Backend | None
    tcp_connection_rules: list[TcpRule]
    tcp_content_rules: list[TcpRule]
    inspect_delay: float | None
    forwardfor: ForwardFor | None
    server_close: bool
    httplog: bool
    tcplog: bool
    dontlognull: bool
    stats_uri: bytes | None
    errorfiles: dict[int, bytes]
    # (who may see the stats page, the 401 asking for it) when "stats auth" is set
    stats_auth: tuple[auth_mod.Userlist, bytes] | None = None
    backends_by_name: dict[str, Backend] = field(default_factory=dict)
    gate: Any = None  # engine.py's admission gate (maxconn, TLS handshakes)
    # where HAProxy would send this frontend's log ("log global" resolved); () = it logs
    # nothing, as HAProxy without a "log" line.  The engine's own log is stderr/the app.
    log_targets: tuple[str, ...] = ()
    accept_any_payload: bool = False  # global "h1-accept-payload-with-any-method"

    def decide(self, ctx: RequestContext, *, explain: bool = False) -> Decision:
        """Run the http-request rules, then use_backend/default_backend, as HAProxy orders them."""
        fired: list[str] | None = [] if explain else None
        verdict = _run_http_rules(self.http_request_rules, ctx, fired)
        if verdict is not None and verdict is not ALLOW:
            return Decision(verdict.kind, fired[-1] if fired else verdict.kind, None,
                            verdict.status, verdict.response, fired or ())
        backend, rule = self.select_backend(ctx)
        if backend is None:
            return Decision("none", rule, None, 503, b"", fired or ())
        if not backend.shares_frontend and backend.http_request_rules:
            verdict = _run_http_rules(backend.http_request_rules, ctx, fired)
            if verdict is not None and verdict is not ALLOW:
                return Decision(verdict.kind, fired[-1] if fired else verdict.kind, backend,
                                verdict.status, verdict.response, fired or ())
        return Decision("backend", rule, backend, 0, b"", fired or ())

    def select_backend(self, ctx: RequestContext) -> tuple[Backend | None, str]:
        """First matching use_backend wins; an unknown dynamic name falls through, as in HAProxy."""
        for rule in self.use_backends:
            if rule.condition is not None and not rule.condition(ctx):
                continue
            target = rule.backend
            if rule.dynamic is not None:
                name = rule.dynamic.render(ctx).decode("latin-1")
                target = self.backends_by_name.get(name)
            if target is not None:
                return target, rule.label
        if self.default_backend is not None:
            return self.default_backend, self.default_backend.default_label
        return None, "no backend"


def _run_http_rules(
    rules: Sequence[HttpRule], ctx: RequestContext, fired: list[str] | None
) -> Verdict | None:
    """Apply rules in order; the first final verdict stops them (allow included)."""
    headers = ctx.headers if isinstance(ctx.headers, list) else None
    for rule in rules:
        if rule.condition is not None and not rule.condition(ctx):
            continue
        if fired is not None:
            fired.append(rule.describe())
        verdict = rule.action(ctx, headers if headers is not None else [])
        if verdict is not None:
            return verdict
    return None


def run_response_rules(
    rules: Sequence[HttpRule], ctx: RequestContext, headers: list[tuple[bytes, bytes]]
) -> None:
    """``http-response`` header rules.  Their conditions and values read the response
    (ctx.response: status, res.hdr(), srv_name...); request fetches that HAProxy keeps
    from them were compiled to "no sample" (keywords.fetch_has_no_value)."""
    for rule in rules:
        if rule.condition is None or rule.condition(ctx):
            rule.action(ctx, headers)


@dataclass(eq=False)
class Generation:
    """Everything one config compiles to."""

    config: Config
    frontends: list[Frontend]
    backends: dict[str, Backend]
    stats_sockets: list[str]
    base_dir: Path
    warnings: list[Diagnostic] = field(default_factory=list)
    maxconn: int = 0  # global maxconn (0: not set)

    def servers(self) -> Iterator[RuntimeServer]:
        for backend in self.backends.values():
            yield from backend.servers


# -------------------------------------------------------------------- compiling


class _Proxy:
    """One proxy section as the semantics layer describes it: the compilers below read
    its values (own lines over its defaults chain's) and never walk statements again."""

    def __init__(self, meaning: ProxyMeaning) -> None:
        self.meaning = meaning
        self.section = meaning.section
        self.own = meaning.own
        self.line = meaning.section.header.location()[0]

    def last(self, keyword: str) -> list[str] | None:
        found = self.meaning.last(keyword)
        return found.value if found is not None else None

    def option(self, name: str) -> tuple[bool, list[str]] | None:
        """(enabled, args) of the last ``[no] option name`` line, own lines over defaults'."""
        found = self.meaning.option(name)
        return found.value if found is not None else None

    def enabled(self, name: str) -> bool:
        return self.meaning.enabled(name)

    def timeout(self, kind: str) -> float | None:
        return self.meaning.timeout_seconds(kind)

    def own_nodes(self, kind: type[Any]) -> list[tuple[Statement, Any]]:
        return self.meaning.own_nodes(kind)

    def mode(self) -> str:
        return self.meaning.mode.value


class _Compiler:
    def __init__(self, config: Config, base_dir: Path, semantics: Semantics | None = None) -> None:
        self.config = config
        self.base_dir = base_dir
        self.active, _ = active_statements(config.all_statements(), config.path)
        self.semantics = semantics or describe(config, active=self.active)
        self.diagnostics: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.refused_backends: set[str] = set()  # failed to compile: references say nothing more
        self._gaps_said: set[int] = set()  # statements whose option gaps were warned about
        self._tls_defaults: tls_mod.TlsDefaults | None = None
        self.userlists = self._compile_userlists()

    def _compile_userlists(self) -> dict[str, auth_mod.Userlist]:
        """Every ``userlist`` section (kept as raw statements by the config model)."""
        found: dict[str, auth_mod.Userlist] = {}
        for section in self.config.sections:
            if section.kind != "userlist" or not section.name:
                continue
            lines = [s.words for s in section.body if id(s) in self.active and s.words]
            try:
                found[section.name] = auth_mod.compile_userlist(section.name, lines)
                for message in found[section.name].ignored:
                    self.warn(section.header, message)
            except auth_mod.AuthError as exc:
                self.fail(section.header, f"userlist '{section.name}': {exc}")
                if exc.partial is not None:  # ACLs naming the list are still checked
                    found[section.name] = exc.partial
        return found

    def fail(self, stmt: Statement | None, message: str) -> None:
        line, col = stmt.location() if stmt is not None else (0, 0)
        self.diagnostics.append(Diagnostic(self.config.path, line, col, "error", message))

    def warn(self, stmt: Statement, message: str) -> None:
        line, col = stmt.location()
        self.warnings.append(Diagnostic(self.config.path, line, col, "warning", message))

    def option_gaps(self, stmt: Statement, first: int, options: Sequence[Sequence[str]],
                    table: dict[str, kw.OptionSpec], mode: str) -> None:
        """Warn at each option word (from ``first``) the engine leaves out, as the checker
        does and in its words (keywords.option_gap); a statement once (default-server)."""
        if id(stmt) in self._gaps_said:
            return
        self._gaps_said.add(id(stmt))
        word = first
        for option in options:
            gap = kw.option_gap(table, option, mode) if option[0] in table else None
            if gap is not None:
                line, col = stmt.location(word)
                code = ENGINE_REFUSES if gap.refuses else ENGINE_IGNORES
                self.warnings.append(Diagnostic(
                    self.config.path, line, col, "warning",
                    engine_gap_message(gap.what, refuses=gap.refuses, note=gap.note), code))
            word += len(option)

    def location(self, stmt: Statement) -> str:
        return f"{self.config.path}:{stmt.location()[0]}"

    @property
    def tls_defaults(self) -> tls_mod.TlsDefaults:
        """``crt-base``, ``ssl-default-bind-options``... from ``global``, read once."""
        if self._tls_defaults is None:
            self._tls_defaults = tls_mod.TlsDefaults.from_global(
                self.config.global_section, self.base_dir
            )
        return self._tls_defaults

    def proxies(self, *kinds: str) -> list[_Proxy]:
        return [_Proxy(meaning) for meaning in self.semantics.of_kind(*kinds)]

    # -- conditions -----------------------------------------------------------
    def named_acls(self, proxy: _Proxy) -> NamedAcls:
        """Lines sharing a name are ORed, as HAProxy does."""
        grouped: dict[str, list[acl_mod.CompiledAcl]] = {}
        for stmt, node in proxy.own_nodes(Acl):
            try:
                compiled = acl_mod.compile_acl(
                    node.fetch, [w for f in node.flags for w in f], node.patterns,
                    base_dir=self.base_dir, userlists=self.userlists,
                )
            except (acl_mod.AclError, ValueError, OSError) as exc:
                self.fail(stmt, f"acl '{node.name}': {exc}")
                continue
            grouped.setdefault(node.name, []).append(compiled)
        return NamedAcls(grouped)

    def condition(
        self, stmt: Statement, cond: Condition | None, named: NamedAcls, where: str
    ) -> Predicate | None:
        """An ``if``/``unless`` condition as one function (acl.py parses, we close over).

        ``where`` is the rule's context ("frontend http-response", a keywords.NEVER_MATCHES
        key): an ACL whose fetch has no value there is "no sample" (acl_mod.no_sample)."""
        if cond is None or not cond.words:
            return None
        try:
            parsed = acl_mod.parse_condition(
                cond.to_words(), base_dir=self.base_dir, userlists=self.userlists
            )
            groups = [[self.term(t, named, where) for t in suite] for suite in parsed.suites]
        except (acl_mod.AclError, ValueError, OSError) as exc:
            self.fail(stmt, f"condition: {exc}")
            return None
        predicate = _or_of_ands(groups)
        if parsed.kind == "unless":
            return lambda ctx: not predicate(ctx)
        return predicate

    @staticmethod
    def term(term: acl_mod.Term, named: NamedAcls, where: str) -> Predicate:
        if term.anonymous is not None:
            predicate: Predicate = _in_context(term.anonymous, where)
        elif term.acl_name in named.lines:
            predicate = named.predicate_in(term.acl_name, where)
        else:
            predefined = acl_mod.predefined_acl(term.acl_name or "")
            if predefined is None:
                raise acl_mod.AclError(f"no such ACL : '{term.acl_name}'")
            predicate = _in_context(predefined, where)
        if term.negated:
            base = predicate
            return lambda ctx: not base(ctx)
        return predicate


class NamedAcls:
    """A proxy's named ACLs: each name's compiled lines (ORed) and, for rules where
    every fetch has a value, that OR as one predicate."""

    def __init__(self, lines: dict[str, list[acl_mod.CompiledAcl]]) -> None:
        self.lines = lines
        self.predicates: dict[str, Predicate] = {
            name: _any_of([a.matches for a in acls]) for name, acls in lines.items()
        }

    def predicate_in(self, name: str, where: str) -> Predicate:
        acls = self.lines[name]
        if not any(kw.fetch_has_no_value(a.keyword, where) for a in acls):
            return self.predicates[name]
        return _any_of([_in_context(a, where) for a in acls])


def _in_context(compiled: acl_mod.CompiledAcl, where: str) -> Predicate:
    """The ACL as a rule of ``where`` evaluates it: "no sample" when its fetch has no
    value there (HAProxy warns "will never match": the checker's same registry facts)."""
    if kw.fetch_has_no_value(compiled.keyword, where):
        return acl_mod.no_sample
    return compiled.matches


def _any_of(predicates: Sequence[Predicate]) -> Predicate:
    if len(predicates) == 1:
        return predicates[0]
    return lambda ctx: any(p(ctx) for p in predicates)


def _or_of_ands(groups: list[list[Predicate]]) -> Predicate:
    if len(groups) == 1 and len(groups[0]) == 1:
        return groups[0][0]
    if len(groups) == 1:
        only = groups[0]
        return lambda ctx: all(p(ctx) for p in only)
    return lambda ctx: any(all(p(ctx) for p in group) for group in groups)


# ------------------------------------------------------------------ http rules

_Action = Callable[[RequestContext, list[tuple[bytes, bytes]]], Verdict | None]


def _header_name(args: Sequence[str]) -> bytes:
    if not args:
        raise FormatError("expects a header name")
    return args[0].encode("latin-1")


def _set_header(args: Sequence[str], base_dir: Path, replace: bool, where: str) -> _Action:
    name = _header_name(args)
    lower = name.lower()
    value = compile_format(" ".join(args[1:]), base_dir, where)

    def act(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict | None:
        rendered = value.render(ctx)  # evaluated before removal: "set-header X %[hdr(X)]" works
        if replace:
            headers[:] = [h for h in headers if h[0].lower() != lower]
        headers.append((name, rendered))
        return None

    return act


def _del_header(args: Sequence[str], base_dir: Path) -> _Action:
    lower = _header_name(args).lower()

    def act(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict | None:
        headers[:] = [h for h in headers if h[0].lower() != lower]
        return None

    return act


def _replace_header(args: Sequence[str], base_dir: Path, where: str) -> _Action:
    import re

    if len(args) < 3:
        raise FormatError("replace-header expects <name> <regex> <replacement>")
    lower = args[0].lower().encode("latin-1")
    pattern = re.compile(args[1].encode("latin-1"))
    replacement = compile_format(args[2], base_dir, where)

    def act(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict | None:
        template = replacement.render(ctx).replace(b"\\", b"\\\\")
        template = re.sub(rb"\\\\(\d)", rb"\\\1", template)  # keep \1 back-references
        for i, (key, val) in enumerate(headers):
            if key.lower() == lower and pattern.fullmatch(val):
                headers[i] = (key, pattern.sub(template, val, count=1))
        return None

    return act


def _set_path(args: Sequence[str], base_dir: Path, where: str) -> _Action:
    path = compile_format(" ".join(args), base_dir, where)

    def act(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict | None:
        ctx.path = path.render(ctx)
        ctx.target = ctx.path + (b"?" + ctx.query if ctx.query is not None else b"")
        return None

    return act


def _set_var(action: str, args: Sequence[str], base_dir: Path, where: str) -> _Action:
    from proxy.engine.logformat import compile_expression

    name = action[len("set-var(") : -1]
    expression = compile_expression(" ".join(args), base_dir, where)

    def act(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict | None:
        value = expression(ctx)
        if value is not None:
            ctx.vars[name] = value
        return None

    return act


def _keyword_args(args: Sequence[str], flags: Sequence[str] = ()) -> dict[str, str]:
    """``status 200 content-type text/plain string ok`` -> a dict (flags map to "")."""
    parsed: dict[str, str] = {}
    i = 0
    while i < len(args):
        if args[i] in flags:
            parsed[args[i]] = ""
            i += 1
        else:
            parsed[args[i]] = args[i + 1] if i + 1 < len(args) else ""
            i += 2
    return parsed


def _deny(args: Sequence[str], base_dir: Path, errorfiles: dict[int, bytes]) -> _Action:
    options = _keyword_args(args)
    status = int(options.get("deny_status", "403"))
    response = errorfiles.get(status) or http1.error_response(status)
    verdict = Verdict("deny", status, response)
    return lambda ctx, headers: verdict


def _return(args: Sequence[str], base_dir: Path, where: str) -> _Action:
    options = _keyword_args(args, flags=("default-errorfiles",))
    status = int(options.get("status", "200"))
    body = options.get("string", "").encode("utf-8")
    if "file" in options:
        body = (base_dir / options["file"]).read_bytes()
    dynamic = compile_format(options["lf-string"], base_dir, where) if "lf-string" in options else None
    content_type = options.get("content-type")

    def act(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict | None:
        payload = dynamic.render(ctx) if dynamic is not None else body
        extra = [(b"content-type", content_type.encode())] if content_type and payload else []
        return Verdict("return", status, local_response(status, extra, payload))

    return act


_REDIRECT_REASONS = {301: b"Moved Permanently", 302: b"Found", 303: b"See Other",
                     307: b"Temporary Redirect", 308: b"Permanent Redirect"}


def _redirect(args: Sequence[str], base_dir: Path, where: str) -> _Action:
    # HAProxy (http_parse_redirect_rule) takes its keywords in any order: "code 301 location X".
    options = _keyword_args(args, flags=("drop-query", "append-slash"))
    kind = next((k for k in ("location", "prefix", "scheme") if options.get(k)), None)
    if kind is None:
        raise FormatError("redirect expects location|prefix|scheme <value>")
    target = compile_format(options[kind], base_dir, where)
    code = int(options.get("code", "302"))

    def location(ctx: RequestContext) -> bytes:
        value = target.render(ctx)
        if kind == "location":
            return value
        query = b"" if "drop-query" in options or ctx.query is None else b"?" + ctx.query
        path = (ctx.path or b"/") + query
        if kind == "prefix":
            return (value.rstrip(b"/") if value != b"/" else b"") + path
        host = next((v for k, v in ctx.headers or () if k.lower() == b"host"), b"")
        return value + b"://" + host + path

    def act(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict | None:
        extra = [(b"location", location(ctx))]
        return Verdict("redirect", code, local_response(code, extra, b""))

    return act


def local_response(status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> bytes:
    """A response HAProxy produces itself (return/redirect): HTTP/1.1 with content-length."""
    reason = _REDIRECT_REASONS.get(status) or http1.reason_phrase(status)
    lines = [b"HTTP/1.1 %d %s" % (status, reason), b"content-length: %d" % len(body)]
    lines += [name + b": " + value for name, value in headers]
    if 300 <= status < 400:
        lines.append(b"cache-control: no-cache")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _auth(args: Sequence[str], proxy_name: str, errorfiles: dict[int, bytes]) -> _Action:
    """``http-request auth [realm <realm>]``: 401 with a Basic challenge (realm: the proxy's name)."""
    options = _keyword_args(args)
    verdict = Verdict("auth", 401, auth_mod.unauthorized_response(
        options.get("realm", proxy_name), errorfiles))
    return lambda ctx, headers: verdict


def _reject(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict:
    return Verdict("reject")


def _allow(ctx: RequestContext, headers: list[tuple[bytes, bytes]]) -> Verdict:
    return ALLOW


# (named functions, not lambdas returning lambdas: mypyc cannot compile those)
_ActionFactory = Callable[[Sequence[str], Path, dict[int, bytes], str, str], _Action]

# The http-request/http-response actions the engine runs; the registry lists the same
# names (kw.ENGINE_HTTP_ACTIONS, "set-var" for the set-var(<name>) forms) for the checker.
# Factories take (args, base_dir, errorfiles, proxy name, the rule's context: "frontend
# http-response"..., for what its sample fetches read).
HTTP_ACTIONS: dict[str, _ActionFactory] = {
    "auth": lambda args, base, errorfiles, proxy, where: _auth(args, proxy, errorfiles),
    "set-header": lambda args, base, errorfiles, proxy, where: _set_header(args, base, True, where),
    "add-header": lambda args, base, errorfiles, proxy, where: _set_header(args, base, False, where),
    "del-header": lambda args, base, errorfiles, proxy, where: _del_header(args, base),
    "replace-header": lambda args, base, errorfiles, proxy, where: _replace_header(args, base, where),
    "replace-value": lambda args, base, errorfiles, proxy, where: _replace_header(args, base, where),
    "set-path": lambda args, base, errorfiles, proxy, where: _set_path(args, base, where),
    "deny": lambda args, base, errorfiles, proxy, where: _deny(args, base, errorfiles),
    "reject": lambda args, base, errorfiles, proxy, where: _reject,
    "allow": lambda args, base, errorfiles, proxy, where: _allow,
    "return": lambda args, base, errorfiles, proxy, where: _return(args, base, where),
    "redirect": lambda args, base, errorfiles, proxy, where: _redirect(args, base, where),
}


def _compile_http_action(
    rule: Rule, base_dir: Path, errorfiles: dict[int, bytes], proxy_name: str, where: str
) -> _Action:
    action, args = rule.action, rule.args
    if action.startswith("set-var(") and action.endswith(")"):
        return _set_var(action, args, base_dir, where)
    factory = HTTP_ACTIONS.get(action)
    if factory is None:
        raise FormatError(f"action '{action}' is not supported by the engine yet")
    return factory(args, base_dir, errorfiles, proxy_name, where)


# ----------------------------------------------------------------- the compile


def compile_config(config: Config, base_dir: Path | None = None, *,
                   semantics: Semantics | None = None) -> Generation:
    """Build a runnable generation, or raise CompileError listing every problem.

    ``semantics`` (``proxy.config.semantics.describe(config)``) may be given to see
    afterwards which statements the compiler read (``ProxyMeaning.read``)."""
    root = base_dir or (Path(config.path).parent if os.path.isfile(config.path) else Path.cwd())
    compiler = _Compiler(config, root, semantics)
    _refuse_keywords(compiler)
    backends: dict[str, Backend] = {}
    for proxy in compiler.proxies("backend", "listen"):
        backend = _compile_backend(compiler, proxy)
        if backend is not None:
            backends[backend.name] = backend
    frontends = [
        f for p in compiler.proxies("frontend", "listen")
        if (f := _compile_frontend(compiler, p, backends)) is not None
    ]
    if compiler.diagnostics:
        raise CompileError(str(compiler.diagnostics[0]),
                           [*compiler.diagnostics, *compiler.warnings])
    return Generation(config, frontends, backends, _stats_sockets(compiler), root,
                      compiler.warnings, _global_maxconn(compiler))


def _refuse_keywords(compiler: _Compiler) -> None:
    """Keywords the registry marks ``engine="refuses"``: the engine cannot run them as HAProxy
    would, so it says so instead of running something else (``proxydesk check`` warns too)."""
    for meaning in compiler.semantics.proxies:
        sec = kw.SECTION_KINDS.get(meaning.section.kind)
        for stmt in meaning.own:
            keyword, _ = kw.lookup(stmt.words, sec)
            if keyword is not None and keyword.engine == "refuses":
                compiler.fail(stmt, f"'{keyword.name}' is not supported by the engine: run this "
                                    "config on HAProxy")


def _log_targets(compiler: _Compiler, proxy: _Proxy) -> tuple[str, ...]:
    """The targets of the ``log`` lines that apply (own over inherited; ``no log`` clears;
    ``log global`` means the global section's)."""
    targets: list[str] = []
    for stmt in proxy.meaning.every("log"):
        words = stmt.words
        if words[0] == "no":
            targets = []
        elif len(words) > 1 and words[1] == "global":
            glob = compiler.config.global_section
            targets += [w[1] for w in (glob.generic("log") if glob else []) if len(w) > 1]
        elif len(words) > 1:
            targets.append(words[1])
    return tuple(targets)


def _global_flag(compiler: _Compiler, keyword: str) -> bool:
    section = compiler.config.global_section
    return section is not None and bool(section.generic(keyword))


def _global_maxconn(compiler: _Compiler) -> int:
    section = compiler.config.global_section
    found = section.generic("maxconn") if section is not None else []
    words = found[-1] if found else []
    return int(words[1]) if len(words) > 1 and words[1].isdigit() else 0


def _stats_sockets(compiler: _Compiler) -> list[str]:
    """The ``stats socket`` addresses to serve; a unix one where unix sockets do not exist
    (Windows) is left out with a located warning, and the rest of the config runs."""
    section = compiler.config.global_section
    if section is None:
        return []
    found = []
    for stmt in section.statements("stats"):
        words = stmt.words
        if len(words) <= 2 or words[1] != "socket":
            continue
        if platform.is_unix_address(words[2]) and not platform.unix_sockets_available():
            line, col = stmt.location(2)
            compiler.warnings.append(Diagnostic(compiler.config.path, line, col, "warning",
                                                platform.UNIX_SOCKETS_UNAVAILABLE))
            continue
        found.append(words[2])
    return found


def _timeouts(proxy: _Proxy) -> Timeouts:
    names = {f: f.replace("_", "-") for f in Timeouts.__dataclass_fields__}
    return Timeouts(**{f: proxy.timeout(kind) for f, kind in names.items()})


def _forwardfor(proxy: _Proxy) -> ForwardFor | None:
    import ipaddress

    found = proxy.option("forwardfor")
    if found is None or not found[0]:
        return None
    options = _keyword_args(found[1], flags=("if-none",))
    network = ipaddress.ip_network(options["except"], strict=False) if "except" in options else None
    return ForwardFor(options.get("header", "X-Forwarded-For").encode("latin-1"), network)


def _errorfiles(compiler: _Compiler, proxy: _Proxy) -> dict[int, bytes]:
    files: dict[int, bytes] = {}
    for stmt in proxy.meaning.every("errorfile"):
        words = stmt.words
        if len(words) == 3 and words[1].isdigit():
            path = Path(words[2]) if Path(words[2]).is_absolute() else compiler.base_dir / words[2]
            try:
                files[int(words[1])] = path.read_bytes()
            except OSError as exc:
                compiler.fail(stmt, f"errorfile '{words[2]}': {exc.strerror}")
    return files


def _http_rules(
    compiler: _Compiler, proxy: _Proxy, family: str, named: NamedAcls,
    errorfiles: dict[int, bytes],
) -> list[HttpRule]:
    rules: list[HttpRule] = []
    where = f"{proxy.section.kind} {family}"
    for stmt, node in proxy.own_nodes(Rule):
        if node.family != family:
            continue
        try:
            action = _compile_http_action(
                node, compiler.base_dir, errorfiles, proxy.section.name or "", where
            )
        except (FormatError, ValueError, OSError) as exc:
            compiler.fail(stmt, f"'{family} {node.action}': {exc}")
            continue
        condition = compiler.condition(stmt, node.condition, named, where)
        rules.append(HttpRule(" ".join(stmt.words), stmt.location()[0], condition, action))
    return rules


def _request_rules(
    compiler: _Compiler, proxy: _Proxy, named: NamedAcls, errorfiles: dict[int, bytes],
) -> list[HttpRule]:
    """``http-request`` rules, then ``redirect`` rules: HAProxy evaluates a proxy's redirect
    rules after its http-request rules and before choosing a backend (http_ana.c)."""
    rules = _http_rules(compiler, proxy, "http-request", named, errorfiles)
    where = f"{proxy.section.kind} redirect"
    for stmt in proxy.meaning.every("redirect"):
        args, condition_node = split_condition(stmt.words, 1)
        try:
            action = _redirect(args, compiler.base_dir, where)
        except (FormatError, ValueError, OSError) as exc:
            compiler.fail(stmt, f"'redirect': {exc}")
            continue
        condition = compiler.condition(stmt, condition_node, named, where)
        rules.append(HttpRule(" ".join(stmt.words), stmt.location()[0], condition, action))
    return rules


def _cookie(proxy: _Proxy) -> CookieSettings | None:
    words = proxy.last("cookie")
    if words is None or len(words) < 2:
        return None
    args = words[2:]
    mode = next((w for w in args if w in ("insert", "prefix", "rewrite")), "rewrite")
    attributes = b"; path=/"
    if "domain" in args and args.index("domain") + 1 < len(args):
        attributes += b"; domain=" + args[args.index("domain") + 1].encode()
    attributes += b"; HttpOnly" if "httponly" in args else b""
    attributes += b"; Secure" if "secure" in args else b""
    return CookieSettings(words[1].encode(), mode, "indirect" in args, "nocache" in args,
                          "preserve" in args, attributes)


def _compile_server(compiler: _Compiler, proxy: _Proxy, stmt: Statement, node: Server) -> RuntimeServer | None:
    merged = proxy.meaning.merged_server(node)
    host, _, port = split_host_port(node.address.split("@", 1)[-1])
    if "$" in node.address:
        compiler.fail(stmt, f"server '{node.name}': environment variables in addresses are not "
                            "expanded by the engine")
        return None
    if port and not port.isdigit():
        compiler.fail(stmt, f"server '{node.name}': port ranges and offsets are not supported")
        return None
    server = RuntimeServer(
        name=node.name,
        weight=merged.int_option("weight", int(kw.SERVER_OPTIONS["weight"].default or 1)),
        backup=merged.has("backup") and not merged.has("no-backup"),
        disabled=merged.has("disabled") and not merged.has("enabled"),
        maxconn=merged.int_option("maxconn", 0),
        id=merged.int_option("id", 0),
        backend=proxy.section.name or "",
        address=(host or "127.0.0.1", int(port) if port else 0),
        port_from_client=not port,
        cookie=next(iter(merged.option("cookie") or []), None),
        line=stmt.location()[0],
    )
    server.counters.slim = server.maxconn
    server.uweight = server.weight
    compiler.option_gaps(stmt, 3, node.options, kw.SERVER_OPTIONS, proxy.mode())
    if not _attach_tls(server, proxy, stmt, merged, compiler):
        return None
    server.send_proxy = proxy_protocol.server_version(merged.options)
    if server.send_proxy:
        server.shares_connections = False
    _attach_health(server, proxy, merged, compiler)
    return server


def _attach_tls(
    server: RuntimeServer, proxy: _Proxy, stmt: Statement, merged: Server, compiler: _Compiler
) -> bool:
    """``ssl``/``check-ssl``: contexts built (and CA files read) now; False on a config error."""
    try:
        server.tls = tls_mod.client_context(
            merged, compiler.base_dir, location=compiler.location(stmt),
            defaults=compiler.tls_defaults, mode=proxy.mode(),
        )
    except tls_mod.TlsConfigError as exc:
        compiler.fail(stmt, f"server '{server.name}': {_tls_error_text(exc, compiler, stmt)}")
        return False
    if server.tls is not None:
        for warning in server.tls.warnings:
            compiler.warn(stmt, f"server '{server.name}': {warning}")
        sni = server.tls.sni
        # A pooled connection carries the SNI it was opened with; HAProxy keys
        # reuse on it.  Simpler and still correct: no pooling when it varies.
        server.shares_connections = not (server.tls.traffic and sni and sni.literal is None)
    return True


def _tls_error_text(exc: tls_mod.TlsConfigError, compiler: _Compiler, stmt: Statement) -> str:
    """The message, plus its own location when it is elsewhere (a crt-list line)."""
    return exc.message if exc.location in ("", compiler.location(stmt)) else str(exc)


def _attach_health(server: RuntimeServer, proxy: _Proxy, node: Server, compiler: _Compiler) -> None:
    """E2's health module decides the check settings; without checks the server is "no check"."""
    import dataclasses

    from proxy.engine import health

    server.check = health.check_settings(proxy.meaning, node)
    if server.check is not None and server.tls is not None and server.tls.check:
        server.check = dataclasses.replace(server.check, tls=server.tls)
    # A "disabled" server starts in maintenance without counting a transition (chkdown 0).
    server.health = health.HealthState.initial(server.check, maint=server.disabled)


def _compile_backend(compiler: _Compiler, proxy: _Proxy) -> Backend | None:
    for stmt in proxy.meaning.default_server_lines():  # each line once, where it is written
        if isinstance(stmt.node, Server):
            compiler.option_gaps(stmt, 1, stmt.node.options, kw.SERVER_OPTIONS, proxy.mode())
    servers = [
        s for stmt, node in proxy.own_nodes(Server)
        if not node.default and (s := _compile_server(compiler, proxy, stmt, node)) is not None
    ]
    balance = ["balance", *proxy.meaning.balance.value]
    hash_type = proxy.last("hash-type")
    try:
        balancer = balance_mod.make_balancer(
            balance[1], balance[2:], servers,
            hash_type=" ".join(hash_type[1:]) if hash_type else "map-based",
            allbackups=proxy.enabled("allbackups"),
        )
    except balance_mod.BalanceError as exc:
        culprit = "hash-type" if "'hash-type'" in str(exc) else "balance"
        where = proxy.meaning.last_statement(culprit) or proxy.section.header
        compiler.fail(where, f"backend '{proxy.section.name}': {exc}")
        compiler.refused_backends.add(proxy.section.name or "")
        return None
    named = compiler.named_acls(proxy)
    errorfiles = _errorfiles(compiler, proxy)
    retries = proxy.last("retries")
    listen = proxy.section.kind == "listen"
    return Backend(
        name=proxy.section.name or "",
        mode=proxy.mode(),
        line=proxy.line,
        servers=servers,
        balancer=balancer,
        algorithm=balance[1],
        timeouts=_timeouts(proxy),
        retries=int(retries[1]) if retries and retries[1].isdigit() else int(kw.builtin_default("retries")),
        redispatch=proxy.enabled("redispatch"),
        counters=Counters(),
        http_request_rules=[] if listen else _request_rules(compiler, proxy, named, errorfiles),
        http_response_rules=[] if listen else _http_rules(compiler, proxy, "http-response", named, errorfiles),
        cookie=_cookie(proxy),
        forwardfor=_forwardfor(proxy),
        server_close=proxy.enabled("http-server-close") or proxy.enabled("httpclose"),
        errorfiles=errorfiles,
        shares_frontend=listen,
    )


def _binds(compiler: _Compiler, proxy: _Proxy) -> list[BindAddress]:
    from proxy.config.nodes import Bind

    binds: list[BindAddress] = []
    for stmt, node in proxy.own_nodes(Bind):
        compiler.option_gaps(stmt, 2, node.options, kw.BIND_OPTIONS, proxy.mode())
        terminator = None
        if node.ssl:
            try:
                terminator = tls_mod.TlsTerminator.from_options(
                    node.options, compiler.base_dir, location=compiler.location(stmt),
                    defaults=compiler.tls_defaults, mode=proxy.mode(),
                )
            except tls_mod.TlsConfigError as exc:  # never serve plaintext on a TLS port
                compiler.fail(stmt, _tls_error_text(exc, compiler, stmt))
                continue
            for warning in terminator.warnings:
                compiler.warn(stmt, warning)
        options = tuple(tuple(o) for o in node.options)
        for address in node.addresses:
            binds.extend(_bind_addresses(compiler, stmt, address, options, terminator))
    return [_named_listener(bind, index) for index, bind in enumerate(binds, 1)]


def _named_listener(bind: BindAddress, luid: int) -> BindAddress:
    """HAProxy numbers a frontend's listeners from 1 in line order; "name" overrides it."""
    name = next((o[1] for o in bind.options if o[:1] == ("name",) and len(o) > 1), str(luid))
    return dataclasses.replace(bind, listener_name=name,
                               accept_proxy=proxy_protocol.accepts_proxy(bind.options))


def _bind_addresses(
    compiler: _Compiler, stmt: Statement, address: str, options: tuple[tuple[str, ...], ...],
    terminator: tls_mod.TlsTerminator | None,
) -> list[BindAddress]:
    family, _, rest = address.rpartition("@")
    if family in ("unix", "abns", "fd", "sockpair"):
        compiler.fail(stmt, f"bind '{address}': only TCP addresses are supported by the engine")
        return []
    host, _, ports = split_host_port(rest)
    if host in ("", "*"):
        host = "::" if family == "ipv6" else "0.0.0.0"
    first, _, last = ports.partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        compiler.fail(stmt, f"bind '{address}': missing or invalid port")
        return []
    line = stmt.location()[0]
    return [BindAddress(host, port, line, options, terminator)
            for port in range(int(first), int(last or first) + 1)]


def _use_backends(
    compiler: _Compiler, proxy: _Proxy, named: NamedAcls, backends: dict[str, Backend]
) -> list[UseBackendRule]:
    rules: list[UseBackendRule] = []
    where = f"{proxy.section.kind} use_backend"
    for stmt, node in proxy.own_nodes(UseBackend):
        condition = compiler.condition(stmt, node.condition, named, where)
        text, line = " ".join(stmt.words), stmt.location()[0]
        if "%[" in node.backend:
            try:
                dynamic = compile_format(node.backend, compiler.base_dir, where)
            except (FormatError, OSError) as exc:
                compiler.fail(stmt, f"use_backend: {exc}")
                continue
            rules.append(UseBackendRule(line, text, condition, None, dynamic))
        elif node.backend in backends:
            rules.append(UseBackendRule(line, text, condition, backends[node.backend], None))
        elif node.backend not in compiler.refused_backends:  # else its own error says why
            compiler.fail(stmt, f"unable to find required use_backend: '{node.backend}'")
    return rules


def _tcp_rules(
    compiler: _Compiler, proxy: _Proxy, named: NamedAcls
) -> tuple[list[TcpRule], list[TcpRule], float | None]:
    connection: list[TcpRule] = []
    content: list[TcpRule] = []
    delay: float | None = None
    for stmt, node in proxy.own_nodes(Rule):
        if node.family != "tcp-request":
            continue
        if node.stage == "inspect-delay":
            delay = parse_time_ms(node.args[0]) / 1000.0 if node.args else None
            continue
        if node.action not in kw.ENGINE_TCP_ACTIONS:
            compiler.fail(stmt, f"'tcp-request {node.stage} {node.action}' is not supported by the engine yet")
            continue
        where = f"{proxy.section.kind} tcp-request {node.stage}"
        rule = TcpRule(node.stage, node.action, compiler.condition(stmt, node.condition, named, where),
                       " ".join(stmt.words), stmt.location()[0])
        (connection if node.stage == "connection" else content).append(rule)
    return connection, content, delay


def _stats_uri(proxy: _Proxy) -> bytes | None:
    words = [s.words for s in proxy.meaning.every("stats")]
    uri = next((w[2] for w in reversed(words) if len(w) > 2 and w[1] == "uri"), None)
    enabled = any(len(w) > 1 and w[1] in ("enable", "uri") for w in words)
    if not enabled:
        return None
    return (uri or "/haproxy?stats").encode()


def _stats_auth(
    compiler: _Compiler, proxy: _Proxy, errorfiles: dict[int, bytes]
) -> tuple[auth_mod.Userlist, bytes] | None:
    """``stats auth USER:PASSWORD`` lines (and ``stats realm``): HAProxy's implicit userlist."""
    lines = [s for s in proxy.meaning.every("stats") if len(s.words) > 2]
    credentials = [s.words[2] for s in lines if s.words[1] == "auth"]
    realm = next((s.words[2] for s in reversed(lines) if s.words[1] == "realm"),
                 "HAProxy Statistics")
    try:
        userlist = auth_mod.stats_userlist(proxy.section.name or "", credentials)
    except auth_mod.AuthError as exc:
        compiler.fail(next(s for s in lines if s.words[1] == "auth"), str(exc))
        return None
    if userlist is None:
        return None
    return userlist, auth_mod.unauthorized_response(realm, errorfiles)


def _compile_frontend(compiler: _Compiler, proxy: _Proxy, backends: dict[str, Backend]) -> Frontend | None:
    named = compiler.named_acls(proxy)
    errorfiles = _errorfiles(compiler, proxy)
    default = proxy.last("default_backend")
    default_backend = backends.get(default[1]) if default and len(default) > 1 else None
    if proxy.section.kind == "listen":
        default_backend = backends.get(proxy.section.name or "")
    elif default and default_backend is None and default[1] not in compiler.refused_backends:
        compiler.fail(proxy.section.header, f"unable to find required default_backend: '{default[1]}'")
    connection_rules, content_rules, delay = _tcp_rules(compiler, proxy, named)
    maxconn = proxy.last("maxconn")
    try:
        timeouts = _timeouts(proxy)
    except TimeError as exc:
        compiler.fail(proxy.section.header, str(exc))
        return None
    frontend = Frontend(
        name=proxy.section.name or "",
        mode=proxy.mode(),
        line=proxy.line,
        binds=_binds(compiler, proxy),
        timeouts=timeouts,
        maxconn=int(maxconn[1]) if maxconn and maxconn[1].isdigit() else 0,
        counters=Counters(),
        named_acls=named.predicates,
        http_request_rules=_request_rules(compiler, proxy, named, errorfiles),
        http_response_rules=_http_rules(compiler, proxy, "http-response", named, errorfiles),
        use_backends=_use_backends(compiler, proxy, named, backends),
        default_backend=default_backend,
        tcp_connection_rules=connection_rules,
        tcp_content_rules=content_rules,
        inspect_delay=delay,
        forwardfor=_forwardfor(proxy),
        server_close=proxy.enabled("http-server-close") or proxy.enabled("httpclose"),
        httplog=proxy.enabled("httplog"),
        tcplog=proxy.enabled("tcplog"),
        dontlognull=proxy.enabled("dontlognull"),
        stats_uri=_stats_uri(proxy),
        stats_auth=_stats_auth(compiler, proxy, errorfiles),
        errorfiles=errorfiles,
        backends_by_name=backends,
        log_targets=_log_targets(compiler, proxy),
        accept_any_payload=_global_flag(compiler, "h1-accept-payload-with-any-method"),
    )
    frontend.counters.slim = frontend.maxconn
    return frontend
