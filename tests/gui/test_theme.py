"""gui.theme: the dark palette can be forced (screenshots, platforms that report no
scheme), is legible (text far from its background), and light comes back."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from gui.theme import SCHEME_ENV, is_dark, set_scheme


def _contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""
    def luminance(c: QColor) -> float:
        channels = [v / 255 for v in (c.red(), c.green(), c.blue())]
        linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


PAIRS = ((QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
         (QPalette.ColorRole.Text, QPalette.ColorRole.Base),
         (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button),
         (QPalette.ColorRole.HighlightedText, QPalette.ColorRole.Highlight))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_both_palettes_are_legible(qapp: QApplication, scheme: str) -> None:
    set_scheme(qapp, scheme)
    try:
        assert is_dark() == (scheme == "dark")
        palette = qapp.palette()
        assert (palette.color(QPalette.ColorRole.Window).lightness() < 100) == (scheme == "dark")
        for text, background in PAIRS:  # WCAG AA for normal text: 4.5
            assert _contrast(palette.color(text), palette.color(background)) >= 4.5, (scheme, text)
        disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        assert _contrast(disabled, palette.color(QPalette.ColorRole.Window)) >= 2.0  # greyed, still readable
    finally:
        set_scheme(qapp, None)


def test_the_environment_forces_a_scheme_and_a_wrong_name_is_refused(
    qapp: QApplication, monkeypatch: Any
) -> None:
    monkeypatch.setenv(SCHEME_ENV, "dark")
    assert is_dark()
    monkeypatch.setenv(SCHEME_ENV, "light")
    assert not is_dark()
    with pytest.raises(ValueError, match="expected 'dark', 'light'"):
        set_scheme(qapp, "sepia")
