"""The install's own local certificate authority (like mkcert's).

Theory of operation: the CA is an ECDSA P-256 key and a self-signed
certificate valid for 10 years, named after Proxydesk, the user and the host
(``O=Proxydesk development CA, OU=user@host, CN=Proxydesk user@host``) so a
user who finds it in a trust store knows where it came from.  It is
constrained to ``pathLength=0``: it can sign leaves but no intermediate, so a
stolen CA key cannot mint further CAs.

On disk it is a directory ``ca/`` holding ``rootCA.pem`` (0644) and
``rootCA-key.pem`` (0600).  Creation is atomic as a *pair*: both files are
written into a private staging directory which is then renamed to ``ca/``.
Two processes racing to create the CA (the GUI and the CLI, say) therefore
cannot end up with one's key next to the other's certificate: the loser's
rename fails, it discards its staging directory and loads the winner's CA.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import secrets
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from proxy.certs.atomic import TEMP_SUFFIX, atomic_write, ensure_private_dir
from proxy.certs.errors import CertError

__all__ = [
    "CA_CERT_FILE",
    "CA_DIRNAME",
    "CA_KEY_FILE",
    "CA_LIFETIME",
    "CLOCK_SKEW",
    "LocalCA",
    "build_ca",
    "default_owner",
    "fingerprint_sha256",
    "keys_match",
    "load_ca",
    "load_or_create_ca",
]

CA_DIRNAME = "ca"
CA_CERT_FILE = "rootCA.pem"
CA_KEY_FILE = "rootCA-key.pem"
CA_LIFETIME = dt.timedelta(days=3650)
#: Certificates start this far in the past so a client whose clock runs a
#: little behind (VMs, dual-boot machines) does not see them as "not yet valid".
CLOCK_SKEW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class LocalCA:
    """The loaded CA.  The key is kept out of ``repr`` so it can never be logged."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    cert_path: Path
    key_path: Path

    @property
    def name(self) -> str:
        """The CA's common name, as trust stores display it."""
        return _common_name(self.certificate)

    def certificate_pem(self) -> bytes:
        """Only the certificate, PEM-encoded: safe to share and to trust."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def default_owner() -> str:
    """``user@host``, the way mkcert names its CA."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers): still need a label
        user = "user"
    return f"{user}@{socket.gethostname()}"


def build_ca(
    owner: str | None = None, now: dt.datetime | None = None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A fresh self-signed CA certificate and its key (nothing is written)."""
    owner = owner or default_owner()
    start = (now or dt.datetime.now(dt.UTC)) - CLOCK_SKEW
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Proxydesk development CA"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, owner),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Proxydesk {owner}"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def load_or_create_ca(root: Path, owner: str | None = None) -> LocalCA:
    """The CA stored under ``root``, created there first if there is none."""
    ca_dir = root / CA_DIRNAME
    if not (ca_dir / CA_CERT_FILE).exists():
        _create_ca_dir(root, ca_dir, owner)
    return load_ca(ca_dir)


def load_ca(ca_dir: Path) -> LocalCA:
    """Load the CA from ``ca_dir``; refuses a key that does not match."""
    cert_path, key_path = ca_dir / CA_CERT_FILE, ca_dir / CA_KEY_FILE
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise CertError(
            f"the local CA in {ca_dir} cannot be read ({type(error).__name__}); "
            "delete that folder to create a new CA"
        ) from None  # the cause could quote file contents: keep it out
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not keys_match(certificate, key):
        raise CertError(f"the local CA key in {ca_dir} does not match its certificate")
    return LocalCA(certificate, key, cert_path, key_path)


def keys_match(certificate: x509.Certificate, key: object) -> bool:
    """True when ``key`` is the private half of the certificate's public key."""
    public_key = getattr(key, "public_key", None)
    if public_key is None:
        return False
    return bool(_spki(certificate.public_key()) == _spki(public_key()))


def fingerprint_sha256(certificate: x509.Certificate) -> str:
    """``AB:CD:...``, the spelling browsers and ``openssl x509 -fingerprint`` use."""
    digest = certificate.fingerprint(hashes.SHA256())
    return ":".join(f"{byte:02X}" for byte in digest)


def _spki(public_key: object) -> bytes:
    encode = getattr(public_key, "public_bytes", None)
    if encode is None:
        return b""
    der: bytes = encode(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest()


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def _create_ca_dir(root: Path, ca_dir: Path, owner: str | None) -> None:
    ensure_private_dir(root)
    staging = ensure_private_dir(root / f".ca-{secrets.token_hex(6)}{TEMP_SUFFIX}")
    try:
        certificate, key = build_ca(owner)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        atomic_write(staging / CA_KEY_FILE, key_pem, private=True)
        cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
        atomic_write(staging / CA_CERT_FILE, cert_pem, private=False)
        os.rename(staging, ca_dir)
    except OSError:
        # A lost creation race (another process renamed its CA into place
        # first) is fine: the winner's CA is the CA.  Anything else is real.
        if not (ca_dir / CA_CERT_FILE).exists():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
