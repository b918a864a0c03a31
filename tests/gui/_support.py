"""Helpers shared by the GUI tests: real HTTP servers on 127.0.0.1, configs pointing at
them, a blocking HTTP client."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

W = TypeVar("W")


class NamedHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with its server's name, so a test sees which server was reached."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = self.server.name.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def named_http_servers(*names: str) -> Iterator[dict[str, int]]:
    """Real HTTP servers on 127.0.0.1, each answering its own name; yields name -> port.

    Threaded (not asyncio) because the GUI tests' event loop belongs to Qt.
    """
    servers, threads = [], []
    for name in names:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NamedHandler)
        server.daemon_threads = True
        server.name = name  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        servers.append(server)
        threads.append(thread)
    try:
        yield {s.name: s.server_address[1] for s in servers}  # type: ignore[attr-defined]
    finally:
        for server, thread in zip(servers, threads, strict=True):
            server.shutdown()
            server.server_close()
            thread.join(5)


def proxy_config_text(backend_port: int, *, extra_frontend: str = "") -> str:
    return (
        "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n"
        "    timeout server 5s\n\n"
        f"frontend web\n    bind 127.0.0.1:0\n{extra_frontend}    default_backend app\n\n"
        f"backend app\n    server s1 127.0.0.1:{backend_port}\n"
    )


def http_get(port: int, path: str = "/", timeout: float = 5.0) -> tuple[int, str]:
    """One real HTTP request to 127.0.0.1:port; returns (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def on_next_modal(kind: type[W], act: Callable[[W], None], tries: int = 100) -> None:
    """Run ``act`` on the next modal dialog of ``kind`` once it is up.

    A modal ``exec()`` blocks the test until the dialog closes, so the test schedules
    this just before opening it; it polls every 20 ms, ``tries`` times at most."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    left = [tries]

    def attempt() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind):
            act(dialog)
            return
        left[0] -= 1
        if left[0] > 0:
            QTimer.singleShot(20, attempt)

    QTimer.singleShot(0, attempt)


def close_window(main: Any) -> None:
    """A test's teardown: no unsaved-changes prompt, no running proxy to ask about, closed."""
    main.document.undo_stack.setClean()
    if main.host.running:
        main.host.stop_blocking()
    main.close()


def fresh_stats(host: Any, timeout: float = 5.0) -> None:
    """Wait until the host's poller has a snapshot that arrived after this call: what the
    window's next poll tick reads (``host.latest_stats()`` never blocks)."""
    import time

    since = time.monotonic()
    deadline = since + timeout
    while time.monotonic() < deadline:
        latest = host.latest_stats()
        if latest is not None and latest[1] > since:
            return
        time.sleep(0.02)
    raise AssertionError(f"no stats snapshot from the engine within {timeout} s")
