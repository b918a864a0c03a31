"""Inherited values: resolved like HAProxy does, and shown (greyed) where a form leaves a field unset."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

from gui.document import Document
from gui.editors.backend import BackendEditor
from gui.editors.defaults import DefaultsEditor
from gui.editors.frontend import FrontendEditor
from gui.editors.inherit import (
    default_server_option,
    effective_timeout,
    inherited_balance,
    inherited_mode,
    parents,
    timeout_hint,
)
from gui.editors.item_models import ServersModel
from proxy.config.model import Config, Section
from proxy.config.parser import parse
from tests.conftest import DATA

CHAINED = """\
defaults base
    mode http
    timeout client 30s
    balance source
    default-server weight 5 inter 4s

defaults
    timeout connect 3s

frontend plain
    bind :80

frontend named from base
    bind :81
    timeout client 9s

backend app from base
    default-server rise 4
    server s1 127.0.0.1:8001
    server s2 127.0.0.1:8002 weight 7

backend bare
    server s1 127.0.0.1:8001

defaults child from base
    timeout server 1m
"""


def _config(text: str = CHAINED) -> Config:
    return parse(text).config


def _find(config: Config, kind: str, name: str | None) -> Section:
    section = config.find(kind, name)
    assert section is not None
    return section


def test_parents_follow_from_and_defaults_do_not_inherit_implicitly() -> None:
    config = _config()
    named = _find(config, "frontend", "named")
    assert [s.name for s in parents(config, named)] == ["base"]
    # the last defaults before it is the anonymous one, which has no "from"
    assert [s.name for s in parents(config, _find(config, "frontend", "plain"))] == [None]
    assert [s.name for s in parents(config, _find(config, "defaults", "child"))] == ["base"]
    # an anonymous defaults section does not inherit from the "base" one above it
    anonymous = next(s for s in config.of_kind("defaults") if s.name is None)
    assert parents(config, anonymous) == []


def test_from_names_only_an_earlier_defaults_section() -> None:
    # HAProxy 2.6: "defaults section 'b' not found for defaults 'a'" -- b comes later,
    # so a cycle cannot be written; a inherits nothing.
    config = _config("defaults a from b\n    mode http\ndefaults b from a\n    mode tcp\n"
                     "frontend f from a\n    bind :80\n")
    assert [s.name for s in parents(config, _find(config, "frontend", "f"))] == ["a"]
    assert [s.name for s in parents(config, _find(config, "defaults", "b"))] == ["a"]


def test_mode_and_balance_come_from_defaults_or_haproxy() -> None:
    config = _config()
    named, plain = _find(config, "frontend", "named"), _find(config, "frontend", "plain")
    assert inherited_mode(config, named).short() == "http, from defaults base"
    assert inherited_mode(config, plain).short() == "tcp"  # HAProxy's own default
    assert inherited_balance(config, _find(config, "backend", "app")).short() == "source, from defaults base"
    assert inherited_balance(config, _find(config, "backend", "bare")).short() == "roundrobin"


@pytest.mark.parametrize(("kind", "name", "timeout", "hint"), [
    ("frontend", "named", "http-request", "not set: as client (9s)"),  # its own client timeout
    ("frontend", "named", "http-keep-alive", "not set: as http-request (9s)"),
    ("frontend", "plain", "connect", "3s from defaults"),
    ("frontend", "plain", "client", "not set"),
    ("backend", "app", "server", "not set"),
    ("backend", "app", "queue", "not set: as connect"),
    ("backend", "app", "check", "not set: as inter"),
    ("defaults", "child", "client", "30s from defaults base"),
])
def test_timeout_hints(kind: str, name: str, timeout: str, hint: str) -> None:
    config = _config()
    assert timeout_hint(config, _find(config, kind, name), timeout) == hint


def test_effective_timeout_follows_the_fallback_chain() -> None:
    config = _config()
    assert effective_timeout(config, _find(config, "backend", "app"), "client") == "30s"
    assert effective_timeout(config, _find(config, "frontend", "plain"), "http-keep-alive") is None


def test_default_server_options_merge_along_the_chain() -> None:
    config = _config()
    app = _find(config, "backend", "app")
    assert default_server_option(config, app, "rise").short() == "4, from default-server"  # type: ignore[union-attr]
    found = default_server_option(config, app, "weight")
    assert found is not None and found.short() == "5, from default-server in defaults base"
    assert default_server_option(config, app, "rise", include_own=False).short() == "2"  # type: ignore[union-attr]
    assert default_server_option(config, _find(config, "backend", "bare"), "weight").short() == "1"  # type: ignore[union-attr]
    assert default_server_option(config, app, "maxconn") is None  # HAProxy sets no per-server limit


# --- the forms ----------------------------------------------------------------------------------


@pytest.fixture
def document(qtbot: Any) -> Document:
    doc = Document()
    assert doc.set_text(CHAINED) == []
    return doc


def _is_grey(widget: Any) -> bool:
    palette = widget.palette()
    return palette.color(QPalette.ColorRole.Text) == palette.color(QPalette.ColorRole.PlaceholderText)


def test_frontend_shows_inherited_mode_and_timeouts(document: Document, qtbot: Any) -> None:
    editor = FrontendEditor(document, "named")
    qtbot.addWidget(editor)
    assert editor.mode_box.currentText() == "inherited (http, from defaults base)"
    client, request = editor.timeout_edits["client"], editor.timeout_edits["http-request"]
    assert client.value() == "9s" and not _is_grey(client.number)
    assert request.value() == "" and request.number.text() == "not set: as client (9s)"
    assert _is_grey(request.number)
    client.number.setValue(0)  # unset the frontend's own: the field now shows what it inherits
    assert client.number.text() == "30s from defaults base" and _is_grey(client.number)
    assert request.number.text() == "not set: as client (30s)"
    editor.mode_box.setCurrentIndex(editor.mode_box.findData("tcp"))
    assert "    mode tcp\n" in document.text
    # the header changes where the values come from: the hints follow
    assert document.set_text(document.text.replace("frontend named from base", "frontend named")) == []
    assert editor.mode_box.itemText(0) == "inherited (tcp)"
    assert client.number.text() == "not set"


def test_backend_shows_inherited_balance_and_check_parameters(document: Document, qtbot: Any) -> None:
    editor = BackendEditor(document, "app")
    qtbot.addWidget(editor)
    assert editor.balance_box.currentData() == "inherited"
    assert editor.balance_box.currentText() == "inherited (source, from defaults base)"
    assert "From defaults base: source" in editor.balance_explanation.text()
    checks = editor.check_widgets
    assert checks["inter"].hint() == "4s from default-server in defaults base"
    assert checks["rise"].value() == 4  # set by the backend's own default-server line
    assert checks["fall"].specialValueText() == "3 (HAProxy's default)" and _is_grey(checks["fall"])
    assert not _is_grey(checks["rise"])  # 4 is this section's own value
    editor.balance_box.setCurrentIndex(editor.balance_box.findData("leastconn"))
    assert "    balance leastconn\n" in document.text
    assert "source, from defaults base" in editor.balance_box.itemText(0)  # still says what unset means
    bare = BackendEditor(document, "bare")
    qtbot.addWidget(bare)
    assert bare.balance_box.currentText() == "inherited (roundrobin)"
    assert bare.check_widgets["inter"].hint() == "2s (HAProxy's default)"


def test_defaults_editor_inherits_only_through_from(document: Document, qtbot: Any) -> None:
    editor = DefaultsEditor(document, "child")
    qtbot.addWidget(editor)
    assert editor.timeout_edits["client"].hint() == "30s from defaults base"
    assert editor.mode_box.currentText() == "inherited (http, from defaults base)"


def test_servers_table_shows_effective_weight_greyed(
    document: Document, qtbot: Any, qtmodeltester: Any
) -> None:
    model = ServersModel(document, "backend", "app")
    qtmodeltester.check(model)
    weight = 3
    s1, s2 = model.index(0, weight), model.index(1, weight)
    assert model.headerData(weight, Qt.Orientation.Horizontal) == "Weight"
    assert s1.data() == "5" and s1.data(Qt.ItemDataRole.EditRole) == ""  # shown, not written
    assert s1.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "default-server in defaults base" in s1.data(Qt.ItemDataRole.ToolTipRole)
    assert s2.data() == "7" and s2.data(Qt.ItemDataRole.ForegroundRole) is None  # its own value
    assert model.setData(s1, "2")
    assert model.index(0, weight).data() == "2"
    assert model.index(0, weight).data(Qt.ItemDataRole.ForegroundRole) is None
    bare = ServersModel(document, "backend", "bare")
    assert bare.index(0, weight).data() == "1"  # HAProxy's default weight
    assert "HAProxy's default" in bare.index(0, weight).data(Qt.ItemDataRole.ToolTipRole)
    assert bare.index(0, 6).data() == ""  # maxconn: no limit inherited, nothing shown


# The issue's example, from the corpus (tests/data/valid/43-defaults-from-chain.cfg).
ISSUE_EXAMPLE = (DATA / "valid" / "43-defaults-from-chain.cfg").read_text()


def test_the_hints_say_what_check_and_run_do_on_a_from_chain() -> None:
    # The same config runs in mode http with a 7 s server timeout on the engine and on
    # HAProxy (tests/proxy/engine/test_engine_defaults.py); the forms must say so.
    config = _config(ISSUE_EXAMPLE)
    fe, be = _find(config, "frontend", "fe"), _find(config, "backend", "be")
    mode = inherited_mode(config, fe)
    assert mode.short() == "http, from defaults base"
    assert mode.detail == "defaults base line 5, through defaults web"
    assert timeout_hint(config, fe, "client") == "12s from defaults web"
    assert timeout_hint(config, be, "server") == "7s from defaults base"
    assert timeout_hint(config, fe, "http-request") == "not set: as client (12s)"
    assert [s.name for s in parents(config, be)] == ["web", "base"]
