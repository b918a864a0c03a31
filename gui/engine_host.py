"""Drives the window's engine -- a child process -- from a control thread of the GUI.

Theory of operation
-------------------
The embedded engine runs in a process of its own (``proxy.app.engine_process.
EngineProcess``, which starts ``proxy.app.engine_child``: the same ``Engine``
as ``proxydesk run``), so a repaint never holds the engine up: in the GUI's
process it shared the GIL with every paint (issue 12: 0.70-0.80x the headless
engine's requests, p99 28-37 ms against 4 ms).  "Run on > HAProxy" is the same
with a real haproxy (``gui.haproxy_host``, ``HaproxyProcess``): both runners
have the same surface and this host drives either.

The host owns one daemon *control thread* running an asyncio loop (uvloop
where installed): the runner's coroutines (start: launch and wait for the
child's report; apply: a ``reload`` over its runtime socket; stop) and the
reader of the child's event stream run there.  It waits on sockets and pipes
almost all the time (decoding the event batches is its only steady work, off
the engine's GIL); it exists so that the GUI can also drive the engine without
an asyncio loop of its own (tests,
``closeEvent``, where qasync can no longer await).  The GUI either awaits
(``await host.start(...)`` on the qasync loop, through ``asyncio.wrap_future``)
or gets a ``concurrent.futures.Future`` (``submit_*``).

Nothing crosses the thread boundary but plain data: the config is handed over
as a private copy (re-parsed from its text, so later GUI edits never reach the
running engine), and stats and log events come back as immutable snapshots
and events, read on a ``QTimer`` in the GUI thread.  No Qt object is ever
touched from the control thread.

The GUI thread never waits for the runner: a poller on the control loop asks
for a stats snapshot every ``STATS_POLL_S`` and keeps the latest with the time
it arrived (``latest_stats()``, a plain read); a runner that hangs (a stopped
child, a haproxy that does not answer) costs the window stale graphs, never a
frozen window.  ``stats()`` is the blocking read, for tests and tools.

State machine: stopped -> starting -> running -> stopping -> stopped;
``apply`` keeps ``running`` whether it succeeds or is refused; a runner that
died on its own (``lost()``) is reported by the window, which then stops the
host so that Start is offered again.

The tutorial's demo web servers run on the control loop, in the GUI's process:
they must outlive engine restarts, and they stay off the engine's GIL.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import re
import threading
import time
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from proxy import platform
from proxy.config.model import Config
from proxy.config.parser import parse
from proxy.config.writer import write
from proxy.engine import EngineError, LogEvent
from proxy.engine.stats import StatsSnapshot

__all__ = ["EngineError", "EngineHost", "Runner"]

STOPPED, STARTING, RUNNING, STOPPING = "stopped", "starting", "running", "stopping"
STATS_POLL_S = 0.25  # the Traffic tab samples four times a second
STATS_TIMEOUT_S = 2.0


def _new_loop() -> asyncio.AbstractEventLoop:
    return platform.new_event_loop()  # uvloop where installed, never on Windows


_HOST_PORT = re.compile(r"^(?P<head>.*):(?P<port>\d+)$")


def private_copy(config: Config, substitutes: Mapping[int, int] | None = None) -> Config:
    """A copy sharing nothing with the GUI's model (write(parse(t)) == t makes it exact),
    listening on ``substitutes[port]`` wherever the document says ``port``: the document
    keeps the user's ports, only the engine's copy moves off the ones that are taken."""
    copy = parse(write(config), config.path).config
    if substitutes:
        _substitute_ports(copy, substitutes)
    return copy


def _substitute_ports(config: Config, substitutes: Mapping[int, int]) -> None:
    def moved(address: str) -> str:
        match = _HOST_PORT.match(address)
        if match is None or int(match["port"]) not in substitutes:
            return address
        return f"{match['head']}:{substitutes[int(match['port'])]}"

    for section in config.sections:
        for bind in section.binds:
            bind.addresses = [moved(a) for a in bind.addresses]
    for stmt in config.global_section.statements("stats") if config.global_section else ():
        words = getattr(stmt.node, "words", [])
        if words[1:2] == ["socket"] and len(words) > 2:  # the runtime API's ipv4@host:port
            words[2] = moved(words[2])


class Runner(Protocol):
    """What the host drives: ``EngineProcess`` or ``HaproxyProcess``."""

    async def start(self) -> None: ...

    async def apply(self, config: Config) -> None: ...

    async def stop(self, grace: float = ...) -> None: ...

    def stats(self) -> StatsSnapshot: ...

    async def stats_async(self) -> StatsSnapshot: ...

    def drain_events(self, max_n: int = ...) -> list[LogEvent]: ...

    def take_unlisted(self) -> int: ...

    def exit_reason(self) -> str | None: ...

    @property
    def listening(self) -> list[tuple[str, str, int]]: ...

    @property
    def pid(self) -> int | None: ...


class EngineHost(QObject):
    stateChanged = Signal(str)
    listeningChanged = Signal()
    label = "Embedded engine"  # what the status bar calls the runner

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = STOPPED
        self.listening: list[tuple[str, str, int]] = []
        self._engine: Runner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._demo_servers: list[asyncio.Server] = []
        self._latest: tuple[StatsSnapshot, float] | None = None  # (snapshot, monotonic arrival)
        self._poller: asyncio.Task[None] | None = None
        # document port -> the port the engine listens on instead (the demo, when its
        # ports are taken); kept until another document, so Apply and a new Start listen
        # where the first start did
        self.port_substitutes: dict[int, int] = {}

    # -- the control thread --------------------------------------------------------------
    def _ensure_thread(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = _new_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                loop.close()

            self._thread = threading.Thread(target=run, name="proxydesk-engine-control", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_thread())

    # -- runner-side coroutines (run on the control loop) ---------------------------------
    def _new_engine(self, config: Config, base_dir: Path | None) -> Runner:
        """The runner this host drives; ``HaproxyHost`` returns a real HAProxy instead."""
        from proxy.app.engine_process import EngineProcess

        return EngineProcess(config, base_dir=base_dir)

    async def _start(self, config: Config, base_dir: Path | None) -> list[tuple[str, str, int]]:
        engine = self._new_engine(config, base_dir)
        await engine.start()
        self._engine = engine
        self._latest = None
        self._poller = asyncio.ensure_future(self._poll_stats(engine))
        return list(engine.listening)

    async def _poll_stats(self, engine: Runner) -> None:
        """Keep the latest snapshot for the GUI (see the module docstring)."""
        while True:
            try:
                snapshot = await asyncio.wait_for(engine.stats_async(), STATS_TIMEOUT_S)
            except (TimeoutError, EngineError, OSError):
                pass  # no sample this time; a runner that died is ``lost()``'s to report
            else:
                if engine is self._engine:
                    self._latest = (snapshot, time.monotonic())
            await asyncio.sleep(STATS_POLL_S)

    async def _apply(self, config: Config) -> list[tuple[str, str, int]]:
        if self._engine is None:
            raise EngineError("the engine is not running")
        await self._engine.apply(config)
        return list(self._engine.listening)

    async def _stop(self, grace: float) -> None:
        engine, self._engine = self._engine, None
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
        self._latest = None
        if engine is not None:
            await engine.stop(grace)

    async def _start_demo_servers(self) -> list[int]:
        from proxy.app import demo  # only the demo needs it

        self._demo_servers = await demo.start_demo_servers()
        return [demo.port_of(server) for server in self._demo_servers]

    async def _stop_demo_servers(self) -> None:
        servers, self._demo_servers = self._demo_servers, []
        for server in servers:
            server.close()

    # -- GUI-side API -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def submit_start(
        self, config: Config, base_dir: Path | None = None
    ) -> concurrent.futures.Future[Any]:
        if self.state != STOPPED:
            raise EngineError(f"the engine is {self.state}")
        self._set_state(STARTING)
        future = self._submit(self._start(private_copy(config, self.port_substitutes), base_dir))
        return future

    def submit_apply(self, config: Config) -> concurrent.futures.Future[Any]:
        return self._submit(self._apply(private_copy(config, self.port_substitutes)))

    def submit_stop(self, grace: float = 2.0) -> concurrent.futures.Future[Any]:
        self._set_state(STOPPING)
        return self._submit(self._stop(grace))

    async def start(self, config: Config, base_dir: Path | None = None) -> None:
        """Start the engine; raises EngineError (with diagnostics) and stays stopped on failure."""
        future = self.submit_start(config, base_dir)
        try:
            listening = await asyncio.wrap_future(future)
        except BaseException as exc:
            self.finish_start(None, exc)
            raise
        self.finish_start(listening, None)

    async def apply(self, config: Config) -> None:
        """Hot-reload; on EngineError the engine keeps serving the previous config."""
        self._set_listening(await asyncio.wrap_future(self.submit_apply(config)))

    async def stop(self, grace: float = 2.0) -> None:
        try:
            await asyncio.wrap_future(self.submit_stop(grace))
        finally:
            self._stopped()

    def finish_start(self, listening: list[tuple[str, str, int]] | None, error: Any) -> None:
        """Record a start's outcome (for callers holding the future, not awaiting)."""
        if error is not None or listening is None:
            self._set_state(STOPPED)
            return
        self._set_listening(listening)
        self._set_state(RUNNING)

    def start_blocking(self, config: Config, base_dir: Path | None = None, timeout: float = 30) -> None:
        """Start and wait (a process start: imports, compile, bind; 0.4 s here when quiet)."""
        future = self.submit_start(config, base_dir)
        try:
            self.finish_start(future.result(timeout), None)
        except BaseException as exc:
            future.cancel()  # a start still under way ends its process: nothing left running
            self.finish_start(None, exc)
            raise

    def apply_blocking(self, config: Config, timeout: float = 30) -> None:
        self._set_listening(self.submit_apply(config).result(timeout))

    def stop_blocking(self, timeout: float = 10) -> None:
        if self._loop is not None and self.state != STOPPED:
            with contextlib.suppress(concurrent.futures.TimeoutError):
                self.submit_stop(min(timeout / 2, 2.0)).result(timeout)
        self._stopped()

    def start_demo_servers_blocking(self, timeout: float = 10) -> list[int]:
        """Start the tutorial's four web servers on the control loop; returns their ports."""
        ports: list[int] = self._submit(self._start_demo_servers()).result(timeout)
        return ports

    def shutdown(self, timeout: float = 10) -> None:
        """Stop the engine and end its thread; called from the main window's closeEvent,
        before the Qt event loop ends (anything awaited after aboutToQuit would fail)."""
        self.stop_blocking(timeout)
        if self._loop is not None and self._demo_servers:
            self._submit(self._stop_demo_servers()).result(timeout)
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)

    # -- observation (thread-safe engine calls returning plain data) ------------------------
    def stats(self) -> StatsSnapshot | None:
        """A fresh snapshot, blocking (up to the runner's timeout): tests and tools.
        The window reads ``latest_stats()`` instead."""
        engine = self._engine
        return engine.stats() if engine is not None and self.running else None

    def latest_stats(self) -> tuple[StatsSnapshot, float] | None:
        """The poller's latest snapshot and its arrival (monotonic s); never blocks.
        None while stopped, and until the first snapshot of a run arrives."""
        latest = self._latest
        return latest if latest is not None and self.running else None

    def drain_events(self, max_n: int = 1000) -> list[LogEvent]:
        engine = self._engine
        return engine.drain_events(max_n) if engine is not None else []

    def take_unlisted(self) -> int:
        """Events ``drain_events`` will never return, since the last call (sampled out
        under load, or dropped): the log says how many requests it did not list."""
        engine = self._engine
        return engine.take_unlisted() if engine is not None else 0

    def lost(self) -> str | None:
        """Why a running engine is gone without a Stop (killed, crashed); None: it is not."""
        engine = self._engine
        return engine.exit_reason() if engine is not None else None

    @property
    def engine(self) -> Runner | None:
        """The runner (its pid, runtime control); the what-if tester routes in-process."""
        return self._engine

    def call(self, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
        """Run a runner method (set_server_state, ...) on the control loop."""

        async def run() -> Any:
            result = fn(*args)
            return await result if inspect.isawaitable(result) else result

        return self._submit(run())

    # -- bookkeeping (GUI thread) ----------------------------------------------------------
    def _stopped(self) -> None:
        self._set_listening([])
        self._set_state(STOPPED)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def _set_listening(self, listening: list[tuple[str, str, int]]) -> None:
        if listening != self.listening:
            self.listening = listening
            self.listeningChanged.emit()
