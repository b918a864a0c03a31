"""Targeted validation cases: each snippet -> the located diagnostics it must produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.config.load import check_text

HEAD = (
    "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n"
)  # 5 lines: snippets start on line 6


def diags(body: str, tmp_path: Path | None = None, env: dict[str, str] | None = None) -> list[str]:
    result = check_text(HEAD + body, "t.cfg", base_dir=tmp_path or Path("."), env=env or {})
    return [str(d) for d in result.diagnostics]


CASES: list[tuple[str, str]] = [
    (
        "frontend f\n    bind :80\n    timout client 5s\n    default_backend b\nbackend b\n",
        "t.cfg:8:5: error: unknown keyword 'timout' in 'frontend' section; did you mean 'timeout' maybe ?",
    ),
    (
        "frontend f\n    bind :80\n    server s 1.2.3.4:80\n",
        "t.cfg:8:5: error: 'server' not allowed because frontend 'f' has no backend capability",
    ),
    (
        "frontend f\n    bind :80\n    balance roundrobin\n",
        "t.cfg:8:5: warning: 'balance' ignored because frontend 'f' has no backend capability",
    ),
    (
        "frontend f\n    bind :80\n    no option forwardfor\n",
        "t.cfg:8:5: error: negation/default is not supported for option 'forwardfor'",
    ),
    (
        "frontend f\n    bind :80\n    default_backend nowhere\n",
        "t.cfg:8:21: error: frontend 'f': unable to find required backend 'nowhere'",
    ),
    (
        "frontend f\n    bind :80\n    use_backend b if missing || { path_beg /x }\nbackend b\n",
        "t.cfg:8:22: error: no such ACL : 'missing'",
    ),
    ("frontend f\n    bind :70000\n", "t.cfg:7:10: error: invalid port '70000' (expects 1-65535)"),
    ("frontend f\n    bind :80\n    timeout client 1.5s\n", "t.cfg:8:20: error: unexpected character '.'"),
    (
        "backend b\n    server s1 1.2.3.4:80 wieght 3\n",
        "t.cfg:7:26: error: unknown keyword 'wieght' on server line; did you mean 'weight' maybe ?",
    ),
    (
        "backend b\n    server s1 1.2.3.4:80\n    server s1 1.2.3.5:80\n",
        "t.cfg:8:12: error: backend 'b': server 's1' has the same name as another server declared at line 7",
    ),
    (
        "backend b\n    balance fastest\n",
        "t.cfg:7:13: error: 'balance' only supports",
    ),
    ("backend b\n    contimeout 5s\n", "t.cfg:7:5: error: 'contimeout' is not supported anymore"),
    ("frontend f\n    bind :80\n    http-request deny deny_status 999\n", "t.cfg:8:35: error: invalid deny_status '999'"),
    ("frontend f\n    bind :80 ssl crt missing.pem\n", "t.cfg:7:22: error: unable to load crt 'missing.pem'"),
]


@pytest.mark.parametrize(("body", "expected"), CASES, ids=[c[1].split(": ", 2)[-1][:40] for c in CASES])
def test_snippet_gives_located_diagnostic(body: str, expected: str, tmp_path: Path) -> None:
    found = diags(body, tmp_path)
    assert any(d.startswith(expected) for d in found), "\n".join(found)


def test_all_diagnostics_are_collected() -> None:
    found = diags("frontend f\n    bind :80\n    timout client 5s\n    maxconns 10\n    default_backend x\n")
    assert [d.split(":")[1] for d in found if ": error:" in d] == ["8", "9", "10"]


def test_missing_timeouts_is_a_warning_only() -> None:
    result = check_text("frontend f\n    mode http\n    bind :80\n    default_backend b\nbackend b\n    mode http\n")
    assert result.ok
    assert any("missing timeouts for frontend 'f'" in d.message for d in result.diagnostics)


def test_inactive_if_branch_is_not_validated() -> None:
    body = ".if defined(NOT_SET)\nfrontend f\n    bogus keyword\n.else\nfrontend f\n    bind :80\n.endif\n"
    assert not [d for d in diags(body) if ": error:" in d]
    assert [d for d in diags(body, env={"NOT_SET": "1"}) if "unknown keyword 'bogus'" in d]


def test_environment_variable_port_is_not_judged() -> None:
    assert not [d for d in diags('frontend f\n    bind ":${PORT}"\n') if ": error:" in d]


def test_http_frontend_to_tcp_backend_names_both_sections() -> None:
    found = diags("frontend f\n    bind :80\n    default_backend db\nbackend db\n    mode tcp\n")
    assert any("http frontend 'f' (line 6) tries to use incompatible tcp backend 'db' (line 9)" in d for d in found)
