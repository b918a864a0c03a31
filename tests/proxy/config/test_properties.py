"""Properties of the parser and writer over generated input.

* text -> parse -> write gives the text back byte for byte, whatever the lines;
* model -> write -> parse gives an equal model.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.config.build import node_from_words
from proxy.config.model import Config, Section, Statement
from proxy.config.parser import parse
from proxy.config.writer import write

_NAME = st.from_regex(r"[a-z][a-z0-9_.-]{0,8}", fullmatch=True)
_VALUE = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"
    ),
    min_size=0,
    max_size=10,
)
_COMMENT = st.one_of(st.just(""), _VALUE.map(lambda t: "# " + t.replace("\n", " ")))

_LINES = st.one_of(
    st.builds(
        lambda n, p: ["server", n, f"10.0.0.{p % 255}:{p}", "check"], _NAME, st.integers(1, 65535)
    ),
    st.builds(lambda n, v: ["acl", n, "path_beg", v or "/"], _NAME, _VALUE),
    st.builds(lambda n, c: ["use_backend", n, "if", c], _NAME, _NAME),
    st.builds(
        lambda k, t: ["timeout", k, f"{t}s"],
        st.sampled_from(["client", "server", "connect"]),
        st.integers(0, 999),
    ),
    st.builds(lambda v: ["http-request", "set-header", "X-Test", v], _VALUE),
    st.builds(lambda a: ["balance", a], st.sampled_from(["roundrobin", "source", "leastconn"])),
    st.builds(lambda o: ["option", o], st.sampled_from(["httplog", "forwardfor", "redispatch"])),
    st.builds(lambda o: ["no", "option", o], st.sampled_from(["httplog", "http-server-close"])),
    st.lists(_VALUE.filter(bool), min_size=1, max_size=4).map(lambda w: ["description", *w]),
    st.just([]),
)


@st.composite
def _statement(draw: st.DrawFn, proxy: bool) -> Statement:
    words = draw(_LINES)
    comment = draw(_COMMENT)
    return Statement(node_from_words(words, proxy_section=proxy), comment)


@st.composite
def _section(draw: st.DrawFn) -> Section:
    kind = draw(st.sampled_from(["frontend", "backend", "listen", "defaults", "userlist"]))
    name = draw(_NAME)
    header = Statement(node_from_words([kind, name], proxy_section=False))
    body = draw(st.lists(_statement(kind != "userlist"), max_size=6))
    return Section(kind, name, header, body)


@st.composite
def _config(draw: st.DrawFn) -> Config:
    preamble = [Statement(comment=c) for c in draw(st.lists(_COMMENT, max_size=2))]
    return Config(preamble=preamble, sections=draw(st.lists(_section(), max_size=4)))


@settings(max_examples=200, deadline=None)
@given(_config())
def test_model_survives_write_then_parse(model: Config) -> None:
    text = write(model)
    reparsed = parse(text).config
    assert reparsed == model
    assert write(reparsed) == text


_RAW_LINE = st.text(
    alphabet=st.sampled_from(list("abc xyz:0123456789#'\"\\\t{}!|-_/.$")),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_RAW_LINE, st.sampled_from(["\n", "\r\n"])), max_size=12), st.booleans())
def test_any_text_round_trips_byte_for_byte(
    lines: list[tuple[str, str]], section_first: bool
) -> None:
    text = ("backend x\n" if section_first else "") + "".join(line + eol for line, eol in lines)
    assert write(parse(text).config) == text


def test_bom_is_dropped_and_final_newline_added() -> None:
    result = parse("\ufeffglobal\n    maxconn 10")
    assert result.config.had_bom
    assert write(result.config) == "global\n    maxconn 10\n"
    assert any("missing LF" in d.message for d in result.diagnostics)
