"""Typed nodes for the proxy directives around routing: numeric settings,
health-check rules, cookie persistence, stick tables, the stats page, logging,
captures, error files and hashing.

Same contract as ``nodes.py``: ``from_words`` keeps every word, ``to_words``
gives them back unchanged, and accessors derive typed values from them so
that the GUI can read and edit them.  Checking the values (ranges, files,
known options) is ``validate.py``'s job; these classes only give structure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from proxy.config.nodes import Condition, Node, NodeError, split_condition
from proxy.config.timeparse import TimeError, parse_time_ms

__all__ = [
    "Capture",
    "CookieLine",
    "ErrorFile",
    "HashType",
    "HttpCheck",
    "LogFormat",
    "LogLine",
    "Setting",
    "StatsLine",
    "Stick",
    "StickTable",
]


def _need(words: Sequence[str], count: int, synopsis: str) -> None:
    if len(words) < count:
        raise NodeError(f"'{words[0]}' expects {synopsis}", len(words) - 1)


@dataclass(eq=True)
class Setting(Node):
    """``retries 3``, ``maxconn 2000``, ``fullconn 100``, ``backlog 1024``: one integer."""

    name: str = "retries"
    value: str = "3"

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Setting:
        if len(words) != 2:
            raise NodeError(f"'{words[0]}' expects exactly one integer", min(len(words) - 1, 2))
        return cls(words[0], words[1])

    @property
    def number(self) -> int | None:
        return int(self.value) if self.value.isdigit() else None

    def to_words(self) -> list[str]:
        return [self.name, self.value]


@dataclass(eq=True)
class HttpCheck(Node):
    """``http-check <directive> [args]``: send, expect, connect, comment, set-var, ..."""

    directive: str = "expect"
    args: list[str] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: Sequence[str]) -> HttpCheck:
        _need(words, 2, "a directive (send, expect, connect, ...)")
        return cls(words[1], list(words[2:]))

    @property
    def negated(self) -> bool:
        return self.directive == "expect" and self.args[:1] == ["!"]

    @property
    def expectation(self) -> tuple[str, str] | None:
        """(matcher, pattern) of an ``expect`` rule: ("status", "200"), ("string", "OK")."""
        args = self.args[1:] if self.negated else self.args
        if self.directive != "expect" or len(args) < 2:
            return None
        return args[0], args[-1]

    def send_value(self, key: str) -> str | None:
        """``meth``, ``uri``, ``ver`` or ``body`` of a ``send`` rule."""
        if self.directive != "send" or key not in self.args:
            return None
        i = self.args.index(key)
        return self.args[i + 1] if i + 1 < len(self.args) else None

    def to_words(self) -> list[str]:
        return ["http-check", self.directive, *self.args]


_COOKIE_VALUED = {"domain", "maxidle", "maxlife", "attr"}


@dataclass(eq=True)
class CookieLine(Node):
    """``cookie <name> [rewrite|insert|prefix] [indirect] [nocache] ... [domain d]*``."""

    name: str = "SERVERID"
    options: list[str] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: Sequence[str]) -> CookieLine:
        _need(words, 2, "<name> [ rewrite | insert | prefix ] [ indirect ] [ nocache ] ...")
        return cls(words[1], list(words[2:]))

    @property
    def method(self) -> str:
        """How the cookie is set: insert, prefix or rewrite (HAProxy's default is rewrite)."""
        return next((w for w in self.flags if w in ("insert", "prefix", "rewrite")), "rewrite")

    @property
    def flags(self) -> list[str]:
        """The option words, without the values of ``domain``/``maxidle``/... ."""
        flags, skip = [], False
        for word in self.options:
            if skip:
                skip = False
                continue
            flags.append(word)
            skip = word in _COOKIE_VALUED
        return flags

    def to_words(self) -> list[str]:
        return ["cookie", self.name, *self.options]


@dataclass(eq=True)
class StickTable(Node):
    """``stick-table type <type> [len n] size <n> [expire t] [nopurge] [peers p] [store ...]``."""

    options: list[str] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: Sequence[str]) -> StickTable:
        _need(words, 3, "type <type> size <size> [expire <time>] [store <data>]")
        return cls(list(words[1:]))

    def value(self, key: str) -> str | None:
        if key not in self.options:
            return None
        i = self.options.index(key)
        return self.options[i + 1] if i + 1 < len(self.options) else None

    @property
    def table_type(self) -> str | None:
        return self.value("type")

    def to_words(self) -> list[str]:
        return ["stick-table", *self.options]


@dataclass(eq=True)
class Stick(Node):
    """``stick on|match|store-request|store-response <pattern> [table t] [if|unless cond]``."""

    kind: str = "on"
    args: list[str] = field(default_factory=list)
    condition: Condition | None = None

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Stick:
        _need(
            words,
            3,
            "on|match|store-request|store-response <pattern> [table <name>] [{if|unless} <cond>]",
        )
        rest, cond = split_condition(words, 2)
        return cls(words[1], rest, cond)

    @property
    def pattern(self) -> str | None:
        return self.args[0] if self.args else None

    def to_words(self) -> list[str]:
        return [
            "stick",
            self.kind,
            *self.args,
            *(self.condition.to_words() if self.condition else []),
        ]


@dataclass(eq=True)
class StatsLine(Node):
    """``stats enable|uri|realm|auth|refresh|admin|hide-version|... [args] [if|unless cond]``."""

    directive: str = "enable"
    args: list[str] = field(default_factory=list)
    condition: Condition | None = None

    @classmethod
    def from_words(cls, words: Sequence[str]) -> StatsLine:
        _need(words, 2, "a directive (enable, uri, auth, refresh, ...)")
        rest, cond = split_condition(words, 2)
        return cls(words[1], rest, cond)

    @property
    def credentials(self) -> tuple[str, str] | None:
        """``user:password`` of ``stats auth``."""
        if self.directive != "auth" or not self.args or ":" not in self.args[0]:
            return None
        user, _, password = self.args[0].partition(":")
        return user, password

    @property
    def refresh_ms(self) -> float | None:
        if self.directive != "refresh" or not self.args:
            return None
        try:
            return parse_time_ms(self.args[0])
        except TimeError:
            return None

    def to_words(self) -> list[str]:
        return [
            "stats",
            self.directive,
            *self.args,
            *(self.condition.to_words() if self.condition else []),
        ]


@dataclass(eq=True)
class LogLine(Node):
    """``log global`` or ``log <target> [len n] [format f] [sample r:n] <facility> [level [minlevel]]``;
    ``no log`` too."""

    args: list[str] = field(default_factory=list)
    negated: bool = False

    @classmethod
    def from_words(cls, words: Sequence[str]) -> LogLine:
        if words[0] == "no":
            return cls(list(words[2:]), negated=True)
        _need(words, 2, "'global' or <target> [len <n>] [format <f>] <facility> [<level>]")
        return cls(list(words[1:]))

    @property
    def is_global(self) -> bool:
        return self.args == ["global"]

    @property
    def target(self) -> str | None:
        return self.args[0] if self.args and not self.is_global else None

    def to_words(self) -> list[str]:
        return [*(["no"] if self.negated else []), "log", *self.args]


@dataclass(eq=True)
class LogFormat(Node):
    """``log-format <string>`` (and ``log-format-sd``, ``error-log-format``)."""

    name: str = "log-format"
    format: str = ""

    @classmethod
    def from_words(cls, words: Sequence[str]) -> LogFormat:
        if len(words) != 2:
            raise NodeError(
                f"'{words[0]}' expects one format string (quote it if it has spaces)",
                min(len(words) - 1, 2),
            )
        return cls(words[0], words[1])

    def to_words(self) -> list[str]:
        return [self.name, self.format]


@dataclass(eq=True)
class Capture(Node):
    """``capture request|response header <name> len <n>`` or ``capture cookie <name> len <n>``."""

    args: list[str] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Capture:
        _need(
            words,
            4,
            "'request header <name> len <n>', 'response header <name> len <n>' or 'cookie <name> len <n>'",
        )
        return cls(list(words[1:]))

    @property
    def what(self) -> str:
        """ "request header", "response header" or "cookie"."""
        return "cookie" if self.args[0] == "cookie" else " ".join(self.args[:2])

    @property
    def length(self) -> int | None:
        if "len" in self.args:
            i = self.args.index("len")
            if i + 1 < len(self.args) and self.args[i + 1].isdigit():
                return int(self.args[i + 1])
        return None

    def to_words(self) -> list[str]:
        return ["capture", *self.args]


@dataclass(eq=True)
class ErrorFile(Node):
    """``errorfile <code> <file>``: the raw HTTP response HAProxy sends for that status."""

    code: str = "503"
    path: str = ""

    @classmethod
    def from_words(cls, words: Sequence[str]) -> ErrorFile:
        if len(words) != 3:
            raise NodeError("'errorfile' expects <code> and <file>", min(len(words) - 1, 3))
        return cls(words[1], words[2])

    def to_words(self) -> list[str]:
        return ["errorfile", self.code, self.path]


@dataclass(eq=True)
class HashType(Node):
    """``hash-type <method> [<function> [<modifier>]]``."""

    method: str = "map-based"
    function: str | None = None
    modifier: str | None = None

    @classmethod
    def from_words(cls, words: Sequence[str]) -> HashType:
        if not 2 <= len(words) <= 4:
            raise NodeError(
                "'hash-type' expects <method> [<function> [<modifier>]]", min(len(words) - 1, 4)
            )
        function = words[2] if len(words) > 2 else None
        modifier = words[3] if len(words) > 3 else None
        return cls(words[1], function, modifier)

    def to_words(self) -> list[str]:
        return [
            "hash-type",
            self.method,
            *[w for w in (self.function, self.modifier) if w is not None],
        ]


DIRECTIVE_TYPES = {
    "retries": Setting.from_words,
    "maxconn": Setting.from_words,
    "fullconn": Setting.from_words,
    "backlog": Setting.from_words,
    "http-check": HttpCheck.from_words,
    "cookie": CookieLine.from_words,
    "stick-table": StickTable.from_words,
    "stick": Stick.from_words,
    "stats": StatsLine.from_words,
    "log": LogLine.from_words,
    "log-format": LogFormat.from_words,
    "log-format-sd": LogFormat.from_words,
    "error-log-format": LogFormat.from_words,
    "capture": Capture.from_words,
    "errorfile": ErrorFile.from_words,
    "hash-type": HashType.from_words,
}
