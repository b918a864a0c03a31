"""The main window: section tree | editor / text / request log | diagnostics, plus menus.

Theory of operation
-------------------
Everything edits one ``Document``.  The tree (``ConfigTreeModel``) resets on
each change; the window remembers the selected section by its (kind, name)
key and re-selects it, and it rebuilds the editor only when the key changes,
so typing in a form never loses focus to a model reset.

Engine control goes through ``EngineHost`` (engine in its own process).  The
actions spawn coroutines on the qasync loop (``start_engine``,
``apply_engine``, ``stop_engine``; tests await them directly).  Apply is
refused before reaching the engine when the validator reports errors, so the
running engine keeps the previous config; the engine's own refusal (a port
in use, ...) is shown the same way.  A QTimer drains log events and reads the
listening state; nothing here is ever called from the host's control thread.

Window state and recent files live in an INI file under the platform's config
directory (QSettings is used only for UI state).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import (
    QByteArray,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    QSize,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from gui.certificates import show_certificates
from gui.document import Document, SaveError
from gui.editors import editor_for
from gui.editors.whatif import WhatIfTester
from gui.engine_host import RUNNING, STOPPED, EngineError, EngineHost
from gui.haproxy_host import RunOnMenu
from gui.local_routes import show_local_routes
from gui.log_view import LogView
from gui.map_view import MapView
from gui.models import DIAGNOSTIC_ROLE, GROUPS, KEY_ROLE, ConfigTreeModel, DiagnosticsModel
from gui.running_engine import RunningChoice, ask_running_engine, confirm_apply_over
from gui.shortcuts import show_shortcuts
from gui.text_view import TextView
from gui.theme import icon
from gui.traffic_view import TrafficView
from proxy import __version__
from proxy.config.edit import (
    add_defaults_section,
    add_global_section,
    rename_section,
    valid_section_name,
)
from proxy.config.model import Config, Diagnostic
from proxy.config.parser import parse
from proxy.config.validate import BIND_PORT_ZERO

__all__ = ["MainWindow", "default_settings_path"]

SectionKey = tuple[str, str | None]
MAX_RECENT = 8
MANUAL_URL = "https://docs.haproxy.org/2.6/configuration.html"
LOG_DRAIN_MAX = 10_000
CFG_FILTER = "HAProxy configuration (*.cfg *.conf);;All files (*)"


def default_settings_path() -> Path:
    return platformdirs.user_config_path("proxydesk", appauthor=False) / "ui.ini"


def section_at_line(config_text: str, line: int) -> SectionKey | None:
    """The section whose lines include ``line`` of the written text."""
    found: SectionKey | None = None
    for section in parse(config_text).config.sections:
        start = section.header.origin.line if section.header.origin else 0
        if start > line:
            break
        found = (section.kind, section.name)
    return found


class MainWindow(QMainWindow):
    def __init__(
        self,
        document: Document | None = None,
        host: EngineHost | None = None,
        settings_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.document = document or Document(self)
        self.host = host or EngineHost(self)
        self._connected_hosts: list[EngineHost] = []  # Engine > Run on may add a HaproxyHost
        self.settings = QSettings(str(settings_path or default_settings_path()), QSettings.Format.IniFormat)
        self._current_key: SectionKey | None = None
        self._tasks: set[asyncio.Task[Any]] = set()  # strong references: see qasync pitfalls
        self._closing = False
        # What the running proxy serves when it is not this document ("keep serving" when
        # another file was opened); None: it serves this one, or nothing runs.
        self.serving_other: str | None = None
        self.setWindowIcon(icon("app"))
        self.setMinimumSize(900, 560)
        self._build_views()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self._connect()
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(250)
        self._poll_timer.timeout.connect(self.poll_engine)
        self._poll_timer.start()
        self._restore_ui_state()
        if host is None:  # a host handed in (tests) is kept
            self.run_on.restore_choice()
        self._update_title()
        self._update_engine_actions()

    # -- construction ----------------------------------------------------------------------
    def _build_views(self) -> None:
        self.tree_model = ConfigTreeModel(self.document)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setHeaderHidden(True)
        self.tree.setMinimumWidth(220)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.expandAll()

        self.editor_area = QScrollArea()
        self.editor_area.setWidgetResizable(True)
        self.editor_area.setMinimumWidth(420)
        self._show_placeholder()
        self.text_view = TextView(self.document)
        self.log_view = LogView()
        self.tabs = QTabWidget()
        self.map_view = MapView(self.document, lambda: self.host)
        self.tabs.addTab(self.map_view, "Map")
        self.tabs.addTab(self.editor_area, "Editor")
        self.tabs.addTab(self.text_view, "haproxy.cfg")
        self.tabs.addTab(self.log_view, "Requests")
        self.traffic_view = TrafficView()
        self.tabs.addTab(self.traffic_view, "Traffic")

        self.diagnostics_model = DiagnosticsModel(self.document)
        self.diagnostics = QTableView()
        self.diagnostics.setModel(self.diagnostics_model)
        self.diagnostics.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.diagnostics.verticalHeader().setVisible(False)
        self.diagnostics.setMinimumHeight(90)
        header = self.diagnostics.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        diagnostics_box = QWidget()
        box_layout = QVBoxLayout(diagnostics_box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        self.diagnostics_title = QLabel()
        box_layout.addWidget(self.diagnostics_title)
        box_layout.addWidget(self.diagnostics)

        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.addWidget(self.tabs)
        self.right.addWidget(diagnostics_box)
        self.right.setStretchFactor(0, 4)
        self.right.setStretchFactor(1, 1)
        self.right.setSizes([560, 140])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1020])
        self.setCentralWidget(self.splitter)

    def _action(
        self, text: str, slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon_name: str | None = None, tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon_name:
            action.setIcon(icon(icon_name))
        action.setToolTip(f"{tip or text.replace('&', '')} ({action.shortcut().toString()})"
                          if shortcut else (tip or text.replace("&", "")))
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        std = QKeySequence.StandardKey
        a = self._action
        self.new_action = a("&New", self.file_new, std.New)
        self.open_action = a("&Open / Import…", self.file_open, std.Open)
        self.save_action = a("&Save", self.file_save, std.Save)
        self.save_as_action = a("Save &As…", self.file_save_as, "Ctrl+Shift+S")
        self.revert_action = a("Re&vert", self.file_revert,
                               tip="Reload the file from disk, dropping the changes since it was saved")
        self.export_action = a("&Export…", self.file_export, "Ctrl+E",
                               tip="Save a copy for HAProxy, keeping this document's file")
        self.quit_action = a("&Quit", self.close, "Ctrl+Q")
        self.undo_action = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(std.Undo)
        self.redo_action = self.document.undo_stack.createRedoAction(self, "Re&do")  # &R: Remove
        # Every platform binding of Redo, plus both common spellings (Ctrl+Y, Ctrl+Shift+Z).
        redo_keys = QKeySequence.keyBindings(std.Redo)
        for extra in ("Ctrl+Shift+Z", "Ctrl+Y"):
            if QKeySequence(extra) not in redo_keys:
                redo_keys.append(QKeySequence(extra))
        self.redo_action.setShortcuts(redo_keys)
        self.add_frontend_action = a("Add fron&tend…", lambda: self.prompt_add("frontend"), "Ctrl+Shift+F", "frontend")
        self.add_backend_action = a("Add &backend…", lambda: self.prompt_add("backend"), "Ctrl+Shift+B", "backend")
        self.add_listen_action = a("Add &listen…", lambda: self.prompt_add("listen"), "Ctrl+Shift+L", "listen")
        self.add_userlist_action = a("Add u&serlist…", lambda: self.prompt_add("userlist"),
                                     "Ctrl+Shift+U", "userlist",
                                     tip="Users and passwords for http-request auth")
        self.add_defaults_action = a("Add def&aults…", self.prompt_add_defaults,
                                     tip="Mode and timeouts every frontend and backend after it inherits")
        self.add_global_action = a("Add &global", self.add_global,
                                   tip="Process-wide settings: connection limit, logs, TLS defaults")
        self.remove_action = a("&Remove section", self.remove_selected, "Ctrl+Del", "remove")
        self.rename_action = a("Re&name section…", self.prompt_rename, "F2")
        self.start_action = a("&Start", lambda: self._spawn(self.start_engine()), "F5", "start",
                              tip="Start serving this configuration")
        self.stop_action = a("S&top", lambda: self._spawn(self.stop_engine()), "Shift+F5", "stop",
                             tip="Stop the engine")
        self.apply_action = a("&Apply", self.apply_clicked, "Ctrl+R", "apply",
                              tip="Validate, then hot-reload the running engine")
        self.show_editor_action = a("Show &editor", lambda: self.tabs.setCurrentWidget(self.editor_area), "Ctrl+1")
        self.show_text_action = a("Show haproxy.&cfg", lambda: self.tabs.setCurrentWidget(self.text_view), "Ctrl+2")
        self.show_log_action = a("Show re&quests", lambda: self.tabs.setCurrentWidget(self.log_view), "Ctrl+3")
        self.show_traffic_action = a("Show &traffic", lambda: self.tabs.setCurrentWidget(self.traffic_view),
                                     "Ctrl+4")
        self.show_map_action = a("Show &map", lambda: self.tabs.setCurrentWidget(self.map_view), "Ctrl+6",
                                 tip="Frontends, rules, backends and servers as a live graph")
        self.show_problems_action = a("&Problems panel", self._toggle_problems, "Ctrl+5",
                                      tip="Show or hide the list of errors and warnings")
        self.show_problems_action.setCheckable(True)
        self.show_problems_action.setChecked(True)
        self.show_tree_action = a("Section &list", lambda: self.tree.setVisible(self.show_tree_action.isChecked()),
                                  tip="Show or hide the list of sections on the left")
        self.show_tree_action.setCheckable(True)
        self.show_tree_action.setChecked(True)
        self.manual_action = a("HAProxy 2.6 &manual", lambda: QDesktopServices.openUrl(QUrl(MANUAL_URL)),
                               std.HelpContents, tip="The configuration manual every keyword here follows")
        self.about_action = a("&About Proxydesk", self.show_about)
        self.shortcuts_action = a("&Keyboard shortcuts", lambda: show_shortcuts(self), "Ctrl+/",
                                  tip="Every shortcut of the menus, read from the menus themselves")
        self.certificates_action = a("&Certificates…", lambda: show_certificates(self, lambda: self.document.config),
                                     "Ctrl+Shift+K", tip="The local CA and HTTPS certificates for dev host names")
        self.local_routes_action = a("&Local routes…", lambda: show_local_routes(self), "Ctrl+Shift+J",
                                     tip="app.localhost → your app: the routes 'proxydesk route' manages")

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.new_action, self.open_action):
            file_menu.addAction(action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addSeparator()
        for action in (self.save_action, self.save_as_action, self.export_action, self.revert_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        for action in (self.undo_action, self.redo_action):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        for action in self._find_actions():
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        for action in (self.add_frontend_action, self.add_backend_action, self.add_listen_action,
                       self.add_userlist_action, self.add_defaults_action, self.add_global_action,
                       self.rename_action, self.remove_action):
            edit_menu.addAction(action)
        view_menu = bar.addMenu("&View")
        for action in (self.show_map_action, self.show_editor_action, self.show_text_action,
                       self.show_log_action, self.show_traffic_action):
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.show_problems_action)
        view_menu.addAction(self.show_tree_action)
        engine_menu = bar.addMenu("E&ngine")
        for action in (self.start_action, self.stop_action, self.apply_action):
            engine_menu.addAction(action)
        engine_menu.addSeparator()
        self.run_on = RunOnMenu(self, engine_menu.addMenu("Run &on"))
        tools_menu = bar.addMenu("&Tools")
        tools_menu.addAction(self.local_routes_action)
        tools_menu.addAction(self.certificates_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.manual_action)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)
        self.toolbar = QToolBar("Main")
        self.toolbar.setObjectName("main-toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.start_action, self.stop_action, self.apply_action):
            self.toolbar.addAction(action)
        self.toolbar.addSeparator()
        for action in (self.add_frontend_action, self.add_backend_action, self.remove_action):
            self.toolbar.addAction(action)
        self.addToolBar(self.toolbar)
        toolbar_toggle = self.toolbar.toggleViewAction()
        toolbar_toggle.setText("T&oolbar")
        view_menu.addAction(toolbar_toggle)
        self._refresh_recent_menu()

    def _find_actions(self) -> list[QAction]:
        """The text view's Find/Replace, window-wide: they show the text view first."""
        view = self.text_view
        actions = [view.find_action, view.replace_action, view.find_next_action, view.find_previous_action]
        for action in actions:
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        view.revealRequested.connect(lambda: self.tabs.setCurrentWidget(view))
        return actions

    def _build_status_bar(self) -> None:
        self.engine_label = QLabel()
        self.engine_label.setMinimumWidth(200)
        self.statusBar().addPermanentWidget(self.engine_label)
        self._update_engine_label()

    def _connect(self) -> None:
        selection = self.tree.selectionModel()
        selection.currentChanged.connect(self._tree_current_changed)
        self.tree_model.modelReset.connect(self._tree_reset)
        self.map_view.sectionRequested.connect(self.open_section)
        self.map_view.lineRequested.connect(self.show_line)
        self.map_view.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.diagnostics.activated.connect(self.jump_to_diagnostic)
        self.diagnostics.clicked.connect(self.jump_to_diagnostic)
        self.document.dirtyChanged.connect(lambda _dirty: self._update_title())
        self.document.pathChanged.connect(self._update_title)
        self.document.diagnosticsChanged.connect(self._update_diagnostics_title)
        self._connect_host(self.host)
        self._update_diagnostics_title()

    def _connect_host(self, host: EngineHost) -> None:
        # Once per host; only the window's current host drives the actions and the label.
        if host in self._connected_hosts:
            return
        self._connected_hosts.append(host)
        host.stateChanged.connect(lambda _state: self._update_engine_actions()
                                  if host is self.host else None)
        host.listeningChanged.connect(lambda: self._update_engine_label()
                                      if host is self.host else None)

    def set_host(self, host: EngineHost) -> bool:
        """Run on ``host`` from now on (Engine > Run on); refused unless both are stopped."""
        if host is self.host:
            return True
        if self.host.state != STOPPED or host.state != STOPPED:
            self.statusBar().showMessage("Stop the engine before choosing what to run on", 5000)
            return False
        self._connect_host(host)
        self.host = host
        self._update_engine_actions()
        self.statusBar().showMessage(f"Runs on {host.label} from now on", 3000)
        return True

    # -- selection and editors ------------------------------------------------------------------
    @property
    def current_key(self) -> SectionKey | None:
        return self._current_key

    def select_section(self, key: SectionKey) -> bool:
        index = self.tree_model.index_of(key)
        if not index.isValid():
            return False
        self.tree.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        return True

    def _tree_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = current.data(KEY_ROLE) if current.isValid() else None
        if key is None:
            return  # a group row, or a reset clearing the selection: keep the editor
        key = tuple(key)
        if key != self._current_key:
            self._show_editor(key)

    def _tree_reset(self) -> None:
        self.tree.expandAll()
        key = self._current_key
        if key is None:
            return
        index = self.tree_model.index_of(key)
        if not index.isValid():
            self._show_placeholder()
            return
        selection = self.tree.selectionModel()
        with _signals_blocked(selection):
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.tree.viewport().update()

    def _show_editor(self, key: SectionKey) -> None:
        self._current_key = key
        old = self.editor_area.takeWidget()
        if old is not None:
            old.deleteLater()
        editor = editor_for(self.document, key[0], key[1])
        for tester in editor.findChildren(WhatIfTester):  # its result lights up the map
            tester.routed.connect(self.map_view.show_decision)
        self.editor_area.setWidget(editor)
        self.tabs.setCurrentWidget(self.editor_area)

    def show_line(self, line: int) -> None:
        self.tabs.setCurrentWidget(self.text_view)
        self.text_view.go_to_line(line)

    def open_section(self, key: SectionKey | tuple[str, str | None, str]) -> None:
        """A map node was clicked: its form, as selecting it in the tree shows it; a third
        item names the form's tab to show (a rule node opens its frontend's Rules)."""
        if self.select_section((key[0], key[1])):
            self.tabs.setCurrentWidget(self.editor_area)
            form_tabs = getattr(self.editor_area.widget(), "tabs", None)
            tab = key[2] if len(key) > 2 else ""
            if tab and isinstance(form_tabs, QTabWidget):
                wanted = [i for i in range(form_tabs.count()) if form_tabs.tabText(i) == tab]
                form_tabs.setCurrentIndex(wanted[0] if wanted else form_tabs.currentIndex())

    def _show_placeholder(self) -> None:
        self._current_key = None
        old = self.editor_area.takeWidget()
        if old is not None:
            old.deleteLater()
        label = QLabel("Select a frontend, backend or section on the left to edit it,\n"
                       "or add one with the toolbar.")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        self.editor_area.setWidget(label)

    def jump_to_diagnostic(self, index: QModelIndex) -> None:
        diagnostic: Diagnostic | None = index.sibling(index.row(), 0).data(DIAGNOSTIC_ROLE)
        if diagnostic is None:
            return
        key = section_at_line(self.document.text, diagnostic.line)
        if key is not None:
            self.select_section(key)
        if diagnostic.line > 0:
            self.tabs.setCurrentWidget(self.text_view)
            self.text_view.go_to_line(diagnostic.line, diagnostic.col)

    # -- section management -------------------------------------------------------------------
    def _selected_group_kind(self) -> str | None:
        group = self.tree_model.group_of(self.tree.currentIndex())
        return group.add_kind if group is not None else None

    def prompt_add(self, kind: str) -> None:
        name, ok = QInputDialog.getText(self, f"Add {kind}", f"Name of the new {kind}:")
        if ok and name.strip():
            self.add_section(kind, name.strip())

    def add_section(self, kind: str, name: str) -> bool:
        problem = valid_section_name(name)
        if problem is None and self.document.section(kind, name) is not None:
            problem = "there is already one"
        if problem is not None:
            self.statusBar().showMessage(f"Cannot add {kind} '{name}': {problem}", 5000)
            return False

        self.document.edit(f"Add {kind} {name}", lambda config: config.add_named_section(kind, name))
        self.select_section((kind, name))
        return True

    def prompt_add_defaults(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Add defaults", "Name of the new defaults section (empty: unnamed, used by the "
            "sections after it;\na name lets other sections pick it with 'from'):")
        if ok:
            self.add_defaults(name.strip())

    def add_defaults(self, name: str = "") -> bool:
        """A new defaults section (edit.add_defaults_section places it and seeds it)."""
        problem = valid_section_name(name) if name else None
        if problem is None and name and self.document.section("defaults", name) is not None:
            problem = "there is already one"
        if problem is not None:
            self.statusBar().showMessage(f"Cannot add defaults '{name}': {problem}", 5000)
            return False
        self.document.edit(f"Add defaults {name}".strip(), lambda config: add_defaults_section(config, name))
        self.select_section(("defaults", name or None))
        return True

    def add_global(self) -> None:
        if self.document.config.global_section is None:
            self.document.edit("Add global", add_global_section)
        self.select_section(("global", None))

    def remove_selected(self) -> None:
        key = self._current_key
        if key is None:
            return

        def mutate(config: Config) -> None:
            section = config.find(*key)
            if section is not None:
                config.sections.remove(section)

        self.document.edit(f"Remove {key[0]} {key[1] or ''}".strip(), mutate)

    def prompt_rename(self) -> None:
        key = self._current_key
        if key is None or key[1] is None:
            return
        name, ok = QInputDialog.getText(self, "Rename", f"New name for {key[0]} {key[1]}:", text=key[1])
        if ok and name.strip():
            self.rename_section(key, name.strip())

    def rename_section(self, key: SectionKey, new_name: str) -> bool:
        kind, old_name = key
        if old_name is None or valid_section_name(new_name) is not None \
                or self.document.section(kind, new_name):
            return False

        def mutate(config: Config) -> None:
            section = config.find(kind, old_name)
            if section is not None:
                rename_section(config, section, new_name)

        self.document.edit(f"Rename {kind} {old_name} to {new_name}", mutate)
        self.select_section((kind, new_name))
        return True

    # -- files --------------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """True when unsaved changes may go: saved, discarded, or there were none.

        Asked before New, Open, Open Recent and closing; Cancel (or Esc) keeps everything."""
        if not self.document.dirty:
            return True
        name = self.document.display_name
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to {name} first?",
                          buttons.Save | buttons.Discard | buttons.Cancel, self)
        box.setInformativeText("Your changes are lost if you do not save them.")
        box.setDefaultButton(buttons.Save)
        box.setEscapeButton(buttons.Cancel)
        answer = buttons(box.exec())
        box.deleteLater()
        if answer == buttons.Save:
            return self.file_save()
        return answer == buttons.Discard

    def confirm_stop_engine(self, doing: str, button: str) -> bool:
        """True when nothing runs, or the user agrees that ``doing`` (quitting) stops the
        running proxy (which then stops)."""
        if not self.host.running:
            return True
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Question, "The proxy is running",
                          f"{doing} stops the proxy that serves {self.document.display_name}.",
                          buttons.Cancel, self)
        box.setInformativeText("Its clients are disconnected; Start serves the next file.")
        stop = box.addButton(button, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(buttons.Cancel)
        box.setEscapeButton(buttons.Cancel)
        box.exec()
        agreed = box.clickedButton() is stop
        box.deleteLater()
        if agreed:
            self.host.stop_blocking()
            self._update_engine_actions()
        return agreed

    def replace_document(self, doing: str, new: str, load: Callable[[], bool],
                         served: str | None = None) -> bool:
        """``load`` another document (New, Open, Revert).  A running proxy, serving
        ``served`` (default: this document's name), is stopped, kept on what it serves or
        given the new document, as the user answers (module gui.running_engine); Cancel,
        or a load that fails, changes nothing."""
        served = self.serving_other or served or self.document.display_name
        choice = ask_running_engine(self, doing, served, new) if self.host.running else None
        if self.host.running and choice is None:
            return False
        if not load():
            return False
        if choice is None or choice is RunningChoice.STOP:
            if self.host.running:
                self.host.stop_blocking()
            self.host.port_substitutes = {}  # they were for the previous document
        else:
            self.serving_other = served  # APPLY: until the apply succeeds
            if choice is RunningChoice.APPLY:
                self._spawn(self.apply_engine())
        self._update_engine_actions()
        return True

    def file_new(self) -> None:
        if self.confirm_discard():
            self.replace_document("Creating a new file", "the new file", self._load_new)

    def _load_new(self) -> bool:
        self.document.new()
        self._show_placeholder()
        return True

    def file_open(self) -> None:
        if not self.confirm_discard():
            return
        path, _filter = QFileDialog.getOpenFileName(self, "Open haproxy.cfg", self._last_dir(), CFG_FILTER)
        if path:
            self.replace_document(f"Opening {Path(path).name}", Path(path).name,
                                  lambda: self.open_path(Path(path)))

    def open_recent(self, path: Path) -> bool:
        return self.confirm_discard() and self.replace_document(
            f"Opening {path.name}", path.name, lambda: self.open_path(path))

    def file_revert(self) -> bool:
        """Reload the document's file from disk, after asking when changes would go."""
        path = self.document.path
        if path is None:
            self.statusBar().showMessage("Nothing to revert to: this document was never saved", 5000)
            return False
        if self.document.dirty and not self._confirm_revert(path.name):
            return False
        return self.replace_document(f"Reverting {path.name}", f"the saved {path.name}",
                                     lambda: self.open_path(path), served=f"the edited {path.name}")

    def _confirm_revert(self, name: str) -> bool:
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Warning, "Revert",
                          f"Drop the changes to {name} and reload it from disk?",
                          buttons.Cancel, self)
        revert = box.addButton("&Revert", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(buttons.Cancel)
        box.setEscapeButton(buttons.Cancel)
        box.exec()
        agreed = box.clickedButton() is revert
        box.deleteLater()
        return agreed

    def open_path(self, path: Path) -> bool:
        try:
            self.document.open(path)
        except OSError as exc:
            QMessageBox.warning(self, "Cannot open", f"{path}:\n{exc}")
            return False
        self._show_placeholder()
        self._remember_recent(path)
        first = next((k for g in range(len(GROUPS)) for k in self._group_keys(g)), None)
        if first is not None:
            self.select_section(first)
        self.tabs.setCurrentWidget(self.map_view)  # the whole config at a glance first
        return True

    def file_save(self) -> bool:
        if self.document.path is None:
            return self.file_save_as()
        return self._guarded_save(self.document.save)

    def file_save_as(self) -> bool:
        path, _filter = QFileDialog.getSaveFileName(self, "Save haproxy.cfg", self._last_dir(), CFG_FILTER)
        if not path:
            return False
        ok = self._guarded_save(lambda: self.document.save_as(path))
        if ok:
            self._remember_recent(Path(path))
        return ok

    def file_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Export haproxy.cfg", self._last_dir(), CFG_FILTER)
        if path and self._guarded_save(lambda: self.document.export(path)):
            self.statusBar().showMessage(f"Exported to {path}", 5000)

    def _guarded_save(self, save: Callable[[], None]) -> bool:
        try:
            save()
        except (SaveError, OSError) as exc:
            QMessageBox.critical(self, "Save failed", f"{exc}\n\nThe file on disk was not changed.")
            return False
        self.statusBar().showMessage("Saved", 3000)
        return True

    def _last_dir(self) -> str:
        return str(self.document.path.parent) if self.document.path else str(Path.home())

    def _group_keys(self, group: int) -> list[SectionKey]:
        parent = self.tree_model.index(group, 0)
        return [tuple(self.tree_model.index(r, 0, parent).data(KEY_ROLE))
                for r in range(self.tree_model.rowCount(parent))]

    # -- recent files and UI state ----------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            return [value] if value else []
        return [str(v) for v in value] if isinstance(value, Iterable) else []

    def _remember_recent(self, path: Path) -> None:
        entry = str(path.resolve())
        recent = [entry] + [p for p in self.recent_files() if p != entry]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        for number, entry in enumerate(self.recent_files(), start=1):
            action = self.recent_menu.addAction(f"&{number} {entry}")
            action.triggered.connect(lambda _c=False, p=entry: self.open_recent(Path(p)))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    def _restore_ui_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(_first_size(self.screen().availableGeometry().size()))
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        splitter = self.settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def save_ui_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.sync()

    # -- engine -----------------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no qasync loop (an embedding without one): run to completion
            with contextlib.closing(asyncio.new_event_loop()) as own_loop:
                own_loop.run_until_complete(coro)
            return
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start_engine(self) -> bool:
        if self.host.state != STOPPED:
            return False
        if self._refuse_if_invalid("Start"):
            return False
        try:
            await self.host.start(self.document.config, self.document.base_dir)
        except EngineError as exc:
            self._show_engine_error("Start", exc)
            return False
        self._show_refusal([])
        self.serving_other = None
        self.statusBar().showMessage("Engine started", 3000)
        return True

    def apply_clicked(self) -> None:
        """Engine > Apply; after "keep serving" it first asks to replace what is served."""
        served = self.serving_other
        if served is not None and self.host.running \
                and not confirm_apply_over(self, served, self.document.display_name):
            return
        self._spawn(self.apply_engine())

    async def apply_engine(self) -> bool:
        if self.host.state != RUNNING:
            return await self.start_engine()
        if self._refuse_if_invalid("Apply"):
            return False
        try:
            await self.host.apply(self.document.config)
        except EngineError as exc:
            self._show_engine_error("Apply", exc)
            return False
        self._show_refusal([])
        self.serving_other = None
        self._update_engine_label()
        self.statusBar().showMessage("Configuration applied", 3000)
        return True

    async def stop_engine(self) -> None:
        if self.host.state == RUNNING:
            await self.host.stop()

    def _refuse_if_invalid(self, what: str) -> bool:
        # The engine's own rule (engine._validation_errors): "port 0" is an error for
        # HAProxy but the engine binds an ephemeral port for it; the panel still shows it.
        errors = [d for d in self.document.errors if d.code != BIND_PORT_ZERO]
        if not errors:
            return False
        keeps = " The engine keeps serving the previous configuration." if self.host.running else ""
        self.statusBar().showMessage(
            f"{what} refused: {len(errors)} error(s) in the configuration.{keeps}", 10000)
        self._reveal_diagnostics()
        return True

    def _show_engine_error(self, what: str, exc: EngineError) -> None:
        keeps = " The previous configuration keeps serving." if self.host.running else ""
        self.statusBar().showMessage(f"{what} failed: {exc.message}.{keeps}", 10000)
        self.last_engine_error = exc
        self._show_refusal(exc.diagnostics)  # located, until the next edit
        self._reveal_diagnostics()

    def _show_refusal(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics_model.show_refusal(diagnostics)
        self._update_diagnostics_title()

    def _reveal_diagnostics(self) -> None:
        sizes = self.right.sizes()
        if len(sizes) == 2 and sizes[1] < 80:
            self.right.setSizes([max(sizes[0] - 160, 200), 160])
        if self.diagnostics_model.rowCount():
            self.diagnostics.selectRow(0)

    def poll_engine(self) -> None:
        """QTimer tick (GUI thread): pull the engine's log events as one batch."""
        # Everything queued (the engine keeps at most 10,000): the log shows the newest.
        events = self.host.drain_events(LOG_DRAIN_MAX)
        if events:
            self.log_view.append(events)
        unlisted = self.host.take_unlisted()  # sampled out under load: counted, not lost
        if unlisted:
            self.log_view.count_unlisted(unlisted)
        self.traffic_view.poll(self.host)  # samples on every tick; draws only while shown
        self.map_view.follow(self.traffic_view.history)  # the same samples, while shown
        reason = self.host.lost() if self.host.state == RUNNING else None
        if reason is not None:  # e.g. the haproxy process was killed: say so, allow Start
            self.host.stop_blocking()
            self.statusBar().showMessage(reason)

    def _update_engine_actions(self) -> None:
        state = self.host.state
        if state == STOPPED:
            self.serving_other = None
        self.start_action.setEnabled(state == STOPPED)
        self.stop_action.setEnabled(state == RUNNING)
        self.apply_action.setEnabled(state in (RUNNING, STOPPED))
        self.run_on.sync()
        self._update_engine_label()

    def _update_engine_label(self) -> None:
        runner = self.host.label
        if self.host.state != RUNNING:
            self._set_engine_text(f"{runner}: {self.host.state}")
            return
        places = ", ".join(f"{f} on {h or '*'}:{p}" for f, h, p in self.host.listening)
        doing = f"serving {self.serving_other}, not this document" if self.serving_other else "running"
        moved = self.host.port_substitutes  # the listeners above are on the substitutes
        taken = f" (port {', '.join(map(str, moved))} taken)" if moved else ""
        more = " Apply serves this document instead." if self.serving_other else ""
        if moved:
            more += " Substitutes: " + ", ".join(f"{a} → {b}" for a, b in moved.items()) + "."
        self._set_engine_text(f"{runner}: {doing}{taken} — {places or 'no listeners'}", more)

    def _set_engine_text(self, text: str, more: str = "") -> None:
        """Cut short past half the window (a status bar widget as wide as its text would
        widen the window, and the other half is for the status messages); the whole of
        it, and ``more``, in the tooltip."""
        self.engine_label.setToolTip(text + "." + more if more else text)
        room = max(300, self.width() // 2 + 60)
        self.engine_label.setText(
            self.engine_label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room))

    def _update_diagnostics_title(self) -> None:
        diagnostics = self.diagnostics_model.items
        errors = sum(1 for d in diagnostics if d.is_error)
        warnings = len(diagnostics) - errors
        self.diagnostics_title.setText(f"  Problems: {errors} error(s), {warnings} warning(s)"
                                       if diagnostics else "  Problems: none")
        self._fit_problems_panel()

    def _fit_problems_panel(self) -> None:
        """An empty list keeps only its title line, so the editor gets the room; the list
        opens when there is something in it (unless the user hid the panel)."""
        empty = not self.diagnostics_model.items
        self.diagnostics.setVisible(not empty and self.show_problems_action.isChecked())
        box = self.diagnostics_title.parentWidget()
        if box is not None:
            box.setVisible(self.show_problems_action.isChecked())
            title = self.diagnostics_title.sizeHint().height() + 4
            box.setMaximumHeight(title if empty else 16777215)

    def _toggle_problems(self) -> None:
        self._fit_problems_panel()
        if self.show_problems_action.isChecked():
            self._reveal_diagnostics()

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About Proxydesk",
            f"<b>Proxydesk {__version__}</b><p>A desktop manager for HAProxy configurations: "
            "a visual editor over haproxy.cfg, an embedded proxy engine, live traffic, "
            "local HTTPS and developer routing.</p><p>Configurations follow HAProxy 2.6; "
            f"<a href='{MANUAL_URL}'>its manual</a> documents every keyword.</p>")

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — Proxydesk")
        self.setWindowModified(self.document.dirty)
        self.revert_action.setEnabled(self.document.path is not None)

    # -- closing ---------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing and not (self.confirm_discard()
                                      and self.confirm_stop_engine("Quitting", "Stop and quit")):
            event.ignore()
            return
        self._closing = True
        self._poll_timer.stop()
        self.save_ui_state()
        # Before the Qt loop ends: anything awaited after aboutToQuit would fail (qasync).
        self.host.shutdown()
        self.run_on.shutdown()
        for task in list(self._tasks):
            task.cancel()
        event.accept()


def _first_size(available: QSize) -> QSize:
    """The first window: most of the screen (the Requests table needs the width), never
    less than 1100x700 where the screen has it, never more than it has."""
    width = max(min(1100, available.width()), int(available.width() * 0.8))
    height = max(min(700, available.height()), int(available.height() * 0.8))
    return QSize(min(width, 1600), min(height, 1000))


@contextlib.contextmanager
def _signals_blocked(obj: Any) -> Any:
    previous = obj.blockSignals(True)
    try:
        yield
    finally:
        obj.blockSignals(previous)
