"""The section tree and diagnostics models: Qt's model tester and what they show."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt

from gui.document import Document
from gui.models import DIAGNOSTIC_ROLE, GROUPS, KEY_ROLE, ConfigTreeModel, DiagnosticsModel
from proxy.config.model import Section, Statement
from proxy.config.nodes import Generic
from tests.conftest import DATA

CORPUS = sorted((DATA / "valid").glob("*.cfg"))


def _children(model: ConfigTreeModel, group: int) -> list[tuple[str, str | None]]:
    parent = model.index(group, 0)
    return [model.index(r, 0, parent).data(KEY_ROLE) for r in range(model.rowCount(parent))]


@pytest.mark.parametrize("path", CORPUS[:6] + CORPUS[-4:], ids=lambda p: Path(p).name)
def test_tree_model_passes_qt_model_tester(qtmodeltester, path: Path) -> None:  # type: ignore[no-untyped-def]
    document = Document()
    document.open(path)
    model = ConfigTreeModel(document)
    qtmodeltester.check(model, force_py=True)  # stays connected: checks every later change too
    document.edit("add backend", lambda c: c.add_section(
        Section("backend", "extra", Statement(Generic(["backend", "extra"])))))
    assert model.index_of(("backend", "extra")).isValid()
    document.undo_stack.undo()
    assert not model.index_of(("backend", "extra")).isValid()


def test_tree_groups_sections_by_kind(qtbot) -> None:  # type: ignore[no-untyped-def]
    document = Document()
    document.open(DATA / "valid" / "01-tutorial-four-servers.cfg")
    model = ConfigTreeModel(document)
    assert _children(model, 0) == [("frontend", "www")]
    assert _children(model, 1) == [
        ("backend", "light_servers"), ("backend", "heavy_servers"), ("backend", "all_servers")]
    assert _children(model, len(GROUPS) - 1) == [("global", None), ("defaults", None)]
    assert model.index(1, 0).data() == "Backends (3)"
    index = model.index_of(("backend", "heavy_servers"))
    assert index.data() == "heavy_servers" and index.parent() == model.index(1, 0)
    assert not model.index_of(("backend", "missing")).isValid()


def test_tree_follows_undo(qtbot) -> None:  # type: ignore[no-untyped-def]
    document = Document()
    document.open(DATA / "valid" / "01-tutorial-four-servers.cfg")
    model = ConfigTreeModel(document)
    document.edit("remove", lambda c: c.sections.remove(c.find("backend", "all_servers")))  # type: ignore[arg-type]
    assert len(_children(model, 1)) == 2
    document.undo_stack.undo()
    assert ("backend", "all_servers") in _children(model, 1)


def test_diagnostics_model(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    document = Document()
    model = DiagnosticsModel(document)
    qtmodeltester.check(model, force_py=True)
    assert document.set_text("frontend web\n    bind 127.0.0.1:8080\n    default_backend nowhere\n") == []
    assert model.rowCount() >= 1
    rows = [model.index(r, 0).data(DIAGNOSTIC_ROLE) for r in range(model.rowCount())]
    row = next(r for r, d in enumerate(rows) if "nowhere" in d.message)
    assert rows[row].line == 3 and rows[row].is_error
    assert model.index(row, 1).data() == "3" and model.index(row, 0).data() == "error"
    first = model.index(0, 0)
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Message"
    assert model.rowCount(first) == 0 and model.rowCount(QModelIndex()) == len(document.diagnostics)
