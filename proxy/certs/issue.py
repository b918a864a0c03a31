"""Issuing leaf (server) certificates from the local CA.

Theory of operation: a leaf gets its own fresh ECDSA P-256 key and carries
exactly what today's strict clients check -- the names in subjectAltName
(browsers ignore the CN), EKU serverAuth + clientAuth, KeyUsage
digitalSignature (keyEncipherment is an RSA key-transport bit, meaningless
for EC keys), ``CA:FALSE``, an Authority Key Identifier equal to the CA's
Subject Key Identifier (OpenSSL's X509_STRICT mode requires it) and a
lifetime of at most 825 days, the longest macOS/iOS accept for any
certificate.  It starts an hour in the past to absorb clock skew and never
outlives the CA.  Names are validated first (``names.validate_names``) and the
warnings are handed back as data for the caller to show.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from proxy.certs.authority import CLOCK_SKEW, LocalCA
from proxy.certs.names import NameWarning, is_ip_name, validate_names

__all__ = ["LEAF_MAX_LIFETIME", "IssuedLeaf", "certificate_names", "issue_leaf"]

LEAF_MAX_LIFETIME = dt.timedelta(days=825)


@dataclass(frozen=True)
class IssuedLeaf:
    """A new leaf certificate; its key stays out of ``repr``."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    names: tuple[str, ...]
    warnings: tuple[NameWarning, ...]


def issue_leaf(
    ca: LocalCA,
    raw_names: Iterable[str],
    *,
    known_hosts: Iterable[str] = (),
    lifetime: dt.timedelta = LEAF_MAX_LIFETIME,
    now: dt.datetime | None = None,
) -> IssuedLeaf:
    """Sign a leaf for ``raw_names`` (DNS names, wildcards, IPs) with ``ca``."""
    validated = validate_names(raw_names, known_hosts)
    key = ec.generate_private_key(ec.SECP256R1())
    start = (now or dt.datetime.now(dt.UTC)) - CLOCK_SKEW
    end = min(start + min(lifetime, LEAF_MAX_LIFETIME), ca.certificate.not_valid_after_utc)
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_leaf_subject(ca))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_LEAF_KEY_USAGE, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName(_general_names(validated.names)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca.private_key, hashes.SHA256())
    )
    return IssuedLeaf(certificate, key, validated.names, validated.warnings)


def certificate_names(certificate: x509.Certificate) -> tuple[str, ...]:
    """The DNS names and IP addresses a certificate is valid for, as text."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    # Kept in certificate order (renewal re-issues them in the same order);
    # other name kinds (e-mail, URI) are not host names and are skipped.
    return tuple(str(name.value) for name in san if isinstance(name, x509.DNSName | x509.IPAddress))


def _leaf_subject(ca: LocalCA) -> x509.Name:
    owner = ca.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    attributes = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Proxydesk development certificate")
    ]
    attributes += [
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, str(a.value)) for a in owner
    ]
    return x509.Name(attributes)


def _general_names(names: tuple[str, ...]) -> list[x509.GeneralName]:
    return [
        x509.IPAddress(ipaddress.ip_address(name)) if is_ip_name(name) else x509.DNSName(name)
        for name in names
    ]


_LEAF_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
