"""The portability lane: this Linux Python with what Windows lacks taken away.

``pytest --portability`` (tests/conftest.py) calls ``take_away()`` before any test
module is imported, and child processes that the tests start (``proxydesk run``,
``proxydesk reload``) get the same through ``child_env()``: ``PYTHONPATH`` gains
``tests/_portability_site``, whose ``sitecustomize`` calls ``take_away()`` at
interpreter start when ``PROXYDESK_PORTABILITY=1``.

What is taken away, as on Windows:

* uvloop (``import uvloop`` fails): the stock asyncio loop runs everything;
* ``asyncio.start_unix_server``/``open_unix_connection`` and ``socket.AF_UNIX``
  (``socket.socketpair`` becomes the loopback-TCP emulation Windows' Python uses,
  which the stock loop's self-pipe needs);
* ``signal.SIGHUP``, ``SIGUSR1``, ``SIGUSR2``;
* ``proxy.platform.SYSTEM`` is "windows", so each Windows branch that can run on
  Linux does: no SO_REUSEADDR, no chmod, file replaces retried, no loop signal
  handlers, no process groups.

What cannot be forced here and is not: the Proactor event loop, Windows' file
locking, NTFS semantics, a real HAProxy on Windows (there is none: tests marked
``haproxy`` are skipped in the lane), and unix-socket tests (marked ``unix``).
"""

from __future__ import annotations

import asyncio
import asyncio.streams
import os
import signal
import socket
import sys
from pathlib import Path

__all__ = ["ENV", "SITE_DIR", "active", "child_env", "missing", "take_away"]

ENV = "PROXYDESK_PORTABILITY"
SITE_DIR = Path(__file__).parent / "_portability_site"
_SIGNALS = ("SIGHUP", "SIGUSR1", "SIGUSR2")
_UNIX_ASYNCIO = ("start_unix_server", "open_unix_connection")


def _loopback_socketpair(
    family: int = socket.AF_INET, type: int = socket.SOCK_STREAM, proto: int = 0
) -> tuple[socket.socket, socket.socket]:
    """``socket.socketpair`` as Windows' Python has it: two ends of a loopback TCP connection."""
    with socket.socket(family, type, proto) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        a = socket.socket(family, type, proto)
        try:
            a.connect(listener.getsockname())
            b, _ = listener.accept()
        except OSError:
            a.close()
            raise
    return a, b


def take_away() -> None:
    """Remove from this interpreter what Windows' Python lacks (idempotent)."""
    sys.modules["uvloop"] = None  # type: ignore[assignment]  # import uvloop -> ImportError
    for module in (asyncio, asyncio.streams):
        for name in _UNIX_ASYNCIO:
            if hasattr(module, name):
                delattr(module, name)
    if hasattr(socket, "AF_UNIX"):
        del socket.AF_UNIX
        socket.socketpair = _loopback_socketpair  # type: ignore[assignment]
    for name in _SIGNALS:
        if hasattr(signal, name):
            delattr(signal, name)
    from proxy import platform

    platform.SYSTEM = "windows"
    os.environ[ENV] = "1"
    # children started without child_env() (the app's engine process) inherit the lane too
    # (the site's sitecustomize imports this module: the checkout's root goes on the path too)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(SITE_DIR) not in paths:
        wanted = [str(SITE_DIR), str(SITE_DIR.parent.parent)]
        os.environ["PYTHONPATH"] = os.pathsep.join([*wanted, *filter(None, paths)])


def missing() -> dict[str, bool]:
    """What is gone right now (all True in the lane): the proof it is not vacuous."""
    try:
        import uvloop  # noqa: F401
        no_uvloop = False
    except ImportError:
        no_uvloop = True
    from proxy import platform

    return {
        "uvloop": no_uvloop,
        "asyncio.start_unix_server": not hasattr(asyncio, "start_unix_server"),
        "socket.AF_UNIX": not hasattr(socket, "AF_UNIX"),
        **{f"signal.{name}": not hasattr(signal, name) for name in _SIGNALS},
        "platform windows": platform.is_windows(),
        "unix sockets unavailable": not platform.unix_sockets_available(),
    }


def active() -> bool:
    return os.environ.get(ENV) == "1"


def child_env(pythonpath: str) -> dict[str, str]:
    """Environment additions for a child process, so it runs in the lane when this one does."""
    if not active():
        return {"PYTHONPATH": pythonpath}
    return {"PYTHONPATH": os.pathsep.join([str(SITE_DIR), pythonpath]), ENV: "1"}
