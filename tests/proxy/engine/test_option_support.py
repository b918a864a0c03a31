"""The engine and the registry agree on which bind/server options it runs.

``OptionSpec.engine`` (proxy/config/keywords.py) is the one place that says what the
engine leaves out; the TLS module has no list of its own, and the engine's compiler
warns (Engine.warnings) with the checker's very words, at the same place.
"""

from __future__ import annotations

import shutil
import ssl
from pathlib import Path

import pytest

from proxy.certs import CertStore
from proxy.config import keywords as kw
from proxy.config.load import check_text
from proxy.config.validate import ENGINE_IGNORES
from proxy.engine import proxy_protocol, tls
from proxy.engine.engine import Engine
from proxy.engine.runtime import compile_config
from tests.conftest import HaproxyCheck
from tests.proxy.config.test_validate_option_gaps import HEAD, every_marked_option

# Server words the compiler (runtime._compile_server) and the health checker
# (health.check_settings) read, besides the TLS module's.
RUNTIME_SERVER_WORDS = {"weight", "backup", "no-backup", "disabled", "enabled", "maxconn", "id", "cookie"}
HEALTH_SERVER_WORDS = {"check", "no-check", "port", "inter", "fastinter", "downinter", "rise", "fall",
                       "addr", "check-ssl", "no-check-ssl", "check-sni"}
# Resets to what the engine always does, and "proto h1"/"check-proto h1" (its HTTP/1.1).
ALREADY_SO = {"no-agent-check", "no-send-proxy-v2-ssl", "no-send-proxy-v2-ssl-cn", "no-tfo",
              "proto", "check-proto"}


def run(table: dict[str, kw.OptionSpec]) -> set[str]:
    """What the registry says the engine runs (in whole or in part)."""
    return {name for name, spec in table.items() if spec.engine in ("runs", "partly")}


def test_the_tls_modules_bind_options_are_exactly_those_the_registry_says_run() -> None:
    # v6only/v4v6: the engine's listener sockets (engine._v6only); proto: only "h1" runs
    assert run(kw.BIND_OPTIONS) == (set(tls._BIND_HANDLERS) | tls.BIND_WORDS
                                    | proxy_protocol.BIND_WORDS | {"v6only", "v4v6", "proto"})


def test_the_engines_server_options_are_exactly_those_the_registry_says_run() -> None:
    read = (set(tls._SERVER_HANDLERS) | tls.SERVER_WORDS | RUNTIME_SERVER_WORDS | HEALTH_SERVER_WORDS
            | proxy_protocol.SERVER_WORDS | proxy_protocol.CHECK_WORDS)
    assert run(kw.SERVER_OPTIONS) == read | ALREADY_SO


def test_what_the_tls_module_ignores_is_what_the_registry_marks() -> None:
    """The old _unsupported list, now the registry's: none of it has a handler."""
    for table, handlers in ((kw.BIND_OPTIONS, tls._BIND_HANDLERS), (kw.SERVER_OPTIONS, tls._SERVER_HANDLERS)):
        ignored = {n for n, spec in table.items() if spec.engine == "ignores"}
        assert ignored & set(handlers) == set()
        assert {"ciphersuites", "npn", "allow-0rtt"} <= ignored
    assert {"ca-ignore-err", "crt-ignore-err", "ca-verify-file", "tls-ticket-keys",
            "generate-certificates"} <= {n for n, s in kw.BIND_OPTIONS.items() if s.engine == "ignores"}
    assert tls.HTTP_ALPN is kw.ENGINE_HTTP_ALPN


@pytest.fixture
def pem(tmp_path: Path) -> Path:
    store = CertStore(tmp_path / "store", owner="tester@testhost")
    target = tmp_path / "site.pem"
    shutil.copyfile(store.issue(["site.test"]).entry.pem_path, target)
    shutil.copyfile(store.ca_cert_path, tmp_path / "ca.pem")
    return target


def test_the_engine_warns_where_the_checker_does_in_its_words(
    tmp_path: Path, pem: Path, haproxy_check: HaproxyCheck
) -> None:
    text, expected = every_marked_option(tmp_path, pem)
    (tmp_path / "haproxy.cfg").write_text(text)
    assert haproxy_check(tmp_path / "haproxy.cfg", cwd=tmp_path).returncode == 0
    checked = check_text(text, "haproxy.cfg", base_dir=tmp_path, env={})
    generation = compile_config(checked.config, tmp_path)
    option_gaps = {d for d in checked.diagnostics if d.code == ENGINE_IGNORES and d.col > 5}
    assert set(generation.warnings) == option_gaps
    assert len(option_gaps) == len(expected)


@pytest.mark.asyncio
async def test_a_default_server_option_is_one_engine_warning_at_its_line(
    tmp_path: Path, haproxy_check: HaproxyCheck
) -> None:
    text = HEAD.format(mode="http") + (
        "    default-server send-proxy-v2-ssl\n"
        "frontend f\n    bind 127.0.0.1:0\n    default_backend b1\n"
        "backend b1\n    server s1 127.0.0.1:8001\n    server s2 127.0.0.1:8002\n"
        "backend b2\n    server s3 127.0.0.1:8003 tfo\n"
    )
    (tmp_path / "fixed.cfg").write_text(text.replace(":0\n", ":8080\n"))  # HAProxy refuses port 0
    assert haproxy_check(tmp_path / "fixed.cfg", cwd=tmp_path).returncode == 0
    engine = Engine(check_text(text, "d.cfg", env={}).config)
    await engine.start()
    try:
        assert [(w.line, w.col, w.message.split(":")[0]) for w in engine.warnings] == [
            (6, 20, "'send-proxy-v2-ssl'"), (14, 30, "'tfo'")]
    finally:
        await engine.stop(0.1)


def test_server_tls_tickets_resets_a_default_no_tls_tickets(tmp_path: Path) -> None:
    options = [["no-tls-tickets"], ["ssl"], ["verify", "none"]]
    off = tls.client_context(options, tmp_path)
    on = tls.client_context([*options, ["tls-tickets"]], tmp_path)
    assert off is not None and off.context.options & ssl.OP_NO_TICKET
    assert on is not None and not on.context.options & ssl.OP_NO_TICKET
