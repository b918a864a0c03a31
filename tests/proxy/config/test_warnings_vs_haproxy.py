"""Differential sweep: what ``haproxy -c`` (2.6) WARNS about, Proxydesk warns about, at the same line.

Each case is a small config HAProxy accepts; the real binary says whether it warns.
For every case: HAProxy warns <=> ``proxydesk check`` warns; where HAProxy names a
line ("parsing [f:9]"), ours is that line; where it names none ("config : ..."),
ours is the line the case expects (the statement that causes it, the defaults line
for an inherited one); and the words that identify the finding appear in both.

Deliberately said more: the "engine-ignores"/"engine-refuses" warnings (what the
embedded engine leaves out, which HAProxy has no reason to mention) are left out of
the comparison; ``EXTRA`` lists the cases where that is all Proxydesk adds, with why.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from proxy.config import keywords as kw
from proxy.config.load import load
from proxy.config.model import Diagnostic
from proxy.config.validate import ENGINE_IGNORES, ENGINE_REFUSES
from tests.conftest import DATA, HaproxyCheck

TIMEOUTS = "    timeout client 1s\n    timeout connect 1s\n    timeout server 1s\n"


def defaults(mode: str, extra: str = "") -> str:
    """Lines 1-5 (6 with ``extra`` as line 3): a defaults section with every timeout."""
    return f"defaults\n    mode {mode}\n{extra}{TIMEOUTS}"


def fe_be(mode: str, fe: str = "", be: str = "    server s 127.0.0.1:9\n", *, head: str = "") -> str:
    """A frontend on line 6 (its own lines from 8) using a backend that follows it."""
    return (head + defaults(mode) + "frontend fe\n    bind 127.0.0.1:18080\n" + fe
            + "    default_backend be\nbackend be\n" + be)


LOG = "    log stdout format raw local0\n"
GLOBAL_LOG = "global\n    log stdout format raw local0\n"


@dataclass(frozen=True)
class Case:
    text: str
    lines: frozenset[int]  # where both warn (HAProxy's line, or ours where it names none); empty: neither
    words: str = ""  # what identifies the finding in both messages


def case(text: str, *lines: int, words: str = "") -> Case:
    return Case(text, frozenset(lines), words)


NO_LOG = "since it has no log address"
NEEDS_HTTP = "as it requires HTTP mode"
EXTERNAL_CHECK = "    option external-check\n    external-check command /bin/true\n    server s 127.0.0.1:9 check\n"

CASES: dict[str, Case] = {
    # -- a log format with nowhere to send it (the gap this sweep started from) --
    "httplog-without-log": case(fe_be("http", "    option httplog\n"), 8, words=NO_LOG),
    "tcplog-without-log": case(fe_be("tcp", "    option tcplog\n"), 8, words=NO_LOG),
    "log-format-without-log": case(fe_be("http", '    log-format "%ci %ST"\n'), 8, words=NO_LOG),
    "log-global-without-global-log": case(fe_be("http", "    log global\n    option httplog\n"), 9,
                                          words=NO_LOG),
    "global-log-without-log-global": case(fe_be("http", "    option httplog\n", head=GLOBAL_LOG), 10,
                                          words=NO_LOG),
    "httplog-inherited-without-log": case(
        defaults("http", "    option httplog\n") + "frontend fe\n    bind 127.0.0.1:18080\n"
        "    default_backend be\nbackend be\n    server s 127.0.0.1:9\n", 3, words=NO_LOG),
    "no-log-drops-the-inherited-target": case(
        defaults("http", LOG) + "frontend fe\n    bind 127.0.0.1:18080\n    no log\n    option httplog\n"
        "    default_backend be\nbackend be\n    server s 127.0.0.1:9\n", 10, words=NO_LOG),
    "listen-httplog-without-log": case(
        defaults("http") + "listen li\n    bind 127.0.0.1:18080\n    option httplog\n"
        "    server s 127.0.0.1:9\n", 8, words="proxy 'li' since it has no log address"),
    "httplog-with-log-global": case(fe_be("http", "    log global\n    option httplog\n", head=GLOBAL_LOG)),
    "httplog-with-inherited-log": case(
        defaults("http", LOG + "    option httplog\n") + "frontend fe\n    bind 127.0.0.1:18080\n"
        "    default_backend be\nbackend be\n    server s 127.0.0.1:9\n"),
    "dontlognull-without-log": case(fe_be("http", "    option dontlognull\n")),
    # -- HTTP-only settings in a tcp proxy --
    "httplog-in-tcp-mode": case(fe_be("tcp", LOG + "    option httplog\n"), 9,
                                words="Falling back to 'option tcplog'"),
    "httplog-in-tcp-defaults": case(
        defaults("tcp", "    option httplog\n" + LOG) + "frontend fe\n    bind 127.0.0.1:18080\n"
        "    default_backend be\nbackend be\n    server s 127.0.0.1:9\n", 3,
        words="not usable with frontend 'fe' (needs 'mode http')"),
    "forwardfor-in-tcp-mode": case(fe_be("tcp", "    option forwardfor\n"), 8, words=NEEDS_HTTP),
    "forwardfor-in-tcp-backend": case(fe_be("tcp", be="    option forwardfor\n    server s 127.0.0.1:9\n"),
                                      10, words="backend 'be' as it requires HTTP mode"),
    "forwardfor-in-tcp-defaults": case(
        defaults("tcp", "    option forwardfor\n") + "frontend fe\n    bind 127.0.0.1:18080\n"
        "    default_backend be\nbackend be\n    server s 127.0.0.1:9\n", 3, words=NEEDS_HTTP),
    "originalto-in-tcp-mode": case(fe_be("tcp", "    option originalto\n"), 8, words=NEEDS_HTTP),
    "http-server-close-in-tcp-mode": case(fe_be("tcp", "    option http-server-close\n")),
    "http-request-in-tcp-mode": case(fe_be("tcp", "    http-request deny\n"), 8,
                                     words="'http-request' rules ignored for frontend 'fe'"),
    "http-request-in-tcp-frontend-of-http-backend": case(
        fe_be("tcp", "    http-request deny\n", "    mode http\n    server s 127.0.0.1:9\n"), 8,
        words="as they require HTTP mode"),
    "http-request-after-switch-mode-http": case(
        fe_be("tcp", "    tcp-request content switch-mode http\n    http-request deny\n",
              "    mode http\n    server s 127.0.0.1:9\n")),
    "http-response-in-tcp-backend": case(fe_be("tcp", be="    http-response del-header x\n"
                                               "    server s 127.0.0.1:9\n"), 10,
                                         words="'http-response' rules ignored for backend 'be'"),
    "redirect-in-tcp-mode": case(fe_be("tcp", "    redirect location /z\n"), 8,
                                 words="'redirect' rules ignored"),
    "stats-in-tcp-mode": case(fe_be("tcp", "    stats enable\n    stats uri /st\n"), 8,
                              words="'stats' statement ignored"),
    "capture-cookie-in-tcp-mode": case(fe_be("tcp", "    capture cookie SRV len 20\n"), 8,
                                       words="'capture' statement ignored"),
    "capture-header-in-tcp-mode": case(fe_be("tcp", "    capture request header Host len 20\n")),
    "monitor-uri-in-tcp-mode": case(fe_be("tcp", "    monitor-uri /health\n"), 8,
                                    words="monitor-uri will be ignored"),
    "cookie-in-tcp-backend": case(fe_be("tcp", be="    cookie SRV insert\n    server s 127.0.0.1:9 cookie a\n"),
                                  10, 11, words="cookie"),
    "layer7-balance-in-tcp-backend": case(fe_be("tcp", be="    balance uri\n    server s 127.0.0.1:9\n"), 10,
                                          words="Layer 7 hash not possible for backend 'be'"),
    "source-balance-in-tcp-backend": case(fe_be("tcp", be="    balance source\n    server s 127.0.0.1:9\n")),
    # -- keywords where they have no effect (the registry's ignored_in) --
    "balance-in-frontend": case(fe_be("http", "    balance roundrobin\n"), 8,
                                words="'balance' ignored because frontend 'fe' has no backend capability"),
    "maxconn-in-backend": case(fe_be("http", be="    maxconn 10\n    server s 127.0.0.1:9\n"), 10,
                               words="has no frontend capability"),
    "timeout-server-in-frontend": case(fe_be("http", "    timeout server 3s\n"), 8,
                                       words="because frontend 'fe' has no backend capability"),
    # -- missing timeouts --
    "missing-timeout-client": case("frontend fe\n    bind 127.0.0.1:18080\n", 1,
                                   words="missing timeouts for frontend 'fe'"),
    "missing-backend-timeouts": case(
        "defaults\n    timeout client 1s\nfrontend fe\n    bind 127.0.0.1:18080\n    default_backend be\n"
        "backend be\n    server s 127.0.0.1:9\n", 6, words="missing timeouts for backend 'be'"),
    "backend-without-servers": case(fe_be("http", be="")),
    # -- rules written after rules that run later --
    "http-request-after-use_backend": case(
        fe_be("http", "    use_backend be if { path_beg /x }\n    http-request deny if { path_beg /y }\n"), 9,
        words="a 'http-request' rule placed after a 'use_backend' rule"),
    "tcp-request-after-http-request": case(
        fe_be("http", "    http-request deny if { path /b }\n    tcp-request content accept\n"), 9,
        words="a 'tcp-request' rule placed after an 'http-request' rule"),
    "redirect-and-http-request-late": case(
        fe_be("http", "    use_backend be if { path /x }\n    redirect location /a if { path /b }\n"
              "    http-request deny\n"), 9, 10, words="will still be processed before"),
    "use_backend-after-use-server": case(
        defaults("http") + "listen li\n    bind 127.0.0.1:18080\n    use-server s if { path /x }\n"
        "    use_backend b2 if { path /y }\n    server s 127.0.0.1:9\nbackend b2\n    server s 127.0.0.1:9\n"),
    "rule-after-a-final-http-request": case(
        fe_be("http", "    http-request return status 200\n    http-request set-header a b\n"
              "    http-request deny\n"), 9, words="previous 'http-request' action is final"),
    "rule-after-a-final-http-response": case(
        fe_be("http", "    http-response deny\n    http-response set-header a b\n"), 9,
        words="previous 'http-response' action is final"),
    "rule-after-a-conditional-final-one": case(
        fe_be("http", "    http-request deny if { src 10.0.0.1 }\n    http-request set-header a b\n")),
    "rule-after-http-request-reject": case(fe_be("http", "    http-request reject\n    http-request deny\n")),
    # -- health checks, listeners, routing --
    "http-check-without-httpchk": case(fe_be("http", be="    http-check expect status 200\n"
                                             "    server s 127.0.0.1:9 check\n"), 10,
                                       words="uses http-check rules without 'option httpchk'"),
    "http-check-under-another-check-option": case(
        fe_be("http", be="    option httpchk\n    option redis-check\n    http-check expect status 200\n"
              "    server s 127.0.0.1:9 check\n"), 12, words="without 'option httpchk'"),
    "tcp-check-without-option-tcp-check": case(fe_be("tcp", be="    tcp-check connect\n"
                                                     "    server s 127.0.0.1:9 check\n"), 10,
                                               words="uses tcp-check rules without 'option tcp-check'"),
    "tcp-check-with-option-tcp-check": case(fe_be("tcp", be="    option tcp-check\n    tcp-check connect\n"
                                                  "    server s 127.0.0.1:9 check\n")),
    "http-check-with-inherited-httpchk": case(
        defaults("http", "    option httpchk\n") + "frontend fe\n    bind 127.0.0.1:18080\n"
        "    default_backend be\nbackend be\n    http-check expect status 200\n    server s 127.0.0.1:9 check\n"),
    "external-check-without-insecure-fork": case(fe_be("http", be=EXTERNAL_CHECK, head="global\n    external-check\n"),
                                                 12, words="insecure-fork-wanted"),
    "external-check-with-both-global-lines": case(fe_be("http", be=EXTERNAL_CHECK, head="global\n    external-check\n"
                                                        "    insecure-fork-wanted\n")),
    "frontend-without-bind": case(fe_be("http") + "frontend idle\n    default_backend be\n", 11,
                                  words="frontend 'idle' has no 'bind' directive"),
    "listen-default_backend-and-servers": case(
        defaults("http") + "listen li\n    bind 127.0.0.1:18080\n    default_backend be\n"
        "    server s 127.0.0.1:9\nbackend be\n    server s 127.0.0.1:9\n", 8,
        words="the 'default_backend' rule always has precedence over the servers"),
    # -- buffer (L6) fetches in rules of an HTTP proxy --
    "l6-fetch-in-tcp-request-content": case(
        fe_be("http", "    tcp-request inspect-delay 1s\n    tcp-request content reject if { req.len gt 0 }\n"), 9,
        words="L6 sample fetches ignored on HTTP proxies"),
    "l6-fetch-through-a-named-acl": case(
        fe_be("http", "    acl tls req.ssl_sni -m found\n    use_backend be if tls\n"), 9,
        words="Proxy 'fe': L6 sample fetches ignored"),
    "l6-fetch-in-use-server": case(fe_be("http", be="    use-server s if { req.payload(0,1) -m bin 16 }\n"
                                         "    server s 127.0.0.1:9\n"), 10,
                                   words="Proxy 'be': L6 sample fetches ignored"),
    "l6-fetch-in-redirect": case(fe_be("http", "    redirect location /x if { req.len gt 1 }\n")),
    "l6-fetch-in-tcp-mode": case(
        fe_be("tcp", "    tcp-request inspect-delay 1s\n    tcp-request content reject if { req.len gt 0 }\n")),
    # -- a condition on a fetch that has no value where the rule runs --
    "path-in-http-response": case(fe_be("http", "    http-response set-header X-Api 1 if { path_beg /api }\n"), 8,
                                  words="anonymous acl will never match because it uses keyword 'path_beg'"),
    "named-acl-in-tcp-request-connection": case(
        fe_be("http", "    acl api path_beg /api\n    tcp-request connection reject if api\n"), 9,
        words="acl 'api' will never match in 'tcp-request connection'"),
    "status-in-http-request": case(fe_be("http", "    http-request deny if { status 500 }\n"), 8,
                                   words="incompatible with 'frontend http-request header rule'"),
    "backend-name-in-frontend-rule": case(fe_be("http", "    http-request deny if { be_name be }\n"), 8,
                                          words="uses keyword 'be_name'"),
    "backend-name-in-backend-rule": case(fe_be("http", be="    http-request deny if { be_name be }\n"
                                               "    server s 127.0.0.1:9\n")),
    "method-in-http-response": case(fe_be("http", "    http-response set-header X-Get 1 if { method GET }\n")),
    "client-certificate-in-tcp-request-content": case(
        fe_be("http", "    tcp-request content reject if { ssl_c_used }\n")),
    ".warning-directive": case('.warning "check me"\n' + fe_be("http"), 1, words="'check me'."),
    # -- what neither warns about --
    "acl-defined-but-unused": case(fe_be("http", "    acl a path_beg /x\n")),
    "cookie-without-server-cookies": case(fe_be("http", be="    cookie SRV insert indirect nocache\n"
                                                "    server s 127.0.0.1:9\n")),
    "server-cookie-without-cookie": case(fe_be("http", be="    server s 127.0.0.1:9 cookie s1\n")),
    "maxconn-above-global-maxconn": case(fe_be("http", "    maxconn 5000\n", head="global\n    maxconn 100\n")),
    "unused-backend": case(fe_be("http") + "backend spare\n    server s 127.0.0.1:9\n"),
}

# Cases where Proxydesk says more than HAProxy, on purpose (left out of the comparison above).
EXTRA: dict[str, str] = {
    "log-format-without-log": "engine-ignores: the embedded engine writes its own log line, not log-format's",
    "originalto-in-tcp-mode": "engine-ignores: the embedded engine does not add X-Original-To",
    "capture-header-in-tcp-mode": "engine-ignores: the embedded engine does not capture headers",
    "capture-cookie-in-tcp-mode": "engine-ignores: the embedded engine does not capture cookies",
    "monitor-uri-in-tcp-mode": "engine-ignores: the embedded engine has no monitor URI",
}

# Configs HAProxy refuses only once every section is read: Proxydesk must refuse them too,
# at the line HAProxy names (or, where it names none, the line given here).
ERRORS: dict[str, tuple[str, int, str]] = {
    "external-check-without-global": (fe_be("http", be=EXTERNAL_CHECK), 10,
                                      "unable to find required 'global.external-check'"),
    "duplicate-server-names": (fe_be("http", be="    server s 127.0.0.1:9\n    server s 127.0.0.1:10\n"), 11,
                               "server 's'"),
    "tls-server-without-ca": (fe_be("http", be="    server s 127.0.0.1:9 ssl\n"), 10,
                              "verify is enabled by default but no CA file specified"),
    "tls-default-server-without-ca": (fe_be("http", be="    default-server ssl\n    server s 127.0.0.1:9\n"), 11,
                                      "verify is enabled by default but no CA file specified"),
    "use-server-of-no-server": (fe_be("http", be="    use-server nope if { path_beg /x }\n"
                                      "    server s 127.0.0.1:9\n"), 10,
                                "unable to find server 'nope' referenced in a 'use-server' rule"),
    "default_backend-loop": (defaults("http") + "listen li\n    bind 127.0.0.1:18080\n    default_backend li\n",
                             8, "loop detected for default_backend: 'li'"),
    ".alert-directive": ('.alert "stop here"\n' + fe_be("http"), 1, "'stop here'."),
    "unknown-fetch-in-a-header-value": (fe_be("http", "    http-request set-header X %[nosuchfetch]\n"), 8,
                                        "unknown fetch method 'nosuchfetch'"),
    "acl-shorthand-in-a-header-value": (fe_be("http", "    http-request set-header X %[path_beg]\n"), 8,
                                        "unknown fetch method 'path_beg'"),
    "unknown-fetch-in-log-format": (fe_be("http", LOG + '    log-format "%ci %[nosuchfetch]"\n'), 9,
                                    "unknown fetch method 'nosuchfetch'"),
    "unknown-log-format-variable": (fe_be("http", LOG + '    log-format "%ci %Zz"\n'), 9,
                                    "no such format variable 'Zz'"),
    "http-log-format-variable-in-tcp-mode": (fe_be("tcp", LOG + '    log-format "%ci %r"\n'), 9,
                                             "format variable 'r' is reserved for HTTP mode"),
    "lone-percent-in-a-header-value": (fe_be("http", "    http-request set-header X-Load 50%\n"), 8,
                                       "a '%' with no variable name"),
    "unknown-variable-in-a-header-value": (fe_be("http", "    http-request add-header X %Zz\n"), 8,
                                           "no such format variable 'Zz'"),
    "request-fetch-in-a-response-header": (fe_be("http", "    http-response set-header X %[path]\n"), 8,
                                           "sample fetch <path> may not be reliably used here"),
    "response-fetch-in-a-request-header": (fe_be("http", "    http-request set-header X %[status]\n"), 8,
                                           "sample fetch <status> may not be reliably used here"),
    "unknown-fetch-in-http-response-redirect": (fe_be("http", "    http-response redirect location /%[nosuchfetch]\n"),
                                                8, "unknown fetch method 'nosuchfetch'"),
    "unknown-fetch-in-a-dynamic-use_backend": (fe_be("http", "    use_backend %[nosuchfetch]\n"), 8,
                                               "unknown fetch method 'nosuchfetch'"),
    "request-fetch-in-a-response-variable": (fe_be("http", "    http-response set-var(txn.p) path\n"), 8,
                                             "sample fetch <path> may not be reliably used here"),
}
ACCEPTED_TOO: dict[str, str] = {  # ... and these HAProxy accepts: no error
    "log-format-of-every-http-variable": fe_be("http", LOG + "    log-format \"" + " ".join(
        f"%{name}" for name in kw.LOG_FORMAT_VARIABLES) + " %% %{+Q}r %ci-x\"\n"),
    "log-format-of-the-tcp-variables": fe_be("tcp", LOG + "    log-format \"" + " ".join(
        f"%{name}" for name, http in kw.LOG_FORMAT_VARIABLES.items() if not http) + "\"\n"),
    "plain-text-arguments-are-not-parsed": fe_be(
        "http", "    http-request return status 200 content-type text/plain string %[nosuchfetch]\n"
        "    http-response set-status 503 reason %[nosuchfetch]\n"),
    "expressions-haproxy-accepts": fe_be(
        "http", "    http-request set-var-fmt(txn.x) %[src]\n    http-request set-var(txn.y) req.hdr(host),lower\n"
        '    http-request set-header X "%[req.hdr(host),regsub(^www\\.,,i)]"\n    http-request set-header Y %ci:%cp\n'
        '    http-request set-header Z "%{+Q}[src]"\n    http-response set-var(txn.s) status\n'),
    "redirect-keyword-expressions-are-not-parsed": fe_be("http", "    redirect location /%[nosuchfetch]\n"),
    "unique-id-in-a-header-value": fe_be("http", "    unique-id-format %[src]\n"
                                         "    http-request set-header X-Id %[unique-id]\n"),
    "hdr-in-a-response-header": fe_be("http", "    http-response set-header X %[hdr(server)]\n"),
    "response-header-in-a-response-header": fe_be("http", "    http-response set-header X %[res.hdr(server)]\n"),
    "tls-server-verify-none": fe_be("http", be="    server s 127.0.0.1:9 ssl verify none\n"),
    "tls-server-with-ca": fe_be("http", be="    server s 127.0.0.1:9 ssl ca-file /etc/ssl/certs/ca-certificates.crt\n"),
    "tls-global-verify-none": fe_be("http", be="    server s 127.0.0.1:9 ssl\n",
                                    head="global\n    ssl-server-verify none\n"),
    "use-server-of-a-server": fe_be("http", be="    use-server s if { path_beg /x }\n    server s 127.0.0.1:9\n"),
    "http-check-send-without-arguments": fe_be("http", be="    option httpchk\n    http-check send\n"
                                               "    server s 127.0.0.1:9 check\n"),
}


# --- running both ----------------------------------------------------------------------------

_LOCATED = re.compile(r"\[[^\]]*?:(\d+)\]")


@dataclass(frozen=True)
class Finding:
    line: int | None  # None: HAProxy named no line
    message: str


def haproxy_says(text: str, tmp_path: Path, haproxy_check: HaproxyCheck, level: str = "WARNING") -> list[Finding]:
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    proc = haproxy_check(path, cwd=tmp_path)
    found = []
    for line in proc.stderr.splitlines():
        if f"[{level}]" not in line or "Fatal errors" in line or "Error(s) found" in line:
            continue
        located = _LOCATED.search(line)
        found.append(Finding(int(located.group(1)) if located else None, line))
    return found


def proxydesk_says(text: str, tmp_path: Path, severity: str = "warning") -> list[Diagnostic]:
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    return [d for d in load(path, base_dir=tmp_path, env={}).diagnostics
            if d.severity == severity and d.code not in (ENGINE_IGNORES, ENGINE_REFUSES)]


@pytest.mark.haproxy
@pytest.mark.parametrize("name", sorted(CASES))
def test_warns_where_haproxy_warns(name: str, tmp_path: Path, haproxy_check: HaproxyCheck) -> None:
    wanted = CASES[name]
    theirs = haproxy_says(wanted.text, tmp_path, haproxy_check)
    ours = proxydesk_says(wanted.text, tmp_path)
    shown = "\n".join([*(f.message for f in theirs), *map(str, ours)])
    assert bool(theirs) == bool(ours) == bool(wanted.lines), shown
    assert {d.line for d in ours} == set(wanted.lines), shown
    assert {f.line for f in theirs if f.line is not None} <= set(wanted.lines), shown
    if wanted.words:
        assert all(wanted.words in f.message for f in theirs), shown
        assert all(wanted.words in d.message for d in ours), shown


@pytest.mark.haproxy
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_refuses_where_haproxy_refuses(name: str, tmp_path: Path, haproxy_check: HaproxyCheck) -> None:
    text, line, words = ERRORS[name]
    theirs = haproxy_says(text, tmp_path, haproxy_check, "ALERT")
    ours = proxydesk_says(text, tmp_path, "error")
    shown = "\n".join([*(f.message for f in theirs), *map(str, ours)])
    assert theirs and ours, shown
    assert {d.line for d in ours} == {line} >= {f.line for f in theirs if f.line is not None}, shown
    assert any(words in d.message for d in ours), shown


@pytest.mark.haproxy
@pytest.mark.parametrize("name", sorted(ACCEPTED_TOO))
def test_accepts_what_haproxy_accepts(name: str, tmp_path: Path, haproxy_check: HaproxyCheck) -> None:
    text = ACCEPTED_TOO[name]
    theirs = haproxy_says(text, tmp_path, haproxy_check, "ALERT")
    ours = proxydesk_says(text, tmp_path, "error")
    assert not theirs and not ours, "\n".join([*(f.message for f in theirs), *map(str, ours)])


def test_extra_cases_say_more_only_where_the_engine_differs(tmp_path: Path) -> None:
    for name in EXTRA:
        path = tmp_path / f"{name}.cfg"
        path.write_text(CASES[name].text)
        engine = [d for d in load(path, base_dir=tmp_path, env={}).diagnostics if d.code == ENGINE_IGNORES]
        assert engine, f"{name}: no engine-ignores warning left to explain"


# --- the registry's HTTP-only options, against the binary --------------------------------------

_OPTIONS = sorted(k for k, spec in kw.PROXY_KEYWORDS.items()
                  if k.startswith("option ") and not spec.removed and spec.sections & kw.Sec.LISTEN
                  and k not in ("option external-check", "option pgsql-check", "option http-restrict-req-hdr-names"))


@pytest.mark.haproxy
def test_http_only_options_are_the_ones_haproxy_ignores_in_tcp_mode(tmp_path: Path,
                                                                    haproxy_check: HaproxyCheck) -> None:
    """One tcp listen section per option: the options HAProxy says need HTTP are the
    registry's ``needs_http`` ones, and Proxydesk warns about exactly those."""
    text = defaults("tcp") + "".join(
        f"listen p{i}\n    bind 127.0.0.1:{18100 + i}\n    {name}\n    server s 127.0.0.1:9\n"
        for i, name in enumerate(_OPTIONS))
    theirs = haproxy_says(text, tmp_path, haproxy_check)
    proxy = re.compile(r"proxy 'p(\d+)'")
    needs_http = {_OPTIONS[int(m.group(1))] for f in theirs
                  if ("requires HTTP mode" in f.message or "needs 'mode http'" in f.message)
                  and (m := proxy.search(f.message))}
    assert needs_http == {n for n in _OPTIONS if kw.PROXY_KEYWORDS[n].needs_http}
    ours = {_OPTIONS[int(m.group(1))] for d in proxydesk_says(text, tmp_path)
            if "mode" in d.message and (m := proxy.search(d.message))}
    assert ours == needs_http


_NOT_L6 = ("src", "dst_port", "ssl_fc", "so_id", "always_true", "fe_conn", "req.hdr_cnt")


@pytest.mark.haproxy
def test_l6_fetches_are_the_ones_haproxy_ignores_in_http_mode(tmp_path: Path, haproxy_check: HaproxyCheck) -> None:
    """One http frontend per fetch, used in a ``tcp-request content`` condition: HAProxy
    warns for exactly the registry's ``L6_FETCHES``, and so does Proxydesk."""
    probe = {"(<offset>,<length>)": "(0,1)", "(<offset1>,<length>[,<offset2>])": "(0,1)"}
    fetches = sorted(kw.L6_FETCHES) + list(_NOT_L6)
    text = defaults("http") + "".join(
        f"frontend f{i}\n    bind 127.0.0.1:{18100 + i}\n    tcp-request inspect-delay 1s\n"
        f"    tcp-request content reject if {{ {name}{probe.get(kw.FETCHES[name].args, '')} -m found }}\n"
        for i, name in enumerate(fetches))
    proxy = re.compile(r"Proxy 'f(\d+)': L6 sample fetches ignored")
    theirs = {fetches[int(m.group(1))] for f in haproxy_says(text, tmp_path, haproxy_check)
              if (m := proxy.search(f.message))}
    assert theirs == kw.L6_FETCHES
    ours = {fetches[int(m.group(1))] for d in proxydesk_says(text, tmp_path) if (m := proxy.search(d.message))}
    assert ours == theirs


# One fetch of each FETCH_AVAILABILITY group, and one that always has a value.
_AVAILABILITY_PROBES = {"path": "request", "ssl_c_used": "client-certificate", "status": "response",
                        "method": "request-content", "be_name": "backend", "src": None}


@pytest.mark.haproxy
@pytest.mark.parametrize("fetch", sorted(_AVAILABILITY_PROBES))
def test_where_a_fetch_never_matches_is_what_haproxy_says(fetch: str, tmp_path: Path,
                                                          haproxy_check: HaproxyCheck) -> None:
    """The fetch in a rule of every kind the registry knows (NEVER_MATCHES): HAProxy says
    "will never match" in exactly the contexts the registry says, and so does Proxydesk."""
    contexts = sorted(kw.NEVER_MATCHES)
    text, lines = defaults("http"), {}
    for i, context in enumerate(contexts):
        kind, rule = context.split(" ", 1)
        text += f"{kind} p{i}\n" + (f"    bind 127.0.0.1:{18300 + i}\n" if kind != "backend" else "")
        words = {"redirect": "redirect location /x", "use_backend": "use_backend be", "use-server": "use-server s",
                 "http-after-response": "http-after-response set-header a b", "http-request": "http-request deny",
                 "http-response": "http-response deny"}.get(rule, f"{rule} reject")
        lines[text.count("\n") + 1] = context
        text += f"    {words} if {{ {fetch} -m found }}\n" + ("    server s 127.0.0.1:9\n" if kind != "frontend" else "")
    text += "backend be\n    server s 127.0.0.1:9\n"
    group = _AVAILABILITY_PROBES[fetch]
    expected = {c for c in contexts if group in kw.NEVER_MATCHES[c][1]}
    theirs = {lines[f.line] for f in haproxy_says(text, tmp_path, haproxy_check)
              if f.line in lines and "will never match" in f.message}
    assert theirs == expected
    ours = {lines[d.line] for d in proxydesk_says(text, tmp_path) if "will never match" in d.message}
    assert ours == expected


# --- the corpus: every valid file warns as often as HAProxy, at the lines it names ---------------

VALID_CORPUS = sorted((DATA / "valid").glob("*.cfg"))


@pytest.mark.haproxy
@pytest.mark.parametrize("path", VALID_CORPUS, ids=[p.name for p in VALID_CORPUS])
def test_corpus_warns_as_haproxy_does(path: Path, haproxy_check: HaproxyCheck) -> None:
    proc = haproxy_check(path.relative_to(DATA))
    theirs = [line for line in proc.stderr.splitlines() if "[WARNING]" in line]
    ours = [d for d in load(path, base_dir=DATA, env={}).diagnostics
            if d.severity == "warning" and d.code not in (ENGINE_IGNORES, ENGINE_REFUSES)]
    shown = "\n".join([*theirs, *map(str, ours)])
    assert len(ours) == len(theirs), shown
    located = {int(m.group(1)) for line in theirs if (m := _LOCATED.search(line))}
    assert located <= {d.line for d in ours}, shown


# --- what must stay quiet: the shipped configs ---------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = [ROOT / "resources" / "examples" / "tutorial.cfg", ROOT / "proxy" / "demo" / "tutorial.cfg"]


@pytest.mark.parametrize("path", SHIPPED, ids=["resources-tutorial", "demo-tutorial"])
def test_shipped_configs_check_clean(path: Path) -> None:
    """``proxydesk check`` on the tutorial and the demo: exit 0, no finding, only the verdict."""
    from tests.proxy.test_cli import proxydesk

    proc = proxydesk("check", str(path), cwd=path.parent)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", f"{path}: configuration is valid\n")


# --- the registry's fetches against the binary's own table (haproxy -dKsmp) ------------------------

# Columns of ``haproxy -dKsmp``'s validity matrix for the rule contexts of NEVER_MATCHES.
_COLUMNS = {
    "frontend tcp-request connection": 0, "frontend tcp-request session": 1, "frontend tcp-request content": 2,
    "frontend http-request": 3, "frontend redirect": 3, "frontend use_backend": 5,
    "backend tcp-request content": 6, "backend http-request": 7, "backend redirect": 7, "backend use-server": 9,
    "backend tcp-response content": 11, "backend http-response": 12, "backend http-after-response": 12,
    "frontend http-response": 16, "frontend http-after-response": 16,
}


def _binary_fetches(haproxy_bin: str) -> dict[str, str]:
    """Every sample fetch the binary registers -> its validity matrix (``Y`` or ``.`` per context)."""
    proc = subprocess.run([haproxy_bin, "-dKsmp", "-q", "-c", "-f", "/dev/null"], capture_output=True,
                          text=True, timeout=30, check=False)
    rows = re.findall(r"^\[ ([Y.](?: [Y.])*) \] ([^(:\s]+)", proc.stdout + proc.stderr, re.M)
    return {name: flags.replace(" ", "") for flags, name in rows}


@pytest.mark.haproxy
def test_registry_fetches_are_the_binarys(haproxy_bin: str) -> None:
    """A '%[...]' expression takes exactly the fetches the binary registers (the registry's
    others are ACL-only shorthands), and where each has no value is the binary's table."""
    binary = _binary_fetches(haproxy_bin)
    assert len(binary) > 400
    assert set(binary) == set(kw.FETCHES) - kw.ACL_ONLY_FETCHES
    wrong = {name for name, flags in binary.items() for context, column in _COLUMNS.items()
             if (flags[column] == ".") != any(name in kw.FETCH_AVAILABILITY[g] for g in kw.NEVER_MATCHES[context][1])}
    assert wrong == kw.EITHER_DIRECTION_FETCHES  # request-only as ACL keywords, both ways as fetches


@pytest.mark.haproxy
@pytest.mark.parametrize("name", sorted(n for n, http in kw.LOG_FORMAT_VARIABLES.items() if http))
def test_http_log_format_variables_are_refused_in_tcp_mode(name: str, tmp_path: Path,
                                                           haproxy_check: HaproxyCheck) -> None:
    text = fe_be("tcp", LOG + f'    log-format "%ci %{name}"\n')
    theirs = haproxy_says(text, tmp_path, haproxy_check, "ALERT")
    ours = proxydesk_says(text, tmp_path, "error")
    assert any("reserved for HTTP mode" in f.message for f in theirs)
    assert [d.line for d in ours] == [9] and "reserved for HTTP mode" in ours[0].message
