"""The keyword registry: lookup/suggest behaviour, table sanity, and agreement
with the real HAProxy 2.6 binary on where keywords are accepted."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from proxy.config import keywords as kw
from proxy.config.keywords import Sec

# --- lookup -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "name", "used"),
    [
        (["timeout", "client", "30s"], "timeout client", 2),
        (["capture", "request", "header", "Host", "len", "64"], "capture request header", 3),
        (["tcp-request", "content", "accept", "if", "HTTP"], "tcp-request content", 2),
        (["tcp-request", "inspect-delay", "5s"], "tcp-request inspect-delay", 2),
        (["http-request", "deny", "if", "bad"], "http-request", 1),
        (["option", "httpchk", "GET", "/health"], "option httpchk", 2),
        (["stats", "uri", "/stats"], "stats uri", 2),
        (["stats", "socket", "/run/haproxy.sock"], "stats socket", 2),
        (["http-check", "expect", "status", "200"], "http-check expect", 2),
        (["external-check", "command", "/bin/true"], "external-check command", 2),
        (["external-check"], "external-check", 1),
        (["bind", ":80"], "bind", 1),
        (["email-alert", "to", "ops@example.com"], "email-alert to", 2),
    ],
)
def test_lookup_takes_the_longest_multi_word_keyword(
    words: list[str], name: str, used: int
) -> None:
    keyword, count = kw.lookup(words)
    assert keyword is not None and (keyword.name, count) == (name, used)


@pytest.mark.parametrize(
    ("words", "name", "used"),
    [
        (["no", "option", "httpclose"], "option httpclose", 3),
        (["default", "option", "http-keep-alive"], "option http-keep-alive", 3),
        (["no", "log"], "log", 2),
        (["no", "busy-polling"], "busy-polling", 2),
    ],
)
def test_lookup_counts_a_no_or_default_prefix(words: list[str], name: str, used: int) -> None:
    keyword, count = kw.lookup(words)
    assert keyword is not None and (keyword.name, count) == (name, used)
    assert keyword.no_prefix


def test_lookup_reports_prefix_on_keywords_that_refuse_it() -> None:
    # HAProxy: "negation/default is not supported for option 'forwardfor'"
    keyword, count = kw.lookup(["no", "option", "forwardfor"])
    assert keyword is not None and keyword.name == "option forwardfor" and count == 3
    assert not keyword.no_prefix


@pytest.mark.parametrize(
    ("words", "name", "used"),
    [
        (["http-check", "set-var(check.x)", "int(1)"], "http-check set-var", 2),
        (["tcp-check", "unset-var(check.x)"], "tcp-check unset-var", 2),
        (["persist", "rdp-cookie(mstshash)"], "persist rdp-cookie", 2),
        (["persist", "rdp-cookie"], "persist rdp-cookie", 2),
    ],
)
def test_lookup_accepts_arguments_glued_in_parentheses(
    words: list[str], name: str, used: int
) -> None:
    keyword, count = kw.lookup(words)
    assert keyword is not None and (keyword.name, count) == (name, used)


def test_lookup_does_not_strip_parentheses_from_other_keywords() -> None:
    assert kw.lookup(["timeout", "client(x)", "1s"]) == (None, 0)


@pytest.mark.parametrize(
    "words",
    [
        [],
        ["frobnicate", "1"],
        ["timeout", "frob", "1s"],
        ["option", "no-such-option"],
        ["no"],
        ["no", "frob"],
        ["stats"],
        ["http-check"],
    ],
)
def test_lookup_unknown(words: list[str]) -> None:
    assert kw.lookup(words) == (None, 0)


def test_lookup_finds_removed_keywords_so_they_can_be_explained() -> None:
    keyword, count = kw.lookup(["reqrep", "^(.*)", "\\1"])
    assert keyword is not None and keyword.removed and count == 1
    keyword, count = kw.lookup(["option", "forceclose"])
    assert keyword is not None and keyword.removed and count == 2


def test_lookup_by_section_separates_global_and_proxy_meanings() -> None:
    in_global, _ = kw.lookup(["maxconn", "1000"], Sec.GLOBAL)
    in_frontend, _ = kw.lookup(["maxconn", "1000"], Sec.FRONTEND)
    assert in_global is not None and in_frontend is not None
    assert in_global.sections == Sec.GLOBAL and Sec.FRONTEND in in_frontend.sections
    assert in_global.doc != in_frontend.doc
    assert kw.lookup(["stats", "socket", "/x"], Sec.BACKEND) == (None, 0)
    assert kw.lookup(["bind", ":80"], Sec.GLOBAL) == (None, 0)
    merged, _ = kw.lookup(["maxconn", "1000"])
    assert merged is not None and merged.sections == Sec.GLOBAL | in_frontend.sections


# --- suggest / keywords_for ------------------------------------------------------


def test_suggest_finds_close_names() -> None:
    frontend = [k.name for k in kw.keywords_for(Sec.FRONTEND)]
    assert kw.suggest("timeout clinet", frontend) == "timeout client"
    assert kw.suggest("default-backend", frontend) == "default_backend"
    assert kw.suggest("roundrobn", kw.BALANCE_ALGORITHMS) == "roundrobin"
    assert kw.suggest("chek", kw.SERVER_OPTIONS) == "check"


def test_suggest_returns_none_when_nothing_is_close() -> None:
    assert kw.suggest("xyzzy-plugh", [k.name for k in kw.keywords_for(Sec.BACKEND)]) is None
    assert kw.suggest("bind", []) is None


def test_keywords_for_follows_the_matrix() -> None:
    def names(sec: Sec) -> set[str]:
        return {k.name for k in kw.keywords_for(sec)}

    frontend, backend, glob = names(Sec.FRONTEND), names(Sec.BACKEND), names(Sec.GLOBAL)
    assert {"bind", "default_backend", "use_backend", "timeout client"} <= frontend
    assert {"balance", "server", "timeout server"}.isdisjoint(frontend)
    assert {"balance", "server", "default-server", "timeout connect"} <= backend
    assert {"bind", "default_backend", "use_backend"}.isdisjoint(backend)
    assert {"nbthread", "maxconn", "stats socket", "log"} <= glob and "bind" not in glob
    assert "reqrep" not in names(Sec.LISTEN) and "nbproc" not in glob  # removed: never suggested
    listed = [k.name for k in kw.keywords_for(Sec.LISTEN)]
    assert listed == sorted(listed)


# --- table sanity -------------------------------------------------------------


def _one_line(text: str) -> bool:
    return bool(text) and "\n" not in text and text == text.strip()


def test_every_keyword_is_well_formed() -> None:
    for name, k in kw.KEYWORDS.items():
        assert k.name == name
        assert k.sections, name
        assert _one_line(k.doc), name
        assert "\n" not in k.synopsis, name
        assert k.max_args is None or k.min_args <= k.max_args, name
        assert not (k.ignored_in & k.sections), name
        assert not (k.removed and k.deprecated), name
        if k.named_defaults_only:
            assert Sec.DEFAULTS in k.sections, name


def test_no_duplicate_keywords_in_the_literal_tables() -> None:
    for table in (kw._PROXY_KEYWORDS, kw._GLOBAL_KEYWORDS, kw._REMOVED_KEYWORDS):
        names = [k.name for k in table]
        assert len(names) == len(set(names))


def test_no_prefix_is_limited_to_what_haproxy_allows() -> None:
    # HAProxy 2.6: "negation/default currently supported only for options, log,
    # busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping"
    allowed_globals = {
        "busy-polling",
        "set-dumpable",
        "strict-limits",
        "insecure-fork-wanted",
        "numa-cpu-mapping",
    }
    for k in kw.KEYWORDS.values():
        if k.no_prefix:
            assert k.name.startswith("option ") or k.name == "log" or k.name in allowed_globals, (
                k.name
            )
    assert (
        kw.KEYWORDS["option http-keep-alive"].no_prefix
        and not kw.KEYWORDS["option forwardfor"].no_prefix
    )


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        *[
            (n, "http-request")
            for n in (
                "reqadd",
                "reqdel",
                "reqidel",
                "reqallow",
                "reqdeny",
                "reqideny",
                "reqtarpit",
                "reqirep",
            )
        ],
        ("reqrep", "http-request replace-path"),
        *[
            (n, "http-response")
            for n in ("rsprep", "rspirep", "rspadd", "rspdel", "rspidel", "rspdeny", "rspideny")
        ],
        ("contimeout", "timeout connect"),
        ("clitimeout", "timeout client"),
        ("srvtimeout", "timeout server"),
        ("redispatch", "option redispatch"),
        ("block", "http-request deny"),
        ("reqsetbe", "use_backend"),
        ("reqisetbe", "use_backend"),
        ("nbproc", "nbthread"),
        ("reqpass", "2.1"),
        ("monitor-net", "http-request return"),
    ],
)
def test_removed_keywords_name_their_replacement(name: str, replacement: str) -> None:
    message = kw.KEYWORDS[name].removed
    assert message and replacement in message


def test_nbproc_is_a_removed_global_keyword() -> None:
    nbproc = kw.GLOBAL_KEYWORDS["nbproc"]
    assert nbproc.sections == Sec.GLOBAL and nbproc.removed and "2.5" in nbproc.removed


def test_section_kinds() -> None:
    proxies = {
        "global": Sec.GLOBAL,
        "defaults": Sec.DEFAULTS,
        "frontend": Sec.FRONTEND,
        "listen": Sec.LISTEN,
        "backend": Sec.BACKEND,
    }
    assert {k: v for k, v in kw.SECTION_KINDS.items() if v is not None} == proxies
    assert {
        "userlist",
        "peers",
        "resolvers",
        "mailers",
        "http-errors",
        "cache",
        "program",
        "ring",
        "fcgi-app",
        "log-forward",
    } <= {k for k, v in kw.SECTION_KINDS.items() if v is None}
    assert Sec.PROXY == Sec.DEFAULTS | Sec.FRONTEND | Sec.LISTEN | Sec.BACKEND


def test_option_tables() -> None:
    for table in (kw.BIND_OPTIONS, kw.SERVER_OPTIONS):
        for name, spec in table.items():
            assert spec.name == name and spec.nargs in (0, 1) and _one_line(spec.doc), name
    flags = {
        "ssl": 0,
        "accept-proxy": 0,
        "crt": 1,
        "crt-list": 1,
        "alpn": 1,
        "ca-file": 1,
        "verify": 1,
        "name": 1,
        "ssl-min-ver": 1,
        "ssl-max-ver": 1,
        "npn": 1,
        "ciphers": 1,
    }
    assert {n: kw.BIND_OPTIONS[n].nargs for n in flags} == flags
    server = {
        "weight": 1,
        "backup": 0,
        "maxconn": 1,
        "check": 0,
        "inter": 1,
        "fastinter": 1,
        "downinter": 1,
        "rise": 1,
        "fall": 1,
        "port": 1,
        "disabled": 0,
        "ssl": 0,
        "verify": 1,
        "ca-file": 1,
        "sni": 1,
        "send-proxy": 0,
        "cookie": 1,
        "check-ssl": 0,
        "no-check": 0,
        "no-ssl": 0,
    }
    assert {n: kw.SERVER_OPTIONS[n].nargs for n in server} == server


def test_balance_timeouts_and_acl_tables() -> None:
    assert set(kw.BALANCE_ALGORITHMS) == {
        "roundrobin",
        "static-rr",
        "leastconn",
        "first",
        "hash",
        "source",
        "uri",
        "url_param",
        "hdr",
        "random",
        "rdp-cookie",
    }
    assert {n for n, a in kw.BALANCE_ALGORITHMS.items() if a.hashing} == {
        "hash",
        "source",
        "uri",
        "url_param",
        "hdr",
        "rdp-cookie",
    }
    assert kw.BALANCE_ALGORITHMS["hdr"].args.startswith("(")
    assert set(kw.TIMEOUT_KINDS) == {
        "client",
        "server",
        "connect",
        "http-request",
        "http-keep-alive",
        "queue",
        "tunnel",
        "client-fin",
        "server-fin",
        "check",
        "tarpit",
    }
    assert set(kw.MATCHERS) == {
        "found",
        "bool",
        "int",
        "ip",
        "bin",
        "len",
        "str",
        "sub",
        "reg",
        "beg",
        "end",
        "dir",
        "dom",
    }
    assert kw.ACL_FLAGS == {"-i": 0, "-f": 1, "-m": 1, "-n": 0, "-M": 0, "-u": 1, "--": 0}


REQUIRED_FETCHES = [
    "src",
    "dst",
    "dst_port",
    "src_port",
    "path",
    "path_beg",
    "path_end",
    "path_sub",
    "path_reg",
    "path_dir",
    "path_len",
    "url",
    "url_beg",
    "url_param",
    "base",
    "query",
    "method",
    "hdr",
    "hdr_beg",
    "hdr_end",
    "hdr_sub",
    "hdr_dom",
    "hdr_reg",
    "hdr_cnt",
    "hdr_val",
    "req.hdr",
    "req.cook",
    "req.len",
    "req.payload",
    "ssl_fc",
    "ssl_fc_sni",
    "ssl_fc_protocol",
    "ssl_c_verify",
    "req.ssl_sni",
    "req_ssl_sni",
    "req_ssl_hello_type",
    "req.ssl_hello_type",
    "nbsrv",
    "always_true",
    "always_false",
]


def test_fetches() -> None:
    assert set(REQUIRED_FETCHES) <= set(kw.FETCHES)
    for name, fetch in kw.FETCHES.items():
        assert (
            fetch.name == name
            and fetch.default_match in kw.MATCHERS
            and fetch.layer in (4, 7)
            and _one_line(fetch.doc)
        ), name
    shorthands = {
        "path_beg": "beg",
        "path_end": "end",
        "path_sub": "sub",
        "path_reg": "reg",
        "path_dir": "dir",
        "path_len": "len",
        "hdr_dom": "dom",
        "url_beg": "beg",
    }
    assert {n: kw.FETCHES[n].default_match for n in shorthands} == shorthands
    assert {
        n: kw.FETCHES[n].default_match for n in ("src", "dst_port", "ssl_fc", "path", "req.payload")
    } == {"src": "ip", "dst_port": "int", "ssl_fc": "bool", "path": "str", "req.payload": "bin"}
    assert {
        n
        for n in ("src", "dst", "dst_port", "req.len", "req.payload", "req.ssl_sni", "ssl_fc")
        if kw.FETCHES[n].layer == 4
    } == {"src", "dst", "dst_port", "req.len", "req.payload", "req.ssl_sni", "ssl_fc"}
    assert all(kw.FETCHES[n].layer == 7 for n in ("path", "hdr", "req.hdr", "url_param", "method"))


def test_action_tables() -> None:
    required = [
        "deny",
        "allow",
        "redirect",
        "return",
        "set-header",
        "add-header",
        "del-header",
        "replace-header",
        "replace-value",
        "set-path",
        "set-query",
        "set-uri",
        "set-var",
        "unset-var",
        "track-sc0",
        "track-sc1",
        "track-sc2",
        "set-method",
        "tarpit",
        "auth",
        "set-log-level",
        "capture",
    ]
    assert set(required) <= set(kw.HTTP_REQUEST_ACTIONS)
    assert {"deny", "allow", "set-header", "set-status", "replace-header", "redirect"} <= set(
        kw.HTTP_RESPONSE_ACTIONS
    )
    assert set(kw.TCP_REQUEST_ACTIONS) == {"connection", "content", "session", "inspect-delay"}
    assert {"accept", "reject", "expect-proxy", "track-sc0"} <= set(
        kw.TCP_REQUEST_ACTIONS["connection"]
    )
    assert {"accept", "reject", "switch-mode", "use-service"} <= set(
        kw.TCP_REQUEST_ACTIONS["content"]
    )
    assert "switch-mode" not in kw.TCP_REQUEST_ACTIONS["session"]
    tables = [
        kw.HTTP_REQUEST_ACTIONS,
        kw.HTTP_RESPONSE_ACTIONS,
        kw.HTTP_AFTER_RESPONSE_ACTIONS,
        *kw.TCP_REQUEST_ACTIONS.values(),
        *kw.TCP_RESPONSE_ACTIONS.values(),
    ]
    for table in tables:
        for action, text in table.items():
            assert text.startswith(action) and _one_line(text), action


# --- agreement with the real binary ----------------------------------------------

# Valid sample arguments per keyword; at least 40 spread over every section
# kind, including ones the matrix keeps out of frontends or backends.
SAMPLE_ARGS: dict[str, str] = {
    "acl": "is_api path_beg /api",
    "backlog": "100",
    "balance": "roundrobin",
    "bind": "127.0.0.1:9999",
    "capture request header": "Host len 64",
    "clitcpka-idle": "10s",
    "compression": "algo gzip",
    "cookie": "SRV insert indirect nocache",
    "declare capture": "request len 64",
    "default-server": "inter 3s",
    "default_backend": "b0",
    "description": "a test proxy",
    "dispatch": "127.0.0.1:80",
    "errorfile": "503 /dev/null",
    "force-persist": "if TRUE",
    "fullconn": "100",
    "hash-type": "consistent",
    "http-check expect": "status 200",
    "http-request": "deny if FALSE",
    "http-response": "set-header X-A b",
    "http-reuse": "safe",
    "id": "77",
    "log-format": "%ci",
    "maxconn": "100",
    "mode": "http",
    "monitor-uri": "/alive",
    "option abortonclose": "",
    "option dontlognull": "",
    "option forwardfor": "",
    "option httpchk": "",
    "option httplog": "",
    "option http-server-close": "",
    "option redispatch": "",
    "option tcplog": "",
    "persist rdp-cookie": "",
    "rate-limit sessions": "10",
    "redirect": "prefix /x if FALSE",
    "retries": "3",
    "server": "s8 127.0.0.1:82",
    "source": "0.0.0.0",
    "stats enable": "",
    "stats http-request": "allow",
    "stats uri": "/st",
    "stick on": "src",
    "stick-table": "type ip size 1k",
    "tcp-check connect": "",
    "tcp-request connection": "accept",
    "tcp-request content": "accept",
    "tcp-request inspect-delay": "5s",
    "tcp-response content": "accept",
    "timeout client": "5s",
    "timeout connect": "5s",
    "timeout http-request": "5s",
    "timeout server": "5s",
    "timeout tunnel": "5s",
    "unique-id-header": "X-Id",
    "use_backend": "b0 if FALSE",
    "use-server": "s9 if FALSE",
    # global keywords
    "nbthread": "1",
    "ulimit-n": "4096",
    "stats timeout": "5s",
    "tune.bufsize": "16384",
    "hard-stop-after": "30s",
    "ssl-default-bind-options": "no-sslv3",
    "log-send-hostname": "",
}

_HEAD = """global
  log stdout local0
defaults d1
  mode http
  log global
  timeout client 1s
  timeout server 1s
  timeout connect 1s
frontend main from d1
  bind 127.0.0.1:8080
  default_backend b0
backend b0 from d1
  server s0 127.0.0.1:80
"""
_KINDS: dict[Sec, str] = {
    Sec.GLOBAL: "global\n",
    Sec.DEFAULTS: "defaults d2 from d1\n",
    Sec.FRONTEND: "frontend fx from d1\n  bind 127.0.0.1:8090\n",
    Sec.LISTEN: "listen lx from d1\n  bind 127.0.0.1:8091\n  server s9 127.0.0.1:81\n",
    Sec.BACKEND: "backend bx from d1\n  server s9 127.0.0.1:81\n",
}
_LINE = re.compile(r"\[[^\]]*?:(\d+)\]")


def _statement(name: str, args: str) -> str:
    return f"  {name} {args}".rstrip() + "\n"


# HAProxy stops parsing after 50 fatal errors, so statements go in smaller batches.
_BATCH = 40


def _verdicts(
    haproxy_bin: str, tmp_path: Path, head: str, statements: dict[int, str]
) -> dict[int, tuple[str, str]]:
    """``haproxy -c`` on ``head`` + statements -> per statement ("error"|"ignored"|"ok", msg)."""
    keys = list(statements)
    result: dict[int, tuple[str, str]] = {}
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        by_line = _run_batch(haproxy_bin, tmp_path, head, [statements[k] for k in batch])
        result.update(zip(batch, by_line, strict=True))
    return result


def _run_batch(
    haproxy_bin: str, tmp_path: Path, head: str, lines: list[str]
) -> list[tuple[str, str]]:
    first = head.count("\n") + 1
    cfg = tmp_path / "probe.cfg"
    cfg.write_text(head + "".join(lines))
    proc = subprocess.run(
        [haproxy_bin, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30, check=False
    )
    assert "too many fatal errors" not in proc.stderr
    verdicts = [("ok", "")] * len(lines)
    for line in proc.stderr.splitlines():
        match = _LINE.search(line)
        index = int(match.group(1)) - first if match else -1
        if not 0 <= index < len(lines):
            continue
        if "[ALERT]" in line:
            verdicts[index] = ("error", line)
        elif "[WARNING]" in line and "ignored" in line and verdicts[index][0] == "ok":
            verdicts[index] = ("ignored", line)
    return verdicts


@pytest.mark.haproxy
def test_sections_agree_with_haproxy(haproxy_bin: str, tmp_path: Path) -> None:
    assert len(SAMPLE_ARGS) >= 40
    mismatches = []
    for kind, section_head in _KINDS.items():
        names = list(SAMPLE_ARGS)
        verdicts = _verdicts(
            haproxy_bin,
            tmp_path,
            _HEAD + section_head,
            {i: _statement(n, SAMPLE_ARGS[n]) for i, n in enumerate(names)},
        )
        for (verdict, message), name in zip(verdicts.values(), names, strict=True):
            keyword, _ = kw.lookup(name.split())
            assert keyword is not None and keyword.name == name
            if kind in keyword.sections:
                expected = {"ok"}
            elif kind in keyword.ignored_in:
                # HAProxy accepts it, with or without an "ignored" warning
                expected = {"ok", "ignored"}
            else:
                expected = {"error"}
            if verdict not in expected:
                wanted = "/".join(sorted(expected))
                mismatches.append(
                    f"{name!r} in {kind.name}: want {wanted}, got {verdict}: {message}"
                )
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.haproxy
def test_named_defaults_only_keywords_fail_in_anonymous_defaults(
    haproxy_bin: str, tmp_path: Path
) -> None:
    names = [n for n in SAMPLE_ARGS if kw.KEYWORDS[n].named_defaults_only]
    assert len(names) >= 4
    head = _HEAD + "defaults\n  mode http\n"
    verdicts = _verdicts(
        haproxy_bin, tmp_path, head, {i: _statement(n, SAMPLE_ARGS[n]) for i, n in enumerate(names)}
    )
    assert [v for v, _ in verdicts.values()] == ["error"] * len(names)


@pytest.mark.haproxy
def test_removed_keywords_are_rejected_with_the_same_facts(
    haproxy_bin: str, tmp_path: Path
) -> None:
    removed = [k for k in kw.KEYWORDS.values() if k.removed]
    for kind in (Sec.GLOBAL, Sec.LISTEN):
        batch = [k for k in removed if kind in k.sections]
        head = _HEAD + _KINDS[kind]
        args = {k.name: "" if k.max_args == 0 or not k.synopsis else "^a b" for k in batch}
        verdicts = _verdicts(
            haproxy_bin,
            tmp_path,
            head,
            {i: _statement(k.name, args[k.name]) for i, k in enumerate(batch)},
        )
        for (verdict, alert), keyword in zip(verdicts.values(), batch, strict=True):
            assert verdict == "error", keyword.name
            assert keyword.removed is not None
            text = alert.split("] :", 1)[-1].split("]:", 1)[-1]
            if "unknown keyword" in text:
                assert "unknown keyword" in keyword.removed, keyword.name
                continue
            version = re.search(r"HAProxy (?:version )?(\d\.\d)", text)
            if version:
                assert version.group(1) in keyword.removed, (keyword.name, text)
            for quoted in re.findall(r"'([a-z][^']*)'", text):
                if quoted.split()[0] in (
                    "http-request",
                    "http-response",
                    "timeout",
                    "option",
                    "tune.bufsize",
                ):
                    assert quoted.split(" if ")[0].split(" status")[0] in keyword.removed, (
                        keyword.name,
                        quoted,
                        keyword.removed,
                    )


@pytest.mark.haproxy
def test_min_and_max_args_agree_with_haproxy(haproxy_bin: str, tmp_path: Path) -> None:
    too_few = [
        "timeout client",
        "errorloc",
        "default_backend",
        "mode",
        "retries",
        "hash-type",
        "stats uri",
        "capture request header",
    ]
    too_many = {
        "timeout client": "1s 2s",
        "log-format": "%ci extra",
        "unique-id-format": "%ci extra",
        "http-reuse": "safe extra",
    }
    statements: dict[int, str] = {}
    for name in too_few:
        keyword = kw.KEYWORDS[name]
        assert keyword.min_args >= 1
        statements[len(statements)] = _statement(name, " ".join(["x"] * (keyword.min_args - 1)))
    for name, args in too_many.items():
        assert kw.KEYWORDS[name].max_args == len(args.split()) - 1
        statements[len(statements)] = _statement(name, args)
    verdicts = _verdicts(haproxy_bin, tmp_path, _HEAD + _KINDS[Sec.LISTEN], statements)
    assert [v for v, _ in verdicts.values()] == ["error"] * len(statements)
