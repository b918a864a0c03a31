"""The first-run screen: open a haproxy.cfg, start from the tutorial, or add a local route.

``FirstRunDialog`` only records the choice (``choice`` and, for a local route,
``route``); the app acts on it with ``proxy.routes.add_local_route`` (re-exported
here), the same code as ``proxydesk route add``, on the same per-user file
(``gui.app.add_route_to_user_file``).
"""

from __future__ import annotations

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
from proxy.config import keywords as kw
from proxy.routes import DEFAULT_HTTPS_PORT, LocalRoute, add_local_route, with_local_certificate

__all__ = ["FirstRunDialog", "LocalRoute", "LocalRouteDialog", "add_local_route",
           "with_local_certificate"]

OPEN, TUTORIAL, LOCAL_ROUTE, EMPTY = "open", "tutorial", "local-route", "empty"


class LocalRouteDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a local route")
        self.hostname = QLineEdit(LocalRoute.hostname)
        self.hostname.setToolTip("The name you type in the browser; *.localhost resolves to this machine")
        self.target = QLineEdit(LocalRoute.target)
        self.target.setToolTip("Where your app listens: 3000, host:port, or https://host:port "
                               "for an app that speaks HTTPS itself")
        self.port = QSpinBox()
        self.port.setRange(*kw.PORT_RANGE)
        self.port.setValue(LocalRoute.listen_port)
        self.port.setToolTip("The port Proxydesk listens on (ports below 1024 need privileges)")
        self.https = QCheckBox("HTTPS on port:")
        self.https.setChecked(True)
        self.https.setToolTip("With a certificate for the host name from Proxydesk's local CA "
                              "(issued now, or reused if you have one)")
        self.https_port = QSpinBox()
        self.https_port.setRange(*kw.PORT_RANGE)
        self.https_port.setValue(DEFAULT_HTTPS_PORT)
        self.https.toggled.connect(self.https_port.setEnabled)
        form = QFormLayout()
        form.addRow("Host name:", self.hostname)
        form.addRow("Forward to:", self.target)
        form.addRow("HTTP on port:", self.port)
        form.addRow(self.https, self.https_port)
        note = QLabel("Browsers trust the HTTPS certificate once Proxydesk's local CA is trusted: "
                      "<i>Tools → Certificates… → Trust in this system…</i>. "
                      "<i>Tools → Local routes…</i> lists, edits and removes routes later.")
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
