"""The first window takes most of the screen it opens on (issue 11: it opened at 900x560
on a 1920x1080 screen, and the Requests table scrolled sideways); a saved size wins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize

from gui.main_window import MainWindow, _first_size
from tests.gui._support import close_window


def test_first_size_follows_the_screen() -> None:
    assert _first_size(QSize(1920, 1080)) == QSize(1536, 864)
    assert _first_size(QSize(1280, 800)) == QSize(1100, 700)
    assert _first_size(QSize(3840, 2160)) == QSize(1600, 1000)  # not a wall of empty form
    assert _first_size(QSize(1024, 700)) == QSize(1024, 700)  # never more than the screen


def test_a_new_window_opens_at_the_first_size_and_a_saved_one_at_its_own(qtbot: Any, tmp_path: Path) -> None:
    window = MainWindow(settings_path=tmp_path / "ui.ini")
    expected = _first_size(window.screen().availableGeometry().size()).expandedTo(window.minimumSize())
    assert window.size() == expected
    window.resize(900, 570)  # the offscreen screen is 800x600: the minimum width, a height it has
    window.save_ui_state()
    close_window(window)
    again = MainWindow(settings_path=tmp_path / "ui.ini")
    assert again.size() == QSize(900, 570) != expected
    close_window(again)
