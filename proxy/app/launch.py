"""Opening the desktop app from the Qt-free command line, or saying why it cannot open.

Theory of operation
-------------------
``proxydesk`` and ``proxydesk demo`` open the app when a window can open and
otherwise serve the demo headless.  Two things stop a window:

* no display (no X11/Wayland, or Qt's offscreen platform): ``has_display``;
* a display whose platform plugin Qt cannot load.  On Linux, Qt 6.5+ needs
  system libraries that minimal installs lack (``libxcb-cursor0`` above all),
  and then Qt *aborts the whole process* from inside ``QApplication()``, which
  no ``try`` can catch.  So on Linux and the BSDs a child process starts a
  ``QGuiApplication`` first (about 0.3 s); if it dies, its own message is shown
  with the package to install, and the caller serves headless instead.
  macOS and Windows always have their platform plugin and skip the probe.

The GUI package is imported by name so that this Qt-free core never depends
on it (and never loads Qt when it is not needed).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["NO_DISPLAY", "QT_PROBE_CODE", "QT_PROBE_FLAG", "has_display", "open_app",
           "qt_start_problem"]

HEADLESS = "serving the demo headless (Ctrl+C to stop)"
NO_DISPLAY = f"No display found: {HEADLESS}"
# What the probe's child process runs (Qt is loaded there, never in this process).
QT_PROBE_CODE = "from PySide6.QtGui import QGuiApplication as App; App(['proxydesk'])"
# The bundle's launcher runs the probe when given this flag (a frozen app has no ``-c``).
QT_PROBE_FLAG = "--qt-probe"
PROBE_TIMEOUT_S = 30.0
LINUX_HINT = (
    "On Debian or Ubuntu: sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0 "
    "libxcb-icccm4 libxcb-keysyms1 libegl1  (Fedora: sudo dnf install xcb-util-cursor)"
)


def has_display() -> bool:
    """Whether a window could open: X11/Wayland on Linux and BSD, always on macOS/Windows;
    Qt's offscreen platform counts as no display."""
    if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _probe_command() -> list[str]:
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its launcher knows the flag
        return [sys.executable, QT_PROBE_FLAG]
    return [sys.executable, "-c", QT_PROBE_CODE]


def qt_start_problem() -> str | None:
    """Why Qt cannot open a window on this display, or None when it can (or need not be asked)."""
    if sys.platform in ("darwin", "win32"):
        return None
    try:
        proc = subprocess.run(
            _probe_command(), capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the Qt start-up check did not finish ({exc})"
    if proc.returncode == 0:
        return None
    said = [line for line in proc.stderr.splitlines() if line.strip()][:4]
    return "\n".join([*said, LINUX_HINT]) if said else LINUX_HINT


def open_app(argv: Sequence[str]) -> int | None:
    """Run the app with ``argv`` and return its exit status; or, when no window can open
    here, say why and that the demo is served headless instead, and return None."""
    reason = _why_no_window()
    if reason is not None:
        print(reason, file=sys.stderr, flush=True)
        return None
    return int(importlib.import_module("gui.app").main(list(argv)))


def _why_no_window() -> str | None:
    if not has_display():
        return NO_DISPLAY
    try:
        importlib.import_module("gui.app")
    except ImportError as exc:
        return f"The desktop app is not installed ({exc}): {HEADLESS}"
    problem = qt_start_problem()
    if problem is not None:
        return f"The desktop app cannot open a window here:\n{problem}\nMeanwhile {HEADLESS}"
    return None
