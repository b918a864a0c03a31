"""Routing through the real engine: the tutorial config end to end, rules, dynamic backends."""

from __future__ import annotations

import contextlib
import ipaddress
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _engine_support import HTTP_DEFAULTS, Backend, backends, request, running

from proxy.engine import Engine, RequestContext

TUTORIAL = "\n" + HTTP_DEFAULTS + """
frontend www
    bind 127.0.0.1:0
    acl is_light path_beg /lightwork
    acl is_heavy path_beg /heavywork
    acl is_admin path_beg /admin
    http-request deny if is_admin
    use_backend light_servers if is_light
    use_backend heavy_servers if is_heavy
    default_backend all_servers

backend light_servers
    balance roundrobin
    server web1 127.0.0.1:{0}
    server web2 127.0.0.1:{1}

backend heavy_servers
    balance source
    server web3 127.0.0.1:{2}
    server web4 127.0.0.1:{3}

backend all_servers
    balance roundrobin
    server web1 127.0.0.1:{0}
    server web2 127.0.0.1:{1}
    server web3 127.0.0.1:{2}
    server web4 127.0.0.1:{3}
"""


def _tutorial(ports: list[int]) -> str:
    return TUTORIAL.format(*ports)


@contextlib.asynccontextmanager
async def tutorial_running() -> AsyncIterator[tuple[list[Backend], Engine]]:
    """The tutorial's four servers and an engine running the tutorial config in front of them."""
    async with (
        backends("server1", "server2", "server3", "server4") as servers,
        running(_tutorial([s.port for s in servers])) as engine,
    ):
        yield servers, engine


@pytest.mark.asyncio
async def test_tutorial_admin_is_denied_and_never_reaches_a_server() -> None:
    async with tutorial_running() as (servers, engine):
        response = await request(engine.port_of("www"), "/admin")
        assert response.status == 403
        assert b"403 Forbidden" in response.body
        assert all(not s.seen for s in servers)


@pytest.mark.asyncio
async def test_tutorial_lightwork_alternates_between_servers_1_and_2() -> None:
    async with tutorial_running() as (_servers, engine):
        port = engine.port_of("www")
        bodies = [(await request(port, "/lightwork")).body for _ in range(6)]
    names = [b.split(b":")[0].decode() for b in bodies]
    assert names == ["server1", "server2"] * 3
    assert all(b.endswith(b"Doing light work!\n") for b in bodies)


@pytest.mark.asyncio
async def test_tutorial_heavywork_is_sticky_per_source_address() -> None:
    async with tutorial_running() as (_servers, engine):
        port = engine.port_of("www")
        chosen: dict[str, set[bytes]] = {}
        for source in ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"):
            for _ in range(3):
                body = (await request(port, "/heavywork", source=source)).body
                chosen.setdefault(source, set()).add(body.split(b":")[0])
    assert all(len(names) == 1 for names in chosen.values())  # sticky
    assert set().union(*chosen.values()) <= {b"server3", b"server4"}
    assert len(set().union(*chosen.values())) == 2  # five sources spread over both


@pytest.mark.asyncio
async def test_tutorial_default_backend_round_robins_over_all_four() -> None:
    async with tutorial_running() as (_servers, engine):
        port = engine.port_of("www")
        bodies = [(await request(port, "/")).body for _ in range(8)]
    assert Counter(b.split(b":")[0] for b in bodies) == {
        b"server1": 2, b"server2": 2, b"server3": 2, b"server4": 2}
    assert all(b.endswith(b"Home page!\n") for b in bodies)


@pytest.mark.asyncio
async def test_rules_run_in_haproxy_order_and_edit_headers() -> None:
    config = "\n" + HTTP_DEFAULTS + """frontend www
    bind 127.0.0.1:0
    http-request redirect location /new code 301 if { path /old }
    http-request return status 200 content-type text/plain string hello if { path /hello }
    http-request deny deny_status 429 if { hdr(x-abuse) -m found }
    http-request set-header X-Forwarded-Proto http
    http-request set-header X-Forwarded-Port %[dst_port]
    http-request del-header X-Secret
    http-request add-header X-Via proxydesk
    http-response set-header X-Frame-Options DENY
    http-response del-header X-Server
    default_backend app
backend app
    server s1 127.0.0.1:{0}
"""
    async with (
        backends("server1") as (server,),
        running(config.replace("{0}", str(server.port))) as engine,
    ):
        port = engine.port_of("www")
        moved = await request(port, "/old")
        hello = await request(port, "/hello")
        abuse = await request(port, "/", headers={"x-abuse": "1"})
        assert not server.seen
        ok = await request(port, "/page", headers={"x-secret": "s"})
    assert (moved.status, moved.headers["location"]) == (301, "/new")
    assert (hello.status, hello.body, hello.headers["content-type"]) == (200, b"hello", "text/plain")
    assert abuse.status == 429
    assert ok.status == 200
    assert ok.headers["x-frame-options"] == "DENY"
    assert "x-server" not in ok.headers
    seen = server.seen[0].headers
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-port"] == str(port)
    assert seen["x-via"] == "proxydesk"
    assert "x-secret" not in seen


@pytest.mark.asyncio
async def test_dynamic_use_backend_from_a_host_map(tmp_path: Path) -> None:
    (tmp_path / "hosts.map").write_text("# host backend\napp.local be_app\napi.local be_api\n")
    config = "\n" + HTTP_DEFAULTS + """frontend www
    bind 127.0.0.1:0
    use_backend %[req.hdr(host),lower,map(hosts.map,be_default)]
backend be_app
    server app 127.0.0.1:{0}
backend be_api
    server api 127.0.0.1:{1}
backend be_default
    http-request return status 404 content-type text/plain string "unknown site"
"""
    async with backends("app", "api") as (app, api):
        text = config.replace("{0}", str(app.port)).replace("{1}", str(api.port))
        async with running(text, base_dir=tmp_path) as engine:
            port = engine.port_of("www")
            to_app = await request(port, "/", headers={"host": "APP.local"})
            to_api = await request(port, "/", headers={"host": "api.local"})
            unknown = await request(port, "/", headers={"host": "other.local"})
    assert to_app.body.startswith(b"app:")
    assert to_api.body.startswith(b"api:")
    assert (unknown.status, unknown.body) == (404, b"unknown site")


@pytest.mark.asyncio
async def test_acls_with_converters_route_whatever_the_case_and_port_of_host() -> None:
    config = "\n" + HTTP_DEFAULTS + """frontend www
    bind 127.0.0.1:0
    acl is_app req.hdr(host),field(1,:),lower -m str app.localhost
    use_backend be_app if is_app
    default_backend be_other
backend be_app
    server app 127.0.0.1:{0}
backend be_other
    server other 127.0.0.1:{1}
"""
    async with backends("app", "other") as (app, other):
        text = config.replace("{0}", str(app.port)).replace("{1}", str(other.port))
        async with running(text) as engine:
            port = engine.port_of("www")
            hosts = ["app.localhost", "APP.LocalHost:8080", "api.localhost", "app.localhost.evil"]
            bodies = [(await request(port, "/", headers={"host": h})).body for h in hosts]
    assert [b.split(b":")[0] for b in bodies] == [b"app", b"app", b"other", b"other"]


@pytest.mark.asyncio
async def test_route_what_if_runs_the_real_rules_without_side_effects() -> None:
    async with tutorial_running() as (_servers, engine):
        local = ipaddress.ip_address("10.1.2.3")

        def ctx(path: str) -> RequestContext:
            return RequestContext.for_http(
                src=local, src_port=5555, dst=local, dst_port=80, method=b"GET",
                target=path.encode(), headers=[(b"Host", b"x")])

        heavy = engine.route("www", ctx("/heavywork/1"))
        heavy_again = engine.route("www", ctx("/heavywork/2"))
        admin = engine.route("www", ctx("/admin"))
        light = [engine.route("www", ctx("/lightwork")).server for _ in range(3)]
        first = (await request(engine.port_of("www"), "/lightwork")).body
    assert heavy.outcome == "backend" and heavy.backend == "heavy_servers"
    assert heavy.rule.startswith("use_backend heavy_servers if is_heavy (line ")
    assert heavy.matched_acls == ("is_heavy",)
    assert heavy.server == heavy_again.server
    assert admin.outcome == "deny" and admin.status == 403
    assert "http-request deny if is_admin" in admin.rule
    assert light == ["web1", "web1", "web1"]  # previews never advance the balancer
    assert first.startswith(b"server1:")
