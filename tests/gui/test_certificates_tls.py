"""End to end: a certificate issued through the UI serves real HTTPS from the engine.

The frontend editor's "From Proxydesk's certificates…" picker (a real modal
dialog, driven by a timer the way a user would) issues a leaf for
``app.localhost 127.0.0.1`` and sets it as the bind's ``ssl crt``; the engine
then runs that config and a client that trusts *only* the Proxydesk CA, with
strict verification, completes a TLS handshake and an HTTP request.  The
store lives in a temporary directory; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.certificates import CertificatePickerDialog
from gui.document import Document
from gui.editors.frontend import FrontendEditor
from gui.engine_host import EngineHost
from proxy.certs import CertStore
from proxy.certs.store import ENV_DATA_DIR
from tests.gui._support import proxy_config_text

TIMEOUT_S = 5.0


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CertStore:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "data"))
    return CertStore()  # the default store, as the picker opens it: inside tmp_path


@pytest.fixture
def host(qtbot: Any) -> Iterator[EngineHost]:
    engine_host = EngineHost()
    yield engine_host
    engine_host.shutdown()


class PickerUser:
    """On the next modal picker: issue ``names`` through its Issue dialog, then choose it."""

    def __init__(self, names: str) -> None:
        self.names = names
        self.done = False
        self._tries = 200
        QTimer.singleShot(0, self._act)

    def _act(self) -> None:
        picker = QApplication.activeModalWidget()
        if not isinstance(picker, CertificatePickerDialog):
            self._tries -= 1
            if self._tries > 0:
                QTimer.singleShot(10, self._act)
            return
        assert picker.model.rowCount() == 0 and "No certificates" in picker.hint.text()
        issue = picker.issue()
        issue.names.setText(self.names)
        issue.issue_button.click()
        assert picker.model.rowCount() == 1 and picker.use_button.isEnabled()
        self.done = True
        picker.use_button.click()


def strict_client(ca_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))  # trusts only this CA
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    return context


def https_get(port: int, server_name: str, client: ssl.SSLContext) -> tuple[bytes, set[str]]:
    """One GET over TLS to 127.0.0.1:port; returns the raw response and the peer's SANs."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as raw,
        client.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        peer = tls.getpeercert()
        assert peer is not None
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {server_name}\r\nConnection: close\r\n\r\n".encode())
        response = b""
        while chunk := tls.recv(4096):
            response += chunk
    return response, {value for _kind, value in peer["subjectAltName"]}


def test_certificate_issued_in_the_ui_serves_verified_https(
    store: CertStore, host: EngineHost, backend_server: int, qtbot: Any
) -> None:
    document = Document()
    assert document.set_text(proxy_config_text(backend_server)) == []
    editor = FrontendEditor(document, "web")
    qtbot.addWidget(editor)
    binds = editor.binds
    binds.table.selectRow(0)  # the existing "bind 127.0.0.1:0"
    menu = binds.browse.menu()
    assert menu is not None
    assert [a.text() for a in menu.actions()] == ["From Proxydesk's certificates…", "From a file…"]

    user = PickerUser("app.localhost, 127.0.0.1")
    binds.pick_store_certificate()
    assert user.done
    entry = store.list_entries()[0]
    assert entry.names == ("app.localhost", "127.0.0.1")
    assert f"bind 127.0.0.1:0 ssl crt {entry.pem_path}\n" in document.text

    host.start_blocking(document.config, document.base_dir)
    port = next(p for frontend, _h, p in host.listening if frontend == "web")
    client = strict_client(store.ca_cert_path)
    for name in ("app.localhost", "127.0.0.1"):
        response, sans = https_get(port, name, client)
        assert response.startswith(b"HTTP/1.1 200") and response.endswith(b"backend")
        assert sans == {"app.localhost", "127.0.0.1"}
    with pytest.raises(ssl.SSLCertVerificationError):  # and a name it was not issued for fails
        https_get(port, "other.localhost", client)
