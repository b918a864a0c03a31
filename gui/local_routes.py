"""The Local routes window: the per-user routes file ``proxydesk route`` works on, as a table.

Theory of operation
-------------------
A thin Qt layer over ``proxy.routes``: the listing is ``route_statuses`` (the
file's routes with their certificate's expiry), every write is ``put_route`` or
``delete_route`` (the CLI's checks and its atomic write, on the same file:
``default_routes_path()``, which ``PROXYDESK_CONFIG_DIR`` moves), and refusals
are ``RouteError`` messages written for users, shown as they are.

* ``LocalRoutesModel`` -- one row per route: Name, Target, HTTPS, Certificate,
  Trusted, Reachable.  The last two are filled in later: they need the network
  or the trust stores.
* ``LocalRoutesWindow`` -- a non-modal dialog: the file's path, the table, the
  actions and a message line reporting the last outcome ("Error: ..." when
  something was refused).  It re-reads the file each time it is shown, so what
  the CLI did meanwhile appears.
* Reachable is a TCP connect to each target (``proxy.routes.reachability``,
  0.3 s) on a worker thread after every refresh; Trusted is
  ``check_local_ca_trust`` (it runs certutil and friends) on a worker thread,
  the first time the window is shown and on *Check trust*.  Results come back
  through a signal; a stale one (from before a later refresh) is dropped.
* ``RouteDialog`` (Add / Edit) writes on OK and stays open with the reason when
  ``put_route`` refuses, so a typo is corrected instead of retyped.  It is
  opened with ``open()`` (window-modal, not blocking), which keeps it drivable
  from tests.  Remove asks first.

The window does not touch a document the main window has open: if that is the
routes file itself, the main window keeps its copy until it is reopened.
"""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.certificates import show_error
from gui.models import HeadedTableModel
from gui.theme import icon
from proxy import hostsfile
from proxy.certs.store import CertStore
from proxy.routes import (
    TARGET_FORMS,
    RouteError,
    RouteInfo,
    RouteStatus,
    TrustSummary,
    check_local_ca_trust,
    default_routes_path,
    delete_route,
    load_routes_file,
    put_route,
    reachability,
    route_statuses,
)

__all__ = ["LocalRoutesModel", "LocalRoutesWindow", "RouteDialog", "show_local_routes", "target_text"]

AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
NOT_CHECKED, CHECKING = "not checked", "checking…"


def target_text(info: RouteInfo) -> str:
    """The target as the user typed it: ``https://...`` only when the app speaks HTTPS."""
    return info.target_url if info.target_tls else info.target


def certificate_text(status: RouteStatus) -> str:
    if status.certificate_problem:
        return "unreadable"
    if status.expires is None:
        return "—"
    return f"{'expired' if status.expired else 'expires'} {status.expires:%Y-%m-%d}"


# --- the table -------------------------------------------------------------------------------------


class LocalRoutesModel(HeadedTableModel):
    """One row per route; Trusted and Reachable are set later (``set_trust``, ``set_reach``)."""

    HEADERS = ("Name", "Target", "HTTPS", "Certificate", "Trusted", "Reachable")
    NAME, TARGET, HTTPS, CERTIFICATE, TRUSTED, REACHABLE = range(6)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._statuses: list[RouteStatus] = []
        self._reach: dict[str, bool] = {}
        self._reach_checking = False
        self._trust: TrustSummary | None = None
        self._trust_checking = False

    def set_statuses(self, statuses: Sequence[RouteStatus]) -> None:
        self.beginResetModel()
        self._statuses = list(statuses)
        self._reach, self._reach_checking = {}, True
        self.endResetModel()

    def set_reach(self, reach: dict[str, bool]) -> None:
        self._reach, self._reach_checking = dict(reach), False
        self._column_changed(self.REACHABLE)

    def set_trust(self, trust: TrustSummary | None, *, checking: bool = False) -> None:
        self._trust, self._trust_checking = trust, checking
        self._column_changed(self.TRUSTED)

    def _column_changed(self, column: int) -> None:
        if self._statuses:
            self.dataChanged.emit(self.index(0, column), self.index(len(self._statuses) - 1, column))

    def status(self, row: int) -> RouteStatus | None:
        return self._statuses[row] if 0 <= row < len(self._statuses) else None

    def row_of(self, hostname: str) -> int:
        return next((row for row, s in enumerate(self._statuses) if s.route.hostname == hostname), -1)

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._statuses)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        status = self._statuses[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(status, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(status, index.column())
        return None

    def cell_text(self, status: RouteStatus, column: int) -> str:
        info = status.route
        if column == self.NAME:
            return info.hostname
        if column == self.TARGET:
            return target_text(info)
        if column == self.HTTPS:
            return "yes" if info.https else "no"
        if column == self.CERTIFICATE:
            return certificate_text(status)
        if column == self.TRUSTED:
            return self._trust_text(status)
        reach = self._reach.get(info.target)
        if reach is None:
            return CHECKING if self._reach_checking else NOT_CHECKED
        return "yes" if reach else "no"

    def _trust_text(self, status: RouteStatus) -> str:
        if not status.route.https:
            return "—"
        if not status.local_ca:
            return "unknown"
        if self._trust_checking:
            return CHECKING
        return self._trust.text if self._trust is not None else NOT_CHECKED

    def _tooltip(self, status: RouteStatus, column: int) -> str:
        info = status.route
        if column == self.CERTIFICATE and status.certificate_problem:
            return status.certificate_problem
        if column == self.CERTIFICATE and info.certificate:
            return f"{info.certificate}\nRenew it from Tools ▸ Certificates…" if status.expired else info.certificate
        if column == self.TRUSTED and info.https:
            if not status.local_ca:
                return "Not a certificate of Proxydesk's local CA: whether browsers trust it depends on its issuer"
            if self._trust is None:
                return "Check trust looks store by store whether this system trusts the local CA"
            return self._trust.detail
        if column == self.REACHABLE and self._reach.get(info.target) is False:
            return (f"Nothing accepts a connection at {info.target}: start your app there, "
                    "or Edit… the route's target")
        if column == self.REACHABLE and self._reach.get(info.target):
            return f"Something listens at {info.target}"
        return "\n".join(status.urls) or info.hostname


# --- add / edit ------------------------------------------------------------------------------------


class RouteDialog(QDialog):
    """Name, target and HTTPS; OK writes through ``put_route`` and stays open on a refusal."""

    def __init__(
        self,
        path: Path,
        store: CertStore,
        editing: RouteStatus | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.path, self.store = path, store
        self.editing = editing.route if editing is not None else None
        self.saved: RouteInfo | None = None  # the route as written, once OK succeeded
        self.replaced: RouteInfo | None = None  # the route the name had before, if any
        self.setWindowTitle("Edit local route" if self.editing else "Add a local route")
        self.hostname = QLineEdit(self.editing.hostname if self.editing else "")
        self.hostname.setPlaceholderText("app.localhost")
        self.hostname.setToolTip("The name you type in the browser; names under .localhost resolve "
                                 "to this machine. *.NAME routes every subdomain of NAME")
        self.target = QLineEdit(target_text(self.editing) if self.editing else "")
        self.target.setPlaceholderText("3000")
        self.target.setToolTip(f"Where your app listens: {TARGET_FORMS}")
        self.https = QCheckBox("Serve HTTPS with a certificate of Proxydesk's local CA")
        self.https.setChecked(self.editing.https if self.editing else True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Host name:", self.hostname)
        form.addRow("Forward to:", self.target)
        form.addRow("", self.https)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def accept(self) -> None:
        try:
            self.replaced = put_route(
                self.path, self.hostname.text(), self.target.text(), https=self.https.isChecked(),
                replacing=self.editing.hostname if self.editing else None, store=self.store)
        except RouteError as exc:
            show_error(self.error, str(exc))
            return
        config, _errors = load_routes_file(self.path)
        name = self.hostname.text().strip().lower().rstrip(".")
        self.saved = next((s.route for s in route_statuses(config, self.store) if s.route.hostname == name), None)
        super().accept()


# --- the window ------------------------------------------------------------------------------------


class _Relay(QObject):
    """Carries worker-thread results back to the GUI thread."""

    reach_done = Signal(int, object)
    trust_done = Signal(object)


class LocalRoutesWindow(QDialog):
    """The routes of the per-user routes file, with add / edit / remove."""

    def __init__(
        self,
        path: Path | None = None,
        store: CertStore | None = None,
        parent: QWidget | None = None,
        *,
        trust_checker: Callable[[], TrustSummary] | None = None,
        reach: Callable[[list[str]], dict[str, bool]] = reachability,
        open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Local routes — Proxydesk")
        self.setWindowIcon(icon("app"))
        self.path = path if path is not None else default_routes_path()
        self.store = store if store is not None else CertStore()
        self._trust_checker = trust_checker or (lambda: check_local_ca_trust(self.store))
        self._reach = reach
        self._open_url = open_url
        self._generation = 0
        self._trust_asked = False
        self.file_ok = False
        self.dialog: RouteDialog | None = None
        self._relay = _Relay(self)
        self._relay.reach_done.connect(self._show_reach)
        self._relay.trust_done.connect(self._show_trust)
        self.file_label = QLabel()
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_label.setWordWrap(True)
        self.model = LocalRoutesModel(self)
        self.table = self._build_table()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._build_buttons())
        layout.addWidget(self.message)
        self.resize(1000, 460)
        self.refresh()

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        table.setAlternatingRowColors(True)
        # content-sized columns get room around their text, not an edge-to-edge fit
        table.setStyleSheet("QTableView::item { padding: 0 10px; } QHeaderView::section { padding: 0 10px; }")
        header = table.horizontalHeader()
        for column in range(len(LocalRoutesModel.HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(LocalRoutesModel.TARGET, QHeaderView.ResizeMode.Stretch)
        table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        table.doubleClicked.connect(lambda _index: self.edit_selected())
        return table

    def _build_buttons(self) -> QHBoxLayout:
        def button(text: str, slot: Callable[[], object], tip: str, icon_name: str = "") -> QPushButton:
            widget = QPushButton(icon(icon_name), text) if icon_name else QPushButton(text)
            widget.setToolTip(tip)
            widget.clicked.connect(lambda _checked=False: slot())
            return widget

        self.add_button = button("Add…", self.add_route, "Route a host name to a local app", "add")
        self.edit_button = button("Edit…", self.edit_selected, "Change the selected route's name, target or HTTPS")
        self.remove_button = button("Remove…", self.remove_selected, "Take the selected route out of the file",
                                    "remove")
        self.refresh_button = button("Refresh", self.refresh, "Read the file again and re-check which apps answer")
        self.trust_button = button("Check trust", self.check_trust,
                                   "Look store by store whether this system trusts the local CA")
        self.browser_button = button("Open in browser", self.open_selected, "Open the selected route's URL")
        row = QHBoxLayout()
        for widget in (self.add_button, self.edit_button, self.remove_button):
            row.addWidget(widget)
        row.addStretch(1)
        for widget in (self.refresh_button, self.trust_button, self.browser_button):
            row.addWidget(widget)
        return row

    # -- state -------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()  # the CLI may have changed the file while the window was hidden
        if not self._trust_asked:
            self.check_trust()
        super().showEvent(event)

    def refresh(self, select: str | None = None) -> None:
        selected = self.selected_status()
        self.file_label.setText(f"Routes in <b>{html.escape(str(self.path))}</b> — the file "
                                "<code>proxydesk route</code> uses")
        try:
            config, errors = load_routes_file(self.path)
        except OSError as exc:
            config, errors = None, []
            self.show_message(f"cannot read {self.path}: {exc.strerror or exc}; check its permissions, "
                              "then Refresh", error=True)
        if errors:
            shown = "; ".join(str(e) for e in errors[:3])
            self.show_message(f"{self.path} has errors ({shown}); fix them in the file (File ▸ Open), "
                              "then Refresh. Nothing can be changed here until then", error=True)
        self.file_ok = config is not None and not errors
        statuses = route_statuses(config, self.store) if config is not None and not errors else []
        self.model.set_statuses(statuses)
        if self.file_ok:  # what was said about the file before no longer holds
            self.show_message("" if statuses else
                              "No routes yet: Add… one (or run 'proxydesk route add NAME PORT').")
        self.add_button.setEnabled(self.file_ok)
        self.select(select or (selected.route.hostname if selected else None))
        self._update_buttons()
        self._check_reach([s.route.target for s in statuses])

    def select(self, hostname: str | None) -> None:
        row = self.model.row_of(hostname) if hostname else -1
        if row >= 0:
            self.table.selectRow(row)

    def selected_status(self) -> RouteStatus | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.status(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        status = self.selected_status()
        for widget in (self.edit_button, self.remove_button):
            widget.setEnabled(status is not None and self.file_ok)
        wildcard = status is not None and status.route.hostname.startswith("*.")
        self.browser_button.setEnabled(status is not None and bool(status.urls) and not wildcard)
        self.browser_button.setToolTip("A wildcard route has no one URL: open one of its names yourself"
                                       if wildcard else "Open the selected route's URL")

    def show_message(self, text: str, *, error: bool = False) -> None:
        if error:
            show_error(self.message, text)
        else:
            self.message.setStyleSheet("")
            self.message.setText(text)

    # -- background checks -------------------------------------------------------------------------
    def _check_reach(self, targets: list[str]) -> None:
        self._generation += 1
        generation = self._generation
        if not targets:
            self.model.set_reach({})
            return

        def work() -> None:  # worker thread: only the signal touches Qt
            result = self._reach(targets)
            with contextlib.suppress(RuntimeError):  # the window is gone: nobody left to tell
                self._relay.reach_done.emit(generation, result)

        threading.Thread(target=work, name="route-reach", daemon=True).start()

    def _show_reach(self, generation: int, result: dict[str, bool]) -> None:
        if generation == self._generation:  # else a refresh came since: its own check follows
            self.model.set_reach(result)

    def check_trust(self) -> None:
        """Look (on a worker thread) whether this system trusts the local CA."""
        self._trust_asked = True
        self.trust_button.setEnabled(False)
        self.model.set_trust(None, checking=True)

        def work() -> None:  # worker thread: only the signal touches Qt
            try:
                summary = self._trust_checker()
            except Exception as exc:  # a store that cannot be looked at must not end the thread silently
                summary = TrustSummary(False, "unknown", f"Could not look at the trust stores: {exc}")
            with contextlib.suppress(RuntimeError):
                self._relay.trust_done.emit(summary)

        threading.Thread(target=work, name="route-trust", daemon=True).start()

    def _show_trust(self, summary: TrustSummary) -> None:
        self.model.set_trust(summary)
        self.trust_button.setEnabled(True)

    # -- actions -------------------------------------------------------------------------------------
    def add_route(self) -> RouteDialog:
        return self._open_dialog(None)

    def edit_selected(self) -> RouteDialog | None:
        status = self.selected_status()
        return self._open_dialog(status) if status is not None and self.file_ok else None

    def _open_dialog(self, status: RouteStatus | None) -> RouteDialog:
        dialog = RouteDialog(self.path, self.store, status, self)
        dialog.accepted.connect(lambda: self._after_write(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _after_write(self, dialog: RouteDialog) -> None:
        saved = dialog.saved
        self.refresh(select=saved.hostname if saved else None)
        if saved is None:
            return
        verb = "Changed" if dialog.editing else "Added"
        text = f"{verb} {saved.hostname} → {target_text(saved)} in {self.path}."
        if dialog.replaced is not None and (dialog.editing is None or dialog.editing.hostname != saved.hostname):
            text += f" It replaced the route {saved.hostname} had, to {target_text(dialog.replaced)}."
        text += _resolution_note(saved.hostname)
        if saved.https and dialog.editing is None:
            text += " Browsers trust its certificate once the local CA is trusted (Tools ▸ Certificates…)."
        self.show_message(text)

    def remove_selected(self) -> bool:
        status = self.selected_status()
        if status is None or not self.file_ok:
            return False
        info = status.route
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        answer = QMessageBox.question(
            self, "Remove the route?",
            f"Remove the route {info.hostname} → {target_text(info)} from {self.path}?\n"
            "Its certificate stays in the store.", yes | no, no)
        if answer != yes:
            self.show_message("Nothing was changed.")
            return False
        try:
            delete_route(self.path, info.hostname)
        except RouteError as exc:
            self.show_message(str(exc), error=True)
            self.refresh()
            return False
        self.refresh()
        text = f"Removed {info.hostname} from {self.path}." + ("" if self.path.exists() else
                                                                " No routes left: the file was removed.")
        hosts = hostsfile.hosts_path()
        if hostsfile.has_hosts_line(info.hostname, hosts):
            text += (f" The line '{hostsfile.hosts_line(info.hostname)}' is still in {hosts}: remove it "
                     "yourself (as administrator) if nothing else needs it.")
        self.show_message(text)
        return True

    def open_selected(self) -> bool:
        status = self.selected_status()
        if status is None or not status.urls:
            return False
        url = status.urls[0]
        if not self._open_url(QUrl(url)):
            self.show_message(f"no browser could be started for {url}: copy the address into one", error=True)
            return False
        self.show_message(f"Opened {url} (it answers once the proxy serves {self.path}).")
        return True


def _resolution_note(hostname: str) -> str:
    """A word when the system will not resolve ``hostname`` by itself (not a .localhost name)."""
    bare = hostname.removeprefix("*.")
    hosts = hostsfile.hosts_path()
    if not hostsfile.needs_hosts_line(bare) or hostname in hostsfile.mapped_names(hosts):
        return ""
    if hostname.startswith("*."):
        return (f" Note: this system will not resolve names under {bare}, and a hosts file cannot hold "
                "wildcards: use a name under .localhost, or a local DNS server.")
    return (f" Note: this system will not resolve {hostname}: add '{hostsfile.hosts_line(hostname)}' "
            f"to {hosts} (as administrator), or use a name under .localhost.")


def show_local_routes(parent: QWidget) -> LocalRoutesWindow:
    """Show the one Local routes window of ``parent`` (created on first use)."""
    window = parent.findChild(LocalRoutesWindow)
    if not isinstance(window, LocalRoutesWindow):
        window = LocalRoutesWindow(parent=parent)
    window.show()
    window.raise_()
    window.activateWindow()
    return window

