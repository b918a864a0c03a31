"""Fixtures for the certificate manager: a store in a temporary directory.

Nothing here touches the real user data directory or any trust store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.certs.store import ENV_DATA_DIR, CertStore

OWNER = "tester@testhost"


@pytest.fixture
def store(tmp_path: Path) -> CertStore:
    return CertStore(tmp_path / "certs", owner=OWNER)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``PROXYDESK_DATA_DIR`` (what the CLI uses) at a temporary directory."""
    directory = tmp_path / "data"
    monkeypatch.setenv(ENV_DATA_DIR, str(directory))
    return directory
