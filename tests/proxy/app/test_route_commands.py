"""``proxydesk route add/list``: local developer routes from the command line, end to end.

The certificate store is a temporary directory (PROXYDESK_DATA_DIR); the written
file must pass ``haproxy -c``, and the engine running it must answer
``https://app.localhost`` to a client trusting only Proxydesk's CA.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import pytest

from proxy.certs import CertStore
from proxy.certs.store import ENV_DATA_DIR
from proxy.cli import main
from proxy.config.parser import parse_file
from proxy.engine import Engine
from proxy.routes import routes_of
from tests.conftest import HaproxyCheck


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CertStore:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "data"))
    return CertStore()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_add_and_list_routes_in_a_file_haproxy_accepts(
    store: CertStore, tmp_path: Path, capsys: pytest.CaptureFixture[str], haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    assert main(["route", "add", "App.localhost", "127.0.0.1:3000", "-c", str(routes)]) == 0
    out = capsys.readouterr().out
    assert "https://app.localhost:8443/ and http://app.localhost:8080/ -> 127.0.0.1:3000" in out
    assert main(["route", "add", "api.localhost", "127.0.0.1:4000", "-c", str(routes), "--no-https"]) == 0
    assert "https" not in capsys.readouterr().out.split("->")[0]
    assert main(["route", "list", "-c", str(routes)]) == 0
    assert capsys.readouterr().out == "app.localhost -> 127.0.0.1:3000\napi.localhost -> 127.0.0.1:4000\n"
    assert [e.names for e in store.list_entries()] == [("app.localhost",)]  # none for plain HTTP
    checked = haproxy_check(routes, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    text = routes.read_text()
    assert "\n\nbackend be_app_localhost\n" in text and "\n\nbackend be_api_localhost\n" in text


def test_a_broken_file_is_reported_and_left_alone(
    store: CertStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = tmp_path / "routes.cfg"
    routes.write_text("frontend web\n    bind :80 'unterminated\n")
    before = routes.read_bytes()
    assert main(["route", "add", "app.localhost", "127.0.0.1:3000", "-c", str(routes)]) == 1
    assert f"{routes}:2:" in capsys.readouterr().err
    assert routes.read_bytes() == before and store.list_entries() == []


@pytest.mark.asyncio
async def test_the_engine_serves_the_route_over_verified_https(store: CertStore, tmp_path: Path) -> None:
    async def app(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(app, "127.0.0.1", 0)
    app_port = server.sockets[0].getsockname()[1]
    routes, https_port = tmp_path / "routes.cfg", free_port()
    assert main(["route", "add", "app.localhost", f"127.0.0.1:{app_port}", "-c", str(routes),
                 "--http-port", str(free_port()), "--https-port", str(https_port)]) == 0
    config = parse_file(routes).config
    assert routes_of(config) == [("app.localhost", f"127.0.0.1:{app_port}")]
    engine = Engine(config, base_dir=tmp_path)
    await engine.start()
    try:
        client = ssl.create_default_context(cafile=str(store.ca_cert_path))  # only our CA
        client.verify_flags |= ssl.VERIFY_X509_STRICT
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", https_port, ssl=client, server_hostname="app.localhost")
        writer.write(b"GET / HTTP/1.1\r\nHost: app.localhost:%d\r\nConnection: close\r\n\r\n"
                     % https_port)
        response = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    finally:
        await engine.stop(grace=0.5)
        server.close()
        await server.wait_closed()
    assert response.startswith(b"HTTP/1.1 200") and response.endswith(b"hello")


def test_remove_takes_a_route_and_its_certificate_out(
    store: CertStore, tmp_path: Path, capsys: pytest.CaptureFixture[str], haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    for host, port in (("app.localhost", 3000), ("api.localhost", 4000)):
        assert main(["route", "add", host, f"127.0.0.1:{port}", "-c", str(routes)]) == 0
    with_both = routes.read_text()
    assert main(["route", "remove", "APP.localhost", "-c", str(routes)]) == 0
    config = parse_file(routes).config
    assert routes_of(config) == [("api.localhost", "127.0.0.1:4000")]
    assert config.find("backend", "be_app_localhost") is None
    frontend = config.find("frontend", "local_routes")
    assert frontend is not None
    (tls,) = [b for b in frontend.binds if b.ssl]
    assert [Path(c).name for c in tls.certificates] == ["api.localhost.pem"]
    assert haproxy_check(routes, cwd=tmp_path).returncode == 0
    text = routes.read_text()
    assert not text.endswith("\n\n") and "app.localhost" not in text and text != with_both
    assert main(["route", "remove", "api.localhost", "-c", str(routes)]) == 0
    config = parse_file(routes).config
    frontend = config.find("frontend", "local_routes")
    assert frontend is not None and not any(b.ssl for b in frontend.binds)  # no route, no TLS bind
    assert routes_of(config) == [] and config.backends == []
    capsys.readouterr()
    assert main(["route", "remove", "api.localhost", "-c", str(routes)]) == 1
    assert "no route for api.localhost" in capsys.readouterr().err
    assert len(store.list_entries()) == 2  # the certificates stay in the store
