"""GUI test fixtures: Qt runs offscreen, a tiny real HTTP backend on 127.0.0.1, and a
qasync event loop for tests that drive the engine from the GUI."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from tests.gui._support import named_http_servers

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def backend_server() -> Iterator[int]:
    """A real HTTP server on 127.0.0.1 answering its name ("backend"); yields its port."""
    with named_http_servers("backend") as ports:
        yield ports["backend"]


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = qasync.QEventLoop(qapp, already_running=False)
    yield event_loop
    event_loop.close()
