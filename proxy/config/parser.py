"""Read haproxy.cfg text into the model, collecting every diagnostic on the way.

The parser never stops at the first problem: a line it cannot understand is
kept verbatim (as a ``Generic`` node) with an error attached, so the file
still round-trips and the user sees every mistake at once.
Semantic checks across statements are in ``validate.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from proxy.config import keywords as kw
from proxy.config.build import node_from_words
from proxy.config.model import Config, Diagnostic, Origin, Section, Statement
from proxy.config.nodes import Generic, NodeError
from proxy.config.tokens import tokenize_line

__all__ = ["ParseResult", "decode", "parse", "parse_file"]

_BOM = "\ufeff"
_LINES = re.compile(r"([^\r\n]*(?:\r\n|\n|\r(?!\n))|[^\r\n]+$)")


@dataclass
class ParseResult:
    config: Config
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(data: bytes, path: str) -> tuple[str, list[Diagnostic]]:
    """UTF-8 text; other bytes survive (surrogateescape) and earn a warning."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start:exc.start].decode("utf-8")) + 1  # characters, not bytes: valid so far
        warning = Diagnostic(
            path, line, col, "warning", "file is not valid UTF-8; bytes are kept as they are"
        )
        return data.decode("utf-8", "surrogateescape"), [warning]


def parse_file(path: str | Path) -> ParseResult:
    data = Path(path).read_bytes()
    text, diagnostics = decode(data, str(path))
    result = parse(text, str(path))
    result.diagnostics[:0] = diagnostics
    return result


def split_lines(text: str) -> list[tuple[str, str]]:
    """(line, end-of-line) pairs; a final line without newline has eol ``""``."""
    pairs = []
    for match in _LINES.finditer(text):
        chunk = match.group(1)
        if chunk.endswith("\r\n"):
            pairs.append((chunk[:-2], "\r\n"))
        elif chunk.endswith(("\n", "\r")):
            pairs.append((chunk[:-1], chunk[-1]))
        else:
            pairs.append((chunk, ""))
    return pairs


def parse(text: str, path: str = "<memory>") -> ParseResult:
    config = Config(path=path)
    result = ParseResult(config)
    if text.startswith(_BOM):
        config.had_bom = True
        text = text[1:]
    current: Section | None = None
    for number, (line, eol) in enumerate(split_lines(text), start=1):
        stmt = _statement(line, eol, number, path, current, result.diagnostics)
        words = stmt.words
        if words and words[0] in kw.SECTION_KINDS:
            current = Section(words[0], words[1] if len(words) > 1 else None, stmt)
            config.sections.append(current)
        elif current is None:
            config.preamble.append(stmt)
        else:
            current.body.append(stmt)
    if text and not text.endswith(("\n", "\r")):
        last = len(split_lines(text))
        result.diagnostics.append(
            # HAProxy 2.6 refuses such a file (an ALERT), so it is an error here too.
            Diagnostic(
                path,
                last,
                1,
                "error",
                "missing LF on last line, file might have been truncated",
                "missing-lf",
            )
        )
    return result


def _statement(
    line: str,
    eol: str,
    number: int,
    path: str,
    section: Section | None,
    diagnostics: list[Diagnostic],
) -> Statement:
    tokens = tokenize_line(line)
    for err in tokens.errors:
        diagnostics.append(Diagnostic(path, number, err.col, "error", err.message))
    words = [w.value for w in tokens.words]
    origin = Origin(
        path=path,
        line=number,
        raw=line,
        eol=eol,
        words=tuple(words),
        cols=tuple(w.col for w in tokens.words),
        comment=tokens.comment,
        indent=tokens.indent,
    )
    if tokens.errors:  # keep the whole line as written; nothing more to say about it
        return Statement(Generic(words), tokens.comment, origin)
    in_proxy = (
        section is not None
        and section.is_proxy
        and words[:1] != []
        and words[0] not in kw.SECTION_KINDS
    )
    try:
        node = node_from_words(words, proxy_section=in_proxy)
    except NodeError as exc:
        col = origin.col_of(exc.word)
        diagnostics.append(Diagnostic(path, number, col, "error", str(exc)))
        node = Generic(words)
    return Statement(node, tokens.comment, origin)
