"""Help > Keyboard shortcuts lists what the menus really bind, and every main action is
reachable by keyboard: each menu opens with Alt+letter, each entry has its own letter,
and every tab and panel has a View entry."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from gui.main_window import MainWindow
from gui.shortcuts import ShortcutsDialog, plain_text, shortcut_rows


def _menus(window: MainWindow) -> Iterator[tuple[str, QMenu]]:
    def walk(menu: QMenu, path: str) -> Iterator[tuple[str, QMenu]]:
        yield path, menu
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                yield from walk(sub, f"{path} ▸ {plain_text(action.text())}")

    for top in window.menuBar().actions():
        menu = top.menu()
        assert isinstance(menu, QMenu)
        yield from walk(menu, plain_text(top.text()))


def _mnemonic(text: str) -> str | None:
    at = text.replace("&&", "").find("&")
    return None if at < 0 else text.replace("&&", "")[at + 1].lower()


def test_the_dialog_lists_every_menu_shortcut_read_from_the_actions(window: MainWindow) -> None:
    rows = shortcut_rows(window)
    listed = {(menu, action): keys for menu, action, keys in rows}
    assert listed[("File", "Open / Import…")] == QKeySequence(QKeySequence.StandardKey.Open).toString(
        QKeySequence.SequenceFormat.NativeText)
    assert listed[("Engine", "Apply")] == "Ctrl+R"
    assert listed[("Help", "Keyboard shortcuts")] == "Ctrl+/"
    # every action with a shortcut in any menu is there, none without one
    expected = sum(1 for _path, menu in _menus(window) for a in menu.actions()
                   if not a.menu() and not a.isSeparator() and a.shortcuts())
    assert len(rows) == expected
    # a shortcut added to a menu action shows up by itself: nothing is hand-written
    window.local_routes_action.setShortcut(QKeySequence("Ctrl+Alt+L"))
    assert ("Tools", "Local routes…", "Ctrl+Alt+L") in shortcut_rows(window)
    dialog = ShortcutsDialog(window)
    assert dialog.table.rowCount() == len(rows)
    cells = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert {"New", "Start", "Show traffic", "Problems panel"} <= cells
    dialog.deleteLater()


def test_help_menu_opens_the_dialog(window: MainWindow) -> None:
    help_menu = dict(_menus(window))["Help"]
    assert window.shortcuts_action in help_menu.actions()
    assert window.shortcuts_action.shortcut() == QKeySequence("Ctrl+/")


def test_every_menu_and_entry_has_its_own_letter(window: MainWindow) -> None:
    tops = [_mnemonic(a.text()) for a in window.menuBar().actions()]
    assert None not in tops and len(set(tops)) == len(tops)
    for path, menu in _menus(window):
        letters = [(_mnemonic(a.text()), a.text()) for a in menu.actions() if not a.isSeparator()]
        missing = [text for letter, text in letters if letter is None]
        assert missing == [], path
        seen = [letter for letter, _t in letters]
        assert len(set(seen)) == len(seen), (path, letters)


def test_every_tab_and_panel_has_a_view_entry(window: MainWindow) -> None:
    view_menu = dict(_menus(window))["View"]
    actions = [a for a in view_menu.actions() if not a.isSeparator()]
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(0 if index else 1)
        shows = [a for a in actions if a.shortcuts()]
        hits = []
        for action in shows:
            window.tabs.setCurrentIndex(0 if index else 1)
            action.trigger()
            if window.tabs.currentIndex() == index:
                hits.append(action)
            if action.isCheckable():
                action.trigger()  # toggled back
        assert hits, f"no View entry shows the {window.tabs.tabText(index)} tab"
    toggles = {plain_text(a.text()): a for a in actions if a.isCheckable()}
    for name, widget in (("Problems panel", window.diagnostics_title), ("Section list", window.tree),
                         ("Toolbar", window.toolbar)):
        action: QAction = toggles[name]
        action.trigger()
        assert not widget.isVisible(), name
        action.trigger()
        assert widget.isVisible(), name
