"""Where Proxydesk meets the operating system: every POSIX assumption, in one place.

Theory of operation
-------------------
The rest of the code never asks ``os.name``/``sys.platform`` or reaches for a
POSIX-only call (unix sockets, signals, process groups, permission bits,
``/tmp``, uvloop) directly; it asks this module, and each function here
states what Windows and macOS get instead.  The choices:

* **unix sockets** (``stats socket /path``): only where the running Python
  has both ``socket.AF_UNIX`` and ``asyncio.start_unix_server`` (a capability
  check, not a platform name: Windows' Python has neither).  Elsewhere the
  config keeps running and the line gets :data:`UNIX_SOCKETS_UNAVAILABLE` as
  a located warning.
* **signals**: SIGHUP (reload) only where it exists and the platform is not
  Windows; the loop's ``add_signal_handler`` only on POSIX (Windows' loops
  have none, ``signal.signal`` is used for SIGINT/SIGTERM there).  A reload
  never needs a signal: ``run`` also follows its file and answers ``reload``
  on its runtime socket.
* **event loop**: uvloop when installed, never on Windows (it does not exist
  there); the stock loop otherwise.
* **listening sockets**: SO_REUSEADDR on POSIX (rebinding past TIME_WAIT);
  on Windows it would let a second program bind a port in use, so there
  SO_EXCLUSIVEADDRUSE is set instead (or nothing where it is missing).  The
  demo's free-port probe asks exactly what the engine's bind will ask.
* **replacing a file**: ``os.replace`` is atomic everywhere, but on Windows it
  fails with PermissionError while another program (an editor, an
  antivirus, a backup or indexing tool) holds the target open; there it is
  retried for :data:`REPLACE_RETRY_S` with backoff, then reported naming the
  file and the likely cause.  On POSIX a PermissionError is a real refusal
  and is raised at once.
* **permission bits**: ``chmod`` only on POSIX; Windows has no mode bits (its
  ACLs already keep a user's profile private).
* **temporary directories**: ``/tmp`` on POSIX where it exists (unix socket
  paths must stay under ~104 bytes and macOS's per-user TMPDIR is long);
  the system default elsewhere.
* **child process groups** (HAProxy's master and workers): a new session and
  ``killpg`` on POSIX; a new process group on Windows, where killing the
  process is all there is.

``SYSTEM`` is read at call time, so the test suite's portability lane
(``pytest --portability``) can force the Windows branches on Linux.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

__all__ = [
    "REPLACE_RETRY_S",
    "SYSTEM",
    "UNIX_SOCKETS_UNAVAILABLE",
    "chmod",
    "exit_with_parent",
    "is_unix_address",
    "is_windows",
    "kill_process_group",
    "loop_factory",
    "loop_signal_handlers",
    "new_event_loop",
    "new_process_group",
    "posix_permissions",
    "prepare_listening_socket",
    "reload_signal",
    "replace_file",
    "short_temp_dir",
    "soft_stop_signal",
    "unix_sockets_available",
]


def _system_of(platform: str) -> str:
    if platform == "win32":
        return "windows"
    if platform == "darwin":
        return "macos"
    return "posix"


#: "windows", "macos" or "posix" (Linux and the BSDs).  macOS is POSIX for every
#: choice below; it is named apart for the few places that differ (none here yet).
SYSTEM: str = _system_of(sys.platform)

UNIX_SOCKETS_UNAVAILABLE: Final = (
    "unix sockets are not available on this platform; use `ipv4@127.0.0.1:PORT`"
)

#: How long a Windows file replace is retried while another program holds the file.
REPLACE_RETRY_S: Final = 2.0
_REPLACE_FIRST_WAIT_S: Final = 0.01


def is_windows() -> bool:
    return SYSTEM == "windows"


# ------------------------------------------------------------------ unix sockets


def is_unix_address(address: str) -> bool:
    """Whether a ``stats socket``/``bind`` address names a unix socket: ``unix@``/``abns@``,
    or a bare path (HAProxy's rule: no ``PREFIX@`` and a ``/`` in it)."""
    prefix, at, _ = address.partition("@")
    if not at:
        return "/" in address
    return prefix in ("unix", "abns")


def unix_sockets_available() -> bool:
    """Whether a unix-socket server can be started (``stats socket /path``)."""
    return (not is_windows() and hasattr(socket, "AF_UNIX")
            and hasattr(asyncio, "start_unix_server"))


# ------------------------------------------------------------------ accounts


def system_account_known(kind: str, name: str) -> bool | None:
    """Whether this machine has the user (``kind`` "user") or group ("group") ``name``, as
    HAProxy's ``user``/``group`` look it up (``getpwnam``/``getgrnam``); None where there is
    no such database to ask (Windows: no ``pwd``/``grp``, and no HAProxy either)."""
    if is_windows():
        return None
    try:
        database = importlib.import_module("pwd" if kind == "user" else "grp")
    except ImportError:
        return None
    lookup = database.getpwnam if kind == "user" else database.getgrnam
    try:
        lookup(name)
    except KeyError:
        return False
    return True


# ----------------------------------------------------------------------- signals


def reload_signal() -> int | None:
    """SIGHUP where the platform has it (not Windows), else None."""
    if is_windows():
        return None
    number: int | None = getattr(signal, "SIGHUP", None)
    return number


def soft_stop_signal() -> int | None:
    """HAProxy's soft stop (SIGUSR1) where it exists; None means: terminate."""
    if is_windows():
        return None
    number: int | None = getattr(signal, "SIGUSR1", None)
    return number


def loop_signal_handlers() -> bool:
    """Whether ``loop.add_signal_handler`` is worth trying (Windows' loops have none)."""
    return not is_windows()


# -------------------------------------------------------------------- event loop


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when installed (headless speed), never on Windows; None: the stock loop."""
    if is_windows():
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def new_event_loop() -> asyncio.AbstractEventLoop:
    factory = loop_factory()
    return factory() if factory is not None else asyncio.new_event_loop()


# --------------------------------------------------------------------- sockets


def prepare_listening_socket(sock: socket.socket) -> None:
    """Set, before ``bind``, what a listener (or a probe for a free port) needs here."""
    if is_windows():
        # SO_REUSEADDR on Windows lets a bind succeed on a port another socket listens
        # on; SO_EXCLUSIVEADDRUSE is the opposite guarantee.
        exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
        if exclusive is not None:
            sock.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)


# ------------------------------------------------------------------------ files


def posix_permissions() -> bool:
    """Whether mode bits mean anything (not on Windows)."""
    return not is_windows()


def chmod(path: str | os.PathLike[str], mode: int) -> None:
    """``os.chmod`` where mode bits exist; nothing on Windows (ACLs keep the profile private)."""
    if posix_permissions():
        os.chmod(path, mode)


def replace_file(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """``os.replace``, retried on Windows while another program holds ``target`` open.

    Windows refuses to replace (or delete) a file that another process opened without
    FILE_SHARE_DELETE -- editors, antivirus scanners, backup and indexing tools do, for a
    moment or for as long as they run.  That is a PermissionError (a sharing violation),
    retried with backoff for REPLACE_RETRY_S; the final error names the file and the cause.
    """
    if not is_windows():
        os.replace(source, target)
        return
    deadline = time.monotonic() + REPLACE_RETRY_S
    wait = _REPLACE_FIRST_WAIT_S
    while True:
        try:
            os.replace(source, target)
            return
        except PermissionError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PermissionError(
                    exc.errno or errno.EACCES,
                    f"cannot replace {target}: another program (an editor, an antivirus or a "
                    f"backup tool) probably holds it open; still refused after "
                    f"{REPLACE_RETRY_S:g} s ({exc.strerror or exc})",
                    str(target),
                ) from exc
            time.sleep(min(wait, left))
            wait *= 2


def short_temp_dir() -> str | None:
    """A parent for private temporary directories whose paths stay short (unix socket
    paths are limited to ~104 bytes): ``/tmp`` on POSIX, else the system default (None)."""
    if not is_windows() and Path("/tmp").is_dir():
        return "/tmp"
    return None


# -------------------------------------------------------------------- processes


def new_process_group() -> dict[str, Any]:
    """``subprocess``/``asyncio`` keyword arguments that put a child in its own group, so
    one call reaches it and every process it forks."""
    if is_windows():
        flag = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", None)
        return {"creationflags": flag} if flag is not None else {}
    return {"start_new_session": True}


def kill_process_group(pid: int) -> None:
    """Kill the group led by ``pid`` (POSIX); on Windows the caller's ``kill()`` is all
    there is.  A group already gone is not an error."""
    killpg = getattr(os, "killpg", None)
    if is_windows() or killpg is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        killpg(pid, signal.SIGKILL)


def exit_with_parent(parent_pid: int) -> bool:
    """Linux only, an extra on top of the portable watchdog (a child that sees its stdin
    end): ask the kernel for SIGTERM when the parent dies (``PR_SET_PDEATHSIG``).  True
    when set.  If the parent is already gone (it died before this ran) SIGTERM now."""
    if SYSTEM != "posix" or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGTERM)
    return True
