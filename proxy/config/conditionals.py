"""``.if/.elif/.else/.endif`` blocks (configuration.txt §2.4).

The writer keeps these directives as plain lines; this module decides which
statements are *active* so that the validator (and the engine) see the file
as HAProxy would.  Conditions are parsed with pyparsing's infix notation:
``&&`` binds tighter than ``||``, ``!`` negates, parentheses group, and the
predicates are HAProxy's: defined, feature, streq, strneq, version_atleast,
version_before, or an integer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyparsing as pp

from proxy.config.model import Diagnostic, Statement

__all__ = ["COMPAT_VERSION", "FEATURES", "ConditionalError", "active_statements", "evaluate"]

# What `feature()` and `version_*()` answer: Proxydesk speaks HAProxy 2.6's
# language and has TLS (the OpenSSL feature) through Python's ssl module.
COMPAT_VERSION = (2, 6, 0)
FEATURES = frozenset(
    {
        "OPENSSL",
        "TPROXY",
        "LINUX_TPROXY",
        "PCRE",
        "PCRE2",
        "ZLIB",
        "LIBCRYPT",
        "CRYPT_H",
        "THREAD",
        "POLL",
        "EPOLL",
    }
)


class ConditionalError(ValueError):
    pass


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _expand(text: str, env: Mapping[str, str]) -> str:
    return _ENV.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


def _version(text: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", text.split("-", 1)[0])
    return tuple(int(p) for p in parts[:3]) + (0,) * (3 - min(len(parts), 3))


def _predicate(name: str, args: list[str], env: Mapping[str, str]) -> bool:
    checks = {
        "defined": lambda: len(args) == 1 and args[0] in env,
        "feature": lambda: len(args) == 1 and args[0] in FEATURES,
        "streq": lambda: len(args) == 2 and args[0] == args[1],
        "strneq": lambda: len(args) == 2 and args[0] != args[1],
        "version_atleast": lambda: len(args) == 1 and _version(args[0]) <= COMPAT_VERSION,
        "version_before": lambda: len(args) == 1 and _version(args[0]) > COMPAT_VERSION,
    }
    if name not in checks:
        raise ConditionalError(f"unknown predicate '{name}' in conditional expression")
    return bool(checks[name]())


def _grammar(env: Mapping[str, str]) -> pp.ParserElement:
    arg = pp.Regex(r'"[^"]*"|[^,()]*').set_parse_action(lambda t: t[0].strip().strip('"'))
    call = (
        pp.Regex(r"[a-z_]+")("name")
        + pp.Suppress("(")
        + pp.Group(pp.Optional(pp.DelimitedList(arg)))("args")
        + pp.Suppress(")")
    )
    call.set_parse_action(lambda t: _predicate(t["name"], list(t["args"]), env))
    integer = pp.Regex(r"-?\d+").set_parse_action(lambda t: int(t[0]) != 0)
    text = pp.Regex(r'"[^"]*"|[^\s()!&|]+').set_parse_action(lambda t: _truthy(t[0].strip('"')))
    operand = call | integer | text
    grammar: pp.ParserElement = pp.infix_notation(  # type: ignore[no-untyped-call]
        operand,
        [
            (pp.Literal("!"), 1, pp.OpAssoc.RIGHT, lambda t: not t[0][1]),
            (pp.Literal("&&"), 2, pp.OpAssoc.LEFT, lambda t: all(t[0][0::2])),
            (pp.Literal("||"), 2, pp.OpAssoc.LEFT, lambda t: any(t[0][0::2])),
        ],
    )
    return grammar


def _truthy(text: str) -> bool:
    """A bare word: an integer is true when non-zero; HAProxy rejects other words."""
    if re.fullmatch(r"-?\d+", text.strip()):
        return int(text) != 0
    if not text.strip():
        return False
    raise ConditionalError(f"unparsable conditional expression '{text}'")


def evaluate(words: list[str], env: Mapping[str, str] | None = None) -> bool:
    """Evaluate the words after ``.if``/``.elif``; an empty condition is false."""
    env = os.environ if env is None else env
    text = _expand(" ".join(words), env).strip()
    if not text:
        return False
    try:
        return bool(_grammar(env).parse_string(text, parse_all=True)[0])
    except pp.ParseException as exc:
        raise ConditionalError(f"unparsable conditional expression '{text}'") from exc


@dataclass
class _Level:
    parent_active: bool
    taken: bool  # a branch of this level was already active
    active: bool
    seen_else: bool = False
    line: int = 0


def active_statements(
    statements: Iterable[Statement], path: str, env: Mapping[str, str] | None = None
) -> tuple[set[int], list[Diagnostic]]:
    """ids of the statements HAProxy would read, and diagnostics about the directives."""
    active: set[int] = set()
    diagnostics: list[Diagnostic] = []
    stack: list[_Level] = []
    last_line = 0
    for stmt in statements:
        last_line = stmt.location()[0] or last_line
        enabled = stack[-1].active if stack else True
        keyword = stmt.keyword
        line, col = stmt.location()
        if keyword in (".if", ".elif", ".else", ".endif"):
            message = _directive(stmt, stack, enabled, env)
            if message:
                diagnostics.append(Diagnostic(path, line, col, "error", message))
            continue
        if enabled:
            active.add(id(stmt))
    for level in stack:  # HAProxy reports these at the end of the file
        diagnostics.append(
            Diagnostic(
                path,
                last_line,
                1,
                "error",
                f"non-terminated '.if' block (opened at line {level.line})",
            )
        )
    return active, diagnostics


def _directive(
    stmt: Statement, stack: list[_Level], enabled: bool, env: Mapping[str, str] | None
) -> str | None:
    keyword, args = stmt.keyword, stmt.words[1:]
    line = stmt.location()[0]
    try:
        if keyword == ".if":
            value = enabled and evaluate(args, env)
            stack.append(_Level(enabled, value, value, line=line))
            return None
        if not stack:
            return f"'{keyword}' without a matching '.if'"
        level = stack[-1]
        if keyword == ".endif":
            stack.pop()
        elif level.seen_else:
            return f"'{keyword}' after '.else'"
        elif keyword == ".elif":
            value = level.parent_active and not level.taken and evaluate(args, env)
            level.active, level.taken = value, level.taken or value
        else:  # .else
            level.active = level.parent_active and not level.taken
            level.taken, level.seen_else = True, True
    except ConditionalError as exc:
        if keyword == ".if":
            stack.append(_Level(enabled, True, False, line=line))
        return str(exc)
    return None
