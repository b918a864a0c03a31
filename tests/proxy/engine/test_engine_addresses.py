"""The local address a session sees: from its listener (a concrete bind) or the socket.

A listener bound to one address tells its sessions their local address, sparing a
getsockname() per connection; connections that pass the maxconn gate ask the socket.
Either way ``dst``/``dst_port`` must be the address the client connected to.
"""

from __future__ import annotations

import pytest

from tests.proxy.engine._engine_support import HTTP_DEFAULTS, backends, request, running


@pytest.mark.asyncio
async def test_dst_and_dst_port_are_the_connected_address_with_and_without_the_gate() -> None:
    async with backends("server1") as (server,):
        config = HTTP_DEFAULTS + f"""
frontend direct
    bind 127.0.0.1:0
    http-request set-header X-Dst %[dst]:%[dst_port]
    default_backend app

frontend gated
    bind 127.0.0.1:0
    maxconn 50
    http-request set-header X-Dst %[dst]:%[dst_port]
    default_backend app

backend app
    server server1 127.0.0.1:{server.port}
"""
        async with running(config) as engine:
            for frontend in ("direct", "gated"):
                response = await request(engine.port_of(frontend))
                assert response.status == 200
                assert server.seen[-1].headers["x-dst"] == f"127.0.0.1:{engine.port_of(frontend)}"


@pytest.mark.asyncio
async def test_the_log_shows_the_client_address_and_a_rule_label_per_request() -> None:
    async with backends("server1", "server2") as (one, two):
        config = HTTP_DEFAULTS + f"""
frontend edge
    bind 127.0.0.1:0
    acl is_admin path_beg /admin
    use_backend admin if is_admin
    default_backend app

backend app
    server server1 127.0.0.1:{one.port}

backend admin
    server server2 127.0.0.1:{two.port}
"""
        async with running(config) as engine:
            events = []
            engine.subscribe(events.append)
            await request(engine.port_of("edge"), "/admin")
            await request(engine.port_of("edge"), "/")
        assert [e.rule for e in events] == [
            "use_backend admin if is_admin (line 10)", "default_backend app"]
        assert all(e.client[0] == "127.0.0.1" and e.client[1] > 0 for e in events)


# ------------------------------------------------------------ IPv6 wildcards and IPv4 clients
# HAProxy leaves IPV6_V6ONLY to the system unless the bind says v6only/v4v6: on Linux
# (net.ipv6.bindv6only = 0) "bind :::80" takes IPv4 clients too -- checked by hand with
# Debian's haproxy 2.6 (a 127.0.0.1 client of ":::P" gets its answer, of ":::P v6only" a
# refused connection, and ":::P" beside ":P" both bind).  asyncio would set V6ONLY always.


def _dual_stack_default() -> bool:
    import socket
    from pathlib import Path

    sysctl = Path("/proc/sys/net/ipv6/bindv6only")
    if not socket.has_ipv6 or not sysctl.exists():
        return False
    return sysctl.read_text().strip() == "0"


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET6) as probe:
        probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        probe.bind(("::", 0))
        return int(probe.getsockname()[1])


ANSWER = "    http-request return status 200 content-type text/plain string {name}\n"
dual_stack = pytest.mark.skipif(not _dual_stack_default(), reason="needs Linux with bindv6only=0")


@dual_stack
@pytest.mark.asyncio
async def test_an_ipv6_wildcard_takes_ipv4_clients_unless_v6only() -> None:
    config = HTTP_DEFAULTS + "frontend both\n    bind :::0\n" + ANSWER.format(name="both") + \
        "frontend six\n    bind :::0 v6only\n" + ANSWER.format(name="six") + \
        "frontend forced\n    bind :::0 v4v6\n" + ANSWER.format(name="forced")
    async with running(config) as engine:
        assert (await request(engine.port_of("both"))).body == b"both"
        assert (await request(engine.port_of("forced"))).body == b"forced"
        with pytest.raises(ConnectionRefusedError):
            await request(engine.port_of("six"))


@dual_stack
@pytest.mark.asyncio
async def test_an_ipv6_wildcard_beside_an_ipv4_one_on_the_same_port_binds_both() -> None:
    port = _free_port()
    config = HTTP_DEFAULTS + f"frontend web\n    bind :::{port}\n    bind :{port}\n" + \
        ANSWER.format(name="web")
    async with running(config) as engine:
        assert (await request(port)).body == b"web"
        assert len(engine.listening) == 2
