"""TLS through the real ``Engine``: termination, SNI passthrough, re-encryption, TLS checks.

Only the public ``Engine`` API is used.  Certificates come from a real local
CA (``proxy.certs.CertStore``); clients trust only that CA with Python's
strict defaults (CERT_REQUIRED + hostname check), so a passing handshake
proves the chain and the names.  Backends are real TLS servers on 127.0.0.1
that answer one JSON line (or an HTTP response carrying JSON) saying who
they are and which SNI they saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from _engine_support import (
    HTTP_DEFAULTS,
    TCP_DEFAULTS,
    backends,
    listening,
    load,
    running,
    tls_json_line,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from proxy.certs import CertStore
from proxy.config.load import check_text
from proxy.engine import Engine, EngineError
from proxy.engine.tls import TlsTerminator

TIMEOUT = 3.0


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

    async with listening(handle, term.context) as port:
        yield port


def client(ca: Path, *, check_names: bool = True) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = check_names
    return context


async def ask(port: int, context: ssl.SSLContext, sni: str | None) -> dict[str, str]:
    return await tls_json_line(port, context, sni, TIMEOUT)


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


PASSTHROUGH = "\n" + TCP_DEFAULTS + """frontend tls_in
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


TERMINATION = "\n" + HTTP_DEFAULTS + """frontend web
    bind 127.0.0.1:0
    bind 127.0.0.1:0 ssl crt certs alpn h2,http/1.1
    http-request redirect scheme https unless {{ ssl_fc }}
    default_backend app
backend app
    server s1 127.0.0.1:{port}
"""


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


# --- helpers for the tests below ---------------------------------------------------------


@contextlib.asynccontextmanager
async def https_site(name: str, pem: Path, base: Path) -> AsyncIterator[int]:
    """An HTTPS backend answering every request with JSON: its name, the SNI and Host seen."""
    term = TlsTerminator.from_options([["ssl"], ["crt", str(pem)]], base)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            host = next((line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                         if line.lower().startswith(b"host:")), None)
            info = term.info(writer.get_extra_info("ssl_object"))
            body = json.dumps({"site": name, "sni": info.ssl_fc_sni, "host": host}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
                         % (len(body), body))
            await writer.drain()
        writer.close()

    async with listening(handle, term.context) as port:
        yield port


@contextlib.asynccontextmanager
async def recorder(name: str) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A plain TCP server answering ``<name>:<first bytes received>`` and recording them."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            data = await reader.read(65536)
            seen.append(data)
            writer.write(name.encode() + b":" + data)
            await writer.drain()
        writer.close()

    async with listening(handle) as port:
        yield port, seen


async def https_get(
    port: int, context: ssl.SSLContext, sni: str, path: str = "/"
) -> tuple[bytes, bytes]:
    """One request over TLS; returns (response head, body)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=sni), TIMEOUT
    )
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        response = await asyncio.wait_for(reader.read(), TIMEOUT)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    return head, body


# --- passthrough robustness ---------------------------------------------------------------

PASSTHROUGH_WITH_PLAIN_DEFAULT = "\n" + TCP_DEFAULTS + """frontend tls_in
    bind 127.0.0.1:0
    tcp-request inspect-delay 400ms
    tcp-request content accept if {{ req_ssl_hello_type 1 }}
    use_backend site_a if {{ req.ssl_sni -i a.test }}
    default_backend fallback
backend site_a
    server a 127.0.0.1:{a}
backend fallback
    server f 127.0.0.1:{f}
"""


@pytest.mark.asyncio
async def test_passthrough_garbage_waits_for_inspect_delay_without_blocking_others(
    store: CertStore, tmp_path: Path
) -> None:
    a = combined_pem(store, tmp_path / "a.pem", "a.test")
    async with (
        tls_site("site_a", a, tmp_path) as pa,
        recorder("fallback") as (pf, seen),
        running(PASSTHROUGH_WITH_PLAIN_DEFAULT.format(a=pa, f=pf)) as engine,
    ):
        port = engine.port_of("tls_in")
        loop = asyncio.get_running_loop()
        clients = []
        for garbage in (b"GET / HTTP/1.0\r\n\r\n", b"\x16\x03\x01\xff\xff", b"\x00" * 64):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(garbage)
            clients.append((garbage, reader, writer))
        started = loop.time()
        assert (await ask(port, client(store.ca_cert_path), "a.test"))["site"] == "site_a"
        assert loop.time() - started < 0.3  # a real hello is routed at once, garbage or not
        for garbage, reader, writer in clients:
            answer = await asyncio.wait_for(reader.read(), TIMEOUT)
            writer.close()
            # non-TLS or unfinished hellos fall to the default backend after inspect-delay
            assert answer == b"fallback:" + garbage
        assert loop.time() - started >= 0.35
        assert sorted(seen) == sorted(g for g, _, _ in clients)


# --- termination -------------------------------------------------------------------------

TERMINATION_ROUTING = "\n" + HTTP_DEFAULTS + """frontend web
    bind 127.0.0.1:0 ssl crt {first} crt {second} ssl-min-ver TLSv1.3
    acl modern ssl_fc_protocol TLSv1.3
    http-request deny unless modern
    use_backend api if {{ ssl_fc_sni -m end .api.test }}
    default_backend app
backend app
    server s1 127.0.0.1:{app}
backend api
    server s1 127.0.0.1:{api}
"""


@pytest.mark.asyncio
async def test_termination_fetches_route_and_min_version_is_enforced(
    store: CertStore, tmp_path: Path
) -> None:
    first = combined_pem(store, tmp_path / "app.pem", "app.test")
    second = combined_pem(store, tmp_path / "api.pem", "*.api.test")
    async with (
        backends("app", "api") as [app, api],
        running(TERMINATION_ROUTING.format(first=first, second=second, app=app.port,
                                           api=api.port)) as engine,
    ):
        port = engine.port_of("web")
        ca = store.ca_cert_path
        head, body = await https_get(port, client(ca), "v1.api.test")
        assert head.startswith(b"HTTP/1.1 200") and body == b"api: Home page!\n"
        head, body = await https_get(port, client(ca), "app.test")
        assert head.startswith(b"HTTP/1.1 200") and body == b"app: Home page!\n"
        old = client(ca)
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await https_get(port, old, "app.test")


TCP_TERMINATION = "\n" + TCP_DEFAULTS + """frontend tls_tcp
    bind 127.0.0.1:0 ssl crt {pem}
    use_backend named if {{ ssl_fc_sni x.test }}
    default_backend other
backend named
    server n 127.0.0.1:{named}
backend other
    server o 127.0.0.1:{other}
"""


@pytest.mark.asyncio
async def test_tcp_mode_termination_relays_decrypted_bytes(store: CertStore, tmp_path: Path) -> None:
    pem = combined_pem(store, tmp_path / "x.pem", "x.test", "y.test")
    async with (
        recorder("named") as (named, seen),
        recorder("other") as (other, _),
        running(TCP_TERMINATION.format(pem=pem, named=named, other=other)) as engine,
    ):
        port = engine.port_of("tls_tcp")
        for sni, expected in (("x.test", b"named:ping"), ("y.test", b"other:ping")):
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client(store.ca_cert_path), server_hostname=sni
            )
            writer.write(b"ping")
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == expected
            writer.close()
        assert seen == [b"ping"]  # the server got plaintext


@pytest.mark.asyncio
async def test_reload_swaps_the_certificate_on_the_same_port(
    store: CertStore, tmp_path: Path
) -> None:
    old = combined_pem(store, tmp_path / "old.pem", "old.test")
    new = combined_pem(store, tmp_path / "new.pem", "new.test")
    async with (
        recorder("named") as (named, _),
        recorder("other") as (other, _),
        running(TCP_TERMINATION.format(pem=old, named=named, other=other)) as engine,
    ):
        port = engine.port_of("tls_tcp")

        async def exchange() -> bytes:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=client(store.ca_cert_path), server_hostname="new.test"
            )
            writer.write(b"hi")
            try:
                return await asyncio.wait_for(reader.read(), TIMEOUT)
            finally:
                writer.close()

        with pytest.raises(ssl.SSLCertVerificationError):  # old.pem does not name new.test
            await exchange()
        await engine.apply(check_text(TCP_TERMINATION.format(pem=new, named=named,
                                                             other=other)).config)
        assert engine.port_of("tls_tcp") == port  # the same socket, the new certificate
        assert await exchange() == b"other:hi"


@pytest.mark.asyncio
async def test_tls_problems_are_located_errors_and_h2_a_warning(
    store: CertStore, tmp_path: Path
) -> None:
    pem = combined_pem(store, tmp_path / "x.pem", "x.test")
    text = TCP_TERMINATION.format(pem=pem, named=1, other=2).replace("mode tcp", "mode http")
    with_h2 = text.replace(f"crt {pem}", f"crt {pem} alpn h2,http/1.1")
    engine = load(with_h2)
    await engine.start()
    try:
        assert any("alpn h2" in w.message and w.line == 8 for w in engine.warnings)
    finally:
        await engine.stop(grace=0.1)
    missing = Engine(check_text(text.replace(f"crt {pem}", f"crt {tmp_path / 'nope.pem'}")).config)
    with pytest.raises(EngineError) as caught:
        await missing.start()
    errors = [d for d in caught.value.diagnostics if d.is_error]
    assert errors and errors[0].line == 8 and "nope.pem" in errors[0].message
    assert missing.listening == []


# --- re-encryption and TLS health checks ---------------------------------------------------

REENCRYPT = "\n" + HTTP_DEFAULTS + """frontend web
    bind 127.0.0.1:0
    use_backend foreign if {{ path_beg /foreign }}
    default_backend secure
backend secure
    server s1 127.0.0.1:{good} ssl verify required ca-file {ca} sni req.hdr(host) {check}
backend foreign
    retries 0
    server s1 127.0.0.1:{bad} ssl verify required ca-file {ca} sni str(backend.test)
"""


@pytest.mark.asyncio
async def test_reencryption_verifies_backends_and_sends_the_host_as_sni(
    store: CertStore, tmp_path: Path
) -> None:
    good = combined_pem(store, tmp_path / "b.pem", "backend.test")
    stranger = CertStore(tmp_path / "other-store", owner="x@y")
    bad = combined_pem(stranger, tmp_path / "bad.pem", "backend.test")
    async with (
        https_site("good", good, tmp_path) as good_port,
        https_site("bad", bad, tmp_path) as bad_port,
        running(REENCRYPT.format(good=good_port, bad=bad_port, ca=store.ca_cert_path,
                                 check="")) as engine,
    ):
        port = engine.port_of("web")
        for _ in range(2):  # a varying SNI is never pooled: each request handshakes afresh
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.1\r\nHost: backend.test:8080\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            body = json.loads(await asyncio.wait_for(reader.readexactly(length), TIMEOUT))
            writer.close()
            assert body == {"site": "good", "sni": "backend.test", "host": "backend.test:8080"}
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /foreign HTTP/1.1\r\nHost: backend.test\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        writer.close()
        assert head.startswith(b"HTTP/1.1 503")  # its certificate is not from our CA
        row = engine.stats().find("foreign", "s1")
        assert row is not None and row.counters["econ"] >= 1


async def _wait_for_check(engine: object, backend: str, status: str) -> str:
    for _ in range(200):
        row = engine.stats().find(backend, "s1")  # type: ignore[attr-defined]
        if row is not None and row.check is not None and row.check.status == status:
            return str(row.status)
        await asyncio.sleep(0.01)
    raise AssertionError(f"{backend}/s1 never reached check status {status}")


@pytest.mark.asyncio
async def test_tls_health_checks_verify_with_the_servers_ca_file(
    store: CertStore, tmp_path: Path
) -> None:
    good = combined_pem(store, tmp_path / "b.pem", "backend.test")
    stranger = CertStore(tmp_path / "other-store", owner="x@y")
    bad = combined_pem(stranger, tmp_path / "bad.pem", "backend.test")
    text = REENCRYPT.replace(
        "sni str(backend.test)", "sni str(backend.test) check inter 50ms fall 1"
    )
    async with (
        https_site("good", good, tmp_path) as good_port,
        https_site("bad", bad, tmp_path) as bad_port,
        running(text.format(good=good_port, bad=bad_port, ca=store.ca_cert_path,
                            check="check check-sni backend.test inter 50ms")) as engine,
    ):
        assert await _wait_for_check(engine, "secure", "L6OK") == "UP"
        assert await _wait_for_check(engine, "foreign", "L6RSP") == "DOWN"


@pytest.mark.asyncio
async def test_a_certificate_without_its_key_is_refused_before_binding(
    store: CertStore, tmp_path: Path
) -> None:
    full = combined_pem(store, tmp_path / "full.pem", "x.test")
    certificate = x509.load_pem_x509_certificates(full.read_bytes())[0]
    pem = tmp_path / "cert-only.pem"  # exists, so the validator passes; the key is missing
    pem.write_bytes(certificate.public_bytes(Encoding.PEM))
    text = TCP_TERMINATION.format(pem=pem, named=1, other=2)
    engine = Engine(check_text(text).config)
    with pytest.raises(EngineError) as caught:
        await engine.start()
    assert "no private key" in caught.value.message
    assert [d.line for d in caught.value.diagnostics if d.is_error] == [8]
    assert engine.listening == []


def test_termination_and_passthrough_under_uvloop(tmp_path: Path) -> None:
    """The headless engine runs on uvloop: the same TLS paths must work there."""
    uvloop = pytest.importorskip("uvloop")

    async def both() -> None:
        store = CertStore(tmp_path / "store", owner="tester@testhost")
        await test_termination_with_sni_certificates(store, tmp_path / "term")
        await test_passthrough_routes_on_sni(store, tmp_path / "pass")

    (tmp_path / "term").mkdir()
    (tmp_path / "pass").mkdir()
    uvloop.run(asyncio.wait_for(both(), 10))
