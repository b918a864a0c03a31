"""Shared editor widgets: time and address inputs, statement placement helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gui.editors.widgets import AddressPortEdit, TimeEdit, join_host_port, place_node, set_timeout
from proxy.config.model import Section
from proxy.config.nodes import DefaultBackend, Rule
from proxy.config.parser import parse
from proxy.config.writer import write

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


def _frontend(text: str) -> tuple[Any, Section]:
    config = parse(text).config
    return config, config.sections[0]


def test_place_node_keeps_haproxy_order() -> None:
    config, section = _frontend("frontend f\n    bind :80\n    use_backend b if x\n    default_backend b\n")
    place_node(section, Rule("http-request", "", "deny", [], None))
    place_node(section, DefaultBackend("c"))
    assert write(config) == ("frontend f\n    bind :80\n    http-request deny\n    use_backend b if x\n"
                             "    default_backend b\n    default_backend c\n")


def test_set_timeout_replaces_adds_and_removes() -> None:
    config, section = _frontend("frontend f\n    bind :80\n    timeout client 5s\n")
    set_timeout(section, "client", "10s")
    set_timeout(section, "http-request", "3s")
    assert write(config) == "frontend f\n    bind :80\n    timeout client 10s\n    timeout http-request 3s\n"
    set_timeout(section, "client", "")
    assert "timeout client" not in write(config)
