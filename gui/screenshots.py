"""Render the main screens to PNG: ``python -m gui.screenshots OUTDIR [--scale 2]``.

Each screen is the real window, built offscreen at 1280x800 on the tutorial
config (engine started on free ports with its demo servers, a few requests
sent so the request log has rows), grabbed with ``QWidget.grab``.  The Traffic
screen takes half a minute: real requests at a rate that rises and falls while
the window polls the engine at its usual 4 Hz.  With
``--scale 2`` the script re-runs itself with ``QT_SCALE_FACTOR=2`` (the factor
must be set before Qt starts) and names the files ``*@2x.png``.  The README's
``resources/screenshots/*.png`` come from here.  The Certificates window is
shot over a throw-away store (``demo_certificate_store``): a CA and four
certificates, one about to expire and one expired, so every state shows.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from proxy.certs import CertStore, ImportedBundle, issue_leaf  # Qt-free: safe before Qt starts

SIZE = (1280, 800)
CERTIFICATES_SIZE = (1040, 600)


def demo_certificate_store(root: Path) -> CertStore:
    """A CertStore under ``root`` with a CA, two fresh certificates, one expiring, one expired."""
    store = CertStore(root, owner="dev@workstation")  # not the real user's name in a README
    store.issue(["app.localhost", "127.0.0.1"])
    store.issue(["api.localhost", "admin.localhost"])
    now = dt.datetime.now(dt.UTC)
    # Short-lived leaves cannot come from CertStore.issue (always 825 days): sign them here
    # and import them, as a certificate made elsewhere would be.
    for names, start, days in ((["staging.localhost"], now, 12), (["old.localhost"], now - dt.timedelta(days=30), 25)):
        leaf = issue_leaf(store.ca(), names, lifetime=dt.timedelta(days=days), now=start)
        store.import_bundle(ImportedBundle(leaf.certificate, (), leaf.private_key, ()))
    return store


def _send_requests(window: object, count: int = 12) -> None:
    from gui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    port = next((p for f, _h, p in window.host.listening if f == "main"), None)
    for i in range(count):
        path = ("/", "/lightwork", "/heavywork", "/admin")[i % 4]
        with contextlib.suppress(OSError):  # /admin answers 403: still a logged request
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).read()


def _send_traffic_while_polling(window: object, seconds: float = 30.0) -> None:
    """Three clients (one per tutorial path) for ``seconds``, pausing between requests
    along a wave so the rates rise and fall, while Qt events (the poll timer) run."""
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow
    from gui.sample_requests import fetch

    assert isinstance(window, MainWindow)
    port = next((p for f, _h, p in window.host.listening if f == "main"), None)
    started = time.monotonic()
    stop = threading.Event()

    def client(path: str, phase: float) -> None:
        while not stop.is_set():
            fetch(f"http://127.0.0.1:{port}{path}")
            wave = math.cos(2 * math.pi * ((time.monotonic() - started) / 12 + phase))
            time.sleep(0.03 + 0.12 * (1 + wave))  # about 4 to 30 requests/s per client

    clients = [threading.Thread(target=client, args=(path, phase), daemon=True)
               for path, phase in (("/", 0.0), ("/lightwork", 0.33), ("/heavywork", 0.66))]
    for thread in clients:
        thread.start()
    while time.monotonic() - started < seconds:  # the window's own 4 Hz timer polls
        QApplication.processEvents()
        time.sleep(0.05)
    stop.set()
    for thread in clients:
        thread.join(5)
    window.poll_engine()


def _show_demo_userlist(window: object) -> None:
    """A userlist with two users (one hashed, one clear text) and a group, alice selected."""
    from gui.editors import userlist_model as ul
    from gui.editors.userlist import UserlistEditor
    from gui.main_window import MainWindow
    from proxy.config.model import Config

    assert isinstance(window, MainWindow)

    def build(config: Config) -> None:
        section = ul.add_userlist(config, "staff")
        ul.add_group(section, "admins")
        ul.add_user(section, "alice", "correct horse battery", groups=["admins"])
        ul.add_user(section, "bob", "hunter2hunter2", insecure=True)

    window.document.edit("Add the demo userlist", build)
    window.select_section(("userlist", "staff"))
    window.tabs.setCurrentWidget(window.editor_area)
    editor = window.editor_area.widget()
    assert isinstance(editor, UserlistEditor)
    editor.select_user("alice")


def _protect_demo_frontend(window: object) -> None:
    from gui.editors.protect import Protection, protect
    from gui.main_window import MainWindow
    from proxy.config.model import Config

    assert isinstance(window, MainWindow)

    def change(config: Config) -> None:
        section = config.find("frontend", "main")
        assert section is not None
        protect(section, Protection("staff", "Staff only", ("/admin",)))

    window.document.edit("Protect /admin", change)


def _use_scheme(app: object, dark: bool) -> None:
    """The light or dark palette: offscreen Qt reports no system scheme, so say which."""
    from gui import theme

    theme.is_dark = lambda: dark  # read by every palette user
    theme._apply_palette(app)  # type: ignore[arg-type]  # a QApplication


def render_map(outdir: Path, suffix: str = "") -> list[Path]:
    """The Map tab: the tutorial idle and under load (with a what-if path), and a ten-backend
    config, in the light and the dark palette."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from gui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app)
    outdir.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    for scheme in ("light", "dark"):
        _use_scheme(app, scheme == "dark")
        shots += _map_shots(app, outdir, f"-{scheme}{suffix}")
    (outdir / ".screenshots-ui.ini").unlink(missing_ok=True)
    return shots


def _map_shots(app: object, outdir: Path, suffix: str) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from gui.app import load_demo
    from gui.editors.whatif import WhatIfTester
    from gui.main_window import MainWindow

    ten = Path(__file__).resolve().parent.parent / "tests" / "data" / "gui" / "ten-backends.cfg"
    window = MainWindow(settings_path=outdir / ".screenshots-ui.ini")
    window.resize(*SIZE)
    window.show()
    shots: list[Path] = []

    def shot(name: str) -> None:
        for _ in range(5):
            QApplication.processEvents()
        path = outdir / f"{name}{suffix}.png"
        window.grab().save(str(path))
        shots.append(path)

    load_demo(window)
    window.tabs.setCurrentWidget(window.map_view)
    window.map_view.fit()
    for _ in range(3):  # two samples make a rate: idle shows 0 req/s, not a blank
        time.sleep(0.3)
        window.poll_engine()
    shot("map-tutorial")
    window.select_section(("frontend", "main"))
    editor = window.editor_area.widget()
    tester = editor.findChild(WhatIfTester) if editor is not None else None
    if tester is not None:  # the what-if tester lights up the path of /heavywork
        tester.path.setText("/heavywork")
        tester.run()
    window.tabs.setCurrentWidget(window.map_view)
    _send_traffic_while_polling(window, seconds=8.0)
    shot("map-under-load")
    window.host.stop_blocking()
    window.document.undo_stack.setClean()
    window.open_path(ten)
    window.map_view.fit()
    shot("map-ten-backends")
    window.document.undo_stack.setClean()
    window.close()
    window.host.shutdown()
    window.deleteLater()
    return shots


def render(outdir: Path, suffix: str = "") -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.app import load_demo
    from gui.first_run import FirstRunDialog, LocalRouteDialog
    from gui.main_window import MainWindow
    from gui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app)
    outdir.mkdir(parents=True, exist_ok=True)
    settings = outdir / ".screenshots-ui.ini"
    window = MainWindow(settings_path=settings)
    window.resize(*SIZE)
    window.show()
    load_demo(window)
    _send_requests(window)
    shots: list[Path] = []

    def shot(name: str, prepare: Callable[[], object]) -> None:
        prepare()
        for _ in range(5):
            app.processEvents()
        path = outdir / f"{name}{suffix}.png"
        window.grab().save(str(path))
        shots.append(path)

    def editor(key: tuple[str, str | None], page: int = 0) -> None:
        window.select_section(key)
        window.tabs.setCurrentWidget(window.editor_area)  # the demo opens on the Requests tab
        tabs = getattr(window.editor_area.widget(), "tabs", None)
        if tabs is not None:
            tabs.setCurrentIndex(page)

    shot("main-frontend", lambda: editor(("frontend", "main")))
    shot("rules", lambda: editor(("frontend", "main"), 2))
    shot("backend", lambda: editor(("backend", "heavy")))
    shot("backend-checks", lambda: editor(("backend", "heavy"), 1))
    shot("global", lambda: editor(("global", None)))
    shot("text-view", lambda: window.tabs.setCurrentWidget(window.text_view))
    def requests() -> None:
        window.poll_engine()
        window.tabs.setCurrentWidget(window.log_view)

    def traffic() -> None:
        window.tabs.setCurrentWidget(window.traffic_view)
        _send_traffic_while_polling(window)

    def password() -> None:
        _protect_demo_frontend(window)
        editor(("frontend", "main"), 4)

    shot("requests", requests)
    shot("traffic", traffic)

    def broken() -> None:
        window.tabs.setCurrentWidget(window.editor_area)
        window.document.set_text(window.document.text + "\nfrontend broken\n    default_backend nowhere\n")
        window.select_section(("frontend", "broken"))
        window._reveal_diagnostics()

    shot("userlist", lambda: _show_demo_userlist(window))
    shot("password", password)
    shot("diagnostics", broken)
    for name, dialog in (("first-run", FirstRunDialog()), ("local-route", LocalRouteDialog())):
        dialog.show()
        dialog.adjustSize()
        for _ in range(5):
            app.processEvents()
        path = outdir / f"{name}{suffix}.png"
        dialog.grab().save(str(path))
        shots.append(path)
        dialog.close()
    with tempfile.TemporaryDirectory() as certs_root:
        shots.append(_shoot_certificates(demo_certificate_store(Path(certs_root) / "proxydesk" / "certs"), outdir / f"certificates{suffix}.png"))
    window.document.undo_stack.setClean()
    window.close()
    QSettings(str(settings), QSettings.Format.IniFormat).clear()
    settings.unlink(missing_ok=True)
    return shots


def _shoot_certificates(store: CertStore, path: Path) -> Path:
    from PySide6.QtWidgets import QApplication

    from gui.certificates import CertificatesWindow

    window = CertificatesWindow(store)
    window.resize(*CERTIFICATES_SIZE)
    window.show()
    app = store.get("app.localhost")
    window.refresh(app.id)
    window.show_message(f"Issued {app.id} for {', '.join(app.names)}; use it with 'ssl crt {app.pem_path}'.")
    for _ in range(5):
        QApplication.processEvents()
    window.grab().save(str(path))
    window.close()
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.screenshots",
                                     description="Render the main screens to PNG files.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scale", type=int, help="device pixel ratio (2: the @2x set)")
    parser.add_argument("--suffix", default="", help=argparse.SUPPRESS)  # set by --scale
    parser.add_argument("--map-only", action="store_true", help="only the Map tab's screens")
    args = parser.parse_args(argv)
    if args.scale is not None:
        # Qt reads the factor at start-up only: render in a child process that has it
        # (given --suffix, never --scale, so it cannot start another child).
        env = dict(os.environ, QT_SCALE_FACTOR=str(args.scale), QT_QPA_PLATFORM="offscreen")
        return subprocess.call([sys.executable, "-m", "gui.screenshots", str(args.outdir),
                                "--suffix", f"@{args.scale}x", *(["--map-only"] if args.map_only else [])],
                               env=env)
    for path in [*([] if args.map_only else render(args.outdir, args.suffix)),
                 *render_map(args.outdir, args.suffix)]:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
