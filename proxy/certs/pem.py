"""How HAProxy reads ``crt FILE`` and ``crt DIR/``: for the checker and the engine alike.

Theory of operation
-------------------
``bind ... ssl crt PATH``: a directory means every file in it, sorted, except
dot files and the companions HAProxy reserves (``.key``, ``.issuer``,
``.ocsp``, ``.sctl``); an empty one is "no SSL certificate specified".  Each
file must hold a PEM certificate (its chain may follow) and its private key,
or the key must sit next to it as ``<file>.key`` -- so a ``NAME-cert.pem`` +
``NAME-key.pem`` pair is refused ("No Private Key found in
'NAME-cert.pem.key'"), as ``haproxy -c`` refuses it.  The key must match the
certificate.  ``proxydesk check`` and the engine both call ``inspect`` here,
so a config ``check`` accepts is one the engine can load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

__all__ = [
    "RESERVED_SUFFIXES",
    "CertFile",
    "PemError",
    "certificate_names",
    "crt_files",
    "directory_files",
    "inspect_certificate",
    "resolve",
]

RESERVED_SUFFIXES = (".key", ".issuer", ".ocsp", ".sctl")


class PemError(Exception):
    """A certificate file HAProxy would refuse; the message says why."""


@dataclass(frozen=True)
class CertFile:
    """A certificate ready for ``load_cert_chain``; ``names``: CN + DNS SANs, lower case."""

    path: Path
    key_path: Path | None  # None: the key is inside ``path``
    names: tuple[str, ...]


def resolve(word: str, base: Path | None, base_dir: Path) -> Path:
    """HAProxy's rule for a file name: absolute as given, else under ``crt-base``/``ca-base``
    (``base``), else the working directory (``base_dir``)."""
    path = Path(word)
    if path.is_absolute():
        return path
    return (base if base is not None else base_dir) / path


def directory_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if not p.name.startswith(".") and not p.name.endswith(RESERVED_SUFFIXES) and p.is_file()
    )


def crt_files(path: Path) -> list[Path]:
    """The certificate files ``crt PATH`` names: a directory's files, or the file itself."""
    return directory_files(path) if path.is_dir() else [path]


def read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PemError(f"unable to load {what} '{path}' : {exc.strerror or exc}") from None


def _load_key(data: bytes, path: Path) -> Any:
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise PemError(
            f"the private key in '{path}' is encrypted; a passphrase cannot be given here"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        return None


def inspect_certificate(path: Path) -> CertFile:
    """Check a combined PEM (or PEM + ``.key``) the way HAProxy would, before OpenSSL sees it."""
    data = read(path, "certificate from file")
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise PemError(f"unable to load certificate from file '{path}'") from None
    key_path: Path | None = None
    key = _load_key(data, path)
    if key is None:  # HAProxy then tries "<file>.key"
        key_path = path.with_name(path.name + ".key")
        if not key_path.exists():
            raise PemError(f"no private key in '{path}' (nor a '{key_path.name}' next to it)")
        key = _load_key(read(key_path, "private key from file"), key_path)
        if key is None:
            raise PemError(f"no usable private key in '{key_path}'")
    if _spki(certificates[0].public_key()) != _spki(key.public_key()):
        raise PemError(f"the private key does not match the certificate in '{path}'")
    return CertFile(path, key_path, certificate_names(certificates[0]))


def _spki(public_key: Any) -> bytes:
    return bytes(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def certificate_names(certificate: x509.Certificate) -> tuple[str, ...]:
    """HAProxy indexes a certificate under its CN(s) and its DNS subjectAltNames."""
    names = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    return tuple(dict.fromkeys(n.lower() for n in names))
