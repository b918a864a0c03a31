"""Importing PEM bundles and PKCS#12 files, and refusing what cannot serve."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from proxy.certs.errors import CertError
from proxy.certs.importing import load_bundle, read_bundle_files
from proxy.certs.store import SOURCE_IMPORTED, CertStore

PEM = serialization.Encoding.PEM


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _signed(
    subject: str, key: object, issuer: str, issuer_key: object, *, ca: bool, days: int = 30
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        san = x509.SubjectAlternativeName([x509.DNSName(f"{subject}.test")])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]


class Chain:
    """An outside CA hierarchy: root -> intermediate -> leaf (RSA leaf key)."""

    def __init__(self, leaf_days: int = 30) -> None:
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.mid_key = ec.generate_private_key(ec.SECP256R1())
        self.leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.root = _signed("root", self.root_key, "root", self.root_key, ca=True)
        self.mid = _signed("mid", self.mid_key, "root", self.root_key, ca=True)
        self.leaf = _signed("shop", self.leaf_key, "mid", self.mid_key, ca=False, days=leaf_days)

    def key_pem(self, password: bytes | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self.leaf_key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, encryption)

    def certs_pem(self, *certs: x509.Certificate) -> bytes:
        return b"".join(cert.public_bytes(PEM) for cert in certs)


@pytest.fixture(scope="module")
def chain() -> Chain:
    return Chain()


def test_pem_with_key_inside_and_chain_out_of_order(chain: Chain) -> None:
    # Root first, key in the middle, leaf last: the leaf is found by its key.
    data = chain.certs_pem(chain.root) + chain.key_pem() + chain.certs_pem(chain.leaf, chain.mid)
    bundle = load_bundle(data)
    assert bundle.certificate == chain.leaf
    assert bundle.chain == (chain.mid, chain.root)
    assert bundle.warnings == ()


def test_pem_with_separate_key_file(chain: Chain, tmp_path: Path) -> None:
    cert_file, key_file = tmp_path / "shop.crt", tmp_path / "shop.key"
    cert_file.write_bytes(chain.certs_pem(chain.leaf, chain.mid))
    key_file.write_bytes(chain.key_pem())
    bundle = read_bundle_files(cert_file, key_file)
    assert bundle.certificate == chain.leaf and bundle.chain == (chain.mid,)


def test_encrypted_pem_key_needs_its_password(chain: Chain) -> None:
    data = chain.certs_pem(chain.leaf) + chain.key_pem(b"s3cret")
    with pytest.raises(CertError, match="encrypted"):
        load_bundle(data)
    with pytest.raises(CertError, match="wrong password"):
        load_bundle(data, password=b"nope")
    assert load_bundle(data, password=b"s3cret").certificate == chain.leaf


def test_password_for_an_unencrypted_key_is_harmless(chain: Chain) -> None:
    data = chain.certs_pem(chain.leaf) + chain.key_pem()
    assert load_bundle(data, password=b"unused").certificate == chain.leaf


def test_pkcs12_round_trip_with_and_without_password(chain: Chain) -> None:
    for password in (b"p12pass", None):
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        p12 = pkcs12.serialize_key_and_certificates(
            b"shop", chain.leaf_key, chain.leaf, [chain.root, chain.mid], encryption
        )
        bundle = load_bundle(p12, password=password)
        assert bundle.certificate == chain.leaf
        assert bundle.chain == (chain.mid, chain.root)
        assert bundle.private_key.private_numbers() == chain.leaf_key.private_numbers()  # type: ignore[union-attr]


def test_pkcs12_wrong_password_is_explained(chain: Chain) -> None:
    p12 = pkcs12.serialize_key_and_certificates(
        b"shop", chain.leaf_key, chain.leaf, None, serialization.BestAvailableEncryption(b"right")
    )
    with pytest.raises(CertError, match="wrong password"):
        load_bundle(p12, password=b"wrong")


def test_mismatched_key_is_refused(chain: Chain) -> None:
    other = Chain()
    data = chain.certs_pem(chain.leaf, chain.mid) + other.key_pem()
    with pytest.raises(CertError, match="does not match") as caught:
        load_bundle(data)
    assert "PRIVATE KEY" not in str(caught.value)


def test_certificate_without_key_is_refused(chain: Chain) -> None:
    with pytest.raises(CertError, match="no private key"):
        load_bundle(chain.certs_pem(chain.leaf))


def test_two_keys_are_refused(chain: Chain) -> None:
    with pytest.raises(CertError, match="more than one"):
        load_bundle(chain.certs_pem(chain.leaf) + chain.key_pem() + Chain().key_pem())


def test_garbage_is_refused_without_echoing_it() -> None:
    with pytest.raises(CertError) as caught:
        load_bundle(b"\x00\x01not a certificate at all")
    assert "not a certificate" not in str(caught.value)
    with pytest.raises(CertError, match="no readable certificate"):
        load_bundle(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")


def test_expired_import_is_accepted_with_a_warning() -> None:
    old = Chain(leaf_days=-1)
    bundle = load_bundle(old.certs_pem(old.leaf) + old.key_pem())
    assert any("expired" in warning for warning in bundle.warnings)


def test_import_into_store_round_trips(chain: Chain, store: CertStore, tmp_path: Path) -> None:
    source = tmp_path / "shop.pem"
    source.write_bytes(chain.certs_pem(chain.leaf, chain.mid) + chain.key_pem())
    result = store.import_files(source)
    entry = result.entry
    assert entry.source == SOURCE_IMPORTED and entry.id == "shop.test"
    assert entry.names == ("shop.test",) and not entry.issued_by_local_ca
    stored = read_bundle_files(entry.pem_path)  # the combined PEM parses back whole
    assert stored.certificate == chain.leaf and stored.chain == (chain.mid,)
    with pytest.raises(CertError, match="was imported"):
        store.renew(entry.id)
