"""Frontend, backend, listen and defaults editors: form fields write haproxy.cfg and follow undo."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.document import Document
from gui.editors import EDITORS, editor_for
from gui.editors.backend import BackendEditor, balance_parts, make_balance
from gui.editors.frontend import FrontendEditor
from gui.editors.listen import ListenEditor
from proxy.config.nodes import Balance
from tests.gui.test_editors_widgets import TUTORIAL_TEXT


@pytest.fixture
def document(qtbot: Any) -> Document:
    doc = Document()
    assert doc.set_text(TUTORIAL_TEXT) == []
    return doc


def test_registered_editors(document: Document, qtbot: Any) -> None:
    assert {"frontend", "backend", "listen", "defaults"} <= set(EDITORS)
    for kind, name in (("frontend", "main"), ("backend", "all"), ("listen", "stats"),
                       ("defaults", None)):
        widget = editor_for(document, kind, name)
        qtbot.addWidget(widget)
        assert widget.minimumWidth() >= 600


def test_frontend_fields_write_and_undo_restores(document: Document, qtbot: Any) -> None:
    editor = FrontendEditor(document, "main")
    qtbot.addWidget(editor)
    assert editor.mode_box.currentData() == "inherited"
    assert editor.mode_box.currentText() == "inherited (http, from defaults)"
    assert editor.default_backend_box.currentText() == "all"
    before, depth = document.text, document.undo_stack.index()
    editor.mode_box.setCurrentText("tcp")
    editor.timeout_edits["client"].number.setValue(7)
    editor.default_backend_box.setCurrentText("light")
    section = document.section("frontend", "main")
    assert section is not None and section.mode == "tcp" and section.default_backend == "light"
    assert section.timeouts()["client"].value == "7s"
    assert document.undo_stack.index() == depth + 3
    document.undo_stack.setIndex(depth)
    assert document.text == before
    assert editor.mode_box.currentData() == "inherited"  # the form follows undo
    assert editor.timeout_edits["client"].value() == ""


def test_typing_in_a_timeout_is_one_undo_step(document: Document, qtbot: Any) -> None:
    editor = FrontendEditor(document, "main")
    qtbot.addWidget(editor)
    depth = document.undo_stack.count()
    for value in (1, 12, 120):
        editor.timeout_edits["client"].number.setValue(value)
    assert document.undo_stack.count() == depth + 1


def test_add_bind_with_certificate(document: Document, qtbot: Any, tmp_path: Any) -> None:
    editor = FrontendEditor(document, "main")
    qtbot.addWidget(editor)
    binds = editor.binds
    binds.address.host.setText("127.0.0.1")
    binds.address.port.setValue(8443)
    binds.use_certificate(str(tmp_path / "site.pem"))  # what the file picker hands over
    assert binds.tls.isChecked()
    qtbot.mouseClick(binds.add_button, Qt.MouseButton.LeftButton)
    assert f"bind 127.0.0.1:8443 ssl crt {tmp_path / 'site.pem'}" in document.text
    binds.table.selectRow(0)
    binds.use_certificate("/etc/other.pem")
    assert "bind :8080 ssl crt /etc/other.pem" in document.text


def test_rule_composer_adds_updates_and_reorders(document: Document, qtbot: Any) -> None:
    editor = FrontendEditor(document, "main")
    qtbot.addWidget(editor)
    rules = editor.rules
    rules.rule_type.setCurrentText("http-request")
    rules.action.setCurrentText("redirect")
    rules.arguments.setText("location /new")
    rules.condition.add_term()
    rules.condition.rows[0].term.setCurrentText("is_light")
    rules.condition.rows[0].negate.setChecked(True)
    qtbot.mouseClick(rules.add_button, Qt.MouseButton.LeftButton)
    text = document.text
    assert "http-request redirect location /new if ! is_light\n" in text
    assert text.index("http-request redirect") < text.index("use_backend light")
    assert rules.selected_row() == 1
    rules.select_row(0)  # loads "http-request deny if is_admin"
    assert rules.action.currentText() == "deny"
    assert rules.condition.rows[0].term.currentText() == "is_admin"
    rules.arguments.setText("deny_status 429")
    qtbot.mouseClick(rules.update_button, Qt.MouseButton.LeftButton)
    assert "http-request deny deny_status 429 if is_admin" in document.text
    qtbot.mouseClick(rules.down_button, Qt.MouseButton.LeftButton)
    text = document.text
    assert text.index("http-request redirect") < text.index("http-request deny")
    assert rules.selected_row() == 1


@pytest.mark.parametrize(("words", "parts"), [
    (["roundrobin"], ("roundrobin", "")),
    (["hdr(host)", "use_domain_only"], ("hdr", "host use_domain_only")),
    (["url_param", "userid"], ("url_param", "userid")),
])
def test_balance_parts_round_trip(words: list[str], parts: tuple[str, str]) -> None:
    balance = Balance(words[0], words[1:])
    assert balance_parts(balance) == parts
    assert make_balance(*parts) == balance


def test_backend_balance_servers_and_checks(document: Document, qtbot: Any) -> None:
    editor = BackendEditor(document, "light")
    qtbot.addWidget(editor)
    assert editor.balance_box.currentText() == "roundrobin"
    editor.balance_box.setCurrentText("hdr")
    qtbot.keyClicks(editor.balance_arguments, "host")
    assert "    balance hdr(host)\n" in document.text
    assert "header" in editor.balance_explanation.text().lower()
    checks = editor.check_widgets
    assert checks["enabled"].isChecked() and checks["uri"].text() == "/health"
    checks["method"].setCurrentText("HEAD")
    qtbot.keyClicks(checks["status"], "200")
    checks["inter"].number.setValue(3)
    checks["fall"].setValue(2)
    text = document.text
    assert "option httpchk HEAD /health" in text and "http-check expect status 200" in text
    assert "default-server inter 3s fall 2" in text
    assert text.index("default-server") < text.index("server server1")
    checks["enabled"].setChecked(False)
    light = document.text.split("\nbackend light\n")[1].split("\nbackend heavy\n")[0]
    assert "option httpchk" not in light
    page = editor.servers
    qtbot.keyClicks(page.new_name, "server9")
    page.new_address.port.setValue(8009)
    page.new_check.setChecked(True)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert "    server server9 127.0.0.1:8009 check\n" in document.text
    page.table.selectRow(0)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    light = document.text.split("\nbackend light\n")[1].split("\nbackend heavy\n")[0]
    assert "server server1" not in light and "server server2" in light


def test_editor_survives_its_section_disappearing(document: Document, qtbot: Any) -> None:
    editor = ListenEditor(document, "stats")
    qtbot.addWidget(editor)
    document.set_text(TUTORIAL_TEXT.split("listen stats")[0])
    assert editor.section() is None  # refresh with no section: nothing to show, no crash
    document.undo_stack.undo()
    assert editor.section() is not None
