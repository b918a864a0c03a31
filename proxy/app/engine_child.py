"""``python -m proxy.app.engine_child``: the desktop app's engine, in a process of its own.

Theory of operation
-------------------
Inside the app the engine used to share the GUI's interpreter, and so its GIL: a
repaint held the engine up (issue 12, item 5).  Now the app starts this module
as a child (``proxy.app.engine_process.EngineProcess``) and it runs the same
``Engine`` as ``proxydesk run`` does, on uvloop where there is one:

1. it reads the running copy the app wrote (``--config``; parsed under the name
   of the user's file, ``--name``, so diagnostics point at the user's lines);
2. it starts the engine -- recording its log events from *before* the start, so
   no request is missed -- and its private runtime socket (``--control``: a unix
   socket in the app's 0700 directory, or ``ipv4@127.0.0.1:0`` where there are
   no unix sockets; ``proxy.engine.runtime_api`` with ``reload`` and two
   commands of its own, ``show snapshot`` and ``stream events``), which takes
   a connection only after its ``auth <secret>`` line: the secret is the first
   line on stdin (``--auth-on-stdin``; see ``_read_secret`` for why stdin);
3. it says so in one JSON line on stdout (``proxy.app.engine_wire``): the
   listeners, the socket's real address, its pid -- or why it could not start,
   with located diagnostics, and exits 1.

Then it serves until one of: its stdin ends (the app closed it to stop it, or
the app died: the kernel closes a dead process's pipes, on every OS -- this is
the watchdog that leaves no orphan), SIGTERM/SIGINT, or, on Linux,
``PR_SET_PDEATHSIG`` (``platform.exit_with_parent``, an extra).  Before closing
stdin the app may write ``grace SECONDS``: in-flight requests get that long.
If a graceful stop hangs, the watchdog ends the process ``HARD_EXIT_S`` later.

``reload`` (the app writes the new text into the running copy first) answers
``Success=1|0`` with a JSON object of the message, the located diagnostics and
the listeners: a refused config changes nothing, the old one keeps serving.

Events are relayed in batches (``EventRelay``): the engine records them in its
own bounded deque, as it did for the in-process window; a timer drains it every
``FLUSH_S``, encodes the batch once and writes it to each streaming client.
A client whose socket buffer is full gets its batch dropped and counted, never
buffered without bound.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proxy import platform
from proxy.app import engine_wire as wire
from proxy.app.run_commands import run_async, wait_for_stop
from proxy.config.model import Config
from proxy.config.parser import parse
from proxy.engine import runtime_api
from proxy.engine.engine import Engine, EngineError
from proxy.engine.session import LogEvent

__all__ = ["EventRelay", "main"]

DEFAULT_GRACE_S = 2.0
HARD_EXIT_S = 5.0  # after the stop began, on top of the grace period
BACKLOG_EVENTS = 10_000  # kept while no client streams (the engine's own deque size)
MAX_BUFFERED = 8 * 1024 * 1024  # bytes queued for one client before its batches are dropped
MAX_SECRET_LINE = 1024  # the app's is 65 bytes


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m proxy.app.engine_child",
                                     description="the desktop app's engine process")
    parser.add_argument("--config", required=True, help="the running copy to serve")
    parser.add_argument("--name", help="the user's file name (diagnostics use it)")
    parser.add_argument("--base-dir", help="where relative file names resolve")
    parser.add_argument("--control", required=True, help="the runtime socket's address")
    parser.add_argument("--parent-pid", type=int, help="the app's pid (Linux: exit with it)")
    parser.add_argument("--sample-events", type=float, metavar="PER_S",
                        help="stream at most PER_S ordinary and PER_S notable events a second "
                             "(the rest are counted); default: every event")
    parser.add_argument("--auth-on-stdin", action="store_true",
                        help="the first line on stdin is the control socket's secret")
    return parser.parse_args(argv)


@dataclass
class _Client:
    writer: asyncio.StreamWriter
    binary: bool  # marshal frames (the app) or JSON lines (people, tools)
    dropped: int = 0


class EventRelay:
    """The engine's log events to every ``stream events`` client, in batches.

    The engine records its events in its own bounded deque (``drain_events``: a C-level
    append per request, no Python call); every ``FLUSH_S`` a timer drains it, encodes
    the batch once and writes it to each client.  Until the first client comes, the
    deque keeps the backlog (the engine's last 10,000 events)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._clients: list[_Client] = []
        self._timer: asyncio.TimerHandle | None = None
        self._unrecorded_sent = 0
        engine.drain_events(0)  # the first drain switches the engine's recording on

    def _flush_later(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(wire.FLUSH_S, self._flush)

    def _flush(self) -> None:
        events = self._engine.drain_events(BACKLOG_EVENTS)
        unrecorded = self._engine.events_unrecorded
        if events or unrecorded != self._unrecorded_sent:  # a new count is news too
            self._unrecorded_sent = unrecorded
            for client in self._clients:
                self._send(client, events)
        if self._clients:
            self._flush_later()

    def _send(self, client: _Client, events: list[LogEvent]) -> None:
        if client.writer.transport.get_write_buffer_size() > MAX_BUFFERED:
            client.dropped += len(events)
        elif client.binary:
            not_sent = client.dropped + self._unrecorded_sent
            client.writer.write(wire.event_frame(not_sent, events))
        else:
            client.writer.write((json.dumps(events, separators=(",", ":")) + "\n").encode())

    async def stream(self, args: list[str], reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        """``stream events [json|marshal]``: every event from now on (and the backlog)."""
        client = _Client(writer, binary=args[:1] == ["marshal"])
        self._clients.append(client)
        if self._timer is None or self._timer.cancelled():
            self._flush()  # the backlog at once, then every FLUSH_S
        try:
            while await reader.read(4096):  # nothing is expected: wait for the client to leave
                pass
        except ConnectionError:
            pass
        finally:
            self._clients.remove(client)
            if not self._clients and self._timer is not None:
                self._timer.cancel()

    def close(self) -> None:
        """End every stream (the engine stops): the clients see the end of the stream."""
        if self._timer is not None:
            self._timer.cancel()
        for client in list(self._clients):
            client.writer.close()


# ------------------------------------------------------------------------------ stop


class _Watchdog:
    """Stdin's end (the app closed it, or died) stops the engine; see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        self.grace = DEFAULT_GRACE_S
        self._loop, self._stop = loop, stop
        threading.Thread(target=self._watch, name="engine-child:stdin", daemon=True).start()

    def _watch(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            for raw in _raw_stdin():  # blocks without the GIL until a line or the end
                words = raw.split()
                if words[:1] == [b"grace"] and len(words) == 2:
                    with contextlib.suppress(ValueError):
                        self.grace = max(0.0, float(words[1]))
        self._loop.call_soon_threadsafe(self._stop.set)
        self.hard_exit_later()

    def hard_exit_later(self) -> None:
        timer = threading.Timer(self.grace + HARD_EXIT_S, os._exit, args=(3,))
        timer.daemon = True
        timer.start()


def _raw_stdin() -> io.RawIOBase:
    """Stdin without ``sys.stdin``'s buffer: a thread blocked in that buffer holds its lock,
    and an exit while it does (a refused start, a signal) aborts the interpreter (SIGABRT,
    "could not acquire lock ... at interpreter shutdown").  Unbuffered, a line read here
    also takes no byte of the next one."""
    return open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)


# ------------------------------------------------------------------------------ serve


def _load(args: argparse.Namespace) -> Config:
    text = Path(args.config).read_bytes().decode("utf-8", "surrogateescape")
    return parse(text, args.name or args.config).config


def _report(**fields: Any) -> None:
    print(json.dumps(fields, separators=(",", ":")), flush=True)


def _failure(exc: EngineError) -> dict[str, Any]:
    return {"message": exc.message, "diagnostics": wire.encode_diagnostics(exc.diagnostics)}


async def _serve(args: argparse.Namespace) -> int:
    base_dir = Path(args.base_dir) if args.base_dir else None
    engine = Engine(_load(args), base_dir=base_dir)
    if args.sample_events is not None:
        engine.sample_events(args.sample_events, wire.EVENTS_BURST)
    relay = EventRelay(engine)
    reloading = asyncio.Lock()

    async def reload() -> tuple[bool, str]:
        async with reloading:
            try:
                await engine.apply(_load(args))
            except EngineError as exc:
                return False, json.dumps(_failure(exc))
            except OSError as exc:
                return False, json.dumps({"message": f"cannot read the running copy: {exc}"})
            return True, json.dumps({"message": "applied", "listening": engine.listening,
                                     "warnings": wire.encode_diagnostics(engine.warnings)})

    engine.reloader = reload
    stop = asyncio.Event()
    watchdog = _Watchdog(asyncio.get_running_loop(), stop)
    try:
        await engine.start()
    except EngineError as exc:
        _report(ready=False, **_failure(exc))
        return 1
    try:
        control = await _open_control(engine, args.control, reload, relay, args.secret)
    except (OSError, ValueError) as exc:
        await engine.stop(0)
        _report(ready=False, message=f"cannot open the engine's control socket: {exc}")
        return 1
    _report(ready=True, pid=os.getpid(), control=control[1], listening=engine.listening,
            warnings=wire.encode_diagnostics(engine.warnings))
    try:
        stopped = asyncio.ensure_future(stop.wait())
        signalled = asyncio.ensure_future(wait_for_stop())
        await asyncio.wait((stopped, signalled), return_when=asyncio.FIRST_COMPLETED)
        if not stop.is_set():  # a signal, not the watchdog: bound the stop as well
            watchdog.hard_exit_later()
        for task in (stopped, signalled):
            task.cancel()
    finally:
        control[0].close()
        await engine.stop(watchdog.grace)
        relay.close()
        await asyncio.sleep(0.01)  # the streams see their end and return before the loop does
    return 0


async def _open_control(
    engine: Engine, address: str, reload: runtime_api.Reloader, relay: EventRelay,
    secret: str | None,
) -> tuple[asyncio.Server, str]:
    """The runtime socket; every connection must ``auth`` first when there is a secret.

    The app always gives one, unix socket or not: its 0700 directory would do there,
    but one code path means the POSIX lane tests what Windows relies on.  Loopback
    TCP without one is refused: any local user could reload, stop servers and read
    every request's URL, and the app decodes the stream's marshal frames."""
    if secret is None and runtime_api.parse_address(address)[0] == "tcp":
        raise ValueError(f"{address} is reachable by every local user: it needs --auth-on-stdin")
    extras = (
        runtime_api.Extra(("show", "snapshot"), "show snapshot",
                          "every counter as one JSON object (Proxydesk's own)",
                          command=lambda _args: wire.snapshot_to_json(engine.stats()) + "\n"),
        runtime_api.Extra(("stream", "events"), "stream events [json|marshal]",
                          "every log event from now on, until you disconnect (Proxydesk's own)",
                          stream=relay.stream),
    )
    server = await runtime_api.serve(engine, address, reloader=reload, extras=extras,
                                     secret=secret)
    if runtime_api.parse_address(address)[0] == "tcp":
        address = f"ipv4@127.0.0.1:{server.sockets[0].getsockname()[1]}"
    return server, address


def _read_secret() -> str | None:
    """The control socket's secret: the first line the app writes on stdin, before any other.

    Not the command line: every user sees it in process listings.  Not the
    environment either, although other users cannot read it: it would be inherited by
    whatever the engine starts and sit readable in the process for its whole life;
    the stdin pipe joins exactly the app and this process, and the line is read
    once.  The rest of stdin stays the watchdog's (``grace N``, then its end)."""
    line = _raw_stdin().readline(MAX_SECRET_LINE)
    secret = line.strip().decode("ascii", "replace")
    return secret if line.endswith(b"\n") and secret.split() == [secret] else None


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    args.secret = _read_secret() if args.auth_on_stdin else None
    if args.auth_on_stdin and args.secret is None:
        _report(ready=False, message="no control socket secret on stdin (the app is gone?)")
        return 1
    if args.parent_pid:
        platform.exit_with_parent(args.parent_pid)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="proxydesk engine: %(levelname)s: %(message)s")
    try:
        return run_async(_serve(args))
    except OSError as exc:  # the running copy is unreadable
        _report(ready=False, message=f"cannot read {args.config}: {exc}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
