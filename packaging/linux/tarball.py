"""The Linux tarball: the one-folder bundle plus its menu entry, icons and AppStream data.

    python packaging/linux/tarball.py dist/proxydesk [-o OUT_DIR]

writes OUT_DIR/proxydesk-VERSION-linux-ARCH.tar.gz (OUT_DIR defaults to dist/), laid out
as a prefix, so that one command installs it for the current user:

    tar -xzf proxydesk-VERSION-linux-ARCH.tar.gz -C ~/.local --strip-components=1

    bin/proxydesk, bin/proxydesk-gui            -> ../lib/proxydesk/...  (symlinks)
    lib/proxydesk/                              the PyInstaller bundle
    share/applications/APP_ID.desktop
    share/icons/hicolor/{48x48,128x128,256x256}/apps/proxydesk.png, scalable/apps/proxydesk.svg
    share/metainfo/APP_ID.metainfo.xml
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import icons  # noqa: E402
import specbase  # noqa: E402


def tarball_name() -> str:
    return f"proxydesk-{specbase.version()}-linux-{platform.machine()}"


def build(bundle: Path, out_dir: Path) -> Path:
    """The tarball of ``bundle`` (a dist/proxydesk folder) in ``out_dir``."""
    for exe in (specbase.CLI_NAME, specbase.GUI_NAME):
        if not (bundle / exe).is_file():
            raise SystemExit(f"packaging: {bundle / exe} is missing: build "
                             "packaging/linux/proxydesk.spec first")
    top = tarball_name()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{top}.tar.gz"
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(target, "w:gz", compresslevel=6) as tar:
        pngs = icons.render_pngs(icons.LINUX_SIZES, Path(tmp))

        def add(source: Path, dest: str) -> None:
            tar.add(source, arcname=f"{top}/{dest}", filter=_owned_by_root)

        add(bundle, "lib/proxydesk")
        for exe in (specbase.CLI_NAME, specbase.GUI_NAME):
            link = tarfile.TarInfo(f"{top}/bin/{exe}")
            link.type, link.linkname, link.mode = tarfile.SYMTYPE, f"../lib/proxydesk/{exe}", 0o777
            tar.addfile(link)
        add(HERE / f"{specbase.APP_ID}.desktop", f"share/applications/{specbase.APP_ID}.desktop")
        add(HERE / f"{specbase.APP_ID}.metainfo.xml", f"share/metainfo/{specbase.APP_ID}.metainfo.xml")
        hicolor = "share/icons/hicolor"
        add(icons.SVG, f"{hicolor}/scalable/apps/proxydesk.svg")
        for size, png in pngs.items():
            add(png, f"{hicolor}/{size}x{size}/apps/proxydesk.png")
        readme = (f"Proxydesk {specbase.version()}: install for the current user with\n"
                  f"  tar -xzf {top}.tar.gz -C ~/.local --strip-components=1\n").encode()
        info = tarfile.TarInfo(f"{top}/README")
        info.size, info.mode = len(readme), 0o644
        tar.addfile(info, io.BytesIO(readme))
    return target


def _owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the built folder (dist/proxydesk)")
    parser.add_argument("-o", "--out", type=Path, default=Path("dist"), help="where to write it")
    args = parser.parse_args()
    print(build(args.bundle, args.out))
