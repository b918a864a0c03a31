"""``EngineProcess``: the embedded engine in a child process, behind the ``Engine`` API.

Theory of operation
-------------------
The app's side of ``proxy.app.engine_child`` (read its docstring first).  It has
the public surface the app's host drives for ``Engine`` and ``HaproxyProcess``
alike -- ``start``/``apply``/``stop``, ``stats()``, ``drain_events()``,
``listening``, ``exit_reason()`` -- so the window treats the three the same.

``start()`` writes the config's text into a private directory (0700, under
``platform.short_temp_dir()`` so a unix socket path fits), launches the child
with three pipes, writes a fresh secret as the first line on its stdin (every
connection to the child's runtime socket begins ``auth <secret>``: on Windows
it is a loopback port any local user could reach) and waits for its start
report on stdout (``READY_TIMEOUT``).
A refusal comes back as an ``EngineError`` with the child's located
diagnostics; a child that dies first, with the last lines of its stderr.  Then
one connection to the child's runtime socket carries ``stream events marshal``
for as long as it runs: a reader task on the host's loop decodes the frames
into a bounded deque, which ``drain_events()`` pops (from any thread).

``apply(config)`` replaces the running copy and sends ``reload``: the child
applies it or refuses it and keeps serving the old one; on a refusal the copy
is put back as it was, so the copy always says what runs.

``stop(grace)`` writes ``grace N`` to the child's stdin and closes it: the
child stops as ``proxydesk run`` does on SIGTERM (listeners close, in-flight
requests get ``grace`` seconds), which needs no signal, so works on Windows.
If it is not gone ``STOP_MARGIN`` seconds after the grace period it is killed.
Nothing outlives the app either way: a dead app's pipes close, and the child
takes the end of its stdin as the order to stop.

Threads: ``stats()`` and the ``set_server_*`` calls are blocking exchanges on
their own connection (callable from the GUI thread: a local round trip);
``drain_events()`` pops from a deque; everything else runs on the loop that
called ``start()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from proxy import platform
from proxy.app import engine_wire as wire
from proxy.config.model import Config, Diagnostic
from proxy.config.writer import write
from proxy.engine.engine import EngineError
from proxy.engine.runtime_api import MAX_LINE, parse_address
from proxy.engine.session import LogEvent
from proxy.engine.stats import StatsSnapshot
from proxy.engine.tasks import spawn

__all__ = ["ENGINE_CHILD_FLAG", "EngineProcess", "child_command"]

READY_TIMEOUT = 20.0  # seconds for the child to import, compile and bind
RELOAD_TIMEOUT = 30.0
COMMAND_TIMEOUT = 2.0
STOP_MARGIN = 3.0
EVENTS_KEPT = 10_000  # as the engine's own deque: the window drains it every 250 ms
OUTPUT_LINES = 100
#: The frozen app (PyInstaller) cannot run ``python -m``: its launcher takes this flag.
ENGINE_CHILD_FLAG = "--engine-child"


def child_command() -> list[str]:
    """How to start ``proxy.app.engine_child`` with this very interpreter (or frozen app)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, ENGINE_CHILD_FLAG]
    return [sys.executable, "-m", "proxy.app.engine_child"]


class EngineProcess:
    """Runs one config on ``proxy.app.engine_child``; see the module docstring."""

    def __init__(self, config: Config, *, base_dir: Path | None = None,
                 sample_events: float | None = wire.EVENTS_PER_S) -> None:
        self._config = config
        self._sample_events = sample_events  # None: every event (tests, tools)
        self._base_dir = base_dir
        self._dir: Path | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._control = ""
        self._secret = ""  # the runtime socket's, new for each start (see the docstring)
        self._listening: list[tuple[str, str, int]] = []
        self._warnings: list[Diagnostic] = []
        self._events: deque[LogEvent] = deque(maxlen=EVENTS_KEPT)
        self._stream: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._output: deque[str] = deque(maxlen=OUTPUT_LINES)
        self._stopping = False
        self._started_at = 0.0
        self.dropped_events = 0  # events the child did not send: sampled out, or the app fell behind
        self._pushed_out = 0  # events pushed out of ``_events`` unread
        self._unlisted_taken = 0

    # -- life cycle ------------------------------------------------------------------------
    async def start(self) -> None:
        if self._proc is not None:
            raise EngineError("the engine is already running")
        try:
            await self._launch()
            report = await self._start_report()
            if not report.get("ready"):
                raise _refusal(report, "the engine cannot start")
            self._control = str(report["control"])
            self._listening = wire.listening_from(report.get("listening"))
            self._warnings = wire.decode_diagnostics(report.get("warnings"))
            await self._open_event_stream()
        except BaseException:
            await self._teardown(grace=0.0)
            raise
        self._started_at = time.time()

    async def apply(self, config: Config) -> None:
        copy = self._running_copy()
        previous = copy.read_bytes()
        _write_private(copy, write(config))
        try:
            answer = await self._command_async("reload", RELOAD_TIMEOUT)
        except OSError as exc:
            copy.write_bytes(previous)
            raise EngineError(f"the engine process does not answer: {exc}") from exc
        applied, report = _reload_answer(answer)
        if not applied:
            copy.write_bytes(previous)  # the copy goes back to what still serves
            raise _refusal(report, "the configuration was refused")
        self._listening = wire.listening_from(report.get("listening"))
        self._warnings = wire.decode_diagnostics(report.get("warnings"))
        self._config = config

    async def stop(self, grace: float = 5.0) -> None:
        await self._teardown(grace)

    # -- steps -------------------------------------------------------------------------------
    async def _launch(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="proxydesk-engine-", dir=platform.short_temp_dir()))
        copy = self._dir / "running.cfg"
        _write_private(copy, write(self._config))
        control = (str(self._dir / "control.sock") if platform.unix_sockets_available()
                   else "ipv4@127.0.0.1:0")
        args = ["--config", str(copy), "--name", self._config.path, "--control", control,
                "--parent-pid", str(os.getpid()), "--auth-on-stdin"]
        if self._base_dir is not None:
            args += ["--base-dir", str(self._base_dir)]
        if self._sample_events is not None:
            args += ["--sample-events", str(self._sample_events)]
        self._proc = await asyncio.create_subprocess_exec(
            *child_command(), *args, cwd=self.cwd, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        assert self._proc.stderr is not None and self._proc.stdin is not None
        self._tasks.append(spawn(self._keep_output(self._proc.stderr), name="engine-child:stderr"))
        self._secret = secrets.token_hex(32)
        with contextlib.suppress(OSError):  # a child dead at birth: its start report says why
            self._proc.stdin.write(self._secret.encode() + b"\n")
            await self._proc.stdin.drain()

    @property
    def cwd(self) -> Path:
        """Where the child runs: relative paths resolve as they would for the user."""
        if self._base_dir is not None:
            return self._base_dir
        path = Path(self._config.path)
        return path.parent if path.is_file() else Path.cwd()

    async def _start_report(self) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), READY_TIMEOUT)
        except TimeoutError:
            raise self._failure(f"the engine process did not start within {READY_TIMEOUT:.0f} s") from None
        if not line:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 2.0)
            await asyncio.gather(*self._tasks, return_exceptions=True)  # its last words are in
            raise self._failure(f"the engine process exited at start ({_status(proc.returncode)})")
        self._tasks.append(spawn(self._keep_output(proc.stdout), name="engine-child:stdout"))
        try:
            report: dict[str, Any] = json.loads(line)
        except ValueError:
            raise self._failure(f"the engine process said {line[:200]!r}") from None
        return report

    async def _keep_output(self, stream: asyncio.StreamReader) -> None:
        """Read a pipe to its end (a full pipe would block the child), keeping the last lines."""
        while line := await stream.readline():
            self._output.append(line.decode("utf-8", "replace").rstrip())

    async def _open_event_stream(self) -> None:
        reader, writer = await asyncio.wait_for(_connect(self._control, self._secret),
                                                COMMAND_TIMEOUT)
        writer.write(b"stream events marshal\n")
        await writer.drain()
        self._stream = writer
        self._tasks.append(spawn(self._read_events(reader), name="engine-child:events"))

    async def _read_events(self, reader: asyncio.StreamReader) -> None:
        header = wire.FRAME_HEADER.size
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                (size,) = wire.FRAME_HEADER.unpack(await reader.readexactly(header))
                if size > wire.MAX_FRAME:
                    raise ConnectionError(f"an event frame of {size} bytes")
                self.dropped_events, events = wire.decode_events(await reader.readexactly(size))
                self._pushed_out += max(0, len(self._events) + len(events) - EVENTS_KEPT)
                self._events.extend(events)

    def _running_copy(self) -> Path:
        if self._dir is None or self._proc is None or self._proc.returncode is not None:
            raise EngineError("the engine is not running")
        return self._dir / "running.cfg"

    def _failure(self, what: str) -> EngineError:
        said = [line for line in self._output if line.strip()][-3:]
        return EngineError(what + (": " + " / ".join(said) if said else ""))

    async def _teardown(self, grace: float) -> None:
        proc, self._proc = self._proc, None
        self._stopping = True
        if proc is not None:
            await _end_child(proc, grace)
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._listening = []
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- the runtime socket ------------------------------------------------------------------
    async def _command_async(self, text: str, timeout: float = COMMAND_TIMEOUT) -> str:
        async with asyncio.timeout(timeout):
            reader, writer = await _connect(self._control, self._secret)
            try:
                writer.write(text.encode() + b"\n")
                await writer.drain()
                return (await reader.read()).decode("utf-8", "replace")
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    def command(self, text: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """One runtime-API command, blocking (any thread); OSError when the child is gone."""
        if not self._control:
            raise EngineError("the engine is not running")
        with _blocking_connection(self._control, self._secret, timeout) as sock:
            sock.sendall(text.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")

    # -- observation ----------------------------------------------------------------------------
    def stats(self) -> StatsSnapshot:
        """The child's whole snapshot (``show snapshot``), blocking, from any thread."""
        try:
            return wire.snapshot_from_json(self.command("show snapshot"))
        except (OSError, ValueError) as exc:
            raise EngineError(f"the engine process does not answer: {exc}") from exc

    async def stats_async(self) -> StatsSnapshot:
        """``stats()`` on the running loop, without blocking it."""
        try:
            return wire.snapshot_from_json(await self._command_async("show snapshot"))
        except (OSError, ValueError) as exc:
            raise EngineError(f"the engine process does not answer: {exc}") from exc

    def drain_events(self, max_n: int = 1000) -> list[LogEvent]:
        out: list[LogEvent] = []
        events = self._events
        while events and len(out) < max_n:  # append (loop thread) and popleft are atomic
            try:
                out.append(events.popleft())
            except IndexError:
                break
        return out

    def take_unlisted(self) -> int:
        """How many events ``drain_events`` will never return, since the last call: the
        child's sampled-out and dropped ones, and ones pushed out here unread."""
        total = self.dropped_events + self._pushed_out
        taken, self._unlisted_taken = total - self._unlisted_taken, total
        return max(taken, 0)

    def exit_reason(self) -> str | None:
        """Why the child is gone although nobody stopped it (killed, crashed), else None.
        A plain attribute read: callable from any thread."""
        proc = self._proc
        if proc is None or proc.returncode is None or self._stopping:
            return None
        said = [line for line in self._output if line.strip()][-2:]
        return (f"The engine process exited ({_status(proc.returncode)})"
                + (": " + " / ".join(said) if said else "") + "; Start runs it again")

    # -- runtime control (the runtime API's words, as HAProxy's CLI takes them) -------------------
    def set_server_state(self, backend: str, server: str, state: str) -> None:
        self._change(f"set server {backend}/{server} state {state}")

    def set_server_weight(self, backend: str, server: str, weight: int) -> None:
        self._change(f"set server {backend}/{server} weight {weight}")

    def _change(self, text: str) -> None:
        answer = self.command(text).strip()
        if answer:
            raise ValueError(answer)

    # -- plain attributes -------------------------------------------------------------------------
    @property
    def listening(self) -> list[tuple[str, str, int]]:
        return list(self._listening)

    def port_of(self, frontend: str) -> int:
        return next(port for name, _, port in self.listening if name == frontend)

    @property
    def config(self) -> Config:
        return self._config

    @property
    def warnings(self) -> list[Diagnostic]:
        return list(self._warnings)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def control_address(self) -> str:
        """The child's runtime socket: a unix path, or ``ipv4@127.0.0.1:PORT`` (Windows)."""
        return self._control

    @property
    def control_secret(self) -> str:
        """What a connection to ``control_address`` must send first, as ``auth <secret>``."""
        return self._secret

    @property
    def private_dir(self) -> Path | None:
        return self._dir

    @property
    def output(self) -> list[str]:
        """The child's last lines on stdout/stderr (warnings, tracebacks)."""
        return list(self._output)


# ----------------------------------------------------------------------------- helpers


def _write_private(path: Path, text: str) -> None:
    """Write the running copy (bytes: a CRLF file stays CRLF) by an atomic replace."""
    staged = path.with_name(path.name + ".new")
    staged.write_bytes(text.encode("utf-8", "surrogateescape"))
    platform.replace_file(staged, path)


def _status(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"killed by signal {-returncode}"
    return f"status {returncode}"


def _refusal(report: dict[str, Any], default: str) -> EngineError:
    return EngineError(str(report.get("message") or default),
                       wire.decode_diagnostics(report.get("diagnostics")))


def _reload_answer(answer: str) -> tuple[bool, dict[str, Any]]:
    """``Success=1|0``, ``--``, then the child's JSON object (engine_wire)."""
    head, _, body = answer.partition("\n--\n")
    try:
        report: dict[str, Any] = json.loads(body) if body.strip() else {}
    except ValueError:
        report = {"message": body.strip() or answer.strip()}
    return head.strip() == "Success=1", report


async def _connect(address: str, secret: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the child's runtime socket, its ``auth`` line already written (the
    child answers a good one with nothing: the caller writes its command and reads)."""
    kind, where = parse_address(address)
    if kind == "unix":
        assert isinstance(where, str)
        reader, writer = await asyncio.open_unix_connection(where, limit=MAX_LINE)
    else:
        assert isinstance(where, tuple)
        reader, writer = await asyncio.open_connection(where[0], where[1], limit=MAX_LINE)
    writer.write(_auth_line(secret))
    return reader, writer


def _auth_line(secret: str) -> bytes:
    return f"auth {secret}\n".encode()


@contextlib.contextmanager
def _blocking_connection(address: str, secret: str, timeout: float) -> Any:
    kind, where = parse_address(address)
    if kind == "unix":
        sock = socket.socket(getattr(socket, "AF_UNIX"), socket.SOCK_STREAM)  # noqa: B009
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # the command follows the auth line at once: Nagle must not hold it for an ACK
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with sock:
        sock.settimeout(timeout)
        sock.connect(where)
        sock.sendall(_auth_line(secret))
        yield sock


async def _end_child(proc: asyncio.subprocess.Process, grace: float) -> None:
    """Close the child's stdin (its order to stop, after ``grace N``), then kill if it lingers."""
    if proc.returncode is None and proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.write(f"grace {grace:g}\n".encode())
            proc.stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace + STOP_MARGIN)
    with contextlib.suppress(ProcessLookupError):
        if proc.returncode is None:
            proc.kill()
    await proc.wait()
