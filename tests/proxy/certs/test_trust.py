"""Trust plans for every OS.  Only plans are checked: no trust store is touched.

``run_trust_plan`` is exercised with harmless commands (the Python
interpreter), never with a real plan.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from proxy.certs.store import CertStore
from proxy.certs.trust import (
    MAC_SYSTEM_KEYCHAIN,
    SystemProbe,
    TrustPlan,
    normalize_platform,
    run_trust_plan,
    trust_plan,
)
from tests.proxy.certs.conftest import OWNER

CA_NAME = f"Proxydesk {OWNER}"
ANCHOR = "proxydesk_tester_testhost"


def probe(
    home: Path, os_id: str = "", tools: tuple[str, ...] = (), root: bool = False
) -> SystemProbe:
    available = set(tools)
    return SystemProbe(
        home=home,
        os_release={"ID": os_id} if os_id else {},
        which=lambda name: f"/usr/bin/{name}" if name in available else None,
        is_root=root,
    )


def test_debian_install_uses_pkexec_and_update_ca_certificates(
    store: CertStore, tmp_path: Path
) -> None:
    plan = trust_plan(
        True, "linux", store=store, probe=probe(tmp_path, "ubuntu", ("pkexec", "sudo"))
    )
    ca = str(store.ca_cert_path)
    assert plan.commands == [
        ["pkexec", "install", "-m", "0644", ca, f"/usr/local/share/ca-certificates/{ANCHOR}.crt"],
        ["pkexec", "update-ca-certificates"],
    ]
    assert plan.needs_privilege
    assert store.has_ca()  # installing creates the CA first


def test_debian_uninstall_falls_back_to_sudo(store: CertStore, tmp_path: Path) -> None:
    store.ca()
    plan = trust_plan(False, "linux", store=store, probe=probe(tmp_path, "debian", ("sudo",)))
    assert plan.commands == [
        ["sudo", "rm", "-f", f"/usr/local/share/ca-certificates/{ANCHOR}.crt"],
        ["sudo", "update-ca-certificates", "--fresh"],
    ]


def test_fedora_plans(store: CertStore, tmp_path: Path) -> None:
    machine = probe(tmp_path, "fedora", ("pkexec",))
    install = trust_plan(True, "linux", store=store, probe=machine)
    anchor = f"/etc/pki/ca-trust/source/anchors/{ANCHOR}.pem"
    assert install.commands == [
        ["pkexec", "install", "-m", "0644", str(store.ca_cert_path), anchor],
        ["pkexec", "update-ca-trust", "extract"],
    ]
    uninstall = trust_plan(False, "linux", store=store, probe=machine)
    assert uninstall.commands[0] == ["pkexec", "rm", "-f", anchor]


def test_arch_plans_use_trust_anchor(store: CertStore, tmp_path: Path) -> None:
    machine = probe(tmp_path, "arch", ("pkexec",))
    ca = str(store.ca_cert_path)
    install = trust_plan(True, "linux", store=store, probe=machine)
    assert install.commands == [
        ["pkexec", "trust", "anchor", "--store", ca],
        ["pkexec", "trust", "extract-compat"],
    ]
    uninstall = trust_plan(False, "linux", store=store, probe=machine)
    assert uninstall.commands[0] == ["pkexec", "trust", "anchor", "--remove", ca]


def test_unknown_distribution_is_recognised_by_its_tools(store: CertStore, tmp_path: Path) -> None:
    plan = trust_plan(True, "linux", store=store, probe=probe(tmp_path, "", ("update-ca-trust",)))
    assert plan.commands[-1] == ["update-ca-trust", "extract"]  # no wrapper found: as is


def test_root_needs_no_wrapper(store: CertStore, tmp_path: Path) -> None:
    plan = trust_plan(
        True, "linux", store=store, probe=probe(tmp_path, "debian", ("sudo",), root=True)
    )
    assert plan.commands[1] == ["update-ca-certificates"]


def test_linux_without_a_known_store_gives_instructions_only(
    store: CertStore, tmp_path: Path
) -> None:
    plan = trust_plan(True, "linux", store=store, probe=probe(tmp_path, "gentoo"))
    assert plan.commands == [] and not plan.needs_privilege
    assert (
        "update-ca-certificates" in plan.instructions
        and str(store.ca_cert_path) in plan.instructions
    )


def _make_nss_databases(home: Path) -> list[Path]:
    chromium = home / ".pki" / "nssdb"
    firefox = home / ".mozilla" / "firefox" / "abcd.default-release"
    old_profile = home / ".mozilla" / "firefox" / "old.legacy"  # cert8.db: not SQL NSS
    for directory in (chromium, firefox, old_profile):
        directory.mkdir(parents=True)
    (firefox / "cert9.db").touch()
    (old_profile / "cert8.db").touch()
    return [chromium, firefox]


def test_nss_databases_get_certutil_commands(store: CertStore, tmp_path: Path) -> None:
    chromium, firefox = _make_nss_databases(tmp_path)
    machine = probe(tmp_path, "debian", ("pkexec", "certutil"))
    ca = str(store.ca_cert_path)
    install = trust_plan(True, "linux", store=store, probe=machine)
    assert install.commands[2:] == [
        ["certutil", "-A", "-d", f"sql:{chromium}", "-t", "C,,", "-n", CA_NAME, "-i", ca],
        ["certutil", "-A", "-d", f"sql:{firefox}", "-t", "C,,", "-n", CA_NAME, "-i", ca],
    ]
    uninstall = trust_plan(False, "linux", store=store, probe=machine)
    assert uninstall.commands[2:] == [
        ["certutil", "-D", "-d", f"sql:{chromium}", "-n", CA_NAME],
        ["certutil", "-D", "-d", f"sql:{firefox}", "-n", CA_NAME],
    ]


def test_nss_is_skipped_without_certutil(store: CertStore, tmp_path: Path) -> None:
    _make_nss_databases(tmp_path)
    plan = trust_plan(True, "linux", store=store, probe=probe(tmp_path, "debian", ("pkexec",)))
    assert all(command[0] != "certutil" for command in plan.commands)
    assert "libnss3-tools" in plan.instructions


def test_macos_install_asks_through_osascript(store: CertStore, tmp_path: Path) -> None:
    plan = trust_plan(True, "darwin", store=store, probe=probe(tmp_path))
    [command] = plan.commands
    assert command[:2] == ["osascript", "-e"]
    script = command[2]
    assert script.startswith('do shell script "') and script.endswith(
        '" with administrator privileges'
    )
    expected = f"security add-trusted-cert -d -r trustRoot -k {MAC_SYSTEM_KEYCHAIN} "
    assert expected + str(store.ca_cert_path) in script
    assert plan.needs_privilege


def test_macos_uninstall_deletes_by_name(store: CertStore, tmp_path: Path) -> None:
    store.ca()
    plan = trust_plan(False, "darwin", store=store, probe=probe(tmp_path))
    script = plan.commands[0][2]
    assert f"security delete-certificate -c '{CA_NAME}' {MAC_SYSTEM_KEYCHAIN}" in script
    assert f"security remove-trusted-cert -d {store.ca_cert_path}" in script


def test_macos_quotes_survive_applescript(tmp_path: Path) -> None:
    odd = CertStore(tmp_path / 'we"ird dir', owner="o@h")
    script = trust_plan(True, "darwin", store=odd, probe=probe(tmp_path)).commands[0][2]
    inner = script.removeprefix('do shell script "').removesuffix('" with administrator privileges')
    assert '\\"' in inner and '"' not in inner.replace('\\"', "")  # every quote escaped


def test_windows_uses_the_user_root_store_without_elevation(
    store: CertStore, tmp_path: Path
) -> None:
    install = trust_plan(True, "win32", store=store, probe=probe(tmp_path))
    assert install.commands == [["certutil", "-user", "-addstore", "Root", str(store.ca_cert_path)]]
    assert not install.needs_privilege
    serial = f"{store.ca().certificate.serial_number:x}"
    uninstall = trust_plan(False, "windows", store=store, probe=probe(tmp_path))
    assert uninstall.commands == [["certutil", "-user", "-delstore", "Root", serial]]


def test_uninstall_without_a_ca_creates_none(store: CertStore, tmp_path: Path) -> None:
    plan = trust_plan(False, "windows", store=store, probe=probe(tmp_path))
    assert not store.has_ca()
    assert plan.commands[0][-1].startswith("Proxydesk ")  # falls back to the name


@pytest.mark.parametrize("platform", ["linux", "darwin", "windows"])
@pytest.mark.parametrize("install", [True, False])
def test_every_os_has_manual_instructions(
    store: CertStore, tmp_path: Path, platform: str, install: bool
) -> None:
    store.ca()
    plan = trust_plan(install, platform, store=store, probe=probe(tmp_path, "debian"))
    assert CA_NAME in plan.instructions
    if install:
        assert str(store.ca_cert_path) in plan.instructions


def test_platform_names() -> None:
    assert normalize_platform("linux2") == "linux"
    assert normalize_platform("macos") == "darwin"
    assert normalize_platform("cygwin") == "windows"
    with pytest.raises(ValueError, match="no trust-store support"):
        normalize_platform("plan9")


def test_run_trust_plan_stops_at_the_first_failure(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    plan = TrustPlan(
        commands=[
            [sys.executable, "-c", "print('step one')"],
            [sys.executable, "-c", "import sys; sys.exit('step two failed')"],
            [sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
        ],
        instructions="",
        needs_privilege=False,
    )
    result = run_trust_plan(plan)
    assert not result.ok
    assert [step.returncode for step in result.steps] == [0, 1]
    assert result.steps[0].output == "step one" and "step two failed" in result.steps[1].output
    assert not marker.exists()


def test_run_trust_plan_reports_a_missing_program() -> None:
    plan = TrustPlan([["/nonexistent/proxydesk-tool"]], "", needs_privilege=False)
    result = run_trust_plan(plan)
    assert not result.ok and result.steps[0].returncode == -1
