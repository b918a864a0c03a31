"""Installing the local CA into (and removing it from) the OS trust stores.

Theory of operation: nothing here touches a trust store by itself.
``trust_plan`` only *describes* what to run -- a ``TrustPlan`` with the exact
argument vectors, a manual how-to for the user, and whether an administrator
prompt will appear -- so the GUI and the CLI can show it, ask for explicit
confirmation, and offer a dry run.  ``run_trust_plan`` then executes the
commands in order and stops at the first failure.  Elevation always goes
through the OS's own prompt: ``pkexec`` (polkit's dialog) or else ``sudo`` on
Linux, ``osascript ... with administrator privileges`` on macOS; Windows'
per-user Root store needs no elevation (Windows shows its own confirmation).

The machine is described by a ``SystemProbe`` (which programs exist, the
os-release fields, the home directory) so plans for every OS can be built
and checked anywhere; ``SystemProbe.current()`` looks at the real machine.
Browsers with their own NSS database (Firefox profiles, Chromium's
``~/.pki/nssdb``) get ``certutil`` commands when NSS's ``certutil`` exists --
only on Linux and macOS, since Windows' ``certutil`` is a different program.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from proxy.certs.authority import default_owner
from proxy.certs.store import CertStore

__all__ = [
    "LINUX_STORES",
    "LinuxStore",
    "StepResult",
    "SystemProbe",
    "TrustPlan",
    "TrustRunResult",
    "normalize_platform",
    "run_trust_plan",
    "trust_plan",
]

MAC_SYSTEM_KEYCHAIN = "/Library/Keychains/System.keychain"
_STEP_TIMEOUT_S = 600.0  # a privilege prompt waits for a human


@dataclass(frozen=True)
class TrustPlan:
    """What installing/uninstalling the CA will run, and how to do it by hand."""

    commands: list[list[str]]
    instructions: str
    needs_privilege: bool


@dataclass(frozen=True)
class StepResult:
    command: list[str]
    returncode: int
    output: str


@dataclass(frozen=True)
class TrustRunResult:
    ok: bool
    steps: list[StepResult]


@dataclass(frozen=True)
class LinuxStore:
    """One Linux distribution family's system trust store."""

    family: str
    os_ids: tuple[str, ...]
    tool: str
    anchor_dir: str
    install: tuple[tuple[str, ...], ...]
    uninstall: tuple[tuple[str, ...], ...]


# Placeholders in the command templates: {ca} is the CA file we ship,
# {anchor} the file placed in the distribution's anchor directory.
LINUX_STORES: tuple[LinuxStore, ...] = (
    LinuxStore(
        family="debian",
        os_ids=("debian", "ubuntu", "linuxmint", "pop", "raspbian"),
        tool="update-ca-certificates",
        anchor_dir="/usr/local/share/ca-certificates",
        install=(("install", "-m", "0644", "{ca}", "{anchor}.crt"), ("update-ca-certificates",)),
        uninstall=(("rm", "-f", "{anchor}.crt"), ("update-ca-certificates", "--fresh")),
    ),
    LinuxStore(
        family="fedora",
        os_ids=("fedora", "rhel", "centos", "rocky", "almalinux"),
        tool="update-ca-trust",
        anchor_dir="/etc/pki/ca-trust/source/anchors",
        install=(("install", "-m", "0644", "{ca}", "{anchor}.pem"), ("update-ca-trust", "extract")),
        uninstall=(("rm", "-f", "{anchor}.pem"), ("update-ca-trust", "extract")),
    ),
    LinuxStore(
        family="arch",
        os_ids=("arch", "manjaro", "endeavouros"),
        tool="trust",
        anchor_dir="/etc/ca-certificates/trust-source/anchors",
        install=(("trust", "anchor", "--store", "{ca}"), ("trust", "extract-compat")),
        uninstall=(("trust", "anchor", "--remove", "{ca}"), ("trust", "extract-compat")),
    ),
)


@dataclass(frozen=True)
class SystemProbe:
    """The facts about a machine that a trust plan depends on."""

    home: Path
    os_release: Mapping[str, str] = field(default_factory=dict)
    which: Callable[[str], str | None] = shutil.which
    is_root: bool = False

    @classmethod
    def current(cls) -> SystemProbe:
        geteuid = getattr(os, "geteuid", None)
        return cls(
            home=Path.home(),
            os_release=_read_os_release(),
            is_root=geteuid is not None and geteuid() == 0,
        )


def normalize_platform(platform: str | None = None) -> str:
    """``linux``, ``darwin`` or ``windows`` from a ``sys.platform``-like name."""
    name = (platform or sys.platform).lower()
    aliases = {"win32": "windows", "cygwin": "windows", "macos": "darwin", "osx": "darwin"}
    name = aliases.get(name, name)
    if name.startswith("linux"):
        return "linux"
    if name not in ("darwin", "windows"):
        raise ValueError(f"no trust-store support for platform {platform!r}")
    return name


def trust_plan(
    install: bool,
    platform: str | None = None,
    *,
    store: CertStore | None = None,
    probe: SystemProbe | None = None,
) -> TrustPlan:
    """The commands that install (or remove) the local CA on ``platform``.

    Installing creates the CA if there is none yet; removing does not.
    """
    store = store if store is not None else CertStore()
    probe = probe if probe is not None else SystemProbe.current()
    ca = _CaFacts.from_store(store, create=install)
    builder = _PLATFORM_PLANS[normalize_platform(platform)]
    return builder(install, ca, probe)


def run_trust_plan(plan: TrustPlan) -> TrustRunResult:
    """Run the plan's commands in order, stopping at the first failure."""
    steps: list[StepResult] = []
    for command in plan.commands:
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=_STEP_TIMEOUT_S,
                check=False,
            )
            step = StepResult(command, done.returncode, (done.stdout + done.stderr).strip())
        except (OSError, subprocess.TimeoutExpired) as error:
            step = StepResult(command, -1, str(error))
        steps.append(step)
        if step.returncode != 0:
            return TrustRunResult(False, steps)
    return TrustRunResult(True, steps)


@dataclass(frozen=True)
class _CaFacts:
    """What the plans need to know about the CA: where, its name and serial."""

    path: Path
    name: str
    serial_hex: str | None

    @classmethod
    def from_store(cls, store: CertStore, *, create: bool) -> _CaFacts:
        if create or store.has_ca():
            certificate = store.ca().certificate
            return cls(store.ca_cert_path, store.ca().name, f"{certificate.serial_number:x}")
        return cls(store.ca_cert_path, f"Proxydesk {default_owner()}", None)

    @property
    def anchor_name(self) -> str:
        # One file per CA name: re-creating the CA overwrites the old anchor,
        # while two users' CAs on one machine do not clash.
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")


def _linux_plan(install: bool, ca: _CaFacts, probe: SystemProbe) -> TrustPlan:
    elevate = _linux_elevation(probe)
    linux_store = _linux_store(probe)
    commands: list[list[str]] = []
    if linux_store is not None:
        templates = linux_store.install if install else linux_store.uninstall
        anchor = f"{linux_store.anchor_dir}/{ca.anchor_name}"
        for template in templates:
            command = [word.format(ca=ca.path, anchor=anchor) for word in template]
            commands.append([*elevate, *command])
    commands += _nss_commands(install, ca, probe, _linux_nss_dirs(probe.home))
    instructions = _linux_instructions(install, ca, linux_store)
    return TrustPlan(commands, instructions, needs_privilege=linux_store is not None)


def _darwin_plan(install: bool, ca: _CaFacts, probe: SystemProbe) -> TrustPlan:
    keychain = MAC_SYSTEM_KEYCHAIN
    if install:
        trusted = ["security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", keychain]
        script = [[*trusted, str(ca.path)]]
    else:
        script = [["security", "delete-certificate", "-c", ca.name, keychain]]
        if ca.path.exists():  # also drop the admin trust setting recorded for it
            script.insert(0, ["security", "remove-trusted-cert", "-d", str(ca.path)])
    commands = [_mac_elevated(script, probe)]
    mac_profiles = probe.home / "Library/Application Support/Firefox/Profiles"
    commands += _nss_commands(install, ca, probe, _profile_dirs(mac_profiles))
    return TrustPlan(commands, _darwin_instructions(install, ca), needs_privilege=True)


def _windows_plan(install: bool, ca: _CaFacts, probe: SystemProbe) -> TrustPlan:
    if install:
        command = ["certutil", "-user", "-addstore", "Root", str(ca.path)]
    else:  # the serial picks exactly our certificate; the name is the fallback
        command = ["certutil", "-user", "-delstore", "Root", ca.serial_hex or ca.name]
    return TrustPlan([command], _windows_instructions(install, ca), needs_privilege=False)


_PLATFORM_PLANS: Mapping[str, Callable[[bool, _CaFacts, SystemProbe], TrustPlan]] = {
    "linux": _linux_plan,
    "darwin": _darwin_plan,
    "windows": _windows_plan,
}


def _linux_store(probe: SystemProbe) -> LinuxStore | None:
    ids = [probe.os_release.get("ID", ""), *probe.os_release.get("ID_LIKE", "").split()]
    for os_id in ids:
        for candidate in LINUX_STORES:
            if os_id in candidate.os_ids:
                return candidate
    # Unknown distribution: trust whichever tool is installed.
    return next((c for c in LINUX_STORES if probe.which(c.tool)), None)


def _linux_elevation(probe: SystemProbe) -> list[str]:
    if probe.is_root:
        return []
    for wrapper in ("pkexec", "sudo"):
        if probe.which(wrapper):
            return [wrapper]
    return []


def _mac_elevated(script: Sequence[Sequence[str]], probe: SystemProbe) -> list[str]:
    # "; " not "&&": when uninstalling, a missing trust setting must not stop
    # the certificate's removal.
    shell = "; ".join(shlex.join(command) for command in script)
    if probe.is_root:
        return ["sh", "-c", shell]
    quoted = shell.replace("\\", "\\\\").replace('"', '\\"')  # AppleScript string literal
    return ["osascript", "-e", f'do shell script "{quoted}" with administrator privileges']


def _nss_commands(
    install: bool, ca: _CaFacts, probe: SystemProbe, databases: list[Path]
) -> list[list[str]]:
    if not probe.which("certutil"):
        return []
    if install:
        return [
            ["certutil", "-A", "-d", f"sql:{db}", "-t", "C,,", "-n", ca.name, "-i", str(ca.path)]
            for db in databases
        ]
    return [["certutil", "-D", "-d", f"sql:{db}", "-n", ca.name] for db in databases]


def _linux_nss_dirs(home: Path) -> list[Path]:
    chromium = home / ".pki" / "nssdb"
    firefox = [
        *_profile_dirs(home / ".mozilla" / "firefox"),
        *_profile_dirs(home / "snap" / "firefox" / "common" / ".mozilla" / "firefox"),
    ]
    return ([chromium] if chromium.is_dir() else []) + firefox


def _profile_dirs(profiles_root: Path) -> list[Path]:
    # A profile with cert9.db uses the SQL NSS format that ``sql:`` addresses.
    if not profiles_root.is_dir():
        return []
    return sorted(p for p in profiles_root.iterdir() if (p / "cert9.db").is_file())


def _read_os_release() -> dict[str, str]:
    for candidate in (Path("/etc/os-release"), Path("/usr/lib/os-release")):
        try:
            text = candidate.read_text(encoding="utf-8")
        except OSError:
            continue
        fields = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                fields[key.strip()] = value.strip().strip("\"'")
        return fields
    return {}


def _linux_instructions(install: bool, ca: _CaFacts, linux_store: LinuxStore | None) -> str:
    if not install:
        return (
            f"To stop trusting {ca.name!r} on Linux: remove the copy of {ca.path} from the "
            "system anchors (/usr/local/share/ca-certificates on Debian/Ubuntu, then "
            "'sudo update-ca-certificates --fresh'; /etc/pki/ca-trust/source/anchors on "
            "Fedora/RHEL, then 'sudo update-ca-trust extract'; 'sudo trust anchor --remove "
            "FILE' on Arch), and in Firefox/Chromium delete it under Settings > Privacy & "
            f"Security > Certificates > Authorities ({ca.name})."
        )
    detected = f" (detected: {linux_store.family})" if linux_store else ""
    return (
        f"To trust {ca.name!r} on Linux{detected}: copy {ca.path} as root into the system "
        "anchors and refresh them -- Debian/Ubuntu: /usr/local/share/ca-certificates/NAME.crt "
        "then 'sudo update-ca-certificates'; Fedora/RHEL: /etc/pki/ca-trust/source/anchors/ "
        "then 'sudo update-ca-trust extract'; Arch: 'sudo trust anchor --store FILE'. "
        "Firefox and Chromium keep their own store: import the file under Settings > Privacy "
        "& Security > Certificates > Authorities and tick 'trust this CA to identify "
        "websites' (or install NSS's certutil, package libnss3-tools / nss-tools, and run "
        "this again)."
    )


def _darwin_instructions(install: bool, ca: _CaFacts) -> str:
    if not install:
        return (
            f"To stop trusting {ca.name!r} on macOS: open Keychain Access, select the System "
            f"keychain, find {ca.name!r} under Certificates and delete it (or run "
            f"'sudo security delete-certificate -c {shlex.quote(ca.name)} "
            f"{MAC_SYSTEM_KEYCHAIN}'). Firefox: Settings > Privacy & Security > "
            "Certificates > Authorities, delete it there too."
        )
    return (
        f"To trust {ca.name!r} on macOS: open {ca.path} with Keychain Access, add it to the "
        "System keychain, open it, expand 'Trust' and set 'When using this certificate' to "
        "'Always Trust' (or run 'sudo security add-trusted-cert -d -r trustRoot -k "
        f"{MAC_SYSTEM_KEYCHAIN} {shlex.quote(str(ca.path))}'). Firefox: Settings > Privacy "
        "& Security > Certificates > Authorities > Import."
    )


def _windows_instructions(install: bool, ca: _CaFacts) -> str:
    if not install:
        return (
            f"To stop trusting {ca.name!r} on Windows: run certmgr.msc, open 'Trusted Root "
            f"Certification Authorities' > Certificates, delete {ca.name!r} (or run "
            f"'certutil -user -delstore Root {ca.serial_hex or ca.name}')."
        )
    return (
        f"To trust {ca.name!r} on Windows: double-click {ca.path}, choose 'Install "
        "Certificate', 'Current User', 'Place all certificates in the following store', "
        "'Trusted Root Certification Authorities', and confirm the security warning (or run "
        f"'certutil -user -addstore Root \"{ca.path}\"'). Firefox uses the Windows store when "
        "security.enterprise_roots.enabled is true (the default in current versions)."
    )
