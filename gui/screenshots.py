"""Render the main screens to PNG: ``python -m gui.screenshots OUTDIR [--scale 2] [--dark] [--all]``.

Each screen is the real window, built offscreen at 1280x800 on the tutorial
config (engine started on free ports with its demo servers, a few requests
sent so the request log has rows), grabbed with ``QWidget.grab``.  The Traffic
screen takes half a minute: real requests at a rate that rises and falls while
the window polls the engine at its usual 4 Hz.  With
``--scale 2`` the script re-runs itself with ``QT_SCALE_FACTOR=2`` (the factor
must be set before Qt starts) and names the files ``*@2x.png``; ``--dark`` renders
the dark palette (``gui.theme.SCHEME_ENV``) into ``*-dark.png``; ``--all`` renders
the four variants (light/dark, 1x/2x), one child process each; ``--only a,b``
renders only the screens named.  The README's ``resources/screenshots/*.png``
come from here.  The Certificates window is
shot over a throw-away store (``demo_certificate_store``): a CA and four
certificates, one about to expire and one expired, so every state shows.

A new screen is one registration: ``@screen("name")`` on a function that puts the
main window in the state to shoot (it runs in the order registered), or
``@widget_screen("name")`` on one that returns a widget of its own to shoot.
The text editor is shot on the "diagnostics" screen's broken frontend.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
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
from typing import Any

from proxy.certs import CertStore, ImportedBundle, issue_leaf  # Qt-free: safe before Qt starts

SIZE = (1280, 800)
CERTIFICATES_SIZE = (1040, 600)
VARIANTS = (("", ""), ("", "2"), ("dark", ""), ("dark", "2"))  # (scheme, scale) of --all

# name -> prepare(window): puts the main window in the state the shot shows
MAIN_SCREENS: dict[str, Callable[[Any], object]] = {}
# name -> make(window): a widget of its own (a dialog), shown, grabbed and closed
WIDGET_SCREENS: dict[str, Callable[[Any], Any]] = {}


def screen(name: str) -> Callable[[Callable[[Any], object]], Callable[[Any], object]]:
    """Register a main-window screen: ``@screen("map")`` over ``def _(window): ...``."""
    def register(prepare: Callable[[Any], object]) -> Callable[[Any], object]:
        MAIN_SCREENS[name] = prepare
        return prepare
    return register


def widget_screen(name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register a screen of its own widget: ``@widget_screen("about")`` over a factory."""
    def register(make: Callable[[Any], Any]) -> Callable[[Any], Any]:
        WIDGET_SCREENS[name] = make
        return make
    return register


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


def _editor(window: Any, key: tuple[str, str | None], page: int = 0) -> None:
    window.select_section(key)
    window.tabs.setCurrentWidget(window.editor_area)  # the demo opens on the Requests tab
    tabs = getattr(window.editor_area.widget(), "tabs", None)
    if tabs is not None:
        tabs.setCurrentIndex(page)


TEN_BACKENDS = Path(__file__).resolve().parent.parent / "tests" / "data" / "gui" / "ten-backends.cfg"


@screen("map-tutorial")
def _map_idle(window: Any) -> None:
    """The Map of the running tutorial before any load: every server UP, 0 req/s."""
    window.tabs.setCurrentWidget(window.map_view)
    window.map_view.fit()
    for _ in range(3):  # two samples make a rate: idle shows 0 req/s, not a blank
        time.sleep(0.3)
        window.poll_engine()


@screen("map-under-load")
def _map_under_load(window: Any) -> None:
    """Rising and falling load, with the what-if path of /heavywork lit up."""
    from gui.editors.whatif import WhatIfTester

    window.select_section(("frontend", "main"))
    editor = window.editor_area.widget()
    tester = editor.findChild(WhatIfTester) if editor is not None else None
    if tester is not None:
        tester.path.setText("/heavywork")
        tester.run()
    window.tabs.setCurrentWidget(window.map_view)
    _send_traffic_while_polling(window, seconds=8.0)


screen("main-frontend")(lambda w: _editor(w, ("frontend", "main")))
screen("rules")(lambda w: _editor(w, ("frontend", "main"), 2))
screen("backend")(lambda w: _editor(w, ("backend", "heavy")))
screen("backend-checks")(lambda w: _editor(w, ("backend", "heavy"), 1))
screen("global")(lambda w: _editor(w, ("global", None)))
screen("defaults")(lambda w: _editor(w, ("defaults", None)))  # fields with where they come from, who uses them
screen("defaults-servers")(lambda w: _editor(w, ("defaults", None), 2))
screen("text-view")(lambda w: w.tabs.setCurrentWidget(w.text_view))


@screen("requests")
def _requests(window: Any) -> None:
    window.poll_engine()
    window.tabs.setCurrentWidget(window.log_view)


@screen("requests-busy")
def _requests_busy(window: Any) -> None:
    """A burst faster than a list can be read: the sample, and the count of the rest."""
    import http.client

    from PySide6.QtWidgets import QApplication

    port = next(p for f, _h, p in window.host.listening if f == "main")

    def client(paths: list[str]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for path in paths:
            connection.request("GET", path)
            connection.getresponse().read()
        connection.close()

    paths = ["/admin" if i % 25 == 24 else "/" for i in range(600)]
    clients = [threading.Thread(target=client, args=(paths,), daemon=True) for _ in range(4)]
    for thread in clients:
        thread.start()
    window.tabs.setCurrentWidget(window.log_view)
    while any(thread.is_alive() for thread in clients):
        QApplication.processEvents()
        time.sleep(0.05)
    time.sleep(0.3)
    window.poll_engine()


@screen("traffic")
def _traffic(window: Any) -> None:
    window.tabs.setCurrentWidget(window.traffic_view)
    _send_traffic_while_polling(window)


screen("userlist")(_show_demo_userlist)


@screen("password")
def _password(window: Any) -> None:
    _protect_demo_frontend(window)
    _editor(window, ("frontend", "main"), 4)


@screen("diagnostics")
def _broken(window: Any) -> None:
    window.tabs.setCurrentWidget(window.editor_area)
    window.document.set_text(window.document.text + "\nfrontend broken\n    default_backend nowhere\n")
    window.select_section(("frontend", "broken"))
    window._reveal_diagnostics()


# A backend whose servers come from DNS, which the embedded engine refuses (the
# text editor marks the line).
REFUSED_BACKEND = "\nbackend from_dns\n    server-template srv 3 app.example:80\n"


@screen("text-editor")
def _text_editor(window: Any) -> None:
    """The text view on the broken frontend's error (added by "diagnostics"), with a line
    the engine refuses and the find bar open."""
    from PySide6.QtWidgets import QApplication

    if "server-template" not in window.document.text:
        window.document.set_text(window.document.text + REFUSED_BACKEND)
    window.tabs.setCurrentWidget(window.text_view)
    QApplication.processEvents()  # laid out before the cursor is centred
    lines = window.document.text.splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "default_backend nowhere" in t)
    window.text_view.go_to_line(line, lines[line - 1].index("nowhere") + 1)
    window.text_view.open_find()
    window.text_view.find_bar.find_field.setText("server")
    window.text_view.find_next()


# Emoji are one character but two UTF-16 units: the marks must still sit on their words.
EMOJI_BACKEND = ("\nbackend rockets\n    # 🚀 launch pad\n    server s🚀1 127.0.0.1:8001 weight 300\n"
                 "    http-request deny if { hdr(x) -m str 🚀 } badword\n")


@screen("text-editor-emoji")
def _text_editor_emoji(window: Any) -> None:
    """Errors after an emoji on their lines: underlined word, cursor on it, Ln/Col in characters."""
    from PySide6.QtWidgets import QApplication

    if "backend rockets" not in window.document.text:
        window.document.set_text(window.document.text + EMOJI_BACKEND)
    window.tabs.setCurrentWidget(window.text_view)
    window.text_view.find_bar.close_bar()
    QApplication.processEvents()
    lines = window.document.text.splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "weight 300" in t)
    window.text_view.go_to_line(line, lines[line - 1].index("300") + 1)


@screen("map-ten-backends")
def _map_ten_backends(window: Any) -> None:
    """A ten-backend config (opened last: it replaces the tutorial and stops its engine)."""
    window.host.stop_blocking()
    window.document.undo_stack.setClean()
    window.open_path(TEN_BACKENDS)
    window.map_view.fit()


@widget_screen("first-run")
def _first_run(_window: Any) -> Any:
    from gui.first_run import FirstRunDialog

    return FirstRunDialog()


@widget_screen("local-route")
def _local_route(_window: Any) -> Any:
    from gui.first_run import LocalRouteDialog

    return LocalRouteDialog()


@widget_screen("shortcuts")
def _shortcuts(window: Any) -> Any:
    from gui.shortcuts import ShortcutsDialog

    return ShortcutsDialog(window)


@widget_screen("file-menu")
def _file_menu(window: Any) -> Any:
    """The File menu, open: New, Open, Revert... with their letters and keys."""
    menu = window.menuBar().actions()[0].menu()
    menu.popup(window.mapToGlobal(window.menuBar().geometry().bottomLeft()))
    return menu


@widget_screen("running-prompt")
def _running_prompt(window: Any) -> Any:
    """The question Open asks while the proxy runs (gui.running_engine), as a user sees it."""
    from PySide6.QtWidgets import QMessageBox

    from gui.running_engine import BUTTON_TEXTS

    box = QMessageBox(QMessageBox.Icon.Question, "The proxy is running",
                      "Opening staging.cfg while the proxy serves tutorial.cfg.",
                      QMessageBox.StandardButton.Cancel, window)
    box.setInformativeText(
        "Stop it (its clients are disconnected), keep it serving tutorial.cfg until you press "
        "Apply, or apply staging.cfg to it now (refused if staging.cfg has errors: the proxy "
        "then keeps what it serves).")
    for text in BUTTON_TEXTS.values():
        box.addButton(text.format(served="tutorial.cfg", new="staging.cfg"), QMessageBox.ButtonRole.AcceptRole)
    return box


def offscreen_platform(scale: float = 1.0) -> str:
    """The offscreen platform on a 1280x800 screen (its default, 800x600, cramps dialogs
    sized to the screen, and at 2x leaves them 400x300): a laptop, as the shots assume."""
    config = Path(tempfile.gettempdir()) / f"proxydesk-screenshots-{scale:g}x.json"
    width, height = (round(side * scale) for side in SIZE)
    config.write_text(json.dumps({"screens": [{
        "name": "screenshots", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


def render(outdir: Path, suffix: str = "", only: set[str] | None = None) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", offscreen_platform(float(os.environ.get("QT_SCALE_FACTOR", "1"))))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.app import load_demo
    from gui.main_window import MainWindow
    from gui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app)
    outdir.mkdir(parents=True, exist_ok=True)
    settings = outdir / f".screenshots-ui{suffix}.ini"
    window = MainWindow(settings_path=settings)
    window.resize(*SIZE)
    window.show()
    load_demo(window)
    _send_requests(window)
    shots: list[Path] = []

    def settle() -> None:
        for _ in range(5):
            app.processEvents()

    def wanted(name: str) -> bool:
        return only is None or name in only

    for name, prepare in MAIN_SCREENS.items():
        if wanted(name):
            prepare(window)
            settle()
            shots.append(outdir / f"{name}{suffix}.png")
            window.grab().save(str(shots[-1]))
    for name, make in WIDGET_SCREENS.items():
        if wanted(name):
            widget = make(window)
            widget.show()
            widget.resize(widget.sizeHint())
            settle()
            shots.append(outdir / f"{name}{suffix}.png")
            widget.grab().save(str(shots[-1]))
            widget.close()
            widget.deleteLater()
    if wanted("certificates"):
        with tempfile.TemporaryDirectory() as certs_root:
            store = demo_certificate_store(Path(certs_root) / "proxydesk" / "certs")
            shots.append(_shoot_certificates(store, outdir / f"certificates{suffix}.png"))
    window.document.undo_stack.setClean()
    window.host.stop_blocking()  # else closing asks whether to stop the proxy, and waits
    window.close()
    window.host.shutdown()
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


def _in_child(outdir: Path, scheme: str, scale: str, only: str | None) -> int:
    """Render one variant in a child process: Qt reads the scale factor at start-up only
    (the child gets --suffix, never --scale or --all, so it cannot start another child)."""
    env = dict(os.environ, QT_QPA_PLATFORM=offscreen_platform(float(scale or 1)))
    env.pop("QT_SCALE_FACTOR", None)
    if scale:
        env["QT_SCALE_FACTOR"] = scale
    if scheme:
        env["PROXYDESK_COLOR_SCHEME"] = scheme  # gui.theme.SCHEME_ENV (no Qt import here)
    suffix = (f"-{scheme}" if scheme else "") + (f"@{scale}x" if scale else "")
    command = [sys.executable, "-m", "gui.screenshots", str(outdir), f"--suffix={suffix}"]  # "-dark" is no option
    return subprocess.call(command + (["--only", only] if only else []), env=env)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.screenshots",
                                     description="Render the main screens to PNG files.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--scale", type=int, help="device pixel ratio (2: the @2x set)")
    parser.add_argument("--dark", action="store_true", help="the dark palette (the *-dark set)")
    parser.add_argument("--all", action="store_true", help="light and dark, at 1x and 2x")
    parser.add_argument("--only", help="comma-separated screen names (default: every screen)")
    parser.add_argument("--suffix", default=None, help=argparse.SUPPRESS)  # set for a child
    args = parser.parse_args(argv)
    if args.suffix is None and (args.all or args.dark or args.scale is not None):
        variants = VARIANTS if args.all else (("dark" if args.dark else "", str(args.scale or "")),)
        codes = [_in_child(args.outdir, scheme, scale, args.only) for scheme, scale in variants]
        return max(codes)
    only = set(args.only.split(",")) if args.only else None
    unknown = (only or set()) - set(MAIN_SCREENS) - set(WIDGET_SCREENS) - {"certificates"}
    if unknown:
        parser.error(f"no screen named {', '.join(sorted(unknown))}; "
                     f"known: {', '.join([*MAIN_SCREENS, *WIDGET_SCREENS, 'certificates'])}")
    for path in render(args.outdir, args.suffix or "", only):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
