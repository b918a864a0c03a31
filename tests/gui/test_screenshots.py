"""gui.screenshots renders its screens in the variant asked for, and ends by itself
(it used to hang on the "the proxy is running" question of the window it closes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from gui.screenshots import MAIN_SCREENS, WIDGET_SCREENS

ROOT = Path(__file__).resolve().parents[2]


def _render(outdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "QT_SCALE_FACTOR")}
    return subprocess.run([sys.executable, "-m", "gui.screenshots", str(outdir), *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


def test_dark_2x_renders_named_screens_and_exits(tmp_path: Path) -> None:
    result = _render(tmp_path, "--dark", "--scale", "2", "--only", "requests,shortcuts")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["requests-dark@2x.png", "shortcuts-dark@2x.png"]
    image = QImage(str(tmp_path / "requests-dark@2x.png"))
    assert (image.width(), image.height()) == (2560, 1600)  # 1280x800 at twice the pixels
    assert image.pixelColor(image.width() // 2, image.height() // 2).lightness() < 80  # dark


def test_a_screen_is_one_registration_and_unknown_names_are_refused(tmp_path: Path) -> None:
    assert {"requests", "traffic", "main-frontend"} <= set(MAIN_SCREENS)
    assert {"first-run", "shortcuts", "running-prompt"} <= set(WIDGET_SCREENS)
    result = _render(tmp_path, "--only", "nosuchscreen")
    assert result.returncode == 2 and "no screen named nosuchscreen" in result.stderr
