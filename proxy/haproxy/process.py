"""``HaproxyProcess``: a real haproxy, run in master-worker mode, behind the ``Engine`` API.

Theory of operation
-------------------
``start()`` checks the config with ``haproxy -c`` (a refusal carries HAProxy's
own messages, located in the user's file), writes the running copy
(running_copy.py) and launches::

    haproxy -W -db -S <dir>/master.sock -f <dir>/proxydesk.cfg -f <dir>/haproxy.cfg

in the config's directory, in a session of its own (so the whole process
group -- master and workers -- can be signalled at the end).  ``-W`` is
master-worker mode: the master re-executes itself on reload and hands the
listening sockets to the new worker, so a reload refuses no connection.
``-db`` keeps it in the foreground, its messages on our pipes (kept, last
lines only, for error reports).  Started means the worker answers on the
stats socket.

``apply(config)`` stages the new text next to the copy and runs ``haproxy -c``
on it: an invalid config is refused with HAProxy's located messages and the
running worker is untouched.  A valid one replaces the copy (atomic rename)
and the master CLI's ``reload`` is sent; the reload is confirmed on the
master's ``show proc``: a worker whose pid is new.  A reload the master
reports as failed (``[failed: N]`` going up -- HAProxy 2.6 resets it on the
next success -- e.g. a port taken, which ``haproxy -c`` cannot see) restores
the previous copy -- the old worker still serves -- and raises.

``stop(grace)`` is HAProxy's soft stop: SIGUSR1 to the master (listeners
close, in-flight requests finish, the workers exit, then the master), then
SIGTERM after ``grace`` seconds, then SIGKILL to the whole process group.

Observation is the engine's: ``stats()`` reads ``show stat`` over the private
stats socket into a ``StatsSnapshot`` (counters restart at zero on each
reload, as they do in HAProxy: a new worker counts anew), ``drain_events()``
returns the log lines received over UDP as ``LogEvent``s, ``listening`` lists
the config's TCP binds.  ``stats()`` and ``drain_events()`` may be called from
any thread: the first is a blocking exchange on its own unix connection, the
second pops from a deque.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from proxy import platform
from proxy.config.model import Config, Diagnostic
from proxy.config.writer import write
from proxy.engine.engine import EngineError
from proxy.engine.session import EventSampler, LogEvent
from proxy.engine.stats import StatsSnapshot
from proxy.engine.tasks import spawn
from proxy.haproxy import runtime_client
from proxy.haproxy.binary import Haproxy, HaproxyNotFound, check_result, find_haproxy
from proxy.haproxy.listening import listening
from proxy.haproxy.running_copy import RunningCopy
from proxy.haproxy.syslog import SyslogReceiver

__all__ = ["HaproxyError", "HaproxyProcess", "ProcTable", "parse_show_proc"]

READY_TIMEOUT = 10.0  # seconds for a started or reloaded worker to answer
POLL_INTERVAL = 0.02
POLL_TIMEOUT = 0.25  # one master CLI exchange while waiting for a reload
TERM_WAIT = 2.0  # after SIGTERM, before SIGKILL
OUTPUT_LINES = 200

_PROC_LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<kind>\S+)\s+(?P<reloads>\d+)(?:\s+\[failed:\s*(?P<failed>\d+)\])?")


class HaproxyError(EngineError):
    """Starting, reloading or reading HAProxy failed; what ran before keeps running."""


@dataclass(frozen=True)
class ProcTable:
    """The master CLI's ``show proc``: the master's reload counts and the worker pids."""

    master: int = 0
    reloads: int = 0
    failed: int = 0
    workers: tuple[int, ...] = ()
    old_workers: tuple[int, ...] = field(default=())


def parse_show_proc(text: str) -> ProcTable:
    master = reloads = failed = 0
    workers: list[int] = []
    old: list[int] = []
    group = "master"
    for line in text.splitlines():
        if line.startswith("# "):
            group = line[2:].strip()
            continue
        found = _PROC_LINE.match(line)
        if found is None:
            continue
        if found["kind"] == "master":
            master, reloads = int(found["pid"]), int(found["reloads"])
            failed = int(found["failed"] or 0)
        elif found["kind"] == "worker":
            (old if group == "old workers" else workers).append(int(found["pid"]))
    return ProcTable(master, reloads, failed, tuple(workers), tuple(old))


class HaproxyProcess:
    """Runs one config on real HAProxy; see the module docstring."""

    def __init__(
        self, config: Config, *, base_dir: Path | None = None, haproxy: Haproxy | None = None,
        sampler: EventSampler | None = None,
    ) -> None:
        """``sampler``: which log lines ``drain_events`` gets (None: every one); the rest
        are counted (``take_unlisted``), not parsed."""
        self._config = config
        self._base_dir = base_dir
        self._haproxy = haproxy
        self._copy: RunningCopy | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._receiver = SyslogReceiver(sampler=sampler)
        self._unlisted_taken = 0
        self._output: deque[str] = deque(maxlen=OUTPUT_LINES)
        self._readers: list[asyncio.Task[None]] = []
        self._started_at = 0.0
        self._warnings: list[Diagnostic] = []
        self.last_reload_seconds = 0.0

    # -- life cycle ------------------------------------------------------------------------
    async def start(self) -> None:
        if self._proc is not None:
            raise HaproxyError("HAProxy is already running")
        haproxy = self._resolve_binary()
        try:
            await self._receiver.open()
            self._copy = RunningCopy(self._config.path, self._receiver.port)
            await self._check_and_stage(self._config)
            self._copy.commit()
            await self._launch(haproxy, self._copy)
            await self._wait_started()
        except BaseException:
            await self._teardown(grace=0.0)
            raise
        self._started_at = time.time()

    async def apply(self, config: Config) -> None:
        copy = self._running_copy()
        await self._check_and_stage(config)
        before = parse_show_proc(await self._master("show proc"))
        previous = copy.config.read_bytes()  # bytes: a CRLF file stays CRLF
        copy.commit()
        began = time.monotonic()
        try:
            await self._master_reload()
            await self._wait_reloaded(before)
        except HaproxyError:
            copy.config.write_bytes(previous)  # the copy goes back to what the old worker runs
            raise
        self.last_reload_seconds = time.monotonic() - began
        self._config = config
        self._started_at = time.time()

    async def stop(self, grace: float = 5.0) -> None:
        await self._teardown(grace)

    # -- steps -------------------------------------------------------------------------------
    def _resolve_binary(self) -> Haproxy:
        if self._haproxy is None:
            try:
                self._haproxy = find_haproxy()
            except HaproxyNotFound as exc:
                raise HaproxyError(str(exc)) from exc
        return self._haproxy

    def _running_copy(self) -> RunningCopy:
        if self._copy is None or self._proc is None or self._proc.returncode is not None:
            raise HaproxyError("HAProxy is not running")
        return self._copy

    @property
    def cwd(self) -> Path:
        """Where HAProxy runs: relative paths in the config resolve as they would for the user."""
        if self._base_dir is not None:
            return self._base_dir
        path = Path(self._config.path)
        return path.parent if path.is_file() else Path.cwd()

    async def _check_and_stage(self, config: Config) -> None:
        """``haproxy -c`` on the staged text; refuses (and discards it) when HAProxy does."""
        copy = self._copy
        assert copy is not None
        copy.stage(write(config))
        haproxy = self._resolve_binary()
        command = haproxy.check_command(copy.staged_files)
        process = await asyncio.create_subprocess_exec(
            *command, cwd=self.cwd, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        result = check_result(process.returncode or 0, output.decode("utf-8", "replace"),
                              copy.file_names())
        if not result.ok:
            copy.discard()
            raise HaproxyError(f"HAProxy refuses the configuration: {result.summary()}",
                               result.errors or result.diagnostics)
        self._warnings = result.diagnostics

    async def _launch(self, haproxy: Haproxy, copy: RunningCopy) -> None:
        args = ["-W", "-db", "-S", str(copy.master_socket)]
        for path in copy.files:
            args += ["-f", str(path)]
        self._proc = await asyncio.create_subprocess_exec(
            haproxy.path, *args, cwd=self.cwd, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            **platform.new_process_group(),  # one signal reaches every worker
        )
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._readers = [
            spawn(self._keep_output(self._proc.stdout), name="haproxy:stdout"),
            spawn(self._keep_output(self._proc.stderr), name="haproxy:stderr"),
        ]

    async def _keep_output(self, stream: asyncio.StreamReader) -> None:
        """Read a pipe to its end (a full pipe would block HAProxy), keeping the last lines."""
        while line := await stream.readline():
            self._output.append(line.decode("utf-8", "replace").rstrip())

    async def _wait_started(self) -> None:
        copy = self._running_copy()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.returncode is not None:
                await asyncio.gather(*self._readers)  # every last message is in
                raise self._failure("HAProxy exited at start")
            with contextlib.suppress(runtime_client.CliError):
                if "Pid:" in await runtime_client.command_async(copy.stats_socket, "show info", 0.5):
                    return
            await asyncio.sleep(POLL_INTERVAL)
        raise self._failure(f"HAProxy did not answer within {READY_TIMEOUT:.0f} s")

    async def _master(self, command: str) -> str:
        copy = self._running_copy()
        try:
            return await runtime_client.command_async(copy.master_socket, command)
        except runtime_client.CliError as exc:
            raise HaproxyError(f"the HAProxy master does not answer: {exc}") from exc

    async def _master_reload(self) -> None:
        # The master closes the connection as it re-executes itself: no answer to wait for.
        with contextlib.suppress(runtime_client.CliError):
            await runtime_client.command_async(self._running_copy().master_socket, "reload")

    async def _wait_reloaded(self, before: ProcTable) -> None:
        copy = self._running_copy()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_INTERVAL)
            # While the master re-executes itself its socket refuses, resets, or accepts and
            # says nothing (for ~2 s when a new bind fails: HAProxy retries it): short tries.
            with contextlib.suppress(runtime_client.CliError):
                answer = await runtime_client.command_async(copy.master_socket, "show proc", POLL_TIMEOUT)
                table = parse_show_proc(answer)
                if table.failed > before.failed:
                    raise self._failure("HAProxy could not load the new configuration; "
                                        "the previous one keeps serving")
                if table.reloads > before.reloads and set(table.workers) - set(before.workers):
                    return
            if self._proc is None or self._proc.returncode is not None:
                raise self._failure("HAProxy exited during the reload")
        raise self._failure(f"HAProxy did not confirm the reload within {READY_TIMEOUT:.0f} s")

    def _failure(self, what: str) -> HaproxyError:
        """An error carrying HAProxy's own alerts from its output (located in the user's file)."""
        copy = self._copy
        names = copy.file_names() if copy is not None else {}
        result = check_result(1, "\n".join(self._output), names)
        alerts = result.errors
        detail = f": {alerts[0]}" if alerts else ""
        return HaproxyError(f"{what}{detail}", alerts)

    async def _teardown(self, grace: float) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            await _end_process_group(proc, grace)
            await asyncio.gather(*self._readers, return_exceptions=True)
            self._readers = []
        self._receiver.close()
        if self._copy is not None:
            self._copy.remove()
            self._copy = None

    # -- observation ----------------------------------------------------------------------------
    def stats(self) -> StatsSnapshot:
        """``show stat`` of the current worker (blocking, any thread)."""
        copy = self._copy
        if copy is None:
            return StatsSnapshot(time=time.time(), started_at=time.time(), rows=())
        try:
            text = runtime_client.command(copy.stats_socket, "show stat")
        except runtime_client.CliError as exc:
            raise HaproxyError(f"HAProxy's stats socket does not answer: {exc}") from exc
        return StatsSnapshot.from_csv(text, started_at=self._started_at, pid=self.pid or 0)

    async def stats_async(self) -> StatsSnapshot:
        """``stats()`` without blocking the running loop."""
        return await asyncio.to_thread(self.stats)

    def drain_events(self, max_n: int = 1000) -> list[LogEvent]:
        return self._receiver.drain_events(max_n)

    def take_unlisted(self) -> int:
        """How many log events ``drain_events`` will never return, since the last call:
        sampled out, or pushed out because nobody drained them in time."""
        total = self._receiver.pushed_out + self._receiver.sampled_out
        taken, self._unlisted_taken = total - self._unlisted_taken, total
        return max(taken, 0)

    def exit_reason(self) -> str | None:
        """Why HAProxy is gone although nobody stopped it (killed, crashed), else None.
        A plain attribute read: callable from any thread."""
        proc = self._proc
        if proc is None or proc.returncode is None:
            return None
        said = [line for line in self._output if line.strip()][-2:]
        return f"HAProxy exited (status {proc.returncode})" + (": " + " / ".join(said) if said else "")

    @property
    def unparsed_log_lines(self) -> int:
        return self._receiver.unparsed

    @property
    def listening(self) -> list[tuple[str, str, int]]:
        return listening(self._config) if self._proc is not None else []

    def port_of(self, frontend: str) -> int:
        return next(port for name, _, port in self.listening if name == frontend)

    @property
    def config(self) -> Config:
        return self._config

    @property
    def warnings(self) -> list[Diagnostic]:
        """HAProxy's warnings about the running config (from ``haproxy -c``)."""
        return list(self._warnings)

    @property
    def output(self) -> list[str]:
        """HAProxy's last lines on stdout/stderr (notices, alerts, ``log stdout`` lines)."""
        return list(self._output)

    @property
    def private_dir(self) -> Path | None:
        """The running copy's directory (0700) while running."""
        return self._copy.dir if self._copy is not None else None

    @property
    def pid(self) -> int | None:
        """The master's pid while running."""
        return self._proc.pid if self._proc is not None else None

    @property
    def binary(self) -> Haproxy | None:
        return self._haproxy


async def _end_process_group(proc: asyncio.subprocess.Process, grace: float) -> None:
    """Soft stop (SIGUSR1), then SIGTERM, then SIGKILL to the whole group; always reaped.
    Where there is no SIGUSR1 (Windows) the soft stop is skipped."""
    soft = platform.soft_stop_signal()
    steps = ((soft, grace),) if soft is not None else ()
    for signum, wait in (*steps, (int(signal.SIGTERM), TERM_WAIT)):
        if proc.returncode is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), max(wait, 0.05))
    platform.kill_process_group(proc.pid)  # the master, and any worker it left behind
    with contextlib.suppress(ProcessLookupError):
        proc.kill()  # Windows: no group to kill; a no-op once it has exited
    await proc.wait()
