"""The userlist editor: the users and groups HTTP basic authentication checks.

Theory of operation
-------------------
``UserlistEditor`` shows one ``userlist`` section as two tables (``UsersModel``:
name, groups, how the password is stored; ``GroupsModel``: name, members), a
checkable "Member of" list for the selected user, and the problems the engine
and HAProxy would report, inline.  Every button runs one function of
``userlist_model`` inside ``Document.edit``, so each change is one undo step
and only the lines it concerns are rewritten.

Secrets never reach the screen: the tables say *how* a password is stored
("hashed (SHA-512)", "clear text (insecure)"), never the hash or the text, and
``PasswordDialog`` uses password-echo fields.  A new password is hashed with
SHA-512 crypt in the GUI thread (~10 ms) unless the user explicitly asks for
``insecure-password``.

Like every editor, it keeps the section's (kind, name) key, never the
``Section``: undo replaces the whole ``Config``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.document import Document
from gui.editors import userlist_model as ul
from gui.editors.widgets import SPACING, row_table
from gui.models import HeadedTableModel
from proxy.config.edit import valid_section_name
from proxy.config.model import Config, Section

__all__ = [
    "GroupsModel",
    "PasswordDialog",
    "UserlistEditor",
    "UsersModel",
    "new_userlist",
    "password_strength",
    "valid_user_name",
]

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
# User names end up in comma lists (``users a,b``): keep them plain.  HAProxy itself does
# not check them (an e-mail address is a fine user name); userlist and group names follow
# HAProxy's own rule, valid_section_name.
_USER_NAME = re.compile(r"[A-Za-z0-9_.:@-]+")


def valid_user_name(name: str) -> bool:
    return bool(_USER_NAME.fullmatch(name))


def password_strength(password: str) -> str:
    """A short, honest hint; basic auth sends the password on every request, so length matters."""
    if not password:
        return ""
    kinds = sum(any(test(c) for c in password)
                for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum()))
    if len(password) < 8:
        return "Weak: fewer than 8 characters"
    if len(password) >= 16 or (len(password) >= 12 and kinds >= 3):
        return "Strong"
    return "Fair: 12+ characters with mixed kinds, or 16+, is better"


# --- table models ------------------------------------------------------------------------------


class _UserlistTable(HeadedTableModel):
    """Rows computed from the section on every document change (a reset: lists are short)."""


    def __init__(self, document: Document, name: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.name = document, name
        self._rows: list[tuple[str, ...]] = self._compute()
        document.changed.connect(self.reload)

    def section(self) -> Section | None:
        return self.document.config.find("userlist", self.name)

    def _compute(self) -> list[tuple[str, ...]]:
        section = self.section()
        return self.rows_of(section) if section is not None else []

    def rows_of(self, section: Section) -> list[tuple[str, ...]]:
        raise NotImplementedError

    def reload(self) -> None:
        self.beginResetModel()
        self._rows = self._compute()
        self.endResetModel()

    def name_at(self, row: int) -> str:
        return self._rows[row][0] if 0 <= row < len(self._rows) else ""

    def names(self) -> list[str]:
        return [r[0] for r in self._rows]

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.HEADERS):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        return None



class UsersModel(_UserlistTable):
    HEADERS = ("User", "Groups", "Password")

    def rows_of(self, section: Section) -> list[tuple[str, ...]]:
        return [(user, ", ".join(ul.groups_of(section, user)), ul.password_kind(section, user))
                for user in ul.user_names(section)]


class GroupsModel(_UserlistTable):
    HEADERS = ("Group", "Members")

    def rows_of(self, section: Section) -> list[tuple[str, ...]]:
        return [(group, ", ".join(ul.members_of(section, group)))
                for group in ul.group_names(section)]


# --- the password dialog ---------------------------------------------------------------------------


class PasswordDialog(QDialog):
    """Password twice, a strength hint, and an opt-in to store it as clear text."""

    def __init__(self, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Set password for {user}")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = QLabel()
        self.mismatch = QLabel()
        self.insecure = QCheckBox("Store as clear text (insecure-password)")
        self.insecure.setToolTip("Anyone who can read haproxy.cfg can read the password. "
                                 "Off: it is stored as a SHA-512 hash.")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Password", self.password)
        form.addRow("Confirm", self.confirm)
        form.addRow("", self.strength)
        form.addRow("", self.mismatch)
        form.addRow("", self.insecure)
        form.addRow(self.buttons)
        self.password.textChanged.connect(self._check)
        self.confirm.textChanged.connect(self._check)
        self.setMinimumWidth(380)
        self._check()

    def _check(self) -> None:
        text, again = self.password.text(), self.confirm.text()
        self.strength.setText(f"<small>{password_strength(text)}</small>" if text else "")
        self.mismatch.setText("<small>The two passwords differ</small>" if again and text != again else "")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(text) and text == again)

    def secret(self) -> str:
        return self.password.text()

    def clear_text(self) -> bool:
        return self.insecure.isChecked()


def ask_password(parent: QWidget, user: str) -> tuple[str, bool] | None:
    """(password, store as clear text) from a modal dialog, or None when cancelled."""
    dialog = PasswordDialog(user, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    result = (dialog.secret(), dialog.clear_text()) if accepted else None
    dialog.deleteLater()
    return result


def new_userlist(parent: QWidget, document: Document) -> str | None:
    """Ask for a name and add an empty userlist (one undo step); its name, or None."""
    taken = {s.name for s in document.config.of_kind("userlist")}
    name, ok = QInputDialog.getText(parent, "New userlist", "Name of the new userlist:",
                                    text="" if "users" in taken else "users")
    name = name.strip()
    if not ok or valid_section_name(name) is not None or name in taken:
        return None
    document.edit(f"Add userlist {name}", lambda config: _add(config, name))
    return name


def _add(config: Config, name: str) -> None:
    ul.add_userlist(config, name)


# --- the editor ------------------------------------------------------------------------------------


class UserlistEditor(QWidget):
    def __init__(self, document: Document, name: str | None) -> None:
        super().__init__()
        self.document, self.kind, self.name = document, "userlist", name
        self.setMinimumSize(640, 480)
        title = QLabel(f"<h3>userlist {name or ''}</h3>")
        # One line, not word-wrapped: a wrapping label makes the editor area size the editor
        # by its preferred height, and the groups table would scroll out of view at 1280x800.
        intro = QLabel("<small>Who may log in where a frontend requires a password (its "
                       f"<b>Password</b> tab, or <code>http_auth({name or ''})</code> ACLs).</small>")
        self.new_userlist_button = QPushButton("New userlist…")
        self.new_userlist_button.clicked.connect(self.add_userlist)
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(self.new_userlist_button)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("userlist-problems")
        self.problems.setStyleSheet("color: #c62828")
        top = QHBoxLayout()
        top.setSpacing(SPACING)
        top.addWidget(self._users_box(), 3)
        top.addWidget(self._membership_box(), 1)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(intro)
        layout.addLayout(top, 3)
        layout.addWidget(self._groups_box(), 2)
        layout.addWidget(self.problems)
        document.changed.connect(self.refresh)
        self.refresh()

    def section(self, config: Config | None = None) -> Section | None:
        return (config or self.document.config).find("userlist", self.name)

    # -- layout ---------------------------------------------------------------------
    def _users_box(self) -> QGroupBox:
        box = QGroupBox("Users")
        self.users = UsersModel(self.document, self.name, self)
        self.users_table = row_table(self.users, stretch=1, min_height=120)
        self.users_table.horizontalHeader().setMinimumSectionSize(90)  # "User" is not cramped
        self.users_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.users_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.users_table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show_membership())
        self.users_table.doubleClicked.connect(lambda _index: self.set_password())
        self.users_table.setToolTip("Double-click a user to set its password")
        self.new_user = QLineEdit()
        self.new_user.setPlaceholderText("new user name")
        self.add_user_button = QPushButton("Add user…")
        self.add_user_button.setToolTip("Add the user, then choose its password")
        self.add_user_button.clicked.connect(self.add_user)
        self.new_user.returnPressed.connect(self.add_user)
        self.password_button = QPushButton("Set password…")
        self.password_button.clicked.connect(self.set_password)
        self.remove_user_button = QPushButton("Remove user")
        self.remove_user_button.clicked.connect(self.remove_user)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_user, 1)
        buttons.addWidget(self.add_user_button)
        buttons.addSpacing(SPACING)
        buttons.addWidget(self.password_button)
        buttons.addWidget(self.remove_user_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.users_table, 1)
        layout.addLayout(buttons)
        return box

    def _membership_box(self) -> QGroupBox:
        self.membership_box = QGroupBox("Member of")
        self.membership = QListWidget()
        self.membership.setMinimumWidth(150)
        self.membership.itemChanged.connect(self._membership_changed)
        self.membership_hint = QLabel()  # short texts, no word wrap (see the intro label)
        layout = QVBoxLayout(self.membership_box)
        layout.addWidget(self.membership, 1)
        layout.addWidget(self.membership_hint)
        return self.membership_box

    def _groups_box(self) -> QGroupBox:
        box = QGroupBox("Groups")
        box.setToolTip("Groups let an ACL admit only some users: http_auth_group(list) group1 group2")
        self.groups = GroupsModel(self.document, self.name, self)
        self.groups_table = row_table(self.groups, stretch=1, min_height=80)
        self.groups_table.horizontalHeader().setMinimumSectionSize(90)
        self.groups_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.new_group = QLineEdit()
        self.new_group.setPlaceholderText("new group name")
        self.add_group_button = QPushButton("Add group")
        self.add_group_button.clicked.connect(self.add_group)
        self.new_group.returnPressed.connect(self.add_group)
        self.remove_group_button = QPushButton("Remove group")
        self.remove_group_button.clicked.connect(self.remove_group)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_group, 1)
        buttons.addWidget(self.add_group_button)
        buttons.addSpacing(SPACING)
        buttons.addWidget(self.remove_group_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.groups_table, 1)
        layout.addLayout(buttons)
        return box

    # -- state ------------------------------------------------------------------------
    def refresh(self) -> None:
        section = self.section()
        found = ul.problems(section) if section is not None else []
        self.problems.setText("\n".join(f"⚠ {p}" for p in found))
        self.problems.setVisible(bool(found))
        selected = self.selected_user() != ""
        self.password_button.setEnabled(selected)
        self.remove_user_button.setEnabled(selected)
        self._show_membership()

    def selected_user(self) -> str:
        return self.users.name_at(self.users_table.currentIndex().row())

    def selected_group(self) -> str:
        return self.groups.name_at(self.groups_table.currentIndex().row())

    def select_user(self, name: str) -> None:
        if name in self.users.names():
            self.users_table.selectRow(self.users.names().index(name))

    def _show_membership(self) -> None:
        section, user = self.section(), self.selected_user()
        self.password_button.setEnabled(bool(user))
        self.remove_user_button.setEnabled(bool(user))
        groups = ul.group_names(section) if section is not None and user else []
        mine = set(ul.groups_of(section, user)) if section is not None and user else set()
        self.membership.blockSignals(True)  # filling the list is not the user ticking boxes
        # Same groups: update the ticks in place, since this runs inside the list's own
        # itemChanged when a tick is the edit, and deleting that item there is unsafe.
        if [self.membership.item(i).text() for i in range(self.membership.count())] != groups:
            self.membership.clear()
            for group in groups:
                item = QListWidgetItem(group)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                self.membership.addItem(item)
        for i in range(self.membership.count()):
            item = self.membership.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in mine else Qt.CheckState.Unchecked)
        self.membership.blockSignals(False)
        self.membership_box.setTitle(f"{user} is member of" if user else "Member of")
        hint = ("Select a user." if not user else
                "No groups yet: add one below." if self.membership.count() == 0 else "")
        self.membership_hint.setText(f"<small>{hint}</small>" if hint else "")

    # -- actions ------------------------------------------------------------------------
    def _edit(self, description: str, change: Callable[[Section], None]) -> None:
        def mutate(config: Config) -> None:
            section = self.section(config)
            if section is not None:
                change(section)

        self.document.edit(f"{description} (userlist {self.name or ''})", mutate)

    def _name_problem(self, name: str, taken: list[str], what: str) -> str:
        if what == "user":
            if not valid_user_name(name):
                return f"'{name}' is not a valid user name (letters, digits, _ . : @ -)"
        else:
            problem = valid_section_name(name)
            if problem is not None:
                return f"'{name}' is not a valid {what} name: {problem}"
        if name in taken:
            return f"there is already a {what} '{name}'"
        return ""

    def _say(self, message: str) -> None:
        """An inline complaint about what was typed (the config's problems follow it)."""
        section = self.section()
        found = ul.problems(section) if section is not None else []
        self.problems.setText("\n".join(f"⚠ {p}" for p in [message, *found]))
        self.problems.setVisible(True)

    def add_user(self) -> None:
        section = self.section()
        name = self.new_user.text().strip()
        if section is None or not name:
            return
        problem = self._name_problem(name, ul.user_names(section), "user")
        if problem:
            self._say(problem)
            return
        answer = ask_password(self, name)
        if answer is None:
            return
        password, clear = answer
        self._edit(f"Add user {name}", lambda s: ul.add_user(s, name, password, insecure=clear))
        self.new_user.clear()
        self.select_user(name)

    def set_password(self) -> None:
        user = self.selected_user()
        if not user:
            return
        answer = ask_password(self, user)
        if answer is None:
            return
        password, clear = answer
        self._edit(f"Set password of {user}", lambda s: ul.set_password(s, user, password, insecure=clear))
        self.select_user(user)

    def remove_user(self) -> None:
        user = self.selected_user()
        if user:
            self._edit(f"Remove user {user}", lambda s: ul.remove_user(s, user))

    def add_group(self) -> None:
        section = self.section()
        name = self.new_group.text().strip()
        if section is None or not name:
            return
        problem = self._name_problem(name, ul.group_names(section), "group")
        if problem:
            self._say(problem)
            return
        user = self.selected_user()
        self._edit(f"Add group {name}", lambda s: ul.add_group(s, name))
        self.new_group.clear()
        self.select_user(user)

    def remove_group(self) -> None:
        group, user = self.selected_group(), self.selected_user()
        if group:
            self._edit(f"Remove group {group}", lambda s: ul.remove_group(s, group))
            self.select_user(user)

    def _membership_changed(self, _item: QListWidgetItem) -> None:
        user = self.selected_user()
        if not user:
            return
        wanted = [self.membership.item(i).text() for i in range(self.membership.count())
                  if self.membership.item(i).checkState() == Qt.CheckState.Checked]
        self._edit(f"Set groups of {user}", lambda s: ul.set_user_groups(s, user, wanted))
        self.select_user(user)

    def add_userlist(self) -> None:
        name = new_userlist(self, self.document)
        select = getattr(self.window(), "select_section", None)  # the main window, when there is one
        if name is not None and callable(select):
            select(("userlist", name))
