"""Semantic validation: every diagnostic at once, worded like HAProxy's.

Checks run in two passes.  Per statement: is the keyword known, allowed in
this section, given the right number of arguments, and are its values
well-formed (ports, times, algorithms, options, fetches)?  Across
statements: do referenced backends and ACLs exist, are names unique, do
frontends and backends agree on the mode, are timeouts set?  Statements in
inactive ``.if`` branches are skipped, as HAProxy skips them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from proxy import platform
from proxy.certs import pem
from proxy.config import keywords as kw
from proxy.config.conditionals import active_statements
from proxy.config.directives import (
    Capture,
    CookieLine,
    ErrorFile,
    HashType,
    HttpCheck,
    Setting,
    StatsLine,
    Stick,
    StickTable,
)
from proxy.config.model import Config, Diagnostic, Section, Statement
from proxy.config.nodes import (
    Acl,
    Balance,
    Bind,
    Condition,
    DefaultBackend,
    Mode,
    Node,
    NodeError,
    Rule,
    Server,
    Timeout,
    UseBackend,
    parse_acl_flags,
    split_host_port,
)
from proxy.config.proxy_checks import proxy_checks
from proxy.config.semantics import Semantics, describe
from proxy.config.timeparse import TimeError, parse_time_ms

__all__ = ["BIND_PORT_ZERO", "ENGINE_IGNORES", "ENGINE_REFUSES", "engine_gap_message", "validate"]

BIND_PORT_ZERO = "bind-port-zero"  # Diagnostic.code of "bind :0"
# Diagnostic.code of the warnings about what the embedded engine leaves out.
ENGINE_IGNORES = "engine-ignores"
ENGINE_REFUSES = "engine-refuses"


def engine_gap_message(what: str, *, refuses: bool, note: str = "") -> str:
    if refuses:
        return f"{what}: accepted by HAProxy; the embedded engine refuses it: run this config on HAProxy"
    return f"{what}: accepted by HAProxy; the embedded engine ignores it" + (f" ({note})" if note else "")

_SECTION_SEC: dict[str, kw.Sec] = {
    "global": kw.Sec.GLOBAL,
    "defaults": kw.Sec.DEFAULTS,
    "frontend": kw.Sec.FRONTEND,
    "listen": kw.Sec.LISTEN,
    "backend": kw.Sec.BACKEND,
}
_NAMED_SECTIONS = {
    "frontend",
    "backend",
    "listen",
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "http-errors",
    "cache",
    "ring",
    "program",
    "fcgi-app",
}
# Sections whose names HAProxy checks with invalid_char() at parse time (a defaults
# name only where "from" uses it: left to that reference).
_CHECKED_NAMES = {"frontend", "backend", "listen", "userlist"}
_DIRECTIVES = {".if", ".elif", ".else", ".endif", ".diag", ".notice", ".warning", ".alert"}
@dataclass
class _Ctx:
    config: Config
    base_dir: Path
    env: Mapping[str, str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    active: set[int] = field(default_factory=set)
    _semantics: Semantics | None = None

    def report(self, stmt: Statement, word: int, severity: str, message: str, code: str = "") -> None:
        line, col = stmt.location(word)
        self.diagnostics.append(Diagnostic(self.config.path, line, col, severity, message, code))

    def error(self, stmt: Statement, word: int, message: str, code: str = "") -> None:
        self.report(stmt, word, "error", message, code)

    def warning(self, stmt: Statement, word: int, message: str) -> None:
        self.report(stmt, word, "warning", message)

    def is_active(self, stmt: Statement) -> bool:
        return id(stmt) in self.active

    def engine_gap(self, stmt: Statement, word: int, what: str, *, refuses: bool, note: str = "") -> None:
        """A located warning for what HAProxy accepts and the embedded engine does not run."""
        self.report(stmt, word, "warning", engine_gap_message(what, refuses=refuses, note=note),
                    ENGINE_REFUSES if refuses else ENGINE_IGNORES)

    @property
    def semantics(self) -> Semantics:
        if self._semantics is None:
            self._semantics = describe(self.config, active=self.active)
        return self._semantics


def validate(
    config: Config, *, base_dir: str | Path | None = None, env: Mapping[str, str] | None = None
) -> list[Diagnostic]:
    """All semantic diagnostics for ``config``, sorted by line.

    ``base_dir`` is where relative file names (certificates, ACL files) are
    looked up: HAProxy resolves them from its working directory.
    """
    ctx = _Ctx(
        config,
        Path(base_dir) if base_dir is not None else Path.cwd(),
        env if env is not None else os.environ,
    )
    ctx.active, conditional_diags = active_statements(config.all_statements(), config.path, ctx.env)
    ctx.diagnostics.extend(conditional_diags)
    if config.had_bom:
        ctx.diagnostics.append(Diagnostic(
            config.path, 1, 1, "error",
            "the file starts with a UTF-8 byte order mark (BOM): HAProxy 2.6 reads it as part of the "
            "first keyword and refuses the file; save it as UTF-8 without BOM", "bom"))
    ctx.diagnostics.extend(ctx.semantics.diagnostics)
    ctx.diagnostics.extend(proxy_checks(ctx.semantics))
    for stmt in config.preamble:
        _check_outside_section(ctx, stmt)
    for section in _active_sections(ctx):
        _check_header(ctx, section)
        for stmt in section.body:
            if ctx.is_active(stmt) and stmt.words and stmt.keyword not in _DIRECTIVES:
                _check_statement(ctx, section, stmt)
    for check in _CROSS_CHECKS:
        check(ctx)
    return sorted(ctx.diagnostics, key=lambda d: (d.line, d.col))


def _active_sections(ctx: _Ctx) -> Iterator[Section]:
    return (s for s in ctx.config.sections if ctx.is_active(s.header))


def _check_message_directives(ctx: _Ctx) -> None:
    """``.warning TEXT`` and ``.alert TEXT`` in an active block: HAProxy prints TEXT as a
    warning, or as an alert and refuses the file (``.notice``/``.diag`` are not findings)."""
    for stmt in ctx.config.all_statements():
        if stmt.keyword in (".warning", ".alert") and ctx.is_active(stmt):
            text = " ".join(stmt.words[1:])
            if stmt.keyword == ".warning":
                ctx.warning(stmt, 0, f"'{text}'. (a '.warning' directive of this file)")
            else:
                ctx.error(stmt, 0, f"'{text}'. (an '.alert' directive of this file: HAProxy refuses the file)")


def _check_outside_section(ctx: _Ctx, stmt: Statement) -> None:
    if ctx.is_active(stmt) and stmt.words and stmt.keyword not in _DIRECTIVES:
        ctx.error(stmt, 0, f"unknown keyword '{stmt.keyword}' out of section")


def _check_header(ctx: _Ctx, section: Section) -> None:
    words = section.header.words
    if section.kind in _NAMED_SECTIONS and len(words) < 2:
        ctx.error(section.header, 0, f"'{section.kind}' expects <name> as an argument")
    elif section.kind in _CHECKED_NAMES and section.name is not None:
        bad = kw.invalid_name_character(section.name)
        if bad is not None:  # HAProxy's wording (cfgparse-listen.c, cfgparse.c)
            ctx.error(section.header, 1,
                      f"character '{bad}' is not permitted in '{section.kind}' name '{section.name}'.")
    if section.kind in ("frontend", "backend", "listen", "defaults") and "from" in words[2:]:
        i = words.index("from", 2)
        if i + 1 >= len(words):  # a named one that is missing is the semantics layer's error
            ctx.error(section.header, i, f"{section.kind} '{section.name}': 'from' expects the name of a defaults section")


# --- per statement ------------------------------------------------------------


def _check_statement(ctx: _Ctx, section: Section, stmt: Statement) -> None:
    sec = _SECTION_SEC.get(section.kind)
    if sec is None:  # userlist, peers, resolvers... are kept as written
        return
    words = stmt.words
    keyword, used = kw.lookup(words, sec)
    if keyword is None:
        _unknown_keyword(ctx, section, stmt, sec)
        return
    if keyword.removed:
        ctx.error(stmt, 0, f"'{keyword.name}' is not supported anymore: {keyword.removed}")
        return
    if keyword.ignored_in & sec:
        cap = "frontend" if sec is kw.Sec.BACKEND else "backend"
        ctx.warning(
            stmt,
            0,
            f"'{keyword.name}' ignored because {section.kind} '{section.name}' has no {cap} capability",
        )
        return
    if not keyword.sections & sec:
        missing = {kw.Sec.FRONTEND: "backend", kw.Sec.BACKEND: "frontend"}.get(sec)
        why = (
            f"because {section.kind} '{section.name}' has no {missing} capability"
            if missing
            else f"in '{section.kind}' section"
        )
        ctx.error(stmt, 0, f"'{keyword.name}' not allowed {why}")
        return
    if words[0] in ("no", "default") and not keyword.no_prefix:
        option = keyword.name.removeprefix("option ")
        ctx.error(stmt, 0, f"negation/default is not supported for option '{option}'")
        return
    if keyword.named_defaults_only and section.kind == "defaults" and section.name is None:
        ctx.error(
            stmt,
            0,
            f"'{keyword.name}' is not allowed in an anonymous 'defaults' section "
            "(name the section and use it with 'from')",
        )
        return
    if keyword.deprecated:
        ctx.warning(stmt, 0, f"'{keyword.name}' is deprecated: {keyword.deprecated}")
    nargs = len(words) - used
    if nargs < keyword.min_args or (keyword.max_args is not None and nargs > keyword.max_args):
        ctx.error(
            stmt, min(used, len(words) - 1), f"'{keyword.name}' expects {keyword.synopsis}".rstrip()
        )
        return
    if keyword.engine in ("ignores", "refuses"):
        ctx.engine_gap(stmt, 0, f"'{keyword.name}'", refuses=keyword.engine == "refuses",
                       note=keyword.engine_note)
    if keyword.name == "log" and words[0] != "no" and len(words) > 1 and words[1] not in kw.ENGINE_LOG_TARGETS:
        ctx.engine_gap(stmt, 1, f"'log {words[1]}'", refuses=False,
                       note="it writes its log to stderr and the app's Requests view instead")
    if keyword.name == "redirect":  # kept as words: its log-format arguments are checked here
        for i, arg in enumerate(words[1:], start=1):  # (HAProxy 2.6 does not parse them at -c)
            _check_format(ctx, stmt, i, arg)
    if keyword.name in _LOG_FORMAT_KEYWORDS and len(words) > 1:
        mode = ctx.semantics.of(section).mode.value if section.kind != "defaults" else None
        _check_log_format(ctx, stmt, 1, words[1], mode)
        _check_expressions(ctx, stmt, 1, words[1], None)
    checker = _NODE_CHECKS.get(type(stmt.node))
    if checker is not None:
        checker(ctx, section, stmt, stmt.node)


def _unknown_keyword(ctx: _Ctx, section: Section, stmt: Statement, sec: kw.Sec) -> None:
    word = stmt.keyword
    if word in ("no", "default") and len(stmt.words) > 2 and stmt.words[1] == "option":
        word = "option " + stmt.words[2]
    elif word in ("option", "timeout", "stats") and len(stmt.words) > 1:
        word = f"{word} {stmt.words[1]}"
    names = [k.name for k in kw.keywords_for(sec)]
    # A one-word typo is compared with first words ("timout" -> "timeout"), a two-word one
    # with whole names ("option forwardfro" -> "option forwardfor").
    candidates = sorted({n.split()[0] for n in names}) if " " not in word else names
    hint = kw.suggest(word, candidates)
    maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
    ctx.error(stmt, 0, f"unknown keyword '{word}' in '{section.kind}' section{maybe}")


def _check_port(
    ctx: _Ctx, stmt: Statement, word: int, port: str, *, allow_range: bool, allow_empty: bool
) -> None:
    if "$" in port:  # an environment variable: only known when HAProxy starts
        return
    if not port:
        if not allow_empty:
            ctx.error(stmt, word, "missing port number")
        return
    if port.startswith(("+", "-")) and not allow_range:  # relative ports for port-mapped servers
        port = port[1:]
    parts = port.split("-") if allow_range else [port]
    for part in parts:
        if not part.isdigit() or not kw.PORT_RANGE[0] <= int(part) <= kw.PORT_RANGE[1]:
            # HAProxy refuses port 0; the engine binds a free port for it (tests, the demo),
            # so this one error carries a code the engine and the app let through.
            code = BIND_PORT_ZERO if allow_range and port == "0" else ""
            ctx.error(stmt, word, f"invalid port '{port}' (expects {kw.PORT_RANGE[0]}-{kw.PORT_RANGE[1]})", code)
            return


def _check_bind(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Bind)
    for address in node.addresses:
        if address.startswith(("/", "unix@", "abns@", "fd@", "sockpair@")):
            ctx.engine_gap(stmt, 1, f"bind '{address}' (not a TCP address)", refuses=True)
            continue
        if "$" in address:
            ctx.engine_gap(stmt, 1, f"bind '{address}' (environment variables are not expanded)",
                           refuses=True)
            continue
        _, sep, port = split_host_port(address.split("@", 1)[-1])
        if not sep:
            ctx.error(stmt, 1, f"missing port number in bind address '{address}'")
            continue
        _check_port(ctx, stmt, 1, port, allow_range=True, allow_empty=False)
    word = 2
    for opt in node.options:
        if opt[0] not in kw.BIND_OPTIONS:
            hint = kw.suggest(opt[0], kw.BIND_OPTIONS)
            maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
            ctx.error(stmt, word, f"unknown keyword '{opt[0]}' on bind line{maybe}")
        elif len(opt) - 1 < kw.BIND_OPTIONS[opt[0]].nargs:
            ctx.error(stmt, word, f"'{opt[0]}' on bind line expects an argument")
        else:
            _engine_option_gap(ctx, section, stmt, word, opt, kw.BIND_OPTIONS)
            if opt[0] == "crt":
                _check_crt(ctx, stmt, word + 1, opt[1])
            elif opt[0] in ("ca-file", "crt-list"):
                _check_file(ctx, stmt, word + 1, opt[1], opt[0])
            if opt[0] == "crt-list":
                _crt_list_gaps(ctx, section, stmt, word + 1, opt[1])
        word += len(opt)
    if node.ssl and not _has_certificate(ctx, node):
        ctx.error(stmt, 1, f"no SSL certificate specified for bind '{' '.join(node.addresses)}' (use 'crt')")


def _crt_path(ctx: _Ctx, name: str) -> Path:
    """Where HAProxy (and the engine's TLS loader) looks for ``crt NAME``: the global
    ``crt-base`` applies as in proxy.engine.tls.TlsDefaults."""
    glob = ctx.config.global_section
    bases = [w for w in glob.generic("crt-base") if len(w) > 1] if glob is not None else []
    base = pem.resolve(bases[-1][1], None, ctx.base_dir) if bases else None
    return pem.resolve(name, base, ctx.base_dir)


def _check_crt(ctx: _Ctx, stmt: Statement, word: int, name: str) -> None:
    """``crt FILE`` or ``crt DIR/``: every file loadable the way HAProxy (and the engine) load it."""
    path = _crt_path(ctx, name)
    if not path.exists():
        ctx.error(stmt, word, f"unable to load crt '{name}': no such file or directory")
        return
    for file in pem.crt_files(path):
        try:
            pem.inspect_certificate(file)
        except pem.PemError as exc:
            ctx.error(stmt, word, str(exc))


def _has_certificate(ctx: _Ctx, node: Bind) -> bool:
    for opt in node.options:
        if opt[0] == "crt-list" or (opt[0] == "generate-certificates"):
            return True
        if opt[0] == "crt" and len(opt) > 1:
            path = _crt_path(ctx, opt[1])
            if not path.exists() or pem.crt_files(path):
                return True  # a missing one has its own error
    return False


def _check_file(ctx: _Ctx, stmt: Statement, word: int, name: str, what: str) -> None:
    path = Path(name) if os.path.isabs(name) else ctx.base_dir / name
    if not path.exists():
        ctx.error(stmt, word, f"unable to load {what} '{name}': no such file or directory")


def _check_server(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Server)
    first_opt = 1 if node.default else 3
    if not node.default:
        _, sep, port = split_host_port(node.address)
        if sep and not node.address.startswith(("/", "unix@")):
            _check_port(ctx, stmt, 2, port, allow_range=False, allow_empty=True)
        if "$" in node.address:
            ctx.engine_gap(stmt, 2, f"server '{node.name}' address (environment variables are not expanded)",
                           refuses=True)
        elif port and not port.isdigit():
            ctx.engine_gap(stmt, 2, f"server '{node.name}' port offset '{port}'", refuses=True)
    word = first_opt
    for opt in node.options:
        spec = kw.SERVER_OPTIONS.get(opt[0])
        if spec is None:
            hint = kw.suggest(opt[0], kw.SERVER_OPTIONS)
            maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
            ctx.error(stmt, word, f"unknown keyword '{opt[0]}' on server line{maybe}")
        elif len(opt) - 1 < spec.nargs:
            ctx.error(stmt, word, f"'{opt[0]}' expects an argument")
        else:
            _check_server_value(ctx, stmt, word, opt)
            _engine_option_gap(ctx, section, stmt, word, opt, kw.SERVER_OPTIONS)
        word += len(opt)


def _engine_option_gap(ctx: _Ctx, section: Section, stmt: Statement, word: int, opt: list[str],
                       table: dict[str, kw.OptionSpec]) -> None:
    """A located warning where a bind/server option is one the engine leaves out (the facts:
    keywords.option_gap).  A default-server option is reported at its own line, once."""
    engine = table[opt[0]].engine
    if engine not in ("ignores", "refuses", "partly"):
        return
    gap = kw.option_gap(table, opt, ctx.semantics.of(section).mode.value if engine == "partly" else "")
    if gap is not None:
        ctx.engine_gap(stmt, word, gap.what, refuses=gap.refuses, note=gap.note)


def _crt_list_gaps(ctx: _Ctx, section: Section, stmt: Statement, word: int, name: str) -> None:
    """Per-certificate ``[options]`` of a crt-list the engine does not apply (it applies
    keywords.ENGINE_CRT_LIST_OPTIONS), warned at the bind's crt-list word as the engine does."""
    path = pem.resolve(name, None, ctx.base_dir)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return  # a missing file has its own error
    mode = ctx.semantics.of(section).mode.value
    for number, line in enumerate(lines, start=1):
        for option in kw.crt_list_line_options(line):
            gap = kw.crt_list_option_gap(option, mode)
            if gap is not None:
                ctx.engine_gap(stmt, word, f"{gap.what} on crt-list line {path}:{number}", refuses=False,
                               note=gap.note)


def _check_server_value(ctx: _Ctx, stmt: Statement, word: int, opt: list[str]) -> None:
    name, value = opt[0], opt[1] if len(opt) > 1 else ""
    spec = kw.SERVER_OPTIONS[name]
    if spec.kind == "time":
        _check_time(ctx, stmt, word + 1, value)
    elif spec.kind == "int" and spec.bounds is not None:
        low, high = spec.bounds
        if not value.isdigit() or not low <= int(value) <= high:
            ctx.error(
                stmt,
                word + 1,
                f"invalid value '{value}' for '{name}' (expects an integer between {low} and {high})",
            )
    elif spec.kind == "file":
        _check_file(ctx, stmt, word + 1, value, name)


def _check_time(ctx: _Ctx, stmt: Statement, word: int, value: str) -> None:
    try:
        parse_time_ms(value)
    except TimeError as exc:
        ctx.error(stmt, word, str(exc))


def _check_timeout(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Timeout)
    _check_time(ctx, stmt, 2, node.value)


def _check_mode(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Mode)
    if node.value not in kw.MODES:
        ctx.error(stmt, 1, f"unknown proxy mode '{node.value}' (expects 'http' or 'tcp')")


def _check_balance(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Balance)
    if node.name not in kw.BALANCE_ALGORITHMS:
        hint = kw.suggest(node.name, kw.BALANCE_ALGORITHMS)
        maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
        ctx.error(
            stmt,
            1,
            f"'balance' only supports {', '.join(sorted(kw.BALANCE_ALGORITHMS))}; unknown algorithm '{node.algorithm}'{maybe}",
        )
    elif not kw.BALANCE_ALGORITHMS[node.name].engine:
        ctx.engine_gap(stmt, 1, f"'balance {node.name}'", refuses=True)


def _check_acl(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Acl)
    _check_fetch(ctx, stmt, 2, node.fetch)
    matcher = node.matcher
    if matcher is not None and matcher not in kw.MATCHERS:
        ctx.error(stmt, 3, f"unknown pattern matching method '{matcher}'")
    for f in node.files:
        _check_file(ctx, stmt, 3, f, "pattern file")


def fetch_name(fetch: str) -> str:
    """``hdr(host),lower`` -> ``hdr``: the sample fetch without arguments or converters."""
    return fetch.split(",", 1)[0].split("(", 1)[0]


def _check_fetch(ctx: _Ctx, stmt: Statement, word: int, fetch: str) -> None:
    name = fetch_name(fetch)
    if name not in kw.FETCHES:
        hint = kw.suggest(name, kw.FETCHES)
        maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
        ctx.error(stmt, word, f"unknown fetch method '{name}' in ACL expression '{fetch}'{maybe}")
    elif name not in kw.ENGINE_FETCHES:
        ctx.engine_gap(stmt, word, f"fetch '{name}'", refuses=True)
    elif name in USERLIST_FETCHES:
        _check_userlist_argument(ctx, stmt, word, fetch, name)


USERLIST_FETCHES = ("http_auth", "http_auth_group")


def _check_userlist_argument(ctx: _Ctx, stmt: Statement, word: int, fetch: str, name: str) -> None:
    """``http_auth(L)``: L must be a userlist section of this config."""
    argument = fetch.split(",", 1)[0].partition("(")[2].rstrip(")").strip()
    userlists = {s.name for s in ctx.config.sections if s.kind == "userlist"}
    if argument not in userlists:
        ctx.error(stmt, word, f"unable to find userlist '{argument}' referenced in arg 1 of "
                              f"ACL keyword '{name}'")


def _check_condition(ctx: _Ctx, stmt: Statement, cond: Condition | None) -> None:
    if cond is None:
        return
    offset = stmt.words.index(cond.kind, 1) + 1
    try:
        for group in cond.groups():
            for term in group:
                if term.anonymous:
                    _check_anonymous_acl(ctx, stmt, offset, term.anonymous)
    except NodeError as exc:
        ctx.error(stmt, offset + exc.word, str(exc))


def _check_anonymous_acl(ctx: _Ctx, stmt: Statement, word: int, words: tuple[str, ...]) -> None:
    _check_fetch(ctx, stmt, word, words[0])
    flags, _ = parse_acl_flags(words, 1)
    for flag in flags:
        if flag[0] == "-f" and len(flag) > 1:
            _check_file(ctx, stmt, word, flag[1], "pattern file")
        elif flag[0] == "-m" and len(flag) > 1 and flag[1] not in kw.MATCHERS:
            ctx.error(stmt, word, f"unknown pattern matching method '{flag[1]}'")


def _check_use_backend(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, UseBackend)
    _check_condition(ctx, stmt, node.condition)
    _check_expressions(ctx, stmt, 1, node.backend, f"{section.kind} use_backend")
    _check_format(ctx, stmt, 1, node.backend)


def _check_rule(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Rule)
    table = _rule_actions(node)
    if (
        table is not None
        and node.action not in table
        and not _is_indexed_action(node.action, table)
    ):
        where = f"{node.family} {node.stage}".strip()
        hint = kw.suggest(node.action, table)
        maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
        ctx.error(stmt, 2 if node.stage else 1, f"'{where}' unknown action '{node.action}'{maybe}")
        return
    if "deny_status" in node.args:
        i = node.args.index("deny_status")
        status = node.args[i + 1] if i + 1 < len(node.args) else ""
        word = (2 if node.stage else 1) + 2 + i
        if not status.isdigit() or not 200 <= int(status) <= 599:
            ctx.error(stmt, word, f"invalid deny_status '{status}' (expects an HTTP status 200-599)")
        elif int(status) not in kw.ERROR_STATUSES:
            ctx.error(stmt, word, f"status code '{status}' not handled by default with 'default-errorfiles' "
                                  f"argument: HAProxy has no built-in page for it "
                                  f"(use one of {', '.join(map(str, sorted(kw.ERROR_STATUSES)))})")
    _check_condition(ctx, stmt, node.condition)
    _check_rule_expressions(ctx, section, stmt, node)
    _check_rule_engine(ctx, section, stmt, node)


def _check_rule_expressions(ctx: _Ctx, section: Section, stmt: Statement, node: Rule) -> None:
    """The sample expressions of an HTTP rule's arguments: ``%[...]`` in its strings, and the
    bare expression of ``set-var(...)``."""
    if node.family not in kw.FINAL_ACTIONS:  # the http-* rule families
        return
    context = f"{section.kind} {node.family}"
    word = (2 if node.stage else 1) + 1
    if node.action.startswith("set-var(") and node.args:  # (set-var-fmt takes a log-format)
        _check_expression(ctx, stmt, word, node.args[0], context)
    if node.action in ("set-header", "add-header") and len(node.args) > 1:  # the value is a log-format
        _check_log_format(ctx, stmt, word + 1, node.args[1], None)
    for i, arg in enumerate(node.args):
        if i == 0 or node.args[i - 1] not in _PLAIN_ARGUMENT_AFTER:
            _check_expressions(ctx, stmt, word + i, arg, context)


# Rule arguments that are plain text, not log-format: "string <text>", "reason <text>"...
_PLAIN_ARGUMENT_AFTER = frozenset({"string", "reason", "file", "content-type", "errorfile", "errorfiles"})


_LOG_FORMAT_KEYWORDS = ("log-format", "log-format-sd", "error-log-format", "unique-id-format")


def _check_log_format(ctx: _Ctx, stmt: Statement, word: int, text: str, mode: str | None) -> None:
    """HAProxy's parse of a log-format string's ``%`` variables (``%ci``, ``%{+Q}r``, ``%%``):
    an unknown name, a ``%`` with no name, an HTTP-only one in a proxy not in ``mode http``."""
    i = 0
    while i < len(text):
        if text[i] != "%":
            i += 1
            continue
        if text.startswith("%%", i):
            i += 2
            continue
        j = text.find("}", i) + 1 if text.startswith("%{", i) else i + 1
        if j == 0:
            return  # an unterminated '{': HAProxy's own wording is left to it
        if text.startswith("[", j):
            i = j + 1
            continue
        end = j
        while end < len(text) and text[end].isascii() and text[end].isalnum():
            end += 1
        name = text[j:end]
        problem = _log_variable_problem(name, mode)
        if problem is not None:
            ctx.error(stmt, word, f"failed to parse log-format : {problem}")
            return
        i = end


def _log_variable_problem(name: str, mode: str | None) -> str | None:
    if not name:
        return ("a '%' with no variable name after it: HAProxy refuses it (write '%%' for a single "
                "'%')")
    if name not in kw.LOG_FORMAT_VARIABLES:
        hint = kw.suggest(name, kw.LOG_FORMAT_VARIABLES)
        maybe = f"; did you mean '%{hint}' maybe ?" if hint else ""
        return (f"no such format variable '{name}'. If you wanted to emit the '%' character verbatim, "
                f"you need to use '%%'{maybe}")
    if kw.LOG_FORMAT_VARIABLES[name] and mode not in (None, "http"):
        return f"format variable '{name}' is reserved for HTTP mode (this proxy is in 'mode {mode}')"
    return None


def _check_expressions(ctx: _Ctx, stmt: Statement, word: int, text: str, context: str | None) -> None:
    """HAProxy's own checks of the ``%[...]`` expressions of a log-format string."""
    for match in _FORMAT_EXPRESSION.finditer(text):
        _check_expression(ctx, stmt, word, match.group(1), context)


def _check_expression(ctx: _Ctx, stmt: Statement, word: int, expression: str, context: str | None) -> None:
    """A sample expression (``req.hdr(host),lower``): its fetch must exist, and have a value
    where the rule runs (``keywords.NEVER_MATCHES``); HAProxy refuses the file otherwise."""
    fetch = fetch_name(_split_top_level(expression)[0].strip())
    if not fetch or fetch.startswith("$"):  # an environment variable: known when HAProxy starts
        return
    if fetch not in kw.FETCHES or fetch in kw.ACL_ONLY_FETCHES:
        hint = kw.suggest(fetch, set(kw.FETCHES) - kw.ACL_ONLY_FETCHES)
        maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
        ctx.error(stmt, word, f"failed to parse sample expression <{expression}> : unknown fetch method "
                              f"'{fetch}'{maybe}")
        return
    never = kw.NEVER_MATCHES.get(context or "")
    if never is not None and fetch not in kw.EITHER_DIRECTION_FETCHES \
            and any(fetch in kw.FETCH_AVAILABILITY[g] for g in never[1]):
        ctx.error(stmt, word, f"sample fetch <{expression}> may not be reliably used here: '{fetch}' has no "
                              f"value in a {never[0]} (use it in a rule that runs when it is known)")


def _check_rule_engine(ctx: _Ctx, section: Section, stmt: Statement, node: Rule) -> None:
    """Where a rule leaves what the embedded engine runs (kw.ENGINE_*_ACTIONS)."""
    if node.family not in ("http-request", "http-response", "tcp-request"):
        return  # the keyword itself is reported ('http-after-response', 'tcp-response ...')
    if section.kind == "defaults":
        ctx.engine_gap(stmt, 0, f"'{node.family}' rules in a defaults section", refuses=False)
        return
    word = 2 if node.stage else 1
    if node.family == "tcp-request":
        if node.stage in ("connection", "content") and node.action not in kw.ENGINE_TCP_ACTIONS:
            ctx.engine_gap(stmt, word, f"'tcp-request {node.stage} {node.action}'", refuses=True)
        return
    if node.action.split("(", 1)[0] not in kw.ENGINE_HTTP_ACTIONS:
        ctx.engine_gap(stmt, word, f"'{node.family} {node.action}'", refuses=True)
        return
    for i, arg in enumerate(node.args):
        _check_format(ctx, stmt, word + 1 + i, arg)


_FORMAT_EXPRESSION = re.compile(r"%\[([^\]]*)\]")


def _check_format(ctx: _Ctx, stmt: Statement, word: int, text: str) -> None:
    """The ``%[fetch,converter...]`` expressions of a log-format string, against the engine's."""
    for match in _FORMAT_EXPRESSION.finditer(text):
        parts = _split_top_level(match.group(1))
        fetch = parts[0].split("(", 1)[0].strip()
        if fetch and fetch in kw.FETCHES and fetch not in kw.ENGINE_FORMAT_FETCHES:
            ctx.engine_gap(stmt, word, f"fetch '{fetch}' in '{text}'", refuses=True)
        for converter in parts[1:]:
            name = converter.split("(", 1)[0].strip()
            if name not in kw.ENGINE_CONVERTERS:
                ctx.engine_gap(stmt, word, f"converter '{name}' in '{text}'", refuses=True)


def _split_top_level(text: str) -> list[str]:
    """``req.hdr(host,1),lower`` -> ``["req.hdr(host,1)", "lower"]``: commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _is_indexed_action(action: str, table: Mapping[str, str]) -> bool:
    """``track-sc0``, ``sc-inc-gpc0(1)``...: actions named with a counter index."""
    base = action.split("(", 1)[0].rstrip("0123456789")
    return any(name.startswith(base) for name in table if base)


def _rule_actions(node: Rule) -> Mapping[str, str] | None:
    if node.family == "http-request":
        return kw.HTTP_REQUEST_ACTIONS
    if node.family in ("http-response", "http-after-response"):
        return kw.HTTP_RESPONSE_ACTIONS
    if (
        node.family == "tcp-request"
        and node.stage in kw.TCP_REQUEST_ACTIONS
        and node.stage != "inspect-delay"
    ):
        return kw.TCP_REQUEST_ACTIONS[node.stage]
    return None


# --- directives around routing ----------------------------------------------

_COOKIE_FLAGS = {
    "rewrite",
    "insert",
    "prefix",
    "indirect",
    "nocache",
    "postonly",
    "preserve",
    "httponly",
    "secure",
    "domain",
    "maxidle",
    "maxlife",
    "dynamic",
    "attr",
}
_STICK_TYPES = {"ip", "ipv6", "integer", "string", "binary"}
_STICK_KINDS = {"on", "match", "store-request", "store-response"}
_STATS_DIRECTIVES = {
    "admin",
    "auth",
    "enable",
    "hide-version",
    "http-request",
    "realm",
    "refresh",
    "scope",
    "show-desc",
    "show-legends",
    "show-modules",
    "show-node",
    "uri",
    "bind-process",
}
_HTTP_CHECK_DIRECTIVES = {
    "send",
    "expect",
    "connect",
    "comment",
    "set-var",
    "unset-var",
    "disable-on-404",
    "send-state",
}



def _check_setting(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Setting)
    if node.number is None:  # HAProxy reads it with atoi() and takes 0 without a word
        ctx.warning(stmt, 1, f"'{node.name}' expects an integer: HAProxy reads '{node.value}' as 0")


def _check_http_check(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, HttpCheck)
    if node.directive not in _HTTP_CHECK_DIRECTIVES:
        hint = kw.suggest(node.directive, _HTTP_CHECK_DIRECTIVES)
        maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
        ctx.error(stmt, 1, f"'http-check' : unknown directive '{node.directive}'{maybe}")
    elif node.directive == "expect":
        _check_expect(ctx, stmt, node.args)


def _check_expect(ctx: _Ctx, stmt: Statement, args: list[str]) -> None:
    i = 0
    while i < len(args) and (args[i] in kw.HTTP_CHECK_EXPECT_OPTIONS or args[i] == "!"):
        i += 1 if args[i] == "!" else 2
    if i >= len(args):
        ctx.error(stmt, 1, "'http-check expect' : expects a matching method and a pattern")
    elif args[i] not in kw.HTTP_CHECK_EXPECT_MATCHERS:
        known = ", ".join(kw.HTTP_CHECK_EXPECT_MATCHERS)
        ctx.error(stmt, 2 + i, f"'http-check expect' : unknown keyword '{args[i]}' (expects one of {known})")
    elif i + 1 >= len(args):
        ctx.error(stmt, 2 + i, f"'http-check expect {args[i]}' : expects <pattern> as an argument")
    elif not kw.HTTP_CHECK_EXPECT_MATCHERS[args[i]]:
        ctx.engine_gap(stmt, 2 + i, f"'http-check expect {args[i]}' (the check expects a 2xx or 3xx status)",
                       refuses=False)


def _check_cookie(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, CookieLine)
    for flag in node.flags:
        if flag not in _COOKIE_FLAGS:
            ctx.error(
                stmt,
                2 + node.options.index(flag),
                f"'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'maxlife', 'dynamic' and 'attr' options; unknown '{flag}'",
            )
    modes = [f for f in node.flags if f in ("rewrite", "insert", "prefix")]
    if len(modes) > 1:
        ctx.error(
            stmt, 2, "'cookie' : 'rewrite', 'insert' and 'prefix' options are mutually exclusive"
        )


def _check_stick_table(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, StickTable)
    kind = node.table_type
    if kind not in _STICK_TYPES:
        ctx.error(
            stmt,
            2,
            f"'stick-table' : unknown type '{kind}' (expects ip, ipv6, integer, string or binary)",
        )
    if node.value("size") is None:
        ctx.error(stmt, 0, "'stick-table' : missing size")
    expire = node.value("expire")
    if expire is not None:
        _check_time(ctx, stmt, 1 + node.options.index("expire") + 1, expire)


def _check_stick(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Stick)
    if node.kind not in _STICK_KINDS:
        ctx.error(
            stmt,
            1,
            f"'stick' : unknown keyword '{node.kind}' (expects on, match, store-request or store-response)",
        )
    _check_condition(ctx, stmt, node.condition)
    args = node.args
    table = args[args.index("table") + 1] if "table" in args[:-1] else section.name
    # a frontend and a backend may share a name: any proxy of that name with a table will do
    holders = [s for s in ctx.config.sections if s.is_proxy and s.name == table]
    if not any(h.nodes(StickTable) for h in holders):
        ctx.error(stmt, 0, f"Proxy '{section.name}': unable to find stick-table '{table}'.")


def _check_stats(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, StatsLine)
    if node.directive not in _STATS_DIRECTIVES and node.directive not in (
        "socket",
        "timeout",
        "maxconn",
    ):
        hint = kw.suggest(node.directive, _STATS_DIRECTIVES)
        maybe = f"; did you mean '{hint}' maybe ?" if hint else ""
        ctx.error(stmt, 1, f"'stats' : unknown keyword '{node.directive}'{maybe}")
    elif node.directive == "auth" and node.credentials is None:  # HAProxy accepts it, uselessly
        ctx.warning(stmt, 2, "'stats auth' expects <user>:<password>; no one can log in with this")
    elif node.directive == "refresh" and node.args:
        _check_time(ctx, stmt, 2, node.args[0])
    _check_condition(ctx, stmt, node.condition)


def _check_errorfile(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, ErrorFile)
    if not node.code.isdigit() or int(node.code) not in kw.ERROR_STATUSES:
        supported = ", ".join(map(str, sorted(kw.ERROR_STATUSES)))
        ctx.error(stmt, 1, f"'errorfile' : status code '{node.code}' not handled (supported: {supported})")
    _check_file(ctx, stmt, 2, node.path, "errorfile")


def _check_hash_type(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, HashType)
    problem = kw.hash_type_problem(node.to_words()[1:])
    if problem is not None:
        ctx.error(stmt, 1 + problem[0], problem[1])


def _check_capture(ctx: _Ctx, section: Section, stmt: Statement, node: Node) -> None:
    assert isinstance(node, Capture)
    if node.what not in ("request header", "response header", "cookie"):
        ctx.error(stmt, 1, "'capture' expects 'request header', 'response header' or 'cookie'")
    elif node.length is None:
        ctx.error(stmt, len(stmt.words) - 1, f"'capture {node.what}' expects 'len' <length>")


_NodeCheck = Callable[[_Ctx, Section, Statement, Node], None]
_NODE_CHECKS: dict[type, _NodeCheck] = {
    Bind: _check_bind,
    Server: _check_server,
    Timeout: _check_timeout,
    Mode: _check_mode,
    Balance: _check_balance,
    Acl: _check_acl,
    UseBackend: _check_use_backend,
    Rule: _check_rule,
    Setting: _check_setting,
    HttpCheck: _check_http_check,
    CookieLine: _check_cookie,
    StickTable: _check_stick_table,
    Stick: _check_stick,
    StatsLine: _check_stats,
    ErrorFile: _check_errorfile,
    HashType: _check_hash_type,
    Capture: _check_capture,
}


# --- across statements ----------------------------------------------------


def _proxies(ctx: _Ctx) -> Iterator[Section]:
    return (s for s in _active_sections(ctx) if s.kind in ("frontend", "backend", "listen"))


def _active_nodes(
    ctx: _Ctx, section: Section, kind: type[Node]
) -> Iterator[tuple[Statement, Node]]:
    for stmt in section.body:
        if ctx.is_active(stmt) and isinstance(stmt.node, kind):
            yield stmt, stmt.node


def _check_duplicate_names(ctx: _Ctx) -> None:
    seen: dict[tuple[str, str], Section] = {}
    for section in _active_sections(ctx):
        if section.name is None or section.kind in ("global", "defaults"):
            continue  # a duplicate defaults name is an error only where "from" uses it
        family = "proxy-be" if section.kind in ("backend", "listen") else section.kind
        if section.kind == "frontend":
            family = "proxy-fe"
        key = (family, section.name)
        if key in seen:
            first = seen[key]
            ctx.error(
                section.header,
                1,
                f"{section.kind} '{section.name}' has the same name as {first.kind} '{first.name}' declared at line {first.header.location()[0]}",
            )
        else:
            seen[key] = section
        if section.kind == "listen":
            seen.setdefault(("proxy-fe", section.name), section)
    for section in _proxies(ctx):
        names: dict[str, Statement] = {}
        for stmt, node in _active_nodes(ctx, section, Server):
            assert isinstance(node, Server)
            if node.default:
                continue
            if node.name in names:
                other = names[node.name].location()[0]
                ctx.error(
                    stmt,
                    1,
                    f"{section.kind} '{section.name}': server '{node.name}' has the same name as another server declared at line {other}",
                )
            names[node.name] = stmt


def _check_backend_references(ctx: _Ctx) -> None:
    for section in _proxies(ctx):
        mode = ctx.semantics.of(section).mode.value
        for stmt, node in _active_nodes(ctx, section, UseBackend):
            assert isinstance(node, UseBackend)
            _check_backend_ref(ctx, section, stmt, node.backend, mode)
        for stmt, node in _active_nodes(ctx, section, DefaultBackend):
            assert isinstance(node, DefaultBackend)
            _check_backend_ref(ctx, section, stmt, node.backend, mode)


def _check_backend_ref(ctx: _Ctx, section: Section, stmt: Statement, name: str, mode: str) -> None:
    if "%[" in name:  # dynamic: resolved per request
        return
    target = ctx.config.backend(name)
    if target is None:
        ctx.error(
            stmt, 1, f"{section.kind} '{section.name}': unable to find required backend '{name}'"
        )
        return
    target_mode = ctx.semantics.of(target).mode.value
    if mode == "http" and target_mode == "tcp":
        rule = "use_backend" if isinstance(stmt.node, UseBackend) else "default_backend"
        ctx.error(
            stmt,
            1,
            f"http {section.kind} '{section.name}' (line {section.header.location()[0]}) tries to use incompatible "
            f"tcp backend '{name}' (line {target.header.location()[0]}) in a '{rule}' rule (see 'mode')",
        )


def _check_acl_references(ctx: _Ctx) -> None:
    for section in _active_sections(ctx):
        if not section.is_proxy:
            continue
        defined = {
            node.name for _, node in _active_nodes(ctx, section, Acl) if isinstance(node, Acl)
        }
        for stmt in section.body:
            cond = getattr(stmt.node, "condition", None)
            if not ctx.is_active(stmt) or not isinstance(cond, Condition):
                continue
            offset = stmt.words.index(cond.kind, 1) + 1
            for index, name in cond.acl_names():
                if name in defined:
                    continue
                if name not in kw.PREDEFINED_ACLS:
                    ctx.error(stmt, offset + index, f"no such ACL : '{name}'")
                elif fetch_name(kw.PREDEFINED_ACLS[name][0]) not in kw.ENGINE_FETCHES:
                    ctx.engine_gap(stmt, offset + index, f"predefined ACL '{name}'", refuses=True)


def _check_has_listener(ctx: _Ctx) -> None:
    """HAProxy refuses to start (exit 2) when nothing listens; say so at the top."""
    listeners = (
        stmt
        for s in _proxies(ctx)
        if s.kind != "backend"
        for stmt, _ in _active_nodes(ctx, s, Bind)
    )
    if next(listeners, None) is not None or _has_other_listener(ctx):
        return
    first = next(iter(ctx.config.sections), None)
    where = first.header if first else None
    line, col = where.location() if where else (1, 1)
    ctx.diagnostics.append(
        Diagnostic(
            ctx.config.path,
            line or 1,
            col or 1,
            "error",
            "configuration has no listener (no 'bind' in any frontend or listen section): it would not start",
        )
    )


def _has_other_listener(ctx: _Ctx) -> bool:
    """Sections other than proxies that make HAProxy run: peers with a bind, log-forward, program."""
    return any(s.kind in ("log-forward", "program") for s in _active_sections(ctx)) or any(
        s.kind == "peers" and any(st.keyword in ("bind", "peer", "server") for st in s.body)
        for s in _active_sections(ctx)
    )


def _check_userlists(ctx: _Ctx) -> None:
    """HAProxy's userlist checks: duplicates are ignored with a warning (the first one
    counts), a user's group and a group's user must exist."""
    for section in _active_sections(ctx):
        if section.kind != "userlist":
            continue
        groups: dict[str, Statement] = {}
        users: dict[str, Statement] = {}
        for stmt in section.body:
            words = stmt.words
            if not ctx.is_active(stmt) or len(words) < 2 or words[0] not in ("user", "group"):
                continue
            seen = users if words[0] == "user" else groups
            if words[1] in seen:
                ctx.warning(stmt, 1, f"ignoring duplicated {words[0]} '{words[1]}' in userlist "
                                     f"'{section.name}'.")
            else:
                seen[words[1]] = stmt
        _check_userlist_members(ctx, section, users, groups)


def _listed(words: Sequence[str], option: str) -> list[str]:
    found = words.index(option) + 1 if option in words[2:] else 0
    return [n for n in words[found].split(",") if n] if 0 < found < len(words) else []


def _check_userlist_members(
    ctx: _Ctx, section: Section, users: dict[str, Statement], groups: dict[str, Statement]
) -> None:
    for name, stmt in users.items():
        for group in _listed(stmt.words, "groups"):
            if group not in groups:
                ctx.error(stmt, 0, f"userlist '{section.name}': no such group '{group}' "
                                   f"specified in user '{name}'")
    for name, stmt in groups.items():
        for user in _listed(stmt.words, "users"):
            if user not in users:
                ctx.error(stmt, 0, f"userlist '{section.name}': no such user '{user}' "
                                   f"specified in group '{name}'")


def _check_unix_stats_sockets(ctx: _Ctx) -> None:
    """Where unix sockets do not exist (Windows), the engine leaves a unix ``stats socket``
    out and runs the rest: say so at its address, with what to write instead."""
    if platform.unix_sockets_available():
        return
    for section in _active_sections(ctx):
        if section.kind != "global":
            continue
        for stmt in section.statements("stats"):
            words = stmt.words
            if (ctx.is_active(stmt) and len(words) > 2 and words[1] == "socket"
                    and platform.is_unix_address(words[2])):
                ctx.warning(stmt, 2, platform.UNIX_SOCKETS_UNAVAILABLE)


def _check_system_accounts(ctx: _Ctx) -> None:
    """HAProxy looks ``user``/``group`` up on the machine it starts on and refuses a name it
    does not find ("cannot find user id for ..."); the embedded engine changes no user.  The
    file may be meant for a server that has the account, so here it is a warning."""
    for section in _active_sections(ctx):
        if section.kind != "global":
            continue
        for stmt in section.body:
            words = stmt.words
            if not ctx.is_active(stmt) or len(words) != 2 or words[0] not in ("user", "group"):
                continue
            if platform.system_account_known(words[0], words[1]) is False:
                ctx.warning(stmt, 1, f"cannot find {words[0]} id for '{words[1]}' on this machine: "
                                     f"HAProxy refuses to start here with it (fine for a machine "
                                     f"that has it; the embedded engine does not change {words[0]})")


_CROSS_CHECKS: list[Callable[[_Ctx], None]] = [
    _check_message_directives,
    _check_unix_stats_sockets,
    _check_system_accounts,
    _check_userlists,
    _check_has_listener,
    _check_duplicate_names,
    _check_backend_references,
    _check_acl_references,
]
