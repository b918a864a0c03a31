"""``mode http`` through the real engine: connections, bodies, upgrades, forwarding headers."""

from __future__ import annotations

import asyncio
import time

import pytest
from _engine_support import (
    HTTP_DEFAULTS,
    Backend,
    backends,
    read_response,
    render,
    request,
    running,
)

BASE = "\n" + HTTP_DEFAULTS + """    timeout tunnel 300ms
    {defaults_extra}
frontend www
    bind 127.0.0.1:0
    {frontend_extra}
    default_backend app
backend app
    {backend_extra}
    server s1 127.0.0.1:{port}
"""


def config(backend: Backend, *, defaults: str = "", frontend: str = "", back: str = "") -> str:
    return BASE.format(defaults_extra=defaults, frontend_extra=frontend, backend_extra=back,
                       port=backend.port)


async def _open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


@pytest.mark.asyncio
async def test_keep_alive_on_both_sides_reuses_pooled_server_connections() -> None:
    async with backends("s1") as (server,), running(config(server)) as engine:
        port = engine.port_of("www")
        reader, writer = await _open(port)
        for i in range(5):
            writer.write(render(f"/k{i}"))
            assert (await read_response(reader)).body == b"s1: Home page!\n"
        writer.close()
        for i in range(5):  # new client connections, still the same server connection
            assert (await request(port, f"/c{i}")).status == 200
    assert server.connections == 1
    assert [s.target for s in server.seen] == [f"/k{i}" for i in range(5)] + [
        f"/c{i}" for i in range(5)]


@pytest.mark.asyncio
async def test_pipelined_requests_are_answered_in_order() -> None:
    async with backends("s1") as (server,), running(config(server)) as engine:
        reader, writer = await _open(engine.port_of("www"))
        writer.write(render("/first?delay=0.1") + render("/second") + render("/admin"))
        bodies = [(await read_response(reader)).body for _ in range(3)]
        writer.close()
    assert bodies == [b"s1: Home page!\n", b"s1: Home page!\n", b"s1: Admin page!\n"]


@pytest.mark.asyncio
async def test_chunked_request_and_response_bodies_are_streamed() -> None:
    async with backends("s1") as (server,), running(config(server)) as engine:
        reader, writer = await _open(engine.port_of("www"))
        writer.write(render("/echo", method="POST", headers={"transfer-encoding": "chunked"}))
        # (chunks arriving in separate reads: test_h1conn's playbook, without sleeps)
        writer.write(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        echoed = await read_response(reader)
        writer.write(render("/chunked"))
        chunked = await read_response(reader)
        writer.close()
    assert echoed.body == b"hello world"
    assert server.seen[0].body == b"hello world"
    assert chunked.headers["transfer-encoding"] == "chunked"
    assert chunked.body == b"s1: Home page!\n"


@pytest.mark.asyncio
async def test_large_bodies_both_ways_with_backpressure() -> None:
    size = 4 * 1024 * 1024
    async with backends("s1") as (server,), running(config(server)) as engine:
        port = engine.port_of("www")
        upload = await request(port, "/echo", method="POST", body=b"u" * size)
        reader, writer = await _open(port)
        writer.write(render(f"/big?size={size}"))
        head = await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(0.3)  # a slow reader: the proxy must not buffer 4 MiB meanwhile
        buffered = sum(  # what the engine holds in its client-side transports
            s.transport.get_write_buffer_size()  # type: ignore[attr-defined]
            for s in list(engine._hub.sessions) if s.transport is not None)
        body = await reader.readexactly(size)
        writer.close()
    assert upload.status == 200 and upload.body == b"u" * size
    assert b"content-length: %d" % size in head
    assert body == b"x" * size
    assert buffered < 1024 * 1024


@pytest.mark.asyncio
async def test_expect_100_continue_is_relayed() -> None:
    async with backends("s1") as (server,), running(config(server)) as engine:
        reader, writer = await _open(engine.port_of("www"))
        writer.write(render("/echo", method="POST",
                            headers={"expect": "100-continue", "content-length": "4"}))
        interim = await read_response(reader)
        writer.write(b"data")
        final = await read_response(reader)
        writer.close()
    assert interim.status == 100
    assert (final.status, final.body) == (200, b"data")


@pytest.mark.asyncio
async def test_upgrade_switches_to_a_tunnel_closed_by_timeout_tunnel() -> None:
    async with backends("s1") as (server,), running(config(server)) as engine:
        reader, writer = await _open(engine.port_of("www"))
        writer.write(render("/ws", headers={"connection": "upgrade", "upgrade": "echo"}))
        switching = await read_response(reader)
        writer.write(b"ping\x00\xff")
        echoed = await reader.readexactly(6)
        loop = asyncio.get_running_loop()
        started = loop.time()
        closed = await reader.read()  # idle tunnel: closed after "timeout tunnel 300ms"
        elapsed = loop.time() - started
        writer.close()
    assert switching.status == 101
    assert echoed == b"ping\x00\xff"
    assert closed == b""
    assert 0.15 <= elapsed <= 0.45


@pytest.mark.asyncio
async def test_forwardfor_adds_the_client_address_except_for_trusted_networks() -> None:
    async with backends("s1") as (server,):
        async with running(config(server, frontend="option forwardfor")) as engine:
            await request(engine.port_of("www"), "/")
        async with running(config(server, frontend="option forwardfor except 127.0.0.0/8")) as engine:
            await request(engine.port_of("www"), "/")
        custom = "option forwardfor header X-Real-IP"
        async with running(config(server, back=custom)) as engine:
            await request(engine.port_of("www"), "/")
    assert server.seen[0].headers["x-forwarded-for"] == "127.0.0.1"
    assert "x-forwarded-for" not in server.seen[1].headers
    assert server.seen[2].headers["x-real-ip"] == "127.0.0.1"


@pytest.mark.asyncio
async def test_http_server_close_closes_server_connections_but_keeps_the_client() -> None:
    async with (
        backends("s1") as (server,),
        running(config(server, defaults="option http-server-close")) as engine,
    ):
        reader, writer = await _open(engine.port_of("www"))
        for _ in range(3):
            writer.write(render("/"))
            assert (await read_response(reader)).status == 200
        writer.close()
    assert server.connections == 3
    assert all(s.headers.get("connection") == "close" for s in server.seen)


@pytest.mark.asyncio
async def test_http10_client_and_head_requests() -> None:
    async with backends("s1") as (server,), running(config(server)) as engine:
        port = engine.port_of("www")
        reader, writer = await _open(port)
        writer.write(b"GET /old HTTP/1.0\r\nHost: x\r\n\r\n")
        old = await read_response(reader)
        rest = await reader.read()  # HTTP/1.0 without keep-alive: closed after the answer
        writer.close()
        head = await request(port, "/", method="HEAD")
    assert (old.status, old.body, rest) == (200, b"s1: Home page!\n", b"")
    assert head.status == 200 and head.body == b""


@pytest.mark.asyncio
async def test_cookie_insert_makes_clients_stick_to_their_server() -> None:
    text = "\n" + HTTP_DEFAULTS + """frontend www
    bind 127.0.0.1:0
    default_backend app
backend app
    balance roundrobin
    cookie SRV insert indirect nocache
    server a 127.0.0.1:{0} cookie ca
    server b 127.0.0.1:{1} cookie cb
"""
    async with (
        backends("a", "b") as (a, b),
        running(text.replace("{0}", str(a.port)).replace("{1}", str(b.port))) as engine,
    ):
        port = engine.port_of("www")
        first = await request(port, "/")
        cookie = first.headers["set-cookie"].split(";")[0]
        sticky = [await request(port, "/", headers={"cookie": f"{cookie}; other=1"})
                  for _ in range(4)]
    assert first.headers["set-cookie"] == "SRV=ca; path=/"
    assert first.headers["cache-control"] == "private"
    assert all(r.body.startswith(b"a:") for r in sticky)
    assert all("set-cookie" not in r.headers for r in sticky)  # indirect: already has it
    assert [s.headers.get("cookie") for s in a.seen[1:]] == ["other=1"] * 4  # hidden from servers
    assert not b.seen


@pytest.mark.asyncio
async def test_log_events_describe_each_request() -> None:
    async with backends("s1") as (server,), running(config(server)) as engine:
        events = []
        unsubscribe = engine.subscribe(events.append)
        await request(engine.port_of("www"), "/logged")
        unsubscribe()
        await request(engine.port_of("www"), "/not-logged")
    assert len(events) == 1
    event = events[0]
    assert (event.frontend, event.backend, event.server, event.status) == ("www", "app", "s1", 200)
    assert (event.method, event.path, event.termination_state) == ("GET", "/logged", "--")
    assert event.rule == "default_backend app"
    assert event.client[0] == "127.0.0.1" and event.version == "HTTP/1.1"
    assert event.bytes_in > len("GET /logged HTTP/1.1\r\n") and event.bytes_out > len(b"s1: ")
    assert all(t >= 0 for t in event.timings) and event.timings.Ta >= event.timings.Tr
    assert (event.actconn, event.feconn, event.beconn, event.srv_conn) == (1, 1, 1, 1)
    assert (event.retries, event.srv_queue, event.backend_queue) == (0, 0, 0)
    assert abs(event.time - time.time()) < 5
    line = event.httplog()
    assert " www app/s1 " in line and line.endswith('"GET /logged HTTP/1.1"')
    assert " 200 " in line


@pytest.mark.asyncio
async def test_stats_snapshot_counts_requests_and_the_stats_page_is_served() -> None:
    import csv
    import io

    async with backends("s1") as (server,):
        text = config(server, frontend="stats enable\n    stats uri /haproxy-stats")
        async with running(text) as engine:
            port = engine.port_of("www")
            for _ in range(3):
                await request(port, "/")
            await request(port, "/admin?delay=0")
            page = await request(port, "/haproxy-stats")
            snapshot = engine.stats()
    rows = list(csv.DictReader(io.StringIO(snapshot.csv().removeprefix("# "))))
    by_name = {(r["pxname"], r["svname"]): r for r in rows}
    assert by_name[("app", "s1")]["hrsp_2xx"] == "4"
    assert by_name[("app", "BACKEND")]["req_tot"] == "4"
    assert by_name[("www", "FRONTEND")]["req_tot"] == "5"
    assert by_name[("www", "FRONTEND")]["status"] == "OPEN"
    backend, s1, front = by_name[("app", "BACKEND")], by_name[("app", "s1")], by_name[("www", "FRONTEND")]
    for column in ("bin", "bout"):  # bytes of the 4 forwarded exchanges, as HAProxy counts them
        assert 0 < int(backend[column]) == int(s1[column]) < int(front[column])  # + the stats page
    assert int(backend["bout"]) > 4 * len("s1: Home page!")
    assert page.status == 200
    assert page.body.lower().startswith(b"<!doctype html>")
    assert not any(s.target.startswith("/haproxy-stats") for s in server.seen)
