"""The Certificates window: the local CA, dev certificates, imports and trust.

Theory of operation
-------------------
This module is a thin Qt layer over ``proxy.certs``: every operation (create
the CA, issue, import, renew, delete, export, trust plans) is one call into
``CertStore`` or ``proxy.certs.trust``; nothing here touches key material or
does cryptography.  ``CertError`` messages are written for users and never
carry key bytes, so they are shown as they are.

* ``CertificatesWindow`` -- a non-modal dialog: the CA panel on top, the
  ``CertificatesModel`` table below, the actions under it and a message line
  that reports the last outcome (errors are prefixed "Error:", never told by
  colour alone).  It re-reads the store each time it is shown, so what the
  CLI did meanwhile appears too.
* ``IssueDialog`` and ``ImportDialog`` perform their operation themselves on
  Accept and stay open with the reason when the library refuses (a typo in a
  name, a wrong password), so the user corrects instead of starting over.
  They are opened with ``open()`` (window-modal, not blocking), which keeps
  them drivable from tests.
* ``TrustDialog`` shows the exact commands of the OS trust plan as copyable
  text and runs them only after an explicit Yes, on a worker thread: a
  privilege prompt can wait minutes for a human and must not freeze the GUI.
* ``CertificatePickerDialog`` / ``choose_store_certificate`` let the frontend
  editor fill a bind's ``crt`` with a stored certificate's combined PEM.

The store is ``CertStore()`` unless one is given: ``PROXYDESK_DATA_DIR``
moves it (tests point it at a temporary directory).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
import shlex
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QDesktopServices, QFont, QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.models import HeadedTableModel
from gui.theme import icon, is_dark
from proxy.certs import (
    CertEntry,
    CertError,
    CertStore,
    InvalidName,
    NameWarning,
    SystemProbe,
    TrustPlan,
    TrustRunResult,
    fingerprint_sha256,
    outcome_lines,
    outcome_summary,
    plan_lines,
    run_trust_plan,
    trust_plan,
    validate_names,
)
from proxy.config.edit import config_host_names
from proxy.config.model import Config

__all__ = [
    "ENTRY_ROLE",
    "EXPIRING_SOON_DAYS",
    "CertificatePickerDialog",
    "CertificatesModel",
    "CertificatesWindow",
    "ImportDialog",
    "IssueDialog",
    "TrustDialog",
    "choose_store_certificate",
    "expiry_text",
    "show_certificates",
    "split_names",
]

#: Fewer days left than this and a certificate is shown as "renew soon".
EXPIRING_SOON_DAYS = 30
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

OK, SOON, EXPIRED = "ok", "soon", "expired"
# (light, dark) text colours; every marked state also carries an icon and words.
_LEVEL_COLOURS = {SOON: ("#8a5a00", "#e0af68"), EXPIRED: ("#c62828", "#f7768e")}
_LEVEL_ICONS = {SOON: "warning", EXPIRED: "error"}
_NAME_SEPARATORS = re.compile(r"[\s,;]+")


# --- small pure helpers --------------------------------------------------------------------------


def split_names(text: str) -> list[str]:
    """``"app.localhost, 127.0.0.1 api.localhost"`` -> three names (commas or blanks)."""
    return [name for name in _NAME_SEPARATORS.split(text) if name]


def expiry_level(days_left: int) -> str:
    if days_left < 0:
        return EXPIRED
    return SOON if days_left < EXPIRING_SOON_DAYS else OK


def expiry_text(days_left: int) -> str:
    """Days left in words that say the state without colour: ``expired 3 days ago``."""
    level = expiry_level(days_left)
    if level == EXPIRED:
        ago = -days_left
        return f"expired {ago} day{'s' if ago != 1 else ''} ago"
    count = f"{days_left} day{'s' if days_left != 1 else ''}"
    return f"{count} — renew soon" if level == SOON else count


def _level_colour(level: str) -> QColor | None:
    pair = _LEVEL_COLOURS.get(level)
    return QColor(pair[1] if is_dark() else pair[0]) if pair else None


def _common_name(rfc4514: str) -> str:
    """``CN=Proxydesk me@host,O=...`` -> ``Proxydesk me@host`` (the whole string if no CN)."""
    match = re.search(r"(?:^|,)CN=((?:[^,\\]|\\.)*)", rfc4514)
    return match.group(1).replace("\\", "") if match else rfc4514


def issuer_text(entry: CertEntry) -> str:
    return "this Proxydesk CA" if entry.issued_by_local_ca else _common_name(entry.issuer)


def show_error(label: QLabel, text: str) -> None:
    """``Error: text`` in the error colour: the word says it, the colour only repeats it."""
    colour = _level_colour(EXPIRED)
    label.setStyleSheet(f"color: {colour.name()};" if colour is not None else "")
    label.setText(f"Error: {text}")


def listed_entries(store: CertStore) -> list[CertEntry]:
    """The store's certificates; none when its CA cannot be read (the CA panel says why)."""
    try:
        return store.list_entries()
    except CertError:  # listing checks each issuer against the CA, which needs it loaded
        return []


def _monospace() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _shell_lines(plan: TrustPlan) -> str:
    lines = plan_lines(plan)  # store by store, as 'proxydesk cert trust --dry-run' prints it
    return "\n".join(lines) if lines else "# nothing can be run automatically on this system"


# --- the table -------------------------------------------------------------------------------------


class CertificatesModel(HeadedTableModel):
    """One row per stored certificate; ``ENTRY_ROLE`` gives the ``CertEntry``."""

    HEADERS = ("Certificate", "Names (SANs)", "Issuer", "Source", "Not after", "Days left")
    DAYS_COLUMN = 5

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[CertEntry] = []

    def set_entries(self, entries: Sequence[CertEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> CertEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def row_of(self, entry_id: str) -> int:
        return next((row for row, e in enumerate(self._entries) if e.id == entry_id), -1)

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        column = index.column()
        level = expiry_level(entry.days_left)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell_text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(entry)
        if role == Qt.ItemDataRole.DecorationRole and column == self.DAYS_COLUMN and level != OK:
            return icon(_LEVEL_ICONS[level])
        if role == Qt.ItemDataRole.ForegroundRole and column == self.DAYS_COLUMN:
            return _level_colour(level)
        if role == ENTRY_ROLE:
            return entry
        return None

    @staticmethod
    def _cell_text(entry: CertEntry, column: int) -> str:
        texts = (
            entry.id,
            ", ".join(entry.names) or "(no host names)",
            issuer_text(entry),
            entry.source,  # "imported" ones cannot be renewed here: say so where it shows
            f"{entry.not_after:%Y-%m-%d}",
            expiry_text(entry.days_left),
        )
        return texts[column]

    @staticmethod
    def _tooltip(entry: CertEntry) -> str:
        return (
            f"{entry.source.capitalize()} certificate {entry.id}\n"
            f"Subject: {entry.subject or '(empty)'}\nIssuer: {entry.issuer}\n"
            f"Valid {entry.not_before:%Y-%m-%d} to {entry.not_after:%Y-%m-%d %H:%M} UTC\n"
            f"File for 'bind ... ssl crt': {entry.pem_path}"
        )


def certificates_table(model: CertificatesModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    for column in (0, 2, 3, 4, 5):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    return table


# --- issue -----------------------------------------------------------------------------------------


class IssueDialog(QDialog):
    """Names in, a stored certificate out; the library's advice shown while typing."""

    def __init__(
        self, store: CertStore, known_hosts: Iterable[str] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Issue a certificate for dev host names")
        self.store = store
        self.known_hosts = list(known_hosts)
        self.issued: CertEntry | None = None
        self.issued_warnings: tuple[NameWarning, ...] = ()
        self.names = QLineEdit()
        self.names.setPlaceholderText("app.localhost 127.0.0.1")
        self.names.setToolTip("Host names, *.wildcards and IP addresses, separated by commas or spaces")
        self._suggestions: dict[str, tuple[str, tuple[str, ...]]] = {}  # link key -> (replaced, names)
        self.names.textChanged.connect(self._check)
        intro = QLabel("Signed by your local CA, valid for 825 days (the most macOS and iOS accept). "
                       "Browsers trust it once the CA is trusted in this system.")
        intro.setWordWrap(True)
        self.known = QLabel()
        self.known.setWordWrap(True)
        self.known.linkActivated.connect(self.add_name)
        self._show_known_hosts()
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setTextFormat(Qt.TextFormat.RichText)
        self.feedback.linkActivated.connect(self._follow_suggestion)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.issue_button = self.buttons.addButton("Issue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Names:", self.names)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.known)
        layout.addWidget(self.feedback)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._check()

    def typed_names(self) -> list[str]:
        return split_names(self.names.text())

    def add_name(self, name: str) -> None:
        names = self.typed_names()
        if name not in names:
            self.names.setText(" ".join([*names, name]))

    def replace_name(self, old: str, new: Sequence[str]) -> None:
        """Put ``new`` where ``old`` was (an exact-name suggestion for a wildcard)."""
        names: list[str] = []
        for name in self.typed_names():
            for replacement in new if name == old else (name,):
                if replacement not in names:
                    names.append(replacement)
        self.names.setText(" ".join(names))

    def _show_known_hosts(self) -> None:
        links = " ".join(f'<a href="{html.escape(h)}">{html.escape(h)}</a>' for h in self.known_hosts)
        self.known.setText(f"Host names in this configuration (click to add): {links}" if links else "")
        self.known.setVisible(bool(links))

    def _check(self) -> None:
        """Validate as the user types: problems block Issue, warnings only advise."""
        self._suggestions = {}
        names = self.typed_names()
        if not names:
            self.feedback.setText("")
            self.issue_button.setEnabled(False)
            return
        try:
            validated = validate_names(names, self.known_hosts)
        except InvalidName as error:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in error.problems)
            self.feedback.setText(f"<b>Cannot issue:</b><ul>{items}</ul>")
            self.issue_button.setEnabled(False)
            return
        self.issue_button.setEnabled(True)
        lines = [f"Will be valid for: <b>{html.escape(', '.join(validated.names))}</b>"]
        lines += [self._warning_html(number, w) for number, w in enumerate(validated.warnings)]
        self.feedback.setText("<br>".join(lines))

    def _warning_html(self, number: int, warning: NameWarning) -> str:
        colour = _level_colour(SOON)
        style = f' style="color:{colour.name()}"' if colour is not None else ""
        text = f"<span{style}><b>Warning:</b> {html.escape(warning.message)}</span>"
        if warning.suggestions:
            key = f"s{number}"
            # A browser-refused wildcard is replaced by the exact names; other advice adds names.
            replace = warning.code == "wildcard-tld"
            self._suggestions[key] = (warning.name if replace else "", warning.suggestions)
            verb = "Use the exact names" if replace else "Add"
            text += f' <a href="{key}">{verb}: {html.escape(" ".join(warning.suggestions))}</a>'
        return text

    def _follow_suggestion(self, key: str) -> None:
        replaced, suggestions = self._suggestions.get(key, ("", ()))
        if replaced:
            self.replace_name(replaced, suggestions)
        else:
            for name in suggestions:
                self.add_name(name)

    def accept(self) -> None:
        try:
            result = self.store.issue(self.typed_names(), known_hosts=self.known_hosts)
        except CertError as error:
            self.feedback.setText(f"<b>Error:</b> {html.escape(str(error))}")
            return
        self.issued, self.issued_warnings = result.entry, result.warnings
        super().accept()


# --- import ----------------------------------------------------------------------------------------


class ImportDialog(QDialog):
    """A PEM pair (or one PEM with both) or a PKCS#12 file, with its password if any."""

    def __init__(self, store: CertStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import a certificate")
        self.store = store
        self.imported: CertEntry | None = None
        self.imported_warnings: tuple[str, ...] = ()
        self.certificate_file = QLineEdit()
        self.certificate_file.setPlaceholderText("PEM (certificate, chain, maybe the key) or .p12/.pfx")
        self.key_file = QLineEdit()
        self.key_file.setPlaceholderText("only when the key is in a separate PEM file")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("for a PKCS#12 file or an encrypted key")
        form = QFormLayout()
        form.addRow("Certificate:", self._with_browse(self.certificate_file, self._browse_certificate))
        form.addRow("Private key:", self._with_browse(self.key_file, self._browse_key))
        form.addRow("Password:", self.password)
        note = QLabel("The key is copied into Proxydesk's private store (readable by you only); "
                      "the files you pick are not changed.")
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    @staticmethod
    def _with_browse(edit: QLineEdit, browse: Callable[[], None]) -> QHBoxLayout:
        row = QHBoxLayout()
        button = QPushButton("Browse…")
        button.clicked.connect(lambda _checked=False: browse())
        row.addWidget(edit, 1)
        row.addWidget(button)
        return row

    def _browse_certificate(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Certificate to import", str(Path.home()),
            "Certificates (*.pem *.crt *.cer *.p12 *.pfx);;All files (*)")
        if path:
            self.certificate_file.setText(path)

    def _browse_key(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Its private key", str(Path.home()), "PEM keys (*.pem *.key);;All files (*)")
        if path:
            self.key_file.setText(path)

    def accept(self) -> None:
        cert_text, key_text = self.certificate_file.text().strip(), self.key_file.text().strip()
        if not cert_text:
            show_error(self.error, "choose the certificate file first.")
            return
        password = self.password.text().encode() or None
        try:
            result = self.store.import_files(Path(cert_text), Path(key_text) if key_text else None, password)
        except CertError as error:
            show_error(self.error, str(error))
            if "password" in str(error):
                self.password.setFocus()
            return
        self.imported, self.imported_warnings = result.entry, result.warnings
        super().accept()


# --- trust -----------------------------------------------------------------------------------------


class _TrustRun(QObject):
    """Carries a trust run's result from its worker thread back to the GUI thread."""

    finished = Signal(object)


class TrustDialog(QDialog):
    """The trust plan as text; its commands run only after an explicit confirmation."""

    def __init__(
        self,
        plan: TrustPlan,
        parent: QWidget | None = None,
        runner: Callable[[TrustPlan], TrustRunResult] = run_trust_plan,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trust the local CA in this system")
        self.plan = plan
        self._runner = runner
        # not "result": that would shadow QDialog.result(), the dialog's result code
        self.run_result: TrustRunResult | None = None
        self._relay = _TrustRun(self)
        self._relay.finished.connect(self._show_result)
        privilege = ("These commands ask for administrator rights (your system shows its own prompt)."
                     if plan.needs_privilege else "These commands need no administrator rights.")
        notices = "".join(f"<br><b>Note:</b> {html.escape(text)}" for text in plan.warnings)
        intro = QLabel("Browsers and tools on this computer will accept every certificate the local "
                       "CA signs. Proxydesk would run exactly this, store by store (a store that "
                       f"fails does not stop the others):<br><small>{privilege}</small>{notices}")
        intro.setWordWrap(True)
        self.commands = QPlainTextEdit(_shell_lines(plan))
        self.commands.setReadOnly(True)
        self.commands.setFont(_monospace())
        # Wrapped on screen only: long paths stay visible, copying still gives one line per command.
        self.commands.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.instructions = QLabel(f"<b>By hand instead:</b> {html.escape(plan.instructions)}")
        self.instructions.setWordWrap(True)
        self.instructions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.copy_button = QPushButton("Copy commands")
        self.copy_button.clicked.connect(lambda _checked=False: self.copy_commands())
        self.run_button = QPushButton("Run these commands…")
        self.run_button.setEnabled(bool(plan.commands))
        self.run_button.clicked.connect(lambda _checked=False: self.confirm_and_run())
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.commands, 1)
        layout.addWidget(self.instructions)
        layout.addWidget(self.outcome)
        layout.addLayout(buttons)
        self.resize(760, 400)

    def copy_commands(self) -> None:
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.commands.toPlainText())

    def confirm_and_run(self) -> bool:
        """Ask; on Yes run the plan on a worker thread.  Returns whether it started."""
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        answer = QMessageBox.question(
            self, "Change this system's trust settings?",
            "Run the commands shown to trust the Proxydesk CA? Every certificate it signs "
            "will then be accepted on this computer.", yes | no, no)
        if answer != yes:
            self.outcome.setText("Nothing was changed.")
            return False
        self.run_button.setEnabled(False)
        self.outcome.setText("Running… (answer your system's prompt if one appears)")
        threading.Thread(target=self._run, name="trust-plan", daemon=True).start()
        return True

    def _run(self) -> None:  # worker thread: only the signal touches Qt
        result = self._runner(self.plan)
        with contextlib.suppress(RuntimeError):  # the window is gone: nobody left to tell
            self._relay.finished.emit(result)

    def _show_result(self, result: TrustRunResult) -> None:
        self.run_result = result
        lines = []
        for outcome, line in zip(result.outcomes, outcome_lines(result), strict=True):
            lines.append(line)
            lines += [f"    {'ok' if s.returncode == 0 else f'failed ({s.returncode})'}: "
                      f"{shlex.join(s.command)}" for s in outcome.steps]
        self.commands.setPlainText("\n".join(lines) or _shell_lines(self.plan))
        summary = outcome_summary(self.plan.install, result)
        self.outcome.setText(f"Done: {summary}." if result.ok else
                             f"Error: {summary}; follow the steps by hand for those.")
        self.run_button.setEnabled(not result.ok)


# --- the window ------------------------------------------------------------------------------------


class CaPanel(QGroupBox):
    """What the local CA is, and the buttons that act on it."""

    def __init__(self) -> None:
        super().__init__("Local certificate authority")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.subject = QLabel()
        self.fingerprint = QLabel()
        self.fingerprint.setFont(_monospace())
        self.fingerprint.setWordWrap(True)
        self.expiry = QLabel()
        self.location = QLabel()
        self.location.setWordWrap(True)
        for label in (self.subject, self.fingerprint, self.expiry, self.location):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.create_button = QPushButton(icon("add"), "Create local CA")
        self.export_button = QPushButton("Export CA certificate…")
        self.export_button.setToolTip("Save the CA certificate (never its key) to share or import elsewhere")
        self.trust_button = QPushButton("Trust in this system…")
        self.trust_button.setToolTip("Shows the exact commands first; nothing runs without your Yes")
        self.form = QFormLayout()
        self.form.addRow("Subject:", self.subject)
        self.form.addRow("SHA-256:", self.fingerprint)
        self.form.addRow("Expires:", self.expiry)
        self.form.addRow("Stored in:", self.location)
        buttons = QHBoxLayout()
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.trust_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(self.form)
        layout.addLayout(buttons)

    def show_store(self, store: CertStore) -> str | None:
        """Fill in from ``store`` without creating anything; returns a load error if any."""
        self.location.setText(str(store.root))
        exists, error = store.has_ca(), None
        if exists:
            try:
                self._show_ca(store)
            except CertError as problem:
                exists, error = False, str(problem)
        if not exists:
            self.status.setText(error or "No local CA yet. Create one to issue certificates that "
                                "browsers accept once you trust the CA in this system.")
        for row in range(3):
            self.form.setRowVisible(row, exists)
        self.create_button.setVisible(not store.has_ca())
        self.export_button.setEnabled(exists)
        self.trust_button.setEnabled(exists)
        return error

    def _show_ca(self, store: CertStore) -> None:
        ca = store.ca()
        not_after = ca.certificate.not_valid_after_utc
        days = (not_after - dt.datetime.now(dt.UTC)).days
        self.status.setText(f"<b>{html.escape(ca.name)}</b> signs the certificates issued here.")
        self.subject.setText(ca.certificate.subject.rfc4514_string())
        self.fingerprint.setText(fingerprint_sha256(ca.certificate))
        self.expiry.setText(f"{not_after:%Y-%m-%d} ({expiry_text(days)})")


class CertificatesWindow(QDialog):
    """The certificate manager: CA on top, stored certificates below."""

    def __init__(
        self,
        store: CertStore | None = None,
        parent: QWidget | None = None,
        *,
        known_hosts: Callable[[], list[str]] = list,
        probe: SystemProbe | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Certificates — Proxydesk")
        self.setWindowIcon(icon("app"))
        self.store = store if store is not None else CertStore()
        self._known_hosts = known_hosts
        self._probe = probe
        self.issue_dialog: IssueDialog | None = None
        self.import_dialog: ImportDialog | None = None
        self.trust_dialog: TrustDialog | None = None
        self.ca_panel = CaPanel()
        self.ca_panel.create_button.clicked.connect(lambda _c=False: self.create_ca())
        self.ca_panel.export_button.clicked.connect(lambda _c=False: self.export_ca())
        self.ca_panel.trust_button.clicked.connect(lambda _c=False: self.open_trust_dialog())
        self.model = CertificatesModel(self)
        self.table = certificates_table(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda _index: self.copy_path())
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.ca_panel)
        certificates = QGroupBox("Certificates")
        inner = QVBoxLayout(certificates)
        inner.addWidget(self.table, 1)
        inner.addLayout(self._build_buttons())
        layout.addWidget(certificates, 1)
        layout.addWidget(self.message)
        self.resize(960, 640)
        self.table.setFocus()  # not the first CA button: Enter must not export or trust by accident
        self.refresh()

    def _build_buttons(self) -> QHBoxLayout:
        def button(text: str, slot: Callable[[], object], tip: str, icon_name: str = "") -> QPushButton:
            widget = QPushButton(icon(icon_name), text) if icon_name else QPushButton(text)
            widget.setToolTip(tip)
            widget.clicked.connect(lambda _checked=False: slot())
            return widget

        self.issue_button = button("Issue for dev host names…", self.open_issue_dialog,
                                   "A certificate for names like app.localhost, signed by the local CA", "add")
        self.import_button = button("Import…", self.open_import_dialog,
                                    "A PEM certificate and key, or a PKCS#12 (.p12/.pfx) file")
        self.renew_button = button("Renew", self.renew_selected,
                                   "Re-issue for the same names; the file path stays the same")
        self.delete_button = button("Delete…", self.delete_selected, "Remove it from the store", "remove")
        self.copy_button = button("Copy path", self.copy_path,
                                  "Copy the combined PEM's path, for 'bind ... ssl crt PATH'")
        self.reveal_button = button("Reveal", self.reveal_selected, "Open its folder in the file manager")
        row = QHBoxLayout()
        for widget in (self.issue_button, self.import_button):
            row.addWidget(widget)
        row.addStretch(1)
        for widget in (self.renew_button, self.delete_button, self.copy_button, self.reveal_button):
            row.addWidget(widget)
        return row

    # -- state -------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()  # the CLI may have changed the store while the window was hidden
        super().showEvent(event)

    def refresh(self, select_id: str | None = None) -> None:
        selected = self.selected_entry()
        error = self.ca_panel.show_store(self.store)
        self.model.set_entries(listed_entries(self.store))
        self.issue_button.setEnabled(self.store.has_ca() and error is None)
        self.issue_button.setToolTip("" if self.store.has_ca() else "Create the local CA first")
        self.select(select_id or (selected.id if selected else None))
        self._update_buttons()

    def select(self, entry_id: str | None) -> None:
        row = self.model.row_of(entry_id) if entry_id else -1
        if row >= 0:
            self.table.selectRow(row)

    def selected_entry(self) -> CertEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        for widget in (self.delete_button, self.copy_button, self.reveal_button):
            widget.setEnabled(entry is not None)
        renewable = entry is not None and entry.source == "issued"
        self.renew_button.setEnabled(renewable)
        self.renew_button.setToolTip(
            "An imported certificate is renewed where it was issued, then imported again"
            if entry is not None and not renewable else
            "Re-issue for the same names; the file path stays the same")

    def show_message(self, text: str, *, error: bool = False) -> None:
        if error:
            show_error(self.message, text)
        else:
            self.message.setStyleSheet("")
            self.message.setText(text)

    def _guarded(self, action: Callable[[], object]) -> bool:
        """Run a store operation (its value is not needed); a refusal becomes the message line, never a traceback."""
        try:
            action()
        except CertError as error:
            self.show_message(str(error), error=True)
            return False
        except OSError as error:
            self.show_message(f"{error.strerror or error} ({error.filename or 'file'})", error=True)
            return False
        return True

    # -- the CA ---------------------------------------------------------------------------------------
    def create_ca(self) -> None:
        if self._guarded(lambda: self.store.ca()):
            self.refresh()
            self.show_message("Local CA created. Trust it in this system so browsers accept "
                              "the certificates it issues.")

    def export_ca(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export the CA certificate", str(Path.home() / "proxydesk-ca.pem"),
            "PEM certificate (*.pem *.crt);;All files (*)")
        if path:
            self.export_ca_to(Path(path))

    def export_ca_to(self, path: Path) -> bool:
        if not self._guarded(lambda: self.store.export_ca(path)):
            return False
        self.show_message(f"CA certificate (no key) written to {path}")
        return True

    def trust_plan(self) -> TrustPlan | None:
        found: list[TrustPlan] = []
        if not self._guarded(lambda: found.append(
                trust_plan(True, store=self.store, probe=self._probe or SystemProbe.current()))):
            return None
        return found[0] if found else None

    def open_trust_dialog(self) -> TrustDialog | None:
        try:
            plan = self.trust_plan()
        except ValueError as error:  # an OS the library has no trust store support for
            self.show_message(str(error), error=True)
            return None
        if plan is None:
            return None
        self.trust_dialog = TrustDialog(plan, self)
        self.trust_dialog.open()
        return self.trust_dialog

    # -- certificates --------------------------------------------------------------------------------
    def open_issue_dialog(self) -> IssueDialog:
        dialog = IssueDialog(self.store, self._known_hosts(), self)
        dialog.accepted.connect(lambda: self._issued(dialog))
        self.issue_dialog = dialog
        dialog.open()
        return dialog

    def _issued(self, dialog: IssueDialog) -> None:
        if dialog.issued is None:
            return
        self.refresh(dialog.issued.id)
        notes = " ".join(f"Warning: {w.message}" for w in dialog.issued_warnings)
        self.show_message(f"Issued {dialog.issued.id} for {', '.join(dialog.issued.names)}; "
                          f"use it with 'ssl crt {dialog.issued.pem_path}'. {notes}".strip())

    def open_import_dialog(self) -> ImportDialog:
        dialog = ImportDialog(self.store, self)
        dialog.accepted.connect(lambda: self._imported(dialog))
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def _imported(self, dialog: ImportDialog) -> None:
        if dialog.imported is None:
            return
        self.refresh(dialog.imported.id)
        notes = " ".join(f"Warning: {w}." for w in dialog.imported_warnings)
        self.show_message(f"Imported {dialog.imported.id}. {notes}".strip())

    def renew_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None and self._guarded(lambda: self.store.renew(entry.id)):
            self.refresh(entry.id)
            renewed = self.store.get(entry.id)
            self.show_message(f"Renewed {entry.id}: valid until {renewed.not_after:%Y-%m-%d}. "
                              "A running engine serves it after Apply.")

    def delete_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        answer = QMessageBox.question(
            self, "Delete certificate?",
            f"Delete {entry.id} ({', '.join(entry.names)}) and its key from the store?\n"
            f"Configurations that use {entry.pem_path} will fail to start.", yes | no, no)
        if answer == yes and self._guarded(lambda: self.store.delete(entry.id)):
            self.refresh()
            self.show_message(f"Deleted {entry.id}.")

    def copy_path(self) -> None:
        entry = self.selected_entry()
        clipboard = QApplication.clipboard()
        if entry is not None and clipboard is not None:
            clipboard.setText(str(entry.pem_path))
            self.show_message(f"Copied {entry.pem_path} (certificate, chain and key, for 'ssl crt').")

    def reveal_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.pem_path.parent)))


def show_certificates(parent: QWidget, config: Callable[[], Config] | None = None) -> CertificatesWindow:
    """Show the one Certificates window of ``parent`` (created on first use)."""
    window = parent.findChild(CertificatesWindow)
    if not isinstance(window, CertificatesWindow):
        hosts: Callable[[], list[str]] = (lambda: config_host_names(config())) if config else list
        window = CertificatesWindow(parent=parent, known_hosts=hosts)
    window.show()
    window.raise_()
    window.activateWindow()
    return window


# --- picking a stored certificate for a bind ---------------------------------------------------------


class CertificatePickerDialog(QDialog):
    """Choose a stored certificate (or issue one right here) for a bind's ``crt``."""

    def __init__(
        self, store: CertStore | None = None, known_hosts: Iterable[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a certificate")
        self.store = store if store is not None else CertStore()
        self.known_hosts = list(known_hosts)
        self.model = CertificatesModel(self)
        self.table = certificates_table(self.model)
        self.table.doubleClicked.connect(lambda _index: self.accept())
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.issue_button = QPushButton(icon("add"), "Issue for dev host names…")
        self.issue_button.clicked.connect(lambda _checked=False: self.issue())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.use_button = self.buttons.addButton("Use for this bind", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        row = QHBoxLayout()
        row.addWidget(self.issue_button)
        row.addStretch(1)
        row.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.setMinimumSize(640, 280)
        self.resize(820, 360)
        self.refresh()

    def refresh(self, select_id: str | None = None) -> None:
        self.model.set_entries(listed_entries(self.store))
        row = self.model.row_of(select_id) if select_id else self._best_row()
        if row >= 0:
            self.table.selectRow(row)
        self.hint.setText("The bind's crt will point at the stored file (certificate, chain and key)."
                          if self.model.rowCount() else
                          "No certificates in Proxydesk's store yet: issue one for your dev host names.")
        self._update()

    def _best_row(self) -> int:
        """The first certificate for a host name the config routes, else the first one."""
        wanted = set(self.known_hosts)
        rows = range(self.model.rowCount())
        matching = (r for r in rows if wanted & set(self.model.entry(r).names))  # type: ignore[union-attr]
        return next(matching, 0 if self.model.rowCount() else -1)

    def _update(self) -> None:
        self.use_button.setEnabled(self.chosen() is not None)

    def chosen(self) -> CertEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry(rows[0].row()) if rows else None

    def issue(self) -> IssueDialog:
        """The Issue dialog, window-modal; the new certificate is selected when it is issued."""
        dialog = IssueDialog(self.store, self.known_hosts, self)
        dialog.accepted.connect(lambda: self.refresh(dialog.issued.id if dialog.issued else None))
        dialog.open()
        return dialog


def choose_store_certificate(parent: QWidget, known_hosts: Iterable[str] = ()) -> str | None:
    """The combined PEM path of the stored certificate the user picks, or None."""
    dialog = CertificatePickerDialog(known_hosts=known_hosts, parent=parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        entry = dialog.chosen()
        return str(entry.pem_path) if entry is not None else None
    finally:
        dialog.deleteLater()
