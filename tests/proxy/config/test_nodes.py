"""Per-keyword tables: a line -> does it parse, into which node, with which fields
-> does it write back identically (and through an edit, render as expected)."""

from __future__ import annotations

from typing import Any

import pytest

from proxy.config.directives import (
    Capture,
    CookieLine,
    ErrorFile,
    HashType,
    HttpCheck,
    LogFormat,
    LogLine,
    Setting,
    StatsLine,
    Stick,
    StickTable,
)
from proxy.config.model import Section
from proxy.config.nodes import (
    Acl,
    Balance,
    Bind,
    Condition,
    DefaultBackend,
    Generic,
    Mode,
    OptionLine,
    Rule,
    Server,
    Term,
    Timeout,
    UseBackend,
)
from proxy.config.parser import parse
from proxy.config.tokens import tokenize_line
from proxy.config.writer import write


def _one(line: str) -> tuple[Section, Any]:
    result = parse(f"backend b\n    {line}\n")
    assert result.ok, result.diagnostics
    section = result.config.sections[0]
    assert write(result.config) == f"backend b\n    {line}\n"
    return section, section.body[0].node


NODE_CASES: list[tuple[str, type, dict[str, Any]]] = [
    ("mode http", Mode, {"value": "http"}),
    ("mode tcp", Mode, {"value": "tcp"}),
    ("timeout client 30s", Timeout, {"kind": "client", "value": "30s", "ms": 30000}),
    ("timeout http-request 10s", Timeout, {"kind": "http-request", "ms": 10000}),
    ("timeout connect 500", Timeout, {"ms": 500}),
    ("timeout tunnel 1h", Timeout, {"ms": 3_600_000}),
    ("timeout queue 100us", Timeout, {"ms": 0.1}),
    ("balance roundrobin", Balance, {"name": "roundrobin", "param": None}),
    ("balance source", Balance, {"name": "source"}),
    ("balance hdr(host)", Balance, {"name": "hdr", "param": "host"}),
    ("balance url_param userid check_post", Balance, {"name": "url_param", "param": "userid"}),
    ("balance uri whole", Balance, {"name": "uri", "args": ["whole"]}),
    ("default_backend web", DefaultBackend, {"backend": "web"}),
    ("use_backend api if is_api", UseBackend, {"backend": "api"}),
    ("use_backend %[req.hdr(host),lower,map(hosts.map,def)]", UseBackend, {"condition": None}),
    (
        "option forwardfor except 127.0.0.0/8",
        OptionLine,
        {"name": "forwardfor", "args": ["except", "127.0.0.0/8"], "enabled": True},
    ),
    ("no option http-server-close", OptionLine, {"name": "http-server-close", "enabled": False}),
    ("option httpchk GET /health", OptionLine, {"name": "httpchk", "args": ["GET", "/health"]}),
    ("bind :80", Bind, {"addresses": [":80"], "ssl": False}),
    (
        "bind 127.0.0.1:8443,[::1]:8443 ssl crt certs/site.pem alpn http/1.1",
        Bind,
        {"ssl": True, "certificates": ["certs/site.pem"]},
    ),
    ("bind :8000-8010 name web accept-proxy", Bind, {"addresses": [":8000-8010"]}),
    (
        "server s1 10.0.0.1:80 check weight 3 backup",
        Server,
        {"name": "s1", "host": "10.0.0.1", "port": "80", "weight": 3},
    ),
    ("server s6 [::1]:8080 check", Server, {"host": "::1", "port": "8080"}),
    ("server sock /var/run/app.sock", Server, {"address": "/var/run/app.sock"}),
    ("default-server inter 2s fall 3 rise 2", Server, {"default": True}),
    (
        "acl is_admin path_beg /admin",
        Acl,
        {"name": "is_admin", "fetch": "path_beg", "patterns": ["/admin"]},
    ),
    (
        "acl host_app hdr(host) -i app.localhost app.test",
        Acl,
        {"ignore_case": True, "patterns": ["app.localhost", "app.test"]},
    ),
    ("acl bad src -f acl/blocklist.lst", Acl, {"files": ["acl/blocklist.lst"], "patterns": []}),
    ("acl m path -m beg -i /a", Acl, {"matcher": "beg", "ignore_case": True}),
    ("acl neg path -- -dash", Acl, {"patterns": ["-dash"]}),
    ("acl big req.len gt 1000", Acl, {"patterns": ["gt", "1000"]}),
    (
        "http-request deny deny_status 429 if too_fast",
        Rule,
        {"action": "deny", "args": ["deny_status", "429"]},
    ),
    ("http-request redirect scheme https code 301 unless { ssl_fc }", Rule, {"action": "redirect"}),
    (
        "http-request set-header X-Forwarded-Proto https if { ssl_fc }",
        Rule,
        {"args": ["X-Forwarded-Proto", "https"]},
    ),
    (
        'http-request return status 200 content-type text/plain string "ok"',
        Rule,
        {"action": "return"},
    ),
    ("http-response del-header Server", Rule, {"family": "http-response", "action": "del-header"}),
    ("tcp-request inspect-delay 5s", Rule, {"stage": "inspect-delay", "args": ["5s"]}),
    (
        "tcp-request content accept if { req_ssl_hello_type 1 }",
        Rule,
        {"stage": "content", "action": "accept"},
    ),
    ("tcp-request connection reject if bad", Rule, {"stage": "connection", "action": "reject"}),
    ("retries 3", Setting, {"name": "retries", "number": 3}),
    ("maxconn 2000", Setting, {"number": 2000}),
    (
        "cookie SERVERID insert indirect nocache",
        CookieLine,
        {"name": "SERVERID", "method": "insert"},
    ),
    (
        "cookie JSESSIONID prefix domain .example.com nocache",
        CookieLine,
        {"method": "prefix", "flags": ["prefix", "domain", "nocache"]},
    ),
    (
        "http-check expect status 200",
        HttpCheck,
        {"expectation": ("status", "200"), "negated": False},
    ),
    (
        "http-check expect ! string error",
        HttpCheck,
        {"expectation": ("string", "error"), "negated": True},
    ),
    (
        "http-check send meth GET uri /health ver HTTP/1.1 hdr Host app",
        HttpCheck,
        {"directive": "send"},
    ),
    (
        "stick-table type ip size 100k expire 30s store http_req_rate(10s)",
        StickTable,
        {"table_type": "ip"},
    ),
    (
        "stick on src table pool if is_web",
        Stick,
        {"kind": "on", "pattern": "src", "args": ["src", "table", "pool"]},
    ),
    ("stats uri /stats", StatsLine, {"directive": "uri", "args": ["/stats"]}),
    ("stats auth admin:s3cret", StatsLine, {"credentials": ("admin", "s3cret")}),
    ("stats refresh 10s", StatsLine, {"refresh_ms": 10000}),
    ("stats admin if LOCALHOST", StatsLine, {"directive": "admin", "args": []}),
    ("log global", LogLine, {"is_global": True, "target": None}),
    ("log 127.0.0.1:514 local0 info", LogLine, {"target": "127.0.0.1:514"}),
    ("no log", LogLine, {"negated": True}),
    (
        'log-format "%ci:%cp [%tr] %ft %b/%s %ST %B"',
        LogFormat,
        {"format": "%ci:%cp [%tr] %ft %b/%s %ST %B"},
    ),
    ("capture request header Host len 64", Capture, {"what": "request header", "length": 64}),
    ("capture cookie SESSION len 32", Capture, {"what": "cookie", "length": 32}),
    ("errorfile 503 errors/503.http", ErrorFile, {"code": "503", "path": "errors/503.http"}),
    (
        "hash-type consistent sdbm avalanche",
        HashType,
        {"method": "consistent", "function": "sdbm", "modifier": "avalanche"},
    ),
    ("hash-type map-based", HashType, {"function": None}),
    ("description a backend for the API", Generic, {}),
]


@pytest.mark.parametrize(("line", "kind", "fields"), NODE_CASES, ids=[c[0] for c in NODE_CASES])
def test_line_parses_into_node_and_writes_back(
    line: str, kind: type, fields: dict[str, Any]
) -> None:
    _, node = _one(line)
    assert type(node) is kind
    for name, value in fields.items():
        assert getattr(node, name) == value, name
    assert node.to_words() == [w.value for w in tokenize_line(line).words]


def test_condition_structure() -> None:
    _, node = _one("use_backend b if a !b || { path_beg /x } c or ! d")
    assert node.condition.groups() == [
        [Term(False, "a"), Term(True, "b")],
        [Term(False, anonymous=("path_beg", "/x")), Term(False, "c")],
        [Term(True, "d")],
    ]
    assert [n for _, n in node.condition.acl_names()] == ["a", "b", "c", "d"]


def test_condition_build_round_trips() -> None:
    built = Condition.build(
        "unless", [[Term(False, "a"), Term(True, "b")], [Term(False, anonymous=("ssl_fc",))]]
    )
    assert built.to_words() == ["unless", "a", "!", "b", "||", "{", "ssl_fc", "}"]
    assert Condition("unless", built.words).groups() == [
        [Term(False, "a"), Term(True, "b")],
        [Term(False, anonymous=("ssl_fc",))],
    ]


@pytest.mark.parametrize(
    ("line", "col", "message"),
    [
        ("mode", 5, "'mode' expects"),
        ("use_backend", 5, "'use_backend' expects a backend name"),
        ("use_backend x when y", 19, "unexpected 'when'"),
        ("server s1", 12, "'server' expects <name> and <address>"),
        ("acl a", 9, "'acl' expects"),
        ("timeout client", 13, "expects exactly one time value"),
    ],
)
def test_malformed_statement_is_located_and_kept(line: str, col: int, message: str) -> None:
    text = f"backend b\n    {line}\n"
    result = parse(text, "f.cfg")
    assert write(result.config) == text
    [diag] = result.errors
    assert (diag.line, diag.col) == (2, col)
    assert message in diag.message
    assert str(diag).startswith(f"f.cfg:2:{col}: error: ")


def test_edit_changes_only_the_edited_line() -> None:
    text = "backend b\n\tbalance roundrobin   # rr\n\tserver s1 10.0.0.1:80   check weight 1  # first\n\tserver s2 10.0.0.2:80 check\n"
    result = parse(text)
    backend = result.config.sections[0]
    backend.servers[0].set_option("weight", "5")
    out = write(result.config).splitlines()
    assert out[1] == "\tbalance roundrobin   # rr"
    assert out[2] == "\tserver s1 10.0.0.1:80 check weight 5  # first"
    assert out[3] == "\tserver s2 10.0.0.2:80 check"


def test_new_statements_use_section_indentation_and_order() -> None:
    result = parse("backend b\n  server s1 10.0.0.1:80\n\nbackend c\n")
    backend = result.config.sections[0]
    backend.add(Server("s2", "10.0.0.2:80", [["check"]]))
    backend.add(Generic(["retries", "3"]), "# new")
    assert write(result.config) == (
        "backend b\n  server s1 10.0.0.1:80\n  server s2 10.0.0.2:80 check\n  retries 3 # new\n\nbackend c\n"
    )


def test_quoting_of_edited_values() -> None:
    result = parse("frontend f\n    http-request return string ok\n")
    rule = result.config.sections[0].rules[0]
    rule.args = ["string", "hello world"]
    assert write(result.config) == "frontend f\n    http-request return string 'hello world'\n"
