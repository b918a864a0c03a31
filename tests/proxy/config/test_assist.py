"""The editor's assist layer: completion, hover docs and marker spans over real parsed configs."""

from __future__ import annotations

import pytest

from proxy.config import assist
from proxy.config import keywords as kw
from proxy.config.model import Diagnostic
from proxy.config.parser import parse
from proxy.config.validate import ENGINE_IGNORES, ENGINE_REFUSES

CONFIG = """\
global
    log /dev/log local0

defaults base
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    acl from_office src 10.1.0.0/16

frontend web from base
    bind :80
    acl is_api path_beg /api
    use_backend api if is_api
    http-request auth realm Staff unless { http_auth(staff) }
    default_backend app

backend app
    server s1 127.0.0.1:8001
    server s2 127.0.0.1:8002

backend api
    server a1 127.0.0.1:9001

listen stats
    bind :8404

userlist staff
    user alice insecure-password secret
"""
LINES = CONFIG.splitlines()


def line_of(fragment: str) -> int:
    return next(i for i, text in enumerate(LINES, 1) if fragment in text)


def complete(line: int, text: str) -> list[str]:
    """Completions with the cursor at the end of ``text`` typed on ``line``."""
    config = parse(CONFIG).config
    return [c.text for c in assist.completions(config, line, text, len(text) + 1).items]


def test_first_word_offers_the_keywords_of_the_section_kind() -> None:
    in_frontend = complete(line_of("bind :80"), "    ")
    in_backend = complete(line_of("server s1"), "    ")
    assert "bind" in in_frontend and "default_backend" in in_frontend
    assert "server" not in in_frontend and "balance" not in in_frontend
    assert "server" in in_backend and "balance" in in_backend and "bind" not in in_backend
    # exactly the registry's keywords for the kind (then the section headers)
    assert set(in_backend) - set(kw.SECTION_KINDS) == {k.name for k in kw.keywords_for(kw.Sec.BACKEND)}
    global_words = complete(line_of("log /dev/log"), "    ")
    assert "nbthread" in global_words and "bind" not in global_words


def test_a_prefix_filters_and_multi_word_keywords_complete_word_by_word() -> None:
    line = line_of("server s1")
    assert complete(line, "    se") == ["server", "server-state-file-name", "server-template"]
    assert "timeout connect" in complete(line, "    ti")
    assert complete(line, "    timeout c") == ["check", "connect"]
    assert "httpchk" in complete(line, "    option ")
    assert "httpchk" not in complete(line, "    no option ")  # only the "(*)" options take "no"
    assert "redispatch" in complete(line, "    no option ")


def test_acl_is_not_offered_in_an_unnamed_defaults_section() -> None:
    config = parse("defaults\n    mode http\ndefaults named\n    mode http\n").config
    unnamed = [c.text for c in assist.completions(config, 2, "    ac", 7).items]
    named = [c.text for c in assist.completions(config, 4, "    ac", 7).items]
    assert "acl" not in unnamed and "acl" in named


def test_backend_names_after_use_backend_and_default_backend() -> None:
    line = line_of("use_backend api")
    assert complete(line, "    use_backend ") == ["app", "api", "stats"]  # listen sections hold servers too
    assert complete(line, "    default_backend a") == ["app", "api"]
    assert complete(line, "    use_backend app ") == ["if", "unless"]


def test_acl_names_after_if_include_inherited_and_predefined_ones() -> None:
    names = complete(line_of("use_backend api"), "    use_backend api if ")
    assert names[:2] == ["from_office", "is_api"]  # the named defaults' ACL first, as inherited
    assert "LOCALHOST" in names and "METH_GET" in names
    assert complete(line_of("use_backend api"), "    use_backend api if is_api || !is") == ["!is_api"]


def test_userlists_inside_http_auth_and_servers_after_use_server() -> None:
    line = line_of("http-request auth")
    assert complete(line, "    http-request auth realm Staff unless { http_auth(") == ["http_auth(staff)"]
    assert complete(line, "    acl ok http_auth_group(st") == ["http_auth_group(staff)"]
    assert complete(line_of("server s1"), "    use-server ") == ["s1", "s2"]


def test_registry_values_in_argument_positions() -> None:
    line = line_of("server s1")
    assert complete(line, "    balance ")[:3] == ["roundrobin", "static-rr", "leastconn"]
    assert complete(line, "    mode ") == list(kw.MODES)
    assert "path_beg" in complete(line, "    acl x ")
    assert "deny" in complete(line_of("bind :80"), "    http-request ")


def test_nothing_in_comments_or_after_a_section_name() -> None:
    assert complete(line_of("bind :80"), "    # use_") == []
    assert complete(line_of("frontend web"), "frontend w") == []


def test_a_line_starting_a_section_completes_section_kinds() -> None:
    assert complete(line_of("userlist staff") + 1, "back") == ["backend"]


def test_hover_doc_gives_synopsis_doc_and_engine_support() -> None:
    config = parse(CONFIG).config
    line = line_of("use_backend api")
    doc = assist.hover_doc(config, line, LINES[line - 1], 6)
    assert doc is not None
    keyword = kw.KEYWORDS["use_backend"]
    assert doc.splitlines()[:2] == [f"use_backend {keyword.synopsis}", keyword.doc]
    assert "Engine: the embedded engine runs it" in doc
    log_line = line_of("log /dev/log")
    assert "Engine:" in (assist.hover_doc(config, log_line, LINES[log_line - 1], 5) or "")
    timeout = line_of("timeout connect")
    assert (assist.hover_doc(config, timeout, LINES[timeout - 1], 14) or "").startswith("timeout connect ")
    assert assist.hover_doc(config, timeout, LINES[timeout - 1], 22) is None  # over "5s"
    acl = line_of("acl is_api")
    assert "Prefix match on path" in (assist.hover_doc(config, acl, LINES[acl - 1], 17) or "")


def test_hover_doc_on_a_section_header() -> None:
    config = parse(CONFIG).config
    line = line_of("frontend web")
    assert assist.hover_doc(config, line, LINES[line - 1], 3) == "starts a frontend section"
    assert assist.hover_doc(config, line, LINES[line - 1], 11) is None  # its name


def test_hover_doc_says_what_the_engine_refuses() -> None:
    text = "backend dns\n    server-template srv 3 app.example:80\n"
    doc = assist.hover_doc(parse(text).config, 2, "    server-template srv 3 app.example:80", 8)
    assert doc is not None and "refuses it" in doc


def test_hover_doc_on_a_bind_or_server_option_says_what_the_engine_does() -> None:
    bind = "    bind :443 ssl crt site.pem alpn h2 tfo"
    server = "    server check 127.0.0.1:80 check send-proxy"
    config = parse(f"frontend f\n{bind}\nbackend b\n{server}\n").config

    def doc(line: int, text: str, word: str, nth: int = 0) -> str | None:
        """The hover doc over the ``nth`` occurrence of the whole word ``word``."""
        starts = [i for i, w in enumerate(text.split(" ")) if w == word]
        col = len(" ".join(text.split(" ")[: starts[nth]])) + 2
        return assist.hover_doc(config, line, text, col)

    assert doc(2, bind, "tfo") == (
        f"tfo (bind option)\n{kw.BIND_OPTIONS['tfo'].doc}\n"
        f"Engine: the embedded engine ignores it ({kw.BIND_OPTIONS['tfo'].engine_note})")
    assert "Engine: the embedded engine runs some of its values" in (doc(2, bind, "alpn") or "")
    assert (doc(2, bind, "ssl") or "").endswith("Engine: the embedded engine runs it")
    assert doc(2, bind, ":443") is None
    assert doc(4, server, "check") is None  # the server's name, not its option
    assert (doc(4, server, "check", 1) or "").startswith("check (server option)")
    assert "PROXY protocol" in (doc(4, server, "send-proxy") or "")


@pytest.mark.parametrize(("col", "span"), [(17, (17, 7)), (5, (5, 11)), (20, (17, 7)), (40, (23, 1))])
def test_word_span(col: int, span: tuple[int, int]) -> None:
    assert assist.word_span("    use_backend nowhere", col) == span


def test_markers_rank_errors_over_engine_gaps_over_warnings() -> None:
    text = (
        "global\n    log /dev/log local0\n"
        "frontend fe\n    bind :80\n    timeout client 5s\n    default_backend nowhere\n"
        "backend app\n    timeout connect 5s\n    timeout server 5s\n"
        "    server-template srv 3 app.example:80\n"
    )
    diagnostics = assist.diagnose_text(text)
    by_line: dict[int, list[Diagnostic]] = {}
    for d in diagnostics:
        by_line.setdefault(d.line, []).append(d)
    markers = {line: assist.line_marker(found) for line, found in by_line.items()}
    assert markers[2] is not None and markers[2].kind == ENGINE_IGNORES
    assert markers[6] is not None and markers[6].kind == "error"
    assert markers[10] is not None and markers[10].kind == ENGINE_REFUSES
    assert "engine refuses: 'server-template'" in markers[10].tooltip
    assert assist.line_marker([]) is None


def test_diagnose_text_is_parse_then_validate() -> None:
    found = assist.diagnose_text("backend b\n    server s1 'oops\n")
    assert any(d.is_error and d.line == 2 for d in found)
    assert found == sorted(found, key=lambda d: (d.line, d.col))
