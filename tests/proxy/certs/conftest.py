"""Fixtures for the certificate manager: a store in a temporary directory.

Nothing here touches the real user data directory or any trust store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.certs.store import CertStore

OWNER = "tester@testhost"


@pytest.fixture
def store(tmp_path: Path) -> CertStore:
    return CertStore(tmp_path / "certs", owner=OWNER)
