"""``proxydesk run FILE`` and ``proxydesk demo``: the engine without the app.

Theory of operation
-------------------
``run`` loads and validates the file (diagnostics as FILE:LINE:COL, like
``proxydesk check``), compiles it the way the engine will, and with
``--check-only`` stops there.  Otherwise it runs the ``Engine`` on uvloop
when installed and the platform has it (``proxy.platform.loop_factory``;
``asyncio.Runner(loop_factory=...)``: Python 3.11 has no
``asyncio.run(loop_factory=)``) and then reloads on any of three triggers,
all through one path (``_reload``, one at a time):

* the file changed (polled, see ``FileFollower``): no signal needed, so
  Windows too;
* ``proxydesk reload [FILE]``: the ``reload`` command on the instance's
  control socket (``proxy.app.instances`` says how it is found), or on a
  ``stats socket`` of the config;
* SIGHUP, where the platform has it.

An invalid file (or a port in use) prints why, located, and the previous
config keeps serving -- ``Engine.apply`` is all or nothing; ``reload`` gets
the same words back.  SIGTERM/SIGINT stop gracefully (in-flight requests get
a grace period).

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
import contextlib
import dataclasses
import hashlib
import io
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from proxy import platform
from proxy.app import instances
from proxy.app.demo import DEFAULT_LISTEN_PORT, Demo, listen_port
from proxy.app.launch import open_app
from proxy.app.ports import PRIVILEGED_BELOW, low_port_help
from proxy.config.load import load
from proxy.config.model import Config, Diagnostic
from proxy.config.validate import BIND_PORT_ZERO
from proxy.engine import native, runtime_api
from proxy.engine.engine import Engine, EngineError
from proxy.engine.runtime import CompileError, compile_config
from proxy.engine.session import LogEvent
from proxy.engine.tasks import spawn

__all__ = ["FileFollower", "cmd_demo", "cmd_reload", "cmd_run", "register", "register_reload"]

STOP_GRACE_S = 5.0
FOLLOW_POLL_S = 0.5  # how often 'run' looks at its file
RELOAD_TIMEOUT_S = 30.0  # 'proxydesk reload' waits this long for the answer
REFUSED = "reload refused; still serving the previous configuration"


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
    demo.add_argument("--port", type=listen_port, default=DEFAULT_LISTEN_PORT,
                      help=f"the frontend's port (default {DEFAULT_LISTEN_PORT}; 0: any free port)")
    demo.add_argument("-q", "--quiet", action="store_true", help="do not log requests to stderr")
    demo.set_defaults(func=cmd_demo)


def register_reload(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``reload`` to ``proxydesk``'s command tree."""
    reload = subparsers.add_parser(
        "reload", help="make a running 'proxydesk run' re-read its file (no signal needed)")
    reload.add_argument("file", metavar="FILE", nargs="?",
                        help="the file it serves (default: the only running instance)")
    reload.set_defaults(func=cmd_reload)


# ----------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"{args.file}:0:0: error: no such file", file=sys.stderr)
        return 1
    base_dir = Path(args.base_dir) if args.base_dir else Path.cwd()
    said: set[tuple[str, int, str]] = set()
    config = load_for_engine(path, base_dir, said=said)
    if config is None:
        return 1
    if args.check_only:
        print(f"{args.file}: configuration is valid", file=sys.stderr)
        return 0
    return run_async(_serve_file(path, base_dir, config, quiet=args.quiet, said=said))


def load_for_engine(path: Path, base_dir: Path, err: TextIO | None = None,
                    said: set[tuple[str, int, str]] | None = None) -> Config | None:
    """The file's config when the engine can run it, else None; every diagnostic is printed
    (and its ``_said_key`` added to ``said``)."""
    err = err or sys.stderr
    result = load(path, base_dir=base_dir)
    diagnostics = [_engine_view(d) for d in result.diagnostics]
    for diagnostic in diagnostics:
        print(diagnostic, file=err)
        if said is not None:
            said.add(_said_key(diagnostic))
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


def _said_key(diagnostic: Diagnostic) -> tuple[str, int, str]:
    """What makes two diagnostics say the same thing: the checker warns at an option's word,
    the engine's TLS loader at its line."""
    return diagnostic.path, diagnostic.line, diagnostic.message


def _print_engine_warnings(engine: Engine, said: set[tuple[str, int, str]], out: TextIO) -> None:
    """The running config's warnings (Engine.warnings: what the engine leaves out of it), as
    HAProxy prints its [WARNING] lines when it starts, minus what the checker just printed.
    They are kept with --quiet, which silences the request log only: HAProxy's -q silences
    every startup message (haproxy 2.6 `-q -f` prints no [WARNING]), but here a warning is
    the one place that says what the engine does not do, and the checker's warnings, printed
    before it, were never silenced either."""
    for warning in sorted(engine.warnings, key=lambda d: (d.line, d.col)):
        if _said_key(warning) not in said:
            said.add(_said_key(warning))
            print(warning, file=out)
    out.flush()


async def _serve_file(path: Path, base_dir: Path, config: Config, *, quiet: bool,
                      said: set[tuple[str, int, str]] | None = None) -> int:
    engine = Engine(config, base_dir=base_dir)
    follower = FileFollower(path)
    reloading = asyncio.Lock()
    log: RequestLog | None = None

    async def reload(why: str) -> tuple[bool, str]:
        async with reloading:  # two quick triggers apply one after the other
            follower.mark()  # what this reload reads: the watcher need not fire for it again
            result = await _reload(engine, path, base_dir, why)
            if log is not None:
                log.refresh_modes()
            return result

    engine.reloader = lambda: reload("reload command")
    if not await _start(engine):
        return 1
    _print_engine_warnings(engine, said if said is not None else set(), sys.stderr)
    log = None if quiet else RequestLog(engine, sys.stderr)
    # published before "listening" is printed: once a script sees it, 'reload' finds us
    control = await _open_control(engine, path, lambda: reload("reload command"))
    _print_listening(engine)
    watcher = spawn(follower.follow(lambda: reload("file changed")), name="cli:follow")
    try:
        await wait_for_stop(on_hangup=lambda: spawn(reload("SIGHUP"), name="cli:reload"))
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        if control is not None:
            server, instance = control
            server.close()
            instances.withdraw(instance)
        await engine.stop(STOP_GRACE_S)
    return 0


async def _open_control(
    engine: Engine, path: Path, reloader: runtime_api.Reloader
) -> tuple[asyncio.Server, instances.Instance] | None:
    """The control socket ``proxydesk reload`` talks to, and its published record; None (with
    a warning) when it cannot be set up -- the proxy serves anyway, reloading on file changes."""
    try:
        address, secret = instances.control_address(path), instances.new_secret()
        server = await runtime_api.serve(engine, address, level="operator", reloader=reloader,
                                         secret=secret)
        if runtime_api.parse_address(address)[0] == "tcp":
            address = f"ipv4@127.0.0.1:{server.sockets[0].getsockname()[1]}"
        try:
            return server, instances.publish(path, address, secret)
        except BaseException:
            server.close()
            raise
    except OSError as exc:
        print(f"proxydesk: warning: 'proxydesk reload' cannot reach this instance ({exc}); "
              "it still reloads when the file changes", file=sys.stderr, flush=True)
        return None


class FileFollower:
    """Notices that the served file changed: polls (mtime, size, SHA-256) every FOLLOW_POLL_S.

    Polling, not inotify/FSEvents/ReadDirectoryChangesW: the standard library has none
    of them and ``watchfiles`` is not a dependency; a stat and a read of a small file
    twice a second cost nothing, behave the same on every OS, and also see changes on
    network and container file systems where change notification is unreliable.  The
    hash catches same-size edits within the file system's mtime granularity (1-2 s on
    some).  A change is applied once it has held still for one poll, so an editor that
    saves in two steps (truncate, then write) is read whole, not refused half-written.
    Only the file itself is watched, not the certificates or maps it names."""

    def __init__(self, path: Path, interval: float = FOLLOW_POLL_S) -> None:
        self.path = path
        self.interval = interval
        self.seen = self._fingerprint()

    def _fingerprint(self) -> tuple[int, int, str] | None:
        try:
            status = self.path.stat()
            digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None  # missing for a moment (a rename in progress) or gone
        return status.st_mtime_ns, status.st_size, digest

    def mark(self) -> None:
        """The file as it is now has been (or is being) applied."""
        self.seen = self._fingerprint()

    async def follow(self, on_change: Callable[[], Awaitable[object]]) -> None:
        pending: tuple[int, int, str] | None = None
        changed = False
        while True:
            await asyncio.sleep(self.interval)
            now = self._fingerprint()
            if now == self.seen:
                changed = False
                continue
            if not changed or now != pending:  # first sight, or still moving: wait a poll
                pending, changed = now, True
                continue
            changed = False
            await on_change()  # marks what it reads


async def _start(engine: Engine) -> bool:
    try:
        await engine.start()
    except EngineError as exc:
        _print_engine_error(exc, "cannot start")
        return False
    return True


async def _reload(engine: Engine, path: Path, base_dir: Path, why: str) -> tuple[bool, str]:
    """Re-read ``path`` and apply it, or refuse it and keep serving: (applied, the messages).
    The messages are printed to stderr too, so the log shows what a reload client saw."""
    print(f"proxydesk: {why}: reloading {path}", file=sys.stderr, flush=True)
    report = io.StringIO()
    applied = False
    said: set[tuple[str, int, str]] = set()
    if not path.is_file():
        print(f"{path}:0:0: error: no such file", file=report)
        config = None
    else:
        config = load_for_engine(path, base_dir, report, said)
    if config is None:
        print(f"proxydesk: {REFUSED}", file=report)
    else:
        try:
            await engine.apply(config)
        except EngineError as exc:
            _print_engine_error(exc, REFUSED, report)
        else:
            _print_engine_warnings(engine, said, report)
            print(f"proxydesk: reloaded {path}", file=report)
            applied = True
    messages = report.getvalue()
    sys.stderr.write(messages)
    sys.stderr.flush()
    if applied:
        _print_listening(engine)
    return applied, messages


def _print_engine_error(exc: EngineError, what: str, out: TextIO | None = None) -> None:
    out = out or sys.stderr
    for diagnostic in exc.diagnostics:
        print(diagnostic, file=out)
    print(f"proxydesk: {what}: {exc.message}", file=out, flush=True)
    port = _refused_low_port(exc)
    if port is not None:
        for line in low_port_help(port):
            print(f"proxydesk: {line}", file=out, flush=True)


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
    build = native.status()
    if build.active:  # said when it is not the plain .py files, so no one measures it unknowingly
        print(f"proxydesk: {native.describe(build)}", file=sys.stderr, flush=True)
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
    hangup = platform.reload_signal()
    if on_hangup is not None and hangup is not None:
        handlers[hangup] = on_hangup
    installed: list[int] = []
    previous: dict[int, Any] = {}
    try:
        for signum, handler in handlers.items():
            if platform.loop_signal_handlers():
                try:
                    loop.add_signal_handler(signum, handler)
                    installed.append(signum)
                    continue
                except (NotImplementedError, RuntimeError):  # a loop without signal support
                    pass
            if signum in (signal.SIGTERM, signal.SIGINT):  # Windows: through signal.signal
                previous[signum] = signal.signal(
                    signum, lambda *_: loop.call_soon_threadsafe(stop.set))
        await stop.wait()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_async(main: Coroutine[Any, Any, int]) -> int:
    with asyncio.Runner(loop_factory=platform.loop_factory()) as runner:
        return runner.run(main)


# -------------------------------------------------------------------------- reload


def cmd_reload(args: argparse.Namespace) -> int:
    return run_async(_reload_instance(Path(args.file) if args.file else None))


async def _reload_instance(path: Path | None) -> int:
    found = instances.find(path)
    if not found:
        what = f"'{path}'" if path is not None else "any file"
        print(f"proxydesk: reload: no 'proxydesk run' serves {what} (none is running, or it "
              f"was started by another user; records in {instances.runtime_dir()})",
              file=sys.stderr)
        return 1
    if len(found) > 1:
        listed = "".join(f"\n  {i.config} (pid {i.pid})" for i in found)
        print(f"proxydesk: reload: several instances run; name the file:{listed}", file=sys.stderr)
        return 1
    instance = found[0]
    try:
        answer = await instances.request(instance.control, "reload", RELOAD_TIMEOUT_S,
                                         instance.secret)
    except (ConnectionRefusedError, FileNotFoundError):
        instance.record.unlink(missing_ok=True)
        print(f"proxydesk: reload: no 'proxydesk run' serves '{instance.config}' any more "
              f"(pid {instance.pid} is gone; its record was removed)", file=sys.stderr)
        return 1
    except (OSError, TimeoutError) as exc:
        print(f"proxydesk: reload: cannot reach the instance serving '{instance.config}' "
              f"(pid {instance.pid}) at {instance.control}: {exc or 'timed out'}", file=sys.stderr)
        return 1
    status, _, rest = answer.partition("\n")
    messages = rest.removeprefix("--\n").rstrip("\n")
    if messages:
        print(messages, file=sys.stderr)
    if status == "Success=1":
        return 0
    if status != "Success=0":  # not our protocol: say what came back
        print(f"proxydesk: reload: unexpected answer from {instance.control}: {answer!r}",
              file=sys.stderr)
    return 1


# ---------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    if not args.headless:
        status = open_app(["--demo", "--port", str(args.port)])
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
