"""The application entry point: ``main(argv)``.

``proxydesk`` (or ``python -m gui.app``) opens the window, with the file given
on the command line or, on first run, the first-run screen; ``--demo`` starts
the tutorial's four demo servers and the engine on the tutorial config.

The GUI thread runs a qasync event loop so engine calls can be awaited; the
engine itself runs in a child process (``EngineHost``).  The engine is shut down
in the window's ``closeEvent``, before the Qt loop ends (qasync cannot await
anything after ``aboutToQuit``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from gui.engine_host import EngineError
from gui.first_run import (
    LOCAL_ROUTE,
    OPEN,
    TUTORIAL,
    FirstRunDialog,
    LocalRoute,
    add_local_route,
    with_local_certificate,
)
from gui.main_window import MainWindow
from gui.theme import apply_theme
from proxy.app.demo import listen_port
from proxy.certs.errors import CertError
from proxy.certs.store import CertStore
from proxy.config.writer import write
from proxy.routes import (
    NEW_FILE_TEXT,
    RouteError,
    default_routes_path,
    normalize_route_name,
    parse_target,
)

__all__ = ["add_route_to_user_file", "demo_urls", "load_demo", "main"]


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="proxydesk", description="Proxydesk desktop app")
    parser.add_argument("file", nargs="?", help="a haproxy.cfg to open")
    parser.add_argument("--demo", action="store_true", help="open HAProxy's tutorial with demo servers")
    parser.add_argument("--first-run", action="store_true", help="show the first-run screen")
    parser.add_argument("--port", type=listen_port, default=None,
                        help="with --demo: the tutorial frontend's port (default 8080, else a free one)")
    return parser.parse_args(list(argv))


DEMO_PATHS = ("/", "/lightwork", "/heavywork", "/admin")


def load_demo(window: MainWindow, listen_port: int | None = None) -> bool:
    """Start the four demo servers, load the tutorial pointed at them, start the engine,
    and show the first traffic: the Requests tab, fed by one round of the tutorial's URLs.

    The document names the tutorial's ports (or ``listen_port``); where one is taken the
    engine listens on a free one instead (``EngineHost.port_substitutes``), the status bar
    says which, and the document, which is the user's, keeps what it says."""
    from proxy.app import demo

    window.run_on.choose_embedded()
    ports = window.host.start_demo_servers_blocking()
    wanted = (demo.DEFAULT_LISTEN_PORT if listen_port is None else listen_port,
              demo.DEFAULT_STATS_PORT, demo.DEFAULT_SOCKET_PORT)
    problem: EngineError | None = None
    for _attempt in range(2):  # a port taken between the probe and the bind: pick again
        found = demo.demo_ports(wanted[0])
        named = [w or f for w, f in zip(wanted, found, strict=True)]  # --port 0: the one picked
        config = demo.tutorial_config(ports, named[0], stats_port=named[1], socket_port=named[2])
        window.document.load_text(write(config), "tutorial.cfg")
        window.host.port_substitutes = {n: f for n, f in zip(named, found, strict=True) if n != f}
        try:
            window.host.start_blocking(window.document.config, window.document.base_dir)
        except EngineError as exc:
            problem = exc
            continue
        _show_demo_traffic(window)  # the status bar's engine line names any substitutes
        return True
    if problem is not None:
        window.statusBar().showMessage(f"The demo could not start: {problem.message}")
    return False


def demo_urls(listening: list[tuple[str, str, int]]) -> list[str]:
    """The tutorial's URLs on the port the engine really listens on."""
    port = next((p for frontend, _host, p in listening if frontend == "main"), None)
    return [] if port is None else [f"http://127.0.0.1:{port}{path}" for path in DEMO_PATHS]


def _show_demo_traffic(window: MainWindow) -> None:
    window.select_section(("frontend", "main"))
    urls = demo_urls(window.host.listening)
    base = urls[0].rstrip("/") if urls else ""
    window.log_view.offer_samples(urls, f"The tutorial is running on {base}. Try")
    window.tabs.setCurrentWidget(window.log_view)
    window.log_view.send_samples()  # rows appear at the next poll of the engine's log


def with_certificate_or_warning(parent: QWidget, route: LocalRoute) -> LocalRoute:
    """The route with its HTTPS certificate; plain HTTP (and a word why) if none can be made."""
    if route.https_port is None:
        return route
    try:
        return with_local_certificate(route, CertStore())
    except (CertError, OSError) as exc:
        QMessageBox.warning(parent, "HTTPS not set up",
                            f"No certificate for {route.hostname}: {exc}\n"
                            "The route serves plain HTTP; add one later from Tools → Certificates.")
        return replace(route, https_port=None)


def _first_run(window: MainWindow) -> None:
    dialog = FirstRunDialog(window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    if dialog.choice == OPEN:
        window.file_open()
    elif dialog.choice == TUTORIAL:
        load_demo(window)
    elif dialog.choice == LOCAL_ROUTE and dialog.route is not None:
        add_route_to_user_file(window, dialog.route)
    window.settings.setValue("first_run_done", True)


def add_route_to_user_file(window: MainWindow, route: LocalRoute) -> bool:
    """Add ``route`` to the per-user routes file, the one ``proxydesk route`` uses
    (``default_routes_path()``), open it in the window and save it.  A name or target
    that cannot be routed is refused with the accepted forms, and nothing changes."""
    try:
        hostname = normalize_route_name(route.hostname)
        target, target_tls = parse_target(route.target)
    except RouteError as exc:
        QMessageBox.warning(window, "Cannot add the route", str(exc))
        return False
    route = with_certificate_or_warning(
        window, replace(route, hostname=hostname, target=target, target_tls=target_tls))
    path = default_routes_path()
    if path.exists():
        if not window.open_path(path):
            return False
    else:
        window.document.load_text(NEW_FILE_TEXT, path.name)
    window.document.edit("Add local route", lambda config: add_local_route(config, route))

    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        window.document.save_as(path)

    return window._guarded_save(save)  # the window's own save, with its message on failure


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Proxydesk")
    app.setOrganizationName("Proxydesk")
    # Wayland matches the window to its menu entry and icon by this name (packaging/specbase.py APP_ID)
    app.setDesktopFileName("io.github.proxydesk.Proxydesk")
    apply_theme(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow()
    window.show()
    if args.demo:
        load_demo(window, args.port)
    elif args.file:
        window.open_path(Path(args.file))
    elif args.first_run or not window.settings.value("first_run_done", False, type=bool):
        _first_run(window)
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
