"""The certificate store: the local CA plus issued and imported certificates.

Theory of operation: everything lives under one private (0700) root,
``<user data dir>/proxydesk/certs`` unless the constructor or the
``PROXYDESK_DATA_DIR`` environment variable says otherwise::

    ca/rootCA.pem          the CA certificate (0644, safe to share)
    ca/rootCA-key.pem      the CA key (0600)
    entries/<id>.pem       leaf + chain + key, as HAProxy's ``crt`` and
                           ``ssl.SSLContext.load_cert_chain`` want it (0600)
    entries/<id>.json      metadata: source, names, dates (0644)

An entry exists when its JSON file holds metadata.  Creating one first
*claims* the id by creating an empty JSON file exclusively (so two processes
cannot pick the same id), then writes the PEM, then the metadata -- each
write atomic (``atomic.atomic_write``).  Listing skips claimed-but-empty ids
(a writer is busy, or died).  Deleting removes the JSON first, so an entry is
never listed without its PEM.  Everything displayed about an entry (subject,
dates, issuer) is read from the certificate itself, so the JSON cannot drift
from what is actually served.  ``CertEntry`` holds paths, never key bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import platformdirs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from proxy.certs.atomic import atomic_write, ensure_private_dir
from proxy.certs.authority import CA_CERT_FILE, CA_DIRNAME, LocalCA, load_or_create_ca
from proxy.certs.errors import CertError
from proxy.certs.importing import ImportedBundle, read_bundle_files
from proxy.certs.issue import certificate_names, issue_leaf
from proxy.certs.names import NameWarning

__all__ = [
    "ENV_DATA_DIR",
    "EXPORT_LAYOUTS",
    "LAYOUT_COMBINED",
    "LAYOUT_KEY_FILE",
    "LAYOUT_PAIR",
    "SOURCE_IMPORTED",
    "SOURCE_ISSUED",
    "CertEntry",
    "CertStore",
    "ExportedFiles",
    "ImportResult",
    "IssueResult",
    "default_root",
]

log = logging.getLogger(__name__)

ENV_DATA_DIR = "PROXYDESK_DATA_DIR"
SOURCE_ISSUED = "issued"
SOURCE_IMPORTED = "imported"
_ENTRIES_DIRNAME = "entries"
_ID = re.compile(r"[a-z0-9_][a-z0-9_.-]{0,79}")
_ID_UNSAFE = re.compile(r"[^a-z0-9_.-]+")
_METADATA_VERSION = 1

LAYOUT_COMBINED = "combined"  # <id>.pem: leaf + chain + key
LAYOUT_KEY_FILE = "key-file"  # <id>.pem (leaf + chain) + <id>.pem.key
LAYOUT_PAIR = "pair"  # <id>-cert.pem + <id>-key.pem: for servers other than HAProxy
EXPORT_LAYOUTS = (LAYOUT_COMBINED, LAYOUT_KEY_FILE, LAYOUT_PAIR)


def default_root() -> Path:
    """``$PROXYDESK_DATA_DIR/certs``, else the platform's user data dir."""
    base = os.environ.get(ENV_DATA_DIR) or platformdirs.user_data_dir("proxydesk", appauthor=False)
    return Path(base) / "certs"


@dataclass(frozen=True)
class CertEntry:
    """What the store knows about one certificate (no key material)."""

    id: str
    source: str
    subject: str
    names: tuple[str, ...]
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    days_left: int
    issued_by_local_ca: bool
    pem_path: Path
    meta_path: Path


class ExportedFiles(NamedTuple):
    """What ``export_entry`` wrote: the certificate file, and the key file if separate."""

    certificate: Path
    key: Path | None


@dataclass(frozen=True)
class IssueResult:
    entry: CertEntry
    warnings: tuple[NameWarning, ...]


@dataclass(frozen=True)
class ImportResult:
    entry: CertEntry
    warnings: tuple[str, ...]


class CertStore:
    """The local CA and the certificates issued or imported under ``root``."""

    def __init__(self, root: Path | None = None, *, owner: str | None = None) -> None:
        self.root = root if root is not None else default_root()
        self._owner = owner
        self._ca: LocalCA | None = None

    def __repr__(self) -> str:
        return f"CertStore(root={str(self.root)!r})"

    @property
    def entries_dir(self) -> Path:
        return self.root / _ENTRIES_DIRNAME

    @property
    def ca_cert_path(self) -> Path:
        return self.root / CA_DIRNAME / CA_CERT_FILE

    def has_ca(self) -> bool:
        return self.ca_cert_path.exists()

    def ca(self) -> LocalCA:
        """The local CA, created on first use."""
        if self._ca is None:
            ensure_private_dir(self.root)
            self._ca = load_or_create_ca(self.root, self._owner)
        return self._ca

    def ca_certificate_pem(self) -> bytes:
        """The CA certificate alone (never its key), PEM-encoded."""
        return self.ca().certificate_pem()

    def export_ca(self, destination: Path) -> Path:
        atomic_write(destination, self.ca_certificate_pem(), private=False)
        return destination

    def issue(self, names: Iterable[str], *, known_hosts: Iterable[str] = ()) -> IssueResult:
        """Issue a leaf for ``names`` and store it as a new entry."""
        leaf = issue_leaf(self.ca(), names, known_hosts=known_hosts)
        entry_id = self._claim_id(leaf.names[0])
        self._write_entry(entry_id, SOURCE_ISSUED, leaf.certificate, (), leaf.private_key)
        log.info("issued certificate %s for %s", entry_id, ", ".join(leaf.names))
        return IssueResult(self.get(entry_id), leaf.warnings)

    def certificate_for(self, name: str, *, min_days_left: int = 30) -> CertEntry:
        """A certificate of the local CA covering ``name``: one already issued with at
        least ``min_days_left`` to go, or a new one (the CA is made on first use)."""
        for entry in self.list_entries():
            if entry.issued_by_local_ca and name in entry.names and entry.days_left >= min_days_left:
                return entry
        return self.issue([name]).entry

    def import_files(
        self, cert_file: Path, key_file: Path | None = None, password: bytes | None = None
    ) -> ImportResult:
        """Import a PEM bundle (key inside or in ``key_file``) or a PKCS#12 file."""
        return self.import_bundle(read_bundle_files(cert_file, key_file, password))

    def import_bundle(self, bundle: ImportedBundle) -> ImportResult:
        names = certificate_names(bundle.certificate)
        entry_id = self._claim_id(names[0] if names else _common_name(bundle.certificate))
        self._write_entry(
            entry_id, SOURCE_IMPORTED, bundle.certificate, bundle.chain, bundle.private_key
        )
        log.info("imported certificate %s (%s)", entry_id, bundle.certificate.subject)
        return ImportResult(self.get(entry_id), bundle.warnings)

    def list_entries(self) -> list[CertEntry]:
        """Every complete entry, sorted by id."""
        if not self.entries_dir.is_dir():
            return []
        entries = []
        for meta_path in sorted(self.entries_dir.glob("*.json")):
            try:
                entries.append(self.get(meta_path.stem))
            except CertError as error:
                log.debug("skipping %s: %s", meta_path.name, error)
        return entries

    def get(self, entry_id: str) -> CertEntry:
        meta_path, pem_path = self._paths(entry_id)
        metadata = _read_metadata(meta_path, entry_id)
        try:
            certificate = x509.load_pem_x509_certificates(pem_path.read_bytes())[0]
        except (OSError, ValueError):
            raise CertError(f"certificate {entry_id!r} is missing or damaged") from None
        return self._entry(entry_id, str(metadata["source"]), certificate, pem_path, meta_path)

    def renew(self, entry_id: str) -> IssueResult:
        """Re-issue an issued entry for the same names, keeping its id and paths."""
        entry = self.get(entry_id)
        if entry.source != SOURCE_ISSUED:
            raise CertError(
                f"{entry_id!r} was imported: renew it where it was issued, then import it again"
            )
        leaf = issue_leaf(self.ca(), entry.names)
        self._write_entry(entry_id, SOURCE_ISSUED, leaf.certificate, (), leaf.private_key)
        log.info("renewed certificate %s", entry_id)
        return IssueResult(self.get(entry_id), leaf.warnings)

    def delete(self, entry_id: str) -> None:
        meta_path, pem_path = self._paths(entry_id)
        if not meta_path.exists():
            raise CertError(f"no certificate with id {entry_id!r}")
        meta_path.unlink()  # first: the entry vanishes before its PEM does
        pem_path.unlink(missing_ok=True)
        log.info("deleted certificate %s", entry_id)

    def export_entry(
        self, entry_id: str, out_dir: Path, *, layout: str = LAYOUT_COMBINED
    ) -> ExportedFiles:
        """Write the entry to ``out_dir`` in one of ``EXPORT_LAYOUTS``; key files are 0600.

        ``combined`` (``<id>.pem``: leaf + chain + key) and ``key-file`` (``<id>.pem`` +
        ``<id>.pem.key``) are what ``bind ... ssl crt DIR/`` loads, in HAProxy and in the
        engine.  ``pair`` (``<id>-cert.pem`` + ``<id>-key.pem``) is for other servers: HAProxy
        would read both as certificates and refuse them (no key in the first, no
        certificate in the second).
        """
        if layout not in EXPORT_LAYOUTS:
            raise CertError(f"unknown layout {layout!r}: one of {', '.join(EXPORT_LAYOUTS)}")
        _meta_path, pem_path = self._paths(entry_id)
        self.get(entry_id)  # refuses unknown or damaged entries
        combined = pem_path.read_bytes()
        certs_pem = _certs_pem(x509.load_pem_x509_certificates(combined))
        key_pem = _key_pem(serialization.load_pem_private_key(combined, password=None))
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            if layout == LAYOUT_COMBINED:
                target = out_dir / f"{entry_id}.pem"
                atomic_write(target, certs_pem + key_pem, private=True)
                return ExportedFiles(target, None)
            if layout == LAYOUT_KEY_FILE:
                cert_path = out_dir / f"{entry_id}.pem"
                key_path = cert_path.with_name(cert_path.name + ".key")  # HAProxy's companion
            else:
                cert_path, key_path = out_dir / f"{entry_id}-cert.pem", out_dir / f"{entry_id}-key.pem"
            # The key first: a reader that sees the certificate finds its key next to it.
            atomic_write(key_path, key_pem, private=True)
            atomic_write(cert_path, certs_pem, private=False)
        except OSError as error:
            raise CertError(
                f"cannot write to {out_dir}: {error.strerror or error}"
            ) from None
        return ExportedFiles(cert_path, key_path)

    def _paths(self, entry_id: str) -> tuple[Path, Path]:
        # The id becomes a file name: refuse anything that could leave the dir.
        if not _ID.fullmatch(entry_id):
            raise CertError(f"no certificate with id {entry_id!r}")
        return self.entries_dir / f"{entry_id}.json", self.entries_dir / f"{entry_id}.pem"

    def _claim_id(self, name: str) -> str:
        ensure_private_dir(self.entries_dir)
        base = _slug(name)
        for attempt in range(1, 1000):
            candidate = base if attempt == 1 else f"{base}-{attempt}"
            try:
                os.close(os.open(self._paths(candidate)[0], os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue
            return candidate
        raise CertError(f"too many certificates named {base!r}")

    def _write_entry(
        self,
        entry_id: str,
        source: str,
        certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        key: PrivateKeyTypes,
    ) -> None:
        meta_path, pem_path = self._paths(entry_id)
        # HAProxy's ``crt`` order: leaf, then chain, then the key.
        atomic_write(pem_path, _certs_pem([certificate, *chain]) + _key_pem(key), private=True)
        metadata = {
            "version": _METADATA_VERSION,
            "id": entry_id,
            "source": source,
            "names": list(certificate_names(certificate)),
            "written": dt.datetime.now(dt.UTC).isoformat(),
        }
        atomic_write(meta_path, json.dumps(metadata, indent=2).encode() + b"\n", private=False)

    def _entry(
        self,
        entry_id: str,
        source: str,
        certificate: x509.Certificate,
        pem_path: Path,
        meta_path: Path,
    ) -> CertEntry:
        not_after = certificate.not_valid_after_utc
        return CertEntry(
            id=entry_id,
            source=source,
            subject=certificate.subject.rfc4514_string(),
            names=certificate_names(certificate),
            issuer=certificate.issuer.rfc4514_string(),
            not_before=certificate.not_valid_before_utc,
            not_after=not_after,
            days_left=(not_after - dt.datetime.now(dt.UTC)).days,
            issued_by_local_ca=self._issued_by_local_ca(certificate),
            pem_path=pem_path,
            meta_path=meta_path,
        )

    def _issued_by_local_ca(self, certificate: x509.Certificate) -> bool:
        if not self.has_ca():
            return False  # listing must not create a CA as a side effect
        try:
            certificate.verify_directly_issued_by(self.ca().certificate)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True


def _read_metadata(meta_path: Path, entry_id: str) -> dict[str, Any]:
    try:
        metadata = json.loads(meta_path.read_bytes())
    except (OSError, ValueError):
        raise CertError(f"no certificate with id {entry_id!r}") from None
    if not isinstance(metadata, dict) or metadata.get("source") not in (
        SOURCE_ISSUED,
        SOURCE_IMPORTED,
    ):
        raise CertError(f"certificate {entry_id!r} has unreadable metadata")
    return metadata


def _slug(name: str) -> str:
    text = name.lower().replace("*", "_wildcard")
    slug = _ID_UNSAFE.sub("-", text).strip(".-")[:64]
    return slug if _ID.fullmatch(slug) else "certificate"


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else "imported"


def _certs_pem(certificates: Iterable[x509.Certificate]) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def _key_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
