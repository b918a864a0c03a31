"""Trust plans, runs and status, store by store, on fake machines.

No real trust store is touched.  Plans are built for a described machine
(``SystemProbe``: a temporary HOME and a temporary filesystem root).  Runs use
real NSS ``certutil`` on NSS databases created in that HOME (``certutil -N``),
real ``keytool`` on a temporary ``cacerts`` when Java is installed, and small
fake ``pkexec`` / ``update-ca-certificates`` scripts first on PATH that record
their arguments, refresh a fake bundle under the temporary root, or fail on
demand (a denied polkit prompt, say).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from proxy.certs.errors import CertError
from proxy.certs.store import CertStore
from proxy.certs.trust import (
    ABSENT,
    ALREADY,
    DONE,
    FAILED,
    MAC_SYSTEM_KEYCHAIN,
    NOT_PRESENT,
    TRUSTED,
    UNAVAILABLE,
    SystemProbe,
    TrustCommand,
    TrustPlan,
    TrustStore,
    normalize_platform,
    outcome_summary,
    plan_lines,
    run_trust_plan,
    trust_plan,
    trust_status,
)
from tests.proxy.certs.conftest import OWNER

CA_NAME = f"Proxydesk {OWNER}"
ANCHOR = "proxydesk_tester_testhost"
DEBIAN_ANCHORS = "/usr/local/share/ca-certificates"


def probe(
    home: Path,
    os_id: str = "",
    tools: tuple[str, ...] = (),
    as_root: bool = False,
    **extra: object,
) -> SystemProbe:
    available = set(tools)
    return SystemProbe(
        home=home,
        os_release={"ID": os_id} if os_id else {},
        which=lambda name: f"/usr/bin/{name}" if name in available else None,
        is_root=as_root,
        **extra,  # type: ignore[arg-type]
    )


def serial(store: CertStore) -> str:
    return f"{store.ca().certificate.serial_number:x}"


def nickname(store: CertStore) -> str:
    return f"{CA_NAME} {serial(store)}"


def argvs(store: TrustStore) -> list[list[str]]:
    return [list(c.argv) for c in store.commands]


# --- plans -------------------------------------------------------------------------------------


def test_debian_install_uses_pkexec_and_update_ca_certificates(
    store: CertStore, tmp_path: Path
) -> None:
    machine = probe(tmp_path, "ubuntu", ("pkexec", "sudo", "update-ca-certificates"))
    plan = trust_plan(True, "linux", store=store, probe=machine)
    ca = str(store.ca_cert_path)
    anchor = f"{DEBIAN_ANCHORS}/{ANCHOR}_{serial(store)}.crt"  # the serial: one file per CA
    assert plan.commands == [
        ["pkexec", "install", "-m", "0644", ca, anchor],
        ["pkexec", "update-ca-certificates"],
    ]
    assert plan.needs_privilege and plan.store_names == ["system"]
    assert store.has_ca()  # installing creates the CA first


def test_debian_uninstall_falls_back_to_sudo_and_removes_the_old_file_name_too(
    store: CertStore, tmp_path: Path
) -> None:
    store.ca()
    machine = probe(tmp_path, "debian", ("sudo", "update-ca-certificates"))
    [system] = trust_plan(False, "linux", store=store, probe=machine).stores
    assert argvs(system) == [
        ["sudo", "rm", "-f", f"{DEBIAN_ANCHORS}/{ANCHOR}_{serial(store)}.crt"],
        ["sudo", "rm", "-f", f"{DEBIAN_ANCHORS}/{ANCHOR}.crt"],
        ["sudo", "update-ca-certificates", "--fresh"],
    ]
    assert "earlier versions" in system.commands[1].note  # and only if it holds this CA


def test_fedora_arch_and_suse_plans(store: CertStore, tmp_path: Path) -> None:
    ca = str(store.ca_cert_path)
    fedora = trust_plan(True, "linux", store=store,
                        probe=probe(tmp_path, "fedora", ("pkexec", "update-ca-trust")))
    anchor = f"/etc/pki/ca-trust/source/anchors/{ANCHOR}_{serial(store)}.pem"
    assert fedora.commands == [
        ["pkexec", "install", "-m", "0644", ca, anchor],
        ["pkexec", "update-ca-trust", "extract"],
    ]
    arch = probe(tmp_path, "arch", ("pkexec", "trust"))
    assert trust_plan(True, "linux", store=store, probe=arch).commands == [
        ["pkexec", "trust", "anchor", "--store", ca],
        ["pkexec", "trust", "extract-compat"],
    ]
    assert trust_plan(False, "linux", store=store, probe=arch).commands[0] == [
        "pkexec", "trust", "anchor", "--remove", ca]
    suse = probe(tmp_path, "opensuse-tumbleweed", ("pkexec", "update-ca-certificates"))
    assert trust_plan(True, "linux", store=store, probe=suse).commands[0][-1].startswith(
        "/usr/share/pki/trust/anchors/")


def test_unknown_distribution_is_recognised_by_its_tools(store: CertStore, tmp_path: Path) -> None:
    plan = trust_plan(True, "linux", store=store, probe=probe(tmp_path, "", ("update-ca-trust",)))
    assert argvs(plan.stores[0])[-1] == ["update-ca-trust", "extract"]  # no wrapper: as is ...
    assert plan.commands == []  # ... so it is not done automatically, and says why
    assert "pkexec nor sudo" in plan.stores[0].unavailable


def test_root_needs_no_wrapper(store: CertStore, tmp_path: Path) -> None:
    machine = probe(tmp_path, "debian", ("sudo", "update-ca-certificates"), as_root=True)
    plan = trust_plan(True, "linux", store=store, probe=machine)
    assert plan.commands[1] == ["update-ca-certificates"] and not plan.needs_privilege


def test_a_missing_system_tool_makes_the_store_unavailable_with_the_reason(
    store: CertStore, tmp_path: Path
) -> None:
    [system] = trust_plan(True, "linux", store=store, probe=probe(tmp_path, "debian", ("sudo",))).stores
    assert "update-ca-certificates is not installed" in system.unavailable


def test_linux_without_a_known_store_gives_instructions_only(
    store: CertStore, tmp_path: Path
) -> None:
    plan = trust_plan(True, "linux", store=store, probe=probe(tmp_path, "gentoo"))
    assert plan.stores == () and plan.commands == [] and not plan.needs_privilege
    assert "update-ca-certificates" in plan.instructions
    assert str(store.ca_cert_path) in plan.instructions
    assert any("system store" in note for note in plan.notes)


def fake_home(home: Path) -> dict[str, Path]:
    """Every NSS place mkcert knows, but /etc/pki/nssdb and snap Firefox (missing stores)."""
    places = {
        "chromium": home / ".pki/nssdb",
        "chromium-snap": home / "snap/chromium/current/.pki/nssdb",
        "firefox:abcd.default-release": home / ".mozilla/firefox/abcd.default-release",
        "firefox-xdg:efgh.default-esr": home / ".config/mozilla/firefox/efgh.default-esr",
    }
    for directory in places.values():
        directory.mkdir(parents=True)
        (directory / "cert9.db").touch()
    never_started = home / ".mozilla/firefox/new.profile"
    never_started.mkdir()
    (never_started / "times.json").touch()
    (home / ".mozilla/firefox/profiles.ini").touch()  # a file, not a profile
    return places


def test_plan_covers_every_nss_database_and_both_firefox_locations(
    store: CertStore, tmp_path: Path
) -> None:
    places = fake_home(tmp_path / "home")
    machine = probe(tmp_path / "home", "debian", ("pkexec", "certutil", "update-ca-certificates"),
                    root=tmp_path / "root")
    plan = trust_plan(True, "linux", store=store, probe=machine)
    assert plan.store_names == ["system", *places]
    nick, ca = nickname(store), str(store.ca_cert_path)
    for name, directory in places.items():
        [nss] = next(s for s in plan.stores if s.name == name).commands
        assert list(nss.argv) == ["certutil", "-A", "-d", f"sql:{directory}", "-t", "C,,",
                                  "-n", nick, "-i", ca]  # the user's own: no pkexec
    kinds = {s.name: s.kind for s in plan.stores}
    assert kinds["chromium-snap"] == "nss" and kinds["firefox-xdg:efgh.default-esr"] == "firefox"
    assert any("new.profile has no certificate database yet" in note for note in plan.notes)
    lines = plan_lines(plan)
    assert lines[0].startswith("# system: system trust store") and "administrator" in lines[0]

    uninstall = trust_plan(False, "linux", store=store, probe=machine)
    chromium = next(s for s in uninstall.stores if s.name == "chromium")
    assert argvs(chromium) == [
        ["certutil", "-D", "-d", f"sql:{places['chromium']}", "-n", nick],
        ["certutil", "-D", "-d", f"sql:{places['chromium']}", "-n", CA_NAME],
    ]


def test_etc_pki_nssdb_is_a_store_and_asks_for_rights_when_not_writable(
    store: CertStore, tmp_path: Path
) -> None:
    shared = tmp_path / "root/etc/pki/nssdb"
    shared.mkdir(parents=True)
    (shared / "cert9.db").touch()
    machine = probe(tmp_path, "debian", ("pkexec", "certutil", "update-ca-certificates"),
                    root=tmp_path / "root")
    [nss_system] = trust_plan(True, "linux", store=store, probe=machine).select(["nss-system"]).stores
    assert nss_system.commands[0].argv[:2] == ("certutil", "-A")
    if os.geteuid() != 0:  # as root everything is writable
        shared.chmod(0o555)
        try:
            [nss_system] = trust_plan(True, "linux", store=store, probe=machine).select(
                ["nss-system"]).stores
            assert nss_system.commands[0].argv[:2] == ("pkexec", "certutil")
        finally:
            shared.chmod(0o755)


def test_without_certutil_nss_stores_are_unavailable_with_the_package_to_install(
    store: CertStore, tmp_path: Path
) -> None:
    fake_home(tmp_path)
    plan = trust_plan(True, "linux", store=store,
                      probe=probe(tmp_path, "debian", ("pkexec", "update-ca-certificates")))
    assert all(command[0] != "certutil" for command in plan.commands)
    unavailable = [s for s in plan.stores if s.unavailable]
    assert len(unavailable) == 4 and all("libnss3-tools" in s.unavailable for s in unavailable)
    assert "libnss3-tools" in plan.instructions


def test_select_by_name_or_kind_and_refuse_unknown_names(store: CertStore, tmp_path: Path) -> None:
    fake_home(tmp_path)
    plan = trust_plan(True, "linux", store=store,
                      probe=probe(tmp_path, "debian", ("pkexec", "certutil", "update-ca-certificates")))
    assert plan.select(["firefox"]).store_names == [
        "firefox:abcd.default-release", "firefox-xdg:efgh.default-esr"]
    assert plan.select(["system", "chromium"]).store_names == ["system", "chromium"]
    with pytest.raises(CertError, match=r"no trust store 'nss-system'.*chromium-snap"):
        plan.select(["nss-system"])  # missing on this machine: said, not ignored


def test_wsl_is_warned_about(store: CertStore, tmp_path: Path) -> None:
    plan = trust_plan(True, "linux", store=store,
                      probe=probe(tmp_path, "ubuntu", ("pkexec", "update-ca-certificates"), wsl=True))
    [warning] = plan.warnings
    assert "WSL" in warning and "Windows" in warning and "certutil.exe -user -addstore Root" in warning


def test_macos_install_asks_through_osascript_and_warns_about_prompts(
    store: CertStore, tmp_path: Path
) -> None:
    plan = trust_plan(True, "darwin", store=store, probe=probe(tmp_path))
    [command] = plan.commands
    assert command[:2] == ["osascript", "-e"]
    script = command[2]
    assert script.startswith('do shell script "') and script.endswith(
        '" with administrator privileges'
    )
    expected = f"security add-trusted-cert -d -r trustRoot -k {MAC_SYSTEM_KEYCHAIN} "
    assert expected + str(store.ca_cert_path) in script
    assert plan.needs_privilege and "administrator password" in plan.warnings[0]


def test_macos_uninstall_deletes_exactly_this_certificate(store: CertStore, tmp_path: Path) -> None:
    store.ca()
    plan = trust_plan(False, "darwin", store=store, probe=probe(tmp_path))
    script = plan.commands[0][2]
    assert f"security delete-certificate -Z {_sha1(store)} {MAC_SYSTEM_KEYCHAIN}" in script
    assert f"security remove-trusted-cert -d {store.ca_cert_path}" in script


def test_macos_firefox_uses_homebrews_certutil(store: CertStore, tmp_path: Path) -> None:
    profile = tmp_path / "Library/Application Support/Firefox/Profiles/x.default"
    profile.mkdir(parents=True)
    (profile / "cert9.db").touch()
    without = trust_plan(True, "darwin", store=store, probe=probe(tmp_path))
    assert "brew install nss" in without.stores[1].unavailable
    brew = tmp_path / "root/opt/homebrew/opt/nss/bin/certutil"
    brew.parent.mkdir(parents=True)
    brew.touch()
    with_brew = trust_plan(True, "darwin", store=store, probe=probe(tmp_path, root=tmp_path / "root"))
    assert with_brew.stores[1].commands[0].argv[0] == "/opt/homebrew/opt/nss/bin/certutil"


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
    assert not install.needs_privilege and "security warning" in install.warnings[0]
    uninstall = trust_plan(False, "windows", store=store, probe=probe(tmp_path))
    assert uninstall.commands == [["certutil", "-user", "-delstore", "Root", serial(store)]]


def test_uninstall_without_a_ca_is_refused_and_creates_none(
    store: CertStore, tmp_path: Path
) -> None:
    with pytest.raises(CertError, match="no local CA"):
        trust_plan(False, "windows", store=store, probe=probe(tmp_path))
    assert not store.has_ca()


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


def _sha1(store: CertStore) -> str:
    from cryptography.hazmat.primitives import hashes

    return store.ca().certificate.fingerprint(hashes.SHA1()).hex().upper()


# --- runs on a fake machine with real certutil ---------------------------------------------------

needs_certutil = pytest.mark.skipif(
    shutil.which("certutil") is None and os.environ.get("PROXYDESK_REQUIRE_CERTUTIL") != "1",
    reason="NSS's certutil is not installed (apt-get install libnss3-tools)",
)


@dataclass
class Machine:
    """A fake Debian machine: HOME with NSS databases, a root with the system store."""

    home: Path
    root: Path
    log: Path
    nss: dict[str, Path]
    bundle: Path

    def probe(self, **extra: object) -> SystemProbe:
        # keytool hidden: this machine's own Java cacerts must never be a store here
        return SystemProbe(
            home=self.home, os_release={"ID": "debian"}, which=_which_but_keytool,
            is_root=False, root=self.root, **extra,  # type: ignore[arg-type]
        )

    def deny_privilege(self) -> None:
        (self.root / "DENY").touch()

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def _which_but_keytool(name: str) -> str | None:
    return None if name == "keytool" else shutil.which(name)


def _script(path: Path, text: str) -> None:
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Machine:
    return make_machine(tmp_path, monkeypatch)


def make_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Machine:
    """The fake machine, with its fake tools first on PATH (for this test only)."""
    home, root, bin_dir = tmp_path / "home", tmp_path / "root", tmp_path / "bin"
    for directory in (home, root / DEBIAN_ANCHORS.lstrip("/"), root / "etc/ssl/certs", bin_dir):
        directory.mkdir(parents=True)
    log = tmp_path / "calls.log"
    other = CertStore(tmp_path / "someone-else", owner="other@host")  # a CA already trusted
    bundle = root / "etc/ssl/certs/ca-certificates.crt"
    bundle.write_bytes(other.ca_certificate_pem())
    anchors = root / DEBIAN_ANCHORS.lstrip("/")
    _script(bin_dir / "pkexec", f"""echo "pkexec $*" >> '{log}'
if [ -e '{root}/DENY' ]; then
  echo "Error executing command as another user: Not authorized" >&2
  exit 127
fi
exec "$@"
""")
    _script(bin_dir / "update-ca-certificates", f"""cat '{tmp_path}/someone-else/ca/rootCA.pem' '{anchors}'/*.crt > '{bundle}' 2>/dev/null
exit 0
""")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    nss = fake_home(home)
    if shutil.which("certutil"):  # real NSS databases (without: empty cert9.db files)
        for directory in nss.values():
            (directory / "cert9.db").unlink()
            subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
                           check=True, capture_output=True)
    return Machine(home, root, log, nss, bundle)


def nss_nicknames(directory: Path) -> dict[str, str]:
    listing = subprocess.run(["certutil", "-L", "-d", f"sql:{directory}"], check=True,
                             capture_output=True, text=True).stdout
    found = {}
    for line in listing.splitlines()[3:]:
        if line.strip():
            name, flags = line.rsplit(None, 1)
            found[name.strip()] = flags
    return found


def states(result_or_statuses: object) -> dict[str, str]:
    items = getattr(result_or_statuses, "outcomes", result_or_statuses)
    return {
        item.store.name: getattr(item, "state", None) or item.presence.state  # type: ignore[attr-defined]
        for item in items  # type: ignore[attr-defined]
    }


def linux_plan(install: bool, store: CertStore, machine: Machine) -> TrustPlan:
    return trust_plan(install, "linux", store=store, probe=machine.probe())


@needs_certutil
def test_install_status_and_uninstall_every_store(store: CertStore, machine: Machine) -> None:
    everything = ["system", *machine.nss]
    assert states(trust_status(linux_plan(True, store, machine))) == dict.fromkeys(everything, ABSENT)

    installed = run_trust_plan(linux_plan(True, store, machine))
    assert states(installed) == dict.fromkeys(everything, DONE), installed
    assert installed.ok and "trusted in every store" in outcome_summary(True, installed)
    nick = nickname(store)
    for directory in machine.nss.values():
        assert nss_nicknames(directory) == {nick: "C,,"}
    assert store.ca_certificate_pem() in machine.bundle.read_bytes()
    assert machine.calls() == [
        f"pkexec install -m 0644 {store.ca_cert_path} "
        f"{machine.root}{DEBIAN_ANCHORS}/{ANCHOR}_{serial(store)}.crt",
        "pkexec update-ca-certificates",
    ]  # only the system store asked for rights
    assert states(trust_status(linux_plan(True, store, machine))) == dict.fromkeys(everything, TRUSTED)

    again = run_trust_plan(linux_plan(True, store, machine))
    assert states(again) == dict.fromkeys(everything, ALREADY) and again.ok

    removed = run_trust_plan(linux_plan(False, store, machine))
    assert states(removed) == dict.fromkeys(everything, DONE), removed
    assert all(nss_nicknames(d) == {} for d in machine.nss.values())
    assert store.ca_certificate_pem() not in machine.bundle.read_bytes()
    assert b"BEGIN CERTIFICATE" in machine.bundle.read_bytes()  # the other CA stays
    assert states(trust_status(linux_plan(False, store, machine))) == dict.fromkeys(everything, ABSENT)

    # Tolerant: removing again skips every store, says so, and succeeds.
    nothing = run_trust_plan(linux_plan(False, store, machine))
    assert states(nothing) == dict.fromkeys(everything, NOT_PRESENT) and nothing.ok


@needs_certutil
def test_one_store_failing_does_not_stop_the_others(store: CertStore, machine: Machine) -> None:
    machine.deny_privilege()  # a normal user who cannot (or will not) authenticate
    broken = machine.nss["firefox-xdg:efgh.default-esr"]
    (broken / "cert9.db").write_bytes(b"this is not an SQLite database")
    result = run_trust_plan(linux_plan(True, store, machine))
    outcome = states(result)
    assert outcome.pop("system") == FAILED and outcome.pop("firefox-xdg:efgh.default-esr") in (
        FAILED, "failed")
    assert set(outcome.values()) == {DONE}  # the user's own databases are done all the same
    assert not result.ok and [o.store.name for o in result.failed] == [
        "system", "firefox-xdg:efgh.default-esr"]
    system = result.failed[0]
    assert "Not authorized" in system.detail and "pkexec install" in system.detail
    assert len(system.steps) == 1  # no refresh after the failed copy
    summary = outcome_summary(True, result)
    assert "not done in 2 stores: system, firefox-xdg:efgh.default-esr" in summary
    assert "the other 3 stores are done" in summary
    for name in ("chromium", "chromium-snap", "firefox:abcd.default-release"):
        assert nickname(store) in nss_nicknames(machine.nss[name])


@needs_certutil
def test_uninstall_removes_it_where_it_is_and_reports_where_it_is_not(
    store: CertStore, machine: Machine, tmp_path: Path
) -> None:
    chromium, firefox = machine.nss["chromium"], machine.nss["firefox:abcd.default-release"]
    ca = str(store.ca().cert_path)
    # An earlier version's entry (nickname = the CA's name) in Firefox only, and a
    # different CA with that same name in Chromium: only ours may go.
    twin = CertStore(tmp_path / "twin", owner=OWNER)
    twin_file = tmp_path / "twin.pem"
    twin.export_ca(twin_file)
    for db, pem, nick in ((firefox, ca, CA_NAME), (chromium, str(twin_file), CA_NAME)):
        subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-t", "C,,", "-n", nick, "-i", pem],
                       check=True, capture_output=True)
    status = states(trust_status(linux_plan(False, store, machine)))
    assert status["firefox:abcd.default-release"] == TRUSTED and status["chromium"] == ABSENT

    result = run_trust_plan(linux_plan(False, store, machine))
    outcome = states(result)
    assert outcome.pop("firefox:abcd.default-release") == DONE
    assert set(outcome.values()) == {NOT_PRESENT} and result.ok
    assert nss_nicknames(firefox) == {}
    assert nss_nicknames(chromium) == {CA_NAME: "C,,"}  # the twin CA is still trusted
    assert machine.calls() == []  # nothing to do in the system store: no prompt either


@needs_certutil
def test_two_cas_with_one_name_get_two_nicknames(
    store: CertStore, machine: Machine, tmp_path: Path
) -> None:
    twin = CertStore(tmp_path / "twin", owner=OWNER)
    for each in (store, twin):
        plan = trust_plan(True, "linux", store=each, probe=machine.probe()).select(["chromium"])
        assert run_trust_plan(plan).ok
    assert set(nss_nicknames(machine.nss["chromium"])) == {nickname(store), nickname(twin)}
    removed = run_trust_plan(
        trust_plan(False, "linux", store=store, probe=machine.probe()).select(["chromium"]))
    assert removed.ok and set(nss_nicknames(machine.nss["chromium"])) == {nickname(twin)}


@needs_certutil
def test_a_partly_installed_system_store_is_reported_and_completed(
    store: CertStore, machine: Machine
) -> None:
    anchor = machine.root / DEBIAN_ANCHORS.lstrip("/") / f"{ANCHOR}_{serial(store)}.crt"
    anchor.write_bytes(store.ca_certificate_pem())  # copied, but the bundle not refreshed
    plan = trust_plan(True, "linux", store=store, probe=machine.probe()).select(["system"])
    [status] = trust_status(plan)
    assert status.presence.state == "partial" and "update-ca-certificates" in status.presence.detail
    assert run_trust_plan(plan).ok
    assert trust_status(plan)[0].presence.state == TRUSTED


def test_commands_that_succeed_without_effect_are_a_failure(tmp_path: Path) -> None:
    from proxy.certs.trust import Presence

    silent = TrustStore(
        "fake", "system", "a store whose tool does nothing",
        (TrustCommand((sys.executable, "-c", "print('fine')")),),
        check=lambda: Presence(ABSENT),
    )
    result = run_trust_plan(TrustPlan(True, (silent,), ""))
    [outcome] = result.outcomes
    assert outcome.state == FAILED and "still not trusted" in outcome.detail
    assert outcome.steps[0].output == "fine"


def test_an_unavailable_store_is_reported_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    unavailable = TrustStore(
        "nss", "nss", "somewhere", (TrustCommand((sys.executable, "-c", f"open({str(marker)!r}, 'w')")),),
        unavailable="certutil is missing",
    )
    result = run_trust_plan(TrustPlan(True, (unavailable,), ""))
    assert [o.state for o in result.outcomes] == [UNAVAILABLE] and not result.ok
    assert not marker.exists() and result.outcomes[0].detail == "certutil is missing"


def test_a_missing_program_is_a_failed_store_not_a_crash() -> None:
    from proxy.certs.trust import Presence

    store = TrustStore("x", "system", "x", (TrustCommand(("/nonexistent/proxydesk-tool",)),),
                       check=lambda: Presence(ABSENT))
    [outcome] = run_trust_plan(TrustPlan(True, (store,), "")).outcomes
    assert outcome.state == FAILED and outcome.steps[0].returncode == -1


# --- Java ----------------------------------------------------------------------------------------

needs_keytool = pytest.mark.skipif(shutil.which("keytool") is None, reason="no Java keytool")


@needs_keytool
def test_java_cacerts_under_java_home(store: CertStore, tmp_path: Path) -> None:
    java_home = tmp_path / "jdk"
    (java_home / "bin").mkdir(parents=True)
    (java_home / "lib/security").mkdir(parents=True)
    (java_home / "bin/keytool").symlink_to(os.path.realpath(shutil.which("keytool") or ""))
    cacerts = java_home / "lib/security/cacerts"
    other = CertStore(tmp_path / "other", owner="other@host")
    other_pem = tmp_path / "other.pem"
    other.export_ca(other_pem)
    subprocess.run([str(java_home / "bin/keytool"), "-importcert", "-noprompt", "-keystore",
                    str(cacerts), "-storepass", "changeit", "-alias", "other", "-file",
                    str(other_pem)], check=True, capture_output=True)
    machine = SystemProbe(home=tmp_path, which=lambda _name: None,
                          environ={"JAVA_HOME": str(java_home)})
    plan = trust_plan(True, "linux", store=store, probe=machine)
    assert plan.store_names == ["java"]
    assert run_trust_plan(plan).ok
    [status] = trust_status(plan)
    assert status.presence.state == TRUSTED and nickname(store).lower() in status.presence.detail
    removed = run_trust_plan(trust_plan(False, "linux", store=store, probe=machine))
    assert removed.ok and [o.state for o in removed.outcomes] == [DONE]
    assert trust_status(plan)[0].presence.state == ABSENT


def test_java_home_without_keytool_is_noted(store: CertStore, tmp_path: Path) -> None:
    machine = SystemProbe(home=tmp_path, which=lambda _name: None,
                          environ={"JAVA_HOME": str(tmp_path / "nojdk")})
    plan = trust_plan(True, "linux", store=store, probe=machine)
    assert "java" not in plan.store_names and any("bin/keytool" in n for n in plan.notes)
