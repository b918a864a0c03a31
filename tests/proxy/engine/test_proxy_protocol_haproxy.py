"""The PROXY protocol between the engine and the real haproxy 2.6, both ways.

haproxy ``send-proxy[-v2]`` -> engine ``accept-proxy`` -> a backend must see the
original client; engine ``send-proxy[-v2]`` -> haproxy ``accept-proxy`` must show
haproxy the original client.  Bad headers get the same verdict (HAProxy's error log
message, a reset, no answer), and health checks start with the same header.
Clients connect from 127.0.0.2, so the original address differs from the proxies'.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from proxy.certs import CertStore
from proxy.engine import LogEvent
from proxy.engine import proxy_protocol as pp
from tests.proxy.engine._engine_support import (
    backends,
    defaults_section,
    listening,
    read_response,
    render,
    running,
    wait_for,
)
from tests.proxy.engine._haproxy_harness import HAPROXY, free_port, running_haproxy, wait_listening

pytestmark = [pytest.mark.haproxy, pytest.mark.asyncio]

CLIENT = "127.0.0.2"
HAPROXY_DEFAULTS = ("defaults\n  mode http\n  timeout connect 1s\n  timeout client 3s\n"
                    "  timeout server 3s\n")


async def get(port: int, requests: int = 1) -> tuple[list[bytes], tuple[str, int]]:
    """Bodies of ``requests`` keep-alive requests from CLIENT, and the client's address."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(CLIENT, 0))
    bodies = []
    try:
        for _ in range(requests):
            writer.write(render("/"))
            response = await read_response(reader)
            assert response.status == 200, response
            bodies.append(response.body)
        return bodies, writer.get_extra_info("sockname")
    finally:
        writer.close()


@pytest.mark.parametrize("option", ["send-proxy", "send-proxy-v2"])
async def test_haproxy_send_proxy_into_engine_accept_proxy(option: str) -> None:
    front = free_port()
    async with backends("app") as [app], running(defaults_section() + (
        "frontend edge\n    bind 127.0.0.1:0 accept-proxy\n    option forwardfor\n"
        "    http-request set-header x-src %[src]:%[src_port]\n"
        "    http-request set-header x-dst %[dst]:%[dst_port]\n"
        f"    default_backend b\nbackend b\n    server app 127.0.0.1:{app.port}\n"
    )) as engine:
        config = (HAPROXY_DEFAULTS + f"frontend fe\n  bind 127.0.0.1:{front}\n  default_backend be\n"
                  f"backend be\n  server engine 127.0.0.1:{engine.port_of('edge')} {option}\n")
        with running_haproxy(config):
            wait_listening(front)
            _, client = await get(front)
    seen = [s for s in app.seen if "x-src" in s.headers][-1].headers
    assert seen["x-forwarded-for"] == CLIENT
    assert seen["x-src"] == f"{CLIENT}:{client[1]}"
    assert seen["x-dst"] == f"127.0.0.1:{front}"


@pytest.mark.parametrize(("option", "tls"), [
    ("send-proxy", False), ("send-proxy-v2", False),
    ("send-proxy ssl verify none", True), ("send-proxy-v2 ssl verify none", True),  # header, then TLS
])
async def test_engine_send_proxy_into_haproxy_accept_proxy(option: str, tls: bool, tmp_path: Path) -> None:
    theirs = free_port()
    crt = ""
    if tls:
        crt = f" ssl crt {CertStore(tmp_path / 'store', owner='t@h').issue(['site.test']).entry.pem_path}"
    config = (HAPROXY_DEFAULTS + f"frontend fe\n  bind 127.0.0.1:{theirs} accept-proxy{crt}\n"
              '  http-request return status 200 content-type text/plain '
              'lf-string "%[src]:%[src_port] %[dst]:%[dst_port] %[ssl_fc]"\n')
    with running_haproxy(config):
        wait_listening(theirs)
        async with running(defaults_section() + (
            "frontend edge\n    bind 127.0.0.1:0\n    default_backend b\n"
            f"backend b\n    server h 127.0.0.1:{theirs} {option}\n"
        )) as engine:
            ours = engine.port_of("edge")
            bodies, client = await get(ours, requests=2)  # the second on the private connection
    assert bodies == [f"{CLIENT}:{client[1]} 127.0.0.1:{ours} {int(tls)}".encode()] * 2


@contextmanager
def haproxy_logging(config: str) -> Iterator[Path]:
    """haproxy with its log lines on stdout, written to the yielded file."""
    with tempfile.TemporaryDirectory() as tmp:
        path, log = Path(tmp) / "h.cfg", Path(tmp) / "out.log"
        path.write_text("global\n  log stdout format raw local0\n" + config)
        with log.open("w") as out:
            proc = subprocess.Popen([HAPROXY, "-db", "-f", str(path)], stdout=out, stderr=out)
            try:
                yield log
            finally:
                proc.terminate()
                proc.wait(5)


async def refusal(port: int, data: bytes, *, eof: bool) -> tuple[bytes, bool]:
    """(what the proxy answered, whether it reset the connection)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    if eof:
        # haproxy resets a partial header at once (its one recv(MSG_PEEK)); the engine
        # waits for the rest (the spec's advice), so the client closes: both say "Truncated"
        with contextlib.suppress(OSError):
            writer.write_eof()
    answer, reset = b"", False
    try:
        answer = await asyncio.wait_for(reader.read(), 3)
    except ConnectionResetError:
        reset = True
    writer.close()
    return answer, reset


BAD = [
    (b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", False),
    (b"PROXY FOO 1.2.3.4\r\n", False),
    (b"PROXY UNKNOWN 1.2.3.4 5.6.7.8 10 20\r\n", False),
    (b"PROXY TCP4 1.2", True),
    (pp.V2_SIGNATURE + b"\x22\x11\x00\x0c" + bytes(12), False),  # an unknown v2 command
    # a TLV too long: haproxy logs the source the header gave (it took the addresses first)
    (pp.V2_SIGNATURE + b"\x21\x11\x00\x0f" + pp.render_v2(("192.0.2.9", 7), ("192.0.2.1", 80))[16:]
     + b"\x04\x00\x09", False),
]


async def test_bad_headers_get_haproxys_error_log_line_and_a_reset() -> None:
    front = free_port()
    frontend = ("frontend fe\n  log global\n  option httplog\n  bind 127.0.0.1:{port} accept-proxy\n"
                "  http-request return status 200\n")
    with haproxy_logging(HAPROXY_DEFAULTS + frontend.format(port=front)) as log:
        wait_listening(front)
        await asyncio.sleep(0.3)
        probe = len(log.read_text().splitlines())  # (wait_listening's own connection)
        theirs = [await refusal(front, data, eof=eof) for data, eof in BAD]
        await asyncio.sleep(0.3)
        their_lines = log.read_text().splitlines()[probe:]
    events: list[LogEvent] = []
    async with running(defaults_section() + frontend.format(port=0)) as engine:
        engine.subscribe(events.append)
        ours = [await refusal(engine.port_of("fe"), data, eof=eof) for data, eof in BAD]
        await wait_for(lambda: len(events) == len(BAD))
    assert ours == theirs
    assert all(answer == b"" and reset for answer, reset in ours[:3])

    def tail(line: str) -> str:  # "127.0.0.1:port [date] fe/1: message" without port and date
        return re.sub(r":\d+ \[[^]]+\]", "", line)

    assert [tail(e.httplog()) for e in events] == [tail(line) for line in their_lines]


async def test_health_checks_start_with_haproxys_header() -> None:
    """v1 names the check connection's own addresses, v2 is the LOCAL command."""

    async def first_bytes(run: object, options: str) -> bytes:
        seen: list[bytes] = []

        async def capture(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(await reader.read(200))
            writer.close()

        async with listening(capture) as port:
            await run(port, options)  # type: ignore[operator]
            await wait_for(lambda: bool(seen), timeout=5)
        return re.sub(rb" \d+ (\d+)\r\n", rb" <port> \1\r\n", seen[0]).replace(str(port).encode(), b"<srv>")

    async def haproxy(port: int, options: str) -> None:
        config = HAPROXY_DEFAULTS + f"backend be\n  server s 127.0.0.1:{port} check inter 100ms {options}\n"
        front = free_port()
        config += f"frontend fe\n  bind 127.0.0.1:{front}\n  default_backend be\n"
        with running_haproxy(config):
            await asyncio.sleep(0.5)

    async def engine(port: int, options: str) -> None:
        async with running(defaults_section() + (
            "frontend fe\n    bind 127.0.0.1:0\n    default_backend be\n"
            f"backend be\n    server s 127.0.0.1:{port} check inter 100ms {options}\n"
        )):
            await asyncio.sleep(0.5)

    for options in ("send-proxy", "send-proxy-v2", "check-send-proxy", "send-proxy-v2 check-send-proxy"):
        theirs = await first_bytes(haproxy, options)
        ours = await first_bytes(engine, options)
        assert ours == theirs, options
        assert theirs.startswith((b"PROXY TCP4 127.0.0.1 127.0.0.1 <port> <srv>\r\n", pp.V2_SIGNATURE))


async def test_a_tls_check_sends_the_header_before_its_handshake(tmp_path: Path) -> None:
    """``check-ssl check-send-proxy``: haproxy's ``bind ... accept-proxy ssl`` answers 200
    only to a connection that really began with a PROXY header, then TLS."""
    store = CertStore(tmp_path / "store", owner="tester@testhost")
    pem = store.issue(["site.test"]).entry.pem_path
    theirs = free_port()
    config = (HAPROXY_DEFAULTS + f"frontend fe\n  bind 127.0.0.1:{theirs} accept-proxy ssl crt {pem}\n"
              "  http-request return status 200 if { fc_rcvd_proxy } { ssl_fc }\n"
              "  http-request deny\n")
    with running_haproxy(config):
        wait_listening(theirs)
        async with running(defaults_section() + (
            "frontend edge\n    bind 127.0.0.1:0\n    default_backend b\n"
            "backend b\n    option httpchk GET /\n"
            f"    server h 127.0.0.1:{theirs} check check-ssl verify none check-send-proxy inter 100ms\n"
        )) as engine:
            assert engine.generation is not None
            server = engine.generation.backends["b"].servers[0]
            await wait_for(lambda: server.health.check_status not in ("", "INI"), timeout=5)
            assert (server.health.check_status, server.health.check_code) == ("L7OK", 200)


@pytest.mark.parametrize("option", ["send-proxy", "send-proxy-v2"])
async def test_haproxy_send_proxy_over_tls_into_engine_ssl_accept_proxy(option: str, tmp_path: Path) -> None:
    """haproxy writes the header and its ClientHello back to back: the engine reads the one
    and hands the other to its TLS handshake."""
    store = CertStore(tmp_path / "store", owner="tester@testhost")
    pem = store.issue(["site.test"]).entry.pem_path
    front = free_port()
    async with backends("app") as [app], running(defaults_section() + (
        f"frontend edge\n    bind 127.0.0.1:0 ssl crt {pem} accept-proxy\n"
        "    http-request set-header x-src %[src]:%[src_port]\n"
        "    http-request set-header x-tls %[ssl_fc]\n"
        f"    default_backend b\nbackend b\n    server app 127.0.0.1:{app.port}\n"
    )) as engine:
        config = (HAPROXY_DEFAULTS + f"frontend fe\n  bind 127.0.0.1:{front}\n  default_backend be\n"
                  f"backend be\n  server engine 127.0.0.1:{engine.port_of('edge')} ssl verify none {option}\n")
        with running_haproxy(config):
            wait_listening(front)
            _, client = await get(front, requests=2)
    seen = [s for s in app.seen if "x-src" in s.headers]
    assert [(s.headers["x-src"], s.headers["x-tls"]) for s in seen[-2:]] == [(f"{CLIENT}:{client[1]}", "1")] * 2
