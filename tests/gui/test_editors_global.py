"""The global form: its fields change their own lines (undoable) and say what they affect."""

from __future__ import annotations

from typing import Any

import pytest

from gui.document import Document
from gui.editors import editor_for
from gui.editors.global_section import GlobalEditor
from proxy.config.semantics import describe, tls_binds_taking
from tests.gui.test_editors_acceptance import type_into
from tests.gui.test_editors_defaults import changed_lines, infos

CONFIG = """\
global
    maxconn 2000
    log 127.0.0.1:514 local0

defaults
    mode http
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend tls
    bind 127.0.0.1:8443 ssl crt site.pem
    bind 127.0.0.1:9443 ssl crt site.pem ciphers ECDHE-RSA-AES128-GCM-SHA256
    default_backend app

backend app
    server s1 127.0.0.1:9001
"""


@pytest.fixture
def document(qtbot: Any) -> Document:
    doc = Document()
    doc.load_text(CONFIG)
    return doc


@pytest.fixture
def editor(document: Document, qtbot: Any) -> GlobalEditor:
    widget = editor_for(document, "global", None)
    assert isinstance(widget, GlobalEditor)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_fields_change_their_lines_and_undo(editor: GlobalEditor, document: Document, qtbot: Any) -> None:
    original = document.text
    assert editor.fields["maxconn"].text() == "2000"
    type_into(qtbot, editor.fields["maxconn"], "5000")
    assert changed_lines(original, document.text) == ["-    maxconn 2000", "+    maxconn 5000"]
    before = document.text
    type_into(qtbot, editor.fields["ssl-default-bind-ciphers"], "ECDHE-RSA-AES256-GCM-SHA384")
    assert changed_lines(before, document.text) == ["+    ssl-default-bind-ciphers ECDHE-RSA-AES256-GCM-SHA384"]
    before = document.text
    type_into(qtbot, editor.fields["stats socket"], "/run/haproxy.sock level admin")
    assert changed_lines(before, document.text) == ["+    stats socket /run/haproxy.sock level admin"]
    item = editor.log_targets.table.item(0, 0)
    assert item is not None and item.text() == "127.0.0.1:514 local0"
    before = document.text
    item.setText("127.0.0.1:514 local1 notice")
    assert changed_lines(before, document.text) == ["-    log 127.0.0.1:514 local0",
                                                    "+    log 127.0.0.1:514 local1 notice"]
    while document.undo_stack.canUndo():
        document.undo_stack.undo()
    assert document.text == original
    assert editor.fields["maxconn"].text() == "2000"


def test_refused_values_are_kept_and_explained(editor: GlobalEditor, document: Document, qtbot: Any) -> None:
    before = document.text
    type_into(qtbot, editor.fields["maxconn"], "lots")
    assert "maxconn 2000" in document.text and document.text.count("maxconn") == 1
    assert editor.fields["maxconn"].text() == "lots"
    assert "'lots' is not a connection count" in editor.problem.text()
    item = editor.log_targets.table.item(0, 0)
    assert item is not None
    item.setText("syslog.example")
    assert "log 127.0.0.1:514 local0" in document.text  # not written ...
    assert editor.log_targets.table.item(0, 0).text() == "syslog.example"  # ... not lost
    assert "needs a facility" in editor.log_targets.message.text()
    type_into(qtbot, editor.fields["maxconn"], "2000")
    assert document.text == before


def test_info_lines_say_what_each_setting_affects(editor: GlobalEditor, document: Document) -> None:
    shown = infos(editor)
    assert "set here, line 2" in shown["Max connections"]
    assert "set here, line 3 · used by 1 frontend and 1 backend (log global)" in shown["Logs"]
    # one of the two TLS binds sets its own ciphers: the global default reaches the other one
    taking = tls_binds_taking(describe(document.config), "ssl-default-bind-ciphers")
    assert len(taking) == 1
    assert "not set · applies to 1 TLS bind" in shown["Ciphers"]
    assert "applies to 2 TLS binds" in shown["Options"]


def test_undo_drops_a_refused_log_target(editor: GlobalEditor, document: Document, qtbot: Any) -> None:
    original = document.text
    type_into(qtbot, editor.fields["maxconn"], "5000")  # a real edit to undo
    item = editor.log_targets.table.item(0, 0)
    assert item is not None
    item.setText("syslog.example")  # refused: kept as typed, red, with its reason
    message = editor.log_targets.message
    assert message.isVisibleTo(editor) and "needs a facility" in message.text()
    document.undo_stack.undo()  # what the window's Ctrl+Z runs
    assert document.text == original
    item = editor.log_targets.table.item(0, 0)
    assert item is not None and item.text() == "127.0.0.1:514 local0"  # the file's value
    assert item.toolTip() == "" and not message.isVisibleTo(editor)
    assert editor.fields["maxconn"].text() == "2000"
