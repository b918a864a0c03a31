"""Directives around routing (settings, http-check, cookie, stick tables, stats,
logging, captures, errorfile, hash-type): each line is judged as the real
haproxy judges it, in the section where it is placed."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.config.load import check_text
from tests.conftest import DATA, HaproxyCheck

HEAD = """defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend fe
    bind 127.0.0.1:18080
    default_backend be
backend be
"""

# (line placed in the backend, HAProxy accepts it?)
CASES: list[tuple[str, bool]] = [
    ("retries 3", True),
    ("retries three", True),  # HAProxy's atoi(): 0, with no word said (we warn)
    ("http-check expect status 200", True),
    ("http-check expect ! rstring ^ERR", True),
    ("http-check expect min-recv 10 string OK", True),
    ("http-check expect statuss 200", False),
    ("http-check expect status", False),
    ("http-check sned meth GET", False),
    ("http-check send meth GET uri /health ver HTTP/1.1 hdr Host app.local", True),
    ("cookie SERVERID insert indirect nocache", True),
    ("cookie SERVERID insert prefix", False),
    ("cookie SERVERID insrt", False),
    ("stick-table type ip size 100k expire 30s store http_req_rate(10s)", True),
    ("stick-table type address size 100k", False),
    ("stick-table type ip size 1m expire 1.5s", False),
    ("stick on src", False),  # no stick-table in this backend
    ("stick-table type ip size 1k\n    stick on src", True),
    ("stick at src", False),
    ("stats enable", True),
    ("stats uri /haproxy?stats", True),
    ("stats auth admin:secret", True),
    ("stats auth admin", True),  # accepted by HAProxy, useless (we warn)
    ("stats refresh 10s", True),
    ("stats refresh 1.5s", False),
    ("stats enabel", False),
    ("log global", True),
    ("log 127.0.0.1:514 local0 info", True),
    ('log-format "%ci:%cp %b/%s %ST"', True),
    ("errorfile 503 errors/503.http", True),
    ("errorfile 999 errors/503.http", False),
    ("errorfile 503 errors/missing.http", False),
    ("hash-type consistent sdbm avalanche", True),
    ("hash-type consistent md5", False),
    ("hash-type rendezvous", False),
]


def _config(line: str) -> str:
    return HEAD + f"    {line}\n    server s1 127.0.0.1:18081\n"


@pytest.mark.parametrize(("line", "valid"), CASES, ids=[c[0] for c in CASES])
def test_our_verdict(line: str, valid: bool) -> None:
    result = check_text(_config(line), "d.cfg", base_dir=DATA, env={})
    assert result.ok == valid, "\n".join(map(str, result.diagnostics))
    if not valid:
        assert any(d.line >= 10 for d in result.errors), "the error must name the directive's line"


@pytest.mark.parametrize(("line", "valid"), CASES, ids=[c[0] for c in CASES])
def test_haproxy_agrees(
    line: str, valid: bool, haproxy_check: HaproxyCheck, tmp_path: Path
) -> None:
    cfg = tmp_path / "d.cfg"
    cfg.write_text(_config(line))
    proc = haproxy_check(cfg)  # cwd: tests/data, where errors/503.http lives
    assert (proc.returncode == 0) == valid, proc.stdout + proc.stderr
