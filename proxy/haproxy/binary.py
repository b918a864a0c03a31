"""Finding the ``haproxy`` binary, reading its version, and ``haproxy -c`` with located messages.

Theory of operation
-------------------
``find_haproxy`` looks where people have it: a path the user set, ``PATH``,
then the usual system and Homebrew locations.  ``Haproxy.version`` is read
once from ``haproxy -v`` ("HAProxy version 2.6.12-1+deb12u4 2026/10/17 ...").

``check`` runs ``haproxy -c`` on the files Proxydesk would run and turns
HAProxy's own ``[ALERT]``/``[WARNING]`` lines into ``Diagnostic``s.  HAProxy
names the file it parsed (``parsing [/tmp/pd-x/haproxy.cfg:9] : ...``); the
caller passes a map from those private paths to the names the user knows, so
a message about the running copy points at the user's file and line (the copy
is the user's text byte for byte, so the line numbers are the same).
``parse_check_output`` is pure: tests feed it captured text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from proxy.config.model import Diagnostic

__all__ = [
    "SEARCH_PATHS",
    "CheckResult",
    "Haproxy",
    "HaproxyNotFound",
    "find_haproxy",
    "parse_check_output",
    "parse_version",
]

# Debian/Ubuntu/Fedora, a source build, Homebrew on Apple silicon and on Intel.
SEARCH_PATHS = (
    "/usr/sbin/haproxy",
    "/usr/local/sbin/haproxy",
    "/usr/local/bin/haproxy",
    "/opt/homebrew/bin/haproxy",
    "/opt/homebrew/sbin/haproxy",
)
INSTALL_HINT = ("Install HAProxy to run on it: 'apt install haproxy' (Debian, Ubuntu), "
                "'dnf install haproxy' (Fedora), 'brew install haproxy' (macOS).")
_CHECK_TIMEOUT = 30.0

# "[ALERT]    (18308) : config : parsing [bad.cfg:11] : unknown keyword ..."
_MESSAGE = re.compile(r"^\[(?P<level>ALERT|WARNING|NOTICE)\]\s+(?:\(\d+\)\s+)?:\s*(?P<text>.*)$")
_LOCATION = re.compile(r"\[(?P<file>[^\[\]:]+):(?P<line>\d+)\]")
_VERSION = re.compile(r"HA-?Proxy version (?P<version>\S+)")


class HaproxyNotFound(Exception):
    """No usable haproxy binary; the message says how to install one."""


@dataclass(frozen=True)
class CheckResult:
    """``haproxy -c``: whether HAProxy accepts the config, and what it said about it."""

    ok: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    output: str = ""

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def summary(self) -> str:
        first = next(iter(self.errors), None) or next(iter(self.diagnostics), None)
        return str(first) if first is not None else self.output.strip()[-500:]


def parse_version(text: str) -> str:
    """``2.6.12`` from ``haproxy -v`` output (the distribution suffix dropped)."""
    found = _VERSION.search(text)
    if found is None:
        raise ValueError(f"not haproxy -v output: {text[:80]!r}")
    return found["version"].split("-")[0].split("+")[0]


def parse_check_output(
    text: str, file_names: Mapping[str, str], default_file: str = ""
) -> list[Diagnostic]:
    """HAProxy's ALERT/WARNING lines as diagnostics located in the user's file.

    ``file_names`` maps each path HAProxy was given to the name to report;
    messages about other files (an ACL file, a map) keep HAProxy's path, and
    summary alerts ("Fatal errors found in configuration.") carry line 0.
    """
    out: list[Diagnostic] = []
    for raw in text.splitlines():
        found = _MESSAGE.match(raw.strip())
        if found is None or found["level"] == "NOTICE":
            continue
        message = found["text"].removeprefix("config : ").strip()
        path, line = default_file, 0
        where = _located(message, file_names)
        if where is not None:
            path = file_names.get(where["file"], where["file"])
            line = int(where["line"])
            message = message[where.end():].lstrip(" :")
        severity = "error" if found["level"] == "ALERT" else "warning"
        out.append(Diagnostic(path, line, 1 if line else 0, severity, message, code="haproxy"))
    return out


def _located(message: str, file_names: Mapping[str, str]) -> re.Match[str] | None:
    """The first ``[file:line]`` naming a file: one of ours, or a path (HAProxy is given
    absolute paths).  ``[127.0.0.1:8080]`` in "cannot bind socket" is an address, not a place."""
    for found in _LOCATION.finditer(message):
        if found["file"] in file_names or "/" in found["file"]:
            return found
    return None


@dataclass(frozen=True)
class Haproxy:
    """One haproxy binary and its version."""

    path: str
    version: str

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> Haproxy:
        """The binary at ``path``; raises HaproxyNotFound when it does not run as haproxy."""
        try:
            done = subprocess.run([os.fspath(path), "-v"], capture_output=True, text=True,
                                  timeout=10, check=False)
            return cls(os.fspath(path), parse_version(done.stdout + done.stderr))
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise HaproxyNotFound(f"{path} is not a working haproxy: {exc}") from exc

    @property
    def label(self) -> str:
        return f"HAProxy {self.version}"

    def check_command(self, files: Sequence[str | os.PathLike[str]]) -> list[str]:
        return [self.path, "-c", *(arg for f in files for arg in ("-f", os.fspath(f)))]

    def check(
        self, files: Sequence[str | os.PathLike[str]], *, cwd: str | os.PathLike[str] | None = None,
        file_names: Mapping[str, str] | None = None,
    ) -> CheckResult:
        """``haproxy -c`` on ``files`` (run in ``cwd``, where relative paths resolve)."""
        done = subprocess.run(self.check_command(files), cwd=cwd, capture_output=True, text=True,
                              timeout=_CHECK_TIMEOUT, check=False)
        return check_result(done.returncode, done.stdout + done.stderr, file_names or {})


def check_result(returncode: int, output: str, file_names: Mapping[str, str]) -> CheckResult:
    default = next(iter(file_names.values()), "")
    return CheckResult(returncode == 0, parse_check_output(output, file_names, default), output)


def find_haproxy(user_path: str | os.PathLike[str] | None = None) -> Haproxy:
    """The user's binary when set, else the first one found; raises HaproxyNotFound."""
    if user_path:
        return Haproxy.at(user_path)
    candidates = [shutil.which("haproxy"), *SEARCH_PATHS]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            try:
                return Haproxy.at(candidate)
            except HaproxyNotFound:
                continue
    raise HaproxyNotFound(f"No haproxy binary was found. {INSTALL_HINT}")
