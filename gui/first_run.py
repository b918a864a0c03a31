"""The first-run screen: open a haproxy.cfg, start from the tutorial, or add a local route.

``FirstRunDialog`` only records the choice (``choice`` and, for a local route,
``route``); the app acts on it.  ``add_local_route`` is the wizard's effect on
the model: a frontend routing one host name to one local address, and its
backend, written as haproxy.cfg text and parsed so the model gets exactly what
a person would have typed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
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
from proxy.certs.store import CertStore
from proxy.config.model import Config, Section, Statement
from proxy.config.nodes import Bind
from proxy.config.parser import parse

__all__ = ["FirstRunDialog", "LocalRoute", "LocalRouteDialog", "add_local_route",
           "with_local_certificate"]

OPEN, TUTORIAL, LOCAL_ROUTE, EMPTY = "open", "tutorial", "local-route", "empty"
DEFAULT_HTTPS_PORT = 8443


@dataclass(frozen=True)
class LocalRoute:
    hostname: str = "app.localhost"
    target: str = "127.0.0.1:3000"
    listen_port: int = 8080
    https_port: int | None = None  # also serve https://hostname:https_port ...
    certificate: str | None = None  # ... with this PEM (leaf, chain and key)

    @property
    def backend_name(self) -> str:
        return "be_" + "".join(ch if ch.isalnum() else "_" for ch in self.hostname)

    @property
    def serves_https(self) -> bool:
        return self.https_port is not None and self.certificate is not None


def with_local_certificate(route: LocalRoute, store: CertStore) -> LocalRoute:
    """The route with a certificate of Proxydesk's local CA for its host name (reused
    when one is already issued, else issued now)."""
    entry = store.certificate_for(route.hostname)
    return replace(route, certificate=str(entry.pem_path))


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
        # the Host header without its port, in any case: one rule for http and https
        f"    acl {acl} req.hdr(host),field(1,:),lower -m str {route.hostname.lower()}\n"
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
    if route.serves_https:  # added as a node: the writer quotes the path (spaces on macOS)
        _serve_certificate(existing or frontend, route)
    if config.find("backend", backend.name) is None:
        config.sections.append(backend)


def _serve_certificate(frontend: Section, route: LocalRoute) -> None:
    """Add the route's certificate to the frontend's TLS bind (SNI picks among its
    ``crt``s), or add a TLS bind when the frontend has none yet."""
    assert route.certificate is not None
    binds = [s for s in frontend.body if isinstance(s.node, Bind)]
    tls = next((s.node for s in binds if isinstance(s.node, Bind) and s.node.ssl), None)
    if tls is not None:
        if route.certificate not in tls.certificates:
            tls.options.append(["crt", route.certificate])
        return
    bind = Bind([f"127.0.0.1:{route.https_port}"], [["ssl"], ["crt", route.certificate]])
    frontend.add(bind, after=binds[-1] if binds else None)


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
        self.https = QCheckBox("HTTPS on port:")
        self.https.setChecked(True)
        self.https.setToolTip("With a certificate for the host name from Proxydesk's local CA "
                              "(issued now, or reused if you have one)")
        self.https_port = QSpinBox()
        self.https_port.setRange(1, 65535)
        self.https_port.setValue(DEFAULT_HTTPS_PORT)
        self.https.toggled.connect(self.https_port.setEnabled)
        form = QFormLayout()
        form.addRow("Host name:", self.hostname)
        form.addRow("Forward to:", self.target)
        form.addRow("HTTP on port:", self.port)
        form.addRow(self.https, self.https_port)
        note = QLabel("Browsers trust the HTTPS certificate once Proxydesk's local CA is trusted: "
                      "<i>Tools → Certificates… → Trust in this system…</i>")
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
        https_port = self.https_port.value() if self.https.isChecked() else None
        return LocalRoute(self.hostname.text().strip(), self.target.text().strip(),
                          self.port.value(), https_port)


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
            (LOCAL_ROUTE, "Add a local route…", "Send https://app.localhost to an app on 127.0.0.1:3000", "add"),
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
