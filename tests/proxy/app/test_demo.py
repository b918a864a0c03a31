"""The demo: its four web servers, the tutorial config, and the two running together."""

from __future__ import annotations

import asyncio
import filecmp
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest

from proxy.app.demo import (
    PAGES,
    SERVER_NAMES,
    Demo,
    port_of,
    start_demo_servers,
    start_responder,
    tutorial_answer,
    tutorial_config,
    tutorial_text,
)
from proxy.config.parser import parse
from proxy.config.writer import write

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "proxy" / "demo" / "tutorial.cfg"
EXAMPLE = ROOT / "resources" / "examples" / "tutorial.cfg"


async def exchange(port: int, raw: bytes, methods: Sequence[str] = ("GET",)) -> list[tuple[int, bytes]]:
    """Send raw bytes, read one Content-Length response per request method: [(status, body)]."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        return [await asyncio.wait_for(_read_response(reader, m == "HEAD"), 2) for m in methods]
    finally:
        writer.close()


async def _read_response(reader: asyncio.StreamReader, head_only: bool) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
    length = 0 if head_only else int(headers.get("content-length", "0"))
    return int(lines[0].split()[1]), await reader.readexactly(length)


async def get(port: int, path: str) -> tuple[int, bytes]:
    request = f"GET {path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n".encode()
    return (await exchange(port, request))[0]


# ------------------------------------------------------------------ the servers


@pytest.mark.asyncio
async def test_each_demo_server_answers_the_tutorial_pages_with_its_own_name() -> None:
    servers = await start_demo_servers((0, 0, 0, 0))
    try:
        for name, server in zip(SERVER_NAMES, servers, strict=True):
            port = port_of(server)
            assert await get(port, "/") == (200, f"{name}: Home page!\n".encode())
            assert await get(port, "/admin/users") == (200, f"{name}: Admin page!\n".encode())
            assert await get(port, "/lightwork?x=1") == (200, f"{name}: Doing light work!\n".encode())
            assert await get(port, "/heavywork") == (200, f"{name}: Doing heavy work!\n".encode())
            assert await get(port, "/health") == (200, b"OK\n")
    finally:
        for server in servers:
            server.close()


@pytest.mark.asyncio
async def test_pipelined_requests_on_one_connection_are_answered_in_order() -> None:
    server = await start_responder(tutorial_answer("server2"))
    try:
        paths = ["/", "/heavywork", "/admin"]
        raw = b"".join(f"GET {p} HTTP/1.1\r\nHost: d\r\n\r\n".encode() for p in paths)
        answers = await exchange(port_of(server), raw, ['GET'] * 3)
        assert [body for _, body in answers] == [
            b"server2: Home page!\n", b"server2: Doing heavy work!\n", b"server2: Admin page!\n"
        ]
    finally:
        server.close()


@pytest.mark.asyncio
async def test_a_request_body_is_skipped_and_the_next_request_still_parses() -> None:
    server = await start_responder(tutorial_answer("server1"))
    try:
        raw = (b"POST /lightwork HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\n\r\nhello"
               b"HEAD / HTTP/1.1\r\nHost: d\r\n\r\n")
        answers = await exchange(port_of(server), raw, ['POST', 'HEAD'])
        assert answers == [(200, b"server1: Doing light work!\n"), (200, b"")]
    finally:
        server.close()


@pytest.mark.asyncio
async def test_http10_without_keep_alive_is_closed_after_the_answer() -> None:
    server = await start_responder(tutorial_answer("server3"))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        everything = await asyncio.wait_for(reader.read(), 2)  # returns only at EOF
        writer.close()
        assert everything.startswith(b"HTTP/1.1 200 OK\r\n")
        assert everything.endswith(b"\r\n\r\nserver3: Home page!\n")
        assert b"connection: close" in everything
    finally:
        server.close()


@pytest.mark.asyncio
async def test_malformed_request_line_gets_400_and_close() -> None:
    server = await start_responder(tutorial_answer("server1"))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        writer.write(b"NONSENSE\r\n\r\n")
        everything = await asyncio.wait_for(reader.read(), 2)
        writer.close()
        assert everything.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    finally:
        server.close()


@pytest.mark.asyncio
async def test_a_taken_port_falls_back_to_a_free_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        server = await start_responder(tutorial_answer("server1"), busy)
        try:
            assert port_of(server) not in (0, busy)
            assert await get(port_of(server), "/") == (200, b"server1: Home page!\n")
        finally:
            server.close()


# ------------------------------------------------------------------- the config


def test_shipped_tutorial_and_example_copy_are_identical() -> None:
    assert filecmp.cmp(SHIPPED, EXAMPLE, shallow=False)
    assert tutorial_text() == SHIPPED.read_text()


@pytest.mark.haproxy
def test_shipped_tutorial_passes_haproxy_check(haproxy_check) -> None:  # type: ignore[no-untyped-def]
    result = haproxy_check(SHIPPED)
    assert result.returncode == 0, result.stderr
    assert "Warnings were found" not in result.stdout + result.stderr


def test_tutorial_has_the_routing_of_the_tutorial() -> None:
    config = parse(tutorial_text()).config
    main = config.find("frontend", "main")
    assert main is not None
    assert [(a.name, a.fetch, a.patterns) for a in main.acls] == [
        ("is_admin", "path_beg", ["/admin"]),
        ("is_light", "path_beg", ["/lightwork"]),
        ("is_heavy", "path_beg", ["/heavywork"]),
    ]
    assert [(u.backend, " ".join(u.to_words()[2:])) for u in main.use_backends] == [
        ("light", "if is_light"), ("heavy", "if is_heavy")
    ]
    assert main.default_backend == "all"
    servers = {b.name: [s.name for s in b.servers] for b in config.backends if b.servers}
    assert servers == {"light": ["server1", "server2"], "heavy": ["server3", "server4"],
                       "all": list(SERVER_NAMES)}
    assert {b.name: b.balance.algorithm for b in config.backends if b.balance} == {
        "light": "roundrobin", "heavy": "source", "all": "roundrobin"
    }
    assert {prefix.decode() for prefix, _ in PAGES} == {"/admin", "/lightwork", "/heavywork"}


def test_tutorial_config_rewrites_only_the_addresses() -> None:
    config = tutorial_config([9101, 9102, 9103, 9104], 9180, stats_port=9184, socket_port=None)
    original = tutorial_text().splitlines()
    rewritten = write(config).splitlines()
    dropped = [line for line in original if "stats socket" in line]
    assert len(dropped) == 1 and dropped[0] not in rewritten
    kept = [line for line in original if line not in dropped]
    changed = [(a, b) for a, b in zip(kept, rewritten, strict=True) if a != b]
    # only binds and servers changed: 2 binds + 2 + 2 + 4 servers
    assert len(changed) == 10
    assert all(a.split()[0] == b.split()[0] in ("bind", "server") for a, b in changed)
    assert "    bind 127.0.0.1:9180" in rewritten
    assert "    bind 127.0.0.1:9184" in rewritten
    assert "    server server3 127.0.0.1:9103 check" in rewritten
    addresses = {s.name: s.address for b in config.backends for s in b.servers}
    assert addresses == {f"server{i}": f"127.0.0.1:910{i}" for i in range(1, 5)}


# ------------------------------------------------------------------- the demo


@pytest.mark.asyncio
async def test_demo_serves_the_tutorial_end_to_end() -> None:
    demo = Demo(listen_port=0, server_ports=(0, 0, 0, 0))
    engine = await demo.start()
    try:
        port = engine.port_of("main")
        homes = {(await get(port, "/"))[1] for _ in range(4)}
        assert homes == {f"{name}: Home page!\n".encode() for name in SERVER_NAMES}
        lights = {(await get(port, "/lightwork"))[1] for _ in range(4)}
        assert lights == {b"server1: Doing light work!\n", b"server2: Doing light work!\n"}
        expected_heavy = demo.expected_server("/heavywork")
        assert expected_heavy in ("server3", "server4")
        heavies = {(await get(port, "/heavywork"))[1] for _ in range(3)}
        assert heavies == {f"{expected_heavy}: Doing heavy work!\n".encode()}
        status, _ = await get(port, "/admin")
        assert status == 403
        commands = [command for command, _ in demo.try_these()]
        assert f"curl http://127.0.0.1:{port}/lightwork" in commands
    finally:
        await demo.stop()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
