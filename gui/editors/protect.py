"""Protect a frontend (or listen) with a password: the "Password" tab.

Theory of operation
-------------------
HAProxy has no "password" switch: basic authentication is two lines that
the user must write in the right order::

    acl authorized_staff http_auth(staff)
    http-request auth realm 'Staff only' if { path_beg /admin } !authorized_staff

``find_protection`` recognises exactly that canonical pair (an ``http-request
auth`` whose condition is an optional ``{ path_beg ... }`` followed by a
negated ACL defined as ``http_auth(<userlist>)``), so the tab shows a config
the user wrote by hand too, as long as it has that shape; anything else is
left alone and shown in the Rules tab as usual.

``protect`` writes the pair with the rule *first* among the http-request
rules: HAProxy runs them in file order, and a ``deny``/``return``/``redirect``
above it would answer before the password is asked.  The ACL is placed with
the other ACLs (and moved above the rule if the file had rules before its
ACLs: HAProxy refuses an ACL used before it is declared).  ``unprotect``
removes the rule and the ACL when nothing else uses it.  Both run inside
``Document.edit``, so each click is one undo step.

For a section that serves HAProxy's stats page, ``stats auth USER:PASSWORD``
(the stats page's own, clear-text, login) is offered in the same tab.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

from gui.editors import userlist_model as ul
from gui.editors.inherit import inherited_mode
from gui.editors.userlist import new_userlist
from gui.editors.widgets import SectionEditor, split_words
from proxy.config.directives import StatsLine
from proxy.config.edit import place_node
from proxy.config.model import Section, Statement
from proxy.config.nodes import Acl, Condition, NodeError, Rule

__all__ = [
    "EVERYTHING",
    "PATHS",
    "PasswordTab",
    "Protection",
    "find_protection",
    "protect",
    "set_stats_auth",
    "unprotect",
]

EVERYTHING = "every request"
PATHS = "paths starting with"
_ACL_CHARS = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass(frozen=True)
class Protection:
    userlist: str
    realm: str = ""
    paths: tuple[str, ...] = ()  # () = every request
    acl: str = ""  # the http_auth ACL's name; chosen by ``protect`` when empty


# --- reading ---------------------------------------------------------------------------------


def _auth_acls(section: Section) -> dict[str, str]:
    """ACL name -> userlist, for ACLs that are exactly ``http_auth(<userlist>)``."""
    found: dict[str, str] = {}
    for acl in section.acls:
        match = re.fullmatch(r"http_auth\(([^,()]+)\)", acl.fetch)
        if match and not acl.flags and not acl.patterns:
            found.setdefault(acl.name, match[1])
    return found


def _is_auth_rule(node: object) -> bool:
    return isinstance(node, Rule) and node.family == "http-request" and node.action == "auth"


def _read_rule(rule: Rule, acls: dict[str, str]) -> Protection | None:
    if rule.condition is None or rule.condition.kind != "if":
        return None
    if rule.args and not (len(rule.args) == 2 and rule.args[0] == "realm"):
        return None
    try:
        groups = rule.condition.groups()
    except NodeError:
        return None
    if len(groups) != 1 or not 1 <= len(groups[0]) <= 2:
        return None
    *scope, check = groups[0]
    if not check.negated or check.name not in acls:
        return None
    paths: tuple[str, ...] = ()
    if scope:
        words = scope[0].anonymous
        if scope[0].negated or not words or words[0] != "path_beg" or len(words) < 2:
            return None
        paths = tuple(words[1:])
    realm = rule.args[1] if rule.args else ""
    return Protection(acls[check.name], realm, paths, check.name)


def find_protection(section: Section) -> tuple[Protection, Statement] | None:
    """The section's canonical password protection and its rule's statement, if it has one."""
    acls = _auth_acls(section)
    for stmt in section.body:
        if _is_auth_rule(stmt.node):
            assert isinstance(stmt.node, Rule)
            found = _read_rule(stmt.node, acls)
            if found is not None:
                return found, stmt
    return None


# --- writing ---------------------------------------------------------------------------------


def _acl_name(section: Section, userlist: str) -> str:
    """``authorized_<userlist>``, or the existing ACL that already says exactly that."""
    existing = [name for name, target in _auth_acls(section).items() if target == userlist]
    if existing:
        return existing[0]
    base = "authorized_" + _ACL_CHARS.sub("_", userlist)
    taken = {a.name for a in section.acls}
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _first_http_request(section: Section) -> int | None:
    return next((i for i, s in enumerate(section.body)
                 if isinstance(s.node, Rule) and s.node.family == "http-request"), None)


def protect(section: Section, wanted: Protection) -> None:
    """Write (or rewrite) the canonical pair; the rule goes first among http-request rules."""
    unprotect(section)
    acl = _acl_name(section, wanted.userlist)
    if acl not in {a.name for a in section.acls}:
        place_node(section, Acl(acl, f"http_auth({wanted.userlist})"))
    scope = ["{", "path_beg", *wanted.paths, "}"] if wanted.paths else []
    rule = Rule("http-request", "", "auth", ["realm", wanted.realm] if wanted.realm else [],
                Condition("if", [*scope, f"!{acl}"]))
    first = _first_http_request(section)
    if first is None:
        place_node(section, rule)
        return
    acl_stmt = next(s for s in section.body if isinstance(s.node, Acl) and s.node.name == acl)
    if section.body.index(acl_stmt) > first:  # declared after the rules: HAProxy would refuse it
        section.body.remove(acl_stmt)
        section.body.insert(first, acl_stmt)
        first += 1
    section.body.insert(first, Statement(rule))


def _acl_used(section: Section, name: str) -> bool:
    for stmt in section.body:
        node = stmt.node
        condition = getattr(node, "condition", None)
        if isinstance(condition, Condition) and any(n == name for _i, n in condition.acl_names()):
            return True
    return False


def unprotect(section: Section) -> None:
    found = find_protection(section)
    if found is None:
        return
    protection, stmt = found
    section.remove(stmt)
    if not _acl_used(section, protection.acl):
        for acl_stmt in [s for s in section.body if isinstance(s.node, Acl) and s.node.name == protection.acl]:
            section.remove(acl_stmt)


def serves_stats(section: Section) -> bool:
    return any(isinstance(s.node, StatsLine) and s.node.directive in ("enable", "uri")
               for s in section.body)


def stats_login(section: Section) -> tuple[str, str] | None:
    found = [s.node.credentials for s in section.body
             if isinstance(s.node, StatsLine) and s.node.directive == "auth"]
    return found[0] if found else None


def set_stats_auth(section: Section, user: str, password: str) -> None:
    """One ``stats auth USER:PASSWORD`` (replacing the first one in place), or none when empty."""
    lines = [s for s in section.body if isinstance(s.node, StatsLine) and s.node.directive == "auth"]
    if not user:
        for stmt in lines:
            section.remove(stmt)
        return
    if lines:
        lines[0].node = StatsLine("auth", [f"{user}:{password}"])
        return
    anchor = [s for s in section.body if isinstance(s.node, StatsLine)]
    new = Statement(StatsLine("auth", [f"{user}:{password}"]))
    section.body.insert(section.body.index(anchor[-1]) + 1 if anchor else section.insertion_point(), new)


# --- the tab -----------------------------------------------------------------------------------


class PasswordTab(QWidget):
    """Require a password for a frontend/listen, for everything or for some paths."""

    def __init__(self, editor: SectionEditor) -> None:
        super().__init__()
        self.editor = editor
        document = editor.document
        self.userlist = QComboBox()
        self.userlist.setMinimumContentsLength(14)
        self.userlist.setToolTip("The userlist whose users may log in")
        self.new_userlist_button = QPushButton("New userlist…")
        self.new_userlist_button.clicked.connect(self.add_userlist)
        self.edit_users_button = QPushButton("Edit users…")
        self.edit_users_button.setToolTip("Open the userlist to add users and set passwords")
        self.edit_users_button.clicked.connect(self.open_userlist)
        self.scope = QComboBox()
        self.scope.addItems([EVERYTHING, PATHS])
        self.paths = QLineEdit()
        self.paths.setPlaceholderText("/admin /private")
        self.paths.setToolTip("Path prefixes, separated by blanks (path_beg)")
        self.scope.currentTextChanged.connect(lambda text: self.paths.setEnabled(text == PATHS))
        self.paths.setEnabled(False)
        self.realm = QLineEdit()
        self.realm.setPlaceholderText(f"{editor.name or ''} (when empty, HAProxy uses the proxy's name)")
        self.realm.setToolTip("The name browsers show in their login prompt (realm)")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.protect_button = QPushButton("Require password")
        self.protect_button.clicked.connect(self.apply)
        self.remove_button = QPushButton("Remove password")
        self.remove_button.clicked.connect(self.remove)

        box = QGroupBox("Require a password")
        form = QFormLayout(box)
        who = QHBoxLayout()
        who.addWidget(self.userlist, 1)
        who.addWidget(self.new_userlist_button)
        who.addWidget(self.edit_users_button)
        form.addRow("Users from", who)
        scope = QHBoxLayout()
        scope.addWidget(self.scope)
        scope.addWidget(self.paths, 1)
        form.addRow("For", scope)
        form.addRow("Realm", self.realm)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.protect_button)
        form.addRow(buttons)
        form.addRow(self.status)
        explain = QLabel(
            "<small>Writes <code>acl … http_auth(list)</code> and <code>http-request auth</code> "
            "as the first http-request rule, so no deny or redirect rule can answer before the "
            "password is asked. Browsers send the password with every request: serve it over "
            "TLS outside your own machine.</small>")
        explain.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(explain)
        layout.addWidget(self._stats_box())
        layout.addStretch(1)
        document.changed.connect(self.refresh)
        self.refresh()

    def _stats_box(self) -> QGroupBox:
        self.stats_box = QGroupBox("Stats page login (stats auth)")
        self.stats_user = QLineEdit()
        self.stats_user.setPlaceholderText("user")
        self.stats_password = QLineEdit()
        self.stats_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.stats_password.setPlaceholderText("password (stored as clear text)")
        self.stats_button = QPushButton("Set login")
        self.stats_button.clicked.connect(self.apply_stats_login)
        self.stats_status = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.stats_user, 1)
        row.addWidget(self.stats_password, 1)
        row.addWidget(self.stats_button)
        layout = QVBoxLayout(self.stats_box)
        layout.addLayout(row)
        layout.addWidget(self.stats_status)
        return self.stats_box

    # -- state ------------------------------------------------------------------------------
    def _userlists(self) -> list[str]:
        return [s.name for s in self.editor.document.config.of_kind("userlist") if s.name]

    def refresh(self) -> None:
        section = self.editor.section()
        if section is None:
            return
        names = self._userlists()
        current = self.userlist.currentText()
        found = find_protection(section)
        if [self.userlist.itemText(i) for i in range(self.userlist.count())] != names:
            self.userlist.blockSignals(True)
            self.userlist.clear()
            self.userlist.addItems(names)
            self.userlist.blockSignals(False)
        if found is not None:
            protection = found[0]
            self.userlist.setCurrentText(protection.userlist)
            self.scope.setCurrentText(PATHS if protection.paths else EVERYTHING)
            self.paths.setText(" ".join(protection.paths))
            self.realm.setText(protection.realm)
        elif current in names:
            self.userlist.setCurrentText(current)
        self.protect_button.setText("Update" if found else "Require password")
        self.protect_button.setEnabled(bool(names))
        self.remove_button.setEnabled(found is not None)
        self.edit_users_button.setEnabled(bool(names))
        self.status.setText(self._status(section, found[0] if found else None, names))
        self.stats_box.setVisible(serves_stats(section))
        login = stats_login(section)
        if login is not None and not self.stats_user.hasFocus():
            self.stats_user.setText(login[0])
        self.stats_status.setText(
            f"<small>The stats page asks for {login[0]}'s password (stored as clear text). "
            "Empty user + Set login removes it.</small>" if login else
            "<small>The stats page is open to anyone who can reach it.</small>")

    def _status(self, section: Section, protection: Protection | None, names: list[str]) -> str:
        config = self.editor.document.config
        if protection is None:
            return ("No password needed." if names else
                    "No password needed. Create a userlist first: <b>New userlist…</b>")
        scope = (f"paths starting with {', '.join(protection.paths)}" if protection.paths
                 else "every request")
        verb = "need" if protection.paths else "needs"
        lines = [f"<b>Protected</b>: {scope} {verb} a user of <b>{protection.userlist}</b>."]
        target = config.find("userlist", protection.userlist)
        if target is None:
            lines.append(f"⚠ There is no userlist '{protection.userlist}'.")
        elif not ul.user_names(target):
            lines.append(f"⚠ No one can log in yet: add a user to '{protection.userlist}' (Edit users…).")
        mode = inherited_mode(config, section).value if section.mode is None else section.mode
        if mode != "http":
            lines.append("⚠ Passwords need mode http (General tab); in tcp mode the rule is ignored.")
        return "<br>".join(lines)

    # -- actions -------------------------------------------------------------------------------
    def wanted(self) -> Protection | None:
        userlist = self.userlist.currentText().strip()
        if not userlist:
            return None
        paths = tuple(split_words(self.paths.text())) if self.scope.currentText() == PATHS else ()
        return Protection(userlist, self.realm.text().strip(), paths)

    def apply(self) -> None:
        wanted = self.wanted()
        if wanted is None:
            return
        if self.scope.currentText() == PATHS and not wanted.paths:
            self.status.setText("⚠ Type the path prefixes to protect, e.g. /admin")
            return
        self.editor.edit("Require a password", lambda s: protect(s, wanted))

    def remove(self) -> None:
        self.editor.edit("Remove the password", unprotect)

    def add_userlist(self) -> None:
        name = new_userlist(self, self.editor.document)
        if name is not None:
            self.userlist.setCurrentText(name)

    def open_userlist(self) -> None:
        select = getattr(self.window(), "select_section", None)  # the main window, when there is one
        if callable(select) and self.userlist.currentText():
            select(("userlist", self.userlist.currentText()))

    def apply_stats_login(self) -> None:
        user, password = self.stats_user.text().strip(), self.stats_password.text()
        if user and (":" in user or not password):
            self.stats_status.setText("⚠ The stats login needs a user without ':' and a password.")
            return
        self.editor.edit("Set the stats login", lambda s: set_stats_auth(s, user, password))
        self.stats_password.clear()

