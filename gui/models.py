"""Item models over the document: the section tree and the diagnostics table.

The tree has two levels: fixed groups (Frontends, Backends, Listen, Users,
Other sections) and, under each, the sections of that kind in file order.  A section
row carries its (kind, name) key in ``KEY_ROLE`` - never the ``Section``
object, because undo replaces the whole model.  Both models simply reset on
every document change: configs have tens of sections, a reset is instant,
and the main window restores the selection by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from gui.document import Document
from gui.theme import icon
from proxy.config.assist import marker_kind
from proxy.config.model import Diagnostic

__all__ = ["DIAGNOSTIC_ROLE", "KEY_ROLE", "ConfigTreeModel", "DiagnosticsModel"]

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
DIAGNOSTIC_ROLE = Qt.ItemDataRole.UserRole + 2
SectionKey = tuple[str, str | None]
AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invisible root; Qt's default argument for parent indexes


@dataclass(frozen=True)
class _Group:
    title: str
    kinds: tuple[str, ...]  # () = every kind not claimed by another group
    icon_name: str
    add_kind: str | None  # what "Add" creates when this group is selected


GROUPS: tuple[_Group, ...] = (
    _Group("Frontends", ("frontend",), "frontend", "frontend"),
    _Group("Backends", ("backend",), "backend", "backend"),
    _Group("Listen", ("listen",), "listen", "listen"),
    # userlist sections: the users and groups HTTP basic auth checks (gui/editors/userlist.py)
    _Group("Users", ("userlist",), "userlist", "userlist"),
    _Group("Other sections", (), "section", None),
)
_CLAIMED = {kind for group in GROUPS for kind in group.kinds}
_KIND_ICONS = {"frontend": "frontend", "backend": "backend", "listen": "listen", "userlist": "userlist"}


def section_label(kind: str, name: str | None) -> str:
    return name if name and kind in _CLAIMED else f"{kind} {name or ''}".strip()


class ConfigTreeModel(QAbstractItemModel):
    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self._document = document
        self._rows: list[list[SectionKey]] = []
        self._rebuild()
        document.changed.connect(self.reload)

    def _rebuild(self) -> None:
        rows: list[list[SectionKey]] = [[] for _ in GROUPS]
        for section in self._document.config.sections:
            group = next(
                (i for i, g in enumerate(GROUPS) if section.kind in g.kinds), len(GROUPS) - 1
            )
            rows[group].append((section.kind, section.name))
        self._rows = rows

    def reload(self) -> None:
        self.beginResetModel()
        self._rebuild()
        self.endResetModel()

    # -- lookup -------------------------------------------------------------------------
    def index_of(self, key: SectionKey) -> QModelIndex:
        for group, keys in enumerate(self._rows):
            if key in keys:
                return self.index(keys.index(key), 0, self.index(group, 0))
        return QModelIndex()

    def group_of(self, index: AnyIndex) -> _Group | None:
        if not index.isValid():
            return None
        group = index.row() if index.internalId() == 0 else index.internalId() - 1
        return GROUPS[group]

    # -- QAbstractItemModel ----------------------------------------------------------------
    def index(self, row: int, column: int, parent: AnyIndex = _ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: AnyIndex = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        if not parent.isValid():
            return len(GROUPS)
        if parent.column() != 0 or parent.internalId() != 0:
            return 0
        return len(self._rows[parent.row()])

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 1

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._group_data(GROUPS[index.row()], index.row(), role)
        kind, name = self._rows[index.internalId() - 1][index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return section_label(kind, name)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{kind} {name or ''}".strip()
        if role == Qt.ItemDataRole.DecorationRole:
            return icon(_KIND_ICONS.get(kind, "section"))
        if role == KEY_ROLE:
            return (kind, name)
        return None

    def _group_data(self, group: _Group, row: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{group.title} ({len(self._rows[row])})"
        if role == Qt.ItemDataRole.DecorationRole:
            return icon(group.icon_name)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and section == 0:
            return "Configuration"
        return None




class HeadedTableModel(QAbstractTableModel):
    """A flat table whose columns are ``HEADERS``: the column count and the header texts
    every such model of the app shares."""

    HEADERS: tuple[str, ...] = ()

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None


class DiagnosticsModel(HeadedTableModel):
    """Severity, line, message; ``DIAGNOSTIC_ROLE`` gives the ``Diagnostic`` itself."""

    HEADERS = ("Severity", "Line", "Message")

    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self._document = document
        self._items: list[Diagnostic] = list(document.diagnostics)
        # What the engine (or HAProxy) said when it refused the text: shown until the
        # text changes or a start/apply succeeds, after the validator's own findings.
        self._refusal: list[Diagnostic] = []
        document.diagnosticsChanged.connect(self._text_changed)

    @property
    def items(self) -> list[Diagnostic]:
        return list(self._items)

    def show_refusal(self, diagnostics: list[Diagnostic]) -> None:
        self._refusal = list(diagnostics)
        self.reload()

    def _text_changed(self) -> None:
        self._refusal = []
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        own = list(self._document.diagnostics)
        self._items = own + [d for d in self._refusal if d not in own]
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        diagnostic = self._items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (diagnostic.severity, str(diagnostic.line), diagnostic.message)[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return icon(marker_kind(diagnostic))  # the text view's gutter shows the same mark
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(diagnostic)
        if role == DIAGNOSTIC_ROLE:
            return diagnostic
        return None



