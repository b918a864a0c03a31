"""``proxydesk cert ...`` through a real argparse parser and a temporary data dir.

``cert trust`` is only run in ways that must not execute anything (dry run,
refusal without a terminal, a "no" answer); ``run_trust_plan`` is replaced
by a tripwire so a regression fails the test instead of touching this
machine's trust store.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from proxy.app import cert_commands
from proxy.certs.authority import fingerprint_sha256
from proxy.certs.store import CertStore
from proxy.certs.trust import SystemProbe, TrustCommand, TrustPlan, TrustRunResult, TrustStore
from tests.proxy.certs.test_trust import Machine, make_machine, needs_certutil, nss_nicknames


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="proxydesk")
    cert_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(plan: TrustPlan) -> TrustRunResult:
        raise AssertionError(f"a trust plan was about to run: {plan.commands}")

    monkeypatch.setattr(cert_commands, "run_trust_plan", refuse)


def test_ca_shows_subject_fingerprint_and_path(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["cert", "ca"]) == 0
    out = capsys.readouterr().out
    ca = CertStore().ca()
    assert fingerprint_sha256(ca.certificate) in out
    assert str(ca.cert_path) in out and str(data_dir) in out
    assert "Proxydesk development CA" in out


def test_issue_list_renew_delete(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    assert run(["cert", "issue", "app.localhost", "127.0.0.1", "--out", str(out_dir)]) == 0
    captured = capsys.readouterr()
    assert "issued app.localhost" in captured.out and captured.err == ""
    combined = out_dir / "app.localhost.pem"
    assert str(combined) in captured.out and [p.name for p in out_dir.iterdir()] == [combined.name]
    assert b"PRIVATE KEY" in combined.read_bytes() and b"CERTIFICATE" in combined.read_bytes()

    assert run(["cert", "list"]) == 0
    listing = capsys.readouterr().out
    assert "app.localhost, 127.0.0.1" in listing and "local CA" in listing

    assert run(["cert", "renew", "app.localhost"]) == 0
    assert "renewed app.localhost" in capsys.readouterr().out
    assert run(["cert", "delete", "app.localhost"]) == 0
    assert run(["cert", "list"]) == 0
    assert "no certificates yet" in capsys.readouterr().out


def test_issue_prints_warnings_and_errors(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["cert", "issue", "*.localhost"]) == 0
    err = capsys.readouterr().err
    assert "browsers refuse" in err and "suggested names: localhost" in err
    assert run(["cert", "issue", "bad..name"]) == 1
    assert "error:" in capsys.readouterr().err
    assert run(["cert", "delete", "nope"]) == 1


def test_import_pem_with_separate_key_and_pkcs12(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Something to import: a certificate from another install's CA.
    other = CertStore(tmp_path / "elsewhere")
    cert_path, key_path = other.export_entry(
        other.issue(["shop.test"]).entry.id, tmp_path / "files", layout="pair"
    )
    assert key_path is not None
    assert run(["cert", "import", str(cert_path), "--key", str(key_path)]) == 0
    assert "imported shop.test" in capsys.readouterr().out

    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    p12 = tmp_path / "shop.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"shop",
            key,
            certificate,
            None,
            serialization.BestAvailableEncryption(b"pw"),  # type: ignore[arg-type]
        )
    )
    password_file = tmp_path / "password.txt"
    password_file.write_text("pw\n")
    assert run(["cert", "import", str(p12), "--password-file", str(password_file)]) == 0
    assert "imported shop.test-2" in capsys.readouterr().out
    password_file.write_text("wrong\n")
    assert run(["cert", "import", str(p12), "--password-file", str(password_file)]) == 1
    assert "wrong password" in capsys.readouterr().err


def test_export_ca(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cert", "export-ca"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE KEY" not in printed
    target = tmp_path / "proxydesk-ca.pem"
    assert run(["cert", "export-ca", "--out", str(target)]) == 0
    assert target.read_text() == printed


@pytest.mark.usefixtures("tripwire")
def test_trust_dry_run_for_another_os(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cert", "trust", "--dry-run", "--platform", "windows"]) == 0
    out = capsys.readouterr().out
    assert "certutil -user -addstore Root" in out and "Trusted Root" in out
    assert run(["cert", "trust", "--uninstall", "--dry-run", "--platform", "darwin"]) == 0
    assert "security delete-certificate" in capsys.readouterr().out


@pytest.mark.usefixtures("tripwire")
def test_trust_without_a_terminal_refuses_and_shows_the_plan(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setattr(cert_commands, "trust_plan", lambda install, platform: _fake_plan())
    assert run(["cert", "trust"]) == 1
    captured = capsys.readouterr()
    assert "--yes" in captured.err and "echo would-run" in captured.out


@pytest.mark.usefixtures("tripwire")
def test_trust_on_a_terminal_asks_and_respects_no(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    monkeypatch.setattr(cert_commands, "trust_plan", lambda install, platform: _fake_plan())
    assert run(["cert", "trust"]) == 1
    assert "[y/N]" in capsys.readouterr().out


def test_trust_platform_needs_dry_run(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = "windows" if cert_commands.normalize_platform() != "windows" else "linux"
    assert run(["cert", "trust", "--platform", other]) == 1
    assert "--dry-run" in capsys.readouterr().err


def _fake_plan() -> TrustPlan:
    # A fixed plan: the real one depends on this machine (a distribution without a
    # known store gets no commands and never reaches the confirmation step).
    # The tripwire guarantees it never runs.
    store = TrustStore("system", "system", "a store", (TrustCommand(("echo", "would-run")),),
                       needs_privilege=True)
    return TrustPlan(True, (store,), "manual steps")


def test_list_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cert", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "store": str(data_dir / "certs"), "ca": None, "certificates": []
    }  # listing creates no CA
    assert run(["cert", "issue", "app.localhost", "127.0.0.1"]) == 0
    capsys.readouterr()
    assert run(["cert", "list", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    ca = CertStore().ca()
    assert document["ca"]["fingerprint_sha256"] == fingerprint_sha256(ca.certificate)
    assert document["ca"]["path"] == str(ca.cert_path)
    [entry] = document["certificates"]
    assert entry["id"] == "app.localhost" and entry["names"] == ["app.localhost", "127.0.0.1"]
    assert entry["issued_by_local_ca"] is True and entry["source"] == "issued"
    assert entry["days_left"] >= 800 and entry["not_after"].endswith("+00:00")
    assert Path(entry["pem_path"]).is_file() and "PRIVATE" not in json.dumps(document)


# --- cert trust on a fake machine (tests/proxy/certs/test_trust.py's) ---------------------------


@pytest.fixture
def fake_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Machine:
    """``SystemProbe.current()`` describes the fake machine: its HOME, root and tools."""
    machine = make_machine(tmp_path, monkeypatch)
    monkeypatch.setattr(SystemProbe, "current", classmethod(lambda cls: machine.probe()))
    monkeypatch.setattr(cert_commands, "normalize_platform", lambda platform=None: "linux")
    return machine


def _nickname() -> str:
    ca = CertStore().ca()
    return f"{ca.name} {ca.certificate.serial_number:x}"


@needs_certutil
def test_trust_keeps_going_past_a_failed_store_and_says_which(
    data_dir: Path, fake_machine: Machine, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_machine.deny_privilege()
    assert run(["cert", "trust", "--yes"]) == 1
    captured = capsys.readouterr()
    assert "failed: system (" in captured.out and "Not authorized" in captured.out
    for name in fake_machine.nss:
        assert f"done: {name} (" in captured.out
        assert _nickname() in nss_nicknames(fake_machine.nss[name])
    assert "error: not done in 1 store: system" in captured.err
    assert "the other 4 stores are done" in captured.err and "--store NAME" in captured.err

    assert run(["cert", "trust", "--status"]) == 1
    captured = capsys.readouterr()
    assert "absent: system (" in captured.out and "trusted: chromium (" in captured.out
    assert "not trusted in: system" in captured.err
    assert run(["cert", "trust", "--status", "--store", "nss", "--store", "firefox"]) == 0

    (fake_machine.root / "DENY").unlink()
    assert run(["cert", "trust", "--yes", "--store", "system"]) == 0
    assert "done: system (" in capsys.readouterr().out
    assert run(["cert", "trust", "--status"]) == 0


@needs_certutil
def test_trust_uninstall_is_tolerant(
    data_dir: Path, fake_machine: Machine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["cert", "trust", "--yes", "--store", "chromium"]) == 0
    capsys.readouterr()
    assert run(["cert", "trust", "--uninstall", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "done: chromium (" in out and "not present: system (" in out
    assert "not present: firefox:abcd.default-release (" in out
    assert fake_machine.calls() == []  # no store without the CA asked for a password
    assert nss_nicknames(fake_machine.nss["chromium"]) == {}


def test_trust_refuses_unknown_stores_and_status_without_a_ca(
    data_dir: Path, fake_machine: Machine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["cert", "trust", "--status"]) == 1
    assert "no local CA" in capsys.readouterr().err
    assert not CertStore().has_ca()  # looking created none
    assert run(["cert", "trust", "--dry-run", "--store", "nss-system"]) == 1
    assert "no trust store 'nss-system'" in capsys.readouterr().err
    assert run(["cert", "trust", "--dry-run", "--store", "firefox"]) == 0
    out = capsys.readouterr().out
    assert "# firefox:abcd.default-release:" in out and "# system:" not in out
