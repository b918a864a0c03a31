"""Editing help for the haproxy.cfg text editor: completion, hover docs, marker spans.

Theory of operation
-------------------
The text editor (gui/text_view.py) asks three questions about a cursor or mouse
position, and this module answers them from the ``Config`` model and the keyword
registry, with no Qt:

* ``completions(config, line, text, col)``: what may be typed at column ``col`` of
  line ``line`` (whose current text is ``text``).  The section comes from the
  model (the last section header at or above the line); the words already typed
  come from the config tokenizer.  The first word of a line gets the registry's
  keywords for that section's kind; argument positions get names the model
  defines: backends after ``use_backend``/``default_backend``, ACL names after
  ``if``/``unless`` (the section's own and inherited ones, via the semantic
  layer, plus HAProxy's predefined ACLs), userlists inside ``http_auth(``,
  servers after ``use-server``.
* ``hover_doc(config, line, text, col)``: the registry's synopsis and doc for the
  keyword (or ACL fetch) under the mouse, and what the embedded engine does with it.
* ``word_span(text, col)``: the column range of the word a diagnostic points at,
  for the wavy underline.

``diagnose_text`` is the one place a text becomes its diagnostics (parse, then
validate), shared by the document and the editor's live checking of unapplied text.

Columns here are 1-based and count characters (code points), like ``Diagnostic.col``
and ``Origin.cols``; the GUI converts them to Qt's UTF-16 offsets (gui/text_columns.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from proxy.config import keywords as kw
from proxy.config.model import Config, Diagnostic, Section
from proxy.config.nodes import Acl
from proxy.config.parser import parse
from proxy.config.semantics import meaning_of
from proxy.config.tokens import tokenize_line
from proxy.config.validate import (
    ENGINE_IGNORES,
    ENGINE_REFUSES,
    USERLIST_FETCHES,
    fetch_name,
    validate,
)

__all__ = [
    "ENGINE_WORDS",
    "Completion",
    "Marker",
    "completions",
    "diagnose_text",
    "hover_doc",
    "line_marker",
    "section_at",
    "word_span",
]

#: What the hover doc says for each ``Keyword.engine`` value.
ENGINE_WORDS = {
    "runs": "the embedded engine runs it",
    "ignores": "the embedded engine ignores it",
    "refuses": "the embedded engine refuses it (run this config on HAProxy)",
    "moot": "the embedded engine has no use for it (process management or tuning)",
    "partly": "the embedded engine runs some of its values (check warns where not)",
}
#: Lines that carry bind/server options: their table and the first option word.
_OPTION_LINES = {"bind": (kw.BIND_OPTIONS, 2), "server": (kw.SERVER_OPTIONS, 3),
                 "default-server": (kw.SERVER_OPTIONS, 1)}
_CONDITION_WORDS = ("if", "unless")
_CONDITION_OPERATORS = frozenset({"!", "or", "||", "{", "}"})


@dataclass(frozen=True)
class Completion:
    """One proposal: ``text`` replaces the word being typed (from ``CompletionResult.start``)."""

    text: str
    kind: str  # "keyword", "section", "backend", "acl", "userlist", "server", "value"
    detail: str = ""  # the synopsis, or where the name is defined


@dataclass(frozen=True)
class CompletionResult:
    start: int  # 1-based column where the word being completed starts
    prefix: str  # what is typed of it so far
    items: tuple[Completion, ...]


# -- where the cursor is -----------------------------------------------------------------
def section_at(config: Config, line: int, *, before: bool = False) -> Section | None:
    """The section whose header is the last one at (or, with ``before``, above) ``line``."""
    found: Section | None = None
    for section in config.sections:
        start = section.header.origin.line if section.header.origin else 0
        if start > line or (before and start == line):
            break
        found = section
    return found


def _sec_of(section: Section | None) -> kw.Sec | None:
    return kw.SECTION_KINDS.get(section.kind) if section is not None else None


@dataclass(frozen=True)
class _Typed:
    """A line split at the cursor: the whole words before it and the one being typed."""

    done: list[str]
    prefix: str
    start: int  # 1-based column of the word being typed


def _split_at_cursor(text: str, col: int) -> _Typed | None:
    """None inside a comment, where nothing is proposed."""
    before = text[: max(col - 1, 0)]
    tokens = tokenize_line(before)
    if tokens.comment:
        return None
    words = tokens.words
    if words and not before[-1:].isspace():
        last = words[-1]
        return _Typed([w.value for w in words[:-1]], last.raw, last.col)
    return _Typed([w.value for w in words], "", len(before) + 1)


# -- completion ----------------------------------------------------------------------------
def completions(config: Config, line: int, text: str, col: int) -> CompletionResult:
    """What may be typed at ``col`` of ``line``; ``text`` is that line as it is now."""
    typed = _split_at_cursor(text, col)
    if typed is None:
        return CompletionResult(col, "", ())
    # The first word of a line that is (or becomes) a header belongs to the section above.
    section = section_at(config, line, before=not typed.done)
    if not typed.done:
        items = _first_words(section, [])
    elif typed.done[0] in kw.SECTION_KINDS:  # a header (the parser's rule): its name is new
        items = []
    else:
        items = _later_words(config, section, typed)
    return CompletionResult(typed.start, typed.prefix, tuple(_starting_with(items, typed.prefix)))


def _starting_with(items: Iterable[Completion], prefix: str) -> list[Completion]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.text.lower().startswith(prefix.lower()) and item.text not in seen:
            seen.add(item.text)
            out.append(item)
    return out


def _section_keywords(section: Section | None) -> list[kw.Keyword]:
    sec = _sec_of(section)
    if sec is None:
        return []
    unnamed_defaults = section is not None and section.kind == "defaults" and not section.name
    return [k for k in kw.keywords_for(sec) if not (unnamed_defaults and k.named_defaults_only)]


def _first_words(section: Section | None, done: list[str]) -> list[Completion]:
    """Keywords (or their remaining words, after ``done``) valid in ``section``, then section kinds."""
    negated = bool(done) and done[0] in ("no", "default")
    head = done[1:] if negated else done
    out = []
    for keyword in _section_keywords(section):
        words = keyword.name.split()
        if words[: len(head)] == head and len(words) > len(head) and (keyword.no_prefix or not negated):
            out.append(Completion(" ".join(words[len(head):]), "keyword", keyword.synopsis))
    if not done:
        out += [Completion(kind, "section", f"starts a {kind} section") for kind in kw.SECTION_KINDS]
    return out


def _later_words(config: Config, section: Section | None, typed: _Typed) -> list[Completion]:
    done = typed.done
    more_words = _first_words(section, done)  # "timeout" -> "client", "connect", ...
    keyword, count = kw.lookup(done, _sec_of(section))
    if keyword is None:
        return more_words
    arguments = _arguments(config, section, keyword, done[count:], typed.prefix)
    return more_words + arguments if count == len(done) else arguments


def _arguments(config: Config, section: Section | None, keyword: kw.Keyword, args: list[str],
               prefix: str) -> list[Completion]:
    """Proposals for argument ``len(args)`` of ``keyword``."""
    fetch = prefix.split("(", 1)[0]
    if "(" in prefix and fetch in USERLIST_FETCHES:
        return [Completion(f"{fetch}({name})", "userlist", "userlist section") for name in _userlists(config)]
    condition_at = next((i for i, w in enumerate(args) if w in _CONDITION_WORDS), None)
    if condition_at is not None:
        if args and args[-1] == "{":
            return _fetches()
        negation = "!" if prefix.startswith("!") else ""  # "!name" negates, glued or not
        return [Completion(negation + c.text, c.kind, c.detail) for c in _acl_names(config, section)]
    provider = _ARGUMENTS.get((keyword.name, len(args)))
    found = provider(config, section) if provider is not None else []
    if (keyword.name, len(args)) in _CONDITION_AFTER:
        found += [Completion(word, "value", "a condition follows") for word in _CONDITION_WORDS]
    return found


def _backends(config: Config, _section: Section | None) -> list[Completion]:
    return [Completion(s.name, "backend", f"{s.kind} line {s.header.location()[0]}")
            for s in config.backends if s.name]


def _servers(_config: Config, section: Section | None) -> list[Completion]:
    if section is None:
        return []
    return [Completion(server.name, "server", server.address) for server in section.servers]


def _userlists(config: Config) -> list[str]:
    return [s.name for s in config.of_kind("userlist") if s.name]


def _acl_names(config: Config, section: Section | None) -> list[Completion]:
    """ACLs usable in ``section``: its own and those its defaults chain declares, then predefined."""
    if section is None or not section.is_proxy:
        return []
    meaning = meaning_of(config, section)
    out = []
    for stmt in meaning.statements:
        if isinstance(stmt.node, Acl):
            where = meaning.source(stmt).describe()
            out.append(Completion(stmt.node.name, "acl", f"acl {stmt.node.fetch} ({where})"))
    out += [Completion(name, "acl", "predefined: " + " ".join(words))
            for name, words in kw.PREDEFINED_ACLS.items()]
    return out


def _fetches(_config: Config | None = None, _section: Section | None = None) -> list[Completion]:
    return [Completion(f.name, "value", f.doc) for f in kw.FETCHES.values()]


def _values(names: Iterable[str], detail: str = "") -> Callable[[Config, Section | None], list[Completion]]:
    listed = tuple(names)
    return lambda _config, _section: [Completion(name, "value", detail) for name in listed]


def _actions(table: dict[str, str]) -> Callable[[Config, Section | None], list[Completion]]:
    return lambda _config, _section: [Completion(name, "value", doc) for name, doc in table.items()]


#: (keyword, argument index) -> what the model or the registry offers there.
_ARGUMENTS: dict[tuple[str, int], Callable[[Config, Section | None], list[Completion]]] = {
    ("use_backend", 0): _backends,
    ("default_backend", 0): _backends,
    ("use-server", 0): _servers,
    ("mode", 0): _values(kw.MODES),
    ("balance", 0): _values(kw.BALANCE_ALGORITHMS, "load balancing algorithm"),
    ("acl", 1): _fetches,
    ("http-request", 0): _actions(kw.HTTP_REQUEST_ACTIONS),
    ("http-response", 0): _actions(kw.HTTP_RESPONSE_ACTIONS),
    ("http-after-response", 0): _actions(kw.HTTP_AFTER_RESPONSE_ACTIONS),
}
#: Positions where "if"/"unless" may come next.
_CONDITION_AFTER = frozenset({("use_backend", 1), ("use-server", 1)})


# -- hover docs ----------------------------------------------------------------------------
def hover_doc(config: Config, line: int, text: str, col: int) -> str | None:
    """Plain text about the keyword or ACL fetch at ``col`` of ``line``; None over anything else."""
    words = tokenize_line(text).words
    index = next((i for i, w in enumerate(words) if w.col <= col < w.col + len(w.raw)), None)
    if index is None:
        return None
    if words[0].value in kw.SECTION_KINDS:  # a header, by the parser's rule
        return f"starts a {words[0].value} section" if index == 0 else None
    section = section_at(config, line)
    keyword, count = kw.lookup([w.value for w in words], _sec_of(section))
    if keyword is not None and index < count:
        return keyword_doc(keyword)
    options = _OPTION_LINES.get(keyword.name) if keyword is not None else None
    if options is not None and index >= options[1] and words[index].value in options[0]:
        return option_doc(options[0][words[index].value], words[0].value)
    return _fetch_doc(words[index].value)


def keyword_doc(keyword: kw.Keyword) -> str:
    lines = [f"{keyword.name} {keyword.synopsis}".strip(), keyword.doc]
    if keyword.removed:
        lines.append(f"HAProxy 2.6 rejects it: {keyword.removed}")
    elif keyword.deprecated:
        lines.append(f"Deprecated: {keyword.deprecated}")
    engine = ENGINE_WORDS.get(keyword.engine, keyword.engine)
    if keyword.engine_note:
        engine += f" ({keyword.engine_note})"
    lines.append(f"Engine: {engine}")
    return "\n".join(lines)


def option_doc(spec: kw.OptionSpec, line_keyword: str) -> str:
    engine = ENGINE_WORDS.get(spec.engine, spec.engine)
    if spec.engine_note:
        engine += f" ({spec.engine_note})"
    return f"{spec.name} ({line_keyword} option)\n{spec.doc}\nEngine: {engine}"


def _fetch_doc(word: str) -> str | None:
    name = fetch_name(word)
    fetch = kw.FETCHES.get(name)
    if fetch is None:
        return None
    engine = "the embedded engine runs it" if name in kw.ENGINE_FETCHES else ENGINE_WORDS["refuses"]
    return f"{fetch.name}{fetch.args} (sample fetch)\n{fetch.doc}\nEngine: {engine}"


# -- diagnostics ---------------------------------------------------------------------------
def diagnose_text(text: str, path: str = "<memory>", *, base_dir: str | Path | None = None,
                  extra: Iterable[Diagnostic] = ()) -> list[Diagnostic]:
    """Every diagnostic for ``text`` (parse, then validate), sorted by position."""
    result = parse(text, path)
    diagnostics = [*extra, *result.diagnostics, *validate(result.config, base_dir=base_dir)]
    return sorted(diagnostics, key=lambda d: (d.line, d.col))


def word_span(text: str, col: int) -> tuple[int, int]:
    """(1-based start column, length) of the word at ``col``; past the words, to the line end."""
    for word in tokenize_line(text).words:
        if word.col <= col < word.col + len(word.raw):
            return word.col, len(word.raw)
    start = max(min(col, len(text)), 1)
    return start, max(len(text) - start + 1, 1)


@dataclass(frozen=True)
class Marker:
    """What the gutter shows for one line: the most serious of its diagnostics."""

    kind: str  # "error", "engine-refuses", "warning" or "engine-ignores"
    diagnostics: tuple[Diagnostic, ...]

    @property
    def tooltip(self) -> str:
        return "\n".join(f"{_LABELS[marker_kind(d)]}: {d.message}" for d in self.diagnostics)


_RANK = ("error", ENGINE_REFUSES, "warning", ENGINE_IGNORES)
_LABELS = {"error": "error", ENGINE_REFUSES: "engine refuses", "warning": "warning",
           ENGINE_IGNORES: "engine ignores"}


def marker_kind(diagnostic: Diagnostic) -> str:
    if diagnostic.is_error:
        return "error"
    return diagnostic.code if diagnostic.code in (ENGINE_REFUSES, ENGINE_IGNORES) else "warning"


def line_marker(diagnostics: Iterable[Diagnostic]) -> Marker | None:
    found = tuple(diagnostics)
    if not found:
        return None
    kind = min((marker_kind(d) for d in found), key=_RANK.index)
    return Marker(kind, found)
