"""The what-if tester asks the engine's own routing; these requests check the tutorial's rules."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from gui.document import Document
from gui.editors.whatif import WhatIfRequest, WhatIfTester, what_if
from tests.gui.test_editors_widgets import TUTORIAL_TEXT


@pytest.fixture
def document(qtbot: Any) -> Document:
    doc = Document()
    assert doc.set_text(TUTORIAL_TEXT) == []
    return doc


@pytest.mark.parametrize(("path", "outcome", "backend", "servers"), [
    ("/admin/users", "deny", None, {None}),
    ("/lightwork", "backend", "light", {"server1", "server2"}),
    ("/heavywork", "backend", "heavy", {"server3", "server4"}),
    ("/", "backend", "all", {"server1", "server2", "server3", "server4"}),
])
def test_tutorial_routes(document: Document, path: str, outcome: str, backend: str | None,
                         servers: set[str | None]) -> None:
    decision = what_if(document.config, "frontend", "main", WhatIfRequest(path=path))
    assert (decision.outcome, decision.backend) == (outcome, backend)
    assert decision.server in servers


def test_heavy_is_sticky_by_source(document: Document) -> None:
    picks = {what_if(document.config, "frontend", "main",
                     WhatIfRequest(path="/heavywork", source="192.0.2.7")).server for _ in range(3)}
    assert len(picks) == 1


def test_tester_widget_shows_acls_rule_backend_and_server(qtbot: Any, document: Document) -> None:
    tester = WhatIfTester(document, "main")
    qtbot.addWidget(tester)
    tester.path.clear()
    qtbot.keyClicks(tester.path, "/lightwork/job")
    qtbot.keyClick(tester.path, Qt.Key.Key_Return)
    assert tester.results["Backend"].text() == "light"
    assert tester.results["Matching ACLs"].text() == "is_light"
    assert "use_backend light if is_light" in tester.results["Decided by"].text()
    assert tester.results["Server"].text() in {"server1", "server2"}
    tester.path.setText("/admin")
    qtbot.mouseClick(tester.test_button, Qt.MouseButton.LeftButton)
    assert tester.results["Outcome"].text().startswith("denied (403)")


def test_tester_follows_edits_without_apply(qtbot: Any, document: Document) -> None:
    tester = WhatIfTester(document, "main")
    qtbot.addWidget(tester)
    document.set_text(TUTORIAL_TEXT.replace("use_backend light if is_light", "use_backend heavy if is_light"))
    tester.path.setText("/lightwork")
    assert tester.run() is not None and tester.results["Backend"].text() == "heavy"


def test_tester_explains_an_invalid_config_and_bad_input(qtbot: Any, document: Document) -> None:
    tester = WhatIfTester(document, "main")
    qtbot.addWidget(tester)
    tester.source.setText("not-an-address")
    assert tester.run() is None and "address" in tester.error.text()
    tester.source.setText("127.0.0.1")
    document.set_text(TUTORIAL_TEXT.replace("default_backend all", "default_backend nowhere"))
    assert tester.run() is None
    assert "nowhere" in tester.error.text()
    assert tester.results["Backend"].text() == "—"


def test_a_protected_path_says_it_asks_for_a_password() -> None:
    from gui.editors.whatif import describe

    doc = Document()
    text = TUTORIAL_TEXT.replace("frontend main\n", "userlist staff\n    user bob insecure-password pw\n\n"
                                 "frontend main\n    http-request auth realm Staff if { path_beg /admin }\n", 1)
    assert "userlist staff" in text and doc.set_text(text) == []
    decision = what_if(doc.config, "frontend", "main", WhatIfRequest(path="/admin"))
    assert describe(decision)["Outcome"] == "asks for a user and password (401)"
