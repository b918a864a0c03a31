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
