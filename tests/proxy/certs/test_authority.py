"""The local CA: its extensions, naming, persistence and creation races."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from proxy.certs.authority import build_ca, fingerprint_sha256, load_ca
from proxy.certs.errors import CertError
from proxy.certs.store import CertStore
from tests.proxy.certs.conftest import OWNER


def test_ca_extensions_and_subject() -> None:
    certificate, key = build_ca("alice@box")
    assert isinstance(key.curve, ec.SECP256R1)
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Proxydesk development CA"
    )
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "alice@box"
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Proxydesk alice@box"
    assert certificate.issuer == subject

    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign and usage.value.digital_signature
    ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate.verify_directly_issued_by(certificate)  # self-signed, signature valid


def test_ca_lives_ten_years_and_starts_in_the_past() -> None:
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    certificate, _key = build_ca("a@b", now=now)
    assert certificate.not_valid_before_utc < now
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert dt.timedelta(days=3649) <= lifetime <= dt.timedelta(days=3651)


def test_ca_is_created_once_and_persisted(store: CertStore) -> None:
    assert not store.has_ca()
    first = store.ca()
    assert store.has_ca()
    again = CertStore(store.root).ca()  # a new process would load, not re-create
    assert fingerprint_sha256(again.certificate) == fingerprint_sha256(first.certificate)
    assert again.name == f"Proxydesk {OWNER}"


def test_ca_certificate_pem_holds_only_the_certificate(store: CertStore) -> None:
    pem = store.ca_certificate_pem()
    assert pem.count(b"BEGIN CERTIFICATE") == 1
    assert b"PRIVATE KEY" not in pem
    assert x509.load_pem_x509_certificate(pem) == store.ca().certificate


def test_repr_hides_the_key(store: CertStore) -> None:
    ca = store.ca()
    assert "private_key" not in repr(ca) and "PRIVATE KEY" not in repr(ca)


def test_concurrent_creation_yields_one_ca(tmp_path: Path) -> None:
    root = tmp_path / "certs"
    fingerprints: list[str] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        barrier.wait()
        fingerprints.append(fingerprint_sha256(CertStore(root).ca().certificate))

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(fingerprints) == 4 and len(set(fingerprints)) == 1
    assert sorted(p.name for p in root.iterdir()) == ["ca"]  # staging dirs cleaned up


def test_mismatched_ca_key_is_refused(store: CertStore) -> None:
    ca = store.ca()
    _other_cert, other_key = build_ca("x@y")
    ca.key_path.write_bytes(
        other_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(CertError, match="does not match"):
        load_ca(ca.cert_path.parent)


def test_damaged_ca_is_explained(store: CertStore) -> None:
    ca = store.ca()
    ca.cert_path.write_bytes(b"garbage")
    with pytest.raises(CertError, match="cannot be read"):
        load_ca(ca.cert_path.parent)
