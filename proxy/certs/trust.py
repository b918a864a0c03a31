"""Installing the local CA into (and removing it from) every trust store, store by store.

Theory of operation
-------------------
Nothing here touches a trust store by itself.  ``trust_plan`` *describes* the work
as a ``TrustPlan``: one ``TrustStore`` per store found on the machine (the system
store, each NSS database, each Firefox profile, Java's ``cacerts``, the macOS
keychain, the Windows user Root store), each with the exact argument vectors it
would run, whether they ask for administrator rights, and -- when a store is there
but cannot be done automatically (``certutil`` missing, no way to elevate) -- why
and what to do instead.  The GUI and the CLI show it, ask for consent, offer a dry
run, and may keep only some stores (``TrustPlan.select``: a store's name such as
``firefox:abcd.default-release``, or a kind: ``system``, ``nss``, ``firefox``,
``java``).

``run_trust_plan`` then does each store in turn and **keeps going past a failed
one**: every store gets a ``StoreOutcome`` (done, already trusted, not present,
failed, unavailable) saying what happened and why.  A store is looked at before
and after its commands run (``trust_status`` does only the looking), so:
installing skips a store that already trusts this CA and says ``failed`` when the
commands "succeeded" but the CA is still not there; uninstalling skips (and
reports) a store that does not hold the CA and removes it from every one that
does, including entries made by earlier versions under the old nickname.  Within
one store the commands stop at the first failure (no refresh after a failed copy).

The CA is known to every store as ``<CA name> <serial in hex>`` (NSS nickname, Java
alias, system anchor file name), so two CAs -- a re-created one, another user's, a
second data directory -- never share a nickname and one's removal cannot remove the
other.  Presence is always decided by the certificate itself (its DER bytes), never
by a name alone.

Elevation goes through the OS's own prompt: ``pkexec`` (polkit) or ``sudo`` on
Linux, only for the stores that need it (the system store, ``/etc/pki/nssdb`` and a
``cacerts`` we cannot write); ``osascript ... with administrator privileges`` on
macOS.  The user's own NSS databases never need it, so a normal user whose system
store fails still gets Chromium and Firefox done.  The machine is described by a
``SystemProbe`` (programs, os-release, home, filesystem root, environment, WSL) so
plans for any layout can be built and run against a temporary directory in tests.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization

from proxy.certs.errors import CertError
from proxy.certs.store import CertStore

__all__ = [
    "ABSENT",
    "ALREADY",
    "DONE",
    "FAILED",
    "LINUX_STORES",
    "MAC_SYSTEM_KEYCHAIN",
    "NOT_PRESENT",
    "PARTIAL",
    "TRUSTED",
    "UNAVAILABLE",
    "UNKNOWN",
    "LinuxStore",
    "Presence",
    "StepResult",
    "StoreOutcome",
    "StoreStatus",
    "SystemProbe",
    "TrustCommand",
    "TrustPlan",
    "TrustRunResult",
    "TrustStore",
    "normalize_platform",
    "outcome_lines",
    "outcome_summary",
    "plan_lines",
    "run_trust_plan",
    "trust_plan",
    "trust_status",
]

MAC_SYSTEM_KEYCHAIN = "/Library/Keychains/System.keychain"
JAVA_STOREPASS = "changeit"  # the well-known password of every JDK's cacerts
_STEP_TIMEOUT_S = 600.0  # a privilege prompt waits for a human
_QUERY_TIMEOUT_S = 60.0  # a look into a store (keytool starts a JVM)

# What a store says when looked at (``Presence.state``).
TRUSTED = "trusted"
ABSENT = "absent"
PARTIAL = "partial"  # there, but not (yet) in effect: say what is missing
UNKNOWN = "unknown"  # could not be looked at: say why

# What happened to a store in a run (``StoreOutcome.state``).
DONE = "done"
ALREADY = "already trusted"
NOT_PRESENT = "not present"  # uninstalling: nothing to remove here
FAILED = "failed"
UNAVAILABLE = "unavailable"  # there, but nothing can run here automatically


@dataclass(frozen=True)
class Presence:
    state: str
    detail: str = ""


@dataclass(frozen=True)
class TrustCommand:
    """One command of a store; ``run_if`` (asked just before) may skip it, ``note`` says when."""

    argv: tuple[str, ...]
    note: str = ""
    run_if: Callable[[], bool] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TrustStore:
    """One trust store: what installing/uninstalling runs there and how to look at it."""

    name: str
    kind: str  # system | nss | firefox | java
    description: str
    commands: tuple[TrustCommand, ...] = ()
    needs_privilege: bool = False
    unavailable: str = ""  # why nothing can run here, and what to do instead
    check: Callable[[], Presence] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TrustPlan:
    """What installing/uninstalling the CA will do, store by store, and how to do it by hand."""

    install: bool
    stores: tuple[TrustStore, ...]
    instructions: str
    warnings: tuple[str, ...] = ()  # read before running (WSL, macOS prompts)
    notes: tuple[str, ...] = ()  # stores looked for and not found

    @property
    def commands(self) -> list[list[str]]:
        """Every command that may run, in order (the dry run, the GUI's text)."""
        return [list(c.argv) for s in self.stores if not s.unavailable for c in s.commands]

    @property
    def needs_privilege(self) -> bool:
        return any(s.needs_privilege and not s.unavailable for s in self.stores)

    @property
    def store_names(self) -> list[str]:
        return [s.name for s in self.stores]

    def select(self, wanted: Sequence[str]) -> TrustPlan:
        """Only the stores named (or of the kinds named) in ``wanted``; an unknown one is refused."""
        if not wanted:
            return self
        for name in wanted:
            if not any(name in (s.name, s.kind) for s in self.stores):
                kinds = sorted({s.kind for s in self.stores})
                raise CertError(
                    f"no trust store {name!r} on this machine; there are: "
                    f"{', '.join(self.store_names) or 'none'} (kinds: {', '.join(kinds) or 'none'})"
                )
        chosen = tuple(s for s in self.stores if s.name in wanted or s.kind in wanted)
        return replace(self, stores=chosen, notes=())


@dataclass(frozen=True)
class StepResult:
    command: list[str]
    returncode: int
    output: str


@dataclass(frozen=True)
class StoreOutcome:
    store: TrustStore
    state: str
    detail: str = ""
    steps: tuple[StepResult, ...] = ()

    @property
    def ok(self) -> bool:
        return self.state in (DONE, ALREADY, NOT_PRESENT)


@dataclass(frozen=True)
class TrustRunResult:
    outcomes: tuple[StoreOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> list[StoreOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def steps(self) -> list[StepResult]:
        return [step for outcome in self.outcomes for step in outcome.steps]


@dataclass(frozen=True)
class StoreStatus:
    store: TrustStore
    presence: Presence


@dataclass(frozen=True)
class LinuxStore:
    """One Linux distribution family's system trust store."""

    family: str
    os_ids: tuple[str, ...]
    tool: str
    anchor_dir: str
    anchor_suffix: str
    install: tuple[tuple[str, ...], ...]
    uninstall: tuple[tuple[str, ...], ...]
    bundle: str  # the extracted bundle OpenSSL, curl & co. read: the CA is in effect once here
    scan_dirs: tuple[str, ...]  # where an installed anchor may sit


# Placeholders in the command templates: {ca} is the CA file we ship,
# {anchor} the file placed in the distribution's anchor directory.
LINUX_STORES: tuple[LinuxStore, ...] = (
    LinuxStore(
        family="debian",
        os_ids=("debian", "ubuntu", "linuxmint", "pop", "raspbian"),
        tool="update-ca-certificates",
        anchor_dir="/usr/local/share/ca-certificates",
        anchor_suffix=".crt",
        install=(("install", "-m", "0644", "{ca}", "{anchor}"), ("update-ca-certificates",)),
        uninstall=(("rm", "-f", "{anchor}"), ("update-ca-certificates", "--fresh")),
        bundle="/etc/ssl/certs/ca-certificates.crt",
        scan_dirs=("/usr/local/share/ca-certificates",),
    ),
    LinuxStore(
        family="fedora",
        os_ids=("fedora", "rhel", "centos", "rocky", "almalinux"),
        tool="update-ca-trust",
        anchor_dir="/etc/pki/ca-trust/source/anchors",
        anchor_suffix=".pem",
        install=(("install", "-m", "0644", "{ca}", "{anchor}"), ("update-ca-trust", "extract")),
        uninstall=(("rm", "-f", "{anchor}"), ("update-ca-trust", "extract")),
        bundle="/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        scan_dirs=("/etc/pki/ca-trust/source/anchors", "/etc/pki/ca-trust/source"),
    ),
    LinuxStore(
        family="arch",
        os_ids=("arch", "manjaro", "endeavouros"),
        tool="trust",
        anchor_dir="/etc/ca-certificates/trust-source/anchors",
        anchor_suffix=".crt",
        install=(("trust", "anchor", "--store", "{ca}"), ("trust", "extract-compat")),
        uninstall=(("trust", "anchor", "--remove", "{ca}"), ("trust", "extract-compat")),
        bundle="/etc/ssl/certs/ca-certificates.crt",
        scan_dirs=("/etc/ca-certificates/trust-source/anchors", "/etc/ca-certificates/trust-source"),
    ),
    LinuxStore(
        family="suse",
        os_ids=("opensuse", "opensuse-leap", "opensuse-tumbleweed", "sles", "suse"),
        tool="update-ca-certificates",
        anchor_dir="/usr/share/pki/trust/anchors",
        anchor_suffix=".pem",
        install=(("install", "-m", "0644", "{ca}", "{anchor}"), ("update-ca-certificates",)),
        uninstall=(("rm", "-f", "{anchor}"), ("update-ca-certificates",)),
        bundle="/etc/ssl/ca-bundle.pem",
        scan_dirs=("/usr/share/pki/trust/anchors",),
    ),
)

# Firefox keeps one NSS database per profile, under one of these (relative to HOME).
LINUX_FIREFOX_ROOTS: tuple[tuple[str, str], ...] = (
    ("firefox", ".mozilla/firefox"),
    ("firefox-xdg", ".config/mozilla/firefox"),  # where Firefox ESR 115+ puts new profiles
    ("firefox-snap", "snap/firefox/common/.mozilla/firefox"),
    ("firefox-flatpak", ".var/app/org.mozilla.firefox/.mozilla/firefox"),
)
HOMEBREW_CERTUTILS = ("/opt/homebrew/opt/nss/bin/certutil", "/usr/local/opt/nss/bin/certutil")
_NSS_PACKAGES = "Debian/Ubuntu: libnss3-tools, Fedora: nss-tools, Arch: nss"


@dataclass(frozen=True)
class SystemProbe:
    """The facts about a machine that a trust plan depends on.

    ``root`` is where the system's absolute paths live (``/``; a temporary directory
    in tests), ``environ`` the environment (``JAVA_HOME``).
    """

    home: Path
    os_release: Mapping[str, str] = field(default_factory=dict)
    which: Callable[[str], str | None] = shutil.which
    is_root: bool = False
    root: Path = Path("/")
    environ: Mapping[str, str] = field(default_factory=dict)
    wsl: bool = False

    @classmethod
    def current(cls) -> SystemProbe:
        geteuid = getattr(os, "geteuid", None)
        return cls(
            home=Path.home(),
            os_release=_read_os_release(),
            is_root=geteuid is not None and geteuid() == 0,
            environ=dict(os.environ),
            wsl=_is_wsl(),
        )

    def system_path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")


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
    """What installing (or removing) the local CA on ``platform`` does, store by store.

    Installing creates the CA if there is none yet; removing needs one (without it
    nothing Proxydesk put into a store can be identified) and refuses otherwise.
    """
    store = store if store is not None else CertStore()
    probe = probe if probe is not None else SystemProbe.current()
    if not install and not store.has_ca():
        raise CertError(
            f"there is no local CA in {store.root}, so nothing it was trusted as can be "
            "identified to remove; if the CA folder was deleted, remove 'Proxydesk ...' "
            "certificates by hand in the trust stores"
        )
    ca = _CaFacts.from_store(store)
    builder = _PLATFORM_PLANS[normalize_platform(platform)]
    return builder(install, ca, probe)


def trust_status(plan: TrustPlan) -> list[StoreStatus]:
    """Look at every store of ``plan``: does it trust the CA?  Changes nothing."""
    return [StoreStatus(s, _look(s)) for s in plan.stores]


def run_trust_plan(plan: TrustPlan) -> TrustRunResult:
    """Do every store of the plan, keeping going past a failed one; report each."""
    return TrustRunResult(tuple(_run_store(plan.install, s) for s in plan.stores))


def _run_store(install: bool, store: TrustStore) -> StoreOutcome:
    if store.unavailable:
        return StoreOutcome(store, UNAVAILABLE, store.unavailable)
    before = _look(store)
    if install and before.state == TRUSTED:
        return StoreOutcome(store, ALREADY, before.detail)
    if not install and before.state == ABSENT:
        return StoreOutcome(store, NOT_PRESENT, "it does not hold this CA")
    steps: list[StepResult] = []
    for command in store.commands:
        if command.run_if is not None and not command.run_if():
            continue
        step = _execute(list(command.argv))
        steps.append(step)
        if step.returncode != 0:
            why = _last_lines(step.output) or "no output"
            detail = f"{shlex.join(step.command)} exited with {step.returncode}: {why}"
            return StoreOutcome(store, FAILED, detail, tuple(steps))
    after = _look(store)
    if after.state == UNKNOWN:
        if not steps:
            return StoreOutcome(store, FAILED, after.detail)
        return StoreOutcome(store, DONE, f"could not check the result: {after.detail}", tuple(steps))
    if install and after.state != TRUSTED:
        detail = f"the commands succeeded, but the CA is still not trusted there ({after.detail})"
        return StoreOutcome(store, FAILED, detail.replace(" ()", ""), tuple(steps))
    if not install and after.state != ABSENT:
        detail = f"the commands succeeded, but the CA is still there ({after.detail})"
        return StoreOutcome(store, FAILED, detail.replace(" ()", ""), tuple(steps))
    return StoreOutcome(store, DONE, after.detail, tuple(steps))


def _look(store: TrustStore) -> Presence:
    if store.unavailable:
        return Presence(UNKNOWN, store.unavailable)
    if store.check is None:
        return Presence(UNKNOWN, "this store cannot be looked at from here")
    return store.check()


def _execute(command: list[str]) -> StepResult:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_STEP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return StepResult(command, -1, str(error))
    return StepResult(command, done.returncode, (done.stdout + done.stderr).strip())


def _query(command: Sequence[str]) -> tuple[int, str]:
    """Run a read-only look into a store: (exit status, stdout + stderr); -1 if it cannot run."""
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=_QUERY_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return -1, str(error)
    return done.returncode, done.stdout + done.stderr


def _last_lines(text: str, count: int = 3) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-count:] if line.strip())


def plan_lines(plan: TrustPlan) -> list[str]:
    """The plan as shell text, store by store (headers and reasons are ``#`` comments)."""
    lines = []
    for store in plan.stores:
        privilege = " -- asks for administrator rights" if store.needs_privilege else ""
        lines.append(f"# {store.name}: {store.description}{privilege if not store.unavailable else ''}")
        if store.unavailable:
            lines.append(f"#   not automatic here: {store.unavailable}")
        for command in () if store.unavailable else store.commands:
            lines.append(shlex.join(command.argv) + (f"  # {command.note}" if command.note else ""))
    return lines


def outcome_lines(result: TrustRunResult) -> list[str]:
    """One line per store: its outcome, and why (the failed command's output, say)."""
    return [
        f"{o.state}: {o.store.name} ({o.store.description})" + (f": {o.detail}" if o.detail else "")
        for o in result.outcomes
    ]


def outcome_summary(install: bool, result: TrustRunResult) -> str:
    """One sentence: all done, or which stores are not and that the others are."""
    if result.ok:
        if install:
            return "the CA is trusted in every store (restart browsers that were open)"
        return "the CA is in none of the stores any more"
    failed = result.failed
    names = ", ".join(o.store.name for o in failed)
    others = len(result.outcomes) - len(failed)
    rest = f"; the other {others} store{'s are' if others != 1 else ' is'} done" if others else ""
    stores = "store" if len(failed) == 1 else "stores"
    return f"not done in {len(failed)} {stores}: {names} (why: above){rest}"


# --- the CA as the stores know it --------------------------------------------------------------


@dataclass(frozen=True)
class _CaFacts:
    path: Path
    name: str
    serial_hex: str
    der: bytes

    @classmethod
    def from_store(cls, store: CertStore) -> _CaFacts:
        ca = store.ca()
        certificate = ca.certificate
        der = certificate.public_bytes(serialization.Encoding.DER)
        return cls(store.ca_cert_path, ca.name, f"{certificate.serial_number:x}", der)

    @property
    def nickname(self) -> str:
        """NSS nickname, Java alias: the name and the serial, unique per CA."""
        return f"{self.name} {self.serial_hex}"

    @property
    def legacy_nickname(self) -> str:
        """The nickname earlier versions used (the name alone): removed too, if it is this CA."""
        return self.name

    @property
    def anchor_name(self) -> str:
        return f"{self.legacy_anchor_name}_{self.serial_hex}"

    @property
    def legacy_anchor_name(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")

    @property
    def sha1_hex(self) -> str:
        digest = hashes.Hash(hashes.SHA1())  # what macOS's 'security -Z' prints and takes
        digest.update(self.der)
        return digest.finalize().hex().upper()

    def in_text(self, text: str) -> bool:
        """Whether PEM text (a file, a bundle, a tool's output) holds this certificate."""
        return self.der in _pem_blocks(text)


_PEM_BLOCK = re.compile(r"-----BEGIN (?:TRUSTED )?CERTIFICATE-----(.*?)-----END", re.S)


def _pem_blocks(text: str) -> list[bytes]:
    blocks = []
    for body in _PEM_BLOCK.findall(text):
        try:
            blocks.append(base64.b64decode("".join(body.split()), validate=True))
        except (binascii.Error, ValueError):
            continue
    return blocks


def _file_holds(path: Path, ca: _CaFacts) -> bool:
    try:
        return ca.in_text(path.read_text(encoding="ascii", errors="replace"))
    except OSError:
        return False


# --- Linux -------------------------------------------------------------------------------------


def _linux_plan(install: bool, ca: _CaFacts, probe: SystemProbe) -> TrustPlan:
    stores: list[TrustStore] = []
    notes: list[str] = []
    linux_store = _linux_store(probe)
    if linux_store is not None:
        stores.append(_linux_system_store(install, ca, probe, linux_store))
    else:
        notes.append("system store: no known one here (Debian/Ubuntu, Fedora/RHEL, Arch, "
                     "openSUSE): follow the steps by hand")
    certutil = "certutil" if probe.which("certutil") else None
    for name, path, what in (
        ("chromium", probe.home / ".pki/nssdb", "Chrome, Chromium and other NSS programs"),
        ("chromium-snap", probe.home / "snap/chromium/current/.pki/nssdb", "snap Chromium"),
        ("nss-system", probe.system_path("/etc/pki/nssdb"), "NSS programs of every user"),
    ):
        if (path / "cert9.db").is_file():
            stores.append(_nss_store(install, ca, probe, certutil, name, "nss", path, what))
    stores += _firefox_stores(
        install, ca, probe, certutil,
        [(label, probe.home / relative) for label, relative in LINUX_FIREFOX_ROOTS], notes,
    )
    java = _java_store(install, ca, probe, notes)
    if java is not None:
        stores.append(java)
    warnings = []
    if probe.wsl:
        warnings.append(
            "This is WSL: the CA becomes trusted inside Linux only, but browsers run in "
            "Windows. Trust it there too, from this shell: certutil.exe -user -addstore Root "
            f"\"$(wslpath -w {shlex.quote(str(ca.path))})\" (or run Proxydesk for Windows)."
        )
    instructions = _linux_instructions(install, ca, linux_store)
    return TrustPlan(install, tuple(stores), instructions, tuple(warnings), tuple(notes))


def _linux_store(probe: SystemProbe) -> LinuxStore | None:
    ids = [probe.os_release.get("ID", ""), *probe.os_release.get("ID_LIKE", "").split()]
    for os_id in ids:
        for candidate in LINUX_STORES:
            if os_id in candidate.os_ids:
                return candidate
    # Unknown distribution: the family whose anchor directory and tool are both here,
    # else whichever tool is installed.
    for candidate in LINUX_STORES:
        if probe.which(candidate.tool) and probe.system_path(candidate.anchor_dir).is_dir():
            return candidate
    return next((c for c in LINUX_STORES if probe.which(c.tool)), None)


def _linux_system_store(
    install: bool, ca: _CaFacts, probe: SystemProbe, linux_store: LinuxStore
) -> TrustStore:
    anchor_dir = probe.system_path(linux_store.anchor_dir)
    anchor = anchor_dir / f"{ca.anchor_name}{linux_store.anchor_suffix}"
    description = f"system trust store ({linux_store.family}: {anchor_dir})"
    elevate = _linux_elevation(probe)
    templates = linux_store.install if install else linux_store.uninstall
    commands = [
        TrustCommand(tuple([*elevate, *(w.format(ca=ca.path, anchor=anchor) for w in t)]))
        for t in templates
    ]
    legacy = anchor_dir / f"{ca.legacy_anchor_name}{linux_store.anchor_suffix}"
    if not install and any("{anchor}" in word for t in templates for word in t):
        # the file an earlier version wrote (no serial in its name), if it holds this CA
        commands.insert(1, TrustCommand(
            (*elevate, "rm", "-f", str(legacy)),
            note="only if it holds this CA (the file name earlier versions used)",
            run_if=lambda: _file_holds(legacy, ca),
        ))
    unavailable = ""
    if not probe.which(linux_store.tool):
        unavailable = (f"{linux_store.tool} is not installed (it comes with the ca-certificates "
                       "package): install it, then run this again")
    elif not probe.is_root and not elevate:
        unavailable = ("needs administrator rights and neither pkexec nor sudo is here: run "
                       "this again as root")

    def check() -> Presence:
        return _system_presence(probe, linux_store, ca)

    return TrustStore("system", "system", description, tuple(commands),
                      needs_privilege=not probe.is_root, unavailable=unavailable, check=check)


def _system_presence(probe: SystemProbe, linux_store: LinuxStore, ca: _CaFacts) -> Presence:
    anchors = [
        path
        for directory in linux_store.scan_dirs
        if (folder := probe.system_path(directory)).is_dir()
        for path in sorted(folder.iterdir())
        if path.is_file() and _file_holds(path, ca)
    ]
    bundle = probe.system_path(linux_store.bundle)
    if bundle.is_file():
        if _file_holds(bundle, ca):
            return Presence(TRUSTED, f"in {bundle}")
        if anchors:
            return Presence(PARTIAL, f"{anchors[0]} is in place but {bundle} does not have it "
                                     f"yet: run {linux_store.tool}")
        return Presence(ABSENT)
    if anchors:
        return Presence(TRUSTED, f"{anchors[0]} (no {bundle} to check)")
    return Presence(ABSENT)


def _linux_elevation(probe: SystemProbe) -> list[str]:
    if probe.is_root:
        return []
    for wrapper in ("pkexec", "sudo"):
        if probe.which(wrapper):
            return [wrapper]
    return []


# --- NSS (Chromium, Firefox, /etc/pki/nssdb) ---------------------------------------------------


def _nss_store(
    install: bool,
    ca: _CaFacts,
    probe: SystemProbe,
    certutil: str | None,
    name: str,
    kind: str,
    db: Path,
    what: str,
) -> TrustStore:
    description = f"NSS database {db} ({what})"
    if certutil is None:
        return TrustStore(name, kind, description, unavailable=(
            f"NSS's certutil is not installed ({_NSS_PACKAGES}): install it and run this "
            "again, or import the CA in the browser's certificate settings"))
    writable = os.access(db, os.W_OK) and os.access(db / "cert9.db", os.W_OK)
    elevate = [] if probe.is_root or writable else _linux_elevation(probe)
    target = f"sql:{db}"
    if install:
        commands = [TrustCommand(
            (*elevate, certutil, "-A", "-d", target, "-t", "C,,", "-n", ca.nickname, "-i",
             str(ca.path)))]
    else:
        commands = [
            TrustCommand(
                (*elevate, certutil, "-D", "-d", target, "-n", nickname),
                note=note,
                run_if=functools.partial(_nss_holds, certutil, db, nickname, ca),
            )
            for nickname, note in (
                (ca.nickname, "if it holds this CA"),
                (ca.legacy_nickname, "if it holds this CA (the nickname earlier versions used)"),
            )
        ]
    unavailable = ""
    if not writable and not probe.is_root and not elevate:
        unavailable = f"{db} is not writable and neither pkexec nor sudo is here: run as root"

    def check() -> Presence:
        return _nss_presence(certutil, db, ca)

    return TrustStore(name, kind, description, tuple(commands), needs_privilege=bool(elevate),
                      unavailable=unavailable, check=check)


_NSS_FLAGS = re.compile(r"^(?P<nick>.+?)\s+(?P<flags>[a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*)\s*$")


def _nss_presence(certutil: str, db: Path, ca: _CaFacts) -> Presence:
    status, output = _query([certutil, "-L", "-d", f"sql:{db}"])
    if status != 0:
        return Presence(UNKNOWN, f"certutil cannot read {db}: {_last_lines(output) or status}")
    flags = {}
    for line in output.splitlines():
        found = _NSS_FLAGS.match(line)
        if found:
            flags[found["nick"]] = found["flags"]
    for nickname in (ca.nickname, ca.legacy_nickname):
        if nickname in flags and _nss_holds(certutil, db, nickname, ca):
            if "C" in flags[nickname].split(",")[0]:
                return Presence(TRUSTED, f"as {nickname!r}")
            return Presence(PARTIAL, f"{nickname!r} is there but not trusted for websites "
                                     f"(trust flags {flags[nickname]!r}, needs 'C,,')")
    return Presence(ABSENT)


def _nss_holds(certutil: str, db: Path, nickname: str, ca: _CaFacts) -> bool:
    status, output = _query([certutil, "-L", "-d", f"sql:{db}", "-n", nickname, "-a"])
    return status == 0 and ca.in_text(output)


def _firefox_stores(
    install: bool,
    ca: _CaFacts,
    probe: SystemProbe,
    certutil: str | None,
    roots: Iterable[tuple[str, Path]],
    notes: list[str],
) -> list[TrustStore]:
    stores, looked = [], []
    for label, root in roots:
        looked.append(str(root))
        if not root.is_dir():
            continue
        for profile in sorted(p for p in root.iterdir() if p.is_dir()):
            if (profile / "cert9.db").is_file():
                stores.append(_nss_store(install, ca, probe, certutil, f"{label}:{profile.name}",
                                         "firefox", profile, "Firefox profile"))
            elif (profile / "cert8.db").is_file():
                notes.append(f"Firefox profile {profile}: old cert8.db format, not supported; "
                             "a current Firefox converts it when it starts with this profile")
            elif (profile / "prefs.js").is_file() or (profile / "times.json").is_file():
                notes.append(f"Firefox profile {profile} has no certificate database yet: "
                             "start Firefox with it once, then run this again")
    if not stores:
        notes.append(f"Firefox: no profile found under {', '.join(looked)}")
    return stores


# --- Java --------------------------------------------------------------------------------------


def _java_store(
    install: bool, ca: _CaFacts, probe: SystemProbe, notes: list[str]
) -> TrustStore | None:
    keytool, cacerts = _java_paths(probe, notes)
    if keytool is None or cacerts is None:
        return None
    base = (keytool, "-keystore", str(cacerts), "-storepass", JAVA_STOREPASS)
    writable = os.access(cacerts, os.W_OK)
    elevate = [] if probe.is_root or writable else _linux_elevation(probe)
    if install:
        commands = [TrustCommand((*elevate, *base, "-importcert", "-noprompt", "-alias",
                                  ca.nickname, "-file", str(ca.path)))]
    else:
        commands = [TrustCommand(
            (*elevate, *base, "-delete", "-alias", ca.nickname),
            note="if it holds this CA",
            run_if=lambda: ca.nickname.lower() in (_java_aliases(keytool, cacerts, ca) or ()),
        )]
    unavailable = ""
    if not writable and not probe.is_root and not elevate:
        unavailable = f"{cacerts} is not writable and neither pkexec nor sudo is here: run as root"

    def check() -> Presence:
        aliases = _java_aliases(keytool, cacerts, ca)
        if aliases is None:
            return Presence(UNKNOWN, f"keytool cannot read {cacerts}")
        return Presence(TRUSTED, f"as {', '.join(sorted(aliases))}") if aliases else Presence(ABSENT)

    return TrustStore("java", "java", f"Java cacerts {cacerts}", tuple(commands),
                      needs_privilege=bool(elevate), unavailable=unavailable, check=check)


def _java_paths(probe: SystemProbe, notes: list[str]) -> tuple[str | None, Path | None]:
    java_home = probe.environ.get("JAVA_HOME")
    if java_home:
        keytool_path = Path(java_home) / "bin" / "keytool"
        if not keytool_path.is_file():
            notes.append(f"Java: JAVA_HOME={java_home} has no bin/keytool")
            return None, None
        keytool, home = str(keytool_path), Path(java_home)
    else:
        found = probe.which("keytool")
        if found is None:
            return None, None
        keytool, home = found, Path(os.path.realpath(found)).parent.parent
    for candidate in (home / "lib/security/cacerts", home / "jre/lib/security/cacerts"):
        if candidate.exists():
            return keytool, candidate
    notes.append(f"Java: no lib/security/cacerts under {home}")
    return None, None


def _java_aliases(keytool: str, cacerts: Path, ca: _CaFacts) -> set[str] | None:
    """The aliases under which ``cacerts`` holds this CA (None: it cannot be read)."""
    status, output = _query(
        [keytool, "-list", "-rfc", "-keystore", str(cacerts), "-storepass", JAVA_STOREPASS])
    if status != 0:
        return None
    aliases = set()
    for chunk in re.split(r"^Alias name: ", output, flags=re.M)[1:]:
        alias, _, rest = chunk.partition("\n")
        if ca.in_text(rest):
            aliases.add(alias.strip().lower())  # keytool's aliases ignore case
    return aliases


# --- macOS -------------------------------------------------------------------------------------


def _darwin_plan(install: bool, ca: _CaFacts, probe: SystemProbe) -> TrustPlan:
    keychain = MAC_SYSTEM_KEYCHAIN
    if install:
        script = [["security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", keychain,
                   str(ca.path)]]
    else:  # the trust setting, then exactly this certificate (by its SHA-1, not its name)
        script = [["security", "remove-trusted-cert", "-d", str(ca.path)],
                  ["security", "delete-certificate", "-Z", ca.sha1_hex, keychain]]

    def check() -> Presence:
        status, output = _query(["security", "find-certificate", "-a", "-Z", "-c", ca.name,
                                 keychain])
        if ca.sha1_hex in output.replace(" ", "").upper():
            return Presence(TRUSTED, f"in {keychain}")
        if status == 0 or "could not be found" in output:
            return Presence(ABSENT)
        return Presence(UNKNOWN, _last_lines(output) or f"security exited with {status}")

    stores = [TrustStore("system", "system", f"macOS System keychain ({keychain})",
                         (TrustCommand(tuple(_mac_elevated(script, probe))),),
                         needs_privilege=True, check=check)]
    notes: list[str] = []
    certutil = probe.which("certutil") or next(
        (c for c in HOMEBREW_CERTUTILS if probe.system_path(c).is_file()), None)
    profiles = probe.home / "Library/Application Support/Firefox/Profiles"
    stores += _firefox_stores(install, ca, probe, certutil, [("firefox", profiles)], notes)
    for index, store_ in enumerate(stores):
        if store_.kind == "firefox" and certutil is None:
            stores[index] = replace(store_, unavailable=(
                "Homebrew's certutil is not installed: 'brew install nss', then run this again "
                "(or import the CA in Firefox's certificate settings)"))
    warnings = ("macOS asks for your administrator password, and may ask again to allow "
                "changing the certificate trust settings: both are expected.",)
    return TrustPlan(install, tuple(stores), _darwin_instructions(install, ca), warnings,
                     tuple(notes))


def _mac_elevated(script: Sequence[Sequence[str]], probe: SystemProbe) -> list[str]:
    # "; " not "&&": when uninstalling, a missing trust setting must not stop
    # the certificate's removal.
    shell = "; ".join(shlex.join(command) for command in script)
    if probe.is_root:
        return ["sh", "-c", shell]
    quoted = shell.replace("\\", "\\\\").replace('"', '\\"')  # AppleScript string literal
    return ["osascript", "-e", f'do shell script "{quoted}" with administrator privileges']


# --- Windows -----------------------------------------------------------------------------------


def _windows_plan(install: bool, ca: _CaFacts, probe: SystemProbe) -> TrustPlan:
    del probe  # the user's Root store needs no elevation and no discovery
    if install:
        command = ("certutil", "-user", "-addstore", "Root", str(ca.path))
    else:  # the serial picks exactly our certificate
        command = ("certutil", "-user", "-delstore", "Root", ca.serial_hex)

    def check() -> Presence:
        status, output = _query(["certutil", "-user", "-verifystore", "Root", ca.serial_hex])
        if status == 0:
            return Presence(TRUSTED, "in the current user's Root store")
        if "NOT_FOUND" in output.upper() or "0x80090011" in output:
            return Presence(ABSENT)
        return Presence(UNKNOWN, _last_lines(output) or f"certutil exited with {status}")

    stores = (TrustStore("system", "system", "Windows current-user Root store",
                         (TrustCommand(command),), check=check),)
    warnings = ("Windows shows a security warning asking whether to install the certificate: "
                "answer Yes.",) if install else ()
    return TrustPlan(install, stores, _windows_instructions(install, ca), warnings)


_PLATFORM_PLANS: Mapping[str, Callable[[bool, _CaFacts, SystemProbe], TrustPlan]] = {
    "linux": _linux_plan,
    "darwin": _darwin_plan,
    "windows": _windows_plan,
}


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


def _is_wsl() -> bool:
    try:
        return "microsoft" in Path("/proc/version").read_text(encoding="utf-8").lower()
    except OSError:
        return False


# --- by hand -----------------------------------------------------------------------------------


def _linux_instructions(install: bool, ca: _CaFacts, linux_store: LinuxStore | None) -> str:
    if not install:
        return (
            f"To stop trusting {ca.name!r} on Linux: remove the copy of {ca.path} from the "
            "system anchors (/usr/local/share/ca-certificates on Debian/Ubuntu, then "
            "'sudo update-ca-certificates --fresh'; /etc/pki/ca-trust/source/anchors on "
            "Fedora/RHEL, then 'sudo update-ca-trust extract'; 'sudo trust anchor --remove "
            "FILE' on Arch), and in Firefox/Chromium delete it under Settings > Privacy & "
            f"Security > Certificates > Authorities ({ca.nickname}; earlier versions: "
            f"{ca.legacy_nickname})."
        )
    detected = f" (detected: {linux_store.family})" if linux_store else ""
    return (
        f"To trust {ca.name!r} on Linux{detected}: copy {ca.path} as root into the system "
        "anchors and refresh them -- Debian/Ubuntu: /usr/local/share/ca-certificates/NAME.crt "
        "then 'sudo update-ca-certificates'; Fedora/RHEL: /etc/pki/ca-trust/source/anchors/ "
        "then 'sudo update-ca-trust extract'; Arch: 'sudo trust anchor --store FILE'. "
        "Firefox and Chromium keep their own store: import the file under Settings > Privacy "
        "& Security > Certificates > Authorities and tick 'trust this CA to identify "
        f"websites' (or install NSS's certutil, {_NSS_PACKAGES}, and run this again)."
    )


def _darwin_instructions(install: bool, ca: _CaFacts) -> str:
    if not install:
        return (
            f"To stop trusting {ca.name!r} on macOS: open Keychain Access, select the System "
            f"keychain, find {ca.name!r} under Certificates and delete it (or run "
            f"'sudo security delete-certificate -Z {ca.sha1_hex} {MAC_SYSTEM_KEYCHAIN}'). "
            "Firefox: Settings > Privacy & Security > Certificates > Authorities, delete it "
            "there too."
        )
    return (
        f"To trust {ca.name!r} on macOS: open {ca.path} with Keychain Access, add it to the "
        "System keychain, open it, expand 'Trust' and set 'When using this certificate' to "
        "'Always Trust' (or run 'sudo security add-trusted-cert -d -r trustRoot -k "
        f"{MAC_SYSTEM_KEYCHAIN} {shlex.quote(str(ca.path))}'). Firefox: Settings > Privacy "
        "& Security > Certificates > Authorities > Import (or 'brew install nss' and run "
        "this again)."
    )


def _windows_instructions(install: bool, ca: _CaFacts) -> str:
    if not install:
        return (
            f"To stop trusting {ca.name!r} on Windows: run certmgr.msc, open 'Trusted Root "
            f"Certification Authorities' > Certificates, delete {ca.name!r} (or run "
            f"'certutil -user -delstore Root {ca.serial_hex}')."
        )
    return (
        f"To trust {ca.name!r} on Windows: double-click {ca.path}, choose 'Install "
        "Certificate', 'Current User', 'Place all certificates in the following store', "
        "'Trusted Root Certification Authorities', and confirm the security warning (or run "
        f"'certutil -user -addstore Root \"{ca.path}\"'). Firefox uses the Windows store when "
        "security.enterprise_roots.enabled is true (the default in current versions)."
    )
