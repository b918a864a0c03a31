"""Config edits (proxy.config.edit): placement, single-valued settings, renames with their
references, HAProxy's name rule (checked against the real haproxy) and host names."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from proxy.config.edit import (
    append_section,
    config_host_names,
    place_node,
    rename_section,
    set_default_backend,
    set_mode,
    set_timeout,
    valid_section_name,
)
from proxy.config.model import Config, Section
from proxy.config.nodes import Acl, Bind, DefaultBackend, Mode, Rule, Server, UseBackend
from proxy.config.parser import parse
from proxy.config.semantics import meaning_of
from proxy.config.validate import validate
from proxy.config.writer import write
from tests.conftest import HaproxyCheck


def _first(text: str) -> tuple[Config, Section]:
    config = parse(text).config
    return config, config.sections[0]


# --- placement -------------------------------------------------------------------------------


def test_place_node_keeps_haproxy_order() -> None:
    config, section = _first("frontend f\n    bind :80\n    use_backend b if x\n    default_backend b\n")
    place_node(section, Rule("http-request", "", "deny", [], None))
    place_node(section, DefaultBackend("c"))
    assert write(config) == ("frontend f\n    bind :80\n    http-request deny\n    use_backend b if x\n"
                             "    default_backend b\n    default_backend c\n")


def test_place_node_groups_with_its_kind_and_returns_the_statement() -> None:
    config, section = _first("frontend f\n    bind :80\n    acl a path /a\n    use_backend b if a\n")
    stmt = place_node(section, Acl("z", "path", patterns=["/z"]))
    assert stmt in section.body and stmt.origin is None
    place_node(section, Bind([":81"]))
    assert write(config) == ("frontend f\n    bind :80\n    bind :81\n    acl a path /a\n"
                             "    acl z path /z\n    use_backend b if a\n")


def test_place_node_before_everything_later_and_above_trailing_blank_lines() -> None:
    config, section = _first("backend b\n    server s 10.0.0.1:80  # the app\n\n\nbackend c\n")
    mode = place_node(section, Mode("http"))
    assert section.body[0] is mode  # mode ranks first: before the server
    empty = config.sections[1]
    place_node(empty, Server("s", "10.0.0.2:80"))
    assert write(config) == ("backend b\n    mode http\n    server s 10.0.0.1:80  # the app\n\n\n"
                             "backend c\n    server s 10.0.0.2:80\n")
    _config, blank_only = _first("backend d\n\n# about the next one\n")
    place_node(blank_only, Server("s", "10.0.0.3:80"))
    assert [s.words for s in blank_only.body] == [[], [], ["server", "s", "10.0.0.3:80"]]


def test_insertion_point_keeps_trailing_blank_lines_after_the_section() -> None:
    _config, section = _first("backend b\n    server s 10.0.0.1:80\n    # a note\n\n\n")
    assert section.insertion_point() == 2  # after the comment, before the two blank lines
    _config, empty = _first("backend e\n\n\n")
    assert empty.insertion_point() == 0


# --- single-valued settings ------------------------------------------------------------------


def test_set_timeout_replaces_adds_and_removes() -> None:
    config, section = _first("frontend f\n    bind :80\n    timeout client 5s\n")
    set_timeout(section, "client", "10s")
    set_timeout(section, "http-request", "3s")
    assert write(config) == "frontend f\n    bind :80\n    timeout client 10s\n    timeout http-request 3s\n"
    set_timeout(section, "client", "")
    assert "timeout client" not in write(config)


def test_set_mode_changes_the_last_line_in_place_keeping_its_comment() -> None:
    config, section = _first("backend b\n    mode tcp\n    mode tcp  # the one that counts\n"
                             "    server s 10.0.0.1:80\n")
    set_mode(section, "http")
    assert write(config) == ("backend b\n    mode tcp\n    mode http  # the one that counts\n"
                             "    server s 10.0.0.1:80\n")
    set_mode(section, "")
    assert section.mode is None
    set_mode(section, "tcp")
    assert write(config) == "backend b\n    mode tcp\n    server s 10.0.0.1:80\n"


def test_set_default_backend_adds_last_replaces_and_removes() -> None:
    config, section = _first("frontend f\n    bind :80\n    use_backend a if { path /a }\n")
    set_default_backend(section, "  web ")
    assert write(config).endswith("    use_backend a if { path /a }\n    default_backend web\n")
    set_default_backend(section, "api")
    assert section.default_backend == "api" and len(section.nodes(DefaultBackend)) == 1
    set_default_backend(section, " ")
    assert not section.nodes(DefaultBackend) and "default_backend" not in write(config)


# --- sections --------------------------------------------------------------------------------


def test_append_section_sets_it_apart_with_one_blank_line() -> None:
    config, _section = _first("frontend f\n    bind :80\n")
    append_section(config, parse("backend b\n    server s 10.0.0.1:80\n").config.sections[0])
    assert write(config) == "frontend f\n    bind :80\n\nbackend b\n    server s 10.0.0.1:80\n"
    spaced = parse("frontend f\n    bind :80\n\n").config
    append_section(spaced, parse("backend b\n").config.sections[0])
    assert write(spaced) == "frontend f\n    bind :80\n\nbackend b\n"  # no second blank line
    empty = Config()
    append_section(empty, Section("backend", "b"))
    assert empty.preamble == [] and [s.name for s in empty.sections] == ["b"]


RENAME_TEXT = (
    "defaults base\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n\n"
    "userlist staff\n    user bob insecure-password pw\n\n"
    "frontend web from base\n    bind :80\n    acl ok http_auth(staff)\n"
    "    acl admin http_auth_group(staff) admins  # kept comment\n"
    "    http-request auth if !{ http_auth(staff) }\n"
    "    http-request deny if { http_auth(staffing) }\n"
    "    use_backend app if { path_beg /app }\n    use_backend apps if { path_beg /apps }\n"
    "    default_backend app\n\n"
    "backend app from base\n    server s 127.0.0.1:8080\n\n"
    "backend apps\n    server s 127.0.0.1:8081\n"
)


def test_renaming_a_backend_rewrites_use_and_default_backend_only() -> None:
    config = parse(RENAME_TEXT).config
    section = config.find("backend", "app")
    assert section is not None
    rename_section(config, section, "shop")
    text = write(config)
    assert "backend shop from base\n" in text  # the header keeps its other words
    assert "use_backend shop if { path_beg /app }\n    use_backend apps if" in text
    assert "default_backend shop\n" in text and "backend apps\n" in text
    assert text.replace("shop", "app") == RENAME_TEXT  # nothing else moved
    assert [d.message for d in validate(config) if d.is_error] == [
        "unable to find userlist 'staffing' referenced in arg 1 of ACL keyword 'http_auth'"]  # as before


def test_renaming_a_userlist_rewrites_http_auth_references() -> None:
    config = parse(RENAME_TEXT).config
    section = config.find("userlist", "staff")
    assert section is not None
    rename_section(config, section, "team")
    assert write(config) == RENAME_TEXT.replace("staff", "team").replace("teaming", "staffing")


def test_renaming_a_named_defaults_rewrites_from_on_the_headers() -> None:
    config = parse(RENAME_TEXT).config
    section = config.find("defaults", "base")
    assert section is not None
    rename_section(config, section, "common")
    assert write(config) == RENAME_TEXT.replace(" base\n", " common\n")
    web = config.find("frontend", "web")
    assert web is not None and meaning_of(config, web).defaults is section


def test_a_listen_is_a_backend_for_references() -> None:
    config = parse("listen app\n    bind :80\n    server s 127.0.0.1:1\n\n"
                   "frontend f\n    bind :81\n    default_backend app\n").config
    rename_section(config, config.sections[0], "app2")
    assert config.sections[1].default_backend == "app2"
    assert write(config).startswith("listen app2\n")


def test_rename_refuses_bad_names_taken_names_and_unnamed_sections() -> None:
    config = parse(RENAME_TEXT + "\ndefaults\n    mode tcp\n").config
    app = config.find("backend", "app")
    assert app is not None
    with pytest.raises(ValueError, match="character a space is not permitted"):
        rename_section(config, app, "my app")
    with pytest.raises(ValueError, match="already a backend 'apps'"):
        rename_section(config, app, "apps")
    with pytest.raises(ValueError, match="unnamed defaults"):
        rename_section(config, config.sections[-1], "x")
    rename_section(config, app, "app")  # its own name: nothing to do
    assert write(config) == RENAME_TEXT + "\ndefaults\n    mode tcp\n"
    userlist = config.find("userlist", "staff")
    assert userlist is not None
    rename_section(config, userlist, "app")  # another kind may have the name
    assert config.find("userlist", "app") is userlist


def test_renamed_references_are_nodes_again() -> None:
    config = parse(RENAME_TEXT).config
    section = config.find("backend", "app")
    assert section is not None
    rename_section(config, section, "shop")
    web = config.find("frontend", "web")
    assert web is not None
    assert [u.backend for u in web.nodes(UseBackend)] == ["shop", "apps"]


# --- names -----------------------------------------------------------------------------------

VALID_NAMES = ["web", "be_app-1", "a.b:c", "X9", "_", "-", "1"]
INVALID_NAMES = {  # name -> the character HAProxy names in its alert
    "my app": " ", "a@b": "@", "a/b": "/", "a+b": "+", "a,b": ",", "a%b": "%",
    "é": "é", "a=b": "=", "tab\there": "\t", "q'uote": "'",
}


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_section_names(name: str) -> None:
    assert valid_section_name(name) is None


@pytest.mark.parametrize(("name", "char"), INVALID_NAMES.items())
def test_invalid_section_names_say_which_character(name: str, char: str) -> None:
    problem = valid_section_name(name)
    assert problem is not None
    assert problem.startswith(f"character {'a space' if char == ' ' else repr(char)} is not permitted")
    assert "letters, digits and - _ . :" in problem


def test_an_empty_name_is_invalid() -> None:
    assert valid_section_name("") == "a name is required"


@pytest.mark.haproxy
@pytest.mark.parametrize("name", [*VALID_NAMES, *(n for n in INVALID_NAMES if not set(n) & set(" \t'"))])
def test_haproxy_agrees_on_names(name: str, tmp_path: Path, haproxy_bin: str) -> None:
    cfg = tmp_path / "names.cfg"
    cfg.write_text(f"userlist {name}\n    user u insecure-password x\n\n"
                   f"backend {name}\n    server s 127.0.0.1:1\n", encoding="utf-8")
    # errors="replace": for a non-ASCII name HAProxy prints the first byte of the character
    proc = subprocess.run([haproxy_bin, "-c", "-f", str(cfg)], cwd=tmp_path, capture_output=True,
                          text=True, errors="replace", timeout=30, check=False)
    refused = "is not permitted in" in proc.stderr
    assert refused == (valid_section_name(name) is not None), proc.stderr
    if refused:
        assert proc.stderr.count("is not permitted") == 2  # the userlist and the backend alike


# --- host names ------------------------------------------------------------------------------


def test_host_names_of_the_config() -> None:
    config = parse("frontend web\n    bind :80\n    acl a hdr(host) -i App.localhost app.localhost:8080\n"
                   "    acl b req.ssl_sni api.localhost\n    acl c path_beg /x\n"
                   "    acl d hdr_end(host) .example.test\n").config
    assert config_host_names(config) == ["app.localhost", "api.localhost"]  # as a certificate holds them


# --- defaults and global sections from the GUI ---------------------------------------------------


def test_added_defaults_apply_to_proxies_and_haproxy_accepts_them_without_warnings(
        tmp_path: Path, haproxy_check: HaproxyCheck) -> None:
    from proxy.config.edit import (
        add_defaults_section,
        add_global_section,
        set_keyword,
        set_option_state,
    )

    config = parse("frontend fe\n    bind 127.0.0.1:8080\n    default_backend be\n\n"
                   "backend be\n    server s1 127.0.0.1:9001\n").config
    add_defaults_section(config)
    add_global_section(config)
    defaults = config.find("defaults", None)
    assert defaults is not None
    set_option_state(defaults, "httplog", "on")
    set_option_state(defaults, "redispatch", "off")
    set_keyword(defaults, "retries", ["4"])
    set_keyword(defaults, "log", ["global"])  # httplog without a log target: HAProxy warns
    set_keyword(config.global_section, "maxconn", ["500"])  # type: ignore[arg-type]
    set_keyword(config.global_section, "log", ["stdout", "format", "raw", "local0"])  # type: ignore[arg-type]
    text = write(config)
    assert text.startswith("global\n    maxconn 500\n    log stdout format raw local0\n\ndefaults\n    mode http\n")
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    checked = haproxy_check(path, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "missing timeouts" not in checked.stderr and "WARNING" not in checked.stderr, checked.stderr
    assert validate(parse(text).config) == []


def test_a_new_defaults_leaves_the_proxies_of_an_existing_one_alone() -> None:
    from proxy.config.edit import add_defaults_section

    text = "defaults\n    mode tcp\n\nbackend be\n    server s1 127.0.0.1:9001\n"
    config = parse(text).config
    add_defaults_section(config, "web")
    backend = config.find("backend", "be")
    assert backend is not None
    assert meaning_of(config, backend).mode.value == "tcp"
    assert write(config).startswith("defaults web\n    mode http\n")


def test_option_keyword_and_from_edits_change_lines_in_place() -> None:
    from proxy.config.edit import set_from_defaults, set_keyword, set_option_state

    text = ("defaults base\n    mode http\n\ndefaults web\n    no option httplog # quiet\n"
            "    retries 2\n    option redispatch\n")
    config = parse(text).config
    web = config.find("defaults", "web")
    assert web is not None
    set_option_state(web, "httplog", "on")
    set_keyword(web, "retries", ["5"])
    set_from_defaults(web, "base")
    assert write(config) == text.replace("no option httplog", "option httplog").replace(
        "retries 2", "retries 5").replace("defaults web\n", "defaults web from base\n")
    set_option_state(web, "redispatch", "")
    set_keyword(web, "retries", [])
    set_from_defaults(web, "")
    assert write(config) == "defaults base\n    mode http\n\ndefaults web\n    option httplog # quiet\n"
