"""The editors' table models: Qt's model checks, edits written to haproxy.cfg text, undo."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.document import Document
from gui.editors.item_models import AclsModel, BindsModel, RulesModel, ServersModel
from tests.gui.test_editors_widgets import TUTORIAL_TEXT


@pytest.fixture
def document(qtbot: Any) -> Document:
    doc = Document()
    assert doc.set_text(TUTORIAL_TEXT) == []
    return doc


MODELS = [
    (ServersModel, "backend", "all", 4),
    (BindsModel, "frontend", "main", 1),
    (AclsModel, "frontend", "main", 3),
    (RulesModel, "frontend", "main", 3),
]


@pytest.mark.parametrize(("model_type", "kind", "name", "rows"), MODELS)
def test_models_pass_qt_model_tester(qtmodeltester: Any, document: Document, model_type: Any,
                                     kind: str, name: str, rows: int) -> None:
    model = model_type(document, kind, name)
    assert model.rowCount() == rows
    qtmodeltester.check(model)


def test_server_cells_edit_the_server_line_and_undo_restores(document: Document) -> None:
    model = ServersModel(document, "backend", "light")
    before = document.text
    assert model.setData(model.index(0, 3), "5")  # weight
    assert model.setData(model.index(0, 5), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.setData(model.index(1, 2), "9002")  # port
    text = document.text
    assert "server server1 127.0.0.1:8001 check weight 5 backup" in text
    assert "server server2 127.0.0.1:9002 check" in text
    assert model.data(model.index(0, 5), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    for _ in range(3):
        document.undo_stack.undo()
    assert document.text == before


def test_bad_server_values_are_refused(document: Document) -> None:
    model = ServersModel(document, "backend", "light")
    before = document.text
    assert not model.setData(model.index(0, 3), "heavy")
    assert not model.setData(model.index(0, 2), "70000")
    assert not model.setData(model.index(0, 0), "two words")
    assert document.text == before


def test_bind_tls_and_certificate_columns(document: Document) -> None:
    model = BindsModel(document, "frontend", "main")
    assert model.data(model.index(0, 0)) == "*" and model.data(model.index(0, 1)) == "8080"
    model.setData(model.index(0, 2), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    model.setData(model.index(0, 3), "/etc/site.pem")
    model.setData(model.index(0, 0), "127.0.0.1")
    assert "bind 127.0.0.1:8080 ssl crt /etc/site.pem" in document.text


def test_acl_matcher_case_and_patterns(document: Document) -> None:
    model = AclsModel(document, "frontend", "main")
    model.setData(model.index(0, 2), "beg")
    model.setData(model.index(0, 3), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    model.setData(model.index(0, 4), "/admin /private")
    assert "acl is_admin path_beg -i -m beg /admin /private" in document.text
    assert "prefix" in model.data(model.index(0, 2), Qt.ItemDataRole.ToolTipRole).lower()


def test_rules_move_reorders_the_file_and_summaries(document: Document) -> None:
    model = RulesModel(document, "frontend", "main")
    assert model.data(model.index(1, 0)) == "use_backend light"
    assert model.data(model.index(1, 1)) == "if is_light"
    assert model.move_row(1, 1)
    text = document.text
    assert text.index("use_backend heavy") < text.index("use_backend light")
    assert not model.move_row(2, 1)  # already last
    model.remove_rows([0])
    assert "http-request deny" not in document.text
    assert model.rowCount() == 2


def test_bind_alpn_and_other_options_columns(document: Document) -> None:
    model = BindsModel(document, "frontend", "main")
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[4:] == ["ALPN", "Other options"]
    bind_line = next(line for line in document.text.splitlines() if line.strip().startswith("bind"))
    assert model.setData(model.index(0, 2), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.setData(model.index(0, 4), "h2,http/1.1")
    assert model.setData(model.index(0, 5), "ssl-min-ver TLSv1.2")
    new_line = next(line for line in document.text.splitlines() if line.strip().startswith("bind"))
    assert new_line == f"{bind_line} ssl alpn h2,http/1.1 ssl-min-ver TLSv1.2"
    assert model.data(model.index(0, 4)) == "h2,http/1.1"
    assert model.data(model.index(0, 5)) == "ssl-min-ver TLSv1.2"
    before = document.text
    assert not model.setData(model.index(0, 5), "ssl-min-vers TLSv1.2")  # a typo: refused, kept
    assert document.text == before
    assert model.data(model.index(0, 5)) == "ssl-min-vers TLSv1.2"
    assert "unknown bind option 'ssl-min-vers'" in model.data(model.index(0, 5), Qt.ItemDataRole.ToolTipRole)
    assert not model.setData(model.index(0, 4), "h2, http/1.1")
