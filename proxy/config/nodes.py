"""Typed views of the statements Proxydesk understands.

Every statement of a section is stored as a *node*: a small dataclass built
from the statement's words (``from_words``) that gives them back unchanged
(``to_words``).  That contract is what makes the model lossless: the writer
compares ``to_words()`` with the words that were parsed and reuses the
original line when nothing changed.  Statements Proxydesk does not model are
kept as ``Generic`` nodes, word for word.

Nodes never touch the file system and never look at other statements;
cross-statement rules (missing backends, undefined ACLs, ...) live in
``validate.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from proxy.config import keywords as kw
from proxy.config.timeparse import parse_time_ms

__all__ = [
    "Acl",
    "Balance",
    "Bind",
    "Condition",
    "DefaultBackend",
    "Generic",
    "Mode",
    "Node",
    "NodeError",
    "OptionLine",
    "Rule",
    "Server",
    "Term",
    "Timeout",
    "UseBackend",
    "split_condition",
    "split_host_port",
]


class NodeError(ValueError):
    """A statement whose shape is wrong; ``word`` indexes the offending word."""

    def __init__(self, message: str, word: int = 0) -> None:
        super().__init__(message)
        self.word = word


class Node:
    """Base of all statement nodes."""

    def to_words(self) -> list[str]:
        raise NotImplementedError

    @property
    def keyword(self) -> str:
        return self.to_words()[0] if self.to_words() else ""


@dataclass(eq=True)
class Generic(Node):
    """A statement kept word for word (comments and blank lines have no words)."""

    words: list[str] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Generic:
        return cls(list(words))

    def to_words(self) -> list[str]:
        return list(self.words)


# --- conditions -------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One operand of a condition: a named ACL or an anonymous ``{ fetch ... }``, maybe negated."""

    negated: bool = False
    name: str | None = None
    anonymous: tuple[str, ...] | None = None

    def to_words(self) -> list[str]:
        bang = ["!"] if self.negated else []
        if self.anonymous is not None:
            return [*bang, "{", *self.anonymous, "}"]
        return [*bang, self.name or ""]


_OR_WORDS = {"||", "or"}


@dataclass(eq=True)
class Condition:
    """``if``/``unless`` followed by ACL terms: an OR of AND-groups, spelled as written."""

    kind: str = "if"
    words: list[str] = field(default_factory=list)

    def groups(self) -> list[list[Term]]:
        """The OR-of-ANDs structure; raises NodeError (word index relative to ``words``)."""
        groups: list[list[Term]] = [[]]
        i = 0
        while i < len(self.words):
            word = self.words[i]
            if word in _OR_WORDS:
                if not groups[-1]:
                    raise NodeError(f"'{word}' without a condition before it", i)
                groups.append([])
                i += 1
                continue
            negated = False
            if word == "!":
                negated, i = True, i + 1
                word = self.words[i] if i < len(self.words) else ""
            elif word.startswith("!") and len(word) > 1:
                negated, word = True, word[1:]
            if word == "{":
                end = self._closing_brace(i)
                groups[-1].append(Term(negated, anonymous=tuple(self.words[i + 1 : end])))
                i = end + 1
                continue
            if not word:
                raise NodeError("missing ACL name after '!'", i)
            groups[-1].append(Term(negated, name=word))
            i += 1
        if not groups[-1] and len(groups) > 1:
            raise NodeError("condition ends with an operator", len(self.words) - 1)
        return groups if groups[0] else []

    def _closing_brace(self, start: int) -> int:
        for j in range(start + 1, len(self.words)):
            if self.words[j] == "}":
                if j == start + 1:
                    raise NodeError("empty anonymous ACL '{ }'", start)
                return j
        raise NodeError("missing closing '}' in condition", start)

    def acl_names(self) -> list[tuple[int, str]]:
        """(word index, name) of each named ACL the condition uses."""
        names: list[tuple[int, str]] = []
        depth = 0
        for i, word in enumerate(self.words):
            if word in ("{", "!{"):
                depth += 1
            elif word == "}":
                depth -= 1
            elif depth == 0 and word not in _OR_WORDS and word != "!":
                names.append((i, word.removeprefix("!")))
        return names

    @classmethod
    def build(cls, kind: str, groups: Sequence[Sequence[Term]]) -> Condition:
        words: list[str] = []
        for n, group in enumerate(groups):
            if n:
                words.append("||")
            for term in group:
                words.extend(term.to_words())
        return cls(kind, words)

    def to_words(self) -> list[str]:
        return [self.kind, *self.words]


def split_condition(words: Sequence[str], start: int) -> tuple[list[str], Condition | None]:
    """Split ``words[start:]`` at the first ``if``/``unless``."""
    for i in range(start, len(words)):
        if words[i] in ("if", "unless"):
            return list(words[start:i]), Condition(words[i], list(words[i + 1 :]))
    return list(words[start:]), None


def _cond_words(cond: Condition | None) -> list[str]:
    return cond.to_words() if cond else []


# --- simple proxy keywords --------------------------------------------------


@dataclass(eq=True)
class Mode(Node):
    value: str = "http"

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Mode:
        if len(words) != 2:
            raise NodeError(
                "'mode' expects exactly one argument: 'http' or 'tcp'", min(len(words) - 1, 2)
            )
        return cls(words[1])

    def to_words(self) -> list[str]:
        return ["mode", self.value]


@dataclass(eq=True)
class Timeout(Node):
    """``timeout <kind> <time>``; the text is kept, ``ms`` derives the value."""

    kind: str = "client"
    value: str = "30s"

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Timeout:
        if len(words) != 3:
            raise NodeError(
                f"'timeout {words[1] if len(words) > 1 else ''}' expects exactly one time value",
                min(len(words) - 1, 3),
            )
        return cls(words[1], words[2])

    @property
    def ms(self) -> float:
        return parse_time_ms(self.value)

    def to_words(self) -> list[str]:
        return ["timeout", self.kind, self.value]


@dataclass(eq=True)
class Balance(Node):
    """``balance <algorithm> [args]``; ``hdr(name)``/``rdp-cookie(name)`` keep their parenthesis."""

    algorithm: str = "roundrobin"
    args: list[str] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Balance:
        if len(words) < 2:
            raise NodeError("'balance' expects an algorithm", 0)
        return cls(words[1], list(words[2:]))

    @property
    def name(self) -> str:
        """The algorithm without its parenthesised argument: ``hdr(host)`` -> ``hdr``."""
        return self.algorithm.split("(", 1)[0]

    @property
    def param(self) -> str | None:
        if "(" in self.algorithm and self.algorithm.endswith(")"):
            return self.algorithm[self.algorithm.index("(") + 1 : -1]
        return self.args[0] if self.name == "url_param" and self.args else None

    def to_words(self) -> list[str]:
        return ["balance", self.algorithm, *self.args]


@dataclass(eq=True)
class DefaultBackend(Node):
    backend: str = ""

    @classmethod
    def from_words(cls, words: Sequence[str]) -> DefaultBackend:
        if len(words) != 2:
            raise NodeError("'default_backend' expects a backend name", min(len(words) - 1, 2))
        return cls(words[1])

    def to_words(self) -> list[str]:
        return ["default_backend", self.backend]


@dataclass(eq=True)
class UseBackend(Node):
    backend: str = ""
    condition: Condition | None = None

    @classmethod
    def from_words(cls, words: Sequence[str]) -> UseBackend:
        if len(words) < 2 or words[1] in ("if", "unless"):
            raise NodeError("'use_backend' expects a backend name", min(len(words) - 1, 1))
        rest, cond = split_condition(words, 2)
        if rest:
            raise NodeError(
                f"unexpected '{rest[0]}' after the backend name (expects 'if' or 'unless')", 2
            )
        return cls(words[1], cond)

    def to_words(self) -> list[str]:
        return ["use_backend", self.backend, *_cond_words(self.condition)]


@dataclass(eq=True)
class OptionLine(Node):
    """``[no|default] option <name> [args]``."""

    name: str = ""
    args: list[str] = field(default_factory=list)
    prefix: str = ""

    @classmethod
    def from_words(cls, words: Sequence[str]) -> OptionLine:
        prefix = words[0] if words[0] in ("no", "default") else ""
        start = 2 if prefix else 1
        if len(words) <= start:
            raise NodeError("'option' expects an option name", len(words) - 1)
        return cls(words[start], list(words[start + 1 :]), prefix)

    @property
    def enabled(self) -> bool:
        return self.prefix != "no"

    def to_words(self) -> list[str]:
        return [*([self.prefix] if self.prefix else []), "option", self.name, *self.args]


@dataclass(eq=True)
class Rule(Node):
    """``http-request|http-response|http-after-response|tcp-request|tcp-response ...``.

    ``stage`` is the tcp rule set (``connection``, ``content``, ``session``,
    ``inspect-delay``), empty for http rules; ``action`` is the action word
    and ``args`` what follows it up to the condition.
    """

    family: str = "http-request"
    stage: str = ""
    action: str = ""
    args: list[str] = field(default_factory=list)
    condition: Condition | None = None

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Rule:
        family = words[0]
        stage = ""
        start = 1
        if family.startswith("tcp-"):
            if len(words) < 2:
                raise NodeError(
                    f"'{family}' expects a rule set (connection, content, session, inspect-delay)",
                    0,
                )
            stage, start = words[1], 2
            if stage == "inspect-delay":
                return cls(family, stage, "", list(words[2:]), None)
        if len(words) <= start:
            raise NodeError(f"'{' '.join(words[:start])}' expects an action", start - 1)
        rest, cond = split_condition(words, start + 1)
        return cls(family, stage, words[start], rest, cond)

    def to_words(self) -> list[str]:
        head = [self.family, *([self.stage] if self.stage else [])]
        action = [self.action] if self.action else []
        return [*head, *action, *self.args, *_cond_words(self.condition)]


# --- keyword lines with option lists ---------------------------------------


def _split_options(
    words: Sequence[str], start: int, table: dict[str, kw.OptionSpec]
) -> list[list[str]]:
    """Group ``words[start:]`` as [option, arg...] using the registry's argument counts.

    An unknown option is kept alone; the validator reports it.
    """
    options: list[list[str]] = []
    i = start
    while i < len(words):
        spec = table.get(words[i])
        take = spec.nargs if spec else 0
        options.append(list(words[i : i + 1 + take]))
        i += 1 + take
    return options


class _OptionsMixin:
    options: list[list[str]]

    def option(self, name: str) -> list[str] | None:
        """The arguments of the last occurrence of ``name`` (HAProxy: last wins), or None."""
        for opt in reversed(self.options):
            if opt[0] == name:
                return opt[1:]
        return None

    def has(self, name: str) -> bool:
        return self.option(name) is not None

    def set_option(self, name: str, *args: str) -> None:
        """Set ``name`` (replacing it in place if present, else appending)."""
        for i, opt in enumerate(self.options):
            if opt[0] == name:
                self.options[i] = [name, *args]
                return
        self.options.append([name, *args])

    def remove_option(self, name: str) -> None:
        self.options[:] = [opt for opt in self.options if opt[0] != name]

    def set_flag(self, name: str, on: bool) -> None:
        if on:
            self.set_option(name)
        else:
            self.remove_option(name)


@dataclass(eq=True)
class Bind(_OptionsMixin, Node):
    """``bind <addr>[,<addr>...] [options]``."""

    addresses: list[str] = field(default_factory=list)
    options: list[list[str]] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Bind:
        if len(words) < 2:
            raise NodeError("'bind' expects an address (e.g. ':80' or '127.0.0.1:8080')", 0)
        return cls(words[1].split(","), _split_options(words, 2, kw.BIND_OPTIONS))

    @property
    def ssl(self) -> bool:
        return self.has("ssl")

    @property
    def certificates(self) -> list[str]:
        return [opt[1] for opt in self.options if opt[0] == "crt" and len(opt) > 1]

    def to_words(self) -> list[str]:
        return ["bind", ",".join(self.addresses), *[w for opt in self.options for w in opt]]


@dataclass(eq=True)
class Server(_OptionsMixin, Node):
    """``server <name> <address>[:port] [options]`` and ``default-server [options]``."""

    name: str = ""
    address: str = ""
    options: list[list[str]] = field(default_factory=list)
    default: bool = False

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Server:
        if words[0] == "default-server":
            return cls("", "", _split_options(words, 1, kw.SERVER_OPTIONS), default=True)
        if len(words) < 3:
            raise NodeError("'server' expects <name> and <address>", len(words) - 1)
        return cls(words[1], words[2], _split_options(words, 3, kw.SERVER_OPTIONS))

    @property
    def host(self) -> str:
        host, _, _ = _split_host_port(self.address)
        return host

    @property
    def port(self) -> str:
        _, _, port = _split_host_port(self.address)
        return port

    def int_option(self, name: str, default: int) -> int:
        args = self.option(name)
        return int(args[0]) if args and args[0].isdigit() else default

    @property
    def weight(self) -> int:
        return self.int_option("weight", 1)

    def to_words(self) -> list[str]:
        head = ["default-server"] if self.default else ["server", self.name, self.address]
        return [*head, *[w for opt in self.options for w in opt]]


def _split_host_port(address: str) -> tuple[str, str, str]:
    """``1.2.3.4:80`` -> (host, ':', port); ``[::1]:80`` and ``ipv6@::1`` forms too."""
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, ":", rest.removeprefix(":")
    if address.count(":") > 1:  # bare IPv6: the last colon separates the port
        host, sep, port = address.rpartition(":")
        return host, sep, port
    host, sep, port = address.partition(":")
    return host, sep, port


split_host_port = _split_host_port


@dataclass(eq=True)
class Acl(Node):
    """``acl <name> <fetch> [flags] [operator] [patterns...]``."""

    name: str = ""
    fetch: str = ""
    flags: list[list[str]] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Acl:
        if len(words) < 3:
            raise NodeError(
                "'acl' expects <name> <criterion> [flags] [operator] [value]*", len(words) - 1
            )
        flags, end = parse_acl_flags(words, 3)
        return cls(words[1], words[2], flags, list(words[end:]))

    @property
    def ignore_case(self) -> bool:
        return any(f[0] == "-i" for f in self.flags)

    @property
    def matcher(self) -> str | None:
        return next((f[1] for f in self.flags if f[0] == "-m" and len(f) > 1), None)

    @property
    def files(self) -> list[str]:
        return [f[1] for f in self.flags if f[0] == "-f" and len(f) > 1]

    def to_words(self) -> list[str]:
        return ["acl", self.name, self.fetch, *[w for f in self.flags for w in f], *self.patterns]


def parse_acl_flags(words: Sequence[str], start: int) -> tuple[list[list[str]], int]:
    """Group the ``-i -m beg -f file --`` flags that follow a fetch; returns (flags, index after)."""
    flags: list[list[str]] = []
    i = start
    while i < len(words) and words[i].startswith("-") and words[i] in kw.ACL_FLAGS:
        take = kw.ACL_FLAGS[words[i]]
        flags.append(list(words[i : i + 1 + take]))
        i += 1 + take
        if flags[-1][0] == "--":
            break
    return flags, i
