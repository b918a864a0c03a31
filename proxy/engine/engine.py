"""The engine: listeners, hot reload, health checks, log events and the what-if router.

Theory of operation
-------------------
``Engine`` owns *listeners* keyed by (host, port).  A listener is one
asyncio server plus a mutable pointer to the frontend that currently owns
the address; each accepted connection captures that frontend (and through it
the whole compiled generation) for its lifetime.

``apply(new_config)`` is therefore a pointer swap done in a careful order:

1. compile the new config (``runtime.compile_config``) -- a bad config is
   refused here, before any socket is touched;
2. bind every address that is new -- if one fails (port in use) the ones
   just bound are closed and the old config keeps serving untouched;
3. point reused listeners at their new frontend (the same socket keeps
   accepting, so no connection is ever refused during a reload; portable,
   no SO_REUSEPORT needed);
4. close the listeners whose address is gone (accepted connections live on);
5. swap health checkers and the stats sockets.

In-flight requests and open connections hold references to the old
generation's objects and finish on them; the old generation is garbage once
the last of them ends.

``stop(grace)`` closes the listeners, closes idle keep-alive connections at
once, waits up to ``grace`` seconds for the busy ones and aborts the rest.

The engine binds each listening socket itself and gives asyncio servers
*dups* of it: a ``bind ... ssl`` is served by ``create_server(ssl=<the
bind's TlsTerminator.context>)``, and since an asyncio server's SSL context
is fixed, a reload puts a new server with the new context on a dup of the
same socket before closing the old one (new certificates, same port, no
refused connection).  TLS binds and frontends with ``maxconn`` hand their
connections to ``admission.py`` (the ``maxconn`` gate, the per-connection
``TlsInfo``); ``accept-proxy`` binds get their own protocol factory (the PROXY
header reader, then the gate), so a reload that adds or drops it renews the
server; other connections go straight to their session.

Threads: the engine lives on one loop.  ``stats()`` and ``drain_events()``
may be called from any thread (the GUI's): off the loop, ``stats()`` builds
the snapshot *on* the loop (``call_soon_threadsafe`` + a bounded wait), so it
never reads counters half-updated; ``drain_events()`` only pops from a deque
(atomic in CPython) and switches recording on through the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proxy import platform
from proxy.config.model import Config, Diagnostic
from proxy.config.validate import BIND_PORT_ZERO, validate
from proxy.engine import dispatch, health, pool
from proxy.engine.acl import RequestContext
from proxy.engine.admission import Admission, Gate, ProxyAdmission
from proxy.engine.balance import request_key
from proxy.engine.http import HttpSession
from proxy.engine.runtime import (
    Backend,
    BindAddress,
    CompileError,
    Frontend,
    Generation,
    RuntimeServer,
    compile_config,
)
from proxy.engine.session import EventSampler, Hub, LogEvent, SessionBase, Timings, host_text
from proxy.engine.tasks import spawn
from proxy.engine.tcp import TcpSession
from proxy.engine.tls import TlsTerminator

if TYPE_CHECKING:
    from proxy.engine.runtime_api import Reloader
    from proxy.engine.stats import StatsSnapshot

__all__ = ["Engine", "EngineError", "LogEvent", "RouteDecision", "Timings"]

_log = logging.getLogger("proxy.engine")
_SERVER_STATES = {"ready": (False, False), "drain": (False, True), "maint": (True, None)}
_STATS_WAIT = 2.0  # seconds another thread waits for the loop to build a snapshot
_BACKLOG = 1024


class EngineError(Exception):
    """Starting or reloading failed; the previous state (if any) is untouched."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics or []


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """What the engine would do with a request (``Engine.route``, the what-if tester)."""

    frontend: str
    outcome: str  # "backend" | "deny" | "redirect" | "return" | "reject" | "none"
    rule: str  # the rule that decided, with its line
    matched_acls: tuple[str, ...]
    fired_rules: tuple[str, ...]  # every http-request rule whose condition held, in order
    backend: str | None = None
    server: str | None = None
    status: int | None = None
    location: str | None = None
    request_headers: tuple[tuple[str, str], ...] = ()  # after the header rules ran


@dataclass(eq=False)
class _Listener:
    """One bound address.  The engine owns the listening socket; asyncio servers get dups of
    it, so a reload can put a new server (a new TLS context) on the very same socket."""

    bind: BindAddress
    frontend: Frontend
    sock: socket.socket | None = None
    server: asyncio.AbstractServer | None = None
    port: int = 0
    # the local address of every connection accepted here, when the bind names one host
    # (None for wildcard binds): sessions then skip a getsockname() syscall per connection
    local: tuple[str, int] | None = None

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        if self.sock is not None:
            self.sock.close()


def _listener_key(frontend: Frontend, index: int, bind: BindAddress,
                  v6only: bool | None) -> tuple[Any, ...]:
    """An address identifies a listener; "port 0" ones are told apart by frontend and position,
    so a reload keeps the ephemeral port the tests (and the demo) already know."""
    if bind.port:
        return bind.host, bind.port, v6only
    return bind.host, 0, frontend.name, index, v6only


def _v6only(bind: BindAddress, ipv4_ports: set[int]) -> bool | None:
    """``IPV6_V6ONLY`` for a listener, as HAProxy sets it: on with ``v6only``, off with
    ``v4v6``, else the system's default (Linux and macOS: ``bind :::80`` takes IPv4 too).
    HAProxy's listeners share a port (SO_REUSEPORT); where the config also listens on IPv4
    on the same port, the engine makes the IPv6 wildcard IPv6-only instead, so both bind and
    the IPv4 listener gets the IPv4 clients.  None: leave the system's default."""
    words = {option[0] for option in bind.options if option}
    if "v6only" in words:
        return True
    if "v4v6" in words:
        return False
    if ":" in bind.host and bind.port in ipv4_ports:
        return True
    return None


def _ipv4_ports(generation: Generation) -> set[int]:
    return {bind.port for frontend in generation.frontends for bind in frontend.binds
            if bind.port and ":" not in bind.host}


class Engine:
    """Runs one config; see the module docstring for reload semantics."""

    def __init__(self, config: Config, *, base_dir: Path | None = None) -> None:
        self._config = config
        self._base_dir = base_dir
        self._generation: Generation | None = None
        self._listeners: dict[tuple[Any, ...], _Listener] = {}
        self._hub = Hub()
        self._hub.stats_provider = self.stats
        self._checkers: list[health.HealthChecker] = []
        self._stats_servers: list[asyncio.AbstractServer] = []
        self._started_at = time.time()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._hub.on_leave = self._session_left
        #: What ``reload`` on a ``stats socket`` calls (set by whoever knows the file:
        #: ``proxydesk run``); None: the command is not offered.
        self.reloader: Reloader | None = None

    # -- life cycle ------------------------------------------------------------------
    async def start(self) -> None:
        if self._generation is not None:
            raise EngineError("the engine is already running")
        self._loop = asyncio.get_running_loop()
        generation = self._compile(self._config)
        self._listeners = await self._bind_all(generation, {})
        self._generation = generation
        self._started_at = time.time()
        self._start_checks(generation)
        await self._start_stats_sockets(generation)
        self._sweeper = spawn(self._sweep_idle(), name="engine:pool-sweeper")

    async def apply(self, config: Config) -> None:
        if self._generation is None:
            raise EngineError("the engine is not running")
        generation = self._compile(config)
        old = self._listeners
        new_listeners = await self._bind_all(generation, old)
        for key, listener in old.items():
            if key not in new_listeners:
                listener.close()
        self._listeners = new_listeners
        previous = self._generation
        self._generation, self._config = generation, config
        await self._stop_checks()
        self._start_checks(generation)
        await self._stop_stats_sockets()
        await self._start_stats_sockets(generation)
        pool.close_all(previous.servers())

    async def stop(self, grace: float = 5.0) -> None:
        for listener in self._listeners.values():
            listener.close()
        self._listeners = {}
        if self._generation is not None:
            for frontend in self._generation.frontends:
                frontend.gate.abort_all()
        await self._stop_checks()
        await self._stop_stats_sockets()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self._drain_sessions(grace)
        if self._generation is not None:
            pool.close_all(self._generation.servers())
        self._generation = None
        if self._hub.wheel is not None:
            self._hub.wheel.cancel_all()  # no loop timer outlives the engine

    async def _drain_sessions(self, grace: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while self._hub.sessions and loop.time() < deadline:
            for session in list(self._hub.sessions):
                if session.idle():
                    session.abort()
            await asyncio.sleep(0.01)
        for session in list(self._hub.sessions):
            session.abort()
        await asyncio.sleep(0)

    def _compile(self, config: Config) -> Generation:
        errors = _validation_errors(config, self._base_dir)
        if errors:
            raise EngineError(f"invalid configuration: {errors[0]}", errors)
        try:
            generation = compile_config(config, self._base_dir)
        except CompileError as exc:
            raise EngineError(f"invalid configuration: {exc}", exc.diagnostics) from exc
        for frontend in generation.frontends:
            frontend.gate = Gate(frontend, self._new_session)
        return generation

    @property
    def warnings(self) -> list[Diagnostic]:
        """What the running config asks for that the engine only approximates (e.g. alpn h2)."""
        return list(self._generation.warnings) if self._generation is not None else []

    # -- listeners ------------------------------------------------------------------------
    async def _bind_all(
        self, generation: Generation, current: dict[tuple[Any, ...], _Listener]
    ) -> dict[tuple[Any, ...], _Listener]:
        """Reuse sockets bound to unchanged addresses; bind the rest; all or nothing.

        A reused address whose old or new bind has ``ssl`` gets a new asyncio server (on a
        dup of the same socket) with the new TLS context: certificates are re-read on every
        reload, as HAProxy does.  The old server closes only once everything succeeded.
        """
        result: dict[tuple[Any, ...], _Listener] = {}
        fresh: list[_Listener] = []
        reused: list[tuple[_Listener, Frontend, BindAddress, asyncio.AbstractServer | None]] = []
        ipv4_ports = _ipv4_ports(generation)
        try:
            for frontend in generation.frontends:
                for index, bind in enumerate(frontend.binds):
                    v6only = _v6only(bind, ipv4_ports)
                    key = _listener_key(frontend, index, bind, v6only)
                    if key in result:
                        raise EngineError(f"[{frontend.name}] address {bind.host}:{bind.port} "
                                          f"is bound twice (line {bind.line})")
                    existing = current.get(key)
                    if existing is not None:
                        renewed = None
                        if existing.bind.tls is not None or bind.tls is not None \
                                or existing.bind.accept_proxy != bind.accept_proxy:
                            assert existing.sock is not None
                            renewed = await self._serve(existing, existing.sock, bind)
                        reused.append((existing, frontend, bind, renewed))
                        result[key] = existing
                        continue
                    listener = _Listener(bind, frontend)
                    await self._open(listener, v6only)
                    fresh.append(listener)
                    result[key] = listener
        except BaseException:
            for listener in fresh:
                listener.close()
            for *_, renewed in reused:
                if renewed is not None:
                    renewed.close()
            raise
        for listener, frontend, bind, renewed in reused:  # commit once every bind succeeded
            listener.frontend, listener.bind = frontend, bind
            if renewed is not None:
                assert listener.server is not None
                listener.server.close()
                listener.server = renewed
        return result

    async def _open(self, listener: _Listener, v6only: bool | None) -> None:
        bind = listener.bind
        try:
            listener.sock = _listening_socket(bind.host, bind.port, v6only)
            listener.server = await self._serve(listener, listener.sock, bind)
        except OSError as exc:
            listener.close()
            raise EngineError(
                f"[{listener.frontend.name}] cannot bind {bind.host}:{bind.port} "
                f"(line {bind.line}): {exc.strerror or exc}"
            ) from exc
        listener.port = listener.sock.getsockname()[1]
        listener.local = _concrete_local(bind.host, listener.port)

    async def _serve(
        self, listener: _Listener, sock: socket.socket, bind: BindAddress
    ) -> asyncio.AbstractServer:
        """An asyncio server accepting on (a dup of) ``sock``; TLS with ``bind``'s terminator."""
        loop = asyncio.get_running_loop()
        terminator = bind.tls
        if bind.accept_proxy:  # the PROXY header first, then (with ssl) the handshake
            return await loop.create_server(
                lambda: self._accept_proxied(listener, terminator), sock=sock.dup(),
                backlog=_BACKLOG,
            )
        if terminator is None:
            return await loop.create_server(
                lambda: self._accept(listener, None), sock=sock.dup(), backlog=_BACKLOG
            )
        # The factory keeps *this* terminator: its context did the handshake, it knows the SNI.
        timeouts = listener.frontend.timeouts
        return await loop.create_server(
            lambda: self._accept(listener, terminator), sock=sock.dup(), backlog=_BACKLOG,
            ssl=terminator.context,
            ssl_handshake_timeout=timeouts.http_request or timeouts.client or None,
        )

    def _accept(self, listener: _Listener, terminator: TlsTerminator | None) -> asyncio.Protocol:
        frontend = listener.frontend
        if terminator is None and not frontend.maxconn:
            return self._new_session(frontend, listener.local)  # the fast path: no gate, no TLS
        return Admission(frontend.gate, terminator)

    def _accept_proxied(self, listener: _Listener,
                        terminator: TlsTerminator | None) -> asyncio.Protocol:
        """``bind ... accept-proxy``: the PROXY header first (admission.ProxyAdmission)."""
        return ProxyAdmission(listener.frontend.gate, self._hub, listener.bind.listener_name,
                              listener.local, terminator)

    def _new_session(
        self, frontend: Frontend, local: tuple[str, int] | None = None
    ) -> HttpSession | TcpSession:
        if frontend.mode == "http":
            return HttpSession(self._hub, frontend, local)
        return TcpSession(self._hub, frontend, local)

    def _session_left(self, session: SessionBase) -> None:
        """A session ended: a parked connection of its frontend may take the slot."""
        frontend: Frontend | None = getattr(session, "frontend", None)
        gate: Gate | None = frontend.gate if frontend is not None else None
        if gate is not None and gate.parked:
            # on the next iteration: the session updates its counters after leaving
            asyncio.get_running_loop().call_soon(gate.release)

    @property
    def listening(self) -> list[tuple[str, str, int]]:
        return [(li.frontend.name, li.bind.host, li.port) for li in self._listeners.values()]

    def port_of(self, frontend: str) -> int:
        """The first port ``frontend`` listens on (tests and the demo use it)."""
        return next(port for name, _, port in self.listening if name == frontend)

    # -- health checks and stats sockets ---------------------------------------------
    def _start_checks(self, generation: Generation) -> None:
        for backend in generation.backends.values():
            for server in backend.servers:
                if server.check is None:
                    continue
                checker = health.HealthChecker(server, server.check, self._make_on_change(backend))
                checker.start()
                self._checkers.append(checker)

    def _make_on_change(self, backend: Backend) -> Callable[[Any, bool], None]:
        def on_change(server: RuntimeServer, up: bool) -> None:
            server.up = up
            backend.balancer.update()
            if not up:
                pool.close_idle(server)
            else:
                dispatch.wake_backend_queue(backend, server)

        return on_change

    async def _stop_checks(self) -> None:
        checkers, self._checkers = self._checkers, []
        await asyncio.gather(*(c.stop() for c in checkers), return_exceptions=True)

    async def _start_stats_sockets(self, generation: Generation) -> None:
        if not generation.stats_sockets:
            return
        from proxy.engine import runtime_api

        for address in generation.stats_sockets:
            try:
                self._stats_servers.append(
                    await runtime_api.serve(self, address, reloader=self.reloader))
            except OSError as exc:  # the compile step already warned about unix sockets
                _log.error("stats socket %s: %s", address, exc)

    async def _stop_stats_sockets(self) -> None:
        servers, self._stats_servers = self._stats_servers, []
        for server in servers:
            server.close()

    async def _sweep_idle(self) -> None:
        """Close pooled server connections idle for longer than HAProxy's pool-purge-delay."""
        while True:
            await asyncio.sleep(1.0)
            if self._generation is not None:
                pool.purge(self._generation.servers(), max_idle=5.0)

    # -- observation ---------------------------------------------------------------------
    def stats(self) -> StatsSnapshot:
        """A snapshot of every counter; callable from any thread (see the module docstring)."""
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running() or _is_current(loop):
            return self._build_stats()
        future: concurrent.futures.Future[StatsSnapshot] = concurrent.futures.Future()

        def build() -> None:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(self._build_stats())
                except Exception as exc:
                    future.set_exception(exc)

        loop.call_soon_threadsafe(build)
        try:
            return future.result(timeout=_STATS_WAIT)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise EngineError("the engine loop did not answer the stats request in time") from None

    def _build_stats(self) -> StatsSnapshot:
        from proxy.engine import stats as stats_mod

        generation = self._generation
        frontends = generation.frontends if generation else []
        backends = list(generation.backends.values()) if generation else []
        order = [s.name for s in generation.config.sections
                 if s.is_proxy and s.kind != "defaults" and s.name] if generation else []
        return stats_mod.build_snapshot(
            frontends, backends, self._started_at, proxy_order=order,
            maxconn=generation.maxconn if generation else 0,
        )

    def subscribe(self, callback: Callable[[LogEvent], None]) -> Callable[[], None]:
        self._hub.subscribers.append(callback)
        self._hub.refresh_log_wanted()

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._hub.subscribers.remove(callback)
            self._hub.refresh_log_wanted()

        return unsubscribe

    def drain_events(self, max_n: int = 1000) -> list[LogEvent]:
        """Events since the last call (thread-safe; the first call starts the recording)."""
        hub = self._hub
        if not hub.drain_active:
            loop = self._loop
            if loop is not None and loop.is_running() and not _is_current(loop):
                loop.call_soon_threadsafe(self._start_recording)
            else:
                self._start_recording()
        if hub.sampler is not None:
            hub.sampler.refill()  # what this reader can list again (EventSampler)
        out: list[LogEvent] = []
        # deque.append (engine loop) and popleft (GUI thread) are atomic in CPython: no lock
        while hub.events and len(out) < max_n:
            try:
                out.append(hub.events.popleft())
            except IndexError:
                break
        return out

    def sample_events(self, per_second: float | None, burst: int = 200) -> None:
        """Let the drained record take at most ``per_second`` ordinary and as many notable
        events a second (bursts of ``burst``); None: every event.  Sampling is for a reader
        that shows what it gets, e.g. a window's request list; ``log`` targets and
        ``subscribe()`` callbacks still get every event."""
        self._hub.sampler = None if per_second is None else EventSampler(per_second, burst)

    @property
    def events_unrecorded(self) -> int:
        """Events the drained record left out so far: sampled out, or pushed out unread."""
        return self._hub.unrecorded

    def _start_recording(self) -> None:
        self._hub.drain_active = True
        self._hub.refresh_log_wanted()

    @property
    def generation(self) -> Generation | None:
        return self._generation

    @property
    def config(self) -> Config:
        return self._config

    # -- runtime control ----------------------------------------------------------------
    def _server(self, backend: str, server: str) -> tuple[Backend, RuntimeServer]:
        generation = self._generation
        found = generation.backends.get(backend) if generation else None
        if found is None:
            raise KeyError(f"No such backend '{backend}'.")
        for candidate in found.servers:
            if candidate.name == server:
                return found, candidate
        raise KeyError(f"No such server '{backend}/{server}'.")

    def set_server_state(self, backend: str, server: str, state: str) -> None:
        if state not in _SERVER_STATES:
            raise ValueError("state must be 'ready', 'drain' or 'maint'")
        be, srv = self._server(backend, server)
        disabled, drain = _SERVER_STATES[state]
        srv.disabled = disabled
        if drain is not None:  # "maint" keeps the drain flag, as HAProxy's admin states do
            srv.set_drain(drain)
        be.balancer.update()
        for checker in self._checkers:
            if checker.server is srv:
                checker.poke()
        if disabled:
            pool.close_idle(srv)
        else:
            dispatch.wake_backend_queue(be, srv)

    def set_server_weight(self, backend: str, server: str, weight: int) -> None:
        if not 0 <= weight <= 256:
            raise ValueError("weight must be between 0 and 256")
        be, srv = self._server(backend, server)
        srv.set_user_weight(weight)
        be.balancer.update()

    # -- the what-if tester --------------------------------------------------------------
    def route(self, frontend: str, request: RequestContext) -> RouteDecision:
        """Route a synthetic request with the real rules; balancing has no side effects."""
        generation = self._generation or self._compile(self._config)
        found = next((f for f in generation.frontends if f.name == frontend), None)
        if found is None:
            raise KeyError(f"No such frontend '{frontend}'.")
        if request.headers is not None and not isinstance(request.headers, list):
            request.headers = list(request.headers)
        matched = tuple(name for name, acl in found.named_acls.items() if acl(request))
        decision = found.decide(request, explain=True)
        server = _preview_server(decision.backend, request) if decision.backend else None
        location = None
        if decision.kind == "redirect":
            location = _header(decision.response, b"location")
        return RouteDecision(
            frontend=frontend,
            outcome=decision.kind,
            rule=decision.rule,
            matched_acls=matched,
            fired_rules=tuple(decision.fired),
            backend=decision.backend.name if decision.backend else None,
            server=server,
            status=decision.status or None,
            location=location,
            request_headers=tuple(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers or ()
            ),
        )


def _concrete_local(host: str, port: int) -> tuple[str, int] | None:
    """``(host, port)`` when every connection accepted on ``host`` has that local address:
    not for a wildcard (or a name, which may resolve to several)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if address.is_unspecified else (host_text(host), port)


def _listening_socket(host: str, port: int, v6only: bool | None = None) -> socket.socket:
    """A bound, listening, non-blocking socket, set up as ``loop.create_server`` would, but
    for ``IPV6_V6ONLY`` (``_v6only``: asyncio always sets it, HAProxy does not)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        platform.prepare_listening_socket(sock)  # SO_REUSEADDR on POSIX only
        if family == socket.AF_INET6 and v6only is not None:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        sock.bind((host, port))
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _is_current(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the caller runs on ``loop`` (else it is another thread)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _validation_errors(config: Config, base_dir: Path | None) -> list[Diagnostic]:
    """The validator's errors, minus "port 0" on a bind: HAProxy refuses it, the engine
    binds an ephemeral port (tests and the demo rely on that; ``listening`` tells the port)."""
    root = base_dir or (Path(config.path).parent if Path(config.path).is_file() else None)
    return [
        d for d in validate(config, base_dir=root)
        if d.is_error and d.code != BIND_PORT_ZERO
    ]


def _preview_server(backend: Backend, request: RequestContext) -> str | None:
    """The server the balancer would pick, without advancing its state (a copy picks)."""
    key = request_key(backend.balancer, src=request.src, target=request.target,
                      headers=request.headers)
    picked = backend.balancer.preview_copy().pick(key)
    return picked.name if picked is not None else None


def _header(response: bytes, name: bytes) -> str | None:
    for line in response.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode("latin-1")
    return None
