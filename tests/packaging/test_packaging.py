"""What ships: the wheel, the Linux desktop entry and metainfo, the PyInstaller specs,
the Windows installer script and the CI workflow (the bundle itself: test_bundle.py).

The tests run from the source checkout, where resources/ sits at the top of the
tree; these check the installed layout instead (resources/ becomes
gui/resources/), which is what a user's ``pip install`` or bundle gets.
"""

from __future__ import annotations

import ast
import configparser
import importlib
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import proxy

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.proxydesk.Proxydesk"
DESKTOP_FILE = PACKAGING / "linux" / f"{APP_ID}.desktop"
METAINFO = PACKAGING / "linux" / f"{APP_ID}.metainfo.xml"


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
        if os.environ.get("CI") and sys.platform == "linux":
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
    entry = tmp_path / "applications" / f"{APP_ID}.desktop"
    icon = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "proxydesk.svg"
    assert entry.read_bytes() == DESKTOP_FILE.read_bytes()
    assert icon.read_bytes() == (ROOT / "resources" / "icons" / "app.svg").read_bytes()
    subprocess.run(["sh", str(script), "--uninstall"], env=env, capture_output=True, timeout=60,
                   check=True)
    assert not entry.exists() and not icon.exists()


@pytest.fixture(scope="module")
def specbase() -> Iterator[ModuleType]:
    """packaging/specbase.py, which the specs import from their own directory's parent."""
    sys.path.insert(0, str(PACKAGING))
    try:
        yield importlib.import_module("specbase")
    finally:
        sys.path.remove(str(PACKAGING))


def _spec(platform: str) -> str:
    return (PACKAGING / platform / "proxydesk.spec").read_text(encoding="utf-8")


def test_one_spec_per_platform_sharing_the_wheels_contents(specbase: ModuleType) -> None:
    for platform in ("linux", "macos", "windows"):
        spec = _spec(platform)
        assert "Analysis(**specbase.analysis_options())" in spec, platform
        assert "specbase.trim(a.binaries), specbase.trim(a.datas)" in spec, platform
        assert "name=specbase.CLI_NAME" in spec and "name=specbase.GUI_NAME" in spec, platform
    assert not (PACKAGING / "proxydesk.spec").exists()
    source = (PACKAGING / "specbase.py").read_text(encoding="utf-8")
    for src, dest in (("resources/icons", "gui/resources/icons"),
                      ("resources/examples", "gui/resources/examples")):
        assert (ROOT / src).is_dir()
        assert f'"{dest}"' in source
    assert (PACKAGING / "launcher.py").is_file() and '"launcher.py"' in source
    assert specbase.version() == proxy.__version__
    assert specbase.GUI_NAME.endswith("-gui") and '"-gui"' in (PACKAGING / "launcher.py").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'{specbase.GUI_NAME} = "gui.app:main"' in pyproject  # the same as pip's gui-script


def test_the_windows_gui_has_no_console_and_the_cli_has_one() -> None:
    spec = _spec("windows")
    gui = re.search(r"gui = EXE\((.*?)\)\n", spec, re.DOTALL)
    cli = re.search(r"cli = EXE\((.*?)\)\n", spec, re.DOTALL)
    assert gui and "console=False" in gui.group(1) and "icon=str(ico)" in gui.group(1)
    assert cli and "console=True" in cli.group(1) and "version=str(version_file)" in cli.group(1)
    assert "version=str(version_file)" in gui.group(1)


def test_the_macos_app_has_its_info_plist(specbase: ModuleType) -> None:
    spec = _spec("macos")
    for key in ("CFBundleShortVersionString", "LSMinimumSystemVersion", "NSHighResolutionCapable"):
        assert f'"{key}"' in spec
    assert "bundle_identifier=specbase.APP_ID" in spec and "specbase.version()" in spec
    assert "BUNDLE(" in spec and 'icns=True)["icns"]' in spec
    assert specbase.APP_ID == APP_ID


def test_the_windows_version_resource_carries_the_version(specbase: ModuleType) -> None:
    text = specbase.windows_version_text()
    tree = ast.parse(text, mode="eval")  # PyInstaller eval()s it with its VSVersionInfo classes
    assert isinstance(tree.body, ast.Call) and ast.unparse(tree.body.func) == "VSVersionInfo"
    major, minor, patch = (int(n) for n in proxy.__version__.split("."))
    assert text.count(f"({major}, {minor}, {patch}, 0)") == 2
    assert text.count(f"'{proxy.__version__}'") == 2 and "{version" not in text


def test_the_installer_script_installs_both_exes_with_a_start_menu_entry() -> None:
    iss = (PACKAGING / "windows" / "proxydesk.iss").read_text(encoding="utf-8")
    sections = set(re.findall(r"^\[(\w+)\]$", iss, re.MULTILINE))
    assert {"Setup", "Files", "Icons", "UninstallDelete"} <= sections
    assert r'Source: "{#Dist}\*"' in iss and "recursesubdirs" in iss
    assert re.search(r'^Name: "\{group\}\\Proxydesk"; Filename: "\{app\}\\proxydesk-gui.exe"', iss,
                     re.MULTILINE)
    assert "{uninstallexe}" in iss  # the Start menu's uninstall entry
    assert "Uninstallable=yes" in iss
    assert f"AppId={APP_ID}" in iss


def test_the_icons_are_made_from_the_svg(tmp_path: Path) -> None:
    pytest.importorskip("PIL", reason="Pillow makes the .icns and .ico (test extra)")
    from PIL import Image

    sys.path.insert(0, str(PACKAGING))
    try:
        icons = importlib.import_module("icons")
    finally:
        sys.path.remove(str(PACKAGING))
    made = icons.build_icons(tmp_path, icns=True, ico=True)
    with Image.open(made["ico"]) as ico:
        assert {(256, 256), (48, 48), (16, 16)} <= set(ico.info["sizes"])
    with Image.open(made["icns"]) as icns:
        assert icns.size == (1024, 1024)
    with Image.open(made["png256"]) as png:
        assert png.size == (256, 256) and png.mode == "RGBA"
        assert png.getpixel((0, 0))[3] == 0 and png.getpixel((128, 128))[3] == 255


def test_the_bundle_trims_only_what_the_app_never_loads(specbase: ModuleType) -> None:
    unused = specbase.unused
    assert unused("PySide6/Qt/translations/qtbase_de.qm")
    assert unused("PySide6/Qt/plugins/platforms/libqeglfs.so")
    assert unused("PySide6/Qt/plugins/platformthemes/libqgtk3.so")
    assert unused("libQt6EglFSDeviceIntegration.so.6", "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6")
    assert unused("libcairo.so.2")
    for kept in ("PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqwayland.so",
                 "PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/platforms/qwindows.dll",
                 "PySide6/Qt/plugins/platforms/libqcocoa.dylib", "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
                 "PySide6/Qt/plugins/imageformats/libqsvg.so", "PySide6/Qt/plugins/imageformats/qico.dll",
                 "PySide6/Qt/lib/libQt6Widgets.so.6", "PySide6/QtOpenGL.abi3.so"):
        assert not unused(kept), kept
    # What the app imports must never be excluded (gui/ and, at import time, pyqtgraph).
    for module in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg",
                   "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtTest"):
        assert module not in specbase.EXCLUDES
    imported = set(re.findall(r"^\s*(?:from|import) (PySide6\.\w+)", "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "gui").rglob("*.py")), re.MULTILINE))
    assert imported and not imported & set(specbase.EXCLUDES)


def test_nothing_in_packaging_names_httptools() -> None:
    for path in [ROOT / "pyproject.toml", *PACKAGING.rglob("*")]:
        if path.is_file() and "__pycache__" not in path.parts:
            assert "httptools" not in path.read_text(encoding="utf-8", errors="replace"), path


def test_the_metainfo_names_the_desktop_entry_and_this_version() -> None:
    tree = ET.parse(METAINFO).getroot()
    assert tree.tag == "component" and tree.get("type") == "desktop-application"
    assert tree.findtext("id") == APP_ID
    assert tree.findtext("launchable[@type='desktop-id']") == DESKTOP_FILE.name
    assert {b.text for b in tree.iterfind("provides/binary")} == {"proxydesk", "proxydesk-gui"}
    assert tree.find("releases/release").get("version") == proxy.__version__  # type: ignore[union-attr]


def test_the_metainfo_is_valid() -> None:
    validator = shutil.which("appstreamcli")
    if validator is None:
        if os.environ.get("CI") and sys.platform == "linux":
            pytest.fail("appstreamcli is required in CI (.ci/run installs the appstream package)")
        pytest.skip("appstreamcli is not installed (apt-get install appstream)")
    proc = subprocess.run([validator, "validate", "--no-net", "--explain", str(METAINFO)],
                          capture_output=True, text=True, timeout=60, check=False)
    out = proc.stdout + proc.stderr
    # Errors and warnings fail; infos (such as an older appstream not knowing <developer>) do not.
    assert proc.returncode == 0 and not re.search(r"^[EW]: ", out, re.MULTILINE), out

