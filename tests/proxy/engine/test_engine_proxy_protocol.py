"""The PROXY protocol through the real engine: ``accept-proxy`` binds, ``send-proxy[-v2]``
servers and their health checks, over loopback sockets."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from pathlib import Path

import pytest
from _engine_support import (
    backends,
    defaults_section,
    listening,
    load,
    read_response,
    running,
    wait_for,
)

from proxy.certs import CertStore
from proxy.engine import Engine, LogEvent
from proxy.engine import proxy_protocol as pp

pytestmark = pytest.mark.asyncio

HEADER = b"PROXY TCP4 192.0.2.7 198.51.100.1 51234 8443\r\n"
GET = b"GET /a HTTP/1.1\r\nhost: x\r\n\r\n"


def http_front(port: int, *, client: str = "5s", extra: str = "") -> str:
    return defaults_section(client=client) + (
        "frontend edge\n    bind 127.0.0.1:0 accept-proxy\n    option forwardfor\n"
        "    http-request set-header x-src %[src]:%[src_port]\n"
        "    http-request set-header x-dst %[dst]:%[dst_port]\n"
        f"{extra}    default_backend app\nbackend app\n    balance source\n"
        f"    server a 127.0.0.1:{port}\n")


async def answer(reader: asyncio.StreamReader) -> bytes:
    """What the engine answered before hanging up; a reset (HAProxy's way to refuse) is b""."""
    try:
        return await asyncio.wait_for(reader.read(), 3)
    except ConnectionResetError:
        return b""


def stot(engine: Engine) -> int:
    row = engine.stats().find("edge", "FRONTEND")
    assert row is not None
    return int(row.counters["stot"])


class Capture:
    """A TCP server recording each connection's bytes; it answers HTTP ``ok`` to each request."""

    def __init__(self) -> None:
        self.connections: list[bytearray] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen = bytearray()
        self.connections.append(seen)
        while data := await reader.read(65536):
            seen += data
            for _ in range(data.count(b"\r\n\r\n")):
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()
        writer.close()


async def test_http_behind_a_proxy_sees_the_headers_client_everywhere() -> None:
    events: list[LogEvent] = []
    async with backends("a") as [app], running(http_front(app.port)) as engine:
        engine.subscribe(events.append)
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        for piece in (HEADER[:9], HEADER[9:] + GET[:5], GET[5:]):  # split anywhere
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        response = await read_response(reader)
        writer.close()
        assert response.status == 200
        seen = app.seen[0].headers
        assert seen["x-forwarded-for"] == "192.0.2.7"
        assert (seen["x-src"], seen["x-dst"]) == ("192.0.2.7:51234", "198.51.100.1:8443")
        await wait_for(lambda: bool(events))
        assert events[0].client == ("192.0.2.7", 51234) and not events[0].error


async def test_v2_local_keeps_the_real_address() -> None:
    async with backends("a") as [app], running(http_front(app.port)) as engine:
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        writer.write(pp.render_v2(None, None) + GET)
        assert (await read_response(reader)).status == 200
        writer.close()
        assert app.seen[0].headers["x-src"].startswith("127.0.0.1:")


@pytest.mark.parametrize(("data", "error", "state"), [
    (GET, pp.NOT_HEADER, "PR"),
    (b"PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n", pp.BAD_HEADER, "PR"),
    (b"PROXY TCP4 1.2", pp.TRUNCATED, "CR"),  # then the client closes
])
async def test_a_bad_or_missing_header_is_closed_without_an_answer_and_logged(
    data: bytes, error: str, state: str
) -> None:
    events: list[LogEvent] = []
    async with backends("a") as [app], running(http_front(app.port)) as engine:
        engine.subscribe(events.append)
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        writer.write(data)
        if error == pp.TRUNCATED:
            writer.write_eof()
        assert await answer(reader) == b""  # no answer at all
        writer.close()
        await wait_for(lambda: bool(events))
        [event] = events
        assert (event.error, event.termination_state, event.listener) == (error, state, "1")
        assert event.client[0] == "127.0.0.1"  # a violated protocol: the real address
        assert event.httplog().endswith(f"] edge/1: {error}")
        assert app.seen == [] and stot(engine) == 0


async def test_timeout_client_bounds_the_wait_for_the_header() -> None:
    events: list[LogEvent] = []
    async with backends("a") as [app], running(http_front(app.port, client="200ms")) as engine:
        engine.subscribe(events.append)
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        assert await answer(reader) == b""
        writer.close()
        await wait_for(lambda: bool(events))
        assert (events[0].error, events[0].termination_state) == (pp.TIMEOUT, "cR")


async def test_stopping_the_engine_closes_connections_still_waiting_for_their_header() -> None:
    engine = load(http_front(1, client="30s"))
    await engine.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
    writer.write(HEADER[:10])
    await asyncio.sleep(0.05)
    await engine.stop(grace=0.1)
    assert await answer(reader) == b""
    writer.close()


async def test_dontlognull_does_not_log_an_empty_connection() -> None:
    events: list[LogEvent] = []
    text = http_front(1, extra="    option dontlognull\n")
    async with running(text) as engine:
        engine.subscribe(events.append)
        _, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        writer.close()
        _, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        writer.write(b"junk")
        await asyncio.sleep(0.2)
        writer.close()
        await wait_for(lambda: bool(events))
        await asyncio.sleep(0.1)
        assert [e.error for e in events] == [pp.NOT_HEADER]


async def test_tcp_mode_accept_proxy_then_send_proxy_v2_passes_the_client_on() -> None:
    capture = Capture()
    async with listening(capture.handle) as port:
        text = defaults_section("tcp") + (
            "frontend edge\n    bind 127.0.0.1:0 accept-proxy\n"
            "    tcp-request connection reject if { src 192.0.2.7 }\n"  # the real address decides
            "    default_backend next\n"
            f"backend next\n    server n 127.0.0.1:{port} send-proxy-v2\n")
        async with running(text) as engine:
            _, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
            writer.write(HEADER + b"hello")
            await wait_for(lambda: bool(capture.connections) and capture.connections[0].endswith(b"hello"))
            writer.close()
    got = pp.HeaderReader()
    assert got.feed(bytes(capture.connections[0])) == pp.DONE
    assert got.header is not None and got.header.version == 2
    assert (got.header.src, got.header.dst) == (("192.0.2.7", 51234), ("198.51.100.1", 8443))
    assert got.rest == b"hello"


async def test_tcp_request_connection_rules_see_the_real_address() -> None:
    text = defaults_section("tcp") + (
        "frontend edge\n    bind 127.0.0.1:0 accept-proxy\n"
        "    tcp-request connection reject if { src 127.0.0.1 }\n"
        "    default_backend next\nbackend next\n    server n 127.0.0.1:1\n")
    async with running(text) as engine:
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        writer.write(HEADER)
        assert await answer(reader) == b""
        writer.close()
        assert stot(engine) == 0


async def test_send_proxy_v1_once_per_server_connection_kept_with_its_client() -> None:
    capture = Capture()
    async with listening(capture.handle) as port:
        text = defaults_section() + (
            "frontend edge\n    bind 127.0.0.1:0\n    default_backend next\n"
            f"backend next\n    server n 127.0.0.1:{port} send-proxy\n")
        async with running(text) as engine:
            front = engine.port_of("edge")
            clients = []
            for _ in range(2):
                reader, writer = await asyncio.open_connection("127.0.0.1", front)
                for _ in range(2):  # keep-alive: the second request reuses its connection
                    writer.write(GET)
                    assert (await read_response(reader)).status == 200
                clients.append((writer.get_extra_info("sockname"), writer))
            for _, writer in clients:
                writer.close()
    assert len(capture.connections) == 2  # one private connection per client, never shared
    for (client, _), seen in zip(clients, capture.connections, strict=True):
        line = f"PROXY TCP4 127.0.0.1 127.0.0.1 {client[1]} {front}\r\n".encode()
        assert seen.startswith(line + GET) and seen.count(b"PROXY") == 1 and seen.count(GET) == 2


async def test_health_checks_send_the_header_unless_they_check_elsewhere() -> None:
    capture = Capture()
    async with listening(capture.handle) as port:
        text = defaults_section() + (
            "frontend edge\n    bind 127.0.0.1:0\n    default_backend next\nbackend next\n"
            f"    server v1 127.0.0.1:{port} send-proxy check inter 100ms\n"
            f"    server v2 127.0.0.1:{port} send-proxy-v2 check inter 100ms\n"
            f"    server other 127.0.0.1:1 send-proxy check port {port} inter 100ms\n"
            f"    server forced 127.0.0.1:1 check addr 127.0.0.1 port {port} check-send-proxy inter 100ms\n")
        async with running(text):
            await wait_for(lambda: len(capture.connections) >= 8)
    firsts = {bytes(c[:6]) for c in capture.connections}
    assert b"PROXY " in firsts and pp.render_v2(None, None)[:6] in firsts and b"" in firsts
    v1 = [bytes(c) for c in capture.connections if c.startswith(b"PROXY ")]
    assert all(line.startswith(b"PROXY TCP4 127.0.0.1 127.0.0.1 ") and line.endswith(f" {port}\r\n".encode())
               for line in v1)
    assert {bytes(c) for c in capture.connections if c.startswith(b"\r\n")} == {pp.render_v2(None, None)}


def site_pem(tmp_path: Path) -> Path:
    store = CertStore(tmp_path / "store", owner="tester@testhost")
    shutil.copyfile(store.issue(["site.test"]).entry.pem_path, tmp_path / "site.pem")
    return tmp_path / "site.pem"


@pytest.mark.parametrize("header", [HEADER, pp.render_v2(("192.0.2.7", 51234), ("198.51.100.1", 8443))])
async def test_ssl_accept_proxy_reads_the_header_then_handshakes(tmp_path: Path, header: bytes) -> None:
    site_pem(tmp_path)
    text = defaults_section() + (
        "frontend edge\n    bind 127.0.0.1:0 ssl crt site.pem accept-proxy\n"
        "    http-request set-header x-src %[src]:%[src_port]\n"
        "    http-request set-header x-sni %[ssl_fc_sni]\n    default_backend b\n")
    async with backends("a") as [app], \
            running(text + f"backend b\n    server a 127.0.0.1:{app.port}\n", tmp_path) as engine:
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("edge"))
        writer.write(header)
        await writer.drain()
        client = ssl.create_default_context()
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        await writer.start_tls(client, server_hostname="site.test")
        writer.write(GET)
        assert (await read_response(reader)).status == 200
        writer.close()
    assert (app.seen[0].headers["x-src"], app.seen[0].headers["x-sni"]) == ("192.0.2.7:51234", "site.test")
