"""How ``proxydesk reload`` finds the ``proxydesk run`` that serves a file, without signals.

Theory of operation
-------------------
``run FILE`` opens a private *control socket* that speaks the runtime API
(``proxy.engine.runtime_api``, level ``operator``: it can look and
``reload``, never change servers) and publishes a small record of itself in
the per-user runtime directory (platformdirs' ``user_runtime_dir``, or
``$PROXYDESK_RUNTIME_DIR``)::

    <runtime dir>/instances/<key>.json   {"pid": ..., "config": "/abs/FILE", "control": "..."}

``key`` is a digest of the file's resolved path, so one file has one record
and ``reload FILE`` needs no search; ``reload`` without a file takes the only
record there is.  The control address is a unix socket beside the records
(mode 0600 in a 0700 directory: only the user can reach it) where unix
sockets exist, else ``ipv4@127.0.0.1:0`` -- a port the system picks, which
the record then names (Windows).  Why not the config's own ``stats
socket``: many files have none (the routes file never has), a unix one does
not exist on Windows, and an edit may move it.

Every connection to the control socket starts with ``auth <secret>``
(``runtime_api.serve(secret=...)``): the secret is made per run and kept only in
the record, a 0600 file in the user's 0700 runtime directory.  A unix socket in
that directory is private already; a loopback port (Windows) is not -- any local
user could connect and reload -- and one code path keeps both tested.

A record whose instance died without removing it (killed) is found stale
when its control socket refuses the connection; ``reload`` then says so and
removes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from proxy import platform
from proxy.certs.atomic import atomic_write, ensure_private_dir
from proxy.engine.runtime_api import MAX_LINE, parse_address

__all__ = ["ENV_RUNTIME_DIR", "Instance", "control_address", "find", "new_secret", "publish",
           "request", "runtime_dir", "withdraw"]

ENV_RUNTIME_DIR = "PROXYDESK_RUNTIME_DIR"
_MAX_UNIX_PATH = 100  # sun_path is 104 bytes on macOS, 108 on Linux


def runtime_dir() -> Path:
    base = os.environ.get(ENV_RUNTIME_DIR)
    if not base:
        # Without $XDG_RUNTIME_DIR (a container, a cron job, su) platformdirs falls back
        # to /tmp/runtime-<uid> and says so with a Python warning on every command;
        # the fallback is fine (ensure_private_dir refuses one another user made).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            base = platformdirs.user_runtime_dir("proxydesk", appauthor=False)
    return Path(base)


def _key(config: Path) -> str:
    return hashlib.sha256(str(config.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _record_path(config: Path) -> Path:
    return runtime_dir() / "instances" / f"{_key(config)}.json"


@dataclass(frozen=True)
class Instance:
    pid: int
    config: str  # resolved path of the file it serves
    control: str  # a runtime-API address (a unix path or ipv4@127.0.0.1:PORT)
    record: Path
    secret: str | None = None  # the control socket's; None: a record written before secrets


def control_address(config: Path) -> str:
    """Where ``run`` of ``config`` listens for control commands (before the port is known)."""
    if platform.unix_sockets_available():
        path = ensure_private_dir(runtime_dir()) / f"{_key(config)}.sock"
        if len(str(path)) <= _MAX_UNIX_PATH:
            return str(path)
    return "ipv4@127.0.0.1:0"


def new_secret() -> str:
    """A control socket's secret for one run (``serve(secret=...)``, then ``publish``)."""
    return secrets.token_hex(32)


def publish(config: Path, control: str, secret: str | None = None) -> Instance:
    """Record that this process serves ``config``, controlled at ``control``."""
    record = _record_path(config)
    ensure_private_dir(record.parent)
    instance = Instance(os.getpid(), str(config.resolve()), control, record, secret)
    data = {"pid": instance.pid, "config": instance.config, "control": instance.control,
            "secret": secret}
    atomic_write(record, json.dumps(data).encode() + b"\n", private=True)
    return instance


def withdraw(instance: Instance) -> None:
    """Remove the record (and the unix control socket) when they are still this process's."""
    current = _read(instance.record)
    if current is not None and current.pid == instance.pid:
        instance.record.unlink(missing_ok=True)
        if parse_address(instance.control)[0] == "unix":
            Path(instance.control).unlink(missing_ok=True)


def _read(record: Path) -> Instance | None:
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        secret = data.get("secret")
        return Instance(int(data["pid"]), str(data["config"]), str(data["control"]), record,
                        str(secret) if secret is not None else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find(config: Path | None) -> list[Instance]:
    """The record for ``config``, or every record when it is None."""
    if config is not None:
        found = _read(_record_path(config))
        return [found] if found is not None else []
    folder = runtime_dir() / "instances"
    records = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return [i for r in records if (i := _read(r)) is not None]


async def request(control: str, line: str, timeout: float, secret: str | None = None) -> str:
    """Send one runtime-API line to ``control`` (after ``auth <secret>``) and return the
    whole answer.

    ConnectionRefusedError / FileNotFoundError: nothing listens there (a stale record)."""
    kind, where = parse_address(control)
    if kind == "unix":
        if not platform.unix_sockets_available():
            raise OSError(f"{control}: {platform.UNIX_SOCKETS_UNAVAILABLE}")
        reader, writer = await asyncio.open_unix_connection(str(where), limit=MAX_LINE)
    else:
        assert isinstance(where, tuple)
        reader, writer = await asyncio.open_connection(where[0], where[1], limit=MAX_LINE)
    try:
        if secret is not None:
            writer.write(f"auth {secret}\n".encode())
        writer.write(line.encode() + b"\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return answer.decode("utf-8", "replace")
