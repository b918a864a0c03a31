"""The frontend editor: where traffic comes in and how it is routed.

Theory of operation
-------------------
A ``FrontendEditor`` is a ``SectionEditor`` (see ``widgets.py``: fields are
bindings that write through ``Document.edit`` and reload on ``changed``)
laid out as tabs:

* General -- mode, default backend, the binds (``BindsModel`` plus a row to
  add one, with a certificate picker when TLS is on) and the client-side
  timeouts;
* ACLs -- ``AclEditor``;
* Rules -- ``RuleEditor``: the ordered ``tcp-request``/``http-request``/
  ``use_backend`` list with add, update, remove and move up/down, and a
  composer (rule type, action or backend, ``ConditionBuilder``);
* What-if -- ``WhatIfTester`` (the engine's own routing on a typed request);
* Password -- ``PasswordTab`` (``protect.py``): require a userlist's password.

The page builders are functions of the editor so ``ListenEditor`` reuses
them next to the backend's pages.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.certificates import choose_store_certificate
from gui.document import Document
from gui.editors.acl import AclEditor, ConditionBuilder
from gui.editors.inherit import (
    BUILTIN,
    Inherited,
    inherited_default_backend,
    inherited_mode,
    timeout_hint,
)
from gui.editors.item_models import BindsModel, RulesModel
from gui.editors.protect import PasswordTab
from gui.editors.whatif import WhatIfTester
from gui.editors.widgets import (
    SPACING,
    AddressPortEdit,
    SectionEditor,
    TimeEdit,
    combo,
    keyword_tip,
    refusal_label,
    row_table,
    set_item_text,
    split_words,
)
from proxy.config import keywords as kw
from proxy.config.edit import (
    config_host_names,
    place_node,
    set_default_backend,
    set_mode,
    set_timeout,
)
from proxy.config.model import Config, Section
from proxy.config.nodes import Bind, Node, Rule, UseBackend

__all__ = [
    "FRONTEND_TIMEOUTS",
    "INHERITED",
    "FrontendEditor",
    "RuleEditor",
    "binds_page",
    "inherited_text",
    "mode_combo",
    "timeouts_group",
]

INHERITED = "inherited"
MODES = (INHERITED, "http", "tcp")
MODE_TIPS = {
    INHERITED: "Use the mode of the defaults section (tcp when none)",
    "http": "Parse HTTP: path/host ACLs, http-request rules, HTTP logs",
    "tcp": "Forward bytes: works for any protocol, layer-4 rules only",
}
FRONTEND_TIMEOUTS = ("client", "http-request", "http-keep-alive", "client-fin")
RULE_TYPES = ("use_backend", "http-request", "tcp-request connection", "tcp-request content")
RULE_TYPE_TIPS = {
    "use_backend": keyword_tip("use_backend"),
    "http-request": keyword_tip("http-request"),
    "tcp-request connection": keyword_tip("tcp-request connection"),
    "tcp-request content": keyword_tip("tcp-request content"),
}


def _actions_for(rule_type: str) -> dict[str, str]:
    if rule_type == "http-request":
        return kw.HTTP_REQUEST_ACTIONS
    if rule_type.startswith("tcp-request "):
        return kw.TCP_REQUEST_ACTIONS.get(rule_type.split()[1], {})
    return {}


# --- shared page parts -----------------------------------------------------------------------


def mode_combo(editor: SectionEditor) -> QComboBox:
    box = combo(MODES, MODE_TIPS)
    box.setToolTip(keyword_tip("mode"))
    editor.bind(box, "mode",
                lambda s: s.mode or INHERITED,
                lambda s, v: set_mode(s, "" if v == INHERITED else v))

    def show_inherited(config: Config, section: Section) -> None:
        found = inherited_mode(config, section)
        set_item_text(box, INHERITED, f"{INHERITED} ({found.short()})")
        # the exact line it comes from, chain included: "defaults base line 2, through defaults web"
        box.setItemData(box.findData(INHERITED), found.detail, Qt.ItemDataRole.ToolTipRole)

    editor.add_hint(show_inherited)
    return box


def inherited_text(found: Inherited | None) -> str:
    """How a field shows a value it inherits: ``30s from defaults``, ``2s (HAProxy's default)``."""
    if found is None:
        return "not set"
    return f"{found.value} ({BUILTIN})" if found.builtin else f"{found.value} from {found.source}"


def timeouts_group(editor: SectionEditor, kinds: tuple[str, ...], title: str = "Timeouts") -> QGroupBox:
    group = QGroupBox(title)
    form = QFormLayout(group)
    editor.timeout_edits = getattr(editor, "timeout_edits", {})
    for kind in kinds:
        edit = TimeEdit()
        edit.setToolTip(keyword_tip(f"timeout {kind}"))

        def read(s: Section, k: str = kind) -> str:
            return s.timeouts()[k].value if k in s.timeouts() else ""

        def write(s: Section, v: str, k: str = kind) -> None:
            set_timeout(s, k, v)

        def hint(config: Config, s: Section, k: str = kind, e: TimeEdit = edit) -> None:
            e.set_hint(timeout_hint(config, s, k))

        editor.bind(edit, f"timeout {kind}", read, write)
        editor.timeout_edits[kind] = edit
        editor.add_hint(hint)
        label = QLabel(kind.capitalize().replace("-", " "))
        label.setToolTip(kw.TIMEOUT_KINDS.get(kind, ""))
        form.addRow(label, edit)
    return group


def _refill(box: QComboBox, items: list[str]) -> None:
    """Replace a combo's items, keeping the text shown (quietly: not a user edit)."""
    current = [box.itemText(i) for i in range(box.count())]
    if current == items:
        return
    text = box.currentText()
    box.blockSignals(True)
    box.clear()
    box.addItems(items)
    box.setCurrentText(text)
    box.blockSignals(False)


def routing_group(editor: SectionEditor) -> QGroupBox:
    group = QGroupBox("Traffic")
    form = QFormLayout(group)
    editor.mode_box = mode_combo(editor)
    form.addRow("Mode", editor.mode_box)
    box = QComboBox()
    box.setEditable(True)
    box.setToolTip(keyword_tip("default_backend"))
    box.addItems(["", *editor.backend_names()])
    # A hint, not a lambda on document.changed: hints die with the editor, so leaving the
    # editor cannot leave a slot behind that touches the deleted combo box.
    editor.add_hint(lambda _config, _section: _refill(box, ["", *editor.backend_names()]))
    editor.bind(box, "default backend", lambda s: s.default_backend or "", set_default_backend)

    def show_inherited(config: Config, section: Section) -> None:
        found = inherited_default_backend(config, section)
        line = box.lineEdit()
        if line is not None:  # the combo is editable: it has one
            line.setPlaceholderText(
                inherited_text(found) if found else "none: requests no rule routes get a 503")

    editor.add_hint(show_inherited)
    editor.default_backend_box = box
    form.addRow("Default backend", box)
    return group


class BindsPage(QGroupBox):
    """The binds of a frontend/listen: a table and a row to add one."""

    def __init__(self, editor: SectionEditor) -> None:
        super().__init__("Listen on")
        self.editor = editor
        self.setToolTip(keyword_tip("bind"))
        self.model = BindsModel(editor.document, editor.kind, editor.name, self)
        self.table = row_table(self.model, stretch=5, min_height=90, editable=True)
        self.address = AddressPortEdit("", 8080)
        self.tls = QCheckBox("TLS")
        self.tls.setToolTip(kw.BIND_OPTIONS["ssl"].doc)
        self.certificate = QLineEdit()
        self.certificate.setPlaceholderText("certificate (PEM with its key)")
        self.certificate.setToolTip(kw.BIND_OPTIONS["crt"].doc)
        self.browse = QPushButton("Certificate…")
        self.browse.setToolTip("Pick the certificate for the new bind, or for the selected one")
        choices = QMenu(self.browse)  # a stored certificate (Tools > Certificates) or any PEM file
        choices.addAction("From Proxydesk's certificates…", self.pick_store_certificate)
        choices.addAction("From a file…", self.pick_certificate)
        self.browse.setMenu(choices)
        self.add_button = QPushButton("Add bind")
        self.add_button.clicked.connect(self.add_bind)
        self.remove_button = QPushButton("Remove selected")
        self.remove_button.clicked.connect(
            lambda: self.model.remove_rows([i.row() for i in self.table.selectionModel().selectedRows()]))
        self.tls.toggled.connect(self._tls_toggled)
        self._tls_toggled(False)
        add_row = QHBoxLayout()
        add_row.addWidget(self.address, 2)
        add_row.addWidget(self.tls)
        add_row.addWidget(self.certificate, 2)
        add_row.addWidget(self.browse)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        self.message = refusal_label(self.model)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(add_row)
        layout.addLayout(buttons)
        self.model.modelReset.connect(self._resize)
        self.model.dataChanged.connect(lambda *_changed: self._resize())  # values changed in place
        self._resize()

    def _resize(self) -> None:
        self.table.resizeColumnsToContents()

    def _tls_toggled(self, on: bool) -> None:
        self.certificate.setEnabled(on)

    def add_bind(self) -> None:
        node = Bind([self.address.value()], [])
        if self.tls.isChecked():
            node.set_flag("ssl", True)
            if self.certificate.text().strip():
                node.set_option("crt", self.certificate.text().strip())
        self.editor.edit(f"Add bind {self.address.value()}", lambda s: place_node(s, node))

    def pick_certificate(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose a certificate", str(self.editor.document.base_dir),
            "PEM certificates (*.pem *.crt);;All files (*)")
        if path:
            self.use_certificate(path)

    def pick_store_certificate(self) -> None:
        hosts = config_host_names(self.editor.document.config)
        path = choose_store_certificate(self, hosts)
        if path:
            self.use_certificate(path)

    def use_certificate(self, path: str) -> None:
        """Set ``path`` as the selected bind's certificate (turning TLS on), else the new bind's."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.tls.setChecked(True)
            self.certificate.setText(path)
            return
        row = rows[0].row()
        self.model.setData(self.model.index(row, 2), Qt.CheckState.Checked.value,
                           Qt.ItemDataRole.CheckStateRole)
        self.model.setData(self.model.index(row, 3), path)


def binds_page(editor: SectionEditor) -> BindsPage:
    return BindsPage(editor)


# --- rules ---------------------------------------------------------------------------------------


class RuleEditor(QWidget):
    """The ordered rule list of a frontend/listen and a composer to add or change a rule."""

    def __init__(self, editor: SectionEditor) -> None:
        super().__init__()
        self.editor = editor
        self.model = RulesModel(editor.document, editor.kind, editor.name, self)
        self.table = row_table(self.model, stretch=1, min_height=120)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(False)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.load_rule(cur.row()))
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.remove_button = QPushButton("Remove")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.remove_button.clicked.connect(self.remove_selected)
        order = QLabel("<small>HAProxy runs tcp-request rules, then http-request rules, then "
                       "use_backend, each in this order; the first deciding rule wins.</small>")
        order.setWordWrap(True)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.up_button)
        list_buttons.addWidget(self.down_button)
        list_buttons.addStretch(1)
        list_buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(order)
        layout.addLayout(list_buttons)
        layout.addWidget(self._composer())
        editor.document.changed.connect(self._refresh_names)
        self._refresh_names()

    def _composer(self) -> QGroupBox:
        group = QGroupBox("Rule")
        self.rule_type = combo(RULE_TYPES, RULE_TYPE_TIPS)
        self.action = QComboBox()
        self.action.setEditable(True)
        self.action.setMinimumContentsLength(14)
        self.arguments = QLineEdit()
        self.arguments.setPlaceholderText("arguments, e.g. status 429 or location /new")
        self.backend = QComboBox()
        self.backend.setEditable(True)
        self.backend.setMinimumContentsLength(14)
        self.action_doc = QLabel()
        self.action_doc.setWordWrap(True)
        self.condition = ConditionBuilder()
        self.add_button = QPushButton("Add rule")
        self.update_button = QPushButton("Update selected rule")
        self.add_button.clicked.connect(self.add_rule)
        self.update_button.clicked.connect(self.update_selected)
        self.rule_type.currentTextChanged.connect(self._type_changed)
        self.action.currentTextChanged.connect(self._explain_action)
        self.form = QFormLayout(group)
        self.form.addRow("Type", self.rule_type)
        self.form.addRow("Backend", self.backend)
        action_row = QHBoxLayout()
        action_row.addWidget(self.action, 1)
        action_row.addWidget(self.arguments, 2)
        self.form.addRow("Action", action_row)
        self.form.addRow("", self.action_doc)
        self.form.addRow("Condition", self.condition)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.update_button)
        buttons.addWidget(self.add_button)
        self.form.addRow(buttons)
        self._type_changed(self.rule_type.currentText())
        return group

    # -- composer state -------------------------------------------------------------------
    def _type_changed(self, rule_type: str) -> None:
        is_backend = rule_type == "use_backend"
        self.form.setRowVisible(1, is_backend)
        self.form.setRowVisible(2, not is_backend)
        self.form.setRowVisible(3, not is_backend)
        actions = _actions_for(rule_type)
        text = self.action.currentText()
        self.action.clear()
        for name, doc in actions.items():
            self.action.addItem(name)
            self.action.setItemData(self.action.count() - 1, doc, Qt.ItemDataRole.ToolTipRole)
        self.action.setCurrentText(text if text in actions else next(iter(actions), ""))

    def _explain_action(self, action: str) -> None:
        doc = _actions_for(self.rule_type.currentText()).get(action, "")
        self.action_doc.setText(f"<small>{doc.replace('<', '&lt;')}</small>" if doc else "")

    def _refresh_names(self) -> None:
        section = self.editor.section()
        self.condition.set_acl_names([a.name for a in section.acls] if section else [])
        _refill(self.backend, self.editor.backend_names())

    def composed(self) -> Node | None:
        """The rule the composer describes, or None when it is incomplete."""
        condition = self.condition.condition()
        rule_type = self.rule_type.currentText()
        if rule_type == "use_backend":
            name = self.backend.currentText().strip()
            return UseBackend(name, condition) if name else None
        action = self.action.currentText().strip()
        if not action:
            return None
        family, _sp, stage = rule_type.partition(" ")
        return Rule(family, stage, action, split_words(self.arguments.text()), condition)

    def load_rule(self, row: int) -> None:
        """Show a rule of the list in the composer."""
        if not 0 <= row < self.model.rowCount():
            return
        node = self.model.node(row)
        if isinstance(node, UseBackend):
            self.rule_type.setCurrentText("use_backend")
            self.backend.setCurrentText(node.backend)
        elif isinstance(node, Rule):
            self.rule_type.setCurrentText(f"{node.family} {node.stage}".strip())
            self.action.setCurrentText(node.action)
            self.arguments.setText(" ".join(node.args))
        self.condition.set_condition(node.condition)

    # -- list operations ------------------------------------------------------------------
    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def add_rule(self) -> None:
        node = self.composed()
        if node is None:
            return
        self.editor.edit(f"Add rule {' '.join(node.to_words()[:3])}", lambda s: place_node(s, node))
        rows = [r for r in range(self.model.rowCount()) if self.model.node(r) is node]
        self.select_row(rows[0] if rows else self.model.rowCount() - 1)

    def update_selected(self) -> None:
        row, node = self.selected_row(), self.composed()
        if row < 0 or node is None:
            return

        def replace(section: Section) -> None:
            statements = [s for s in section.body if self.model.accepts(s.node)]
            statements[row].node = node

        self.editor.edit("Update rule", replace)
        self.select_row(row)

    def remove_selected(self) -> None:
        row = self.selected_row()
        self.model.remove_rows([row])
        self.select_row(min(row, self.model.rowCount() - 1))

    def move_selected(self, delta: int) -> None:
        row = self.selected_row()
        if self.model.move_row(row, delta):
            self.select_row(row + delta)


# --- the editor ------------------------------------------------------------------------------------


def general_page(editor: SectionEditor) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setSpacing(SPACING)
    top = QHBoxLayout()
    top.addWidget(routing_group(editor), 1)
    top.addWidget(timeouts_group(editor, FRONTEND_TIMEOUTS, "Client-side timeouts"), 1)
    editor.binds = binds_page(editor)
    layout.addLayout(top)
    layout.addWidget(editor.binds, 1)
    return page


class FrontendEditor(SectionEditor):
    def __init__(self, document: Document, name: str | None, kind: str = "frontend") -> None:
        super().__init__(document, kind, name)
        self.setMinimumSize(640, 480)
        self.tabs = QTabWidget()
        self.add_pages()
        title = QLabel(f"<h3>{kind} {name or ''}</h3>")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.problem)
        layout.addWidget(self.tabs, 1)

    def add_pages(self) -> None:
        self.tabs.addTab(general_page(self), "General")
        self.add_routing_pages()

    def add_routing_pages(self) -> None:
        self.acls = AclEditor(self.document, self.kind, self.name)
        self.rules = RuleEditor(self)
        self.whatif = WhatIfTester(self.document, self.name or "", self.kind)
        self.tabs.addTab(self.acls, "ACLs")
        self.tabs.addTab(self.rules, "Rules")
        self.tabs.addTab(self.whatif, "What-if")
        self.password_tab = PasswordTab(self)  # gui/editors/protect.py: basic auth for this proxy
        self.tabs.addTab(self.password_tab, "Password")
