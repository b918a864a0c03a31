"""Open, New and Revert while the proxy runs: stop it, keep it on the old config, or
apply the new one (gui.running_engine).  A real engine (EngineHost) serves two real
HTTP servers, "old" and "new", and a real request over loopback says which config is
served after each answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from gui.main_window import MainWindow
from gui.running_engine import BUTTON_TEXTS, RunningChoice
from proxy.config.model import Config
from tests.gui._support import (
    http_get,
    named_http_servers,
    on_next_modal,
    proxy_config_text,
)


@pytest.fixture
def origins() -> Iterator[dict[str, int]]:
    with named_http_servers("old", "new") as ports:
        yield ports



@pytest.fixture
def files(tmp_path: Path, origins: dict[str, int]) -> dict[str, Path]:
    """old.cfg proxies to the "old" server, new.cfg to "new"; both on a free port."""
    paths = {}
    for name in ("old", "new"):
        paths[name] = tmp_path / f"{name}.cfg"
        paths[name].write_text(proxy_config_text(origins[name]))
    return paths


def served_by(window: MainWindow) -> str:
    """The name of the server that answers a request to the running proxy."""
    port = window.host.listening[0][2]
    status, body = http_get(port)
    assert status == 200
    return body


def running_old(window: MainWindow, files: dict[str, Path]) -> MainWindow:
    assert window.open_path(files["old"])
    window.host.start_blocking(window.document.config, window.document.base_dir)
    assert served_by(window) == "old"
    return window


def answer(choice: RunningChoice | None, seen: list[str]) -> None:
    """Click ``choice``'s button (None: Cancel) on the next prompt; note its texts."""

    def click(box: QMessageBox) -> None:
        seen.append(box.text())
        seen.extend(b.text() for b in box.buttons())
        if choice is None:
            box.button(QMessageBox.StandardButton.Cancel).click()
            return
        prefix = BUTTON_TEXTS[choice].split("{")[0]
        next(b for b in box.buttons() if b.text().startswith(prefix)).click()

    on_next_modal(QMessageBox, click)


def test_the_prompt_offers_stop_keep_apply_and_cancel_with_texts_that_say_what_they_do(
    window: MainWindow, files: dict[str, Path]
) -> None:
    running_old(window, files)
    seen: list[str] = []
    answer(None, seen)
    assert not window.open_recent(files["new"])
    assert seen[0] == "Opening new.cfg while the proxy serves old.cfg."
    assert {"&Stop the proxy", "&Keep serving old.cfg", "&Apply new.cfg to it"} <= set(seen[1:])
    assert len(seen[1:]) == 4  # and Cancel
    # Cancel: nothing changed, the document and the proxy are the old ones
    assert window.document.path == files["old"].resolve()
    assert served_by(window) == "old"


def test_stop_stops_the_proxy_and_opens_the_file(window: MainWindow, files: dict[str, Path]) -> None:
    running_old(window, files)
    answer(RunningChoice.STOP, [])
    assert window.open_recent(files["new"])
    assert not window.host.running and window.start_action.isEnabled()
    assert window.document.path == files["new"].resolve()
    assert "stopped" in window.engine_label.text()


def test_keep_serves_the_old_file_says_so_and_apply_asks_before_replacing_it(
    window: MainWindow, files: dict[str, Path]
) -> None:
    running_old(window, files)
    answer(RunningChoice.KEEP, [])
    assert window.open_recent(files["new"])
    assert window.document.path == files["new"].resolve()
    assert served_by(window) == "old"  # the proxy still serves the file no longer shown
    assert "serving old.cfg, not this document" in window.engine_label.text()
    assert "Apply serves this document instead" in window.engine_label.toolTip()
    # Apply names what it replaces; Cancel keeps the old file live
    seen: list[str] = []
    answer(None, seen)
    window.apply_clicked()
    assert seen[0] == "The proxy serves old.cfg. Apply replaces it with new.cfg."
    assert served_by(window) == "old"
    answer(RunningChoice.APPLY, seen)  # its "&Apply new.cfg" button
    window.apply_clicked()
    assert served_by(window) == "new"
    assert "not this document" not in window.engine_label.text()


def test_apply_serves_the_new_file_at_once(window: MainWindow, files: dict[str, Path]) -> None:
    running_old(window, files)
    answer(RunningChoice.APPLY, [])
    assert window.open_recent(files["new"])
    assert served_by(window) == "new"
    assert window.serving_other is None and "not this document" not in window.engine_label.text()


def test_apply_of_a_broken_file_keeps_the_old_one_serving_and_says_so(
    window: MainWindow, files: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.cfg"
    broken.write_text(files["new"].read_text().replace("default_backend app", "default_backend nowhere"))
    running_old(window, files)
    answer(RunningChoice.APPLY, [])
    assert window.open_recent(broken)
    assert served_by(window) == "old"
    assert "serving old.cfg, not this document" in window.engine_label.text()
    assert "refused" in window.statusBar().currentMessage()


def test_new_with_keep_leaves_the_old_file_serving(window: MainWindow, files: dict[str, Path]) -> None:
    running_old(window, files)
    answer(RunningChoice.KEEP, [])
    window.file_new()
    assert window.document.path is None and not window.document.config.sections
    assert served_by(window) == "old"
    assert "serving old.cfg, not this document" in window.engine_label.text()


def _point_at(port: int) -> Any:
    def mutate(config: Config) -> None:
        backend = config.find("backend", "app")
        assert backend is not None
        backend.servers[0].address = f"127.0.0.1:{port}"

    return mutate


def test_revert_is_in_the_file_menu_and_asks_about_the_running_proxy(
    window: MainWindow, files: dict[str, Path], origins: dict[str, int]
) -> None:
    assert not window.revert_action.isEnabled()  # an unsaved document has nothing to revert to
    running_old(window, files)
    file_menu = window.menuBar().actions()[0].menu()
    assert window.revert_action in file_menu.actions() and window.revert_action.isEnabled()
    window.document.edit("Point at new", _point_at(origins["new"]))
    window.host.apply_blocking(window.document.config)
    assert served_by(window) == "new"  # the edited, unsaved document is live
    seen: list[str] = []

    def confirm_then_keep(box: QMessageBox) -> None:  # first "drop the changes?", then the proxy
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == "&Revert").click()
        answer(RunningChoice.KEEP, seen)

    on_next_modal(QMessageBox, confirm_then_keep)
    assert window.file_revert()
    assert seen[0] == "Drop the changes to old.cfg and reload it from disk?"
    assert seen[1] == "Reverting old.cfg while the proxy serves the edited old.cfg."
    assert window.document.text == files["old"].read_text() and not window.document.dirty
    assert served_by(window) == "new"  # kept: the edited config still serves
    assert "the edited old.cfg, not this document" in window.engine_label.text()


def test_revert_with_stop_stops_the_proxy(window: MainWindow, files: dict[str, Path]) -> None:
    running_old(window, files)
    answer(RunningChoice.STOP, [])
    assert window.file_revert()  # a clean document: no "drop the changes?" question
    assert not window.host.running


def test_quit_says_the_proxy_stops(window: MainWindow, files: dict[str, Path]) -> None:
    running_old(window, files)
    seen: list[str] = []

    def cancel(box: QMessageBox) -> None:
        seen.append(box.text())
        box.button(QMessageBox.StandardButton.Cancel).click()

    on_next_modal(QMessageBox, cancel)
    assert not window.close()
    assert seen == ["Quitting stops the proxy that serves old.cfg."]
    assert served_by(window) == "old"
