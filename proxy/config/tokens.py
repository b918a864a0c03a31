"""Split one haproxy.cfg line into words, the way HAProxy's parse_line() does.

Theory of operation
-------------------
HAProxy reads its configuration a physical line at a time (configuration.txt
§2.2).  A line is a sequence of *words* separated by spaces or tabs; ``#``
outside quotes starts a comment that runs to the end of the line.  A word is
made of adjacent *parts* that are concatenated:

* ``'strong'``  -- taken literally, no escapes;
* ``"weak"``    -- backslash escapes apply, ``${VAR}`` is expanded by HAProxy
  (we keep the text unexpanded: the model stores what the user wrote);
* ``\\x``        -- an escape outside quotes;
* plain text    -- anything else that is not a blank, a quote, ``#`` or ``\\``.

Escapes (tools.c ``parse_line``): ``\\ `` ``\\\\`` ``\\#`` ``\\'`` ``\\"`` give the
character, ``\\t`` ``\\n`` ``\\r`` give the control character, ``\\xHH`` a byte;
any other backslash is kept as written (so regexes like ``\\.`` survive).

Lines with no quote and no backslash -- nearly all of a real file -- take a
``str.split`` fast path; the two paths give identical results on such lines
(tested).  Why the word scanner is a regular expression rather than
pyparsing is said at the grammar below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["LineTokens", "TokenizeError", "Word", "quote_word", "tokenize_line"]


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a line: its value after unquoting, its source text, its 1-based column."""

    value: str
    raw: str
    col: int


@dataclass(frozen=True, slots=True)
class TokenizeError:
    col: int
    message: str


@dataclass(slots=True)
class LineTokens:
    """A tokenized line: leading blanks, words, and the trailing comment (from its ``#``)."""

    indent: str
    words: list[Word] = field(default_factory=list)
    comment: str = ""
    comment_col: int = 0
    errors: list[TokenizeError] = field(default_factory=list)


_SIMPLE_ESCAPES = {
    " ": " ",
    "\\": "\\",
    "#": "#",
    "'": "'",
    '"': '"',
    "t": "\t",
    "n": "\n",
    "r": "\r",
}
_HEX = re.compile(r"[0-9a-fA-F]{2}")


def _unescape(text: str) -> str:
    """Apply HAProxy's backslash escapes to unquoted or double-quoted text."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch != "\\" or not nxt:
            out.append(ch)
            i += 1
        elif nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt == "x" and _HEX.fullmatch(text[i + 2 : i + 4]):
            out.append(chr(int(text[i + 2 : i + 4], 16)))
            i += 4
        else:  # unknown escape: HAProxy leaves both characters in place
            out.append(ch)
            i += 1
    return "".join(out)


# --- the grammar ------------------------------------------------------------
# One regular expression per part; a word is one or more adjacent parts.
# pyparsing was the first choice here, but it measured ~140 µs per quoted
# word (bench/parse_write.py: 0.55 s of a 0.5 s budget spent on 4% of the
# lines), so words are scanned with the equivalent compiled expression and
# pyparsing is kept for the real grammar in conditionals.py.
_PARTS = re.compile(
    r"""(?P<strong>'[^']*')|(?P<weak>"(?:\\.|[^"\\])*")|(?P<escape>\\(?:x[0-9a-fA-F]{2}|.))|(?P<plain>[^ \t#'"\\]+)"""
)
_WORD = re.compile(r"""(?:'[^']*'|"(?:\\.|[^"\\])*"|\\(?:x[0-9a-fA-F]{2}|.)|[^ \t#'"\\])+""")


_WEAK = re.compile(r'"(?:\\.|[^"\\])*"')
_BAD_VAR = re.compile(r"\$(?![{A-Za-z_])")


def _bad_variable(raw: str) -> int:
    """Offset in ``raw`` of a ``$`` inside double quotes that starts no variable name, or -1.

    HAProxy expands ``$NAME``/``${NAME}`` in double quotes and rejects a ``$``
    followed by anything else (e.g. ``"pay $5"``).
    """
    if "$" not in raw:
        return -1
    for quoted in _WEAK.finditer(raw):
        bad = _BAD_VAR.search(quoted.group())
        if bad:
            return quoted.start() + bad.start()
    return -1


def _word_value(raw: str) -> str:
    out = []
    for match in _PARTS.finditer(raw):
        kind, text = match.lastgroup, match.group()
        if kind == "strong":
            out.append(text[1:-1])
        elif kind == "weak":
            out.append(_unescape(text[1:-1]))
        elif kind == "escape":
            out.append(_unescape(text))
        else:
            out.append(text)
    return "".join(out)


_BLANK = " \t"
_PLAIN_RUN = re.compile(r"[^ \t]+")
_UNTERMINATED = re.compile(r"""(?:'[^']*$)|(?:"(?:\\.|[^"\\])*$)""")


def tokenize_line(text: str) -> LineTokens:
    """Tokenize one physical line (without its end-of-line characters)."""
    stripped = text.lstrip(_BLANK)
    result = LineTokens(indent=text[: len(text) - len(stripped)])
    if "'" not in text and '"' not in text and "\\" not in text:
        _tokenize_plain(text, result)
    else:
        _tokenize_quoted(text, result)
    return result


def _tokenize_plain(text: str, result: LineTokens) -> None:
    body, hash_, _ = text.partition("#")
    if hash_:
        comment_start = len(body.rstrip(_BLANK))
        result.comment = text[comment_start:]
        result.comment_col = len(body) + 1
    # Only spaces and tabs separate words (not every Unicode blank, as str.split would).
    for match in _PLAIN_RUN.finditer(body):
        raw = match.group()
        result.words.append(Word(raw, raw, match.start() + 1))


def _tokenize_quoted(text: str, result: LineTokens) -> None:
    pos = 0
    end = len(text)
    while pos < end:
        while pos < end and text[pos] in _BLANK:
            pos += 1
        if pos >= end:
            break
        if text[pos] == "#":
            comment_start = len(text[:pos].rstrip(_BLANK))
            result.comment = text[comment_start:]
            result.comment_col = pos + 1
            return
        match = _WORD.match(text, pos)
        if match is None:
            result.errors.append(_quote_error(text, pos))
            return
        raw = match.group()
        after = match.end()
        if after < end and text[after] not in _BLANK and text[after] != "#":
            # the scanner stopped on a quote it could not close
            result.errors.append(_quote_error(text, after))
            return
        bad_dollar = _bad_variable(raw)
        if bad_dollar >= 0:
            col = pos + bad_dollar + 2
            result.errors.append(
                TokenizeError(
                    col, f"forbidden first char in environment variable name at column {col}"
                )
            )
            return
        result.words.append(Word(_word_value(raw), raw, pos + 1))
        pos = after


def _quote_error(text: str, pos: int) -> TokenizeError:
    quote = text[pos] if pos < len(text) else ""
    if _UNTERMINATED.match(text, pos) or quote in "'\"":
        return TokenizeError(pos + 1, f"unmatched quote ({quote}) starting at column {pos + 1}")
    return TokenizeError(pos + 1, f"unexpected character at column {pos + 1}")


_PLAIN_WORD = re.compile(r"""[^\s#'"\\]+""")  # conservative: quote any Unicode blank


_ESCAPE_OUTSIDE = {
    " ": "\\ ",
    "#": "\\#",
    "'": "\\'",
    '"': '\\"',
    "\\": "\\\\",
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
}


def quote_word(value: str) -> str:
    """Spell a word so that tokenize_line() gives ``value`` back.

    ``$NAME``/``${NAME}`` go in double quotes, where HAProxy expands them;
    other text with blanks or quotes goes in single quotes (taken literally),
    and text that cannot be single-quoted is backslash-escaped.
    """
    if _PLAIN_WORD.fullmatch(value):
        return value
    if "$" in value and not _BAD_VAR.search(value):
        escaped = "".join(_ESCAPE_OUTSIDE.get(c, c) if c in '\\"\t\n\r' else c for c in value)
        return f'"{escaped}"'
    if "'" not in value and not any(c in value for c in "\n\r"):
        return f"'{value}'"
    return "".join(_ESCAPE_OUTSIDE.get(c, c) for c in value)
