"""What HAProxy 2.6 warns about once the whole file is read, from the semantic layer.

Theory of operation
-------------------
HAProxy parses every section first, then walks each proxy with its defaults
applied (cfgparse.c, check_config_validity) and warns about what has no
effect there: HTTP-only keywords in a proxy that is not in ``mode http``, a
log format with no log address to send lines to, rules written after rules
that run later anyway (or after a final one), check rules without their
check option, conditions on fetches that have no value where the rule runs,
a frontend without ``bind``.  A few errors are also found only then (a TLS
server without a CA, a ``use-server`` of no server, a ``default_backend``
loop).  HAProxy prints most of these without a line (``config : ...``);
here each one is located at the statement that causes it -- the defaults
line when the proxy inherits it -- and says what to do.

Every check reads a ``ProxyMeaning`` (proxy.config.semantics: the effective
statements, "last one wins") and the registry's facts (proxy.config.keywords:
``needs_http``, ``HTTP_MODE_WARNINGS``, ``RULE_ORDER``, ``FINAL_ACTIONS``,
``CHECK_OPTIONS``, ``L6_FETCHES``, ``FETCH_AVAILABILITY``/``NEVER_MATCHES``,
``BalanceAlgo.layer7``), so the CLI and the GUI's diagnostics say the same
thing.  tests/proxy/config/test_warnings_vs_haproxy.py holds each one against
the real ``haproxy -c``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from proxy.config import keywords as kw
from proxy.config.model import Diagnostic, Section, Statement
from proxy.config.nodes import Acl, Bind, Condition, NodeError
from proxy.config.semantics import ProxyMeaning, Semantics, global_setting, section_title

__all__ = ["proxy_checks", "who"]

_LOG_FORMATS = ("option httplog", "option httpslog", "option tcplog", "log-format")
_HTTP_CHECK_RULES = frozenset({"send", "expect", "connect", "comment", "set-var", "unset-var"})
_LOG_FIX = "add 'log stdout format raw local0' to {title}, or 'log global' with a 'log' line in the global section"


def proxy_checks(semantics: Semantics) -> list[Diagnostic]:
    """HAProxy's post-parse warnings (and the few errors it finds only then) for every
    frontend, backend and listen section."""
    found: list[Diagnostic] = []
    for meaning in semantics.proxies:
        if meaning.section.kind == "defaults":
            continue
        for check in _CHECKS:
            found.extend(check(semantics, meaning))
    return found


def who(section: Section) -> str:
    """How HAProxy names a proxy in its messages (proxy_type_str): a listen one is a 'proxy'."""
    kind = "proxy" if section.kind == "listen" else section.kind
    return f"{kind} '{section.name}'"


def _warning(semantics: Semantics, stmt: Statement, word: int, message: str) -> Diagnostic:
    line, col = stmt.location(word)
    return Diagnostic(semantics.config.path, line, col, "warning", message)


def _keyword(stmt: Statement, section: Section) -> kw.Keyword | None:
    found, _ = kw.lookup(stmt.words, kw.SECTION_KINDS.get(section.kind))
    return found


def _has_effect(keyword: kw.Keyword, section: Section) -> bool:
    sec = kw.SECTION_KINDS.get(section.kind)
    return sec is not None and bool(keyword.sections & sec)


# --- HTTP-only keywords outside "mode http" ---------------------------------------------


def _upgrades_to_http(meaning: ProxyMeaning) -> bool:
    """``tcp-request content switch-mode http``: HAProxy then keeps the HTTP settings."""
    return any(s.words[:4] == ["tcp-request", "content", "switch-mode", "http"] for s in meaning.statements)


def _http_only(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    """One warning per HTTP-only setting, at the statement whose value applies."""
    if meaning.mode.value == "http" or _upgrades_to_http(meaning):
        return
    section = meaning.section
    reported: set[str] = set()
    for stmt in meaning.statements:
        keyword = _keyword(stmt, section)
        if keyword is None or not keyword.needs_http or not _has_effect(keyword, section):
            continue
        message = _http_mode_message(meaning, stmt, keyword)
        if message is not None and message not in reported:
            reported.add(message)
            yield _warning(semantics, stmt, 0, message + _http_mode_fix(meaning))
    yield from _layer7_balance(semantics, meaning)
    yield from _server_cookies(semantics, meaning)


def _http_mode_fix(meaning: ProxyMeaning) -> str:
    title = section_title(meaning.section)
    return f" (HAProxy runs {title} without it: add 'mode http' to {title}, or remove this line)"


def _http_mode_message(meaning: ProxyMeaning, stmt: Statement, keyword: kw.Keyword) -> str | None:
    """HAProxy's wording for ``keyword`` ignored in ``meaning`` (None: another line of it
    applies instead, as for an option a later ``no option`` turns off)."""
    how = keyword.needs_http
    if how in ("option", "fallback"):
        name = keyword.name.removeprefix("option ")
        applies = meaning.option(name)
        if applies is None or applies.source.statement is not stmt or not applies.value[0]:
            return None
        if how == "fallback" and _log_format_statement(meaning) is not stmt:
            return None
    elif how == "needs" and meaning.last_statement(keyword.name) is not stmt:
        return None
    template = kw.HTTP_MODE_WARNINGS[how]
    return (template.replace("NAME", keyword.name.removeprefix("option "))
            .replace("KEYWORD", keyword.name).replace("FIRST-WORD", keyword.name.split()[0])
            .replace("PROXY", who(meaning.section)))


def _layer7_balance(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    stmt = meaning.last_statement("balance")
    if stmt is None or len(stmt.words) < 2 or meaning.section.kind == "frontend":
        return
    algo = kw.BALANCE_ALGORITHMS.get(stmt.words[1].split("(", 1)[0])
    if algo is not None and algo.layer7:
        yield _warning(semantics, stmt, 1, f"Layer 7 hash not possible for {who(meaning.section)} "
                       "(needs 'mode http'). Falling back to round robin." + _http_mode_fix(meaning))


def _server_cookies(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    for stmt, server in meaning.servers:
        if server.option("cookie"):
            word = next(i for i, w in enumerate(stmt.words) if w == "cookie" and i > 2)
            yield _warning(semantics, stmt, word, f"{who(meaning.section)} : ignoring cookie for server "
                           f"'{server.name}' as HTTP mode is disabled." + _http_mode_fix(meaning))


# --- a log format and nowhere to send it ---------------------------------------------------


def _log_format_statement(meaning: ProxyMeaning) -> Statement | None:
    """The line that sets the proxy's log format (last wins among them), if any."""
    lines = [s for s in meaning.statements if " ".join(s.words[:2]) in _LOG_FORMATS or s.keyword == "log-format"]
    return lines[-1] if lines else None


def _log_targets(semantics: Semantics, meaning: ProxyMeaning) -> tuple[int, list[str]]:
    """How many log targets the proxy ends up with, and why it has none (for the hint).

    HAProxy copies the defaults' targets, each ``log`` line adds one, ``log global`` adds
    the global section's and ``no log`` empties the list."""
    targets, why = 0, []
    for stmt in (s for s in meaning.statements if s.keyword == "log" or s.words[:2] == ["no", "log"]):
        if stmt.words[0] == "no":
            targets, why = 0, [f"'no log' at line {stmt.location()[0]} removes the targets before it"]
        elif len(stmt.words) > 1 and stmt.words[1] == "global":
            added = _global_log_lines(semantics)
            targets += added
            if not added:
                why.append(f"'log global' at line {stmt.location()[0]} adds nothing: "
                           "the global section has no 'log' line")
        else:
            targets += 1
    return targets, why


def _global_log_lines(semantics: Semantics) -> int:
    section = semantics.config.global_section
    if section is None or id(section.header) not in semantics.active:
        return 0
    return sum(1 for s in section.body if id(s) in semantics.active and s.words[:1] == ["log"])


def _log_without_address(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    if meaning.section.kind == "backend":
        return  # a backend's log format is ignored anyway (the keyword check says so)
    stmt = _log_format_statement(meaning)
    if stmt is None:
        return
    targets, why = _log_targets(semantics, meaning)
    if targets:
        return
    source = meaning.source(stmt)
    inherited = f" (from {source.describe()})" if source.section is not meaning.section else ""
    fix = _LOG_FIX.format(title=section_title(meaning.section))
    because = "; ".join([f"'{' '.join(stmt.words[:2]) if stmt.keyword == 'option' else stmt.keyword}'"
                         f"{inherited} formats lines no log target receives", *why])
    yield _warning(semantics, stmt, 0, f"log format ignored for {who(meaning.section)} since it has no "
                   f"log address: {because}; {fix}")


# --- rules written after rules that run later -----------------------------------------------


def _rule_kind(stmt: Statement) -> str | None:
    words = stmt.words
    for name in (" ".join(words[:2]), words[0]):
        if name in kw.RULE_ORDER:
            return name
    return None


def _misplaced_rules(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    """HAProxy runs rules by kind (``RULE_ORDER``): one written after a later kind still runs
    before it.  Only the nearest later kind already seen is reported, as HAProxy does."""
    seen: set[str] = set()
    for stmt in meaning.own:
        kind = _rule_kind(stmt)
        if kind is None:
            continue
        rank = kw.RULE_ORDER.index(kind)
        later = next((k for k in kw.RULE_ORDER[rank + 1:] if k in seen), None)
        seen.add(kind)
        if later is not None and kind not in kw.RULE_ORDER_UNCHECKED:
            shown = kind if kind == "monitor fail" else stmt.words[0]
            article = "an" if later.startswith("http") else "a"
            yield _warning(semantics, stmt, 0, f"a '{shown}' rule placed after {article} '{later}' rule will "
                           f"still be processed before. (HAProxy runs every '{later}' rule after it: "
                           f"move this line above the first '{later}' rule so the file reads in the order it runs)")


def _fetch_name(fetch: str) -> str:
    return fetch.split(",", 1)[0].split("(", 1)[0]


def _condition_fetches(meaning: ProxyMeaning, cond: Condition) -> list[str]:
    """The fetches a condition reads: its anonymous ACLs' and its named ACLs' (the
    section's own ``acl`` lines)."""
    acls: dict[str, list[str]] = {}
    for _, node in meaning.own_nodes(Acl):
        acls.setdefault(node.name, []).append(node.fetch)
    try:
        groups = cond.groups()
    except NodeError:
        return []  # the validator reports the broken condition itself
    return [_fetch_name(f) for group in groups for term in group
            for f in ([term.anonymous[0]] if term.anonymous else acls.get(term.name or "", []))]


def _condition_of(stmt: Statement) -> Condition | None:
    """The rule's ``if``/``unless`` condition; kept-as-words rules (``use-server``) too."""
    cond = getattr(stmt.node, "condition", None)
    if isinstance(cond, Condition):
        return cond
    words = stmt.words
    at = next((i for i, w in enumerate(words) if i > 0 and w in ("if", "unless")), None)
    return Condition(words[at], words[at + 1:]) if at is not None else None


def _l6_fetches_in_http(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    if meaning.mode.value != "http":
        return
    for stmt in meaning.own:
        kind = " ".join(stmt.words[:2]) if stmt.keyword.startswith("tcp-") else stmt.keyword
        cond = _condition_of(stmt) if kind in kw.L6_CHECKED_RULES else None
        if cond is None:
            continue
        l6 = [f for f in _condition_fetches(meaning, cond) if f in kw.L6_FETCHES]
        if l6:
            line = stmt.location()[0]
            yield _warning(semantics, stmt, 0, f"Proxy '{meaning.name}': L6 sample fetches ignored on HTTP "
                           f"proxies (declared at {semantics.config.path}:{line}). ('{l6[0]}' reads the raw "
                           "buffer, which holds parsed HTTP here: use an HTTP fetch, or 'mode tcp')")


def _never_matching(fetches: list[str], groups: frozenset[str]) -> str | None:
    """The first of ``fetches`` that has no value in a rule where ``groups`` have none."""
    return next((f for f in fetches
                 if any(f in kw.FETCH_AVAILABILITY[g] for g in groups)), None)


def _conditions_that_never_match(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    """A condition term reading a fetch the rule has no value of (``path`` in an
    ``http-response`` rule): HAProxy warns at the first such term of each rule."""
    acls: dict[str, list[str]] = {}
    for _, node in meaning.own_nodes(Acl):
        acls.setdefault(node.name, []).append(_fetch_name(node.fetch))
    for stmt in meaning.own:
        rule = " ".join(stmt.words[:2]) if stmt.keyword in ("tcp-request", "tcp-response") else stmt.keyword
        context = kw.NEVER_MATCHES.get(f"{meaning.section.kind} {rule}")
        cond = _condition_of(stmt) if context is not None else None
        if cond is None or context is None:
            continue
        message = _never_match_message(cond, acls, rule, context)
        if message is not None:
            yield _warning(semantics, stmt, 0, message)


def _never_match_message(cond: Condition, acls: dict[str, list[str]], rule: str,
                         context: tuple[str, frozenset[str]]) -> str | None:
    label, groups = context
    where = f" in '{rule}'" if rule in ("tcp-request connection", "tcp-request session") else ""
    why = (f" (it has no value in {label}s: test it in a rule that runs when it is known, "
           "or use another fetch)")
    try:
        terms = [t for group in cond.groups() for t in group]
    except NodeError:
        return None  # the validator reports the broken condition
    for term in terms:
        if term.anonymous:
            fetch = _never_matching([_fetch_name(term.anonymous[0])], groups)
            if fetch is not None:
                return (f"anonymous acl will never match{where} because it uses keyword '{fetch}' "
                        f"which is incompatible with '{label}'" + why)
        elif term.name in acls and all(_never_matching([f], groups) for f in acls[term.name]):
            return (f"acl '{term.name}' will never match{where} because it only involves keywords that "
                    f"are incompatible with '{label}'" + why)
    return None


# --- health checks and listeners -------------------------------------------------------------


def _check_option(meaning: ProxyMeaning) -> str | None:
    """The health-check option in effect: the last enabled one of ``CHECK_OPTIONS``."""
    found: tuple[int, str] | None = None
    for name in kw.CHECK_OPTIONS:
        value = meaning.option(name)
        if value is not None and value.value[0] and value.source.statement is not None:
            at = meaning.statements.index(value.source.statement)
            found = max(found, (at, name)) if found else (at, name)
    return found[1] if found else None


def _check_rules_without_their_option(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    """``http-check``/``tcp-check`` rules run only under ``option httpchk``/``option tcp-check``."""
    if meaning.section.kind == "frontend":
        return
    rules = {family: [s for s in meaning.statements if s.keyword == family and len(s.words) > 1
                      and (family == "tcp-check" or s.words[1] in _HTTP_CHECK_RULES)]
             for family in kw.CHECK_RULES}
    if all(rules.values()):
        return  # both kinds in one proxy: HAProxy builds one rule set of them (not compared here)
    in_effect = _check_option(meaning)
    for family, option in kw.CHECK_RULES.items():
        if rules[family] and in_effect != option:
            yield _warning(semantics, rules[family][0], 0, f"{who(meaning.section)} uses {family} rules "
                           f"without 'option {option}', so the rules are ignored. (add 'option {option}' "
                           f"to {section_title(meaning.section)} for its servers' checks to use them)")


def _rules_after_a_final_one(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    """A rule right after an unconditional final one (``http-request deny``) never runs."""
    previous: dict[str, Statement] = {}
    for stmt in meaning.own:
        family = stmt.keyword
        if family not in kw.FINAL_ACTIONS or len(stmt.words) < 2:
            continue
        before = previous.get(family)
        previous[family] = stmt
        if before is not None and _condition_of(before) is None \
                and before.words[1].split("(", 1)[0] in kw.FINAL_ACTIONS[family]:
            yield _warning(semantics, stmt, 0, f"previous '{family}' action is final and has no condition "
                           f"attached, further entries are NOOP. ('{' '.join(before.words[:2])}' at line "
                           f"{before.location()[0]} ends the list: give it a condition, or move this rule "
                           "above it)")


def _external_check_without_global(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    """``option external-check`` runs a program per check: HAProxy refuses it unless the
    global section says ``external-check``, and warns unless it also says
    ``insecure-fork-wanted`` (cfgparse.c, check_config_validity)."""
    if meaning.section.kind == "frontend" or _check_option(meaning) != "external-check":
        return
    option = meaning.option("external-check")
    stmt = option.source.statement if option is not None else None
    if stmt is None:
        return
    name, where = f"Proxy '{meaning.name}'", "the global section"
    if global_setting(semantics.config, "external-check") is None:
        yield _error(semantics, stmt, 0, f"{name} : 'option external-check' unable to find required "
                     f"'global.external-check'. (add 'external-check' to {where})")
    if global_setting(semantics.config, "insecure-fork-wanted") is None:
        yield _warning(semantics, stmt, 0, f"{name} : 'insecure-fork-wanted' not enabled in the global "
                       f"section, 'option external-check' will likely fail. (add 'insecure-fork-wanted' "
                       f"to {where})")


def _frontend_without_bind(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    if meaning.section.kind == "backend" or any(isinstance(s.node, Bind) for s in meaning.own):
        return
    yield _warning(semantics, meaning.section.header, 0, f"{who(meaning.section)} has no 'bind' directive. "
                   "Please declare it as a backend if this was intended. (nothing connects to it: "
                   "add a 'bind' line, or make it a 'backend' that a frontend uses)")


def _default_backend_over_servers(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    """A listen (or backend) with servers and a ``default_backend``: the rule always wins."""
    if meaning.section.kind == "frontend" or not meaning.servers:
        return
    stmt = meaning.last_statement("default_backend", inherited=meaning.section.kind == "listen")
    if stmt is not None:
        yield _warning(semantics, stmt, 0, f"In proxy '{meaning.name}', the 'default_backend' rule always has "
                       "precedence over the servers, which will never be used. (remove this line to use "
                       f"the servers of {section_title(meaning.section)}, or remove the servers)")


# --- errors HAProxy finds only once every section is read ----------------------------------


def _error(semantics: Semantics, stmt: Statement, word: int, message: str) -> Diagnostic:
    line, col = stmt.location(word)
    return Diagnostic(semantics.config.path, line, col, "error", message)


def _server_tls_without_ca(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    """HAProxy verifies a TLS server's certificate by default and refuses to start when it
    has no CA to verify it with (ssl_sock_prepare_srv_ctx); the engine refuses the same."""
    verify_default = global_setting(semantics.config, "ssl-server-verify")
    for stmt, server in meaning.servers:
        merged = meaning.merged_server(server)
        if not (merged.has("ssl") or merged.has("check-ssl")) or merged.has("ca-file"):
            continue
        verify = merged.option("verify")
        word = (verify or [verify_default.value[0] if verify_default and verify_default.value else "required"])
        if word and word[0] == "required":
            yield _error(semantics, stmt, 1, f"'server {meaning.name}/{server.name}' : "
                         f"{kw.SERVER_VERIFY_WITHOUT_CA} (or give the CA with 'ca-file')")


def _use_server_targets(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    names = {server.name for _, server in meaning.servers}
    for stmt in meaning.own:
        if stmt.keyword == "use-server" and len(stmt.words) > 1 and stmt.words[1] not in names \
                and "%[" not in stmt.words[1]:
            yield _error(semantics, stmt, 1, f"{who(meaning.section)} : unable to find server "
                         f"'{stmt.words[1]}' referenced in a 'use-server' rule.")


def _default_backend_loop(semantics: Semantics, meaning: ProxyMeaning) -> Iterator[Diagnostic]:
    # a backend keeps only its own line (it does not take the defaults' one)
    stmt = meaning.last_statement("default_backend", inherited=meaning.section.kind == "listen")
    if stmt is not None and len(stmt.words) > 1 and stmt.words[1] == meaning.name \
            and meaning.section.kind != "frontend":
        yield _error(semantics, stmt, 1, f"Proxy '{meaning.name}': loop detected for default_backend: "
                     f"'{meaning.name}'. (a proxy cannot hand its traffic to itself: name another backend)")


_Check = Callable[[Semantics, ProxyMeaning], Iterator[Diagnostic]]
_CHECKS: tuple[_Check, ...] = (
    _http_only,
    _log_without_address,
    _misplaced_rules,
    _l6_fetches_in_http,
    _conditions_that_never_match,
    _check_rules_without_their_option,
    _rules_after_a_final_one,
    _frontend_without_bind,
    _external_check_without_global,
    _default_backend_over_servers,
    _server_tls_without_ca,
    _use_server_targets,
    _default_backend_loop,
)
