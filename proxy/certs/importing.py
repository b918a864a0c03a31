"""Reading certificates the user already has: PEM bundles and PKCS#12 files.

Theory of operation: whatever the container, an import yields one
``ImportedBundle``: the leaf certificate, the rest of its chain (ordered leaf
to root where the issuer links allow) and the private key.  The leaf is not
assumed to come first -- it is *the certificate whose public key matches the
private key*; when none does, the import is refused with an explanation, as
a server would otherwise fail at its first handshake.  PEM input may hold the
key in the same file or in a separate one, and the key may be encrypted
(then the password is required).  PKCS#12 is recognised by not being PEM.

Error messages name what is wrong, never the bytes that were read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from proxy.certs.authority import keys_match
from proxy.certs.errors import CertError

__all__ = ["SUPPORTED_KEY_TYPES", "ImportedBundle", "load_bundle", "read_bundle_files"]

#: Key types both HAProxy and Python's ``ssl`` serve with (DSA is long dead).
SUPPORTED_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)

_PEM_MARKER = b"-----BEGIN "
_PEM_KEY_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?-----END \1-----", re.DOTALL
)


@dataclass(frozen=True)
class ImportedBundle:
    """An imported certificate, its chain and key (the key stays out of ``repr``)."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    private_key: PrivateKeyTypes = field(repr=False)
    warnings: tuple[str, ...]


def read_bundle_files(
    cert_file: Path, key_file: Path | None = None, password: bytes | None = None
) -> ImportedBundle:
    """``load_bundle`` on files, with read errors turned into ``CertError``."""
    try:
        data = cert_file.read_bytes()
        key_data = key_file.read_bytes() if key_file is not None else None
    except OSError as error:
        raise CertError(f"cannot read {error.filename}: {error.strerror}") from None
    return load_bundle(data, key_data, password)


def load_bundle(
    data: bytes, key_data: bytes | None = None, password: bytes | None = None
) -> ImportedBundle:
    """Parse a PEM bundle (plus optional separate PEM key) or a PKCS#12 file."""
    if _PEM_MARKER in data:
        certificates, key = _load_pem(data, key_data, password)
    elif key_data is not None:
        raise CertError("a PKCS#12 file carries its own key: give no separate key file")
    else:
        certificates, key = _load_pkcs12(data, password)
    if not isinstance(key, SUPPORTED_KEY_TYPES):
        raise CertError(f"unsupported private key type {type(key).__name__}: use RSA or EC")
    leaf = next((cert for cert in certificates if keys_match(cert, key)), None)
    if leaf is None:
        subjects = ", ".join(cert.subject.rfc4514_string() or "(empty)" for cert in certificates)
        raise CertError(
            f"the private key does not match the certificate ({subjects}); "
            "check that you picked the key that was generated with it"
        )
    chain = _order_chain(leaf, [cert for cert in certificates if cert is not leaf])
    return ImportedBundle(leaf, chain, key, _warnings(leaf))


def _load_pem(
    data: bytes, key_data: bytes | None, password: bytes | None
) -> tuple[list[x509.Certificate], PrivateKeyTypes]:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertError("no readable certificate in the PEM file") from None
    key_source = key_data if key_data is not None else data
    blocks = [match.group(0) for match in _PEM_KEY_BLOCK.finditer(key_source)]
    if not blocks:
        raise CertError(
            "no private key found: put it in the same file or give the key file "
            "(a certificate alone cannot serve HTTPS)"
        )
    if len(blocks) > 1:
        raise CertError("more than one private key found: give exactly one")
    return certificates, _load_pem_key(blocks[0], password)


def _load_pem_key(block: bytes, password: bytes | None) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(block, password=password)
    except TypeError:
        # cryptography raises TypeError both for "encrypted, no password" and
        # for "password given, key not encrypted"; only the first is an error.
        if password is None:
            raise CertError("the private key is encrypted: give its password") from None
        return _load_pem_key(block, None)
    except ValueError:
        raise CertError("cannot decrypt or parse the private key (wrong password?)") from None


def _load_pkcs12(
    data: bytes, password: bytes | None
) -> tuple[list[x509.Certificate], PrivateKeyTypes]:
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError):
        raise CertError(
            "cannot open the file as PKCS#12 (wrong password?) and it is not PEM either"
        ) from None
    if key is None or certificate is None:
        raise CertError("the PKCS#12 file must hold both a certificate and its private key")
    return [certificate, *extra], key


def _order_chain(
    leaf: x509.Certificate, others: list[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    # Follow issuer -> subject links from the leaf upwards (what servers must
    # send); certificates that do not link stay afterwards in file order.
    ordered: list[x509.Certificate] = []
    remaining = list(others)
    current = leaf
    while True:
        parent = next((c for c in remaining if c.subject == current.issuer), None)
        if parent is None or parent.subject == current.subject:
            break
        ordered.append(parent)
        remaining.remove(parent)
        current = parent
    return (*ordered, *remaining)


def _warnings(leaf: x509.Certificate) -> tuple[str, ...]:
    now = dt.datetime.now(dt.UTC)
    warnings: list[str] = []
    if leaf.not_valid_after_utc < now:
        warnings.append(f"the certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}")
    if leaf.not_valid_before_utc > now:
        warnings.append(f"the certificate is not valid before {leaf.not_valid_before_utc:%Y-%m-%d}")
    try:
        is_ca = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if is_ca:
        warnings.append("this is a CA certificate, not a server certificate")
    return tuple(warnings)
