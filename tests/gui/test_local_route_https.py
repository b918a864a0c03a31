"""The local-route wizard's promise, end to end: https://app.localhost reaches the app.

Two routes (app.localhost and api.localhost) are added the way the wizard adds
them, each with a certificate from a fresh local CA in a temporary store; the
engine (through EngineHost, as in the app) serves them, and a client trusting
only that CA, with strict verification, reaches each app by its name over TLS
(SNI picks the certificate) and over plain HTTP.  The same config, with real
port numbers, passes ``haproxy -c``.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gui.engine_host import EngineHost
from gui.first_run import LocalRoute, add_local_route, with_local_certificate
from proxy.certs import CertStore
from proxy.config.model import Config
from proxy.config.parser import parse
from proxy.config.writer import write
from tests.conftest import HaproxyCheck
from tests.gui._support import named_http_servers
from tests.gui.test_certificates_tls import https_get, strict_client


@pytest.fixture
def store(tmp_path: Path) -> CertStore:
    return CertStore(tmp_path / "data with a space" / "certs")  # as macOS's "Application Support"


@pytest.fixture
def host(qtbot: Any) -> Iterator[EngineHost]:
    engine_host = EngineHost()
    yield engine_host
    engine_host.shutdown()


def two_routes(store: CertStore, apps: dict[str, int], http_port: int, https_port: int) -> Config:
    config = parse("defaults\n    mode http\n    timeout connect 2s\n").config
    for name in ("app", "api"):
        route = LocalRoute(f"{name}.localhost", f"127.0.0.1:{apps[name]}", http_port, https_port)
        add_local_route(config, with_local_certificate(route, store))
    return config


def test_both_routes_answer_by_name_over_verified_https_and_plain_http(
    store: CertStore, host: EngineHost
) -> None:
    with named_http_servers("app", "api") as apps:
        config = two_routes(store, apps, 0, 0)
        host.start_blocking(parse(write(config)).config)
        (_, _, http_port), (_, _, https_port) = host.listening
        client = strict_client(store.ca_cert_path)
        for name in ("app", "api"):
            response, sans = https_get(https_port, f"{name}.localhost", client)
            assert response.startswith(b"HTTP/1.1 200") and response.endswith(name.encode())
            assert sans == {f"{name}.localhost"}
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
            conn.request("GET", "/", headers={"Host": f"{name.upper()}.localhost:{http_port}"})
            assert conn.getresponse().read() == name.encode()
            conn.close()
    assert len(store.list_entries()) == 2  # one certificate per host name


def test_the_https_routes_pass_haproxy_and_reuse_certificates(
    store: CertStore, haproxy_check: HaproxyCheck, tmp_path: Path
) -> None:
    config = two_routes(store, {"app": 3000, "api": 4000}, 8080, 8443)
    text = write(config)
    frontend = parse(text).config.find("frontend", "local_routes")
    assert frontend is not None
    tls = [b for b in frontend.binds if b.ssl]
    assert len(tls) == 1 and len(tls[0].certificates) == 2  # one bind, SNI picks the crt
    assert "'" in text  # the store path has a space: the writer quoted it
    path = tmp_path / "routes.cfg"
    path.write_text(text)
    checked = haproxy_check(path, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    again = with_local_certificate(LocalRoute("app.localhost", https_port=8443), store)
    assert again.certificate == tls[0].certificates[0]  # reused, not issued again
    assert len(store.list_entries()) == 2
