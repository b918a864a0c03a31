"""TLS through the real ``Engine``: SNI passthrough routing and termination.

These use only the public ``Engine`` API.  They are skipped (with the reason
printed) until the engine core calls into ``proxy.engine.clienthello`` and
``proxy.engine.tls``: the probe below looks for those names in the engine's
own modules, so the tests switch on by themselves once the hooks land.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import json
import shutil
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _engine_support import backends, running

from proxy.certs import CertStore
from proxy.engine.tls import TlsTerminator

TIMEOUT = 3.0
_ENGINE_MODULES = ("engine", "runtime", "tcp", "http", "session", "dispatch")


def _engine_mentions(name: str) -> bool:
    return any(
        name in inspect.getsource(importlib.import_module(f"proxy.engine.{module}"))
        for module in _ENGINE_MODULES
    )


needs_passthrough = pytest.mark.skipif(
    not _engine_mentions("parse_client_hello"),
    reason="engine hook missing: tcp.py must run clienthello.parse_client_hello on the "
    "inspected bytes and set RequestContext.req_ssl_sni / req_ssl_hello_type",
)
needs_termination = pytest.mark.skipif(
    not _engine_mentions("TlsTerminator"),
    reason="engine hook missing: binds with 'ssl' must listen with TlsTerminator.context "
    "and fill RequestContext from TlsTerminator.info()",
)


@pytest.fixture
def store(tmp_path: Path) -> CertStore:
    return CertStore(tmp_path / "store", owner="tester@testhost")


def combined_pem(store: CertStore, target: Path, *names: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(store.issue(list(names)).entry.pem_path, target)
    return target


@contextlib.asynccontextmanager
async def tls_site(name: str, pem: Path, base: Path) -> AsyncIterator[int]:
    """A TLS server terminating with ``pem`` that answers ``{"site": name, "sni": ...}``."""
    term = TlsTerminator.from_options([["ssl"], ["crt", str(pem)]], base)

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        info = term.info(writer.get_extra_info("ssl_object"))
        writer.write(json.dumps({"site": name, "sni": info.ssl_fc_sni}).encode() + b"\n")
        with contextlib.suppress(OSError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=term.context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def client(ca: Path, *, check_names: bool = True) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = check_names
    return context


async def ask(port: int, context: ssl.SSLContext, sni: str | None) -> dict[str, str]:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=sni), TIMEOUT
    )
    try:
        return dict(json.loads(await asyncio.wait_for(reader.readuntil(b"\n"), TIMEOUT)))
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


async def ask_bytewise(port: int, context: ssl.SSLContext, sni: str) -> dict[str, str]:
    """The same over a raw socket, the ClientHello written one byte per TCP segment."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=sni)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        with contextlib.suppress(ssl.SSLWantReadError):
            tls.do_handshake()
        for byte in outgoing.read():
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.001)  # TCP_NODELAY + a pause: one segment per byte
        answer = b""
        while b"\n" not in answer:
            data = await asyncio.wait_for(reader.read(65536), TIMEOUT)
            assert data, f"connection closed before an answer ({answer!r})"
            incoming.write(data)
            with contextlib.suppress(ssl.SSLWantReadError):
                tls.do_handshake()
                answer += tls.read(4096)
            writer.write(outgoing.read())  # the client's Finished, once
        return dict(json.loads(answer.split(b"\n")[0]))
    finally:
        writer.close()


PASSTHROUGH = """
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend tls_in
    bind 127.0.0.1:0
    tcp-request inspect-delay 2s
    tcp-request content accept if {{ req_ssl_hello_type 1 }}
    use_backend site_a if {{ req.ssl_sni -i a.test }}
    use_backend site_b if {{ req_ssl_sni -m end .b.test }}
    default_backend fallback
backend site_a
    server a 127.0.0.1:{a}
backend site_b
    server b 127.0.0.1:{b}
backend fallback
    server f 127.0.0.1:{f}
"""


@needs_passthrough
@pytest.mark.asyncio
async def test_passthrough_routes_on_sni(store: CertStore, tmp_path: Path) -> None:
    a = combined_pem(store, tmp_path / "a.pem", "a.test")
    b = combined_pem(store, tmp_path / "b.pem", "*.b.test")
    f = combined_pem(store, tmp_path / "f.pem", "fallback.test")
    async with (
        tls_site("site_a", a, tmp_path) as pa,
        tls_site("site_b", b, tmp_path) as pb,
        tls_site("fallback", f, tmp_path) as pf,
        running(PASSTHROUGH.format(a=pa, b=pb, f=pf)) as engine,
    ):
        port = engine.port_of("tls_in")
        ca = store.ca_cert_path
        assert await ask(port, client(ca), "A.test") == {"site": "site_a", "sni": "A.test"}
        assert await ask(port, client(ca), "www.b.test") == {"site": "site_b", "sni": "www.b.test"}
        no_sni = await ask(port, client(ca, check_names=False), None)
        assert no_sni == {"site": "fallback", "sni": None}
        assert (await ask_bytewise(port, client(ca), "a.test"))["site"] == "site_a"


TERMINATION = """
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:0
    bind 127.0.0.1:0 ssl crt certs alpn h2,http/1.1
    http-request redirect scheme https unless {{ ssl_fc }}
    default_backend app
backend app
    server s1 127.0.0.1:{port}
"""


@needs_termination
@pytest.mark.asyncio
async def test_termination_with_sni_certificates(store: CertStore, tmp_path: Path) -> None:
    combined_pem(store, tmp_path / "certs" / "1-app.pem", "app.localhost")
    combined_pem(store, tmp_path / "certs" / "2-api.pem", "api.localhost")
    async with (
        backends("app") as [app],
        running(TERMINATION.format(port=app.port), base_dir=tmp_path) as engine,
    ):
        plain_port, tls_port = (port for name, _, port in engine.listening if name == "web")
        reader, writer = await asyncio.open_connection("127.0.0.1", plain_port)
        writer.write(b"GET / HTTP/1.1\r\nHost: app.localhost\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        writer.close()
        assert (
            head.startswith(b"HTTP/1.1 302") and b"location: https://app.localhost/" in head.lower()
        )
        for name in ("app.localhost", "api.localhost"):
            context = client(store.ca_cert_path)
            context.set_alpn_protocols(["h2", "http/1.1"])
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", tls_port, ssl=context, server_hostname=name
            )
            assert writer.get_extra_info("ssl_object").selected_alpn_protocol() == "http/1.1"
            peer = writer.get_extra_info("peercert")
            assert ("DNS", name) in peer["subjectAltName"]
            writer.write(f"GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
            response = await asyncio.wait_for(reader.read(), TIMEOUT)
            writer.close()
            assert response.startswith(b"HTTP/1.1 200") and b"app: Home page!" in response
