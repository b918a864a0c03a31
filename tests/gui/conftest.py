"""GUI test fixtures: Qt runs offscreen, a tiny real HTTP backend on 127.0.0.1, and a
qasync event loop for tests that drive the engine from the GUI."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from tests.gui._support import close_window, named_http_servers

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


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown MainWindow at 1280x800 with its own settings file; closed without the
    save or stop prompts, its engine and demo servers stopped.  (Not qtbot.addWidget:
    pytest-qt would close it before close_window could mark the document clean, and the
    unsaved-changes prompt would wait for a click.)"""
    from gui.main_window import MainWindow

    main = MainWindow(settings_path=tmp_path / "ui.ini")
    main.resize(1280, 800)
    main.show()
    qtbot.waitExposed(main)
    yield main
    close_window(main)
    main.host.shutdown()
    main.deleteLater()
