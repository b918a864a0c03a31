"""The userlist editor on real widgets: users with hashed passwords, groups, membership,
problems shown inline, secrets never on screen, and text HAProxy accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from gui.document import Document
from gui.editors import editor_for
from gui.editors.userlist import (
    GroupsModel,
    PasswordDialog,
    UserlistEditor,
    UsersModel,
    password_strength,
    valid_user_name,
)
from gui.models import GROUPS, KEY_ROLE, ConfigTreeModel
from proxy.config.parser import parse
from proxy.config.writer import write
from proxy.engine.auth import check_password
from tests.gui._support import on_next_modal

BASE = (
    "global\n    log stdout format raw local0\n\n"
    "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n\n"
    "userlist staff # who may see /admin\n"
    "    group ops users carol\n"
    "    user carol insecure-password opensesame\n\n"
    "frontend web\n    bind 127.0.0.1:18099\n    default_backend app\n\n"
    "backend app\n    server s1 127.0.0.1:18098\n"
)
SECRET = "correct horse battery"


@pytest.fixture
def document(qtbot: Any) -> Document:
    doc = Document()
    doc.load_text(BASE)
    return doc


@pytest.fixture
def editor(qtbot: Any, document: Document) -> UserlistEditor:
    widget = editor_for(document, "userlist", "staff")
    assert isinstance(widget, UserlistEditor)
    qtbot.addWidget(widget)
    widget.resize(900, 640)
    widget.show()
    return widget


def answer_password_dialog(qtbot: Any, password: str, *, confirm: str | None = None,
                           clear_text: bool = False) -> list[str]:
    """Fill the password dialog once it is up (it is modal) and press OK; returns what it saw."""
    seen: list[str] = []

    def answer(dialog: PasswordDialog) -> None:
        qtbot.keyClicks(dialog.password, password)
        qtbot.keyClicks(dialog.confirm, password if confirm is None else confirm)
        if clear_text:
            dialog.insecure.setChecked(True)
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        seen.append(dialog.strength.text())
        if not ok.isEnabled():
            seen.append("ok disabled")
            dialog.reject()
            return
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    on_next_modal(PasswordDialog, answer)
    return seen


def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def add_user_through_ui(qtbot: Any, editor: UserlistEditor, name: str, password: str) -> None:
    editor.new_user.setFocus()
    qtbot.keyClicks(editor.new_user, name)
    answer_password_dialog(qtbot, password)
    click(qtbot, editor.add_user_button)


def tick_group(qtbot: Any, editor: UserlistEditor, group: str) -> None:
    items = editor.membership.findItems(group, Qt.MatchFlag.MatchExactly)
    assert items, [editor.membership.item(i).text() for i in range(editor.membership.count())]
    rect = editor.membership.visualItemRect(items[0])
    # Clicking the check box indicator at the item's left edge, as a user would.
    editor.membership.scrollToItem(items[0])
    point = rect.topLeft() + rect.center() - rect.topLeft()
    point.setX(rect.left() + 10)
    qtbot.mouseClick(editor.membership.viewport(), Qt.MouseButton.LeftButton, pos=point)


def visible_texts(root: QWidget) -> list[str]:
    """Every string the editor shows: labels, fields (unless masked), table cells, tooltips."""
    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        texts.append(widget.toolTip())
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        if isinstance(widget, QLineEdit) and widget.echoMode() == QLineEdit.EchoMode.Normal:
            texts.append(widget.text())
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for row in range(model.rowCount()):
                for column in range(16):  # list models hide columnCount(): stop at the last cell
                    if not model.index(row, column).isValid():
                        break
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        value = model.index(row, column).data(role)
                        texts.append(str(value) if value is not None else "")
    return texts


# --- tests -------------------------------------------------------------------------------------


def test_models_pass_qt_model_tester(qtmodeltester: Any, document: Document) -> None:
    users, groups = UsersModel(document, "staff"), GroupsModel(document, "staff")
    assert users.rowCount() == 1 and groups.rowCount() == 1
    qtmodeltester.check(users)
    qtmodeltester.check(groups)
    assert users.index(0, 1).data() == "ops"
    assert users.index(0, 2).data() == "clear text (insecure)"
    assert groups.index(0, 1).data() == "carol"


def test_userlists_have_their_own_tree_group(document: Document) -> None:
    model = ConfigTreeModel(document)
    users_group = next(i for i, g in enumerate(GROUPS) if g.kinds == ("userlist",))
    parent = model.index(users_group, 0)
    assert parent.data() == "Users (1)"
    assert model.index(0, 0, parent).data(KEY_ROLE) == ("userlist", "staff")
    assert model.index(0, 0, parent).data() == "staff"


def test_build_a_userlist_through_the_ui(qtbot: Any, editor: UserlistEditor, document: Document,
                                         haproxy_check: Any, tmp_path: Path) -> None:
    qtbot.keyClicks(editor.new_group, "admins")
    click(qtbot, editor.add_group_button)
    add_user_through_ui(qtbot, editor, "alice", SECRET)
    assert editor.selected_user() == "alice"
    tick_group(qtbot, editor, "admins")

    text = document.text
    line = next(x for x in text.splitlines() if x.strip().startswith("user alice"))
    words = line.split()
    assert words[:3] == ["user", "alice", "password"] and words[4:] == ["groups", "admins"]
    stored = words[3]
    assert stored.startswith("$6$") and len(stored.split("$")[2]) == 16
    assert check_password(SECRET.encode(), stored) and not check_password(b"wrong", stored)
    assert "    group ops users carol\n    group admins\n    user carol" in text  # groups first
    assert "userlist staff # who may see /admin\n" in text  # untouched lines stay as written
    assert write(parse(text).config) == text
    assert editor.users.index(1, 2).data() == "hashed (SHA-512)"
    assert editor.groups.index(1, 1).data() == "alice"
    assert not editor.problems.isVisible()

    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    checked = haproxy_check(path)
    assert checked.returncode == 0, checked.stderr

    shown = "\n".join(visible_texts(editor))
    for secret in (stored, SECRET, "opensesame", stored.split("$")[3]):
        assert secret not in shown

    for _ in range(4):  # tick, user, group: back to the text as loaded
        document.undo_stack.undo()
    assert document.text == BASE


def test_set_password_replaces_a_clear_text_one_with_a_hash(
        qtbot: Any, editor: UserlistEditor, document: Document) -> None:
    editor.users_table.selectRow(0)
    answer_password_dialog(qtbot, SECRET)
    click(qtbot, editor.password_button)
    line = next(x for x in document.text.splitlines() if "user carol" in x)
    assert "insecure-password" not in line and "opensesame" not in line
    assert line.split()[2] == "password" and check_password(SECRET.encode(), line.split()[3])
    assert editor.users.index(0, 2).data() == "hashed (SHA-512)"


def test_mismatched_confirmation_keeps_ok_disabled(qtbot: Any, editor: UserlistEditor,
                                                   document: Document) -> None:
    editor.users_table.selectRow(0)
    seen = answer_password_dialog(qtbot, SECRET, confirm=SECRET + "x")
    click(qtbot, editor.password_button)
    assert "ok disabled" in seen
    assert document.text == BASE


def test_clear_text_only_when_asked(qtbot: Any, editor: UserlistEditor, document: Document) -> None:
    qtbot.keyClicks(editor.new_user, "bob")
    answer_password_dialog(qtbot, "hunter22hunter22", clear_text=True)
    click(qtbot, editor.add_user_button)
    assert "    user bob insecure-password hunter22hunter22\n" in document.text


def test_problems_show_inline_and_duplicates_are_refused(qtbot: Any, document: Document) -> None:
    document.load_text(BASE.replace("group ops users carol", "group ops users carol,dave")
                       .replace("opensesame", "opensesame groups nope"))
    widget = UserlistEditor(document, "staff")
    qtbot.addWidget(widget)
    widget.show()
    problems = widget.problems.text()
    assert "no such group 'nope' specified in user 'carol'" in problems
    assert "no such user 'dave' specified in group 'ops'" in problems
    assert widget.problems.isVisible()

    before = document.text
    qtbot.keyClicks(widget.new_group, "ops")
    click(qtbot, widget.add_group_button)
    assert "there is already a group 'ops'" in widget.problems.text()
    widget.new_user.setText("carol")
    click(qtbot, widget.add_user_button)  # refused before any password is asked
    assert "there is already a user 'carol'" in widget.problems.text()
    widget.new_group.setText("ops@night")  # HAProxy refuses '@' in group names ...
    click(qtbot, widget.add_group_button)
    assert "'ops@night' is not a valid group name: character '@' is not permitted" in widget.problems.text()
    assert document.text == before
    assert valid_user_name("carol@example.test")  # ... but not in user names


def test_removing_a_user_or_group_removes_its_mentions(qtbot: Any, editor: UserlistEditor,
                                                       document: Document) -> None:
    editor.groups_table.selectRow(0)
    click(qtbot, editor.remove_group_button)
    assert "group ops" not in document.text
    editor.users_table.selectRow(0)
    click(qtbot, editor.remove_user_button)
    assert "carol" not in document.text
    assert not editor.problems.isVisible()


def test_strength_hint() -> None:
    assert password_strength("abc").startswith("Weak")
    assert password_strength("abcdefghij").startswith("Fair")
    assert password_strength(SECRET) == "Strong"
