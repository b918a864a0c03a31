"""What ships: the wheel, the Linux desktop entry and the PyInstaller spec.

The tests run from the source checkout, where resources/ sits at the top of the
tree; these check the installed layout instead (resources/ becomes
gui/resources/), which is what a user's ``pip install`` or bundle gets.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP_FILE = PACKAGING / "linux" / "proxydesk.desktop"


def _sources(package: str) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*.py")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "TMPDIR": str(build)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (found,) = out.glob("proxydesk-*.whl")
    return found


def test_the_wheel_carries_every_module_icon_and_example(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _sources("proxy") | _sources("gui") <= names
    icons = {f"gui/resources/icons/{p.name}" for p in (ROOT / "resources" / "icons").glob("*.svg")}
    assert icons and icons <= names
    assert {"gui/resources/examples/tutorial.cfg", "proxy/demo/tutorial.cfg", "proxy/py.typed"} <= names
    assert not any("resources/screenshots" in n for n in names)  # README pictures stay here


def test_the_installed_app_finds_its_icons_and_demo(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300, check=True,
    )
    code = (
        "import gui.theme, proxy.app.demo as d\n"
        "print(gui.theme.ICON_DIR)\n"
        "print(len(d.tutorial_text()))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(target)}, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    icon_dir, tutorial_size = proc.stdout.split()
    assert Path(icon_dir) == target / "gui" / "resources" / "icons"
    assert (Path(icon_dir) / "app.svg").is_file()
    assert int(tutorial_size) > 0


def test_the_desktop_entry_starts_the_gui_script_and_names_a_shipped_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(DESKTOP_FILE, encoding="utf-8")
    section = entry["Desktop Entry"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert section["Exec"].split()[0] + ' = "gui.app:main"' in pyproject
    assert section["Icon"] == "proxydesk"  # installed from resources/icons/app.svg


def test_the_desktop_entry_is_valid() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        if os.environ.get("CI"):
            pytest.fail("desktop-file-validate is required in CI (.ci/run installs it)")
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    proc = subprocess.run([validator, str(DESKTOP_FILE)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG menu is Linux's")
def test_the_menu_entry_installs_and_uninstalls_for_the_user(tmp_path: Path) -> None:
    script = PACKAGING / "linux" / "install-desktop-entry.sh"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    subprocess.run(["sh", str(script)], env=env, capture_output=True, timeout=60, check=True)
    entry = tmp_path / "applications" / "proxydesk.desktop"
    icon = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "proxydesk.svg"
    assert entry.read_bytes() == DESKTOP_FILE.read_bytes()
    assert icon.read_bytes() == (ROOT / "resources" / "icons" / "app.svg").read_bytes()
    subprocess.run(["sh", str(script), "--uninstall"], env=env, capture_output=True, timeout=60,
                   check=True)
    assert not entry.exists() and not icon.exists()


def test_the_bundle_spec_ships_what_the_wheel_ships() -> None:
    spec = (PACKAGING / "proxydesk.spec").read_text(encoding="utf-8")
    for source, dest in (("resources/icons", "gui/resources/icons"),
                         ("resources/examples", "gui/resources/examples")):
        assert (ROOT / source).is_dir()
        assert f'"{dest}"' in spec
    assert (PACKAGING / "launcher.py").is_file() and '"launcher.py"' in spec
