"""Columns of a line: the file's characters (what users see) against Qt's UTF-16 offsets.

Theory of operation
-------------------
Everything below the GUI counts a line in *characters* (code points): the parser,
the validator and ``proxydesk check`` report ``file:line:col`` that way, 1-based,
as HAProxy and text editors count columns, and ``proxy.config.assist`` takes and
returns such columns.  That is also the column the editor shows the user
(``TextView``'s "Ln, Col").

Qt counts a ``QTextBlock`` in UTF-16 code units: ``QTextCursor.positionInBlock``,
``setPosition``, ``QSyntaxHighlighter.setFormat`` and ``QTextBlock.position`` all do,
and a character outside the Basic Multilingual Plane (an emoji, say) takes two
units.  PySide's ``block.text()`` is a Python ``str``, in characters.  Mixing the
two puts an underline, a hover or a completion one column off per such
character before it, so every crossing between them goes through this module.

A byte the file decoder kept as a lone surrogate (``surrogateescape``) is one
character and one unit, which ``surrogatepass`` counts right.
"""

from __future__ import annotations

from PySide6.QtGui import QTextBlock, QTextCursor

__all__ = ["column_at", "column_of", "position_of", "utf16_offset"]

_UTF16 = "utf-16-le"


def utf16_offset(text: str, col: int) -> int:
    """The UTF-16 offset (0-based) in ``text`` of character column ``col`` (1-based),
    clamped to the line: a column past its end gives the end."""
    if text.isascii():  # nearly every line of a real file: no encoding needed
        return min(max(col - 1, 0), len(text))
    return len(text[: max(col - 1, 0)].encode(_UTF16, "surrogatepass")) // 2


def column_at(text: str, offset: int) -> int:
    """The character column (1-based) of UTF-16 ``offset`` (0-based) in ``text``.

    An offset between the two halves of a pair (Qt never puts a cursor there) gives
    that character's column."""
    if text.isascii():
        return min(max(offset, 0), len(text)) + 1
    before = text.encode(_UTF16, "surrogatepass")[: max(offset, 0) * 2].decode(_UTF16, "surrogatepass")
    split_pair = before[-1:] and "\ud800" <= before[-1] <= "\udbff"  # a pair's first half, cut off
    return len(before) + (0 if split_pair else 1)


def position_of(block: QTextBlock, col: int) -> int:
    """The document position of character column ``col`` of ``block`` (clamped to the line)."""
    return block.position() + utf16_offset(block.text(), col)


def column_of(cursor: QTextCursor) -> int:
    """The character column (1-based) of ``cursor``'s position in its line."""
    return column_at(cursor.block().text(), cursor.positionInBlock())
