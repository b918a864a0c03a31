"""The Certificates window over a real ``CertStore`` in a temporary directory.

Nothing is mocked in the certificate library: the CA, leaves, imports and
deletes are real files.  Only the user's answers are scripted (the
``QMessageBox.question`` static method) and no trust plan is ever run: the
plan is built for a described machine (``SystemProbe``) and only shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shlex
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from gui.certificates import (
    ENTRY_ROLE,
    CertificatesModel,
    CertificatesWindow,
    TrustDialog,
    expiry_text,
    show_certificates,
    split_names,
)
from proxy.certs import (
    CertEntry,
    CertStore,
    SystemProbe,
    TrustPlan,
    TrustRunResult,
    fingerprint_sha256,
)
from proxy.certs.store import ENV_DATA_DIR
from proxy.certs.trust import DONE, FAILED, StepResult, StoreOutcome, TrustStore
from tests.gui._support import close_window

OWNER = "tester@testhost"
Button = QMessageBox.StandardButton
DEBIAN = {"ID": "debian"}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CertStore:
    # The env var too: anything that opens the default store lands in tmp_path as well.
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "data"))
    return CertStore(tmp_path / "data" / "certs", owner=OWNER)


def debian_probe(home: Path) -> SystemProbe:
    tools = ("sudo", "update-ca-certificates")
    return SystemProbe(home=home, os_release=DEBIAN, which=lambda name: f"/usr/bin/{name}" if name in tools else None,
                       root=home / "root")


@pytest.fixture
def window(qtbot: Any, store: CertStore, tmp_path: Path) -> CertificatesWindow:
    main = CertificatesWindow(store, known_hosts=lambda: ["app.localhost", "api.localhost"],
                              probe=debian_probe(tmp_path))
    qtbot.addWidget(main)
    main.show()
    return main


def answer_question(monkeypatch: pytest.MonkeyPatch, button: Button) -> list[str]:
    """Script the user's answer to ``QMessageBox.question``; returns the texts asked."""
    asked: list[str] = []

    def question(_parent: QWidget, _title: str, text: str, *_args: Any) -> Button:
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def click(qtbot: Any, button: QAbstractButton) -> None:
    assert button.isEnabled() and button.isVisible(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def rows(window: CertificatesWindow) -> list[list[str]]:
    model = window.model
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]


def issue_through_dialog(qtbot: Any, window: CertificatesWindow, text: str) -> None:
    click(qtbot, window.issue_button)
    dialog = window.issue_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.names.setText(text)
    click(qtbot, dialog.issue_button)
    assert not dialog.isVisible()


def all_ui_text(widget: QWidget) -> str:
    """Every text a user can see or copy in ``widget`` and its children (and the clipboard)."""
    texts = [widget.windowTitle(), widget.toolTip()]
    for child in widget.findChildren(QWidget):
        texts += [child.toolTip(), child.windowTitle()]
        if isinstance(child, QLabel | QLineEdit | QAbstractButton):
            texts.append(child.text())
        if isinstance(child, QPlainTextEdit):
            texts.append(child.toPlainText())
    for model in widget.findChildren(CertificatesModel):
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                texts += [str(model.index(r, c).data(role)) for role in
                          (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)]
    clipboard = QApplication.clipboard()
    texts.append(clipboard.text() if clipboard is not None else "")
    return "\n".join(texts)


# --- certificates made outside Proxydesk, for the imports ----------------------------------------


def self_signed(name: str, key: Any, days: int = 90) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )


def write_pem_pair(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(self_signed(name, key).public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def write_pkcs12(directory: Path, name: str, password: bytes) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = pkcs12.serialize_key_and_certificates(
        name.encode(), key, self_signed(name, key), None, serialization.BestAvailableEncryption(password))
    path = directory / f"{name}.p12"
    path.write_bytes(data)
    return path


# --- tests -----------------------------------------------------------------------------------------


def test_names_split_on_commas_and_blanks() -> None:
    assert split_names(" app.localhost,127.0.0.1  api.localhost ,") == ["app.localhost", "127.0.0.1", "api.localhost"]


def test_days_left_say_the_state_in_words() -> None:
    assert expiry_text(400) == "400 days"
    assert expiry_text(1) == "1 day — renew soon"
    assert expiry_text(-1) == "expired 1 day ago"
    assert expiry_text(-3) == "expired 3 days ago"


def test_model_passes_qt_model_tester(qtmodeltester: Any, store: CertStore) -> None:
    store.issue(["app.localhost", "127.0.0.1"])
    store.issue(["api.localhost"])
    model = CertificatesModel()
    model.set_entries(store.list_entries())
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert isinstance(model.index(0, 0).data(ENTRY_ROLE), CertEntry)


def test_expired_and_expiring_rows_are_marked_with_icon_and_words(store: CertStore, qtbot: Any) -> None:
    entry = store.issue(["app.localhost"]).entry
    model = CertificatesModel()
    model.set_entries([dataclasses.replace(entry, days_left=days) for days in (-3, 5, 400)])
    days = [model.index(r, CertificatesModel.DAYS_COLUMN) for r in range(3)]
    assert [i.data() for i in days] == ["expired 3 days ago", "5 days — renew soon", "400 days"]
    decorations = [i.data(Qt.ItemDataRole.DecorationRole) for i in days]
    assert decorations[0] is not None and decorations[1] is not None and decorations[2] is None
    colours = [i.data(Qt.ItemDataRole.ForegroundRole) for i in days]
    assert colours[0] is not None and colours[1] is not None and colours[0] != colours[1]


def test_create_ca_then_issue_through_the_dialog(window: CertificatesWindow, store: CertStore, qtbot: Any) -> None:
    panel = window.ca_panel
    assert "No local CA yet" in panel.status.text()
    assert not window.issue_button.isEnabled() and not panel.trust_button.isEnabled()
    click(qtbot, panel.create_button)
    assert store.has_ca() and not panel.create_button.isVisible()
    ca = store.ca()
    assert panel.fingerprint.text() == fingerprint_sha256(ca.certificate)
    assert f"CN=Proxydesk {OWNER}" in panel.subject.text()
    assert f"{ca.certificate.not_valid_after_utc:%Y-%m-%d}" in panel.expiry.text()

    issue_through_dialog(qtbot, window, "app.localhost 127.0.0.1")
    entry = store.list_entries()[0]
    assert entry.names == ("app.localhost", "127.0.0.1")
    assert entry.days_left in (824, 825)  # 825 days, starting an hour ago
    assert rows(window) == [["app.localhost", "app.localhost, 127.0.0.1", "this Proxydesk CA", "issued",
                             f"{entry.not_after:%Y-%m-%d}", f"{entry.days_left} days"]]
    assert window.selected_entry() == entry
    assert str(entry.pem_path) in window.message.text()
    # Keys are private files in a private store.
    for private in (entry.pem_path, ca.key_path):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    for directory in (store.root, store.entries_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert "PRIVATE KEY" not in all_ui_text(window)


def test_issue_dialog_explains_wildcard_localhost_and_offers_exact_names(
    window: CertificatesWindow, store: CertStore, qtbot: Any
) -> None:
    store.ca()
    window.refresh()
    dialog = window.open_issue_dialog()
    dialog.names.setText("*.localhost")
    feedback = dialog.feedback.text()
    assert "Warning:" in feedback and "browsers refuse" in feedback
    assert "Use the exact names: app.localhost api.localhost" in feedback
    dialog.feedback.linkActivated.emit("s0")  # the user clicks the suggestion
    assert dialog.names.text() == "app.localhost api.localhost"
    assert dialog.issue_button.isEnabled()

    dialog.names.setText("app..localhost")
    assert "Cannot issue" in dialog.feedback.text() and "empty label" in dialog.feedback.text()
    assert not dialog.issue_button.isEnabled()
    dialog.known.linkActivated.emit("api.localhost")  # a host name of the config, clicked
    assert dialog.names.text() == "app..localhost api.localhost"
    dialog.reject()
    assert store.list_entries() == []


def test_import_pem_pair_and_pkcs12_with_password(
    window: CertificatesWindow, store: CertStore, qtbot: Any, tmp_path: Path
) -> None:
    cert_path, key_path = write_pem_pair(tmp_path, "pem.example.test")
    dialog = window.open_import_dialog()
    dialog.certificate_file.setText(str(cert_path))
    click(qtbot, dialog.import_button)
    assert dialog.isVisible() and "no private key found" in dialog.error.text()  # key not given yet
    dialog.key_file.setText(str(key_path))
    click(qtbot, dialog.import_button)
    assert not dialog.isVisible()

    p12 = write_pkcs12(tmp_path, "p12.example.test", b"s3cret")
    dialog = window.open_import_dialog()
    dialog.certificate_file.setText(str(p12))
    click(qtbot, dialog.import_button)
    assert dialog.isVisible() and "wrong password" in dialog.error.text()
    dialog.password.setText("s3cret")
    click(qtbot, dialog.import_button)
    assert not dialog.isVisible()

    table = {row[0]: row for row in rows(window)}
    assert set(table) == {"pem.example.test", "p12.example.test"}
    assert table["p12.example.test"][1:4] == ["p12.example.test", "p12.example.test", "imported"]
    assert table["pem.example.test"][5] == "89 days"
    for entry in store.list_entries():
        assert entry.source == "imported"
        assert stat.S_IMODE(entry.pem_path.stat().st_mode) == 0o600
    assert "PRIVATE KEY" not in all_ui_text(window)


def test_a_key_that_does_not_match_is_explained_without_key_bytes(
    window: CertificatesWindow, qtbot: Any, tmp_path: Path
) -> None:
    cert_path, _key = write_pem_pair(tmp_path, "one.example.test")
    _cert, other_key = write_pem_pair(tmp_path, "two.example.test")
    dialog = window.open_import_dialog()
    dialog.certificate_file.setText(str(cert_path))
    dialog.key_file.setText(str(other_key))
    click(qtbot, dialog.import_button)
    assert "does not match the certificate (CN=one.example.test)" in dialog.error.text()
    assert "PRIVATE KEY" not in all_ui_text(dialog)


def test_delete_asks_first_and_no_keeps_everything(
    window: CertificatesWindow, store: CertStore, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = store.issue(["app.localhost"]).entry
    window.refresh(entry.id)
    asked = answer_question(monkeypatch, Button.No)
    click(qtbot, window.delete_button)
    assert asked and "app.localhost" in asked[0] and str(entry.pem_path) in asked[0]
    assert entry.pem_path.exists() and window.model.rowCount() == 1
    answer_question(monkeypatch, Button.Yes)
    click(qtbot, window.delete_button)
    assert not entry.pem_path.exists() and not entry.meta_path.exists()
    assert window.model.rowCount() == 0 and not window.delete_button.isEnabled()
    assert window.message.text() == "Deleted app.localhost."


def test_renew_keeps_the_path_and_imported_ones_say_why_not(
    window: CertificatesWindow, store: CertStore, qtbot: Any, tmp_path: Path
) -> None:
    issued = store.issue(["app.localhost"]).entry
    before = issued.pem_path.read_bytes()
    window.refresh(issued.id)
    click(qtbot, window.renew_button)
    assert issued.pem_path.read_bytes() != before and window.model.rowCount() == 1
    assert window.message.text().startswith("Renewed app.localhost: valid until")

    imported = store.import_files(*write_pem_pair(tmp_path, "pem.example.test")).entry
    window.refresh(imported.id)
    assert not window.renew_button.isEnabled()
    assert "imported" in window.renew_button.toolTip()
    window.renew_selected()  # e.g. through a shortcut: the library's refusal, readable
    assert window.message.text().startswith("Error: 'pem.example.test' was imported")


def test_copy_path_and_reveal(
    window: CertificatesWindow, store: CertStore, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = store.issue(["app.localhost"]).entry
    window.refresh(entry.id)
    click(qtbot, window.copy_button)
    clipboard = QApplication.clipboard()
    assert clipboard is not None and clipboard.text() == str(entry.pem_path)
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    click(qtbot, window.reveal_button)
    assert [url.toLocalFile() for url in opened] == [str(store.entries_dir)]


def test_export_ca_writes_the_certificate_only(window: CertificatesWindow, store: CertStore, tmp_path: Path) -> None:
    store.ca()
    window.refresh()
    target = tmp_path / "out" / "ca.pem"
    target.parent.mkdir()
    assert window.export_ca_to(target)
    assert target.read_bytes() == store.ca_certificate_pem()
    assert b"PRIVATE KEY" not in target.read_bytes()
    assert not window.export_ca_to(tmp_path / "missing-dir" / "ca.pem")
    assert window.message.text().startswith("Error: ")


def test_trust_dialog_shows_the_exact_plan_and_runs_nothing_without_yes(
    window: CertificatesWindow, store: CertStore, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ca()
    window.refresh()
    click(qtbot, window.ca_panel.trust_button)
    dialog = window.trust_dialog
    assert dialog is not None and dialog.isVisible()
    plan = dialog.plan
    assert plan.needs_privilege and plan.commands[0][:2] == ["sudo", "install"]
    assert str(store.ca_cert_path) in plan.commands[0]
    text = dialog.commands.toPlainText()
    assert text.splitlines()[0].startswith("# system: system trust store")  # store by store
    assert [line for line in text.splitlines() if not line.startswith("#")] == [
        shlex.join(c) for c in plan.commands]
    assert dialog.commands.isReadOnly() and "administrator rights" in all_ui_text(dialog)
    click(qtbot, dialog.copy_button)
    clipboard = QApplication.clipboard()
    assert clipboard is not None and clipboard.text() == dialog.commands.toPlainText()

    # The same plan, with a runner that records instead of running anything.
    ran: list[TrustPlan] = []

    def record(trust: TrustPlan) -> TrustRunResult:
        ran.append(trust)
        return TrustRunResult(tuple(
            StoreOutcome(s, DONE, steps=tuple(StepResult(list(c.argv), 0, "") for c in s.commands))
            for s in trust.stores))

    recorded = TrustDialog(plan, window, runner=record)
    qtbot.addWidget(recorded)
    asked = answer_question(monkeypatch, Button.No)
    assert not recorded.confirm_and_run()
    assert asked and ran == [] and recorded.outcome.text() == "Nothing was changed."
    answer_question(monkeypatch, Button.Yes)
    assert recorded.confirm_and_run()
    qtbot.waitUntil(lambda: recorded.run_result is not None, timeout=5000)
    assert ran == [plan] and recorded.outcome.text().startswith("Done: the CA is trusted in every store")
    lines = recorded.commands.toPlainText().splitlines()
    assert lines[0].startswith("done: system (") and lines[1] == f"    ok: {shlex.join(plan.commands[0])}"


def test_trust_dialog_reports_each_store_when_one_fails(
    window: CertificatesWindow, store: CertStore, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ca()
    plan = window.trust_plan()
    assert plan is not None
    nss = TrustStore("chromium", "nss", "NSS database ~/.pki/nssdb")
    plan = TrustPlan(True, (*plan.stores, nss), plan.instructions)

    def one_fails(trust: TrustPlan) -> TrustRunResult:
        system, chromium = trust.stores
        return TrustRunResult((StoreOutcome(system, FAILED, "pkexec: Not authorized"),
                               StoreOutcome(chromium, DONE)))

    dialog = TrustDialog(plan, window, runner=one_fails)
    qtbot.addWidget(dialog)
    answer_question(monkeypatch, Button.Yes)
    assert dialog.confirm_and_run()
    qtbot.waitUntil(lambda: dialog.run_result is not None, timeout=5000)
    text = dialog.commands.toPlainText()
    assert "failed: system (" in text and "Not authorized" in text and "done: chromium (" in text
    assert dialog.outcome.text().startswith("Error: not done in 1 store: system")
    assert "the other 1 store is done" in dialog.outcome.text() and dialog.run_button.isEnabled()


def test_show_certificates_keeps_one_window_per_parent(qtbot: Any, store: CertStore) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    first = show_certificates(parent)
    assert show_certificates(parent) is first and first.isVisible()
    assert first.store.root == store.root  # PROXYDESK_DATA_DIR: the temporary store


def test_main_window_opens_it_from_the_tools_menu(qtbot: Any, store: CertStore, tmp_path: Path) -> None:
    from gui.main_window import MainWindow

    main = MainWindow(settings_path=tmp_path / "ui.ini")
    qtbot.addWidget(main)
    main.document.set_text("frontend web\n    bind :80\n    acl a hdr(host) -i app.localhost\n")
    try:
        menus = {action.text(): action.menu() for action in main.menuBar().actions()}
        assert main.certificates_action in menus["&Tools"].actions()
        assert main.certificates_action.shortcut().toString() == "Ctrl+Shift+K"
        main.certificates_action.trigger()
        window = main.findChild(CertificatesWindow)
        assert isinstance(window, CertificatesWindow) and window.isVisible()
        assert window.store.root == store.root
        store.ca()
        window.refresh()
        assert window.open_issue_dialog().known_hosts == ["app.localhost"]  # from the open config
    finally:
        close_window(main)  # no save or stop prompt when the test closes it


def test_picker_preselects_a_certificate_for_the_configs_host_names(qtbot: Any, store: CertStore) -> None:
    from gui.certificates import CertificatePickerDialog

    store.issue(["aaa.localhost"])
    wanted = store.issue(["app.localhost"]).entry
    picker = CertificatePickerDialog(store, known_hosts=["app.localhost"])
    qtbot.addWidget(picker)
    assert picker.chosen() == wanted and picker.use_button.isEnabled()
    assert CertificatePickerDialog(store).chosen() is not None  # no hint: the first one


def test_a_damaged_ca_is_reported_not_raised(qtbot: Any, store: CertStore, tmp_path: Path) -> None:
    store.issue(["app.localhost"])
    (store.root / "ca" / "rootCA-key.pem").write_bytes(b"garbage")
    damaged = CertStore(store.root)  # a fresh process: nothing cached
    window = CertificatesWindow(damaged, probe=debian_probe(tmp_path))
    qtbot.addWidget(window)
    window.show()
    assert "cannot be read" in window.ca_panel.status.text()
    assert "delete that folder" in window.ca_panel.status.text()
    assert not window.issue_button.isEnabled() and not window.ca_panel.trust_button.isEnabled()
    assert window.model.rowCount() == 0
