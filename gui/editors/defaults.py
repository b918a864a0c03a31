"""The defaults editor: what every later frontend, backend and listen inherits.

Theory of operation
-------------------
A ``defaults`` section decides the mode, timeouts and options of every proxy
that reads it, so each field here says, next to it, where its value comes
from ("set here, line 5", "from defaults base line 3", "HAProxy's default")
and who really gets it ("used by 3 backends"): ``settings.SettingsGrid``
rows over the semantic layer (``semantics.takers``), never HAProxy's rules
recomputed here.  The header line lists every section that inherits from
this one (``semantics.inheritors``), ``from`` chains included.

Tabs: General (mode, ``from``, retries, log targets, the common options),
Timeouts (both sides), Servers (balance, ``default-server``, health checks)
and All statements (the generic statement table, for everything else).
Every field is a binding (``widgets.py``): one undo step per field, and the
lines it does not own are never rewritten.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.document import Document
from gui.editors.backend import BACKEND_TIMEOUTS, balance_group, default_server_group, health_group
from gui.editors.frontend import FRONTEND_TIMEOUTS, INHERITED, mode_combo
from gui.editors.generic import GenericSectionEditor
from gui.editors.inherit import timeout_hint
from gui.editors.settings import LogTargets, SettingsCache, SettingsGrid, usage_text
from gui.editors.widgets import SectionEditor, TimeEdit, combo, keyword_tip, set_item_text
from proxy.config import keywords as kw
from proxy.config.edit import set_from_defaults, set_keyword, set_option_state, set_timeout
from proxy.config.model import Config, Section
from proxy.config.semantics import inheritors

__all__ = ["COMMON_OPTIONS", "DefaultsEditor", "option_state"]

# The options people set in defaults (HAProxy's sample configs and the manual's §4
# examples); the rest of the registry's options stay in the text and the statement table.
COMMON_OPTIONS = ("httplog", "tcplog", "dontlognull", "forwardfor", "http-server-close",
                  "http-keep-alive", "httpclose", "redispatch", "abortonclose", "log-health-checks")
ON, OFF = "on", "off"


def option_state(section: Section, name: str) -> str:
    option = section.options().get(name)
    if option is None:
        return INHERITED
    return ON if option.enabled else OFF


def _retries(section: Section) -> str:
    found = [s.words for s in section.statements("retries")]
    return found[-1][1] if found and len(found[-1]) > 1 else ""


def _retries_problem(text: str) -> str | None:
    text = text.strip()
    if text and not text.isdigit():
        return f"'{text}' is not a number: retries takes a whole number (0 or more)"
    return None


def _earlier_defaults(config: Config, section: Section) -> list[str]:
    """The named defaults sections declared before ``section``: what its ``from`` may name."""
    names: list[str] = []
    for other in config.sections:
        if other is section:
            break
        if other.kind == "defaults" and other.name:
            names.append(other.name)
    return names


class DefaultsEditor(SectionEditor):
    def __init__(self, document: Document, name: str | None) -> None:
        super().__init__(document, "defaults", name)
        self.setMinimumSize(640, 420)
        self.cache = SettingsCache(self)
        self.option_boxes: dict[str, QComboBox] = {}
        self.users = QLabel()
        self.users.setWordWrap(True)
        self.add_hint(self._show_users)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._general_page(), "General")
        self.tabs.addTab(self._timeouts_page(), "Timeouts")
        self.tabs.addTab(self._servers_page(), "Servers")
        self.tabs.addTab(GenericSectionEditor(document, "defaults", name), "All statements")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<h3>defaults {name or ''}</h3>"))
        layout.addWidget(self.users)
        layout.addWidget(self.problem)
        layout.addWidget(self.tabs, 1)

    def _show_users(self, _config: Config, section: Section) -> None:
        found = inheritors(self.cache.semantics(), section)
        if not found:
            self.users.setText("<small>No section inherits from it yet: add a frontend or backend "
                               "after it, or name it in another section's <code>from</code>.</small>")
            return
        names = ", ".join(f"{m.section.kind} {m.name}".strip() for m in found)
        self.users.setText(f"<small>Inherited by {names} ({usage_text(found).removeprefix('used by ')}).</small>")

    # -- General ------------------------------------------------------------------------------
    def _general_page(self) -> QWidget:
        page = QWidget()
        columns = QHBoxLayout(page)
        left = QVBoxLayout()
        traffic = SettingsGrid("Traffic", self, self.cache)
        self.mode_box = mode_combo(self)
        traffic.add_row("Mode", self.mode_box, keyword="mode", read=lambda m: m.mode)
        traffic.add_row("Inherits from", self._from_box(), keyword="defaults",
                        info=self._from_info)
        self.retries = QLineEdit()
        self.retries.setToolTip(keyword_tip("retries"))
        self.retries.setPlaceholderText(f"{kw.builtin_default('retries')} ({kw.BUILTIN_SOURCE})")
        self.bind(self.retries, "retries", _retries,
                  lambda s, v: set_keyword(s, "retries", [v.strip()] if v.strip() else []),
                  check=_retries_problem)
        traffic.add_row("Retries", self.retries, keyword="retries", read=lambda m: m.setting("retries"))
        self.log_targets = LogTargets(self, "global")
        traffic.add_row("Logs", self.log_targets, keyword="log", read=lambda m: m.last("log"))
        left.addWidget(traffic)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self._options_group())
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        return page

    def _from_box(self) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.setToolTip("The named defaults section this one starts from (defaults NAME from PARENT); "
                       "empty: HAProxy's own values")
        box.setEnabled(self.name is not None)
        if self.name is None:
            box.setToolTip("Only a named defaults section can inherit from another one: rename it first")
        self.from_box = box

        def names(config: Config, section: Section) -> None:
            wanted = ["", *_earlier_defaults(config, section)]
            if [box.itemText(i) for i in range(box.count())] != wanted:
                box.blockSignals(True)
                text = box.currentText()
                box.clear()
                box.addItems(wanted)
                box.setCurrentText(text)
                box.blockSignals(False)

        self.add_hint(names)

        def problem(text: str) -> str | None:
            section = self.section()
            if not text.strip() or section is None:
                return None
            if text.strip() not in _earlier_defaults(self.document.config, section):
                return f"there is no named defaults section '{text.strip()}' before this one"
            return None

        self.bind(box, "from", lambda s: s.from_defaults or "",
                  lambda s, v: set_from_defaults(s, v.strip()), check=problem)
        line = box.lineEdit()
        if line is not None:
            line.setPlaceholderText("none: starts from HAProxy's values")
        return box

    def _from_info(self, config: Config, section: Section) -> str:
        chain = self.cache.meaning(section).chain
        if not chain:
            return "starts from HAProxy's values"
        return "reads " + " then ".join(f"defaults {s.name or ''}".strip() for s in chain)

    def _options_group(self) -> SettingsGrid:
        group = SettingsGrid("Options", self, self.cache)
        for name in COMMON_OPTIONS:
            self._option_row(group, name)
        return group

    def _option_row(self, group: SettingsGrid, name: str) -> None:
        keyword = f"option {name}"
        spec = kw.KEYWORDS[keyword]
        states = [INHERITED, ON, OFF] if spec.no_prefix else [INHERITED, ON]
        box = combo(states, {ON: f"option {name}", OFF: f"no option {name}"})
        box.setToolTip(keyword_tip(keyword))
        self.bind(box, keyword, lambda s: option_state(s, name),
                  lambda s, v: set_option_state(s, name, "" if v == INHERITED else v))

        def show(config: Config, section: Section) -> None:
            found = self.cache.meaning(section).option(name)
            if found is None or found.source.section is section:
                text = f"{INHERITED} (off)"
            else:
                text = f"{INHERITED} ({ON if found.value[0] else OFF}, from {found.source.where()})"
            set_item_text(box, INHERITED, text)

        self.add_hint(show)
        self.option_boxes[name] = box
        group.add_row(name, box, keyword=keyword, read=lambda m: m.option(name))

    # -- Timeouts ----------------------------------------------------------------------------
    def _timeouts_page(self) -> QWidget:
        page = QWidget()
        columns = QHBoxLayout(page)
        self.timeout_edits = {}
        for kinds, title in ((FRONTEND_TIMEOUTS, "Client side"), (BACKEND_TIMEOUTS, "Server side")):
            column = QVBoxLayout()
            column.addWidget(self._timeouts_group(kinds, title))
            column.addStretch(1)
            columns.addLayout(column, 1)
        return page

    def _timeouts_group(self, kinds: tuple[str, ...], title: str) -> SettingsGrid:
        group = SettingsGrid(title, self, self.cache)
        for kind in kinds:
            self._timeout_row(group, kind)
        return group

    def _timeout_row(self, group: SettingsGrid, kind: str) -> None:
        edit = TimeEdit()
        edit.setToolTip(keyword_tip(f"timeout {kind}"))
        self.bind(edit, f"timeout {kind}",
                  lambda s: s.timeouts()[kind].value if kind in s.timeouts() else "",
                  lambda s, v: set_timeout(s, kind, v))
        self.add_hint(lambda config, s: edit.set_hint(timeout_hint(config, s, kind)))
        self.timeout_edits[kind] = edit
        group.add_row(kind.capitalize().replace("-", " "), edit, keyword=f"timeout {kind}",
                      read=lambda m: m.timeout(kind))

    # -- Servers -----------------------------------------------------------------------------
    def _servers_page(self) -> QWidget:
        page = QWidget()
        columns = QHBoxLayout(page)
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(balance_group(self, with_mode=False))
        left.addWidget(default_server_group(self, self.cache))
        left.addStretch(1)
        right.addWidget(health_group(self))
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        return page
