"""The semantics layer: which defaults a section reads, and where every value comes from.

HAProxy 2.6 is the reference: the verdict tests run ``haproxy -c`` on the same
text, and the runtime behaviour (which timeout fires) is compared in
tests/proxy/engine/test_engine_defaults.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.config import keywords as kw
from proxy.config.load import check_text
from proxy.config.model import Config, Section
from proxy.config.parser import parse
from proxy.config.semantics import describe, meaning_of
from tests.conftest import DATA, HaproxyCheck

# The example: a named chain HAProxy 2.6 accepts without a warning.
CHAIN_FILE = DATA / "valid" / "43-defaults-from-chain.cfg"
CHAIN = CHAIN_FILE.read_text()


def _config(text: str) -> Config:
    return parse(text).config


def _section(config: Config, kind: str, name: str | None) -> Section:
    found = config.find(kind, name)
    assert found is not None
    return found


def test_a_from_chain_gives_the_section_its_whole_chain() -> None:
    config = _config(CHAIN)
    fe = meaning_of(config, _section(config, "frontend", "fe"))
    assert [s.name for s in fe.chain] == ["web", "base"]
    assert fe.mode.value == "http"
    assert fe.mode.source.describe() == "defaults base line 5, through defaults web"
    client = fe.timeout("client")
    assert client is not None and client.value == "12s" and client.source.where() == "defaults web"
    be = meaning_of(config, _section(config, "backend", "be"))
    server = be.timeout("server")
    assert server is not None and (server.value, server.source.line) == ("7s", 8)
    assert be.timeout_seconds("connect") == 5.0


def test_the_chain_config_is_valid_without_warnings() -> None:
    result = check_text(CHAIN)
    assert result.diagnostics == []


def test_a_proxy_without_from_reads_the_last_defaults_before_it_named_or_not() -> None:
    config = _config("defaults a\n    mode http\ndefaults\n    timeout client 3s\n"
                     "frontend f\n    bind :80\ndefaults b\n    mode http\n")
    f = meaning_of(config, _section(config, "frontend", "f"))
    assert [s.name for s in f.chain] == [None]
    assert f.mode.value == "tcp" and f.mode.builtin  # the unnamed defaults resets: no "from"
    assert f.mode.source.describe() == kw.BUILTIN_SOURCE


def test_a_section_overrides_what_it_inherits() -> None:
    config = _config(CHAIN.replace("    server s1", "    timeout server 2s\n    server s1"))
    be = meaning_of(config, _section(config, "backend", "be"))
    server = be.timeout("server")
    assert server is not None and server.value == "2s"
    assert server.source.section is _section(config, "backend", "be")
    assert server.source.describe() == "backend be line 15"


def test_timeouts_fall_back_as_the_manual_says() -> None:
    config = _config(CHAIN)
    fe = meaning_of(config, _section(config, "frontend", "fe"))
    assert fe.timeout("http-keep-alive") is None
    found = fe.effective_timeout("http-keep-alive")  # -> http-request -> client
    assert found is not None and found[0] == "client" and found[1].value == "12s"
    assert kw.TIMEOUTS["queue"].fallback == "connect"


def test_server_options_come_from_default_server_lines_then_the_registry() -> None:
    config = _config("defaults d\n    default-server inter 4s\nbackend b from d\n"
                     "    default-server rise 5\n    server s 127.0.0.1:80 fall 9\n")
    b = meaning_of(config, _section(config, "backend", "b"))
    _, server = b.servers[0]
    inter = b.server_option("inter")
    assert inter is not None and inter.value == "4s" and inter.source.where() == "defaults d"
    rise = b.server_option("rise")
    assert rise is not None and rise.value == "5" and rise.source.line == 4
    fall = b.server_option("fall")
    assert fall is not None and fall.value == "3" and fall.builtin  # HAProxy's, from the registry
    merged = b.merged_server(server)
    assert (merged.option("inter"), merged.option("rise"), merged.option("fall")) == (["4s"], ["5"], ["9"])


def test_balance_and_mode_have_haproxys_defaults_from_the_registry() -> None:
    config = _config("backend b\n    server s 127.0.0.1:80\n")
    b = meaning_of(config, _section(config, "backend", "b"))
    assert b.balance.value == [kw.builtin_default("balance")] == ["roundrobin"]
    assert b.mode.value == kw.builtin_default("mode") == "tcp"


def test_inactive_lines_do_not_count() -> None:
    config = _config("defaults\n    mode http\n.if defined(NOPE_NOT_SET)\n    mode tcp\n.endif\n"
                     "frontend f\n    bind :80\n")
    semantics = describe(config, env={})
    assert semantics.of(_section(config, "frontend", "f")).mode.value == "http"


# --- errors about meaning, with HAProxy's verdict ------------------------------------------

VERDICTS = {
    "from-later": ("frontend fe from later\n    bind 127.0.0.1:18080\n    timeout client 1s\n"
                   "defaults later\n    mode http\n", "defaults section 'later' not found for frontend 'fe'"),
    "from-missing-in-defaults": ("defaults web from nothere\n    mode http\nfrontend fe\n"
                                 "    bind 127.0.0.1:18080\n    timeout client 1s\n",
                                 "defaults section 'nothere' not found for defaults 'web'"),
    "from-ambiguous": ("defaults x\n    timeout client 1s\ndefaults x\n    mode tcp\n"
                       "frontend fe from x\n    bind 127.0.0.1:18080\n",
                       "ambiguous defaults section name 'x' referenced by frontend 'fe' exists at least at line 1 and line 3"),
    "duplicate-name-unused": ("defaults x\n    timeout client 1s\ndefaults x\n    timeout client 2s\n"
                              "frontend fe\n    bind 127.0.0.1:18080\n", None),
    "utf8-bom": ("\ufeffdefaults\n    timeout client 1s\nfrontend fe\n    bind 127.0.0.1:18080\n",
                 "byte order mark"),
    "deny-status-415": ("defaults\n    mode http\n    timeout client 1s\nfrontend fe\n"
                        "    bind 127.0.0.1:18080\n    http-request deny deny_status 415\n",
                        "status code '415' not handled"),
    "deny-status-422": ("defaults\n    mode http\n    timeout client 1s\nfrontend fe\n"
                        "    bind 127.0.0.1:18080\n    http-request deny deny_status 422\n", None),
    "cook-derivative": ("defaults\n    mode http\n    timeout client 1s\nfrontend fe\n"
                        "    bind 127.0.0.1:18080\n    acl a cook_beg(x) y\n    http-request deny if a\n", None),
    "invalid-proxy-name": ("defaults\n    timeout client 1s\nfrontend a@b\n    bind 127.0.0.1:18080\n",
                           "character '@' is not permitted in 'frontend' name 'a@b'"),
    "invalid-name-of-an-unused-defaults": ("defaults d@x\n    timeout client 1s\nfrontend fe\n"
                                           "    bind 127.0.0.1:18080\n", None),
    "hash-type-none": ("defaults\n    timeout client 1s\n    timeout connect 1s\n    timeout server 1s\n"
                       "frontend fe\n    bind 127.0.0.1:18080\n    default_backend be\nbackend be\n"
                       "    balance source\n    hash-type consistent none\n    server s 127.0.0.1:9\n",
                       "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."),
    "predefined-acl-http-2": ("defaults\n    mode http\n    timeout client 1s\nfrontend fe\n"
                              "    bind 127.0.0.1:18080\n    http-request deny if HTTP_2.0\n", None),
    "backend-without-servers-needs-no-server-timeout": (
        "defaults\n    mode tcp\n    timeout client 1s\nfrontend fe\n    bind 127.0.0.1:18080\n"
        "    default_backend empty\nbackend empty\n", None),
}


@pytest.mark.haproxy
@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_meaning_errors_match_haproxy(name: str, tmp_path: Path, haproxy_check: HaproxyCheck) -> None:
    text, expected = VERDICTS[name]
    path = tmp_path / "haproxy.cfg"
    path.write_bytes(text.encode("utf-8"))
    theirs = haproxy_check(path, cwd=tmp_path)
    from proxy.config.load import load

    ours = load(path, base_dir=tmp_path)
    errors = [str(d) for d in ours.diagnostics if d.is_error]
    assert (theirs.returncode == 0) == (not errors) == (expected is None), (theirs.stderr, errors)
    if expected is not None:
        assert any(expected in e for e in errors), errors
    if theirs.returncode != 0:
        return  # HAProxy stops before its post-parse warnings
    # no warning HAProxy does not give either (missing timeouts, above all)
    warned = [d for d in ours.diagnostics if d.severity == "warning" and "missing timeouts" in d.message]
    assert bool(warned) == ("missing timeouts" in theirs.stderr)


# --- who reads a defaults section, and who really gets each of its values ----------------------

USERS = """\
global
    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256

defaults base
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    retries 2

defaults web from base
    timeout client 10s

frontend site from web
    bind 127.0.0.1:8443 ssl crt site.pem
    bind 127.0.0.1:9443 ssl crt site.pem ciphers ECDHE-RSA-AES256-GCM-SHA384
    default_backend app

frontend api from base
    bind 127.0.0.1:8081
    default_backend app

backend app from base
    server s1 127.0.0.1:9001

backend other from web
    server s2 127.0.0.1:9002
"""


def test_inheritors_follow_from_chains() -> None:
    from proxy.config.semantics import inheritors

    config = _config(USERS)
    semantics = describe(config)
    base = _section(config, "defaults", "base")
    web = _section(config, "defaults", "web")
    assert [m.section.name for m in inheritors(semantics, base)] == ["web", "site", "api", "app", "other"]
    assert [m.section.name for m in inheritors(semantics, web)] == ["site", "other"]


def test_takers_are_those_that_really_get_the_value() -> None:
    from proxy.config.semantics import takers

    config = _config(USERS)
    semantics = describe(config)
    base = _section(config, "defaults", "base")
    web = _section(config, "defaults", "web")

    def names(found: list[object]) -> list[str | None]:
        return [m.section.name for m in found]  # type: ignore[attr-defined]

    # site reads web's 10s; api reads base's; backends have no use for "timeout client"
    assert names(takers(semantics, base, lambda m: m.timeout("client"), "timeout client")) == ["api"]
    assert names(takers(semantics, web, lambda m: m.timeout("client"), "timeout client")) == ["site"]
    # base's "timeout server" reaches "other" through web: web passes it on
    assert names(takers(semantics, web, lambda m: m.timeout("server"), "timeout server")) == ["other"]
    # retries has no effect in a frontend (the registry's sections)
    assert names(takers(semantics, base, lambda m: m.setting("retries"), "retries")) == ["app", "other"]


def test_setting_and_global_setting_fall_back_on_the_registry() -> None:
    from proxy.config.semantics import global_setting, tls_binds_taking

    config = _config(USERS)
    app = meaning_of(config, _section(config, "backend", "app"))
    found = app.setting("retries")
    assert found is not None and found.value == ["2"] and found.source.line == 9
    bare = meaning_of(_config("backend b\n    server s 127.0.0.1:1\n"),
                      _section(_config("backend b\n    server s 127.0.0.1:1\n"), "backend", "b"))
    assert bare.setting("retries") is not None
    assert bare.setting("retries").value == [kw.builtin_default("retries")]  # type: ignore[union-attr]
    ciphers = global_setting(config, "ssl-default-bind-ciphers")
    assert ciphers is not None and ciphers.value == ["ECDHE-RSA-AES128-GCM-SHA256"] and ciphers.source.line == 2
    assert global_setting(config, "maxconn") is None
    taking = tls_binds_taking(describe(config), "ssl-default-bind-ciphers")
    assert [b.addresses for _m, b in taking] == [["127.0.0.1:8443"]]  # the other sets its own
