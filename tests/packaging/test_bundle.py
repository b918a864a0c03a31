"""The Linux bundle, built with PyInstaller from packaging/linux/proxydesk.spec and run.

Marked ``bundle``: the build takes about 25 s on the reference machine (packaging/README.md),
so it runs in the ordinary suite; ``-m 'not bundle'`` leaves it out.  Without PyInstaller
(the test extra has it) it is skipped, except where PROXYDESK_REQUIRE_BUNDLE=1 (.ci/run).
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "resources" / "examples" / "tutorial.cfg"

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.skipif(sys.platform != "linux", reason="the Linux bundle is built on Linux"),
    pytest.mark.timeout(600),
]


def _need_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        if os.environ.get("PROXYDESK_REQUIRE_BUNDLE") == "1":
            pytest.fail("PyInstaller is required here (PROXYDESK_REQUIRE_BUNDLE=1); "
                        "pip install -e '.[test]' installs it")
        pytest.skip("PyInstaller is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    _need_pyinstaller()
    base = tmp_path_factory.mktemp("bundle")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(base / "dist"), "--workpath", str(base / "work"),
         str(ROOT / "packaging" / "linux" / "proxydesk.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=540, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    folder = base / "dist" / "proxydesk"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    # Shown with -rA or on failure; packaging/README.md records the measured figures.
    print(f"bundle built in {time.monotonic() - started:.0f} s, {size / 1e6:.0f} MB")
    yield folder


def _env(tmp_path: Path) -> dict[str, str]:
    """A user with nothing: settings, routes and certificates go to tmp_path."""
    return {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_RUNTIME_DIR": str(tmp_path / "run"),
            "PROXYDESK_CONFIG_DIR": str(tmp_path / "proxydesk"), "QT_QPA_PLATFORM": "offscreen"}


def test_the_bundle_holds_both_executables_and_no_unused_qt(bundle: Path) -> None:
    assert os.access(bundle / "proxydesk", os.X_OK)
    assert os.access(bundle / "proxydesk-gui", os.X_OK)
    internal = bundle / "_internal"
    assert (internal / "gui" / "resources" / "icons" / "app.svg").is_file()
    assert (internal / "proxy" / "demo" / "tutorial.cfg").is_file()
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    assert not list(internal.glob("PySide6/Qt/plugins/platformthemes/libqgtk3*"))
    assert list(internal.glob("PySide6/Qt/plugins/iconengines/libqsvgicon*"))  # every icon is SVG
    assert not [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()]  # dangling
    assert not list(internal.glob("yaml")) and not list(internal.glob("PIL"))
    assert not list(internal.rglob("httptools*"))


def test_the_bundled_cli_gives_its_version_and_checks_a_config(bundle: Path, tmp_path: Path) -> None:
    from proxy import __version__

    version = subprocess.run([bundle / "proxydesk", "--version"], capture_output=True, text=True,
                             timeout=60, env=_env(tmp_path), check=False)
    assert version.returncode == 0, version.stderr
    # ... and which engine it bundled (packaging/specbase.py: compiled where it was built)
    assert version.stdout.strip() in (f"proxydesk {__version__} (engine: pure Python)",
                                      f"proxydesk {__version__} (engine: compiled (mypyc))")
    check = subprocess.run([bundle / "proxydesk", "check", str(TUTORIAL)], capture_output=True,
                           text=True, timeout=60, env=_env(tmp_path), check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "configuration is valid" in check.stdout + check.stderr


def test_the_bundled_demo_serves_a_page_headless(bundle: Path, tmp_path: Path) -> None:
    with subprocess.Popen([bundle / "proxydesk", "demo", "--headless", "--port", "0", "-q"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=_env(tmp_path)) as proc:
        assert proc.stdout is not None
        try:
            address, seen = None, []
            deadline = time.monotonic() + 60
            while address is None and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                seen.append(line)
                found = re.search(r"main listening on (\S+):(\d+)", line)
                address = found and (found.group(1), int(found.group(2)))
            assert address, f"no 'main listening on' line; exit {proc.poll()}:\n{''.join(seen)}"
            with urllib.request.urlopen(f"http://{address[0]}:{address[1]}/", timeout=10) as answer:
                assert answer.status == 200
                assert b"Home page!" in answer.read()
            proc.send_signal(signal.SIGINT)
            rest, _ = proc.communicate(timeout=30)
            assert proc.returncode == 0, rest
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_the_bundled_app_opens_its_window_and_stays_up(bundle: Path, tmp_path: Path) -> None:
    with subprocess.Popen([bundle / "proxydesk-gui"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=_env(tmp_path)) as proc:
        try:
            time.sleep(5)
            alive = proc.poll() is None
        finally:
            proc.terminate()
            try:
                output, _ = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
    assert alive, f"exited {proc.returncode}:\n{output}"
    assert "Traceback" not in output, output


def test_the_tarball_installs_like_a_prefix(bundle: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "linux" / "tarball.py"), str(bundle),
         "-o", str(tmp_path)], capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    archive = Path(proc.stdout.strip())
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "prefix", filter="data")
    (top,) = (tmp_path / "prefix").iterdir()
    app_id = "io.github.proxydesk.Proxydesk"
    for member in ("bin/proxydesk", "bin/proxydesk-gui", "lib/proxydesk/proxydesk",
                   f"share/applications/{app_id}.desktop", f"share/metainfo/{app_id}.metainfo.xml",
                   "share/icons/hicolor/scalable/apps/proxydesk.svg",
                   "share/icons/hicolor/256x256/apps/proxydesk.png"):
        assert (top / member).exists(), member
    version = subprocess.run([top / "bin" / "proxydesk", "--version"], capture_output=True,
                             text=True, timeout=60, env=_env(tmp_path), check=False)
    assert version.returncode == 0 and version.stdout.startswith("proxydesk "), version.stderr
