"""Proxydesk's certificate manager: a local CA, dev certificates, imports, trust.

``CertStore`` is the entry point (CA, issue, import, list, renew, delete,
export); ``trust_plan``/``run_trust_plan``/``trust_status`` put the CA into every
trust store (and out again, and look), store by store;
``validate_names`` checks host names and explains surprising ones.  Qt-free:
the GUI and the CLI (``proxy.app.cert_commands``) are thin layers over this package.
"""

from proxy.certs.authority import LocalCA, fingerprint_sha256
from proxy.certs.errors import CertError, InvalidName
from proxy.certs.importing import ImportedBundle, load_bundle
from proxy.certs.issue import LEAF_MAX_LIFETIME, IssuedLeaf, issue_leaf
from proxy.certs.names import NameWarning, ValidatedNames, normalize_name, validate_names
from proxy.certs.store import (
    ENV_DATA_DIR,
    CertEntry,
    CertStore,
    ImportResult,
    IssueResult,
    default_root,
)
from proxy.certs.trust import (
    StoreOutcome,
    StoreStatus,
    SystemProbe,
    TrustPlan,
    TrustRunResult,
    TrustStore,
    outcome_lines,
    outcome_summary,
    plan_lines,
    run_trust_plan,
    trust_plan,
    trust_status,
)

__all__ = [
    "ENV_DATA_DIR",
    "LEAF_MAX_LIFETIME",
    "CertEntry",
    "CertError",
    "CertStore",
    "ImportResult",
    "ImportedBundle",
    "InvalidName",
    "IssueResult",
    "IssuedLeaf",
    "LocalCA",
    "NameWarning",
    "StoreOutcome",
    "StoreStatus",
    "SystemProbe",
    "TrustPlan",
    "TrustRunResult",
    "TrustStore",
    "ValidatedNames",
    "default_root",
    "fingerprint_sha256",
    "issue_leaf",
    "load_bundle",
    "normalize_name",
    "outcome_lines",
    "outcome_summary",
    "plan_lines",
    "run_trust_plan",
    "trust_plan",
    "trust_status",
    "validate_names",
]
