"""The first-run screen: open a haproxy.cfg, start from the tutorial, or add a local route.

``FirstRunDialog`` only records the choice (``choice`` and, for a local route,
``route``); the app acts on it.  ``add_local_route`` is the wizard's effect on
the model: a frontend routing one host name to one local address, and its
backend, written as haproxy.cfg text and parsed so the model gets exactly what
a person would have typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.theme import icon
from proxy.config.model import Config, Statement
from proxy.config.parser import parse

__all__ = ["FirstRunDialog", "LocalRoute", "LocalRouteDialog", "add_local_route"]

OPEN, TUTORIAL, LOCAL_ROUTE, EMPTY = "open", "tutorial", "local-route", "empty"


@dataclass(frozen=True)
class LocalRoute:
    hostname: str = "app.localhost"
    target: str = "127.0.0.1:3000"
    listen_port: int = 8080

    @property
    def backend_name(self) -> str:
        return "be_" + "".join(ch if ch.isalnum() else "_" for ch in self.hostname)


def _route_text(route: LocalRoute, with_frontend: bool) -> str:
    acl = "host_" + route.backend_name[3:]
    frontend = (
        "frontend local_routes\n"
        f"    bind 127.0.0.1:{route.listen_port}\n"
        "    mode http\n"
        "    timeout client 30s\n"
        if with_frontend else "frontend local_routes\n"
    )
    return (
        f"{frontend}"
        f"    acl {acl} hdr(host) -i {route.hostname} {route.hostname}:{route.listen_port}\n"
        f"    use_backend {route.backend_name} if {acl}\n"
        "\n"
        f"backend {route.backend_name}\n"
        "    mode http\n"
        "    timeout connect 5s\n"
        "    timeout server 30s\n"
        f"    server app {route.target}\n"
    )


def add_local_route(config: Config, route: LocalRoute) -> None:
    """Route ``route.hostname`` to ``route.target``: a ``local_routes`` frontend (created
    on first use, extended afterwards) and one backend per host name."""
    existing = config.find("frontend", "local_routes")
    parsed = parse(_route_text(route, existing is None)).config
    frontend, backend = parsed.sections
    for stmt in frontend.body + backend.body:
        stmt.origin = None  # new lines: written with the file's own indentation and line ends
    frontend.header.origin = backend.header.origin = None
    if existing is None:
        if config.sections and config.sections[-1].body and config.sections[-1].body[-1].words:
            config.sections[-1].body.append(Statement())
        config.sections.append(frontend)
        frontend.body.append(Statement())
    else:
        for stmt in frontend.body:
            if stmt.words:
                existing.add(stmt.node)
    if config.find("backend", backend.name) is None:
        config.sections.append(backend)


class LocalRouteDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a local route")
        self.hostname = QLineEdit(LocalRoute.hostname)
        self.hostname.setToolTip("The name you type in the browser; *.localhost resolves to this machine")
        self.target = QLineEdit(LocalRoute.target)
        self.target.setToolTip("Where your app listens (address:port)")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(LocalRoute.listen_port)
        self.port.setToolTip("The port Proxydesk listens on (ports below 1024 need privileges)")
        form = QFormLayout()
        form.addRow("Host name:", self.hostname)
        form.addRow("Forward to:", self.target)
        form.addRow("Listen on port:", self.port)
        note = QLabel("HTTPS needs a certificate: add <i>ssl crt</i> to the bind in the frontend "
                      "editor once you have one.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    @property
    def route(self) -> LocalRoute:
        return LocalRoute(self.hostname.text().strip(), self.target.text().strip(), self.port.value())


class FirstRunDialog(QDialog):
    """Three big choices; ``choice`` is OPEN, TUTORIAL, LOCAL_ROUTE or EMPTY."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Proxydesk")
        self.setWindowIcon(icon("app"))
        self.choice = EMPTY
        self.route: LocalRoute | None = None
        title = QLabel("<h2>Welcome to Proxydesk</h2>"
                       "<p>Build a load balancer visually, or open the haproxy.cfg you already have.</p>")
        title.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(title)
        self.buttons: dict[str, QPushButton] = {}
        for choice, label, tip, icon_name in (
            (OPEN, "Open a haproxy.cfg…", "Import an existing configuration; nothing is changed until you save", "frontend"),
            (TUTORIAL, "Start from the tutorial", "HAProxy's four-server example, with four demo servers running", "start"),
            (LOCAL_ROUTE, "Add a local route…", "Send http://app.localhost to an app on 127.0.0.1:3000", "add"),
            (EMPTY, "Start with an empty configuration", "Add frontends and backends yourself", "section"),
        ):
            button = QPushButton(icon(icon_name), label)
            button.setToolTip(tip)
            button.setMinimumHeight(44)
            button.setStyleSheet("text-align: left; padding-left: 12px;")
            button.clicked.connect(lambda _c=False, c=choice: self._choose(c))
            layout.addWidget(button)
            self.buttons[choice] = button
        layout.addStretch(1)
        self.setMinimumWidth(480)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)

    def _choose(self, choice: str) -> None:
        if choice == LOCAL_ROUTE:
            wizard = LocalRouteDialog(self)
            if wizard.exec() != QDialog.DialogCode.Accepted:
                return
            self.route = wizard.route
        self.choice = choice
        self.accept()
