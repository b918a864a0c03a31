"""Tests for proxy.engine.acl: every fetch and matcher, files, conditions, errors."""

from __future__ import annotations

import ipaddress
import shlex
import subprocess
from pathlib import Path

import pytest
from _haproxy_harness import HAPROXY, HAVE_HAPROXY, acl_verdicts

from proxy.engine import acl as acl_module
from proxy.engine.acl import (
    AclError,
    CompiledAcl,
    RequestContext,
    check_condition,
    compile_acl,
    compile_acl_words,
    evaluate,
    parse_condition,
    split_acl_words,
    split_header_values,
    split_target,
)

ip = ipaddress.ip_address

WEB_HEADERS = [
    (b"Host", b"app.localhost:8080"),
    (b"User-Agent", b"Mozilla/5.0 (X11, Linux)"),
    (b"Accept", b"text/html, application/json;q=0.9"),
    (b"Cookie", b"SID=abc123; theme=dark"),
    (b"cookie", b"lang=fr"),
    (b"X-Forwarded-For", b"192.168.1.10, 10.0.0.5"),
    (b"X-Num", b"15"),
    (b"Content-Length", b"12"),
]


def http(
    target: bytes, headers: list[tuple[bytes, bytes]] | None = None, **more: object
) -> RequestContext:
    fields: dict[str, object] = {
        "src": ip("10.1.2.3"),
        "src_port": 40000,
        "dst": ip("127.0.0.1"),
        "dst_port": 8080,
        "method": b"GET",
        **more,
    }
    return RequestContext.for_http(target=target, headers=headers or [], **fields)  # type: ignore[arg-type]


CONTEXTS: dict[str, RequestContext] = {
    "web": http(
        b"/admin/users/list.php?id=42&lang=en&id=7",
        WEB_HEADERS,
        vars={"txn.user": b"bob"},
    ),
    "noquery": http(b"/plain", [(b"Host", b"example.com")]),
    "emptyquery": http(b"/plain?", []),
    "absolute": http(b"http://example.com:81/abs/path?q=1", []),
    "star": http(b"*", [], method=b"OPTIONS"),
    "propfind": http(b"/dav", [], method=b"PROPFIND"),
    "lowerget": http(b"/", [], method=b"get"),
    "post": http(b"/api", [(b"Content-Length", b"0")], method=b"POST"),
    "lightwork": http(b"/lightwork/job", [(b"Host", b"app.localhost")]),
    "heavywork": http(b"/heavywork", [(b"Host", b"app.localhost")]),
    "admin": http(b"/admin/", [(b"Host", b"app.localhost")], src=ip("127.0.0.1")),
    "tls": http(
        b"/",
        [(b"Host", b"secure.example.com")],
        ssl_fc=True,
        ssl_fc_sni="secure.example.com",
        ssl_fc_protocol="TLSv1.3",
        ssl_c_verify=0,
    ),
    "tcp": RequestContext(
        ip("192.168.5.5"),
        1234,
        ip("10.0.0.1"),
        443,
        req_payload=b"\x16\x03\x01\x02\x00\x01",
        req_ssl_sni="mail.example.org",
        req_ssl_hello_type=1,
    ),
    "v6": RequestContext(ip("2001:db8::5"), 5000, ip("::1"), 80),
    "mapped": RequestContext(ip("::ffff:10.9.8.7"), 5000, ip("::1"), 80),
    "6to4": RequestContext(ip("2002:a09:807::1"), 5000, ip("::1"), 80),
}

# (acl words as in a config line, context, expected)
ACL_TABLE: list[tuple[str, str, bool]] = [
    # the tutorial's ACLs
    ("path_beg /lightwork", "lightwork", True),
    ("path_beg /lightwork", "heavywork", False),
    ("path_beg /heavywork", "heavywork", True),
    ("path_beg /admin", "admin", True),
    ("path_beg /admin", "lightwork", False),
    ("hdr(host) -i app.localhost", "lightwork", True),
    ("hdr(host) -i APP.LOCALHOST", "lightwork", True),
    ("hdr(host) APP.LOCALHOST", "lightwork", False),
    ("hdr_dom(host) -i localhost", "lightwork", True),
    ("hdr_dom(host) -i localhost", "web", True),
    ("src 10.0.0.0/8", "web", True),
    ("src 10.0.0.0/8", "admin", False),
    # path and derivatives
    ("path /admin/users/list.php", "web", True),
    ("path /admin", "web", False),
    ("path_end .php", "web", True),
    ("path_end .PHP", "web", False),
    ("path_end -i .PHP", "web", True),
    ("path_sub users", "web", True),
    ("path_reg ^/admin/[a-z]+/", "web", True),
    ("path_reg -i ^/ADMIN", "web", True),
    ("path_dir users", "web", True),
    ("path_dir /admin/users", "web", True),
    ("path_dir list.php", "web", True),
    ("path_dir user", "web", False),
    ("path_dom php", "web", True),
    ("path_dom list", "web", True),
    ("path_dom ist", "web", False),
    ("path_len 21", "web", True),
    ("path_len gt 30", "web", False),
    ("path /abs/path", "absolute", True),
    ("path -m found", "star", False),
    ("path -m found", "tcp", False),
    # url, query, base, method
    ("url /admin/users/list.php?id=42&lang=en&id=7", "web", True),
    ("url_beg /admin", "web", True),
    ("url_sub lang=en", "web", True),
    ("url_dom users", "web", True),
    ("url_end id=7", "web", True),
    ("url_len 40", "web", True),
    ("url_reg ^/admin/.*\\.php\\?", "web", True),
    ("url *", "star", True),
    ("query id=42&lang=en&id=7", "web", True),
    ("query -m found", "noquery", False),
    ("query -m found", "emptyquery", True),
    ("query -m len 0", "emptyquery", True),
    ("base app.localhost:8080/admin/users/list.php", "web", True),
    ("base_beg app.localhost", "web", True),
    ("base_dir users", "web", True),
    ("base /plain", "emptyquery", True),
    ("method GET", "web", True),
    ("method get", "web", False),
    ("method -i get", "web", False),  # well-known methods ignore -i (pat_match_meth)
    ("method -m str -i get", "web", True),
    ("method PROPFIND", "propfind", True),
    ("method -i propfind", "propfind", True),
    ("method propfind", "propfind", False),
    ("method GET", "lowerget", False),  # "get" is not the GET method
    ("method POST PUT", "post", True),
    ("method -m found", "tcp", False),
    # url parameters: every occurrence is tried
    ("url_param(id) 42", "web", True),
    ("url_param(id) 7", "web", True),
    ("url_param(id) 8", "web", False),
    ("urlp(lang) en", "web", True),
    ("urlp_beg(lang) e", "web", True),
    ("urlp_val(id) gt 40", "web", True),
    ("urlp_val(id) gt 50", "web", False),
    ("url_param(ID) 42", "web", False),
    ("url_param(q) 1", "absolute", True),
    # headers: hdr splits values at commas, fhdr does not
    ('hdr(user-agent) "Mozilla/5.0 (X11, Linux)"', "web", False),
    ("hdr(user-agent) Linux)", "web", True),
    ('req.fhdr(user-agent) "Mozilla/5.0 (X11, Linux)"', "web", True),
    ("hdr_beg(host) app.", "web", True),
    ("hdr_end(host) :8080", "web", True),
    ("hdr_sub(user-agent) X11", "web", True),
    ("hdr_reg(accept) ^application/json", "web", True),
    ("hdr_len(host) 18", "web", True),
    ("hdr_dom(host) 8080", "web", True),
    ("hdr_dom(host) local", "web", False),
    ("hdr_dir(user-agent) 5.0", "web", False),
    ("hdr_dir(accept) json;q=0.9", "web", True),
    ("hdr_cnt(accept) 2", "web", True),
    ("hdr_cnt(cookie) eq 2", "web", True),
    ("hdr_cnt(x-missing) 0", "web", True),
    ("hdr_cnt(host) -m found", "tcp", False),
    ("hdr_val(x-num) ge 15", "web", True),
    ("hdr_val(x-num) gt 15", "web", False),
    ("hdr_val(x-num) lt 0", "web", False),
    ("hdr_ip(x-forwarded-for) 10.0.0.0/8", "web", True),
    ("hdr_ip(x-forwarded-for) 172.16.0.0/12", "web", False),
    ("req.hdr(x-forwarded-for,1) 192.168.1.10", "web", True),
    ("req.hdr(x-forwarded-for,-1) 10.0.0.5", "web", True),
    ("req.hdr(x-forwarded-for,1) 10.0.0.5", "web", False),
    ("req.hdr(X-FORWARDED-FOR) 10.0.0.5", "web", True),
    ("req.fhdr(accept) -m beg text/html,", "web", True),
    ("req.fhdr_cnt(cookie) 2", "web", True),
    ("req.hdr_cnt(accept) 2", "web", True),
    ("hdr(host) -m found", "web", True),
    ("hdr(x-missing) -m found", "web", False),
    ("req.hdr(host) -m found", "tcp", False),
    # cookies: names are case-sensitive, every Cookie line is read
    ("req.cook(SID) abc123", "web", True),
    ("req.cook(sid) abc123", "web", False),
    ("req.cook(lang) fr", "web", True),
    ("cook(theme) dark", "web", True),
    ("req.cook_cnt(theme) 1", "web", True),
    ("cook_beg(theme) da", "web", True),
    ("cook_len(SID) 6", "web", True),
    ("req.cook(nope) -m found", "web", False),
    # variables
    ("var(txn.user) bob", "web", True),
    ("var(txn.none) -m found", "web", False),
    # addresses and ports
    ("src 10.1.2.3", "web", True),
    ("src 10.12", "web", False),  # abbreviated: 10.0.0.12
    ("src 10.1.2.0/255.255.255.0", "web", True),
    ("src 192.168.0.0/16 10.1.0.0/16", "web", True),
    ("src ::ffff:10.1.2.3", "web", True),  # IPv4 sample against an IPv6 pattern
    ("src ::ffff:10.0.0.0/104", "web", True),
    ("src 2001:db8::/32", "v6", True),
    ("src 10.0.0.0/8", "v6", False),
    ("src 10.0.0.0/8", "mapped", True),
    ("src 10.9.8.7", "6to4", True),
    ("src_port 1024:65535", "web", True),
    ("src_port lt 1024", "web", False),
    ("src_port 40000", "web", True),
    ("src_port :1023", "tcp", False),
    ("dst 127.0.0.1", "web", True),
    ("dst ::1", "v6", True),
    ("dst_port 8080", "web", True),
    ("dst_port 80 443", "tcp", True),
    ("dst_port ge 1024", "tcp", False),
    # layer 4-6 content
    ("req.len gt 3", "tcp", True),
    ("req.len 0", "web", True),
    ("req_len 6", "tcp", True),
    ("req.payload(0,3) 160301", "tcp", True),
    ("req.payload(1,2) 0301", "tcp", True),
    ("req.payload(0,3) 170301", "tcp", False),
    ("req.payload(0,100) -m found", "tcp", False),
    ("req.payload(0,0) -m len 6", "tcp", True),
    ("payload(0,1) -m bin 16", "tcp", True),
    ("req.ssl_sni mail.example.org", "tcp", True),
    ("req_ssl_sni -i MAIL.example.org", "tcp", True),
    ("req.ssl_sni -m end .org", "tcp", True),
    ("req.ssl_sni -m found", "web", False),
    ("req.ssl_hello_type 1", "tcp", True),
    ("req_ssl_hello_type 2", "tcp", False),
    # TLS front connection
    ("ssl_fc", "tls", True),
    ("ssl_fc", "web", False),
    ("ssl_fc_sni secure.example.com", "tls", True),
    ("ssl_fc_sni_end .example.com", "tls", True),
    ("ssl_fc_sni_reg ^secure\\.", "tls", True),
    ("ssl_fc_protocol TLSv1.3", "tls", True),
    ("ssl_c_verify 0", "tls", True),
    ("ssl_c_verify -m found", "web", False),
    # constant fetches and explicit matching methods
    ("always_true", "tcp", True),
    ("always_false", "tcp", False),
    ("always_false -m int 0", "tcp", True),
    ("req.hdr_val(x-num) -m bool", "web", True),
    ("req.hdr(x-num) -m int 10:20", "web", True),
    ("req.hdr(x-num) -m bool", "web", True),
    ("req.hdr(x-forwarded-for,1) -m ip 192.168.0.0/16", "web", True),
    ("hdr_dom(host) -m beg app.", "web", True),
    ("path -m len 21", "web", True),
    ("path -m reg list", "web", True),
    ("src -m str 10.1.2.3", "web", True),
    ("src_port -m beg 400", "web", True),
    ("path -- -i", "web", False),
    # no pattern never matches
    ("path_beg", "web", False),
]


@pytest.mark.parametrize(("line", "context", "expected"), ACL_TABLE)
def test_acl_table(line: str, context: str, expected: bool) -> None:
    acl = compile_acl_words(shlex.split(line), base_dir=Path("."))
    assert acl.matches(CONTEXTS[context]) is expected


# --------------------------------------------------------------- pattern files


def test_pattern_files_mix_with_inline_patterns(tmp_path: Path) -> None:
    (tmp_path / "acl").mkdir()
    (tmp_path / "acl" / "paths.lst").write_text(
        "# static content\n\n/static\n   /images\n #not-a-comment\r\n/trailing  \n"
    )
    acl = compile_acl("url_beg", ["-f", "acl/paths.lst"], ["/api"], base_dir=tmp_path)
    matching = [b"/static/a.css", b"/images/x", b"/api/v1", b"#not-a-comment", b"/trailing  x"]
    for target in matching:
        assert acl.matches(http(target)), target
    for target in [b"/other", b"/trailing", b"/#", b"/ static"]:
        assert not acl.matches(http(target)), target


def test_dash_i_applies_only_to_later_files_and_patterns(tmp_path: Path) -> None:
    (tmp_path / "exact.lst").write_text("Exact\n")
    (tmp_path / "loose.lst").write_text("Loose\n")
    acl = compile_acl(
        "hdr(x-ua)", ["-f", "exact.lst", "-i", "-f", "loose.lst"], ["Inline"], base_dir=tmp_path
    )

    def agent(value: bytes) -> bool:
        return acl.matches(http(b"/", [(b"X-UA", value)]))

    assert agent(b"Exact") and not agent(b"EXACT")
    assert agent(b"LOOSE") and agent(b"inline")


def test_map_file_uses_its_first_column(tmp_path: Path) -> None:
    (tmp_path / "hosts.map").write_text("api.example.com backend_api\nwww.example.com\tweb\n")
    acl = compile_acl("hdr(host)", ["-M", "-f", "hosts.map"], [], base_dir=tmp_path)
    assert acl.matches(http(b"/", [(b"Host", b"api.example.com")]))
    assert not acl.matches(http(b"/", [(b"Host", b"backend_api")]))


def test_ip_pattern_file(tmp_path: Path) -> None:
    (tmp_path / "nets.lst").write_text("# internal\n10.0.0.0/8\n2001:db8::/32\n")
    acl = compile_acl("src", ["-f", "nets.lst"], [], base_dir=tmp_path)
    assert acl.matches(CONTEXTS["web"]) and acl.matches(CONTEXTS["v6"])
    assert not acl.matches(CONTEXTS["tcp"])


# ----------------------------------------------------------------------- errors

ERROR_TABLE = [
    ("pathx /a", "unknown fetch"),
    ("path -m nope /a", "unknown matching method"),
    ("src 300.1.1.1", "not a valid IPv4"),
    ("src not-an-ip", "host names are not resolved"),
    ("src 2001:db8::/200", "not a valid IPv6"),
    ("src 10.0.0.0/33", "not a valid IPv4"),
    ("path_reg (unclosed", "regex"),
    ("dst_port 5:1", "not a valid integer range"),
    ("dst_port abc", "is not a number"),
    ("dst_port gt x", "neither a number nor a supported operator"),
    ("req.payload(0,3) -m int 1", "cannot be used"),
    ("req.payload(0,3) zz", "not a valid hex string"),
    ("src -m bool", "cannot be used"),
    ("src -m bin 0a", "cannot be used"),
    ("ssl_fc -m ip 1.2.3.4", "cannot be used"),
    ("req.payload(0,3) -m found", None),  # allowed: no error
    ("hdr(a,1,2) x", "at most 2 arguments"),
    ("req.payload(1) x", "2 arguments"),
    ("req.hdr(host,x) a", "invalid occurrence"),
    ("var() x", "variable name"),
    ("path(1) /", "takes no argument"),
    ("path -z /a", "not a valid ACL option"),
    ("path -f", "missing argument"),
    ("path,nosuch /a", "unknown converter 'nosuch'"),
    ("path,field(x,:) /a", "converter 'field': field\\(\\) expects"),
    ("path,map(absent.map) /a", "converter 'map': cannot read map file"),
    ("hdr(host)x,lower a", "unexpected 'x' after"),
    ("http_auth(nobody)", "unable to find userlist 'nobody'"),
    ("http_auth", "missing userlist name"),
    ("hdr(host a", "missing closing"),
    ("url_param(id,ab) x", "single-character"),
]


@pytest.mark.parametrize(("line", "message"), ERROR_TABLE)
def test_bad_acls_are_rejected(line: str, message: str | None) -> None:
    words = shlex.split(line)
    if message is None:
        compile_acl_words(words, base_dir=Path("."))
        return
    with pytest.raises(AclError, match=message):
        compile_acl_words(words, base_dir=Path("."))


def test_converters_feed_a_map_file_into_the_match(tmp_path: Path) -> None:
    (tmp_path / "hosts.map").write_text("# host backend\napp.localhost be_app\napi.localhost be_api\n")
    acl = compile_acl_words(
        shlex.split("req.hdr(host),field(1,:),lower,map(hosts.map,none) -m str be_app"),
        base_dir=tmp_path,
    )
    assert acl.matches(http(b"/", [(b"Host", b"APP.localhost:8080")]))
    assert not acl.matches(http(b"/", [(b"Host", b"api.localhost")]))
    assert not acl.matches(http(b"/", []))  # no sample: the converters have nothing to map


def test_missing_pattern_file(tmp_path: Path) -> None:
    with pytest.raises(AclError, match="failed to open pattern file"):
        compile_acl("path", ["-f", "nope.lst"], [], base_dir=tmp_path)


def test_dash_m_after_dash_f_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "p.lst").write_text("/a\n")
    with pytest.raises(AclError, match="before patterns and files"):
        compile_acl("path", ["-f", "p.lst", "-m", "beg"], [], base_dir=tmp_path)


# ------------------------------------------------------------------- conditions


def declared(*lines: str) -> dict[str, list[CompiledAcl]]:
    acls: dict[str, list[CompiledAcl]] = {}
    for line in lines:
        name, *words = shlex.split(line)
        acls.setdefault(name, []).append(compile_acl_words(words, base_dir=Path(".")))
    return acls


TUTORIAL_ACLS = declared(
    "is_light path_beg /lightwork",
    "is_heavy path_beg /heavywork",
    "is_admin path_beg /admin",
    "is_app hdr(host) -i app.localhost",
    "internal src 10.0.0.0/8",
    "internal src 127.0.0.1",  # same name twice: ORed
    "static path_end .css .js",
)

CONDITION_TABLE = [
    ("if is_light", "lightwork", True),
    ("if is_light", "heavywork", False),
    ("unless is_light", "heavywork", True),
    ("if is_heavy is_app", "heavywork", True),
    ("if is_heavy !is_app", "heavywork", False),
    ("if ! is_app", "heavywork", False),
    ("if !!is_app", "heavywork", True),
    ("if is_admin !internal", "admin", False),  # 127.0.0.1 is internal (2nd line)
    ("if is_admin internal", "admin", True),
    ("if is_light or is_heavy", "heavywork", True),
    ("if is_light || is_admin", "heavywork", False),
    ("if is_light OR is_heavy is_app", "heavywork", True),
    ("if static or is_admin internal", "web", True),
    ("if static or is_admin internal", "lightwork", False),
    ("if { path_beg /light } is_app", "lightwork", True),
    ("if ! { path_beg /light }", "lightwork", False),
    ("if METH_GET LOCALHOST", "admin", True),
    ("if METH_POST", "admin", False),
    ("if HTTP_URL_SLASH", "web", True),
    ("if HTTP_URL_STAR", "star", True),
    ("if HTTP_URL_ABS", "absolute", True),
    ("if HTTP_CONTENT", "web", True),
    ("if HTTP_CONTENT", "post", False),
    ("if REQ_CONTENT", "tcp", True),
    ("if HTTP", "tcp", False),
    ("if HTTP TRUE !FALSE", "web", True),
    ("unless TRUE", "web", False),
]


@pytest.mark.parametrize(("text", "context", "expected"), CONDITION_TABLE)
def test_conditions(text: str, context: str, expected: bool) -> None:
    cond = parse_condition(shlex.split(text), base_dir=Path("."))
    check_condition(cond, TUTORIAL_ACLS)
    assert evaluate(cond, TUTORIAL_ACLS, CONTEXTS[context]) is expected


def test_declared_acl_overrides_predefined_name() -> None:
    acls = declared("TRUE always_false")
    cond = parse_condition(["if", "TRUE"], base_dir=Path("."))
    assert evaluate(cond, acls, CONTEXTS["web"]) is False


def test_condition_structure() -> None:
    cond = parse_condition(shlex.split("if a !b or { src 1.2.3.4 }"), base_dir=Path("."))
    assert cond.kind == "if"
    assert [[(t.negated, t.acl_name) for t in suite] for suite in cond.suites] == [
        [(False, "a"), (True, "b")],
        [(False, None)],
    ]
    assert cond.suites[1][0].anonymous is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("if", "missing ACL expression"),
        ("if a or", "missing ACL expression"),
        ("if or a", "missing ACL expression"),
        ("when a", "must start with"),
        ("if { path /a", "missing closing '}'"),
        ("if { nosuchfetch x }", "unknown fetch"),
    ],
)
def test_bad_conditions(text: str, message: str) -> None:
    with pytest.raises(AclError, match=message):
        parse_condition(shlex.split(text), base_dir=Path("."))


def test_unknown_acl_name_is_reported() -> None:
    cond = parse_condition(["if", "is_light", "nope"], base_dir=Path("."))
    with pytest.raises(AclError, match="no such ACL : 'nope'"):
        check_condition(cond, TUTORIAL_ACLS)
    with pytest.raises(AclError, match="nope"):
        evaluate(cond, TUTORIAL_ACLS, CONTEXTS["lightwork"])


# -------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        (b"/a/b?x=1", b"/a/b", b"x=1"),
        (b"/a?", b"/a", b""),
        (b"/a", b"/a", None),
        (b"http://h:81/p?q", b"/p", b"q"),
        (b"http://h", None, None),
        (b"*", None, None),
        (b"example.com:443", None, None),
    ],
)
def test_split_target(target: bytes, path: bytes | None, query: bytes | None) -> None:
    assert split_target(target) == (path, query)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"a, b,c", [b"a", b"b", b"c"]),
        (b'"x,y", z', [b'"x,y"', b"z"]),
        (b'"a\\",b", c', [b'"a\\",b"', b"c"]),
        (b"single", [b"single"]),
    ],
)
def test_split_header_values(value: bytes, expected: list[bytes]) -> None:
    assert split_header_values(value) == expected


def test_split_acl_words() -> None:
    assert split_acl_words(["hdr(host)", "-i", "-f", "x.lst", "-m", "dom", "a", "-i"]) == (
        "hdr(host)",
        ["-i", "-f", "x.lst", "-m", "dom"],
        ["a", "-i"],
    )
    assert split_acl_words(["path", "--", "-i"]) == ("path", ["--"], ["-i"])


# ------------------------------------------------------- parity with haproxy

HAPROXY_ACLS = [
    "path_beg /admin",
    "path_end -i .PHP",
    "path_dir users",
    "path_dom php",
    "path_len gt 10",
    "url_sub lang=en",
    "url_param(id) 7",
    "urlp_val(id) gt 40",
    "query -m found",
    "base_beg app.localhost",
    "method -i get",
    "method GET",
    "method -m str -i get",
    "hdr(host) -i app.localhost",
    "hdr_dom(host) -i localhost",
    "hdr(user-agent) Linux)",
    "req.fhdr(user-agent) -m sub X11,",
    "hdr_cnt(accept) 2",
    "hdr_val(x-num) ge 15",
    "hdr_ip(x-forwarded-for) 10.0.0.0/8",
    "req.hdr(x-forwarded-for,1) 192.168.1.10",
    "req.hdr(x-forwarded-for,-1) 192.168.1.10",
    "req.cook(SID) abc123",
    "req.cook(lang) fr",
    "req.cook_cnt(theme) 1",
    "hdr(x-missing) -m found",
    "src 127.0.0.0/8",
    "src ::ffff:127.0.0.1",
    "src_port 1024:65535",
    "always_false -m int 0",
    "hdr_val(x-num) -- -20",  # pat_parse_int quirk: a leading '-' is a range separator
    "hdr_val(x-num) 10-20",
    "hdr_val(x-num) lt 0",
    "path_dom .admin.",
    "path_dir /users/",
    "path_dir user",
    "hdr_dom(host) app.localhost:8080",
    "hdr_dom(host) local",
    "hdr(accept) application/json;q=0.9",
    "hdr_sub(accept) -i JSON",
    "hdr_ip(x-forwarded-for) 192.168.1.10",
    "cook_len(SID) 6",
    "url_param(lang) en",
    "query -m len 0",
    "src 127.1",
    "path_reg ^/a/",
    # converters, applied to every sample before matching
    "hdr(host),lower -m str app.localhost:8080",
    "req.hdr(host),field(1,:) app.localhost",
    "req.hdr(host),field(1,:),upper APP.LOCALHOST",
    "req.hdr(host),field(-1,:) 8080",
    "path,lower -m end .php",
    "path,upper -m beg /ADMIN",
    "path,upper -m beg /admin",
    "hdr(user-agent),lower -m sub linux",
    "req.hdr(host),regsub(localhost,example,g) -m beg app.example",
    "req.hdr(x-forwarded-for),regsub([.],_,g) 10_0_0_5",
    "url_param(lang),upper EN",
    "req.cook(SID),upper -m reg ^ABC[0-9]+$",
    "req.hdr(x-missing),lower -m found",
]

HAPROXY_TARGETS = [b"/admin/users/list.php?id=42&lang=en&id=7", b"/plain", b"/a/list.PHP?"]


def raw_request(target: bytes) -> bytes:
    lines = [b"GET " + target + b" HTTP/1.1", *(n + b": " + v for n, v in WEB_HEADERS)]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


@pytest.mark.haproxy
@pytest.mark.skipif(not HAVE_HAPROXY, reason="haproxy binary not installed")
def test_acl_verdicts_match_real_haproxy() -> None:
    theirs = acl_verdicts(HAPROXY_ACLS, [raw_request(t) for t in HAPROXY_TARGETS])
    compiled = [compile_acl_words(shlex.split(a), base_dir=Path(".")) for a in HAPROXY_ACLS]
    for target, verdicts in zip(HAPROXY_TARGETS, theirs, strict=True):
        ctx = http(target, [*WEB_HEADERS, (b"Connection", b"close")], src=ip("127.0.0.1"))
        ours = [acl.matches(ctx) for acl in compiled]
        differing = [a for a, o, t in zip(HAPROXY_ACLS, ours, verdicts, strict=True) if o != t]
        assert differing == [], target


def probe_criterion(keyword: str) -> str:
    """``keyword`` with arguments its fetch requires, for a config check."""
    fetch = acl_module.resolve_fetch_name(keyword)
    argument = {"req.payload": "(0,1)", "var": "(txn.x)", "http_auth": "(probe)",
                "http_auth_group": "(probe)"}.get(fetch, "")
    return keyword + argument


def probe_patterns(keyword: str) -> str:
    """``-m found``, except where HAProxy insists on patterns (groups of a userlist)."""
    return "g" if keyword == "http_auth_group" else "-m found"


@pytest.mark.haproxy
@pytest.mark.skipif(not HAVE_HAPROXY, reason="haproxy binary not installed")
def test_every_accepted_keyword_is_accepted_by_haproxy(tmp_path: Path) -> None:
    keywords = acl_module.known_keywords()
    lines = [
        "userlist probe",
        "  group g",
        "  user u insecure-password p",
        "defaults",
        "  mode http",
        "  timeout client 1s",
        "  timeout server 1s",
        "  timeout connect 1s",
        "frontend fe",
        "  bind 127.0.0.1:18999",
        *(f"  http-request deny if {{ {probe_criterion(k)} {probe_patterns(k)} }}"
          for k in keywords),
    ]
    config = tmp_path / "keywords.cfg"
    config.write_text("\n".join(lines) + "\n")
    check = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
