"""Fixtures for the commands: a data directory of their own.

Nothing here touches the real user data directory or any trust store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.certs.store import ENV_DATA_DIR
from tests.proxy.app._unprivileged import shared_dir  # noqa: F401  (a fixture for the commands' tests)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``PROXYDESK_DATA_DIR`` (what the commands use) at a temporary directory."""
    directory = tmp_path / "data"
    monkeypatch.setenv(ENV_DATA_DIR, str(directory))
    return directory
