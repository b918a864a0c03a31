"""The global editor: process-wide settings (connection limit, logs, runtime socket, TLS defaults).

Theory of operation
-------------------
``global`` is not a proxy, so it has no defaults chain: a value is either
set on a line of this section or HAProxy's own (``semantics.global_setting``
reads both, with the line's ``Source``).  What each setting affects is read
from the semantic description too: the proxies whose logs go to the global
targets (``log global``), the TLS binds that take the ``ssl-default-bind-*``
values because they do not set their own (``semantics.tls_binds_taking``).
Fields are bindings (``widgets.py``), one line each, changed in place
(``edit.set_keyword``); everything else in ``global`` stays editable on the
"All statements" tab.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QLineEdit, QTabWidget, QVBoxLayout, QWidget

from gui.document import Document
from gui.editors.generic import GenericSectionEditor
from gui.editors.settings import LogTargets, SettingsCache, SettingsGrid, source_text, usage_text
from gui.editors.widgets import SectionEditor, keyword_tip, split_words
from proxy.config.edit import set_keyword
from proxy.config.model import Config, Section
from proxy.config.semantics import global_setting, tls_binds_taking

__all__ = ["TLS_DEFAULTS", "GlobalEditor"]

TLS_DEFAULTS = ("ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites", "ssl-default-bind-options")
_TLS_PLACEHOLDERS = {
    "ssl-default-bind-ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:…",
    "ssl-default-bind-ciphersuites": "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:…",
    "ssl-default-bind-options": "ssl-min-ver TLSv1.2 no-tls-tickets",
}


def _words(keyword: str) -> Callable[[Section], str]:
    def read(section: Section) -> str:
        found = [s.words for s in section.statements() if s.words[: len(keyword.split())] == keyword.split()]
        return " ".join(found[-1][len(keyword.split()):]) if found else ""

    return read


def _writer(keyword: str) -> Callable[[Section, str], None]:
    return lambda section, value: set_keyword(section, keyword, split_words(value))


def _maxconn_problem(text: str) -> str | None:
    text = text.strip()
    if text and (not text.isdigit() or int(text) < 1):
        return f"'{text}' is not a connection count: maxconn takes a whole number above 0"
    return None


def _socket_problem(text: str) -> str | None:
    words = split_words(text)
    if words and words[0].startswith(("level", "mode")):
        return "start with the socket's path or address, then its options (e.g. /run/haproxy.sock level admin)"
    return None


class GlobalEditor(SectionEditor):
    def __init__(self, document: Document, name: str | None = None) -> None:
        super().__init__(document, "global", None)
        self.setMinimumSize(640, 420)
        self.cache = SettingsCache(self)
        self.fields: dict[str, QLineEdit] = {}
        self.tabs = QTabWidget()
        self.tabs.addTab(self._settings_page(), "Settings")
        self.tabs.addTab(GenericSectionEditor(document, "global", None), "All statements")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h3>global</h3><small>Process-wide settings: they apply to every "
                                "frontend and backend.</small>"))
        layout.addWidget(self.problem)
        layout.addWidget(self.tabs, 1)

    def _settings_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        process = SettingsGrid("Process", self, self.cache)
        self._field(process, "Max connections", "maxconn", "not set: HAProxy derives it from the file limit",
                    _maxconn_problem, self._maxconn_info)
        self.log_targets = LogTargets(self, "127.0.0.1:514 local0")
        process.add_row("Logs", self.log_targets, keyword="log", info=self._log_info)
        self._field(process, "Stats socket", "stats socket", "/run/haproxy.sock mode 660 level admin",
                    _socket_problem, self._socket_info)
        column.addWidget(process)
        tls = SettingsGrid("TLS defaults for bind lines", self, self.cache)
        for keyword in TLS_DEFAULTS:
            label = keyword.removeprefix("ssl-default-bind-").capitalize()
            self._field(tls, label, keyword, _TLS_PLACEHOLDERS[keyword], None, self._tls_info_for(keyword))
        column.addWidget(tls)
        column.addStretch(1)
        return page

    def _field(self, grid: SettingsGrid, label: str, keyword: str, placeholder: str,
               check: Callable[[str], str | None] | None,
               info: Callable[[Config, Section], str]) -> QLineEdit:
        field = QLineEdit()
        field.setPlaceholderText(placeholder)
        field.setToolTip(keyword_tip(keyword))
        self.bind(field, keyword, _words(keyword), _writer(keyword), check=check)
        grid.add_row(label, field, keyword=keyword, info=info)
        self.fields[keyword] = field
        return field

    # -- what each setting is and affects ------------------------------------------------------
    def _where(self, config: Config, section: Section, keyword: str) -> str:
        return source_text(global_setting(config, keyword), section)

    def _maxconn_info(self, config: Config, section: Section) -> str:
        frontends = self.cache.semantics().frontends
        return f"{self._where(config, section, 'maxconn')} · the limit {usage_text(frontends).removeprefix('used by ')} share"

    def _log_info(self, config: Config, section: Section) -> str:
        senders = [m for m in self.cache.semantics().proxies if m.section.kind != "defaults"
                   and any(s.words == ["log", "global"] for s in m.every("log"))]
        where = self._where(config, section, "log")
        return f"{where} · {usage_text(senders)} (log global)"

    def _socket_info(self, config: Config, section: Section) -> str:
        where = self._where(config, section, "stats socket")
        return f"{where} · the runtime API (show stat, disable server, …)" if where != "not set" else \
            "not set: no runtime API socket"

    def _tls_info_for(self, keyword: str) -> Callable[[Config, Section], str]:
        return lambda _config, section: self._tls_info(section, keyword)

    def _tls_info(self, section: Section, keyword: str) -> str:
        binds = tls_binds_taking(self.cache.semantics(), keyword)
        where = self._where(self.document.config, section, keyword)
        count = len(binds)
        return f"{where} · applies to {count} TLS bind{'s' if count != 1 else ''}" + (
            " that set no value of their own" if count else "")
