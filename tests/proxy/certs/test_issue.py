"""Leaf certificates: the extensions strict clients check, lifetimes, names."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from proxy.certs.authority import LocalCA
from proxy.certs.errors import InvalidName
from proxy.certs.issue import LEAF_MAX_LIFETIME, certificate_names, issue_leaf
from proxy.certs.store import CertStore


@pytest.fixture
def ca(store: CertStore) -> LocalCA:
    return store.ca()


def test_leaf_extensions(ca: LocalCA) -> None:
    leaf = issue_leaf(ca, ["app.localhost", "*.example.test", "127.0.0.1", "::1"])
    cert = leaf.certificate
    assert isinstance(leaf.private_key.curve, ec.SECP256R1)
    cert.verify_directly_issued_by(ca.certificate)

    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["app.localhost", "*.example.test"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature
    assert not usage.value.key_encipherment  # an RSA-only bit: not for EC keys
    assert not usage.value.key_cert_sign
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and not constraints.value.ca

    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ca_ski.digest


def test_lifetime_is_at_most_825_days_and_starts_in_the_past(ca: LocalCA) -> None:
    before = dt.datetime.now(dt.UTC)
    cert = issue_leaf(ca, ["app.localhost"]).certificate
    assert cert.not_valid_before_utc < before - dt.timedelta(minutes=30)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= dt.timedelta(days=825)
    assert dt.timedelta(days=825) == LEAF_MAX_LIFETIME  # the macOS/iOS limit


def test_longer_lifetimes_are_clamped(ca: LocalCA) -> None:
    cert = issue_leaf(ca, ["a.test"], lifetime=dt.timedelta(days=5000)).certificate
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == LEAF_MAX_LIFETIME


def test_leaf_never_outlives_the_ca(ca: LocalCA) -> None:
    late = ca.certificate.not_valid_after_utc - dt.timedelta(days=10)
    cert = issue_leaf(ca, ["a.test"], now=late).certificate
    assert cert.not_valid_after_utc == ca.certificate.not_valid_after_utc


def test_names_are_normalised_and_warnings_returned(ca: LocalCA) -> None:
    leaf = issue_leaf(ca, ["Bücher.Test", "*.localhost"], known_hosts=["app.localhost"])
    assert certificate_names(leaf.certificate) == ("xn--bcher-kva.test", "*.localhost")
    codes = {w.code for w in leaf.warnings}
    assert {"idna", "wildcard-tld", "wildcard-bare-domain"} <= codes


def test_invalid_names_issue_nothing(ca: LocalCA) -> None:
    with pytest.raises(InvalidName):
        issue_leaf(ca, ["ok.test", "bad..test"])


def test_every_leaf_has_its_own_key_and_serial(ca: LocalCA) -> None:
    first, second = issue_leaf(ca, ["a.test"]), issue_leaf(ca, ["a.test"])
    assert first.certificate.serial_number != second.certificate.serial_number
    assert first.certificate.public_key() != second.certificate.public_key()
    assert "PRIVATE KEY" not in repr(first) and "private_key" not in repr(first)
