"""The what-if tester: where would this request go?

Theory of operation
-------------------
The user types a request (method, host, path, source address, and the TLS
SNI for tcp frontends); ``what_if`` builds the engine's ``RequestContext``
and asks ``Engine(config).route(frontend, context)``: the engine compiles
the config and runs its real routing code (ACLs, tcp/http-request rules,
use_backend, default_backend, and the balancer's choice on a copy of its
state, so nothing is consumed).  No routing logic lives here: the tester
only formats the engine's ``RouteDecision``.

The engine gets a private copy of the document's config (re-parsed from its
text) so compiling never touches the model the forms edit.  An invalid
config cannot be compiled; the tester then shows the engine's reason.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.document import Document
from gui.editors.widgets import SPACING
from proxy.config import keywords as kw
from proxy.config.model import Config
from proxy.config.nodes import split_host_port
from proxy.config.parser import parse
from proxy.config.semantics import meaning_of
from proxy.config.writer import write
from proxy.engine import Engine, EngineError, RequestContext, RouteDecision

__all__ = ["WhatIfRequest", "WhatIfTester", "describe", "what_if"]

METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS")
DEFAULT_PORT = 80
CLIENT_PORT = 50000  # any ephemeral-looking port: no fetch the tester offers depends on it


@dataclass(frozen=True)
class WhatIfRequest:
    method: str = "GET"
    host: str = ""
    path: str = "/"
    source: str = "127.0.0.1"
    sni: str = ""


def _listen_address(config: Config, kind: str, frontend: str) -> tuple[str, int]:
    """Where the frontend listens (its first bind), for dst/dst_port fetches."""
    section = config.find(kind, frontend)
    for bind in section.binds if section else []:
        host, _sep, port = split_host_port(bind.addresses[0]) if bind.addresses else ("", "", "")
        try:
            address = str(ipaddress.ip_address(host or "127.0.0.1"))
        except ValueError:
            address = "127.0.0.1"
        return address, int(port) if port.isdigit() else DEFAULT_PORT
    return "127.0.0.1", DEFAULT_PORT


def request_context(config: Config, kind: str, frontend: str, request: WhatIfRequest) -> RequestContext:
    """The engine's context for a typed request (raises ValueError for a bad source address)."""
    dst, dst_port = _listen_address(config, kind, frontend)
    src = ipaddress.ip_address(request.source.strip())
    mode = _effective_mode(config, kind, frontend)
    sni = request.sni.strip() or None
    if mode != "http":
        return RequestContext(src, CLIENT_PORT, ipaddress.ip_address(dst), dst_port,
                              req_ssl_sni=sni, ssl_fc_sni=sni)
    headers = [(b"Host", request.host.strip().encode())] if request.host.strip() else []
    path = request.path.strip() or "/"
    return RequestContext.for_http(
        src=src, src_port=CLIENT_PORT, dst=ipaddress.ip_address(dst), dst_port=dst_port,
        method=request.method.strip().upper().encode(), target=path.encode(), headers=headers,
        ssl_fc_sni=sni)


def _effective_mode(config: Config, kind: str, frontend: str) -> str:
    """The mode the frontend runs in, as the checker and the engine see it."""
    section = config.find(kind, frontend)
    return meaning_of(config, section).mode.value if section else kw.builtin_default("mode")


def what_if(config: Config, kind: str, frontend: str, request: WhatIfRequest,
            base_dir: Path | None = None) -> RouteDecision:
    """Route ``request`` through ``frontend`` with the engine's own code (raises EngineError,
    KeyError for an unknown frontend, ValueError for a bad source address)."""
    private = parse(write(config), config.path).config
    context = request_context(private, kind, frontend, request)
    return Engine(private, base_dir=base_dir).route(frontend, context)


def describe(decision: RouteDecision) -> dict[str, str]:
    """The decision as the tester's labelled lines."""
    outcome = {
        "backend": f"sent to backend {decision.backend}",
        "deny": f"denied ({decision.status or 403})",
        "reject": "connection rejected",
        "redirect": f"redirected ({decision.status or 302}) to {decision.location or '?'}",
        "return": f"answered by the proxy ({decision.status or 200})",
        "auth": f"asks for a user and password ({decision.status or 401})",
        "none": "no backend: 503 Service Unavailable",
    }.get(decision.outcome, decision.outcome)
    return {
        "Outcome": outcome,
        "Decided by": decision.rule or "(nothing matched)",
        "Backend": decision.backend or "—",
        "Server": decision.server or ("—" if decision.backend is None else "none available"),
        "Matching ACLs": ", ".join(decision.matched_acls) or "none",
        "Rules that fired": "\n".join(decision.fired_rules) or "none",
    }


class WhatIfTester(QWidget):
    """Type a request, press Test, see which ACLs match and where the engine would send it."""

    routed = Signal(object)  # the RouteDecision of each test (the map lights up its path)

    def __init__(self, document: Document, frontend: str, kind: str = "frontend",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.frontend, self.kind = document, frontend, kind
        self.method = QComboBox()
        self.method.setEditable(True)
        self.method.addItems(METHODS)
        self.host = QLineEdit()
        self.host.setPlaceholderText("app.example.com (the Host header)")
        self.path = QLineEdit("/")
        self.path.setPlaceholderText("/path?query")
        self.source = QLineEdit("127.0.0.1")
        self.source.setToolTip("The client's address, as the src fetch sees it")
        self.sni = QLineEdit()
        self.sni.setPlaceholderText("server name sent in the TLS hello (tcp mode)")
        self.test_button = QPushButton("Test")
        self.test_button.setDefault(True)
        self.test_button.clicked.connect(self.run)
        for edit in (self.host, self.path, self.source, self.sni):
            edit.returnPressed.connect(self.run)
        request = QGroupBox("Request")
        form = QFormLayout(request)
        form.addRow("Method", self.method)
        form.addRow("Host", self.host)
        form.addRow("Path", self.path)
        form.addRow("Source address", self.source)
        form.addRow("TLS SNI", self.sni)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        form.addRow(buttons)
        result = QGroupBox("What the engine would do")
        self.result_form = QFormLayout(result)
        self.results: dict[str, QLabel] = {}
        for key in ("Outcome", "Decided by", "Backend", "Server", "Matching ACLs", "Rules that fired"):
            label = QLabel("—")
            label.setWordWrap(True)
            label.setMinimumWidth(200)
            self.results[key] = label
            self.result_form.addRow(key, label)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: palette(highlight);")
        layout = QVBoxLayout(self)
        layout.setSpacing(SPACING)
        layout.addWidget(QLabel("Uses the engine's own routing on the configuration as edited "
                                "(no need to Apply); the balancer's choice is previewed without "
                                "being consumed."))
        layout.addWidget(request)
        layout.addWidget(result)
        layout.addWidget(self.error)
        layout.addStretch(1)
        for child in self.findChildren(QLabel)[:1]:  # the layout's widget: the intro line
            child.setWordWrap(True)
        self.decision: RouteDecision | None = None

    def request(self) -> WhatIfRequest:
        return WhatIfRequest(self.method.currentText(), self.host.text(), self.path.text(),
                             self.source.text(), self.sni.text())

    def run(self) -> RouteDecision | None:
        try:
            decision = what_if(self.document.config, self.kind, self.frontend, self.request(),
                               self.document.base_dir)
        except EngineError as exc:
            self._fail(f"The configuration cannot run yet: {exc.message}")
            return None
        except (KeyError, ValueError) as exc:
            self._fail(str(exc).strip("'\""))
            return None
        self.decision = decision
        self.error.clear()
        for key, text in describe(decision).items():
            self.results[key].setText(text)
        self.routed.emit(decision)
        return decision

    def _fail(self, message: str) -> None:
        self.decision = None
        self.error.setText(message)
        for label in self.results.values():
            label.setText("—")
        return None
