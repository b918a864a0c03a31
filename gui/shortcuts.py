"""Help > Keyboard shortcuts: every shortcut of the window's menus, read from the menus.

Read from the live QActions (not a hand-written list), so the list cannot drift from
what the keys do: an action added to a menu with a shortcut shows up by itself.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ShortcutsDialog", "plain_text", "shortcut_rows", "show_shortcuts"]

ShortcutRow = tuple[str, str, str]  # (menu path, action, keys)


def plain_text(text: str) -> str:
    """A menu text without its mnemonic marks ("Save &As…" -> "Save As…"; "&&" is an "&")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def shortcut_rows(window: QMainWindow) -> list[ShortcutRow]:
    """(menu path, action, keys) of every menu action that has a shortcut, in menu order."""
    rows: list[ShortcutRow] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu, f"{path} ▸ {plain_text(action.text())}")
            elif not action.isSeparator() and action.shortcuts():
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                                 for k in action.shortcuts())
                rows.append((path, plain_text(action.text()), keys))

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, plain_text(top.text()))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        note = QLabel("Every menu also opens with Alt and its underlined letter; "
                      "in a menu, the underlined letter picks an entry.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self.resize(self.sizeHint())

    def sizeHint(self) -> QSize:
        """Wide enough for every column, tall enough for every row, where the screen allows."""
        table = self.table
        width = sum(table.columnWidth(c) for c in range(3)) + 2 * table.frameWidth() + 48
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        height = rows + table.horizontalHeader().height() + 2 * table.frameWidth() + 110
        screen = self.screen().availableGeometry()
        return QSize(min(width, screen.width() - 40), min(height, screen.height() - 80))


def show_shortcuts(window: QMainWindow) -> None:
    ShortcutsDialog(window).exec()
