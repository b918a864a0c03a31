"""``proxydesk run FILE`` and ``proxydesk demo``: the engine without the app.

Theory of operation
-------------------
``run`` loads and validates the file (diagnostics as FILE:LINE:COL, like
``proxydesk check``), compiles it the way the engine will, and with
``--check-only`` stops there.  Otherwise it runs the ``Engine`` on uvloop
when installed (``asyncio.Runner(loop_factory=...)``: Python 3.11 has no
``asyncio.run(loop_factory=)``) and then only reacts to signals:

* SIGHUP re-reads the file; an invalid file (or a port in use) prints why
  and the previous config keeps serving -- ``Engine.apply`` is all or
  nothing;
* SIGTERM/SIGINT stop gracefully (in-flight requests get a grace period).

At start it prints one ``listening on HOST:PORT`` line per bound address on
stdout (``bind :0`` gets a real port; scripts and tests read it there).
Each request/connection is logged to stderr as HAProxy's ``httplog`` or
``tcplog`` line, batched once per loop iteration so that logging costs one
write per burst rather than one per request.

``demo`` starts the tutorial (``proxy.app.demo``) and prints the URLs to
try; without ``--headless`` it opens the app on the demo when a display is
there, and otherwise says so and serves headless instead of failing.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import re
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from proxy.app.demo import DEFAULT_LISTEN_PORT, Demo
from proxy.app.launch import open_app
from proxy.app.ports import PRIVILEGED_BELOW, low_port_help
from proxy.config.load import load
from proxy.config.model import Config, Diagnostic
from proxy.config.validate import BIND_PORT_ZERO
from proxy.engine.engine import Engine, EngineError
from proxy.engine.runtime import CompileError, compile_config
from proxy.engine.session import LogEvent
from proxy.engine.tasks import spawn

__all__ = ["cmd_demo", "cmd_run", "register"]

STOP_GRACE_S = 5.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run`` and ``demo`` to ``proxydesk``'s command tree."""
    run = subparsers.add_parser("run", help="run a haproxy.cfg on the embedded engine (headless)")
    run.add_argument("file", metavar="FILE")
    run.add_argument("--check-only", action="store_true",
                     help="validate and compile the file, then exit (1 on errors)")
    run.add_argument("--base-dir", help="where relative file names resolve (default: current directory)")
    run.add_argument("-q", "--quiet", action="store_true", help="do not log requests to stderr")
    run.set_defaults(func=cmd_run)

    demo = subparsers.add_parser("demo", help="HAProxy's four-server tutorial with demo servers")
    demo.add_argument("--headless", action="store_true", help="serve without opening the app")
    demo.add_argument("--port", type=int, default=DEFAULT_LISTEN_PORT,
                      help=f"the frontend's port (default {DEFAULT_LISTEN_PORT}; 0: any free port)")
    demo.add_argument("-q", "--quiet", action="store_true", help="do not log requests to stderr")
    demo.set_defaults(func=cmd_demo)


# ----------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"{args.file}:0:0: error: no such file", file=sys.stderr)
        return 1
    base_dir = Path(args.base_dir) if args.base_dir else Path.cwd()
    config = load_for_engine(path, base_dir)
    if config is None:
        return 1
    if args.check_only:
        print(f"{args.file}: configuration is valid", file=sys.stderr)
        return 0
    return run_async(_serve_file(path, base_dir, config, quiet=args.quiet))


def load_for_engine(path: Path, base_dir: Path, err: TextIO | None = None) -> Config | None:
    """The file's config when the engine can run it, else None; every diagnostic is printed."""
    err = err or sys.stderr
    result = load(path, base_dir=base_dir)
    diagnostics = [_engine_view(d) for d in result.diagnostics]
    for diagnostic in diagnostics:
        print(diagnostic, file=err)
    if any(d.is_error for d in diagnostics):
        return None
    try:
        compile_config(result.config, base_dir)
    except CompileError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=err)
        if not exc.diagnostics:
            print(f"{path}:0:0: error: {exc}", file=err)
        return None
    return result.config


def _engine_view(diagnostic: Diagnostic) -> Diagnostic:
    """HAProxy refuses ``bind ...:0``; the engine binds a free port there (as ``Engine`` does),
    so for ``run`` that error is only a warning."""
    if diagnostic.is_error and diagnostic.code == BIND_PORT_ZERO:
        return dataclasses.replace(
            diagnostic, severity="warning",
            message="port 0: the engine binds a free port (HAProxy would refuse this)",
        )
    return diagnostic


async def _serve_file(path: Path, base_dir: Path, config: Config, *, quiet: bool) -> int:
    engine = Engine(config, base_dir=base_dir)
    if not await _start(engine):
        return 1
    log = None if quiet else RequestLog(engine, sys.stderr)
    _print_listening(engine)
    reloading = asyncio.Lock()

    async def reload() -> None:
        async with reloading:  # two quick SIGHUPs apply one after the other
            await _reload(engine, path, base_dir)
            if log is not None:
                log.refresh_modes()

    await wait_for_stop(on_hangup=lambda: spawn(reload(), name="cli:reload"))
    await engine.stop(STOP_GRACE_S)
    return 0


async def _start(engine: Engine) -> bool:
    try:
        await engine.start()
    except EngineError as exc:
        _print_engine_error(exc, "cannot start")
        return False
    return True


async def _reload(engine: Engine, path: Path, base_dir: Path) -> None:
    print(f"proxydesk: SIGHUP: reloading {path}", file=sys.stderr, flush=True)
    config = load_for_engine(path, base_dir) if path.is_file() else None
    if config is None:
        print("proxydesk: reload refused; still serving the previous configuration",
              file=sys.stderr, flush=True)
        return
    try:
        await engine.apply(config)
    except EngineError as exc:
        _print_engine_error(exc, "reload refused; still serving the previous configuration")
        return
    print(f"proxydesk: reloaded {path}", file=sys.stderr, flush=True)
    _print_listening(engine)


def _print_engine_error(exc: EngineError, what: str) -> None:
    for diagnostic in exc.diagnostics:
        print(diagnostic, file=sys.stderr)
    print(f"proxydesk: {what}: {exc.message}", file=sys.stderr, flush=True)
    port = _refused_low_port(exc)
    if port is not None:
        for line in low_port_help(port):
            print(f"proxydesk: {line}", file=sys.stderr, flush=True)


def _refused_low_port(exc: EngineError) -> int | None:
    """The port of a bind refused for lack of privilege (EACCES) below 1024, else None.
    The engine raises "... cannot bind HOST:PORT (line N): ..." from the OSError."""
    cause = exc.__cause__
    if not isinstance(cause, PermissionError):
        return None
    found = re.search(r"cannot bind \S*:(\d+) ", exc.message)
    port = int(found.group(1)) if found else None
    return port if port is not None and 0 < port < PRIVILEGED_BELOW else None


def _print_listening(engine: Engine) -> None:
    for frontend, host, port in engine.listening:
        print(f"proxydesk: {frontend} listening on {host}:{port}", flush=True)


class RequestLog:
    """Log events to a stream as HAProxy's httplog/tcplog lines, one write per loop pass."""

    def __init__(self, engine: Engine, stream: TextIO) -> None:
        self._engine = engine
        self._stream = stream
        self._lines: list[str] = []
        self._loop = asyncio.get_running_loop()
        self._http: set[str] = set()
        self._logging: set[str] = set()
        self.refresh_modes()
        engine.subscribe(self)

    def refresh_modes(self) -> None:
        """Which frontends log (a "log" line applies, as in HAProxy) and which speak HTTP
        (their lines are httplog); call after a reload."""
        generation = self._engine.generation
        frontends = generation.frontends if generation is not None else []
        self._http = {f.name for f in frontends if f.mode == "http"}
        self._logging = {f.name for f in frontends if f.log_targets}

    def __call__(self, event: LogEvent) -> None:
        if event.frontend not in self._logging:
            return  # HAProxy logs nothing for a proxy without a "log" line
        if not self._lines:
            self._loop.call_soon(self._flush)
        http = event.frontend in self._http or event.status is not None
        self._lines.append(event.httplog() if http else event.tcplog())

    def _flush(self) -> None:
        lines, self._lines = self._lines, []
        self._stream.write("\n".join(lines) + "\n")
        self._stream.flush()


# ------------------------------------------------------------------------- signals


async def wait_for_stop(on_hangup: Callable[[], object] | None = None) -> None:
    """Return on SIGTERM/SIGINT; call ``on_hangup`` on SIGHUP (where the platform has it)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    handlers: dict[int, Callable[[], object]] = {signal.SIGTERM: stop.set, signal.SIGINT: stop.set}
    if on_hangup is not None and hasattr(signal, "SIGHUP"):
        handlers[signal.SIGHUP] = on_hangup
    installed: list[int] = []
    try:
        for signum, handler in handlers.items():
            try:
                loop.add_signal_handler(signum, handler)
                installed.append(signum)
            except (NotImplementedError, RuntimeError):  # Windows' loops have no signal support
                signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
        await stop.wait()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (headless speed); the default loop otherwise."""
    if sys.platform == "win32":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_async(main: Coroutine[Any, Any, int]) -> int:
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(main)


# ---------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    if not args.headless:
        status = open_app(["--demo"])
        if status is not None:
            return status
    return run_async(_serve_demo(args.port, quiet=args.quiet))


async def _serve_demo(port: int, *, quiet: bool) -> int:
    demo = Demo(listen_port=port)
    try:
        engine = await demo.start()
    except (EngineError, OSError) as exc:
        print(f"proxydesk: cannot start the demo: {exc}", file=sys.stderr, flush=True)
        return 1
    if not quiet:
        RequestLog(engine, sys.stderr)
    _print_demo_banner(demo)
    try:
        await wait_for_stop()
    finally:
        await demo.stop()
    return 0


def _print_demo_banner(demo: Demo) -> None:
    assert demo.engine is not None
    servers = ", ".join(
        f"server{i} 127.0.0.1:{s.sockets[0].getsockname()[1]}" for i, s in enumerate(demo.servers, 1)
    )
    lines = [
        "Proxydesk demo: HAProxy's four-server tutorial on the embedded engine",
        f"  demo web servers: {servers}",
        *(f"  {frontend} listening on {host}:{port}" for frontend, host, port in demo.engine.listening),
        "Try:",
        *(f"  {command}\n      -> {answer}" for command, answer in demo.try_these()),
        "Ctrl+C to stop.",
    ]
    print("\n".join(lines), flush=True)
