"""Runs the embedded engine on a thread of its own, with its own asyncio loop.

Theory of operation
-------------------
Measured (issue 5, item 7): a proxy on a dedicated thread with its own uvloop
loop served ~3x the requests of one sharing the qasync Qt loop, and kept
serving while the GUI repainted.  So ``EngineHost`` owns one daemon thread
running ``loop.run_forever()`` (uvloop where installed) and all engine calls
are coroutines submitted to that loop with ``run_coroutine_threadsafe``.  The
GUI either awaits them (``await host.start(...)`` on the qasync loop, through
``asyncio.wrap_future``) or gets a ``concurrent.futures.Future``
(``submit_*``) when no asyncio loop runs in the GUI thread (tests, closeEvent).

Nothing crosses the thread boundary but plain data: the config is handed over
as a private copy (re-parsed from its text, so later GUI edits never reach the
running engine), and stats and log events come back as the engine's immutable
snapshots, read on a ``QTimer`` in the GUI thread.  No Qt object is ever
touched from the engine thread: this module's signals are emitted by the GUI
thread only (the futures' results are picked up by ``poll``).

State machine: stopped -> starting -> running -> stopping -> stopped;
``apply`` keeps ``running`` whether it succeeds or is refused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import threading
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from proxy import platform
from proxy.config.model import Config
from proxy.config.parser import parse
from proxy.config.writer import write
from proxy.engine import Engine, EngineError, LogEvent

__all__ = ["EngineError", "EngineHost"]

STOPPED, STARTING, RUNNING, STOPPING = "stopped", "starting", "running", "stopping"


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


class EngineHost(QObject):
    stateChanged = Signal(str)
    listeningChanged = Signal()
    label = "Embedded engine"  # what the status bar calls the runner

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = STOPPED
        self.listening: list[tuple[str, str, int]] = []
        self._engine: Engine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._demo_servers: list[asyncio.Server] = []
        # document port -> the port the engine listens on instead (the demo, when its
        # ports are taken); kept until another document, so Apply and a new Start listen
        # where the first start did
        self.port_substitutes: dict[int, int] = {}

    # -- the engine thread --------------------------------------------------------------
    def _ensure_thread(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = _new_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                loop.close()

            self._thread = threading.Thread(target=run, name="proxydesk-engine", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_thread())

    # -- engine-side coroutines (run on the engine loop) ----------------------------------
    def _new_engine(self, config: Config, base_dir: Path | None) -> Engine:
        """The runner this host drives; ``HaproxyHost`` returns a real HAProxy instead."""
        return Engine(config, base_dir=base_dir)

    async def _start(self, config: Config, base_dir: Path | None) -> list[tuple[str, str, int]]:
        engine = self._new_engine(config, base_dir)
        await engine.start()
        engine.drain_events(0)  # the first drain switches the engine's event recording on
        self._engine = engine
        return list(engine.listening)

    async def _apply(self, config: Config) -> list[tuple[str, str, int]]:
        if self._engine is None:
            raise EngineError("the engine is not running")
        await self._engine.apply(config)
        return list(self._engine.listening)

    async def _stop(self, grace: float) -> None:
        engine, self._engine = self._engine, None
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

    def start_blocking(self, config: Config, base_dir: Path | None = None, timeout: float = 10) -> None:
        future = self.submit_start(config, base_dir)
        try:
            self.finish_start(future.result(timeout), None)
        except BaseException as exc:
            self.finish_start(None, exc)
            raise

    def apply_blocking(self, config: Config, timeout: float = 10) -> None:
        self._set_listening(self.submit_apply(config).result(timeout))

    def stop_blocking(self, timeout: float = 10) -> None:
        if self._loop is not None and self.state != STOPPED:
            with contextlib.suppress(concurrent.futures.TimeoutError):
                self.submit_stop(min(timeout / 2, 2.0)).result(timeout)
        self._stopped()

    def start_demo_servers_blocking(self, timeout: float = 10) -> list[int]:
        """Start the tutorial's four web servers on the engine loop; returns their ports."""
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
    def stats(self) -> Any | None:
        engine = self._engine
        return engine.stats() if engine is not None and self.running else None

    def drain_events(self, max_n: int = 1000) -> list[LogEvent]:
        engine = self._engine
        return engine.drain_events(max_n) if engine is not None else []

    def lost(self) -> str | None:
        """Why a running engine is gone without a Stop (None: it is not). The embedded
        engine lives in this process, so only an outside process can be lost."""
        return None

    @property
    def engine(self) -> Engine | None:
        """For ``route`` (pure computation over the compiled config) and runtime control."""
        return self._engine

    def call(self, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
        """Run a plain engine method (set_server_state, ...) on the engine loop."""

        async def run() -> Any:
            return fn(*args)

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
