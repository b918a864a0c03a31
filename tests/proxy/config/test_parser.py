"""Columns the parser reports count characters, as HAProxy and editors do."""

from __future__ import annotations

from proxy.config.parser import decode, parse


def test_an_undecodable_byte_is_located_by_its_character_column() -> None:
    data = "global\n    # café 🚀 ".encode() + b"\xff\n"
    text, warnings = decode(data, "x.cfg")
    assert [(w.line, w.col) for w in warnings] == [(2, len("    # café 🚀 ") + 1)]  # 14 (byte 18)
    assert text.splitlines()[1][warnings[0].col - 1] == "\udcff"  # the column holds that byte


def test_a_word_after_an_emoji_is_located_by_its_character_column() -> None:
    line = "    server s🚀1 127.0.0.1:8001 weight 300"
    result = parse(f"backend app\n{line}\n")
    server = result.config.sections[0].body[0]
    assert server.origin is not None
    assert server.origin.cols == tuple(line.index(word) + 1 for word in line.split())
