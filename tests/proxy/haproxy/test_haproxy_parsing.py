"""The pure parts of the HAProxy driver: -c messages, -v, show proc, syslog lines, binds, CSV."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from proxy.app.demo import start_demo_servers, tutorial_config
from proxy.config.parser import parse
from proxy.engine import Engine
from proxy.engine.session import is_notable
from proxy.engine.stats import StatsSnapshot
from proxy.haproxy.binary import find_haproxy, parse_check_output, parse_version
from proxy.haproxy.listening import bind_addresses, listening
from proxy.haproxy.process import parse_show_proc
from proxy.haproxy.running_copy import injected_global
from proxy.haproxy.syslog import notable_datagram, parse_datagram, parse_message

CHECK_OUTPUT = """\
[NOTICE]   (18308) : haproxy version is 2.6.12-1+deb12u4
[ALERT]    (18308) : config : parsing [/tmp/proxydesk-x/haproxy.next.cfg:11] : unknown keyword 'timout' in 'frontend' section; did you mean 'timeout' maybe ?
[WARNING]  (18308) : config : missing timeouts for backend 'be'.
[ALERT]    (18308) : config : Fatal errors found in configuration.
"""


def test_check_messages_point_at_the_users_file() -> None:
    found = parse_check_output(CHECK_OUTPUT, {"/tmp/proxydesk-x/haproxy.next.cfg": "/home/me/site.cfg"},
                               "/home/me/site.cfg")
    assert [(d.path, d.line, d.severity) for d in found] == [
        ("/home/me/site.cfg", 11, "error"),
        ("/home/me/site.cfg", 0, "warning"),
        ("/home/me/site.cfg", 0, "error"),
    ]
    assert found[0].message.startswith("unknown keyword 'timout' in 'frontend' section")
    assert found[1].message == "missing timeouts for backend 'be'."


def test_an_address_in_brackets_is_not_a_location() -> None:
    found = parse_check_output(
        "[ALERT]    (9) : Starting frontend fe: cannot bind socket (Address already in use) "
        "[127.0.0.1:8080]\n", {"/tmp/p/haproxy.cfg": "site.cfg"}, "site.cfg")
    assert [(d.path, d.line) for d in found] == [("site.cfg", 0)]
    assert found[0].message.endswith("[127.0.0.1:8080]")


def test_version_drops_the_distribution_suffix() -> None:
    assert parse_version("HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/") == "2.6.12"
    assert parse_version("HA-Proxy version 1.8.19 2019/02/11") == "1.8.19"
    with pytest.raises(ValueError):
        parse_version("bash: haproxy: not found")


def test_a_user_set_path_that_is_not_haproxy_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "haproxy"
    fake.write_text("#!/bin/sh\necho hello\n")
    fake.chmod(0o755)
    with pytest.raises(Exception, match="not a working haproxy"):
        find_haproxy(fake)


def test_show_proc_during_a_reload() -> None:
    table = parse_show_proc(
        "#<PID>          <type>          <reloads>       <uptime>        <version>\n"
        "22002           master          2 [failed: 1]   0d00h10m37s     2.6.12-1+deb12u4\n"
        "# workers\n"
        "506             worker          0               0d00h00m01s     2.6.12-1+deb12u4\n"
        "# old workers\n"
        "464             worker          1               0d00h00m09s     2.6.12-1+deb12u4\n"
        "# programs\n\n"
    )
    assert (table.master, table.reloads, table.failed) == (22002, 2, 1)
    assert table.workers == (506,) and table.old_workers == (464,)


def test_httplog_datagram_as_a_log_event() -> None:
    event = parse_datagram(
        b'<134>Dec  5 05:23:15 haproxy[506]: 127.0.0.1:41604 [05/Dec/2026:05:23:15.274] main~ '
        b'light/server2 0/0/1/2/3 200 158 - - ---- 1/1/0/0/0 0/0 "GET /lightwork?x=1 HTTP/1.1"\n'
    )
    assert event is not None
    assert (event.frontend, event.backend, event.server, event.status) == ("main", "light", "server2", 200)
    assert (event.method, event.path, event.version) == ("GET", "/lightwork?x=1", "HTTP/1.1")
    assert event.client == ("127.0.0.1", 41604)
    assert tuple(event.timings) == (0, 0, 1, 2, 3)
    assert (event.bytes_out, event.termination_state, event.actconn) == (158, "--", 1)
    assert event.time % 1 == pytest.approx(0.274, abs=1e-3)


def test_denied_request_and_tcplog_and_noise() -> None:
    denied = parse_message('127.0.0.1:5 [05/Dec/2026:05:23:15.274] main main/<NOSRV> 0/-1/-1/-1/0 '
                           '403 192 - - PR-- 1/1/0/0/0 0/0 "GET /admin HTTP/1.1"')
    assert denied is not None and denied.server == "" and denied.termination_state == "PR"
    tcp = parse_message("10.0.0.1:5000 [05/Dec/2026:05:23:15.274] db db/mysql1 0/1/250 4100 -- "
                        "1/1/1/1/0 0/0")
    assert tcp is not None and tcp.status is None and tcp.timings.Ta == 250 and tcp.server == "mysql1"
    assert parse_datagram(b"<133>Dec  5 05:23:15 haproxy[506]: Proxy main started.") is None


def test_binds_are_read_as_haproxy_binds_them() -> None:
    assert bind_addresses(":8080") == [("0.0.0.0", 8080)]
    assert bind_addresses("ipv6@:::443") == [("::", 443)]
    assert bind_addresses("127.0.0.1:80-81") == [("127.0.0.1", 80), ("127.0.0.1", 81)]
    assert bind_addresses("unix@/run/x.sock") == bind_addresses("/run/x.sock") == []
    config = tutorial_config([1, 2, 3, 4], 8080, stats_port=8404, socket_port=None)
    assert listening(config) == [("main", "127.0.0.1", 8080), ("stats", "127.0.0.1", 8404)]


def test_injected_global_is_a_socket_and_a_log_target() -> None:
    text = injected_global(Path("/tmp/proxydesk-x/stats.sock"), 5514)
    parsed = parse(text).config
    assert [s.kind for s in parsed.sections] == ["global"]
    assert "stats socket /tmp/proxydesk-x/stats.sock mode 600 level admin" in text
    assert "log 127.0.0.1:5514 local0" in text


@pytest.mark.asyncio
async def test_from_csv_keeps_every_counter_of_a_real_engine_snapshot() -> None:
    servers = await start_demo_servers((0, 0, 0, 0))
    engine = Engine(tutorial_config([s.sockets[0].getsockname()[1] for s in servers], 0,
                                    stats_port=0, socket_port=None))
    await engine.start()
    try:
        port = engine.port_of("main")
        for path in ("/", "/", "/lightwork", "/admin", "/heavywork"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            await reader.read()
            writer.close()
        snapshot = engine.stats()
    finally:
        await engine.stop()
        for server in servers:
            server.close()
    parsed = StatsSnapshot.from_csv(snapshot.csv())
    assert parsed.csv() == snapshot.csv()
    for row in snapshot.rows:
        twin = parsed.find(row.proxy, row.name)
        assert twin is not None
        assert (twin.type, twin.status, twin.weight, twin.act, twin.bck, twin.check) == (
            row.type, row.status, row.weight, row.act, row.bck, row.check)
        for key in ("scur", "smax", "stot", "bin", "bout", "req_tot", "hrsp_2xx", "hrsp_4xx",
                    "dreq", "econ", "eresp", "qcur", "lbtot", "rate", "req_rate"):
            if key in row.counters and row.csv_values()[_column(key)] != "":
                assert twin.counters.get(key, 0) == round(row.counters[key]), (row.name, key)
    assert parsed.find("all", "BACKEND").counters["req_tot"] == 2  # type: ignore[union-attr]
    assert parsed.find("main", "FRONTEND").counters["dreq"] == 1  # type: ignore[union-attr]


def _column(name: str) -> int:
    from proxy.engine.stats import CSV_COLUMNS

    return CSV_COLUMNS.index(name)


@pytest.mark.haproxy
def test_the_installed_haproxy_is_found_and_checks_a_file(haproxy_bin: str, tmp_path: Path) -> None:
    haproxy = find_haproxy(haproxy_bin)  # a user-set path
    assert haproxy.path == haproxy_bin and haproxy.version.startswith("2.")
    assert find_haproxy().version == haproxy.version  # PATH and the usual places
    bad = tmp_path / "bad.cfg"
    bad.write_text("defaults\n    mode http\nfrontend fe\n    bind 127.0.0.1:8080\n    balanse x\n")
    result = haproxy.check([bad], cwd=tmp_path, file_names={str(bad): "site.cfg"})
    assert not result.ok
    assert (result.errors[0].path, result.errors[0].line) == ("site.cfg", 5)
    assert "balanse" in result.summary()


LINES = [
    b'main~ light/server2 0/0/1/2/3 200 158 - - ---- 1/1/0/0/0 0/0 "GET /lightwork?x=1 HTTP/1.1"',
    b'main main/<NOSRV> 0/-1/-1/-1/0 403 192 - - PR-- 1/1/0/0/0 0/0 "GET /admin HTTP/1.1"',
    b'main all/server1 0/0/-1/-1/1002 503 216 - - SC-- 1/1/0/0/+3 0/0 "GET / HTTP/1.1"',
    b'stats stats/<STATS> 0/-1/-1/-1/0 200 5000 - - LR-- 1/1/0/0/0 0/0 "GET /stats HTTP/1.1"',
    b'db db/mysql1 0/1/250 4100 -- 1/1/1/1/0 0/0',
    b'db db/mysql1 0/1/+250 4100 CD 1/1/1/1/0 0/0',
]


@pytest.mark.parametrize("line", LINES)
def test_the_samplers_quick_look_agrees_with_the_parse(line: bytes) -> None:
    datagram = b"<134>Dec  5 05:23:15 haproxy[506]: 127.0.0.1:41604 [05/Dec/2026:05:23:15.274] " + line
    event = parse_datagram(datagram)
    assert event is not None
    assert notable_datagram(datagram) == is_notable(event.status, event.termination_state)


def test_the_samplers_quick_look_leaves_other_lines_to_the_parse() -> None:
    assert notable_datagram(b"<133>Dec  5 05:23:15 haproxy[506]: Proxy main started.") is None
