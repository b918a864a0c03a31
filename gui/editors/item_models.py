"""Table models over a section's statements: binds, servers, ACLs and the rule list.

Theory of operation
-------------------
``SectionTableModel`` shows the statements of one section (found by its
(kind, name) key, since undo replaces the ``Config``) whose node passes
``accepts``, one row each, with columns described by a table of ``Column``
entries (header, how to show the value, how to write it back, whether it is
a check box).  Every write goes through ``Document.edit``, so it is one undo
step and the text view, the diagnostics and the other views follow; the
model then resets on the document's ``changed`` signal like everyone else.
Rows are addressed by position among the accepted statements: the same in
the live config as in the model, because the edit runs on the live config.

A column may have a ``check`` (``gui.editors.checks``): a value it refuses is
not written and not thrown away either -- the cell keeps showing the typed
text (marked, its reason as tooltip) as a *pending* value, ``refused`` says
why for the page's message line, and the next edit of the cell starts from
it; a valid value or ``discard_pending`` (Esc) ends it.  A pending value is a
``Draft`` over the row's live ``Statement``: when the document replaces that
statement (undo, redo, Apply text, opening a file) or the cell's value in the
file changes, the draft is dropped and the cell shows the file's value again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from gui.document import Document
from gui.editors.checks import Check, name_problem, option_problem, port_problem
from gui.editors.inherit import Inherited, default_server_option
from gui.editors.widgets import REFUSED_COLOR, Draft, join_host_port, split_words
from proxy.config import keywords as kw
from proxy.config.model import Config, Section, Statement
from proxy.config.nodes import (
    Acl,
    Bind,
    Condition,
    Node,
    Rule,
    Server,
    UseBackend,
    split_host_port,
)

__all__ = [
    "AclsModel",
    "BindsModel",
    "Column",
    "RulesModel",
    "SectionTableModel",
    "ServersModel",
    "rule_summary",
]

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


@dataclass(frozen=True)
class Column:
    header: str
    show: Callable[[Any], str | bool]  # a bool makes the column a check box
    store: Callable[[Any, Any], bool] | None = None  # (node, value) -> accepted; None = read-only
    tip: str = ""
    check: Check | None = None  # why a typed value is refused (None: accepted)


class SectionTableModel(QAbstractTableModel):
    columns: tuple[Column, ...] = ()
    # why the last value typed into a cell was refused; "" once nothing is refused any more
    refused = Signal(str)

    def __init__(self, document: Document, kind: str, name: str | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.kind, self.name = document, kind, name
        self._rows: list[Statement] = self._statements(document.config)
        self.pending: dict[tuple[int, int], Draft] = {}  # (row, column) -> the refused text there
        document.changed.connect(self.reload)

    # -- what the rows are -------------------------------------------------------------
    def accepts(self, node: Node) -> bool:
        raise NotImplementedError

    def _statements(self, config: Config) -> list[Statement]:
        section = config.find(self.kind, self.name)
        if section is None:
            return []
        return [s for s in section.body if self.accepts(s.node)]

    def node(self, row: int) -> Any:
        return self._rows[row].node

    def reload(self) -> None:
        rows = self._statements(self.document.config)
        had_drafts = bool(self.pending)
        self.pending = self._surviving_drafts(rows)
        if had_drafts:
            self.refused.emit(self._pending_reason())  # "" hides the reason of a dropped draft
        if len(rows) == len(self._rows) and rows:
            # Same rows, new values (a cell was edited, or undo): no reset, so a view's open
            # editor -- the one whose commit caused this change -- is not destroyed under it.
            self._rows = rows
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.columns) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def _surviving_drafts(self, rows: list[Statement]) -> dict[tuple[int, int], Draft]:
        """The drafts still typed over what the file holds, at their statements' new rows."""
        row_of = {id(statement): row for row, statement in enumerate(rows)}
        kept = {}
        for (_row, column), draft in self.pending.items():
            row = row_of.get(id(draft.owner))
            if row is not None and draft.covers(rows[row], self.columns[column].show(rows[row].node)):
                kept[(row, column)] = draft
        return kept

    def check(self, index: Index, text: str) -> str | None:
        """Why ``text`` cannot go into the cell at ``index`` (None: it can)."""
        check = self.columns[index.column()].check if self._valid(index) else None
        return check(str(text)) if check is not None else None

    def discard_pending(self, index: Index) -> None:
        """Forget a refused value (Esc): the cell shows the file's value again."""
        if self.pending.pop((index.row(), index.column()), None) is not None:
            self.dataChanged.emit(index, index)
            self.refused.emit(self._pending_reason())

    def _pending_reason(self) -> str:
        return next(iter(self.pending.values())).reason if self.pending else ""

    # -- Qt's model interface ---------------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole and column.tip:
            return column.tip
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._valid(index):
            return None
        column = self.columns[index.column()]
        pending = self.pending.get((index.row(), index.column()))
        if pending is not None:
            return self._pending_data(pending, role)
        value = column.show(self.node(index.row()))
        if isinstance(value, bool):
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return value
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(index.row(), index.column()) or None
        return None

    @staticmethod
    def _pending_data(pending: Draft, role: int) -> Any:
        text, reason = pending.text, pending.reason
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return text
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(REFUSED_COLOR)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Not saved: {reason}. Fix it, or press Esc to keep the file's value."
        return None

    def tooltip(self, row: int, column: int) -> str:
        return self.columns[column].tip

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not self._valid(index):
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        column = self.columns[index.column()]
        if column.store is not None:
            is_check = isinstance(column.show(self.node(index.row())), bool)
            flags |= Qt.ItemFlag.ItemIsUserCheckable if is_check else Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not self._valid(index):
            return False
        column = self.columns[index.column()]
        store = column.store
        if store is None:
            return False
        if role == Qt.ItemDataRole.CheckStateRole:
            value = Qt.CheckState(value) == Qt.CheckState.Checked
        elif role != Qt.ItemDataRole.EditRole:
            return False
        row = index.row()
        reason = self.check(index, value) if role == Qt.ItemDataRole.EditRole else None
        if reason is not None:
            statement = self._rows[row]
            self.pending[(row, index.column())] = Draft(str(value), reason, statement, column.show(statement.node))
            self.dataChanged.emit(index, index)
            self.refused.emit(reason)
            return False
        if self.pending.pop((row, index.column()), None) is not None:
            self.refused.emit(self._pending_reason())
        accepted: list[bool] = []

        def mutate(config: Config) -> None:
            accepted.append(store(self._statements(config)[row].node, value))

        self.document.edit(f"Set {column.header.lower()}", mutate,
                           merge_key=f"{self.kind}/{self.name}/{type(self).__name__}/{row}/{index.column()}")
        return bool(accepted and accepted[0])

    def _valid(self, index: Index) -> bool:
        return (index.isValid() and not index.parent().isValid()
                and 0 <= index.row() < len(self._rows) and 0 <= index.column() < len(self.columns))

    # -- row operations ----------------------------------------------------------------------
    def remove_rows(self, rows: list[int]) -> None:
        """Remove the statements shown in ``rows`` (one undo step)."""
        wanted = sorted({r for r in rows if 0 <= r < len(self._rows)}, reverse=True)
        if not wanted:
            return

        def mutate(config: Config) -> None:
            section = config.find(self.kind, self.name)
            statements = self._statements(config)
            for row in wanted:
                if section is not None:
                    section.remove(statements[row])

        self.document.edit(f"Remove {len(wanted)} line(s)", mutate)

    def move_row(self, row: int, delta: int) -> bool:
        """Swap a row with its neighbour ``delta`` rows away, in the file too (one undo step)."""
        other = row + delta
        if not (0 <= row < len(self._rows) and 0 <= other < len(self._rows)) or delta == 0:
            return False

        def mutate(config: Config) -> None:
            section = config.find(self.kind, self.name)
            statements = self._statements(config)
            if section is None:
                return
            a, b = section.body.index(statements[row]), section.body.index(statements[other])
            section.body[a], section.body[b] = section.body[b], section.body[a]

        self.document.edit("Move rule up" if delta < 0 else "Move rule down", mutate)
        return True


# --- shared value helpers --------------------------------------------------------------------


def _int_option(name: str) -> Callable[[Any], str]:
    def show(node: Any) -> str:
        args = node.option(name)
        return args[0] if args else ""

    return show


def _store_int_option(name: str, *, empty_removes: bool = True) -> Callable[[Any, Any], bool]:
    def store(node: Any, value: Any) -> bool:
        text = str(value).strip()
        if not text and empty_removes:
            node.remove_option(name)
            return True
        if not text.isdigit():
            return False
        node.set_option(name, text)
        return True

    return store


def _flag(name: str) -> Callable[[Any], bool]:
    return lambda node: bool(node.has(name))


def _store_flag(name: str) -> Callable[[Any, Any], bool]:
    def store(node: Any, value: Any) -> bool:
        node.set_flag(name, bool(value))
        return True

    return store


def _option_tip(table: dict[str, kw.OptionSpec], name: str) -> str:
    spec = table.get(name)
    return f"{name}: {spec.doc}" if spec else name


# --- servers -----------------------------------------------------------------------------------


def _set_server_name(node: Server, value: Any) -> bool:
    name = str(value).strip()
    if not name or any(c.isspace() for c in name):
        return False
    node.name = name
    return True


def _set_server_host(node: Server, value: Any) -> bool:
    host = str(value).strip()
    if not host:
        return False
    node.address = join_host_port(host, node.port)
    return True


def _set_server_port(node: Server, value: Any) -> bool:
    port = str(value).strip()
    if port and not (port.isdigit() and int(port) <= kw.PORT_RANGE[1]):
        return False
    node.address = join_host_port(node.host, port)
    return True


def _server_check(name: str) -> Check:
    return lambda text: option_problem(kw.SERVER_OPTIONS, name, text)


class ServersModel(SectionTableModel):
    """The ``server`` lines of a backend (``default-server`` is edited elsewhere)."""

    columns = (
        Column("Name", lambda n: n.name, _set_server_name, "The server's name in logs and stats",
               lambda t: name_problem(t, "server name")),
        Column("Address", lambda n: n.host, _set_server_host, "IP address or host name",
               lambda t: None if t.strip() else "an address is required"),
        Column("Port", lambda n: n.port, _set_server_port, "TCP port (empty: the client's port)",
               lambda t: port_problem(t, allow_empty=True)),
        Column("Weight", _int_option("weight"), _store_int_option("weight"),
               _option_tip(kw.SERVER_OPTIONS, "weight"), _server_check("weight")),
        Column("Check", _flag("check"), _store_flag("check"), _option_tip(kw.SERVER_OPTIONS, "check")),
        Column("Backup", _flag("backup"), _store_flag("backup"), _option_tip(kw.SERVER_OPTIONS, "backup")),
        Column("Max conn", _int_option("maxconn"), _store_int_option("maxconn"),
               _option_tip(kw.SERVER_OPTIONS, "maxconn"), _server_check("maxconn")),
        Column("Disabled", _flag("disabled"), _store_flag("disabled"),
               _option_tip(kw.SERVER_OPTIONS, "disabled")),
    )

    # column header -> the server option a default-server line (or HAProxy) may supply
    inheritable: ClassVar[dict[str, str]] = {"Weight": "weight", "Max conn": "maxconn"}

    def __init__(self, document: Document, kind: str, name: str | None,
                 parent: QObject | None = None) -> None:
        super().__init__(document, kind, name, parent)
        self._inherited = self._inherited_options()

    def accepts(self, node: Node) -> bool:
        return isinstance(node, Server) and not node.default

    def reload(self) -> None:
        self._inherited = self._inherited_options()
        super().reload()

    def _inherited_options(self) -> dict[str, Inherited]:
        config = self.document.config
        section = config.find(self.kind, self.name)
        if section is None:
            return {}
        found = {option: default_server_option(config, section, option)
                 for option in self.inheritable.values()}
        return {option: value for option, value in found.items() if value is not None}

    def inherited(self, index: Index) -> Inherited | None:
        """The value a cell shows greyed because the server line does not set it."""
        if not self._valid(index):
            return None
        column = self.columns[index.column()]
        option = self.inheritable.get(column.header)
        if option is None or column.show(self.node(index.row())):
            return None
        return self._inherited.get(option)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        found = self.inherited(index)
        if found is None or role == Qt.ItemDataRole.EditRole or (index.row(), index.column()) in self.pending:
            return super().data(index, role)  # editing starts from what the line says: nothing
        if role == Qt.ItemDataRole.DisplayRole:
            return found.value
        if role == Qt.ItemDataRole.ForegroundRole:
            return QGuiApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.ToolTipRole:
            where = "HAProxy's default" if found.builtin else f"from {found.source}"
            return f"Not set on this server: {found.value}, {where}"
        return super().data(index, role)


# --- binds -------------------------------------------------------------------------------------


def _bind_host(node: Bind) -> str:
    if len(node.addresses) != 1:
        return ",".join(node.addresses)
    host, _sep, _port = split_host_port(node.addresses[0])
    return host or "*"


def _bind_port(node: Bind) -> str:
    if len(node.addresses) != 1:
        return ""
    return split_host_port(node.addresses[0])[2]


def _set_bind_host(node: Bind, value: Any) -> bool:
    host = str(value).strip()
    if "," in host or len(node.addresses) != 1:
        node.addresses = [a for a in host.split(",") if a]
        return bool(node.addresses)
    host = "" if host == "*" else host
    node.addresses = [join_host_port(host, _bind_port(node)) if host else f":{_bind_port(node)}"]
    return True


def _set_bind_port(node: Bind, value: Any) -> bool:
    port = str(value).strip()
    if len(node.addresses) != 1 or not (port.isdigit() and int(port) <= kw.PORT_RANGE[1]):
        return False
    host = split_host_port(node.addresses[0])[0]
    node.addresses = [join_host_port(host, port) if host else f":{port}"]
    return True


def _bind_cert(node: Bind) -> str:
    return ", ".join(node.certificates)


def _set_bind_cert(node: Bind, value: Any) -> bool:
    path = str(value).strip()
    node.remove_option("crt")
    if path:
        node.set_option("crt", path)
    return True


def _bind_alpn(node: Bind) -> str:
    args = node.option("alpn")
    return args[0] if args else ""


def _set_bind_alpn(node: Bind, value: Any) -> bool:
    text = str(value).strip()
    if text:
        node.set_option("alpn", text)
    else:
        node.remove_option("alpn")
    return True


# Options with a column of their own; the "Other options" column holds the rest as written.
_BIND_COLUMNS = frozenset({"ssl", "crt", "alpn"})


def _bind_other(node: Bind) -> str:
    return " ".join(w for opt in node.options if opt[0] not in _BIND_COLUMNS for w in opt)


def _bind_other_problem(text: str) -> str | None:
    options = _parsed_options(text)
    unknown = [o[0] for o in options if o[0] not in kw.BIND_OPTIONS]
    if unknown:
        hint = kw.suggest(unknown[0], kw.BIND_OPTIONS)
        return f"unknown bind option '{unknown[0]}'" + (f"; did you mean '{hint}'?" if hint else "")
    missing = [o[0] for o in options if len(o) - 1 < kw.BIND_OPTIONS[o[0]].nargs]
    return f"'{missing[0]}' expects a value" if missing else None


def _parsed_options(text: str) -> list[list[str]]:
    """Options typed as text, grouped as the parser groups a bind line's (registry arity)."""
    return Bind.from_words(["bind", "x", *split_words(text)]).options


def _set_bind_other(node: Bind, value: Any) -> bool:
    others = _parsed_options(str(value))
    kept = [opt for opt in node.options if opt[0] in _BIND_COLUMNS]
    node.options[:] = [*kept, *others]
    return True


class BindsModel(SectionTableModel):
    columns = (
        Column("Address", _bind_host, _set_bind_host, "Address to listen on; * means all addresses"),
        Column("Port", _bind_port, _set_bind_port, "TCP port; 0 picks a free one when the engine starts",
               lambda t: None if t.strip() == "0" else port_problem(t)),
        Column("TLS", _flag("ssl"), _store_flag("ssl"), _option_tip(kw.BIND_OPTIONS, "ssl")),
        Column("Certificate", _bind_cert, _set_bind_cert, _option_tip(kw.BIND_OPTIONS, "crt")),
        Column("ALPN", _bind_alpn, _set_bind_alpn,
               _option_tip(kw.BIND_OPTIONS, "alpn") + " (e.g. h2,http/1.1)",
               lambda t: "ALPN protocols are one word, comma-separated (h2,http/1.1)"
               if any(c.isspace() for c in t.strip()) else None),
        Column("Other options", _bind_other, _set_bind_other,
               "The bind line's other options as written (e.g. ssl-min-ver TLSv1.2 accept-proxy)",
               _bind_other_problem),
    )

    def accepts(self, node: Node) -> bool:
        return isinstance(node, Bind)


# --- ACLs --------------------------------------------------------------------------------------


def _set_acl_name(node: Acl, value: Any) -> bool:
    name = str(value).strip()
    if not name or any(c.isspace() for c in name):
        return False
    node.name = name
    return True


def _set_acl_fetch(node: Acl, value: Any) -> bool:
    fetch = str(value).strip()
    if not fetch or any(c.isspace() for c in fetch):
        return False
    node.fetch = fetch
    return True


def _set_acl_matcher(node: Acl, value: Any) -> bool:
    matcher = str(value).strip()
    node.flags = [f for f in node.flags if f[0] != "-m"]
    if matcher:
        node.flags.insert(0, ["-m", matcher])
    return True


def _set_acl_ignore_case(node: Acl, value: Any) -> bool:
    node.flags = [f for f in node.flags if f[0] != "-i"]
    if value:
        node.flags.insert(0, ["-i"])
    return True


def _set_acl_patterns(node: Acl, value: Any) -> bool:
    node.patterns = split_words(str(value))
    return True


def set_acl_fields(node: Acl, *, matcher: str, ignore_case: bool, patterns: str) -> None:
    """Write the composer's fields into an ACL node (flags in HAProxy's usual order)."""
    _set_acl_matcher(node, matcher)
    _set_acl_ignore_case(node, ignore_case)
    _set_acl_patterns(node, patterns)


class AclsModel(SectionTableModel):
    columns = (
        Column("Name", lambda n: n.name, _set_acl_name, "The ACL's name, used in conditions",
               lambda t: name_problem(t, "ACL name")),
        Column("Fetch", lambda n: n.fetch, _set_acl_fetch, "What to look at in the request (§7.3)"),
        Column("Matcher", lambda n: n.matcher or "", _set_acl_matcher,
               "How patterns match (-m); empty: the fetch's own matching"),
        Column("-i", lambda n: n.ignore_case, _set_acl_ignore_case, "Ignore case when matching"),
        Column("Patterns", lambda n: " ".join(n.patterns), _set_acl_patterns,
               "Values to match; any one matching is enough"),
    )

    def accepts(self, node: Node) -> bool:
        return isinstance(node, Acl)

    def tooltip(self, row: int, column: int) -> str:
        node: Acl = self.node(row)
        if self.columns[column].header == "Fetch":
            fetch = kw.FETCHES.get(node.fetch.split("(", 1)[0])
            if fetch is not None:
                return f"{fetch.name}{fetch.args}: {fetch.doc} (matches with -m {fetch.default_match})"
        if self.columns[column].header == "Matcher" and node.matcher in kw.MATCHERS:
            return kw.MATCHERS[node.matcher]
        return super().tooltip(row, column)


# --- rules ---------------------------------------------------------------------------------------


def rule_summary(node: Node) -> str:
    """``http-request deny`` / ``use_backend light``: the rule without its condition."""
    if isinstance(node, UseBackend):
        return f"use_backend {node.backend}"
    if isinstance(node, Rule):
        words = node.to_words()
        cond = node.condition.to_words() if node.condition else []
        return " ".join(words[: len(words) - len(cond)])
    return " ".join(node.to_words())


def _condition_text(node: Any) -> str:
    cond: Condition | None = node.condition
    return " ".join(cond.to_words()) if cond else "always"


def _action_doc(node: Node) -> str:
    if isinstance(node, UseBackend):
        return kw.KEYWORDS["use_backend"].doc
    if isinstance(node, Rule):
        table = {"http-request": kw.HTTP_REQUEST_ACTIONS, "http-response": kw.HTTP_RESPONSE_ACTIONS}
        actions = table.get(node.family) or kw.TCP_REQUEST_ACTIONS.get(node.stage, {})
        return actions.get(node.action.split("(", 1)[0], "")
    return ""


class RulesModel(SectionTableModel):
    """The ordered rules of a frontend: ``tcp-request``/``http-request`` rules and ``use_backend``.

    HAProxy runs each family in file order (all tcp-request, then http-request, then
    use_backend), so order matters within a family; ``move_row`` reorders in the file."""

    columns = (
        Column("Rule", rule_summary, None, "What happens"),
        Column("Condition", _condition_text, None, "When it happens"),
    )

    def accepts(self, node: Node) -> bool:
        return isinstance(node, UseBackend) or (
            isinstance(node, Rule) and node.family in ("http-request", "tcp-request"))

    def tooltip(self, row: int, column: int) -> str:
        return _action_doc(self.node(row)) if column == 0 else super().tooltip(row, column)


def section_of(model: SectionTableModel) -> Section | None:
    return model.document.config.find(model.kind, model.name)
