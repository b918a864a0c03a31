"""Write the model back as haproxy.cfg text.

An unchanged statement is written exactly as it was read (its ``Origin``),
so an untouched file comes back byte for byte.  A new or edited statement is
rendered from its words, keeping the original line's indentation and
line ending, or the section's usual ones for new lines.  The output always
ends with a newline and never carries a BOM.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from proxy import platform
from proxy.config.model import Config, Section, Statement
from proxy.config.tokens import quote_word

__all__ = ["render_statement", "write", "write_file"]

DEFAULT_INDENT = "    "


def write(config: Config) -> str:
    eol = _usual_eol(config)
    parts: list[str] = []
    for stmt in config.preamble:
        parts.append(render_statement(stmt, "", eol))
    for section in config.sections:
        parts.append(render_statement(section.header, "", eol))
        indent = _usual_indent(section)
        for stmt in section.body:
            parts.append(render_statement(stmt, indent, eol))
    text = "".join(parts)
    if text and not text.endswith(("\n", "\r")):
        text += eol
    return text


def render_statement(stmt: Statement, indent: str, eol: str) -> str:
    origin = stmt.origin
    if origin is not None and not stmt.is_modified:
        return origin.raw + (origin.eol or eol)
    if origin is not None:
        indent = origin.indent
        eol = origin.eol or eol
    words = " ".join(quote_word(w) for w in stmt.words)
    comment = stmt.comment
    if comment and words and not comment[0].isspace():
        comment = " " + comment
    line = (indent + words if words else (indent if comment.lstrip().startswith("#") else "")) + (
        comment if words else comment.lstrip()
    )
    return line.rstrip() + eol if not comment else line + eol


def _usual_eol(config: Config) -> str:
    for stmt in config.all_statements():
        if stmt.origin is not None and stmt.origin.eol:
            return stmt.origin.eol
    return "\n"


def _usual_indent(section: Section) -> str:
    for stmt in section.body:
        if stmt.origin is not None and stmt.words and stmt.origin.indent:
            return stmt.origin.indent
    return DEFAULT_INDENT


def write_file(config: Config, path: str | Path) -> None:
    """Write atomically: a temporary file beside the target, fsync, then rename.

    A failure at any point leaves the previous file untouched.  The file's
    permission bits are kept when it exists.
    """
    target = Path(path)
    data = write(config).encode("utf-8", "surrogateescape")
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        platform.chmod(tmp, mode)
        platform.replace_file(tmp, target)  # retried on Windows while another program holds it
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
