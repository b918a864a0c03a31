"""One table of lines and the words HAProxy reads from them, checked both ways:
text -> words (tokenize_line) and words -> text (quote_word) -> the same words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.config.tokens import quote_word, tokenize_line

CASES: list[tuple[str, list[str], str]] = [
    # line, words, trailing comment
    ("bind :80", ["bind", ":80"], ""),
    ("    server s1 10.0.0.1:80 check", ["server", "s1", "10.0.0.1:80", "check"], ""),
    ("\tmode\thttp\t", ["mode", "http"], ""),
    ("timeout client 30s # clients are slow", ["timeout", "client", "30s"], " # clients are slow"),
    ("# a whole-line comment", [], "# a whole-line comment"),
    ("", [], ""),
    ("   ", [], ""),
    ("server s1 10.0.0.1:80#no space", ["server", "s1", "10.0.0.1:80"], "#no space"),
    (
        'http-request return string "hello world"',
        ["http-request", "return", "string", "hello world"],
        "",
    ),
    ("acl a hdr(x) 'single # not comment'", ["acl", "a", "hdr(x)", "single # not comment"], ""),
    ('log-format "%ci:%cp [%t] \\"%r\\""', ["log-format", '%ci:%cp [%t] "%r"'], ""),
    ("a \"b\"'c'd", ["a", "bcd"], ""),
    ("a b\\ c", ["a", "b c"], ""),
    ("a \\#notcomment", ["a", "#notcomment"], ""),
    ("acl r path_reg ^/api/v[0-9]+\\.json$", ["acl", "r", "path_reg", "^/api/v[0-9]+\\.json$"], ""),
    ('a "tab\\there"', ["a", "tab\there"], ""),
    ("a \\x41\\x42", ["a", "AB"], ""),
    ("a ''", ["a", ""], ""),
    ('a ""', ["a", ""], ""),
    ("x \"${HOME}/certs\" '${HOME}'", ["x", "${HOME}/certs", "${HOME}"], ""),
    ("a b  # c 'quoted' in comment", ["a", "b"], "  # c 'quoted' in comment"),
]


@pytest.mark.parametrize(
    ("line", "words", "comment"), CASES, ids=[c[0] or "<empty>" for c in CASES]
)
def test_line_to_words(line: str, words: list[str], comment: str) -> None:
    tokens = tokenize_line(line)
    assert [w.value for w in tokens.words] == words
    assert tokens.comment == comment
    assert not tokens.errors


@pytest.mark.parametrize(
    ("line", "words", "comment"), CASES, ids=[c[0] or "<empty>" for c in CASES]
)
def test_words_to_line(line: str, words: list[str], comment: str) -> None:
    rendered = " ".join(quote_word(w) for w in words)
    assert [w.value for w in tokenize_line(rendered).words] == words


def test_columns_point_at_each_word() -> None:
    tokens = tokenize_line('\tacl  is_api "path_beg" /api')
    assert [(w.value, w.col) for w in tokens.words] == [
        ("acl", 2),
        ("is_api", 7),
        ("path_beg", 14),
        ("/api", 25),
    ]


@pytest.mark.parametrize(
    ("line", "col"),
    [('bind "unterminated', 6), ("acl a hdr(x) 'open", 14), ('a b"c', 4)],
)
def test_unterminated_quote_is_located(line: str, col: int) -> None:
    tokens = tokenize_line(line)
    assert tokens.errors and tokens.errors[0].col == col
    assert "unmatched quote" in tokens.errors[0].message


def test_plain_fast_path_agrees_with_grammar() -> None:
    # The same words with a harmless escape force the pyparsing path.
    plain = tokenize_line("  server s1 10.0.0.1:80 check inter 2s  # c")
    quoted = tokenize_line("  server s1 10.0.0.1:80 check inter '2s'  # c")
    assert [w.value for w in plain.words] == [w.value for w in quoted.words]
    assert [w.col for w in plain.words] == [w.col for w in quoted.words]
    assert plain.comment == quoted.comment


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
            max_size=12,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_words_survive_quoting(words: list[str]) -> None:
    rendered = " ".join(quote_word(w) for w in words)
    assert [w.value for w in tokenize_line(rendered).words] == words
