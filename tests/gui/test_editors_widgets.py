"""Shared editor widgets: time and address inputs (placement is tested in tests/proxy/config/test_edit.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gui.editors.widgets import AddressPortEdit, TimeEdit, join_host_port

TUTORIAL_TEXT = (Path(__file__).resolve().parents[2] / "proxy" / "demo" / "tutorial.cfg").read_text()


@pytest.mark.parametrize(("text", "number", "unit"), [("30s", 30, "s"), ("1500", 1500, "ms"),
                                                       ("2m", 2, "m"), ("", 0, "s")])
def test_time_edit_shows_values_quietly(qtbot: Any, text: str, number: int, unit: str) -> None:
    edit = TimeEdit()
    qtbot.addWidget(edit)
    seen: list[str] = []
    edit.valueChanged.connect(seen.append)
    edit.setValue(text)
    assert (edit.number.value(), edit.unit.currentText()) == (number, unit)
    assert seen == []  # loading a value is not an edit
    edit.number.setValue(5)
    assert seen[-1] == f"5{unit}" and edit.value() == f"5{unit}"


def test_time_edit_zero_means_not_set(qtbot: Any) -> None:
    edit = TimeEdit()
    qtbot.addWidget(edit)
    edit.setValue("10s")
    edit.number.setValue(0)
    assert edit.value() == ""


def test_address_port_edit(qtbot: Any) -> None:
    edit = AddressPortEdit()
    qtbot.addWidget(edit)
    edit.setValue("[::1]:8443")
    assert edit.host.text() == "::1" and edit.port.value() == 8443
    assert edit.value() == "[::1]:8443"
    edit.host.setText("*")
    assert edit.value() == ":8443"
    assert join_host_port("10.0.0.1", "") == "10.0.0.1"
