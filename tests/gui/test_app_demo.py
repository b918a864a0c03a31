"""``proxydesk demo`` end to end: the app opens on the running tutorial with traffic in its
Requests tab, and closing the window stops the engine and the demo servers cleanly.

It runs ``gui.app.main(["--demo"])`` in a child process (main owns its QApplication
and qasync loop), offscreen, with a timer that looks at the window once requests
show and then closes it like a user would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from gui.app import demo_urls

ROOT = Path(__file__).resolve().parents[2]

_DRIVER = r"""
import json, os, socket, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication([sys.argv[0]])
import gui.app
from gui.main_window import MainWindow

seen = {}
started = time.monotonic()


def look_then_close():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    rows = windows[0].log_view.model.rowCount() if windows else 0
    if rows < 6 and time.monotonic() - started < 20:
        QTimer.singleShot(50, look_then_close)
        return
    window = windows[0]
    model = window.log_view.model
    seen.update(
        seconds_to_traffic=time.monotonic() - started,
        state=window.host.state,
        listening=window.host.listening,
        title=window.windowHandle().title(),
        requests_tab_shown=window.tabs.currentWidget() is window.log_view,
        selected=list(window.current_key or []),
        statuses=sorted({model.item(r, 4).text() for r in range(model.rowCount())}),
        server_ports=[int(s.port) for b in window.document.config.backends for s in b.servers],
        errors=[str(d) for d in window.document.errors],
        document_ports=sorted(int(a.rsplit(":", 1)[1]) for f in window.document.config.frontends
                              for b in f.binds for a in b.addresses),
        engine_label=window.engine_label.toolTip(),  # the whole line (the label may elide it)
        stats_socket=any(w[1:2] == ["socket"] for w in window.document.config.global_section.generic("stats")),
    )

    def answer_quit_prompt():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(20, answer_quit_prompt)
            return
        seen["quit_prompt"] = box.text()
        next(b for b in box.buttons() if b.text() == "Stop and quit").click()

    QTimer.singleShot(0, answer_quit_prompt)
    window.close()


QTimer.singleShot(0, look_then_close)
seen["exit"] = gui.app.main(json.loads(os.environ.get("DEMO_ARGV", '["--demo"]')))
refused = []
for port in [p for _f, _h, p in seen["listening"]] + seen["server_ports"]:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
    except ConnectionRefusedError:
        refused.append(port)
seen["refused"] = refused
print(json.dumps(seen))
"""


def _run_demo(tmp_path: Path, argv: list[str]) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path),
               DEMO_ARGV=json.dumps(argv))
    result = subprocess.run([sys.executable, "-c", _DRIVER], capture_output=True, text=True,
                            timeout=90, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    seen: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


def test_demo_shows_traffic_and_closing_stops_everything(tmp_path: Path) -> None:
    seen = _run_demo(tmp_path, ["--demo"])
    assert seen["exit"] == 0
    assert seen["state"] == "running" and seen["seconds_to_traffic"] < 15
    assert seen["title"] == "tutorial.cfg — Proxydesk"
    assert seen["requests_tab_shown"] and seen["selected"] == ["frontend", "main"]
    assert seen["statuses"] == ["200", "403"]  # the tutorial's routing: /admin is denied
    ports = [p for _f, _h, p in seen["listening"]] + seen["server_ports"]
    assert len(seen["server_ports"]) >= 4
    assert "stops the proxy" in seen["quit_prompt"]  # Quit says so before it happens
    assert sorted(seen["refused"]) == sorted(ports)  # engine and demo servers are gone


def test_a_taken_port_keeps_its_place_in_the_document_and_the_engine_moves(tmp_path: Path) -> None:
    # issue #11: the fallback wrote "bind 127.0.0.1:0" (two errors in Problems while the
    # engine ran) and dropped the stats socket; and 'demo --port' was not passed on.
    # Now the document says what the user asked for; only the engine's copy moves.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        seen = _run_demo(tmp_path, ["--demo", "--port", str(busy)])
    assert seen["errors"] == [] and seen["state"] == "running"
    assert busy in seen["document_ports"]
    main_port = next(p for f, _h, p in seen["listening"] if f == "main")
    assert main_port != busy and f"{busy} → {main_port}" in seen["engine_label"]
    assert seen["stats_socket"]


def test_demo_port_is_the_one_asked_for_when_free(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    seen = _run_demo(tmp_path, ["--demo", "--port", str(free)])
    assert free in seen["document_ports"] and seen["errors"] == []


def test_demo_urls_use_the_port_the_engine_listens_on() -> None:
    urls = demo_urls([("stats", "127.0.0.1", 8404), ("main", "127.0.0.1", 18080)])
    assert urls[:4] == [f"http://127.0.0.1:18080{p}" for p in ("/", "/lightwork", "/heavywork", "/admin")]
    assert demo_urls([("stats", "127.0.0.1", 8404)]) == []
