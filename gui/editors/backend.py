"""The backend editor: the servers and how requests are spread over them.

Theory of operation
-------------------
A ``BackendEditor`` is a ``SectionEditor`` (fields are bindings, see
``widgets.py``) with two tabs:

* Servers -- mode, the balance algorithm (the registry's one-line
  explanation under it; hdr(<name>)-style arguments glued to the name as
  HAProxy wants), and the servers table (``ServersModel``) with a row to add
  a server;
* Health checks -- ``option httpchk`` method and URI, ``http-check expect
  status``, the ``default-server`` ``inter``/``rise``/``fall`` every server
  with ``check`` uses, and the server-side timeouts.

The page builders are functions of the editor so ``ListenEditor`` and the
defaults editor reuse them.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.document import Document
from gui.editors.checks import name_problem, option_problem
from gui.editors.frontend import INHERITED, inherited_text, mode_combo, timeouts_group
from gui.editors.inherit import BUILTIN, inherited_balance
from gui.editors.inherit import default_server_option as default_server_value
from gui.editors.item_models import ServersModel
from gui.editors.settings import SettingsCache, SettingsGrid
from gui.editors.widgets import (
    AddressPortEdit,
    SectionEditor,
    TimeEdit,
    combo,
    grey_special_value,
    keyword_tip,
    mark_refused,
    refusal_label,
    row_table,
    set_item_text,
    split_words,
)
from proxy.config import keywords as kw
from proxy.config.edit import place_node
from proxy.config.model import Config, Section
from proxy.config.nodes import Balance, Generic, OptionLine, Server
from proxy.config.semantics import ProxyMeaning, Value

__all__ = ["BACKEND_TIMEOUTS", "BackendEditor", "balance_parts", "make_balance"]

BACKEND_TIMEOUTS = ("connect", "server", "queue", "check", "tunnel")
BALANCE_TIPS = {name: f"{name} {a.args}: {a.doc}".replace("  ", " ") for name, a in kw.BALANCE_ALGORITHMS.items()}
CHECK_METHODS = ("GET", "HEAD", "OPTIONS")
EXPECT_STATUS = ("http-check", "expect", "status")


def _glued(algorithm: str) -> bool:
    """hdr(<name>), rdp-cookie(<name>), random(<draws>): the argument sits in parentheses."""
    spec = kw.BALANCE_ALGORITHMS.get(algorithm)
    return spec is not None and spec.args.lstrip("[").startswith("(")


def balance_parts(balance: Balance | None) -> tuple[str, str]:
    """(algorithm name, argument text) as the form shows them."""
    if balance is None:
        return INHERITED, ""
    args = list(balance.args)
    if _glued(balance.name) and balance.param is not None:
        args.insert(0, balance.param)
    return balance.name, " ".join(args)


def make_balance(algorithm: str, args_text: str) -> Balance | None:
    if algorithm == INHERITED or not algorithm:
        return None
    words = split_words(args_text)
    if _glued(algorithm) and words:
        return Balance(f"{algorithm}({words[0]})", words[1:])
    return Balance(algorithm, words)


def set_balance(section: Section, algorithm: str, args_text: str) -> None:
    node = make_balance(algorithm, args_text)
    stmts = [s for s in section.body if isinstance(s.node, Balance)]
    if node is None:
        for stmt in stmts:
            section.remove(stmt)
    elif stmts:
        stmts[-1].node = node
    else:
        place_node(section, node)


# --- health checks -----------------------------------------------------------------------------


def _httpchk(section: Section) -> OptionLine | None:
    option = section.options().get("httpchk")
    return option if option is not None and option.enabled else None


def httpchk_parts(section: Section) -> tuple[bool, str, str]:
    """(enabled, method, uri); HAProxy's defaults are OPTIONS and /."""
    option = _httpchk(section)
    if option is None:
        return False, "OPTIONS", "/"
    args = option.args
    if len(args) >= 2:
        return True, args[0], args[1]
    return True, "OPTIONS", args[0] if args else "/"


def set_httpchk(section: Section, enabled: bool, method: str, uri: str) -> None:
    stmts = [s for s in section.body if isinstance(s.node, OptionLine) and s.node.name == "httpchk"]
    if not enabled:
        for stmt in stmts:
            section.remove(stmt)
        return
    node = OptionLine("httpchk", [method or "GET", uri or "/"])
    if stmts:
        stmts[-1].node = node
    else:
        place_node(section, node)


def expect_status(section: Section) -> str:
    found = [w for w in section.generic("http-check") if tuple(w[:3]) == EXPECT_STATUS]
    return found[-1][3] if found and len(found[-1]) > 3 else ""


def set_expect_status(section: Section, status: str) -> None:
    stmts = [s for s in section.body if tuple(s.words[:3]) == EXPECT_STATUS]
    for stmt in stmts[:-1] if status else stmts:
        section.remove(stmt)
    if status and stmts:
        stmts[-1].node = Generic([*EXPECT_STATUS, status])
    elif status:
        place_node(section, Generic([*EXPECT_STATUS, status]))


def default_server_option(section: Section, name: str) -> str:
    node = section.default_server
    args = node.option(name) if node else None
    return args[0] if args else ""


def default_server_flag(section: Section, names: tuple[str, str]) -> str:
    """Which of a flag and its reset (``check``/``no-check``) the default-server line has."""
    node = section.default_server
    found = [o[0] for o in node.options if o[0] in names] if node else []
    return found[-1] if found else INHERITED


def set_default_server_flag(section: Section, names: tuple[str, str], value: str) -> None:
    """Set one of ``names`` on the default-server line, the other removed; INHERITED: neither."""
    node = section.default_server
    if node is not None:
        node.options[:] = [o for o in node.options if o[0] not in names or o[0] == value]
    set_default_server_option(section, value, "" if value == INHERITED else None)


def set_default_server_option(section: Section, name: str, value: str | None) -> None:
    """``name value`` on the section's default-server line (a flag when ``value`` is None),
    created when needed; "" removes it, and the line when nothing is left on it."""
    node = section.default_server
    if node is None:
        if value == "":
            return
        node = Server(default=True)
        place_node(section, node)
    if value is None:
        node.set_flag(name, True)
    elif value:
        node.set_option(name, value)
    else:
        node.remove_option(name)
    if not node.options:  # an empty default-server line says nothing: drop it
        section.body[:] = [s for s in section.body if s.node is not node]


# --- pages ------------------------------------------------------------------------------------------


class ServersPage(QGroupBox):
    def __init__(self, editor: SectionEditor) -> None:
        super().__init__("Servers")
        self.editor = editor
        self.setToolTip(keyword_tip("server"))
        self.model = ServersModel(editor.document, editor.kind, editor.name, self)
        self.table = row_table(self.model, stretch=1, min_height=130, editable=True)
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("name")
        self.new_address = AddressPortEdit("127.0.0.1", 80)
        self.new_check = QCheckBox("health check")
        self.new_check.setToolTip(kw.SERVER_OPTIONS["check"].doc)
        self.add_button = QPushButton("Add server")
        self.add_button.clicked.connect(self.add_server)
        self.new_name.returnPressed.connect(self.add_server)
        self.remove_button = QPushButton("Remove selected")
        self.remove_button.clicked.connect(
            lambda: self.model.remove_rows([i.row() for i in self.table.selectionModel().selectedRows()]))
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(self.new_address, 2)
        add_row.addWidget(self.new_check)
        add_row.addWidget(self.add_button)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("<small>Double-click a cell to change it.</small>"))
        buttons.addStretch(1)
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
        self._suggest_name()

    def _resize(self) -> None:
        self.table.resizeColumnsToContents()
        # Room for any port a user may type (a refused 99999 was elided to "99...").
        port_room = self.table.fontMetrics().horizontalAdvance("655350") + 16
        self.table.setColumnWidth(2, max(self.table.columnWidth(2), port_room))
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

    def _suggest_name(self) -> None:
        taken = {self.model.node(r).name for r in range(self.model.rowCount())}
        self.new_name.setPlaceholderText(
            next(f"server{n}" for n in range(1, len(taken) + 2) if f"server{n}" not in taken))

    def add_server(self) -> None:
        name = self.new_name.text().strip() or self.new_name.placeholderText()
        problem = name_problem(name, "server name")
        mark_refused(self.new_name, problem)
        if problem is not None:
            self.message.setText(f"Server not added: {problem}.")
            self.message.show()
            return
        self.message.hide()
        address = self.new_address.value()
        node = Server(name, f"127.0.0.1{address}" if address.startswith(":") else address)
        if self.new_check.isChecked():
            node.set_flag("check", True)
        self.editor.edit(f"Add server {name}", lambda s: place_node(s, node))
        self.new_name.clear()
        self._suggest_name()


def _inherited_balance_doc(config: Config, section: Section) -> str:
    found = inherited_balance(config, section)
    spec = kw.BALANCE_ALGORITHMS.get(found.value.split("(", 1)[0].split()[0])
    where = BUILTIN if found.builtin else f"From {found.source}"
    return f"{where}: {found.value}. {spec.doc if spec else ''}".strip()


def balance_group(editor: SectionEditor, *, with_mode: bool = True) -> QGroupBox:
    group = QGroupBox("Load balancing")
    form = QFormLayout(group)
    if with_mode:  # the defaults form has its mode on its General tab
        editor.mode_box = mode_combo(editor)
        form.addRow("Mode", editor.mode_box)
    algorithm = combo([INHERITED, *kw.BALANCE_ALGORITHMS], BALANCE_TIPS)
    algorithm.setToolTip(keyword_tip("balance"))
    arguments = QLineEdit()
    explanation = QLabel()
    explanation.setWordWrap(True)

    def explain(*_changed: object) -> None:
        spec = kw.BALANCE_ALGORITHMS.get(algorithm.currentData())
        arguments.setPlaceholderText(spec.args.strip("[]()") if spec and spec.args else "no arguments")
        arguments.setEnabled(bool(spec and spec.args))
        if spec is not None:
            explanation.setText(f"<small>{spec.doc}</small>")
            return
        section = editor.section()  # inherited: explain the algorithm that really applies
        if section is not None:
            explanation.setText(f"<small>{_inherited_balance_doc(editor.document.config, section)}</small>")

    def show_inherited(config: Config, section: Section) -> None:
        found = inherited_balance(config, section)
        set_item_text(algorithm, INHERITED, f"{INHERITED} ({found.short()})")
        explain()

    algorithm.currentIndexChanged.connect(explain)
    editor.bind(algorithm, "balance",
                lambda s: balance_parts(s.balance)[0],
                lambda s, v: set_balance(s, v, arguments.text()))
    editor.bind(arguments, "balance arguments",
                lambda s: balance_parts(s.balance)[1],
                lambda s, v: set_balance(s, balance_parts(s.balance)[0], v))
    editor.add_hint(show_inherited)
    explain()
    editor.balance_box, editor.balance_arguments, editor.balance_explanation = (
        algorithm, arguments, explanation)
    form.addRow("Algorithm", algorithm)
    form.addRow("Arguments", arguments)
    form.addRow("", explanation)
    return group


def health_group(editor: SectionEditor) -> QGroupBox:
    group = QGroupBox("Health checks")
    form = QFormLayout(group)
    enabled = QCheckBox("Check over HTTP (option httpchk)")
    enabled.setToolTip(keyword_tip("option httpchk"))
    method = combo(CHECK_METHODS)
    method.setEditable(True)
    uri = QLineEdit()
    uri.setPlaceholderText("/health")
    editor.bind(enabled, "httpchk", lambda s: httpchk_parts(s)[0],
                lambda s, v: set_httpchk(s, v, method.currentText(), uri.text()))
    editor.bind(method, "httpchk method", lambda s: httpchk_parts(s)[1],
                lambda s, v: set_httpchk(s, True, v, uri.text()) if httpchk_parts(s)[0] else None)
    editor.bind(uri, "httpchk uri", lambda s: httpchk_parts(s)[2],
                lambda s, v: set_httpchk(s, True, method.currentText(), v) if httpchk_parts(s)[0] else None)
    status = QLineEdit()
    status.setPlaceholderText("any 2xx or 3xx")
    status.setToolTip(keyword_tip("http-check expect"))
    editor.bind(status, "expect status", expect_status, set_expect_status)
    inter = TimeEdit()
    inter.setToolTip(kw.SERVER_OPTIONS["inter"].doc)
    editor.bind(inter, "inter", lambda s: default_server_option(s, "inter"),
                lambda s, v: set_default_server_option(s, "inter", v))
    rise, fall = QSpinBox(), QSpinBox()
    for box, name in ((rise, "rise"), (fall, "fall")):
        bounds = kw.SERVER_OPTIONS[name].bounds
        box.setRange(0, bounds[1] if bounds else 2**31 - 1)  # 0: "default" (no value written)
        box.setSpecialValueText("default")
        grey_special_value(box)
        box.setToolTip(kw.SERVER_OPTIONS[name].doc)

        def read(s: Section, n: str = name) -> int:
            return int(default_server_option(s, n) or 0)

        def write(s: Section, v: int, n: str = name) -> None:
            set_default_server_option(s, n, str(v) if v else "")

        editor.bind(box, name, read, write)
    def show_inherited(config: Config, section: Section) -> None:
        # These fields edit this section's own default-server line: hint what it inherits.
        def found(name: str) -> str:
            return inherited_text(default_server_value(config, section, name, include_own=False))

        inter.set_hint(found("inter"))
        for box, name in ((rise, "rise"), (fall, "fall")):
            box.setSpecialValueText(found(name))

    editor.add_hint(show_inherited)
    editor.check_widgets = {"enabled": enabled, "method": method, "uri": uri, "status": status,
                            "inter": inter, "rise": rise, "fall": fall}
    form.addRow(enabled)
    request = QHBoxLayout()
    request.addWidget(method)
    request.addWidget(uri, 1)
    form.addRow("Request", request)
    form.addRow("Expect status", status)
    form.addRow("Interval", inter)
    form.addRow("Up after (rise)", rise)
    form.addRow("Down after (fall)", fall)
    note = QLabel("<small>Applies to servers with \u201ccheck\u201d ticked.</small>")
    form.addRow("", note)
    return group


# The default-server settings the form offers besides the health-check ones: the
# registry's bounds check each (SERVER_OPTIONS), the hint says what applies when unset.
DEFAULT_SERVER_FIELDS = ("weight", "maxconn", "maxqueue", "slowstart")
CHECK_FLAG = ("check", "no-check")


def default_server_group(editor: SectionEditor, cache: SettingsCache) -> SettingsGrid:
    """The section's own ``default-server`` line as fields: what every server line below
    gets unless it sets the option itself."""
    group = SettingsGrid("Every server (default-server)", editor, cache)
    group.setToolTip(keyword_tip("default-server"))
    check = combo([INHERITED, *CHECK_FLAG], {n: kw.SERVER_OPTIONS[n].doc for n in CHECK_FLAG})
    editor.bind(check, "default-server check", lambda s: default_server_flag(s, CHECK_FLAG),
                lambda s, v: set_default_server_flag(s, CHECK_FLAG, v))
    group.add_row("Health check", check, keyword="default-server",
                  read=lambda m: m.server_option("check") or _flag_value(m, CHECK_FLAG))
    editor.default_server_widgets = {"check": check}
    for name in DEFAULT_SERVER_FIELDS:
        editor.default_server_widgets[name] = _default_server_row(editor, group, name)
    return group


def _default_server_row(editor: SectionEditor, group: SettingsGrid, name: str) -> QLineEdit:
    spec = kw.SERVER_OPTIONS[name]
    field = QLineEdit()
    field.setToolTip(spec.doc)

    def hint(config: Config, section: Section) -> None:
        field.setPlaceholderText(inherited_text(default_server_value(config, section, name, include_own=False)))

    editor.bind(field, f"default-server {name}", lambda s: default_server_option(s, name),
                lambda s, v: set_default_server_option(s, name, v.strip()),
                check=lambda text: option_problem(kw.SERVER_OPTIONS, name, text))
    editor.add_hint(hint)
    group.add_row(name.capitalize() if name != "maxconn" else "Max conn", field, keyword="default-server",
                  read=lambda m: m.server_option(name))
    return field


def _flag_value(meaning: ProxyMeaning, names: tuple[str, str]) -> Value[str] | None:
    """The last of a flag and its reset on the default-server lines that apply, with its line."""
    for stmt in reversed(meaning.default_server_lines()):
        assert isinstance(stmt.node, Server)
        found = [o[0] for o in stmt.node.options if o[0] in names]
        if found:
            return meaning.sourced(stmt, found[-1])
    return None


def servers_page(editor: SectionEditor) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addWidget(balance_group(editor))
    editor.servers = ServersPage(editor)
    layout.addWidget(editor.servers, 1)
    return page


def checks_page(editor: SectionEditor) -> QWidget:
    page = QWidget()
    layout = QHBoxLayout(page)
    layout.addWidget(health_group(editor), 1)
    column = QVBoxLayout()
    column.addWidget(timeouts_group(editor, BACKEND_TIMEOUTS, "Server-side timeouts"))
    column.addWidget(default_server_group(editor, SettingsCache(editor)))
    column.addStretch(1)
    layout.addLayout(column, 1)
    return page


class BackendEditor(SectionEditor):
    def __init__(self, document: Document, name: str | None, kind: str = "backend") -> None:
        super().__init__(document, kind, name)
        self.setMinimumSize(640, 480)
        self.tabs = QTabWidget()
        self.tabs.addTab(servers_page(self), "Servers")
        self.tabs.addTab(checks_page(self), "Health checks && timeouts")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<h3>{kind} {name or ''}</h3>"))
        layout.addWidget(self.problem)
        layout.addWidget(self.tabs, 1)
