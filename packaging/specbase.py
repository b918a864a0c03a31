"""What the three PyInstaller specs share (packaging/{linux,macos,windows}/proxydesk.spec).

A spec is run by PyInstaller with its own globals (Analysis, EXE, ...); it puts this
directory on ``sys.path`` and calls ``analysis_options()`` and ``trim()`` from here, so
that the three platforms bundle the same modules, data and Qt subset.

Importable without PyInstaller (tests/packaging reads the constants and the trim rules).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One id everywhere: AppStream component, .desktop file name, macOS CFBundleIdentifier,
# Windows installer AppId.  (Reverse DNS of the project's public home, github.com/proxydesk.)
APP_ID = "io.github.proxydesk.Proxydesk"
APP_NAME = "Proxydesk"
CLI_NAME = "proxydesk"          # the CLI (and, with no argument, the app)
GUI_NAME = "proxydesk-gui"      # the app with no console (gui.app:main), as pip's gui-script
MACOS_MINIMUM = "11.0"          # PySide6 6.8+ wheels need macOS 11 (Big Sur)


def version() -> str:
    """proxy.__version__, read from the source (a spec must not need proxy importable)."""
    text = (ROOT / "proxy" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if found is None:
        raise SystemExit("packaging: no __version__ = \"...\" line in proxy/__init__.py")
    return found.group(1)


def version_tuple() -> tuple[int, int, int, int]:
    """The four numbers Windows' version resource wants ("0.1.0" -> (0, 1, 0, 0))."""
    numbers = [int(n) for n in re.findall(r"\d+", version())[:4]]
    return (*numbers, *[0] * (4 - len(numbers)))  # type: ignore[return-value]


# Python modules the bundle must not carry: test and build tools that happen to be in the
# build venv, and Qt modules the app never imports (gui/ imports QtCore, QtGui and
# QtWidgets; pyqtgraph adds QtOpenGL, QtOpenGLWidgets, QtSvg and QtTest at import time).
EXCLUDES = [
    "tkinter", "yaml", "PIL", "pytest", "hypothesis", "mypy", "setuptools", "pip",
    "mypyc",  # proxy/engine/build_native.py compiles with it; the bundle only runs the result
    "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebChannel",
    "PySide6.Qt3DCore", "PySide6.Qt3DRender", "PySide6.QtMultimedia", "PySide6.QtCharts",
    "PySide6.QtDesigner", "PySide6.QtPdf", "PySide6.QtSql", "PySide6.QtXml",
]

# Files of PySide6/Qt/ the app never loads, as path fragments (forward slashes).
# Kept: platforms xcb, wayland, offscreen, minimal, windows, cocoa; the svg icon engine
# and the svg and ico image formats (every icon is an SVG; PNG is built into QtGui);
# the xdg-desktop-portal platform theme and the input contexts.
QT_UNUSED = (
    "/translations/",                 # no QTranslator is ever installed
    "/plugins/egldeviceintegrations/", "/plugins/platforms/libqeglfs",
    "/plugins/platforms/libqlinuxfb", "/plugins/platforms/libqvnc",
    "/plugins/platforms/libqminimalegl", "/plugins/platforms/libqvkkhrdisplay",
    "/plugins/platforms/qdirect2d",
    "/plugins/networkinformation/", "/plugins/tls/",   # QtNetwork is not used
    "/plugins/generic/",              # evdev/tslib touch input for framebuffer setups
    # GTK 3's theme would load the system's libgtk-3 against the bundle's copies of
    # glib, pango and cairo (pulled in only for it): a mismatch waiting to happen.
    # The app draws with Fusion and its own palette anyway.
    "/plugins/platformthemes/libqgtk3",
    *(f"/plugins/imageformats/{prefix}{name}"
      for prefix in ("libq", "q") for name in ("gif", "jpeg", "tga", "tiff", "wbmp", "webp",
                                                "icns", "pdf", "macheif", "macjp2")),
    "/lib/libQt6EglFSDeviceIntegration", "/lib/libQt6EglFsKmsSupport",
    "Qt6EglFSDeviceIntegration", "Qt6EglFsKmsSupport",
)


# System libraries PyInstaller copies in only for the GTK 3 theme above (Linux): once it
# is gone, no bundled binary needs them (checked with readelf on the built bundle).
GTK_THEME_ONLY = frozenset({
    "libatk-1.0.so.0", "libcairo-gobject.so.2", "libcairo.so.2", "libgdk_pixbuf-2.0.so.0",
    "libpango-1.0.so.0", "libpangocairo-1.0.so.0", "libpangoft2-1.0.so.0", "libpixman-1.so.0",
    "libfribidi.so.0", "libthai.so.0", "libdatrie.so.1", "libgraphite2.so.3",
    "libharfbuzz.so.0", "libjpeg.so.62",
})


def unused(dest: str, source: str = "") -> bool:
    """Whether a bundled file is one of QT_UNUSED: by its destination, or by its source
    (a binary's real path, or a symlink's target, which PyInstaller adds at the top)."""
    if dest in GTK_THEME_ONLY:  # at the top of the bundle, as PyInstaller puts them
        return True
    for path in (dest, source):
        path = "/" + path.replace("\\", "/")
        if "PySide6/" in path and any(part in path for part in QT_UNUSED):
            return True
    return False


def trim(toc: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The TOC (Analysis.binaries or .datas) without the unused Qt files."""
    return [entry for entry in toc if not unused(entry[0], entry[1] or "")]


def engine_build() -> str:
    """Which engine the bundle gets: the mypyc-compiled modules are bundled when built
    (collect_submodules finds them like any module), the .py files otherwise."""
    if any((ROOT / "proxy" / "engine").glob("*__mypyc*")):
        return "compiled engine (mypyc)"
    return "pure-Python engine (python -m proxy.engine.build_native first for the compiled one)"


def analysis_options() -> dict[str, object]:
    """Analysis() keyword arguments, the same on every platform."""
    from PyInstaller.utils.hooks import collect_submodules  # only inside a spec run

    # proxy.cli imports the GUI lazily (the headless commands must not load Qt), so
    # PyInstaller's import scan cannot see it: list the app's packages explicitly.
    hidden = collect_submodules("gui") + collect_submodules("proxy") + ["qasync"]
    print(f"packaging: bundling the {engine_build()}", file=sys.stderr)
    if sys.platform != "win32":
        hidden.append("uvloop")
    datas = [
        # Installed layout: gui/resources (where gui/theme.py looks first), as in the wheel.
        (str(ROOT / "resources" / "icons"), "gui/resources/icons"),
        (str(ROOT / "resources" / "examples"), "gui/resources/examples"),
        (str(ROOT / "proxy" / "demo" / "tutorial.cfg"), "proxy/demo"),
        (str(ROOT / "proxy" / "py.typed"), "proxy"),
    ]
    return {
        "scripts": [str(ROOT / "packaging" / "launcher.py")],
        "pathex": [str(ROOT)],
        "datas": datas,
        "hiddenimports": hidden,
        "excludes": EXCLUDES,
        "noarchive": False,
    }



VERSION_TEMPLATE = ROOT / "packaging" / "windows" / "version_info.txt"


def windows_version_text() -> str:
    """packaging/windows/version_info.txt with this version filled in."""
    text = VERSION_TEMPLATE.read_text(encoding="utf-8")
    return text.replace("{version_tuple}", repr(version_tuple())).replace("{version}", version())


def write_windows_version_file(path: Path) -> Path:
    """The version resource text for EXE(version=...), written to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(windows_version_text(), encoding="utf-8")
    return path
