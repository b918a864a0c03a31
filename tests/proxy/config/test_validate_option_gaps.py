"""``proxydesk check`` on bind/server options the embedded engine leaves out.

"Valid" must mean the engine runs it, or a located warning says what it leaves out:
every option the registry marks (OptionSpec.engine) gets one, at the option's word.
Each config here is one real HAProxy 2.6 accepts (``haproxy -c``): the warnings are
Proxydesk's own.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from proxy.certs import CertStore
from proxy.config import keywords as kw
from proxy.config.load import check_text
from proxy.config.model import Diagnostic
from proxy.config.validate import ENGINE_IGNORES
from tests.conftest import HaproxyCheck

HEAD = "defaults\n    mode {mode}\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n"

# A value HAProxy 2.6 accepts for each marked option (and that the engine leaves out).
BIND_SAMPLES = {
    "accept-netscaler-cip": "1234", "allow-0rtt": "", "alpn": "h2,http/1.1",
    "backlog": "100", "ca-ignore-err": "all", "ca-verify-file": "{ca}",
    "ciphersuites": "TLS_AES_128_GCM_SHA256", "crt-ignore-err": "all", "curves": "X25519:P-256",
    "defer-accept": "", "ecdhe": "prime256v1:secp384r1",
    "generate-certificates": "", "interface": "lo", "maxconn": "100", "mss": "1400",
    "npn": "http/1.1", "proto": "h2", "tcp-ut": "30s", "tfo": "", "tls-ticket-keys": "{tickets}",
    "transparent": "",
}
# HAProxy 2.6 needs these with them (not warned about: parts of the marked option)
BIND_COMPANIONS = {"generate-certificates": "ca-sign-file {pem}"}
# Debian's haproxy has no QUIC, and "namespace" needs an existing network namespace:
# the checker still warns (test_every_marked_option_is_in_the_samples_or_said_why).
NOT_IN_THIS_HAPROXY = {"quic-cc-algo", "quic-force-retry", "namespace"}

SERVER_SAMPLES = {
    "agent-check": "", "allow-0rtt": "", "alpn": "h2,http/1.1", "check-alpn": "h2",
    "check-proto": "h2", "check-via-socks4": "",
    "ciphersuites": "TLS_AES_128_GCM_SHA256", "init-addr": "last,libc,none", "max-reuse": "10",
    "maxqueue": "10", "minconn": "10", "npn": "http/1.1", "observe": "layer4",
    "on-marked-down": "shutdown-sessions", "on-marked-up": "shutdown-backup-sessions",
    "pool-low-conn": "2", "pool-max-conn": "10", "pool-purge-delay": "5s", "proto": "h2",
    "redir": "http://example.test", "resolvers": "dns",
    "send-proxy-v2-ssl": "", "send-proxy-v2-ssl-cn": "", "slowstart": "10s",
    "socks4": "127.0.0.1:1080", "source": "127.0.0.1", "tcp-ut": "30s", "tfo": "",
    "track": "be/ref",
}
SERVER_COMPANIONS = {"agent-check": "agent-port 8001"}


def marked(table: dict[str, kw.OptionSpec]) -> set[str]:
    return {name for name, spec in table.items() if spec.engine in ("ignores", "refuses", "partly")}


@pytest.fixture
def pem(tmp_path: Path) -> Path:
    store = CertStore(tmp_path / "store", owner="tester@testhost")
    target = tmp_path / "site.pem"
    shutil.copyfile(store.issue(["site.test"]).entry.pem_path, target)
    shutil.copyfile(store.ca_cert_path, tmp_path / "ca.pem")
    return target


def check(tmp_path: Path, text: str, haproxy_check: HaproxyCheck) -> list[Diagnostic]:
    """The checker's diagnostics for ``text``, after real HAProxy said it is valid."""
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    oracle = haproxy_check(path, cwd=tmp_path)
    assert oracle.returncode == 0, oracle.stderr
    result = check_text(text, str(path), base_dir=tmp_path, env={})
    assert not [d for d in result.diagnostics if d.is_error]
    return result.diagnostics


def web(mode: str, alpn: str, pem: Path) -> str:
    return HEAD.format(mode=mode) + (
        "frontend web\n"
        f"    bind 127.0.0.1:8443 ssl crt {pem} alpn {alpn}\n"
        "    default_backend be\n"
        "backend be\n"
        "    server s1 127.0.0.1:8080\n"
    )


def test_alpn_h2_in_mode_http_is_a_located_warning(
    tmp_path: Path, pem: Path, haproxy_check: HaproxyCheck
) -> None:
    text = web("http", "h2,http/1.1", pem)
    found = check(tmp_path, text, haproxy_check)
    col = text.splitlines()[6].rindex(" alpn ") + 2
    assert [(d.line, d.col, d.severity, d.code, d.message) for d in found] == [
        (7, col, "warning", ENGINE_IGNORES,
         "'h2' of 'alpn h2,http/1.1': accepted by HAProxy; the embedded engine ignores it "
         "(it speaks HTTP/1.1 only: it offers http/1.1)")]


def test_alpn_http11_in_mode_http_and_h2_in_mode_tcp_are_run_as_written(
    tmp_path: Path, pem: Path, haproxy_check: HaproxyCheck
) -> None:
    assert check(tmp_path, web("http", "http/1.1", pem), haproxy_check) == []
    assert check(tmp_path, web("tcp", "h2,http/1.1", pem), haproxy_check) == []  # relayed as is


def test_only_the_curves_after_the_first_are_left_out(
    tmp_path: Path, pem: Path, haproxy_check: HaproxyCheck
) -> None:
    one = web("http", "http/1.1", pem).replace("alpn http/1.1", "curves P-256")
    assert check(tmp_path, one, haproxy_check) == []
    [two] = check(tmp_path, one.replace("P-256", "P-256:X25519"), haproxy_check)
    assert two.message.startswith("'X25519' of 'curves P-256:X25519': accepted by HAProxy")
    assert "only P-256 is used" in two.message


def test_every_marked_option_is_in_the_samples_or_said_why() -> None:
    assert marked(kw.BIND_OPTIONS) == BIND_SAMPLES.keys() | NOT_IN_THIS_HAPROXY
    assert marked(kw.SERVER_OPTIONS) - SERVER_SAMPLES.keys() == {"namespace"}
    assert SERVER_SAMPLES.keys() <= marked(kw.SERVER_OPTIONS)
    for name in sorted(NOT_IN_THIS_HAPROXY):
        args = "blue" if name == "namespace" else "cubic" if name == "quic-cc-algo" else ""
        body = f"frontend f\n    bind 127.0.0.1:80 {name} {args}\n    default_backend b\nbackend b\n"
        [found] = check_text(HEAD.format(mode="http") + body, "t.cfg", env={}).diagnostics
        assert (found.line, found.col, found.code) == (7, 23, ENGINE_IGNORES), found


def _option(name: str, value: str, companion: str, files: dict[str, str]) -> str:
    return f"{name} {value} {companion}".format(**files).rstrip()


def every_marked_option(tmp_path: Path, pem: Path) -> tuple[str, list[tuple[int, int, str]]]:
    """A config with each sample on its own bind/server line, and where each must be warned
    about: ``(line, column of the option word, option)``."""
    tickets = tmp_path / "tickets.key"
    tickets.write_text("".join(base64.b64encode(bytes([i]) * 48).decode() + "\n" for i in range(3)))
    files = {"ca": str(tmp_path / "ca.pem"), "tickets": str(tickets), "pem": str(pem)}
    lines = ["resolvers dns", "    nameserver ns1 127.0.0.1:53",
             *HEAD.format(mode="http").splitlines(), "frontend fe", "    default_backend be"]
    expected: list[tuple[int, int, str]] = []
    for port, (name, value) in enumerate(BIND_SAMPLES.items(), start=20000):
        head = f"    bind 127.0.0.1:{port} ssl crt {pem} "
        lines.append(head + _option(name, value, BIND_COMPANIONS.get(name, ""), files))
        expected.append((len(lines), len(head) + 1, name))
    # HAProxy wants a tfo server's backend to retry on these
    lines += ["backend be", "    retry-on conn-failure empty-response response-timeout",
              "    server ref 127.0.0.1:8000 check"]
    for number, (name, value) in enumerate(SERVER_SAMPLES.items()):
        head = f"    server s{number} 127.0.0.1:8000 "
        lines.append(head + _option(name, value, SERVER_COMPANIONS.get(name, ""), files))
        expected.append((len(lines), len(head) + 1, name))
    return "\n".join(lines) + "\n", expected


def test_every_marked_option_gets_a_located_warning_at_its_word(
    tmp_path: Path, pem: Path, haproxy_check: HaproxyCheck
) -> None:
    text, expected = every_marked_option(tmp_path, pem)
    found = check(tmp_path, text, haproxy_check)
    said = {(d.line, d.col) for d in found if d.code == ENGINE_IGNORES}
    assert [e for e in expected if e[:2] not in said] == []
    for line, col, name in expected:  # the message names the option (or its left-out part)
        [message] = [d.message for d in found if (d.line, d.col) == (line, col)]
        assert f"'{name}" in message or f"of '{name} " in message, message


def test_a_default_server_option_is_said_once_at_its_own_line(
    tmp_path: Path, haproxy_check: HaproxyCheck
) -> None:
    text = HEAD.format(mode="http") + (
        "    default-server send-proxy-v2-ssl\n"
        "frontend f\n    bind 127.0.0.1:8080\n    default_backend b1\n"
        "backend b1\n    server s1 127.0.0.1:8001\n    server s2 127.0.0.1:8002\n"
        "backend b2\n    default-server tfo\n    retry-on conn-failure empty-response response-timeout\n"
        "    server s3 127.0.0.1:8003\n"
    )
    found = check(tmp_path, text, haproxy_check)
    options = [d for d in found if d.code == ENGINE_IGNORES and d.col > 5]  # not 'retry-on' itself
    assert [(d.line, d.col, d.message.split(":")[0]) for d in options] == [
        (6, 20, "'send-proxy-v2-ssl'"), (14, 20, "'tfo'")]


def test_per_certificate_crt_list_options_the_engine_does_not_apply(
    tmp_path: Path, pem: Path, haproxy_check: HaproxyCheck
) -> None:
    crt_list = tmp_path / "list.txt"
    crt_list.write_text(f"# comment\n{pem} [alpn http/1.1 ciphers HIGH] site.test\n{pem} [alpn h2] *.test\n")
    text = web("http", "http/1.1", pem).replace(f"crt {pem} alpn http/1.1", f"crt-list {crt_list}")
    found = check(tmp_path, text, haproxy_check)
    col = text.splitlines()[6].index(str(crt_list)) + 1
    assert [(d.line, d.col, d.message.split(": accepted")[0]) for d in found] == [
        (7, col, f"per-certificate 'ciphers HIGH' on crt-list line {crt_list}:2"),
        (7, col, f"'h2' of 'alpn h2' on crt-list line {crt_list}:3"),
    ]
