"""Real TLS handshakes: a client trusting only the Proxydesk CA, in strict mode.

The server is Python's ``ssl`` on 127.0.0.1 loading the store's combined
``<id>.pem`` exactly as the engine will; the client uses strict hostname
checking and OpenSSL's X509_STRICT flags.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from proxy.certs.store import CertStore

TIMEOUT_S = 5.0


@contextmanager
def tls_server(context: ssl.SSLContext, connections: int) -> Iterator[int]:
    """Serve ``connections`` handshakes on a free port, answering b"ok" to each."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT_S)

    def serve() -> None:
        with listener:
            for _ in range(connections):
                try:
                    connection, _address = listener.accept()
                except OSError:
                    return
                connection.settimeout(TIMEOUT_S)
                try:
                    with context.wrap_socket(connection, server_side=True) as tls:
                        tls.sendall(b"ok")
                except (ssl.SSLError, OSError):
                    connection.close()  # the client refused us: that is the test's business

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(timeout=TIMEOUT_S * 2)


def strict_client(ca_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))  # trusts only this CA
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    return context


def handshake(port: int, server_hostname: str, client: ssl.SSLContext) -> tuple[bytes, dict]:  # type: ignore[type-arg]
    with (
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as raw,
        client.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        peer = tls.getpeercert()
        assert peer is not None
        return tls.recv(2), peer


def server_context(pem: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)  # the combined file: certificate, chain and key
    return context


def _sans(peer: dict) -> set[str]:  # type: ignore[type-arg]
    return {value for _kind, value in peer["subjectAltName"]}


def test_issued_leaf_verifies_by_name_and_by_ip(store: CertStore) -> None:
    entry = store.issue(["app.localhost", "127.0.0.1"]).entry
    client = strict_client(store.ca_cert_path)
    with tls_server(server_context(entry.pem_path), connections=2) as port:
        assert handshake(port, "app.localhost", client)[0] == b"ok"
        assert handshake(port, "127.0.0.1", client)[0] == b"ok"


def test_wrong_name_is_refused(store: CertStore) -> None:
    entry = store.issue(["app.localhost"]).entry
    client = strict_client(store.ca_cert_path)
    with (
        tls_server(server_context(entry.pem_path), connections=1) as port,
        pytest.raises(ssl.SSLCertVerificationError, match="match"),
    ):
        handshake(port, "other.localhost", client)


def test_another_ca_is_not_trusted(store: CertStore, tmp_path: Path) -> None:
    entry = store.issue(["app.localhost"]).entry
    stranger = CertStore(tmp_path / "stranger")
    client = strict_client(Path(stranger.export_ca(tmp_path / "stranger-ca.pem")))
    with (
        tls_server(server_context(entry.pem_path), connections=1) as port,
        pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"),
    ):
        handshake(port, "app.localhost", client)


def test_sni_picks_between_two_leaves(store: CertStore) -> None:
    contexts = {
        name: server_context(store.issue([name]).entry.pem_path)
        for name in ("a.localhost", "b.localhost")
    }
    default = server_context(store.issue(["default.localhost"]).entry.pem_path)
    chosen: list[str | None] = []

    def pick(tls: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        chosen.append(server_name)
        if server_name in contexts:
            tls.context = contexts[server_name]

    default.sni_callback = pick
    client = strict_client(store.ca_cert_path)
    with tls_server(default, connections=2) as port:
        for name in ("a.localhost", "b.localhost"):
            reply, peer = handshake(port, name, client)
            assert reply == b"ok" and _sans(peer) == {name}
    assert chosen == ["a.localhost", "b.localhost"]


def test_renewed_certificate_still_verifies(store: CertStore) -> None:
    entry = store.issue(["app.localhost"]).entry
    renewed = store.renew(entry.id).entry
    assert renewed.pem_path == entry.pem_path
    with tls_server(server_context(renewed.pem_path), connections=1) as port:
        assert handshake(port, "app.localhost", strict_client(store.ca_cert_path))[0] == b"ok"
