"""Protect a frontend with a password through the real window, then ask the real engine:
401 with a Basic challenge without or with wrong credentials, the backend with the right
ones; the rule comes before the other http-request rules; undo takes it all back."""

from __future__ import annotations

import asyncio
import base64
import http.client
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QInputDialog, QLineEdit

from gui.editors.frontend import FrontendEditor
from gui.editors.listen import ListenEditor
from gui.editors.protect import PATHS, Protection, find_protection, protect, unprotect
from gui.editors.userlist import UserlistEditor
from gui.main_window import MainWindow
from proxy.config.parser import parse
from proxy.config.writer import write
from tests.gui._support import on_next_modal
from tests.gui.test_editors_acceptance import choose, click, free_port, press_apply, type_into
from tests.gui.test_editors_userlist import add_user_through_ui, visible_texts

SECRET = "correct horse battery"
REALM = "Staff only"


def config_text(listen_port: int, backend_port: int) -> str:
    return (
        "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n"
        "    timeout server 5s\n\n"
        f"frontend web\n    bind 127.0.0.1:{listen_port}\n"
        "    acl blocked path_beg /admin/blocked\n"
        "    http-request deny if blocked\n"
        "    default_backend app\n\n"
        f"backend app\n    server s1 127.0.0.1:{backend_port}\n"
    )



def get(port: int, path: str, auth: tuple[str, str] | None = None) -> tuple[int, str, str]:
    """(status, WWW-Authenticate, body) of a real GET on 127.0.0.1."""
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("WWW-Authenticate") or "", response.read().decode()
    finally:
        conn.close()


def answer_name_dialog(qtbot: Any, name: str) -> None:
    def answer(dialog: QInputDialog) -> None:
        edit = dialog.findChild(QLineEdit)
        edit.selectAll()
        qtbot.keyClicks(edit, name)
        dialog.accept()

    on_next_modal(QInputDialog, answer)


def test_protect_a_frontend_through_the_ui_and_the_engine_asks_for_it(
        qtbot: Any, window: MainWindow, loop: asyncio.AbstractEventLoop, backend_server: int,
        haproxy_check: Any, tmp_path: Path) -> None:
    window.document.load_text(config_text(free_port(), backend_server), "protect.cfg")
    window.select_section(("frontend", "web"))
    editor = window.editor_area.widget()
    assert isinstance(editor, FrontendEditor)
    tab = editor.password_tab
    editor.tabs.setCurrentWidget(tab)
    assert not tab.protect_button.isEnabled()  # no userlist yet: nothing to choose from

    answer_name_dialog(qtbot, "staff")
    click(qtbot, tab.new_userlist_button)
    assert tab.userlist.currentText() == "staff"
    click(qtbot, tab.edit_users_button)  # to the userlist editor, as a user would go
    users = window.editor_area.widget()
    assert isinstance(users, UserlistEditor) and window.current_key == ("userlist", "staff")
    add_user_through_ui(qtbot, users, "alice", SECRET)
    assert users.users.rowCount() == 1
    assert users.users.index(0, 2).data() == "hashed (SHA-512)"

    window.select_section(("frontend", "web"))
    editor = window.editor_area.widget()
    assert isinstance(editor, FrontendEditor)
    tab = editor.password_tab
    editor.tabs.setCurrentWidget(tab)
    choose(qtbot, tab.scope, PATHS)
    type_into(qtbot, tab.paths, "/admin")
    type_into(qtbot, tab.realm, REALM)
    before = window.document.text
    click(qtbot, tab.protect_button)

    text = window.document.text
    assert write(parse(text).config) == text
    body = text[text.index("frontend web"):text.index("backend app")].splitlines()
    assert body[2:6] == [
        "    acl blocked path_beg /admin/blocked",
        "    acl authorized_staff http_auth(staff)",
        "    http-request auth realm 'Staff only' if { path_beg /admin } !authorized_staff",
        "    http-request deny if blocked",  # after the password: a deny cannot bypass it
    ]
    assert window.document.errors == []
    (tmp_path / "protected.cfg").write_text(text)
    checked = haproxy_check(tmp_path / "protected.cfg")
    assert checked.returncode == 0, checked.stderr
    assert "Protected" in tab.status.text() and tab.protect_button.text() == "Update"
    shown = "\n".join(visible_texts(editor))
    assert SECRET not in shown and "$6$" not in shown

    press_apply(qtbot, window, loop)
    port = next(p for f, _h, p in window.host.listening if f == "web")
    status, challenge, _ = get(port, "/admin/x")
    assert (status, challenge) == (401, f'Basic realm="{REALM}"')
    assert get(port, "/admin/x", ("alice", "wrong"))[:2] == (401, f'Basic realm="{REALM}"')
    assert get(port, "/admin/x", ("bob", SECRET))[0] == 401
    assert get(port, "/admin/x", ("alice", SECRET)) == (200, "", "backend")
    assert get(port, "/admin/blocked")[0] == 401  # the password comes before the deny
    assert get(port, "/admin/blocked", ("alice", SECRET))[0] == 403
    assert get(port, "/")[::2] == (200, "backend")  # outside /admin: open
    loop.run_until_complete(window.stop_engine())

    window.document.undo_stack.undo()
    assert window.document.text == before
    assert tab.protect_button.text() == "Require password" and not tab.remove_button.isEnabled()


def test_the_tab_reads_and_removes_a_hand_written_protection(qtbot: Any) -> None:
    from gui.document import Document

    document = Document()
    document.load_text(
        "userlist ops\n    user a insecure-password b\n\n"
        "listen admin\n    mode http\n    bind :8404\n    stats enable\n"
        "    acl ok http_auth(ops)\n    acl is_get method GET\n"
        "    http-request auth if !ok\n    http-request deny if !is_get\n"
        "    server s 127.0.0.1:1\n")
    editor = ListenEditor(document, "admin")
    qtbot.addWidget(editor)
    tab = editor.password_tab
    assert tab.userlist.currentText() == "ops" and tab.scope.currentText() != PATHS
    assert tab.realm.text() == "" and tab.remove_button.isEnabled()
    assert not tab.stats_box.isHidden()  # a stats page: its login is offered too
    click(qtbot, tab.remove_button)
    text = document.text
    assert "http-request auth" not in text and "acl ok" not in text and "acl is_get" in text
    document.undo_stack.undo()
    assert "http-request auth if !ok" in document.text


def test_protect_and_unprotect_are_minimal_edits() -> None:
    text = ("frontend f\n    mode http\n    bind :80\n    http-request deny if { path_beg /x }\n"
            "    acl late path_beg /late\n    default_backend b\n")
    config = parse(text).config
    section = config.find("frontend", "f")
    assert section is not None
    protect(section, Protection("staff", "R", ("/a", "/b")))
    lines = write(config).splitlines()
    # The ACL must come before the rule that names it, and the rule before the deny.
    assert lines[3:5] == ["    acl authorized_staff http_auth(staff)",
                          "    http-request auth realm R if { path_beg /a /b } !authorized_staff"]
    found = find_protection(section)
    assert found is not None and found[0] == Protection("staff", "R", ("/a", "/b"), "authorized_staff")
    unprotect(section)
    assert write(config) == text


def test_stats_login(qtbot: Any) -> None:
    from gui.document import Document

    document = Document()
    document.load_text("listen stats\n    mode http\n    bind :8404\n    stats enable\n"
                       "    stats uri /\n    server s 127.0.0.1:1\n")
    editor = ListenEditor(document, "stats")
    qtbot.addWidget(editor)
    editor.show()
    tab = editor.password_tab
    editor.tabs.setCurrentWidget(tab)
    assert tab.stats_box.isVisible()
    type_into(qtbot, tab.stats_user, "admin")
    type_into(qtbot, tab.stats_password, "s3cret")
    click(qtbot, tab.stats_button)
    assert "    stats uri /\n    stats auth admin:s3cret\n" in document.text
    assert tab.stats_password.text() == "" and "s3cret" not in "\n".join(visible_texts(editor))


HAND_WRITTEN = (
    "userlist users\n    user admin insecure-password s3cret\n\n"
    "userlist staff\n    user bob insecure-password hunter2\n\n"
    "frontend web\n    mode http\n    bind 127.0.0.1:8080\n"
    "    acl path_admin path_beg /admin\n"
    "    acl auth_ok http_auth(users)\n"
    "    http-request auth realm Admins if path_admin !auth_ok\n"
    "    default_backend app\n\n"
    "backend app\n    server s1 127.0.0.1:9001\n"
)


@pytest.mark.parametrize("condition", [
    "if path_admin !auth_ok",
    "if !auth_ok path_admin",
    "if { path_beg /admin } !{ http_auth(users) }",
    "if path_admin !{ http_auth(users) }",
])
def test_a_hand_written_auth_rule_shows_as_protected(qtbot: Any, condition: str) -> None:
    from gui.document import Document

    document = Document()
    document.load_text(HAND_WRITTEN.replace("if path_admin !auth_ok", condition))
    editor = FrontendEditor(document, "web")
    qtbot.addWidget(editor)
    tab = editor.password_tab
    assert "<b>Protected</b>: paths starting with /admin need a user of <b>users</b>" in tab.status.text()
    assert "No password needed" not in tab.status.text()
    assert tab.protect_button.text() == "Update" and tab.remove_button.isEnabled()
    assert (tab.userlist.currentText(), tab.scope.currentText(), tab.paths.text(), tab.realm.text()) == \
        ("users", PATHS, "/admin", "Admins")


def test_editing_a_hand_written_rule_changes_that_rule_not_a_second_one(qtbot: Any) -> None:
    from gui.document import Document
    from tests.gui.test_editors_defaults import changed_lines

    document = Document()
    document.load_text(HAND_WRITTEN)
    editor = FrontendEditor(document, "web")
    qtbot.addWidget(editor)
    editor.show()
    tab = editor.password_tab
    before = document.text
    type_into(qtbot, tab.realm, "Staff only")
    click(qtbot, tab.protect_button)
    assert changed_lines(before, document.text) == [
        "-    http-request auth realm Admins if path_admin !auth_ok",
        "+    http-request auth realm 'Staff only' if path_admin !auth_ok",
    ]
    step = document.text
    type_into(qtbot, tab.paths, "/admin /private")
    tab.userlist.setCurrentText("staff")
    click(qtbot, tab.protect_button)
    # the user's ACLs are edited in place (only this rule reads them), the rule keeps its shape
    assert changed_lines(step, document.text) == [
        "-    acl path_admin path_beg /admin",
        "-    acl auth_ok http_auth(users)",
        "+    acl path_admin path_beg /admin /private",
        "+    acl auth_ok http_auth(staff)",
    ]
    assert document.text.count("http-request auth") == 1
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.text == before
