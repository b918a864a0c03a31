"""Protect a frontend (or listen) with a password: the "Password" tab.

Theory of operation
-------------------
HAProxy has no "password" switch: basic authentication is two lines that
the user must write in the right order::

    acl authorized_staff http_auth(staff)
    http-request auth realm 'Staff only' if { path_beg /admin } !authorized_staff

``find_protection`` recognises that pair and the equivalent ways people
write it by hand, so the tab shows (and edits) a rule it did not write:

* any realm, or none;
* the password check as a negated ACL defined as ``http_auth(<userlist>)``
  (``!auth_ok``), as an inline ``!{ http_auth(<userlist>) }``, or as
  ``unless auth_ok``;
* optionally scoped, before or after the check, by an inline
  ``{ path_beg ... }`` or by a named ACL that tests path prefixes
  (``acl path_admin path_beg /admin`` or ``path -m beg /admin``).

Anything else is left alone and shown in the Rules tab as usual.  When the
section already has such a rule, ``protect`` edits *that* rule in place
(realm, userlist, paths) -- it never adds a second one -- and keeps the
user's spelling where the value did not change: the same ACL names, the same
order of terms; a changed path list goes into the path ACL when only this
rule uses it.  Otherwise it writes the canonical pair with the rule *first*
among the http-request rules: HAProxy runs them in file order, and a
``deny``/``return``/``redirect`` above it would answer before the password
is asked.  The ACL is placed with the other ACLs (and moved above the rule
if the file had rules before its ACLs: HAProxy refuses an ACL used before it
is declared).  ``unprotect`` removes the rule and its ``http_auth`` ACL when
nothing else uses it.  Both run inside ``Document.edit``, so each click is
one undo step.

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
from proxy.config.nodes import Acl, Condition, NodeError, Rule, Term

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
    acl: str = ""  # the http_auth ACL's name; chosen by ``protect`` when empty ("" when inline)
    path_acl: str = ""  # the named ACL that scopes the rule to ``paths``, if it is written so


# --- reading ---------------------------------------------------------------------------------

_HTTP_AUTH = re.compile(r"http_auth\(([^,()]+)\)")


def _auth_acls(section: Section) -> dict[str, str]:
    """ACL name -> userlist, for ACLs that are exactly ``http_auth(<userlist>)``."""
    found: dict[str, str] = {}
    for acl in section.acls:
        match = _HTTP_AUTH.fullmatch(acl.fetch)
        if match and not acl.flags and not acl.patterns:
            found.setdefault(acl.name, match[1])
    return found


def _path_acls(section: Section) -> dict[str, tuple[str, ...]]:
    """ACL name -> path prefixes, for ACLs that only test prefixes of the path (one line each:
    an ACL spread over several lines is an OR the tab does not show)."""
    lines: dict[str, list[Acl]] = {}
    for acl in section.acls:
        lines.setdefault(acl.name, []).append(acl)
    found: dict[str, tuple[str, ...]] = {}
    for name, acls in lines.items():
        acl = acls[0]
        prefix = (acl.fetch == "path_beg" and not acl.flags) or (
            acl.fetch == "path" and acl.flags == [["-m", "beg"]])
        if len(acls) == 1 and prefix and acl.patterns:
            found[name] = tuple(acl.patterns)
    return found


def _is_auth_rule(node: object) -> bool:
    return isinstance(node, Rule) and node.family == "http-request" and node.action == "auth"


def _check_term(term: Term, acls: dict[str, str]) -> tuple[str, str] | None:
    """(userlist, ACL name or "" when inline) of a *passing* password check ``term`` (not
    negated here; the caller has taken the ``!`` or the ``unless`` into account)."""
    if term.name is not None and term.name in acls:
        return acls[term.name], term.name
    words = term.anonymous or ()
    match = _HTTP_AUTH.fullmatch(words[0]) if len(words) == 1 else None
    return (match[1], "") if match else None


def _scope_term(term: Term, paths: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], str] | None:
    """(paths, path ACL name or "") of a scope ``term`` that tests path prefixes."""
    if term.negated:
        return None
    if term.name is not None:
        return (paths[term.name], term.name) if term.name in paths else None
    words = term.anonymous or ()
    if len(words) >= 2 and words[0] == "path_beg":
        return tuple(words[1:]), ""
    return None


def _read_rule(rule: Rule, section: Section) -> Protection | None:
    if rule.condition is None or (rule.args and not (len(rule.args) == 2 and rule.args[0] == "realm")):
        return None
    try:
        groups = rule.condition.groups()
    except NodeError:
        return None
    if len(groups) != 1 or not 1 <= len(groups[0]) <= 2:
        return None
    acls, paths = _auth_acls(section), _path_acls(section)
    realm = rule.args[1] if rule.args else ""
    terms = groups[0]
    if rule.condition.kind == "unless":  # "unless auth_ok": the check alone, not negated
        check = _check_term(terms[0], acls) if len(terms) == 1 and not terms[0].negated else None
        return Protection(check[0], realm, (), check[1]) if check else None
    checks = [(i, found) for i, t in enumerate(terms)
              if t.negated and (found := _check_term(t, acls)) is not None]
    if len(checks) != 1:
        return None
    at, (userlist, acl) = checks[0]
    scope: tuple[tuple[str, ...], str] | None = ((), "")
    if len(terms) == 2:
        scope = _scope_term(terms[1 - at], paths)
    if scope is None:
        return None
    return Protection(userlist, realm, scope[0], acl, scope[1])


def find_protection(section: Section) -> tuple[Protection, Statement] | None:
    """The section's password protection (canonical or an equivalent hand-written rule) and
    its rule's statement, if it has one."""
    for stmt in section.body:
        if _is_auth_rule(stmt.node):
            assert isinstance(stmt.node, Rule)
            found = _read_rule(stmt.node, section)
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
    """Edit the section's protection rule in place, or write the canonical pair when it has
    none; the new rule goes first among http-request rules."""
    found = find_protection(section)
    if found is not None:
        _update(section, found[0], found[1], wanted)
        return
    acl = _ensure_auth_acl(section, wanted.userlist)
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


def _ensure_auth_acl(section: Section, userlist: str) -> str:
    acl = _acl_name(section, userlist)
    if acl not in {a.name for a in section.acls}:
        place_node(section, Acl(acl, f"http_auth({userlist})"))
    return acl


def _used_elsewhere(section: Section, name: str, rule: Statement) -> bool:
    return any(_uses(stmt, name) for stmt in section.body if stmt is not rule)


def _uses(stmt: Statement, name: str) -> bool:
    condition = getattr(stmt.node, "condition", None)
    return isinstance(condition, Condition) and any(n == name for _i, n in condition.acl_names())


def _update(section: Section, have: Protection, stmt: Statement, wanted: Protection) -> None:
    """Rewrite an existing protection rule to ``wanted``, changing only what differs."""
    rule = stmt.node
    assert isinstance(rule, Rule) and rule.condition is not None
    terms = rule.condition.groups()[0]
    check_at = next(i for i, t in enumerate(terms)
                    if (t.negated or rule.condition.kind == "unless")
                    and _check_term(t, _auth_acls(section)) is not None)
    if wanted.userlist != have.userlist:
        terms[check_at] = _retarget_check(section, have, stmt, terms[check_at], wanted.userlist)
    kind = rule.condition.kind
    if kind == "unless" and wanted.paths:  # "unless ok" cannot take a scope: "if SCOPE !ok"
        kind, check = "if", terms[check_at]
        terms[check_at] = Term(True, check.name, check.anonymous)
    if wanted.paths != have.paths:
        terms = _rescope(section, have, stmt, terms, check_at, wanted.paths)
    args = ["realm", wanted.realm] if wanted.realm else []
    condition = Condition(kind, [w for t in terms for w in _term_words(t)])
    if args != rule.args or condition.words != rule.condition.words:
        stmt.node = Rule(rule.family, rule.stage, rule.action, args, condition)


def _term_words(term: Term) -> list[str]:
    """A term as people write it: ``!auth_ok`` (glued), ``!`` ``{ http_auth(x) }``."""
    if term.name is not None:
        return [f"!{term.name}" if term.negated else term.name]
    return term.to_words()


def _retarget_check(section: Section, have: Protection, stmt: Statement, term: Term, userlist: str) -> Term:
    if not have.acl:  # inline: !{ http_auth(new) }
        return Term(term.negated, anonymous=(f"http_auth({userlist})",))
    if not _used_elsewhere(section, have.acl, stmt):  # only this rule reads it: change the ACL
        for acl in section.acls:
            if acl.name == have.acl:
                acl.fetch = f"http_auth({userlist})"
        return term
    return Term(term.negated, name=_ensure_auth_acl(section, userlist))


def _rescope(section: Section, have: Protection, stmt: Statement, terms: list[Term], check_at: int,
             paths: tuple[str, ...]) -> list[Term]:
    check = terms[check_at]
    if have.path_acl and paths and not _used_elsewhere(section, have.path_acl, stmt):
        for acl in section.acls:
            if acl.name == have.path_acl:
                acl.patterns = list(paths)
        return terms
    scope = [Term(anonymous=("path_beg", *paths))] if paths else []
    return [*scope, check] if check_at == len(terms) - 1 or not scope else [check, *scope]


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
            "password is asked; a rule you wrote yourself is edited where it is. Browsers send the password with every request: serve it over "
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

