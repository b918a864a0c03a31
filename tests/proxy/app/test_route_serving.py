"""What the engine does with the files ``proxydesk route`` writes: real sockets on 127.0.0.1.

Wildcard routes reach their app for every subdomain and nothing else, over HTTP
and over HTTPS verified against the local CA only; an HTTPS app is reached by
re-encryption; an unknown host gets the 404 page listing the routes; and a
refused low port says what to do about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from proxy.app.ports import low_port_help
from proxy.certs import CertStore
from proxy.certs.store import ENV_DATA_DIR
from proxy.cli import main
from proxy.config.load import load
from proxy.config.validate import ENGINE_REFUSES
from proxy.engine import Engine
from proxy.hostsfile import ENV_HOSTS_FILE
from tests.conftest import HaproxyCheck
from tests.proxy.app._unprivileged import run_unprivileged
from tests.proxy.engine._engine_support import Backend, Response, read_response, render, serving


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CertStore:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "data"))
    monkeypatch.setenv(ENV_HOSTS_FILE, str(tmp_path / "hosts"))
    return CertStore()


@contextlib.asynccontextmanager
async def engine_on(routes: Path) -> AsyncIterator[tuple[int, int]]:
    """The engine serving ``routes`` (its binds on port 0); yields (HTTP port, HTTPS port)."""
    result = load(routes, base_dir=routes.parent)
    assert not [d for d in result.errors if "port '0'" not in d.message], result.errors
    engine = Engine(result.config, base_dir=routes.parent)
    await engine.start()
    try:
        ports = [port for _frontend, _host, port in engine.listening]
        yield ports[0], ports[1]
    finally:
        await engine.stop(grace=0.5)


async def get(port: int, host: str, tls: ssl.SSLContext | None = None, sni: str | None = None) -> Response:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=tls, server_hostname=(sni or host) if tls else None)
    try:
        writer.write(render("/", headers={"host": host, "connection": "close"}))
        return await asyncio.wait_for(read_response(reader), 5)
    finally:
        writer.close()


def trusting_only(store: CertStore) -> ssl.SSLContext:
    client = ssl.create_default_context(cafile=str(store.ca_cert_path))
    client.verify_flags |= ssl.VERIFY_X509_STRICT
    return client


def add(routes: Path, *argv: str) -> None:
    assert main(["route", "add", *argv, "-c", str(routes)]) == 0


def zero_ports(routes: Path) -> None:
    """Binds on port 0 (the engine picks free ports; the file stays the one route wrote)."""
    text = routes.read_text()
    routes.write_text(text.replace("127.0.0.1:8080\n", "127.0.0.1:0\n").replace("127.0.0.1:8443 ", "127.0.0.1:0 "))


@pytest.mark.asyncio
async def test_a_wildcard_route_serves_every_subdomain_and_nothing_else(
    store: CertStore, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.cfg"
    async with serving(Backend("wild")) as app, serving(Backend("plain")) as other:
        add(routes, "*.app.localhost", str(app.port))
        add(routes, "api.localhost", str(other.port))
        zero_ports(routes)
        client = trusting_only(store)
        async with engine_on(routes) as (http_port, https_port):
            for host in ("a.app.localhost", "B.c.App.localhost"):
                plain = await get(http_port, f"{host}:{http_port}")
                assert plain.status == 200 and plain.body == b"wild: Home page!\n"
                # TLS: the wildcard certificate covers one label (a.app.localhost), as in every
                # browser; a deeper name still routes when the client does not check the name
                sni = host.lower()
                checking = sni.count(".") == 2
                client.check_hostname = checking
                secure = await get(https_port, host, client, sni=sni)
                assert secure.status == 200 and secure.body == b"wild: Home page!\n"
            for host in ("app.localhost.evil", "evilapp.localhost", "app.localhost"):
                missed = await get(http_port, host)
                assert missed.status == 404, host
                assert b"api.localhost" in missed.body
            assert (await get(http_port, "api.localhost")).body == b"plain: Home page!\n"
        assert len(app.seen) == 4
        assert all(s.headers["host"].lower().endswith(".app.localhost") or
                   ".app.localhost:" in s.headers["host"].lower() for s in app.seen)


@pytest.mark.asyncio
async def test_an_unknown_host_gets_a_404_page_listing_the_routes(
    store: CertStore, tmp_path: Path, haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    add(routes, "app.localhost", "3000")
    add(routes, "api.localhost", "4000", "--no-https")
    assert haproxy_check(routes, cwd=tmp_path).returncode == 0  # HAProxy serves the same page
    zero_ports(routes)
    async with engine_on(routes) as (http_port, https_port):
        plain = await get(http_port, "nothing.localhost")
        secure = await get(https_port, "app.localhost", trusting_only(store))  # 503: no app there
        unknown_tls = await get(https_port, "nothing.localhost", trusting_only(store), sni="app.localhost")
    for page in (plain, unknown_tls):
        assert page.status == 404 and page.headers["content-type"] == "text/html; charset=utf-8"
        assert b'<a href="https://app.localhost:8443/">app.localhost</a>' in page.body
        assert b'<a href="http://api.localhost:8080/">api.localhost</a>' in page.body
    assert secure.status == 503  # a known host whose app is down is not "unknown"


@pytest.mark.asyncio
async def test_an_https_app_is_reached_by_re_encryption(
    store: CertStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    app_tls.load_cert_chain(store.certificate_for("upstream.localhost").pem_path)
    seen: list[bytes] = []

    async def app(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nsecure")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(app, "127.0.0.1", 0, ssl=app_tls)
    port = server.sockets[0].getsockname()[1]
    routes = tmp_path / "routes.cfg"
    try:
        add(routes, "app.localhost", f"https://127.0.0.1:{port}")
        assert f"server app 127.0.0.1:{port} ssl verify none\n" in routes.read_text()
        capsys.readouterr()
        assert main(["check", str(routes)]) == 0
        out, err = capsys.readouterr()
        assert ENGINE_REFUSES not in out + err and "configuration is valid\n" in err
        zero_ports(routes)
        async with engine_on(routes) as (http_port, https_port):
            plain = await get(http_port, "app.localhost")
            secure = await get(https_port, "app.localhost", trusting_only(store))
    finally:
        server.close()
    assert plain.status == secure.status == 200 and plain.body == secure.body == b"secure"
    assert len(seen) == 2


@pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(os, "fork"),
                    reason="Linux reserves ports below 1024")
def test_a_refused_low_port_says_what_to_do(shared_dir: Path, tmp_path: Path) -> None:
    if int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) <= 80:
        pytest.skip("this machine lets every user bind port 80")
    config = shared_dir / "low.cfg"
    config.write_text("frontend web\n    mode http\n    bind 127.0.0.1:80\n"
                      "    timeout client 5s\n    http-request return status 200\n")
    config.chmod(0o644)
    out = tmp_path / "out.txt"
    code = run_unprivileged(["run", str(config)], out)
    message = out.read_text()
    assert code == 1, message
    assert "cannot bind 127.0.0.1:80" in message and "port 80 is below 1024" in message
    # the interpreter's real file (the child, as nobody, may not see through /root to it)
    assert "sudo setcap cap_net_bind_service=+ep /" in message and "python" in message
    assert "sudo sysctl net.ipv4.ip_unprivileged_port_start=80" in message


def test_other_platforms_need_no_privilege_for_low_ports() -> None:
    assert "no privilege" in low_port_help(80, "darwin")[0]
    assert "excludedportrange" in low_port_help(443, "win32")[0]
