"""The ``stats socket``: the common part of HAProxy's runtime API (CLI).

Theory of operation
-------------------
HAProxy's CLI in its default, non-interactive mode reads one line per
connection, runs the ``;``-separated commands on it, writes each answer
and closes.  Every answer ends with an empty line, so a client reading
until EOF or until a blank line works with both HAProxy and us.  ``prompt``
switches the connection to interactive mode (a ``> `` prompt, one line per
command, until ``quit``), as HAProxy does.

The server only uses the engine's public API (``stats()``,
``set_server_state()``, ``set_server_weight()``); answers and error messages
are HAProxy 2.6's words, captured from the real binary.  ``level`` follows
HAProxy: ``user`` and ``operator`` may look, only ``admin`` may change
server states and weights.

``reload`` re-reads and applies the configuration file, when whoever runs the
engine gave ``serve`` a *reloader* (``proxydesk run`` does; the engine itself
knows no files).  It needs level ``operator`` (it can only apply what the
owner's file already says) and answers as HAProxy 2.7+'s master CLI does:
``Success=1`` or ``Success=0``, a ``--`` line, then the messages (the located
diagnostics of a refused file).  It is how ``proxydesk reload`` works without
signals, on every platform.

Whoever runs the engine may serve *extra commands* of its own (``serve(...,
commands=..., streams=...)``; the engine knows none of them): a command
answers one text like any other, a *stream* takes the connection over and
writes until the client goes away (the desktop app's engine process streams
its log events that way, ``proxy.app.engine_child``).  Both need level
``admin`` and are listed by ``help`` with their own words.

``serve(..., secret=...)`` makes every connection prove it knows a shared
secret before anything else: its first line must be ``auth <secret>``
(compared in constant time); anything else gets one line saying so and the
connection closed, with nothing executed or streamed.  HAProxy has no such
thing and ``proxydesk run``'s ``stats socket`` never uses it: it is for a
socket whose only client is whoever started the engine (the desktop app's
engine process, whose control port is loopback TCP on Windows, where any
local user could connect).  A correct ``auth`` line gets no answer, so a
client writes it and its command together and reads the same answer as
without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from proxy import platform
from proxy.engine.stats import StatsSnapshot

__all__ = [
    "CliSession",
    "Command",
    "Extra",
    "Reloader",
    "RuntimeEngine",
    "Stream",
    "UnixSocketUnavailable",
    "parse_address",
    "serve",
]

_log = logging.getLogger("proxy.engine.runtime_api")
MAX_LINE = 65536
AUTH_TIMEOUT = 5.0  # seconds for a connection's ``auth`` line (a silent client is let go)
AUTH_REFUSED = b"Permission denied: this socket needs 'auth <secret>' as the first line\n"
LEVELS = ("user", "operator", "admin")

#: Re-read and apply the configuration: (applied?, the messages to show, one per line).
Reloader = Callable[[], Awaitable[tuple[bool, str]]]
#: An extra command: its arguments (the words after its name) -> the answer text.
Command = Callable[[list[str]], str]
#: An extra stream: its arguments and the connection, written until the client leaves.
Stream = Callable[[list[str], asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True)
class Extra:
    """A command (or stream) of the engine's owner: its words, help line and handler."""

    words: tuple[str, ...]
    usage: str
    description: str
    command: Command | None = None
    stream: Stream | None = None


class UnixSocketUnavailable(OSError):
    """A unix ``stats socket`` on a platform (or Python) without unix sockets."""


class RuntimeEngine(Protocol):
    """The part of ``Engine``'s public API the CLI uses."""

    def stats(self) -> StatsSnapshot: ...

    def set_server_state(self, backend: str, server: str, state: str) -> None: ...

    def set_server_weight(self, backend: str, server: str, weight: int) -> None: ...


# (usage, description, minimum level) in HAProxy's help layout.
_HELP: tuple[tuple[str, str, str], ...] = (
    ("disable server (DEPRECATED)", "disable a server for maintenance (use 'set server' instead)",
     "admin"),
    ("enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)", "admin"),
    ("get weight <bk>/<srv>", "report a server's current weight", "user"),
    ("set server <bk>/<srv> [opts]", "change a server's state, weight, address or ssl", "admin"),
    ("set weight <bk>/<srv>  (DEPRECATED)", "change a server's weight (use 'set server' instead)",
     "admin"),
    ("show backend", "list backends in the current running config", "user"),
    ("show info [desc|json|typed|float]*", "report information about the running process", "user"),
    ("show servers state [<backend>]", "dump volatile server information (all or for a single "
     "backend)", "user"),
    ("show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server",
     "user"),
    ("help [<command>]", "list matching or all commands", "user"),
    ("prompt", "toggle interactive mode with prompt", "user"),
    ("quit", "disconnect", "user"),
)
# Proxydesk's own (HAProxy 2.7+ has it on the master CLI), listed where it is served.
_RELOAD_HELP = ("reload", "re-read the configuration file and apply it (Success=1|0)", "operator")


class CommandError(Exception):
    """A command failed: the message is the CLI's answer (without the blank line)."""


def _help_lines(level: str, words: list[str] | None = None, *, reload: bool = False,
                extras: tuple[Extra, ...] = ()) -> str:
    allowed = LEVELS.index(level)
    own = tuple((e.usage, e.description, "admin") for e in extras)
    table = (*_HELP[:-3], *((_RELOAD_HELP,) if reload else ()), *own, *_HELP[-3:])
    lines = [
        f"  {usage:<39} : {text}\n"
        for usage, text, needed in table
        if LEVELS.index(needed) <= allowed
        and (not words or usage.split()[: len(words)] == words[: len(usage.split())])
    ]
    return "".join(lines)


def _split_target(word: str | None) -> tuple[str, str]:
    if not word or "/" not in word:
        raise CommandError("Require 'backend/server'.")
    backend, _, server = word.partition("/")
    return backend, server


@dataclass
class CliSession:
    """One connection's command interpreter (transport-free, so tests can drive it)."""

    engine: RuntimeEngine
    level: str = "admin"
    interactive: bool = False
    done: bool = False
    initial_weights: dict[tuple[str, str], int] = field(default_factory=dict)
    reloader: Reloader | None = None
    extras: tuple[Extra, ...] = ()

    def stream_for(self, line: str) -> tuple[Stream, list[str]] | None:
        """The extra stream ``line`` asks for, with its arguments (None: not a stream)."""
        words = line.split()
        for extra in self.extras:
            if extra.stream is not None and tuple(words[: len(extra.words)]) == extra.words:
                return extra.stream, words[len(extra.words):]
        return None

    async def run_line(self, line: str) -> str:
        """``execute_line`` where ``reload`` (which waits for the reloader) may appear too."""
        out = []
        for command in line.split(";"):
            words = command.split()
            if not words and not self.interactive:
                continue
            if words[:1] == ["reload"]:
                out.append(await self._reload(words[1:]))
            else:
                out.append(self.execute(words) if words else "")
            if self.done:
                break
        return "".join(out)

    async def _reload(self, args: list[str]) -> str:
        if self.reloader is None:
            return self.execute(["reload", *args])  # not served here: "Unknown command"
        if LEVELS.index(self.level) < LEVELS.index("operator"):
            return "Permission denied\n\n"
        applied, messages = await self.reloader()
        body = messages if not messages or messages.endswith("\n") else messages + "\n"
        return f"Success={1 if applied else 0}\n--\n{body}\n"

    def execute_line(self, line: str) -> str:
        """Run every ``;``-separated command of ``line``; the concatenated answers."""
        out = []
        for command in line.split(";"):
            words = command.split()
            if not words and not self.interactive:
                continue
            out.append(self.execute(words) if words else "")
            if self.done:
                break
        return "".join(out)

    def execute(self, words: list[str]) -> str:
        try:
            body = self._dispatch(words)
        except CommandError as exc:
            body = f"{exc}\n"
        if self.done:  # "quit" closes without a word
            return ""
        return (body or "") + "\n"  # every answer, even an empty one, ends with a blank line

    # -- dispatch ---------------------------------------------------------------
    def _dispatch(self, words: list[str]) -> str | None:
        handlers: dict[tuple[str, ...], Callable[[list[str]], str | None]] = {
            ("show", "stat"): self._show_stat,
            ("show", "info"): self._show_info,
            ("show", "backend"): self._show_backend,
            ("show", "servers", "state"): self._show_servers_state,
            ("disable", "server"): lambda args: self._set_state(args[:1], "maint"),
            ("enable", "server"): lambda args: self._set_state(args[:1], "ready"),
            ("set", "server"): self._set_server,
            ("set", "weight"): lambda args: self._set_weight(args[:1], args[1:2]),
            ("get", "weight"): self._get_weight,
            ("help",): lambda args: self._help(args),
            ("prompt",): self._prompt,
            ("quit",): self._quit,
        }
        for extra in self.extras:
            if extra.command is not None:
                handlers[extra.words] = self._admin_only(extra.command)
        for size in (3, 2, 1):
            handler = handlers.get(tuple(words[:size]))
            if handler is not None and len(words) >= size:
                return handler(words[size:])
        return (
            "Unknown command, but maybe one of the following ones is a better match:\n"
            + _help_lines(self.level, reload=self.reloader is not None, extras=self.extras)
        )

    def _admin_only(self, command: Command) -> Callable[[list[str]], str]:
        def run(args: list[str]) -> str:
            self._require_admin()
            return command(args)

        return run

    def _require_admin(self) -> None:
        if self.level != "admin":
            raise CommandError("Permission denied")

    def _snapshot(self) -> StatsSnapshot:
        snapshot = self.engine.stats()
        for row in snapshot.servers:  # remember configured weights for "N%" and "initial"
            self.initial_weights.setdefault((row.proxy, row.name), row.uweight or 0)
        return snapshot

    def _find_server(self, target: list[str]) -> tuple[str, str]:
        backend, server = _split_target(target[0] if target else None)
        snapshot = self._snapshot()
        if not any(r.proxy == backend for r in snapshot.backends):
            raise CommandError("No such backend.")
        if snapshot.find(backend, server) is None:
            raise CommandError("No such server.")
        return backend, server

    # -- show -------------------------------------------------------------------
    def _show_stat(self, args: list[str]) -> str:
        return self._snapshot().csv()

    def _show_info(self, args: list[str]) -> str:
        return self._snapshot().info_text()

    def _show_backend(self, args: list[str]) -> str:
        return "# name\n" + "".join(f"{r.proxy}\n" for r in self._snapshot().backends)

    def _show_servers_state(self, args: list[str]) -> str:
        """A reduced ``show servers state``: HAProxy's first columns, in its format."""
        snapshot = self._snapshot()
        if args and not any(r.proxy == args[0] for r in snapshot.backends):
            raise CommandError(f"Can't find backend '{args[0]}'.")
        lines = ["1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
                 "srv_uweight srv_iweight srv_time_since_last_change\n"]
        for row in snapshot.servers:
            if args and row.proxy != args[0]:
                continue
            host = (row.addr or "").rpartition(":")[0].strip("[]")
            op_state = 2 if row.status.startswith(("UP", "no check", "DRAIN")) else 0
            admin = 1 if row.status == "MAINT" else (8 if row.status.startswith("DRAIN") else 0)
            initial = self.initial_weights.get((row.proxy, row.name), row.uweight or 0)
            lines.append(f"{row.iid} {row.proxy} {row.sid} {row.name} {host} {op_state} {admin} "
                         f"{row.uweight} {initial} {row.lastchg}\n")
        return "".join(lines)

    # -- change -----------------------------------------------------------------
    def _set_state(self, target: list[str], state: str) -> None:
        self._require_admin()
        backend, server = self._find_server(target)
        self._apply(lambda: self.engine.set_server_state(backend, server, state))

    def _set_server(self, args: list[str]) -> None:
        self._require_admin()
        if len(args) < 2:
            raise CommandError(
                "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | "
                "agent-send | check-addr | check-port | fqdn | health | ssl | state | weight"
            )
        if args[1] == "weight":
            return self._set_weight(args[:1], args[2:3])
        if args[1] == "state":
            if len(args) < 3 or args[2] not in ("ready", "drain", "maint"):
                raise CommandError("'set server <srv> state' expects 'ready', 'drain' and 'maint'.")
            return self._set_state(args[:1], args[2])
        raise CommandError(f"'set server <srv> {args[1]}' is not supported by Proxydesk.")

    def _set_weight(self, target: list[str], value: list[str]) -> None:
        self._require_admin()
        backend, server = self._find_server(target)
        if not value:
            raise CommandError("Require <weight> or <weight%>.")
        weight = self._parse_weight(value[0], self.initial_weights[(backend, server)])
        self._apply(lambda: self.engine.set_server_weight(backend, server, weight))

    @staticmethod
    def _parse_weight(text: str, initial: int) -> int:
        """server.c server_parse_weight_change_request(): "N" absolute or "N%" of the initial."""
        digits = text.removesuffix("%")
        if not digits.isdigit():
            raise CommandError("Empty weight string empty or preceded by garbage")
        if text.endswith("%"):
            return min(256, initial * int(digits) // 100)
        if int(digits) > 256:
            raise CommandError("Absolute weight can only be between 0 and 256 inclusive.")
        return int(digits)

    def _apply(self, change: Callable[[], None]) -> None:
        try:
            change()
        except (KeyError, ValueError) as exc:
            raise CommandError(str(exc).strip("'\"") or type(exc).__name__) from exc

    def _get_weight(self, args: list[str]) -> str:
        backend, server = self._find_server(args[:1])
        row = self._snapshot().find(backend, server)
        assert row is not None
        return f"{row.uweight} (initial {self.initial_weights[(backend, server)]})\n"

    # -- session ----------------------------------------------------------------
    def _help(self, args: list[str]) -> str:
        reload = self.reloader is not None
        matching = _help_lines(self.level, args or None, reload=reload, extras=self.extras)
        if args and not matching:
            return "Unknown command, but maybe one of the following ones is a better match:\n" + (
                _help_lines(self.level, reload=reload, extras=self.extras)
            )
        return "The following commands are valid at this level:\n" + (matching or "")

    def _prompt(self, args: list[str]) -> None:
        self.interactive = not self.interactive
        return None

    def _quit(self, args: list[str]) -> None:
        self.done = True
        return None


# ------------------------------------------------------------------- transport


def parse_address(address: str) -> tuple[str, str | tuple[str, int]]:
    """``/path``, ``unix@/path``, ``ipv4@host:port``, ``ipv6@[::1]:port``, ``host:port``.

    Returns ("unix", path) or ("tcp", (host, port)).
    """
    prefix, at, rest = address.partition("@")
    if not at:
        prefix, rest = "", address
    if platform.is_unix_address(address):
        return "unix", rest
    if prefix not in ("", "ipv4", "ipv6", "tcp", "tcp4", "tcp6"):
        raise ValueError(f"unsupported stats socket address '{address}'")
    host, _, port = rest.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"missing port in stats socket address '{address}'")
    return "tcp", (host.strip("[]") or "127.0.0.1", int(port))


async def _handle(
    session: CliSession, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
    secret: bytes | None = None,
) -> None:
    try:
        if secret is not None and not await _authenticated(secret, reader, writer):
            return
        while not session.done:
            if session.interactive:
                writer.write(b"> ")
                await writer.drain()
            line = await reader.readline()
            if not line:
                break
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            stream = session.stream_for(text)
            if stream is not None:
                await _run_stream(session, stream, reader, writer)
                break
            writer.write((await session.run_line(text)).encode())
            await writer.drain()
            if not session.interactive:
                break
    except (ConnectionError, asyncio.LimitOverrunError, ValueError):
        pass  # a client that went away or sent an endless line: just close
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _authenticated(
    secret: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    """The connection's first line is ``auth <secret>``; else refuse it (see the docstring)."""
    try:
        line = await asyncio.wait_for(reader.readline(), AUTH_TIMEOUT)
    except TimeoutError:
        line = b""
    words = line.split()
    given = words[1] if len(words) == 2 and words[0] == b"auth" else b""
    if hmac.compare_digest(given, secret):
        return True
    writer.write(AUTH_REFUSED)
    await writer.drain()
    await _discard_until_end(reader, writer)
    return False


async def _discard_until_end(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Half-close, then swallow what the client still sends (unexecuted) until it closes too.

    Closing with unread input makes the kernel reset the connection, which can
    destroy the refusal before the client reads it; this bounds the wait instead."""
    with contextlib.suppress(OSError, NotImplementedError):
        writer.write_eof()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(AUTH_TIMEOUT):
            while await reader.read(MAX_LINE):
                pass


async def _run_stream(
    session: CliSession, stream: tuple[Stream, list[str]],
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
) -> None:
    if session.level != "admin":
        writer.write(b"Permission denied\n\n")
        return
    handler, args = stream
    await handler(args, reader, writer)


async def serve(
    engine: RuntimeEngine,
    address: str,
    *,
    mode: int = 0o600,
    level: str = "admin",
    reloader: Reloader | None = None,
    extras: tuple[Extra, ...] = (),
    secret: str | None = None,
) -> asyncio.Server:
    """Listen on ``address`` (a ``stats socket`` argument) and answer CLI commands.

    A unix socket is created with permissions ``mode`` (HAProxy's ``mode``
    parameter; 0600 by default here, so only the owner may drive servers)
    after removing a stale socket file; where unix sockets do not exist
    (Windows) that is ``UnixSocketUnavailable``, an OSError saying what to use
    instead.  ``reloader`` enables ``reload``; ``extras`` are the owner's own commands
    and streams; ``secret`` makes each connection begin with ``auth <secret>`` (see
    the module docstring).  The caller closes the returned server.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown stats socket level '{level}'")
    if secret is not None and secret.split() != [secret]:
        raise ValueError("a runtime socket's secret is one word, not empty")
    secret_bytes = secret.encode() if secret is not None else None

    # The engine's API has no "initial weight": remember each server's weight
    # when the socket opens (the configured one), shared by every connection.
    initial_weights: dict[tuple[str, str], int] = {}
    CliSession(engine, level, initial_weights=initial_weights)._snapshot()

    def on_client(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Awaitable[None]:
        session = CliSession(engine, level, initial_weights=initial_weights, reloader=reloader,
                             extras=extras)
        return _handle(session, reader, writer, secret_bytes)

    kind, where = parse_address(address)
    if kind == "tcp":
        assert isinstance(where, tuple)
        return await asyncio.start_server(on_client, where[0], where[1], limit=MAX_LINE)
    assert isinstance(where, str)
    if not platform.unix_sockets_available():
        raise UnixSocketUnavailable(f"stats socket {address}: {platform.UNIX_SOCKETS_UNAVAILABLE}")
    # Like HAProxy: bind a temporary name, set its mode, then rename it over
    # the final path, so the socket is never reachable with looser rights
    # and a stale socket file is replaced atomically.
    path = Path(where)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    server = await asyncio.start_unix_server(on_client, str(temporary), limit=MAX_LINE)
    try:
        platform.chmod(temporary, mode)
        platform.replace_file(temporary, path)
    except OSError:
        server.close()
        temporary.unlink(missing_ok=True)
        raise
    _log.debug("stats socket listening on %s", path)
    return server

