"""The config model: plain dataclasses that are the single source of truth.

A ``Config`` is an ordered list of sections; a section is its header
statement plus its body statements in file order.  Every physical line of
the file is a ``Statement`` somewhere -- blank lines, comments and
``.if``/``.endif`` directives included -- so writing the model back
reproduces the file.  A statement remembers where it came from (``Origin``):
the writer reuses the original line while the statement's words are
unchanged, and diagnostics point at ``file:line:col``.

Equality ignores origins: two models are equal when they say the same thing
with the same comments, wherever they were read from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from proxy.config.nodes import (
    Acl,
    Balance,
    Bind,
    DefaultBackend,
    Generic,
    Mode,
    Node,
    OptionLine,
    Rule,
    Server,
    Timeout,
    UseBackend,
)

__all__ = [
    "PROXY_KINDS",
    "Config",
    "Diagnostic",
    "Origin",
    "Section",
    "Statement",
]

PROXY_KINDS = ("defaults", "frontend", "listen", "backend")
N = TypeVar("N", bound=Node)


@dataclass(frozen=True)
class Diagnostic:
    """A located message, printed as ``file:line:col: severity: message``."""

    path: str
    line: int
    col: int  # 1-based, in characters (code points) as HAProxy and editors count: not bytes, not UTF-16
    severity: str  # "error" | "warning"
    message: str
    code: str = ""  # a stable name for diagnostics that tools act on (e.g. "missing-lf")

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True)
class Origin:
    """Where a statement was read: enough to write it back byte for byte."""

    path: str
    line: int
    raw: str  # the physical line without its end-of-line
    eol: str  # "\n", "\r\n" or "" (last line without newline)
    words: tuple[str, ...]  # the words as parsed, to detect edits
    cols: tuple[int, ...]  # 1-based column of each word
    comment: str
    indent: str

    def col_of(self, word_index: int) -> int:
        if not self.cols:
            return len(self.indent) + 1
        return self.cols[min(max(word_index, 0), len(self.cols) - 1)]


@dataclass(eq=False)
class Statement:
    """One line: a node (its words) and a trailing comment (text from the blank before ``#``)."""

    node: Node = field(default_factory=Generic)
    comment: str = ""
    origin: Origin | None = None

    @property
    def words(self) -> list[str]:
        return self.node.to_words()

    @property
    def keyword(self) -> str:
        words = self.words
        return words[0] if words else ""

    @property
    def is_blank_or_comment(self) -> bool:
        return not self.words

    @property
    def is_modified(self) -> bool:
        o = self.origin
        return o is None or tuple(self.words) != o.words or self.comment != o.comment

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Statement):
            return NotImplemented
        return self.node == other.node and self.comment.strip() == other.comment.strip()

    def __repr__(self) -> str:
        return f"Statement({' '.join(self.words)!r}{', ' + repr(self.comment) if self.comment else ''})"

    def location(self, word_index: int = 0) -> tuple[int, int]:
        if self.origin is None:
            return 0, 0
        return self.origin.line, self.origin.col_of(word_index)


@dataclass(eq=False)
class Section:
    """A section: ``kind`` (global, defaults, frontend, backend, listen, userlist, ...),
    its optional ``name``, its header statement and its body, in order."""

    kind: str
    name: str | None = None
    header: Statement = field(default_factory=Statement)
    body: list[Statement] = field(default_factory=list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Section):
            return NotImplemented
        return (self.kind, self.name, self.header, self.body) == (
            other.kind,
            other.name,
            other.header,
            other.body,
        )

    def __repr__(self) -> str:
        return f"Section({self.kind!r}, {self.name!r}, {len(self.body)} statements)"

    # -- generic access ----------------------------------------------------
    @property
    def is_proxy(self) -> bool:
        return self.kind in PROXY_KINDS

    @property
    def from_defaults(self) -> str | None:
        """The named defaults given by ``from <name>`` on the header, if any."""
        words = self.header.words
        if "from" in words[2:]:
            i = words.index("from", 2)
            return words[i + 1] if i + 1 < len(words) else None
        return None

    def nodes(self, kind: type[N]) -> list[N]:
        return [s.node for s in self.body if isinstance(s.node, kind)]

    def statements(self, keyword: str | None = None) -> Iterator[Statement]:
        for stmt in self.body:
            if stmt.words and (keyword is None or stmt.keyword == keyword):
                yield stmt

    def add(self, node: Node, comment: str = "", *, after: Statement | None = None) -> Statement:
        """Insert a statement after ``after``; by default after the last statement of the
        same keyword (a new server goes below the other servers), else at the end."""
        stmt = Statement(node, comment)
        if after is None:
            same = [s for s in self.body if s.words and s.keyword == stmt.keyword]
            after = same[-1] if same else None
        index = self.body.index(after) + 1 if after is not None else self.insertion_point()
        self.body.insert(index, stmt)
        return stmt

    def insertion_point(self) -> int:
        """The body index where a statement goes to end the section: after the last line
        with words or a comment, so the trailing blank lines (which set this section apart
        from the next) stay after it.  0 for a body of blank lines only."""
        for i in range(len(self.body) - 1, -1, -1):
            if self.body[i].words or self.body[i].comment.strip():
                return i + 1
        return 0

    def remove(self, stmt: Statement) -> None:
        self.body.remove(stmt)

    # -- typed views used by the validator, the engine and the GUI ------------
    @property
    def mode(self) -> str | None:
        modes = self.nodes(Mode)
        return modes[-1].value if modes else None

    @property
    def binds(self) -> list[Bind]:
        return self.nodes(Bind)

    @property
    def servers(self) -> list[Server]:
        return [s for s in self.nodes(Server) if not s.default]

    @property
    def default_server(self) -> Server | None:
        found = [s for s in self.nodes(Server) if s.default]
        return found[-1] if found else None

    @property
    def acls(self) -> list[Acl]:
        return self.nodes(Acl)

    @property
    def rules(self) -> list[Rule]:
        return self.nodes(Rule)

    @property
    def use_backends(self) -> list[UseBackend]:
        return self.nodes(UseBackend)

    @property
    def default_backend(self) -> str | None:
        found = self.nodes(DefaultBackend)
        return found[-1].backend if found else None

    @property
    def balance(self) -> Balance | None:
        found = self.nodes(Balance)
        return found[-1] if found else None

    def timeouts(self) -> dict[str, Timeout]:
        return {t.kind: t for t in self.nodes(Timeout)}

    def options(self) -> dict[str, OptionLine]:
        """The last ``[no] option X`` line for each option name."""
        return {o.name: o for o in self.nodes(OptionLine)}

    def generic(self, keyword: str) -> list[list[str]]:
        """Words of every statement starting with ``keyword``, typed or not."""
        return [s.words for s in self.statements(keyword)]


@dataclass(eq=False)
class Config:
    """A whole haproxy.cfg: lines before the first section, then the sections."""

    preamble: list[Statement] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    path: str = "<memory>"
    had_bom: bool = False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Config):
            return NotImplemented
        return (self.preamble, self.sections) == (other.preamble, other.sections)

    def __repr__(self) -> str:
        return f"Config({self.path!r}, {self.sections!r})"

    def all_statements(self) -> Iterator[Statement]:
        yield from self.preamble
        for section in self.sections:
            yield section.header
            yield from section.body

    def of_kind(self, *kinds: str) -> list[Section]:
        return [s for s in self.sections if s.kind in kinds]

    @property
    def global_section(self) -> Section | None:
        found = self.of_kind("global")
        return found[0] if found else None

    @property
    def frontends(self) -> list[Section]:
        """Sections that accept traffic: frontends and listens."""
        return self.of_kind("frontend", "listen")

    @property
    def backends(self) -> list[Section]:
        """Sections that hold servers: backends and listens."""
        return self.of_kind("backend", "listen")

    def find(self, kind: str, name: str | None) -> Section | None:
        return next((s for s in self.sections if s.kind == kind and s.name == name), None)

    def backend(self, name: str) -> Section | None:
        return next((s for s in self.backends if s.name == name), None)

    def add_section(self, section: Section, *, after: Section | None = None) -> Section:
        index = self.sections.index(after) + 1 if after is not None else len(self.sections)
        self.sections.insert(index, section)
        return section

    def add_named_section(self, kind: str, name: str) -> Section:
        """A new, empty ``KIND NAME`` after the last section of its kind (else at the end),
        set apart by blank lines as people write sections."""
        same_kind = self.of_kind(kind)
        after = same_kind[-1] if same_kind else (self.sections[-1] if self.sections else None)
        if after is not None and (not after.body or after.body[-1].words):
            after.body.append(Statement())
        section = Section(kind, name, Statement(Generic([kind, name])))
        if after is not None and after is not self.sections[-1]:
            section.body.append(Statement())
        return self.add_section(section, after=after)
