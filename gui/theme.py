"""Look and feel: the Fusion style with a palette that follows the system's light/dark
scheme (Qt 6.5+ reports it through ``QStyleHints.colorScheme``), and the app's icons.

Fusion is used on every platform because it renders the same palette-driven widgets
everywhere, which keeps the screenshots honest; the palette comes from the system.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["ICON_DIR", "RESOURCE_DIR", "SCHEME_ENV", "apply_theme", "icon", "is_dark", "set_scheme"]

# "dark" or "light" overrides the system's scheme: screenshots and tests of both, and a
# way out where the platform reports none (the offscreen platform, some X11 desktops).
SCHEME_ENV = "PROXYDESK_COLOR_SCHEME"
_forced: list[str | None] = [None]  # set_scheme's choice, over the environment's


def _resource_dir() -> Path:
    """resources/ as installed (gui/resources, see pyproject.toml) or in a source checkout."""
    here = Path(__file__).resolve().parent
    installed = here / "resources"
    return installed if installed.is_dir() else here.parent / "resources"


RESOURCE_DIR = _resource_dir()
ICON_DIR = RESOURCE_DIR / "icons"

# (role, colour) over Fusion's own light palette: its selection (#308cc6) gives white text
# 3.7:1 and its greyed text (#bebebe) 1.6:1 on the window, both too faint to read.
_LIGHT: tuple[tuple[QPalette.ColorRole, str], ...] = (
    (QPalette.ColorRole.Highlight, "#2a6fb0"),  # white on it: 5.3:1
)
_LIGHT_DISABLED_TEXT = "#8a8a8a"  # 3.0:1 on the window: greyed, still readable

# (role, dark colour)
_DARK: tuple[tuple[QPalette.ColorRole, str], ...] = (
    (QPalette.ColorRole.Window, "#2b2d31"),
    (QPalette.ColorRole.WindowText, "#e6e6e6"),
    (QPalette.ColorRole.Base, "#1f2024"),
    (QPalette.ColorRole.AlternateBase, "#2a2c31"),
    (QPalette.ColorRole.ToolTipBase, "#3a3d44"),
    (QPalette.ColorRole.ToolTipText, "#f0f0f0"),
    (QPalette.ColorRole.Text, "#e6e6e6"),
    (QPalette.ColorRole.Button, "#34373d"),
    (QPalette.ColorRole.ButtonText, "#e6e6e6"),
    (QPalette.ColorRole.Highlight, "#2f66c4"),  # white on it: 5.5:1 (WCAG AA is 4.5)
    (QPalette.ColorRole.HighlightedText, "#ffffff"),
    (QPalette.ColorRole.Link, "#76a7ff"),
    (QPalette.ColorRole.PlaceholderText, "#8d9199"),
    (QPalette.ColorRole.LinkVisited, "#b79cff"),
    # Fusion draws frames, splitters and scroll bars in these; the light ones would glare
    (QPalette.ColorRole.Light, "#4a4d55"),
    (QPalette.ColorRole.Midlight, "#3f4249"),
    (QPalette.ColorRole.Mid, "#25272b"),
    (QPalette.ColorRole.Dark, "#1b1c1f"),
    (QPalette.ColorRole.Shadow, "#121315"),
)


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons (cached: the tree asks for them on every repaint)."""
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def is_dark() -> bool:
    forced = _forced[0] or os.environ.get(SCHEME_ENV, "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    hints = QGuiApplication.styleHints()
    return bool(hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark)


def set_scheme(app: QApplication, scheme: str | None) -> None:
    """Force "dark" or "light" (None: follow the system again) and restyle the app now."""
    if scheme not in (None, "dark", "light"):
        raise ValueError(f"colour scheme {scheme!r}: expected 'dark', 'light' or None")
    _forced[0] = scheme
    _apply_palette(app)


def apply_theme(app: QApplication) -> None:
    """Style the app now and again whenever the system switches light/dark."""
    app.setStyle("Fusion")
    app.setWindowIcon(icon("app"))
    _apply_palette(app)
    hints = QGuiApplication.styleHints()
    if hints is not None:
        hints.colorSchemeChanged.connect(lambda _scheme: _apply_palette(app))


def _apply_palette(app: QApplication) -> None:
    style = app.style()
    palette = style.standardPalette() if style is not None else QPalette()
    dark = is_dark()
    for role, colour in _DARK if dark else _LIGHT:
        palette.setColor(role, QColor(colour))
    disabled = QColor("#7d8088" if dark else _LIGHT_DISABLED_TEXT)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    app.setPalette(palette)


def syntax_colours() -> dict[str, QColor]:
    """Text view colours readable on the current scheme (the engine-* ones are line tints)."""
    if is_dark():
        return {"section": QColor("#ff9e64"), "keyword": QColor("#7aa2f7"), "comment": QColor("#7f8795"),
                "string": QColor("#9ece6a"), "acl": QColor("#e0af68"), "error": QColor("#f7768e"),
                "number": QColor("#bb9af7"), "warning": QColor("#e0af68"),
                "engine-refuses": QColor(247, 118, 180, 40), "engine-ignores": QColor(150, 170, 210, 28)}
    return {"section": QColor("#b35300"), "keyword": QColor("#1b4fbf"), "comment": QColor("#6a737d"),
            "string": QColor("#2b7a0b"), "acl": QColor("#8a5a00"), "error": QColor("#c62828"),
            "number": QColor("#7b3fb5"), "warning": QColor("#c77800"),
            "engine-refuses": QColor(194, 65, 143, 30), "engine-ignores": QColor(90, 110, 150, 26)}
