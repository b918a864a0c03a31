"""The demo opening while its ports (8080, 8404, 9999) are taken: the document keeps the
tutorial's ports, the engine runs on a private copy with free substitutes, the status bar
names them, the Problems panel is empty, and a real request to the substitute is served."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

from gui.app import load_demo
from gui.main_window import MainWindow
from proxy.app import demo
from tests.gui._support import http_get

DEMO_PORTS = (demo.DEFAULT_LISTEN_PORT, demo.DEFAULT_STATS_PORT, demo.DEFAULT_SOCKET_PORT)


@contextlib.contextmanager
def ports_taken(ports: tuple[int, ...]) -> Iterator[set[int]]:
    """Real listening sockets on ``ports``; yields those this test holds (another program
    may hold one already, and let it go at any time: only the held ones are sure)."""
    with contextlib.ExitStack() as stack:
        held = set()
        for port in ports:
            holder = stack.enter_context(socket.socket())
            with contextlib.suppress(OSError):
                holder.bind(("127.0.0.1", port))
                holder.listen()
                held.add(port)
        yield held



def test_taken_demo_ports_open_with_zero_problems_and_the_substitutes_named(
    window: MainWindow, qtbot: Any
) -> None:
    with ports_taken(DEMO_PORTS) as held:
        assert load_demo(window)
        listening = {frontend: port for frontend, _host, port in window.host.listening}
        substitutes = window.host.port_substitutes
        assert substitutes and held <= set(substitutes) <= set(DEMO_PORTS)  # each held one moved
        assert listening["main"] == substitutes.get(8080, 8080)
        assert listening["stats"] == substitutes.get(8404, 8404)
        # The document is the user's: it keeps the tutorial's ports, and has no problem.
        text = window.document.text
        assert "bind 127.0.0.1:8080" in text and "bind 127.0.0.1:8404" in text
        assert "stats socket ipv4@127.0.0.1:9999" in text
        assert window.diagnostics_model.rowCount() == 0 and window.document.diagnostics == []
        assert window.diagnostics_title.text().strip() == "Problems: none"
        # The status bar names each taken port and the one used instead.
        line = window.engine_label.toolTip()  # the whole line; the label elides what does not fit
        for port, substitute in substitutes.items():
            assert f"{port} → {substitute}" in line
        assert f"main on 127.0.0.1:{listening['main']}" in window.engine_label.text()
        status, body = http_get(listening["main"], "/lightwork")
        assert status == 200 and "light work" in body
        # An Apply keeps listening on the substitutes: the taken ports are still taken.
        window.host.apply_blocking(window.document.config)
        assert dict((f, p) for f, _h, p in window.host.listening)["main"] == listening["main"]
