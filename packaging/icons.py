"""The app icon for the bundles, made from resources/icons/app.svg at build time.

Nothing generated is committed: the specs call ``build_icons`` into PyInstaller's work
directory.  Qt (PySide6, already a dependency) renders the SVG to PNGs; Pillow writes the
macOS ``.icns`` and the Windows ``.ico`` from them.  Without Pillow those two cannot be
made and the macOS and Windows builds stop saying so (``pip install pillow``; it is in
the ``test`` extra).  The Linux build needs only the PNGs.

    python packaging/icons.py OUT_DIR      # app.icns, app.ico and app-SIZE.png in OUT_DIR
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

SVG = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app.svg"
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)   # the iconset's sizes (with @2x)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)        # what Windows asks an .ico for
LINUX_SIZES = (48, 128, 256)                      # hicolor PNGs beside the scalable SVG


def render_pngs(sizes: Iterable[int], out_dir: Path, svg: Path = SVG) -> dict[int, Path]:
    """``svg`` rendered to ``out_dir/app-SIZE.png`` for each size (transparent background)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed to render
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["proxydesk-icons"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"packaging: {svg}: not an SVG Qt can render")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[int, Path] = {}
    for size in sorted(set(sizes)):
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"app-{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"packaging: could not write {path}")
        written[size] = path
    return written


def _pillow():  # type: ignore[no-untyped-def]
    try:
        from PIL import Image
    except ImportError:
        raise SystemExit(
            "packaging: the .icns and .ico icons need Pillow: pip install pillow "
            "(or install the project with its test extra: pip install -e '.[test]')"
        ) from None
    return Image


def write_icns(pngs: dict[int, Path], path: Path) -> Path:
    """A macOS .icns from the PNGs (the largest first, the others as exact sizes)."""
    image = _pillow()
    images = [image.open(pngs[size]).convert("RGBA") for size in sorted(pngs, reverse=True)]
    images[0].save(path, format="ICNS", append_images=images[1:])
    return path


def write_ico(pngs: dict[int, Path], path: Path) -> Path:
    """A Windows .ico holding each of ICO_SIZES."""
    image = _pillow()
    images = [image.open(pngs[size]).convert("RGBA") for size in sorted(pngs, reverse=True)]
    images[0].save(path, format="ICO", sizes=[(s, s) for s in ICO_SIZES if s in pngs],
                   append_images=images[1:])
    return path


def build_icons(out_dir: Path, *, icns: bool = False, ico: bool = False) -> dict[str, Path]:
    """PNGs for Linux, and the .icns and/or .ico when asked, under ``out_dir``."""
    sizes = set(LINUX_SIZES) | (set(ICNS_SIZES) if icns else set()) | (set(ICO_SIZES) if ico else set())
    pngs = render_pngs(sizes, out_dir)
    made: dict[str, Path] = {f"png{size}": pngs[size] for size in LINUX_SIZES}
    if icns:
        made["icns"] = write_icns({s: pngs[s] for s in ICNS_SIZES}, out_dir / "app.icns")
    if ico:
        made["ico"] = write_ico({s: pngs[s] for s in ICO_SIZES}, out_dir / "app.ico")
    return made


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for name, made_path in build_icons(Path(sys.argv[1]), icns=True, ico=True).items():
        print(f"{name}: {made_path}")
