"""Names that resolve: the hosts file and the system resolver's view of ``*.localhost``.

Browsers (and curl) resolve every ``*.localhost`` name to the loopback address
themselves; other programs ask the system resolver, which does so only with
systemd-resolved or nss-myhostname (``localhost_names_resolve`` probes it).
Any other name (``shop.test``, ``api.internal``) resolves only through DNS or
the hosts file, so ``proxydesk route add --hosts`` appends ``127.0.0.1 NAME``
to it, marked as Proxydesk's so ``route remove`` takes exactly that line away
again.  The hosts file is ``/etc/hosts`` (``%SystemRoot%\\System32\\drivers\\etc\\hosts``
on Windows) unless ``$PROXYDESK_HOSTS_FILE`` names another (the tests' own).

Writing it needs administrator rights: ``PermissionError`` reaches the caller
before anything changed.  Lines are appended (one write); a removal rewrites
the file through a temporary file and a rename when the directory allows it,
else in place (``/etc/hosts`` is often a bind mount, in containers, where a
rename fails).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
from pathlib import Path

__all__ = ["ENV_HOSTS_FILE", "MARK", "add_hosts_line", "check_writable", "has_hosts_line",
           "hosts_line", "hosts_path", "localhost_names_resolve", "mapped_names",
           "needs_hosts_line", "remove_hosts_line"]

ENV_HOSTS_FILE = "PROXYDESK_HOSTS_FILE"
MARK = "# added by proxydesk route add"
PROBE_NAME = "probe.localhost"


def hosts_path() -> Path:
    override = os.environ.get(ENV_HOSTS_FILE)
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("SYSTEMROOT", r"C:\Windows")) / "System32" / "drivers" / "etc" / "hosts"
    return Path("/etc/hosts")


def hosts_line(name: str) -> str:
    """The line that makes ``name`` resolve to this machine."""
    return f"127.0.0.1 {name}"


def needs_hosts_line(name: str) -> bool:
    """Whether browsers need help to resolve ``name`` (every name but ``*.localhost``)."""
    return not (name == "localhost" or name.endswith(".localhost"))


def localhost_names_resolve() -> bool:
    """Whether the system resolver (what Python, Java and older Node use) resolves
    ``*.localhost`` names, as systemd-resolved and nss-myhostname do."""
    try:
        found = socket.getaddrinfo(PROBE_NAME, None)
    except (OSError, UnicodeError):
        return False
    return any(info[4][0] in ("127.0.0.1", "::1") for info in found)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return ""


def mapped_names(path: Path) -> set[str]:
    """Every name the hosts file maps to some address (lower case)."""
    names: set[str] = set()
    for line in _read(path).splitlines():
        words = line.split("#", 1)[0].split()
        names.update(word.lower() for word in words[1:])
    return names


def _is_ours(line: str, name: str) -> bool:
    return line.strip() == f"{hosts_line(name)}  {MARK}"


def has_hosts_line(name: str, path: Path) -> bool:
    """Whether the hosts file has the line ``add_hosts_line`` writes for ``name``."""
    return any(_is_ours(line, name) for line in _read(path).splitlines())


def check_writable(path: Path) -> None:
    """Raise PermissionError (or another OSError) now, before anything is written, when
    the hosts file cannot be changed."""
    with path.open("a", encoding="utf-8"):
        pass


def add_hosts_line(name: str, path: Path) -> bool:
    """Append ``127.0.0.1 NAME`` (marked as ours); False when the name is mapped already."""
    if name in mapped_names(path):
        return False
    text = _read(path)
    with path.open("a", encoding="utf-8") as file:  # text mode: the platform's line ends
        file.write(("" if not text or text.endswith("\n") else "\n")
                   + f"{hosts_line(name)}  {MARK}\n")
    return True


def remove_hosts_line(name: str, path: Path) -> bool:
    """Take away the line ``add_hosts_line`` wrote for ``name`` (no other); False when
    there is none."""
    raw = path.read_bytes() if path.exists() else b""
    lines = raw.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    kept = [line for line in lines if not _is_ours(line, name)]
    if len(kept) == len(lines):
        return False
    data = "".join(kept).encode("utf-8", "surrogateescape")
    check_writable(path)  # denied: nothing changed
    try:
        _replace(path, data)
    except OSError:  # a bind mount (containers) or a directory we may not write: in place
        with path.open("r+b") as file:
            file.write(data)
            file.truncate()
    return True


def _replace(path: Path, data: bytes) -> None:
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hosts.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
