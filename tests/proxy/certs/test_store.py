"""The store on disk: layout, modes, list/renew/delete, and no leaked keys."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from cryptography import x509

from proxy.certs.errors import CertError
from proxy.certs.importing import read_bundle_files
from proxy.certs.store import ENV_DATA_DIR, SOURCE_ISSUED, CertStore, default_root
from tests.conftest import HaproxyCheck

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_default_root_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path))
    assert default_root() == tmp_path / "certs"
    assert CertStore().root == tmp_path / "certs"


def test_nothing_is_written_until_needed(store: CertStore) -> None:
    assert store.list_entries() == []
    assert not store.root.exists()  # listing neither creates a CA nor directories


@posix_only
def test_modes_of_everything_written(store: CertStore) -> None:
    entry = store.issue(["app.localhost"]).entry
    ca = store.ca()
    assert _mode(store.root) == 0o700
    assert _mode(store.entries_dir) == 0o700
    assert _mode(ca.cert_path.parent) == 0o700
    assert _mode(ca.key_path) == 0o600
    assert _mode(entry.pem_path) == 0o600  # holds the leaf's key
    assert _mode(ca.cert_path) & 0o022 == 0  # public, but never writable by others


def test_issue_list_renew_delete(store: CertStore) -> None:
    first = store.issue(["app.localhost", "127.0.0.1"]).entry
    second = store.issue(["app.localhost"]).entry  # same name: a distinct id
    wild = store.issue(["*.example.test", "example.test"]).entry
    assert (first.id, second.id, wild.id) == (
        "app.localhost",
        "app.localhost-2",
        "_wildcard.example.test",
    )

    listed = {entry.id: entry for entry in store.list_entries()}
    assert set(listed) == {first.id, second.id, wild.id}
    entry = listed[first.id]
    assert entry.source == SOURCE_ISSUED and entry.issued_by_local_ca
    assert entry.names == ("app.localhost", "127.0.0.1")
    assert entry.issuer == store.ca().certificate.subject.rfc4514_string()
    assert 823 <= entry.days_left <= 825
    assert entry.not_before < entry.not_after

    old_serial = x509.load_pem_x509_certificates(entry.pem_path.read_bytes())[0].serial_number
    renewed = store.renew(first.id).entry
    new_cert = x509.load_pem_x509_certificates(renewed.pem_path.read_bytes())[0]
    assert renewed.id == first.id and renewed.names == entry.names
    assert new_cert.serial_number != old_serial

    store.delete(second.id)
    assert {e.id for e in store.list_entries()} == {first.id, wild.id}
    assert not second.pem_path.exists() and not second.meta_path.exists()
    with pytest.raises(CertError, match="no certificate"):
        store.delete(second.id)
    with pytest.raises(CertError, match="no certificate"):
        store.renew(second.id)


def test_combined_pem_is_leaf_then_key(store: CertStore) -> None:
    entry = store.issue(["app.localhost"]).entry
    text = entry.pem_path.read_bytes()
    assert text.index(b"BEGIN CERTIFICATE") < text.index(b"BEGIN PRIVATE KEY")
    bundle = read_bundle_files(entry.pem_path)
    assert bundle.certificate.subject.rfc4514_string() == entry.subject


def test_ids_cannot_escape_the_store(store: CertStore, tmp_path: Path) -> None:
    store.issue(["app.localhost"])
    (tmp_path / "outside.json").write_text('{"source": "issued"}')
    for bad in ("../outside", "/etc/passwd", "", "a/b", ".hidden"):
        with pytest.raises(CertError, match="no certificate"):
            store.get(bad)
        with pytest.raises(CertError):
            store.delete(bad)
    assert (tmp_path / "outside.json").exists()


def test_claimed_but_unwritten_entries_are_not_listed(store: CertStore) -> None:
    store.issue(["app.localhost"])
    (store.entries_dir / "half.json").touch()  # a writer died after claiming the id
    assert [entry.id for entry in store.list_entries()] == ["app.localhost"]
    assert store.issue(["half"]).entry.id == "half-2"  # the claim is still respected


def test_entry_from_a_replaced_ca_is_listed_as_foreign(store: CertStore) -> None:
    entry = store.issue(["app.localhost"]).entry
    foreign = CertStore(store.root.parent / "other-install")
    foreign_entry = foreign.issue(["x.localhost"]).entry
    for suffix in (".pem", ".json"):
        copied = (foreign.entries_dir / f"x.localhost{suffix}").read_bytes()
        (store.entries_dir / f"x.localhost{suffix}").write_bytes(copied)
    assert foreign_entry.id == "x.localhost"
    listed = {e.id: e.issued_by_local_ca for e in store.list_entries()}
    assert listed == {entry.id: True, "x.localhost": False}


@pytest.mark.parametrize(
    ("layout", "cert_name", "key_name"),
    [
        ("combined", "app.localhost.pem", None),
        ("key-file", "app.localhost.pem", "app.localhost.pem.key"),
        ("pair", "app.localhost-cert.pem", "app.localhost-key.pem"),
    ],
)
def test_export_entry_layouts(
    store: CertStore, tmp_path: Path, layout: str, cert_name: str, key_name: str | None
) -> None:
    entry = store.issue(["app.localhost"]).entry
    cert_path, key_path = store.export_entry(entry.id, tmp_path / "out", layout=layout)
    assert cert_path.name == cert_name and (key_path.name if key_path else None) == key_name
    assert (b"PRIVATE KEY" in cert_path.read_bytes()) == (key_path is None)
    bundle = read_bundle_files(cert_path, key_path)
    assert bundle.certificate.subject.rfc4514_string() == entry.subject
    if os.name == "posix":
        assert _mode(key_path or cert_path) == 0o600
        if key_path is not None:
            assert _mode(cert_path) == 0o644


def test_export_entry_refuses_an_unknown_layout_and_an_unwritable_place(
    store: CertStore, tmp_path: Path
) -> None:
    entry = store.issue(["app.localhost"]).entry
    with pytest.raises(CertError, match="unknown layout"):
        store.export_entry(entry.id, tmp_path, layout="zip")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CertError, match="cannot write to"):
        store.export_entry(entry.id, blocker / "sub")


def test_no_key_bytes_in_reprs_exports_or_logs(
    store: CertStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="proxy.certs")
    issued = store.issue(["app.localhost"])
    renewed = store.renew(issued.entry.id)
    imported = store.import_files(issued.entry.pem_path)
    exported = store.export_ca(tmp_path / "ca.pem").read_bytes()
    texts = [
        repr(store),
        repr(store.ca()),
        str(store.ca()),
        repr(issued),
        str(renewed),
        repr(imported),
        repr(store.list_entries()),
        exported.decode(),
        store.ca_certificate_pem().decode(),
        caplog.text,
    ]
    assert caplog.records  # the operations did log something
    for text in texts:
        assert "PRIVATE KEY" not in text


@pytest.mark.haproxy
def test_haproxy_accepts_the_combined_pem(
    store: CertStore, tmp_path: Path, haproxy_check: HaproxyCheck
) -> None:
    entry = store.issue(["app.localhost", "127.0.0.1"]).entry
    config = tmp_path / "haproxy.cfg"
    # ``haproxy -c`` loads the certificate but binds nothing, so the port is moot.
    config.write_text(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n"
        "    timeout server 1s\n"
        f"frontend fe\n    bind 127.0.0.1:8443 ssl crt {entry.pem_path}\n"
        "    default_backend be\nbackend be\n    server s1 127.0.0.1:8080\n"
    )
    result = haproxy_check(config, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
