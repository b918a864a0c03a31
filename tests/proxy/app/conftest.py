"""Fixtures for the commands: a data directory of their own.

Nothing here touches the real user data directory or any trust store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from proxy.app.demo import start_responder, tutorial_answer
from proxy.certs.store import ENV_DATA_DIR
from tests.proxy.app._unprivileged import shared_dir  # noqa: F401  (a fixture for the commands' tests)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``PROXYDESK_DATA_DIR`` (what the commands use) at a temporary directory."""
    directory = tmp_path / "data"
    monkeypatch.setenv(ENV_DATA_DIR, str(directory))
    return directory


@pytest_asyncio.fixture
async def origin() -> AsyncIterator[int]:
    """A web server on 127.0.0.1 answering as the tutorial's "alpha"; yields its port."""
    server = await start_responder(tutorial_answer("alpha"))
    yield server.sockets[0].getsockname()[1]
    server.close()
