"""Character columns against Qt's UTF-16 offsets, checked against a real QTextDocument."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QTextCursor, QTextDocument

from gui.text_columns import column_at, column_of, position_of, utf16_offset

LINES = ["    server web 127.0.0.1:80",  # ASCII: columns and offsets agree
         "    acl is_🚀 path_beg /x",
         "🚀🚀é\t𝄞 x",  # two astral, one BMP accent, a tab, a musical clef (astral)
         ""]


@pytest.mark.parametrize("text", LINES)
def test_every_column_maps_to_the_offset_qt_gives_it_and_back(text: str) -> None:
    document = QTextDocument(text)
    block = document.firstBlock()
    cursor = QTextCursor(block)
    for col in range(1, len(text) + 2):
        cursor.setPosition(position_of(block, col))
        # Qt's own count: moving right col-1 characters from the line start.
        walker = QTextCursor(block)
        walker.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, col - 1)
        assert cursor.position() == walker.position()
        assert column_of(cursor) == col
        assert column_at(text, utf16_offset(text, col)) == col


def test_columns_past_the_line_are_clamped_to_its_end() -> None:
    text = "a🚀b"
    assert utf16_offset(text, 99) == 4 and utf16_offset(text, 0) == 0
    assert column_at(text, 99) == 4 and column_at(text, 2) == 2  # mid-pair: the emoji's own column


def test_a_byte_kept_by_surrogateescape_is_one_character_and_one_unit() -> None:
    text = b"# \xff x".decode("utf-8", "surrogateescape")
    assert utf16_offset(text, 4) == 3 and column_at(text, 3) == 4
