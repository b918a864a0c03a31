"""Local developer routes: ``https://app.localhost`` -> ``127.0.0.1:3000``, as config.

Theory of operation
-------------------
One ``local_routes`` frontend (made on first use) holds an HTTP bind and, for
HTTPS, one TLS bind carrying a ``crt`` per host name, so SNI picks each route's
certificate; each route adds an ACL on the Host header (port and case ignored:
``-m str`` for a name, ``-m end .name`` for a ``*.name`` wildcard, so
``name.evil`` never matches) and a ``use_backend`` to a backend of its own with
one server, the app (``ssl verify none`` when the app itself speaks HTTPS).
Hosts no route matches go to ``local_routes_unknown``, a backend whose one
``http-request return`` answers 404 with a page listing the routes; it is
regenerated on every add and remove, so HAProxy and the engine serve the same
page.  The new lines are written as haproxy.cfg text and parsed, so the model
gets exactly what a person would have typed; the certificate path is added as
a node so the writer quotes it (macOS's "Application Support" has a space).
Certificates come from Proxydesk's local CA (``CertStore.certificate_for``:
reused while valid).

``add_local_route`` then ``remove_local_route`` gives back the same bytes:
sections are appended with exactly one blank line before them and removed with
it, and the frontend and the unknown-host backend go with the last route.
Adding a name that is already routed replaces its route.

The routes file is per user: ``default_routes_path()`` (the platform's config
directory, or ``$PROXYDESK_CONFIG_DIR``).

Reading and writing that file (``load_routes_file``, ``save_routes_file``: atomic,
and the file ``route add`` made goes again with its last route), the ports a new route
gets (``route_ports``) and its URLs (``route_urls``) live here too, so the CLI and the
app's *Local routes* view apply the same rules.  ``route_statuses`` lists each route
with its certificate's expiry; ``reachable`` / ``reachability`` try a TCP connection
to targets (blocking: the app calls them off its GUI thread) and ``trust_summary``
turns ``proxy.certs.trust.trust_status`` into the view's yes / no / partly.

Used by the app's first-run wizard, its *Local routes* view (``gui.local_routes``) and
by ``proxydesk route`` (``proxy.app.route_commands``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs
from cryptography import x509

from proxy.certs.errors import CertError
from proxy.certs.issue import certificate_names
from proxy.certs.store import CertEntry, CertStore
from proxy.certs.trust import TRUSTED, StoreStatus, SystemProbe, trust_plan, trust_status
from proxy.config.edit import place_node
from proxy.config.model import Config, Diagnostic, Section, Statement
from proxy.config.nodes import Acl, Bind, DefaultBackend, Rule, Server, UseBackend
from proxy.config.parser import parse, parse_file
from proxy.config.tokens import quote_word
from proxy.config.writer import write, write_file

__all__ = [
    "DEFAULT_HTTPS_PORT",
    "DEFAULT_HTTP_PORT",
    "ENV_CONFIG_DIR",
    "FRONTEND",
    "NEW_FILE_TEXT",
    "REACH_TIMEOUT_S",
    "ROUTES_FILENAME",
    "TARGET_FORMS",
    "UNKNOWN_BACKEND",
    "LocalRoute",
    "RouteError",
    "RouteInfo",
    "RouteStatus",
    "TrustSummary",
    "add_local_route",
    "check_local_ca_trust",
    "default_routes_path",
    "delete_route",
    "frontend_ports",
    "load_routes_file",
    "normalize_route_name",
    "parse_target",
    "put_route",
    "reachability",
    "reachable",
    "remove_local_route",
    "route_ports",
    "route_statuses",
    "route_urls",
    "routes_in",
    "routes_of",
    "save_routes_file",
    "set_frontend_ports",
    "trust_summary",
    "with_local_certificate",
]

DEFAULT_HTTP_PORT = 8080
DEFAULT_HTTPS_PORT = 8443
FRONTEND = "local_routes"
UNKNOWN_BACKEND = "local_routes_unknown"
ENV_CONFIG_DIR = "PROXYDESK_CONFIG_DIR"
ROUTES_FILENAME = "routes.cfg"
NEW_FILE_TEXT = "# Local developer routes, written by 'proxydesk route add'.\n"
TARGET_FORMS = ("PORT (3000), HOST:PORT (127.0.0.1:3000, localhost:3000, [::1]:3000), "
                "http://HOST:PORT or https://HOST:PORT (an app that speaks HTTPS itself)")
# HAProxy reads config lines of up to 2048 bytes (LINESIZE): the page's line stays below.
_MAX_PAGE_LINE = 1800
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HOST_FETCH = "req.hdr(host),field(1,:),lower"  # the Host header without its port, in any case


class RouteError(ValueError):
    """A route name or target that cannot be routed; the message says what is accepted."""


def default_routes_path() -> Path:
    """``$PROXYDESK_CONFIG_DIR/routes.cfg``, else ``routes.cfg`` in the platform's user
    config directory (``~/.config/proxydesk`` on Linux)."""
    base = os.environ.get(ENV_CONFIG_DIR) or platformdirs.user_config_dir("proxydesk", appauthor=False)
    return Path(base) / ROUTES_FILENAME


def normalize_route_name(name: str) -> str:
    """``name`` in lower case, checked: DNS labels (letters, digits, inner hyphens), with an
    optional leading ``*.`` for every subdomain.  Raises RouteError."""
    cleaned = name.strip().lower().rstrip(".")
    labels = cleaned.removeprefix("*.").split(".")
    if not cleaned or len(cleaned) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise RouteError(
            f"'{name}' is not a host name a route can have: use letters, digits, hyphens and "
            "dots (app.localhost, shop.test), or *.NAME for every subdomain of NAME")
    return cleaned


def parse_target(text: str) -> tuple[str, bool]:
    """(server address, whether the app speaks HTTPS) for a route target; RouteError names
    the accepted forms for anything else."""
    raw = text.strip()
    rest, tls = raw, False
    scheme, sep, after = raw.partition("://")
    if sep:
        if scheme.lower() not in ("http", "https"):
            raise _target_error(text, f"unknown scheme '{scheme}'")
        rest, tls = after.removesuffix("/"), scheme.lower() == "https"
    if rest.isdigit():
        return f"127.0.0.1:{_port(text, rest)}", tls
    if rest.startswith("["):
        host, close, port = rest[1:].partition("]")
        if not close or not port.startswith(":"):
            raise _target_error(text, "an IPv6 address needs a port: [::1]:3000")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise _target_error(text, f"'{host}' is not an IPv6 address") from None
        return f"[{host}]:{_port(text, port[1:])}", tls
    host, colon, port = rest.rpartition(":")
    if not colon:
        raise _target_error(text, "no port")
    labels = host.lower().split(".")
    if not host or ":" in host or not all(_LABEL.fullmatch(label) for label in labels):
        raise _target_error(text, f"'{host}' is not a host name or IPv4 address")
    return f"{host.lower()}:{_port(text, port)}", tls


def _port(text: str, port: str) -> int:
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise _target_error(text, f"port '{port}' is not a number from 1 to 65535")
    return int(port)


def _target_error(text: str, why: str) -> RouteError:
    return RouteError(f"cannot route to '{text}': {why}. A target is {TARGET_FORMS}")


@dataclass(frozen=True)
class LocalRoute:
    hostname: str = "app.localhost"
    target: str = "127.0.0.1:3000"  # the server address, host:port
    listen_port: int = DEFAULT_HTTP_PORT
    https_port: int | None = None  # also serve https://hostname:https_port ...
    certificate: str | None = None  # ... with this PEM (leaf, chain and key)
    target_tls: bool = False  # the app speaks HTTPS: re-encrypt (without verifying it)

    @property
    def is_wildcard(self) -> bool:
        return self.hostname.startswith("*.")

    @property
    def backend_name(self) -> str:
        # HAProxy names take dots; '*' (never in a host name) becomes '_' (never in one either)
        return "be_" + self.hostname.lower().replace("*", "_")

    @property
    def acl_name(self) -> str:
        return "host_" + self.backend_name[3:]

    @property
    def serves_https(self) -> bool:
        return self.https_port is not None and self.certificate is not None


@dataclass(frozen=True)
class RouteInfo:
    """One route as the file has it (``routes_in``)."""

    hostname: str  # "*.app.localhost" for a wildcard route
    target: str  # the server address
    target_tls: bool  # re-encrypted to the app
    https: bool  # a certificate for the name is on the TLS bind
    backend: str
    acl: str
    certificate: str | None

    @property
    def target_url(self) -> str:
        return ("https://" if self.target_tls else "http://") + self.target


def with_local_certificate(route: LocalRoute, store: CertStore) -> LocalRoute:
    """The route with a certificate of Proxydesk's local CA for its host name (reused
    when one is already issued, else issued now; ``*.name`` gets a wildcard certificate)."""
    entry = store.certificate_for(route.hostname)
    return replace(route, certificate=str(entry.pem_path))


def _new_statements(text: str) -> list[Section]:
    """Sections parsed from ``text``, marked as new lines (written with the file's own
    indentation and line ends)."""
    sections = parse(text).config.sections
    for section in sections:
        section.header.origin = None
        section.body = [s for s in section.body if s.words]
        for stmt in section.body:
            stmt.origin = None
    return sections


def _route_sections(route: LocalRoute, with_frontend: bool) -> tuple[Section, Section]:
    frontend = (
        f"frontend {FRONTEND}\n"
        f"    bind 127.0.0.1:{route.listen_port}\n"
        "    mode http\n"
        "    timeout client 30s\n"
        if with_frontend else f"frontend {FRONTEND}\n"
    )
    # a wildcard matches every subdomain: the name ends with ".app.localhost"
    match = f"-m end {route.hostname[1:]}" if route.is_wildcard else f"-m str {route.hostname}"
    reencrypt = " ssl verify none" if route.target_tls else ""
    frontend_section, backend = _new_statements(
        f"{frontend}"
        f"    acl {route.acl_name} {_HOST_FETCH} {match}\n"
        f"    use_backend {route.backend_name} if {route.acl_name}\n"
        + (f"    default_backend {UNKNOWN_BACKEND}\n" if with_frontend else "")
        + f"backend {route.backend_name}\n"
        "    mode http\n"
        "    timeout connect 5s\n"
        "    timeout server 30s\n"
        f"    server app {route.target}{reencrypt}\n"
    )
    return frontend_section, backend


def add_local_route(config: Config, route: LocalRoute) -> RouteInfo | None:
    """Route ``route.hostname`` to ``route.target``: a ``local_routes`` frontend (created
    on first use, extended afterwards), one backend per host name, and the unknown-host
    page brought up to date.  A name already routed is replaced; returns its old route."""
    route = replace(route, hostname=route.hostname.lower())
    previous = next((r for r in routes_in(config) if r.hostname == route.hostname), None)
    if previous is not None:
        remove_local_route(config, route.hostname)
    existing = config.find("frontend", FRONTEND)
    frontend, backend = _route_sections(route, existing is None)
    if existing is None:
        _append_section(config, frontend)
        _append_section(config, _unknown_backend(config))
    else:
        for stmt in frontend.body:
            place_node(existing, stmt.node)
        if existing.default_backend is None:  # a file from before the unknown-host page
            place_node(existing, DefaultBackend(UNKNOWN_BACKEND))
        if config.find("backend", UNKNOWN_BACKEND) is None:
            _append_section(config, _unknown_backend(config))
    if route.serves_https:  # added as a node: the writer quotes the path (spaces on macOS)
        _serve_certificate(existing or frontend, route)
    if config.find("backend", backend.name) is None:
        _append_section(config, backend)
    _refresh_unknown_page(config)
    return previous


def remove_local_route(config: Config, hostname: str) -> bool:
    """Undo ``add_local_route``: the host's ACL, rule, backend and certificate (the file
    stays in the store); with the last route, the frontend and the unknown-host backend
    too.  False when the config has no route for ``hostname``."""
    name = hostname.strip().lower()
    frontend = config.find("frontend", FRONTEND)
    found = next((r for r in routes_in(config) if r.hostname == name), None)
    if frontend is None or found is None:
        return False
    for stmt in [s for s in frontend.body if (isinstance(s.node, Acl) and s.node.name == found.acl)
                 or (isinstance(s.node, UseBackend) and s.node.backend == found.backend)]:
        frontend.remove(stmt)
    backend = config.find("backend", found.backend)
    still_used = any(r.backend == found.backend for r in routes_in(config))
    if backend is not None and not still_used:
        _remove_section(config, backend)
    remaining = routes_in(config)
    _drop_certificates_of(frontend, name, {r.hostname for r in remaining})
    if not remaining and _only_generated(frontend):
        unknown = config.find("backend", UNKNOWN_BACKEND)
        if unknown is not None:
            _remove_section(config, unknown)
        _remove_section(config, frontend)
    else:
        _refresh_unknown_page(config)
    return True


def _append_section(config: Config, section: Section) -> None:
    """Append ``section`` after exactly one new blank line (none in an empty file), so that
    ``_remove_section`` can take that line away again."""
    before = config.sections[-1].body if config.sections else config.preamble
    if before:
        before.append(Statement())
    config.sections.append(section)


def _remove_section(config: Config, section: Section) -> None:
    """Remove ``section``; the last one takes the blank line before it along (the one
    ``_append_section`` added), a middle one leaves the blank line after it in place."""
    index = config.sections.index(section)
    del config.sections[index]
    if index == len(config.sections):
        before = config.sections[index - 1].body if index else config.preamble
        if before and not before[-1].words and not before[-1].comment:
            before.pop()


def _only_generated(frontend: Section) -> bool:
    """Whether the frontend holds only lines ``add_local_route`` writes (so removing the
    last route may remove it); a frontend someone extended by hand stays."""
    ours = {"bind", "mode", "timeout", "default_backend"}
    return all(not s.words or s.keyword in ours for s in frontend.body)


def _unknown_backend(config: Config) -> Section:
    (backend,) = _new_statements(
        f"backend {UNKNOWN_BACKEND}\n    mode http\n    {_page_line(config)}\n")
    return backend


def _refresh_unknown_page(config: Config) -> None:
    """Bring the unknown-host page up to date with the routes (a no-op when unchanged)."""
    backend = config.find("backend", UNKNOWN_BACKEND)
    frontend = config.find("frontend", FRONTEND)
    if backend is None or frontend is None:
        return
    (fresh,) = _new_statements(f"backend {UNKNOWN_BACKEND}\n    {_page_line(config)}\n")
    node = fresh.body[0].node
    current = next((s for s in backend.body if isinstance(s.node, Rule)
                    and s.words[:2] == ["http-request", "return"]), None)
    if current is None:
        place_node(backend, node)
    elif current.node != node:
        current.node = node


def _page_line(config: Config) -> str:
    """``http-request return status 404 ...`` with a page linking every route."""
    http_port, https_port = frontend_ports(config)
    items = []
    for route in routes_in(config):
        shown = html.escape(route.hostname)
        if route.hostname.startswith("*."):
            items.append(f"<li>{shown} &rarr; {html.escape(route.target_url)}")
            continue
        scheme, port = ("https", https_port) if route.https and https_port else ("http", http_port)
        default = 443 if scheme == "https" else 80
        url = f"{scheme}://{route.hostname}" + ("" if port in (None, default) else f":{port}") + "/"
        items.append(f'<li><a href="{url}">{shown}</a> &rarr; {html.escape(route.target_url)}')
    head = ("<!doctype html><meta charset=utf-8><title>No route for this host</title>"
            "<h1>No route for this host</h1>")
    tail = "<p>Add one: <code>proxydesk route add NAME PORT</code>"
    listing = "<p>Routes:<ul>" if items else "<p>No routes yet."
    shown_items: list[str] = []
    for index, item in enumerate(items):
        more = f"<li>and {len(items) - index} more: <code>proxydesk route list</code>"
        if len(head + listing + "".join(shown_items) + item + more + tail) > _MAX_PAGE_LINE:
            shown_items.append(more)
            break
        shown_items.append(item)
    page = head + listing + "".join(shown_items) + ("</ul>" if items else "") + tail
    words = ["http-request", "return", "status", "404", "content-type", "text/html; charset=utf-8",
             "string", page]
    return " ".join(quote_word(w) for w in words)


def frontend_ports(config: Config) -> tuple[int | None, int | None]:
    """The ``local_routes`` frontend's (HTTP port, HTTPS port); None where it has no such bind."""
    frontend = config.find("frontend", FRONTEND)
    http = https = None
    for bind in frontend.binds if frontend is not None else []:
        port = _bind_port(bind)
        if bind.ssl:
            https = https if https is not None else port
        else:
            http = http if http is not None else port
    return http, https


def _bind_port(bind: Bind) -> int | None:
    port = bind.addresses[0].rpartition(":")[2] if bind.addresses else ""
    return int(port) if port.isdigit() else None


def set_frontend_ports(config: Config, http_port: int | None, https_port: int | None) -> bool:
    """Move the frontend's binds to these ports (None: leave it); True when one moved."""
    frontend = config.find("frontend", FRONTEND)
    moved = False
    for stmt in frontend.body if frontend is not None else []:
        bind = stmt.node
        if not isinstance(bind, Bind) or len(bind.addresses) != 1:
            continue
        wanted = https_port if bind.ssl else http_port
        host, _, port = bind.addresses[0].rpartition(":")
        if wanted is not None and port != str(wanted):
            bind.addresses = [f"{host}:{wanted}"]
            moved = True
    if moved:
        _refresh_unknown_page(config)
    return moved


def _drop_certificates_of(frontend: Section, hostname: str, still_routed: set[str]) -> None:
    """Take ``crt`` files naming ``hostname`` (and no host still routed) off the TLS binds;
    a TLS bind left without a certificate goes too."""
    for stmt in [s for s in frontend.body if isinstance(s.node, Bind) and s.node.ssl]:
        bind = stmt.node
        assert isinstance(bind, Bind)
        bind.options = [o for o in bind.options if not (
            o[0] == "crt" and len(o) > 1 and _names_in(o[1]) & {hostname}
            and not _names_in(o[1]) & still_routed)]
        if not bind.certificates:
            frontend.remove(stmt)


def _names_in(pem_path: str) -> set[str]:
    try:
        certificate = x509.load_pem_x509_certificate(Path(pem_path).read_bytes())
    except (OSError, ValueError):
        return set()
    return {name.lower() for name in certificate_names(certificate)}


def _serve_certificate(frontend: Section, route: LocalRoute) -> None:
    """Add the route's certificate to the frontend's TLS bind (SNI picks among its
    ``crt``s), or add a TLS bind when the frontend has none yet."""
    assert route.certificate is not None
    binds = [s for s in frontend.body if isinstance(s.node, Bind)]
    tls = next((s.node for s in binds if isinstance(s.node, Bind) and s.node.ssl), None)
    if tls is not None:
        if route.certificate not in tls.certificates:
            tls.options.append(["crt", route.certificate])
        return
    bind = Bind([f"127.0.0.1:{route.https_port}"], [["ssl"], ["crt", route.certificate]])
    frontend.add(bind, after=binds[-1] if binds else None)


def _acl_host(acl: Acl) -> str | None:
    """The host name an ACL of ours matches ("*.name" for a suffix match), else None."""
    if not acl.patterns:
        return None
    pattern = acl.patterns[-1].lower()
    if acl.matcher == "end" and pattern.startswith("."):
        return "*" + pattern
    return pattern


def routes_in(config: Config) -> list[RouteInfo]:
    """Every route of the ``local_routes`` frontend, in rule order, each name once (the
    first rule for a name is the one that routes; HAProxy stops there)."""
    frontend = config.find("frontend", FRONTEND)
    if frontend is None:
        return []
    acls = {a.name: a for a in frontend.acls}
    tls_names: dict[str, str] = {}
    for bind in frontend.binds:
        if bind.ssl:
            for crt in bind.certificates:
                for name in _names_in(crt):
                    tls_names.setdefault(name, crt)
    found: dict[str, RouteInfo] = {}
    for rule in frontend.use_backends:
        backend = config.find("backend", rule.backend)
        words = rule.condition.words if rule.condition else []
        acl = next((acls[w] for w in words if w in acls), None)
        host = _acl_host(acl) if acl is not None else None
        server = _first_server(backend)
        if host is None or acl is None or server is None or host in found:
            continue
        found[host] = RouteInfo(
            hostname=host, target=server.address,
            target_tls=server.has("ssl"), https=host in tls_names, backend=rule.backend,
            acl=acl.name, certificate=tls_names.get(host))
    return list(found.values())


def _first_server(backend: Section | None) -> Server | None:
    servers = backend.servers if backend is not None else []
    return servers[0] if servers else None


def routes_of(config: Config) -> list[tuple[str, str]]:
    """(host name, app address) of every route of the ``local_routes`` frontend."""
    return [(r.hostname, r.target) for r in routes_in(config)]


# --- the routes file, and each route's state (shared by the CLI and the app) -----------------------


def load_routes_file(path: Path) -> tuple[Config, list[Diagnostic]]:
    """The routes file's config and its errors; a file that does not exist yet is a new
    config (``NEW_FILE_TEXT``).  With errors the file must be left alone.  OSError when
    it cannot be read."""
    if not path.exists():
        return parse(NEW_FILE_TEXT, str(path)).config, []
    result = parse_file(path)
    return result.config, list(result.errors)


def save_routes_file(config: Config, path: Path) -> bool:
    """Write ``config`` to ``path`` atomically (a failure leaves the previous file as it
    was); the file ``route add`` made, left with nothing else in it, is removed instead.
    Returns whether the file exists afterwards.  OSError when it cannot be written."""
    if write(config) == NEW_FILE_TEXT:
        path.unlink(missing_ok=True)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(config, path)
    return True


def route_ports(config: Config, http_port: int | None = None, https_port: int | None = None,
                *, https: bool = True) -> tuple[int, int | None]:
    """(HTTP port, HTTPS port or None) for a route added to ``config``: the ports asked
    for, else the file's, else the defaults.  RouteError when both would be one port."""
    current_http, current_https = frontend_ports(config)
    http = http_port or current_http or DEFAULT_HTTP_PORT
    tls = (https_port or current_https or DEFAULT_HTTPS_PORT) if https else None
    if http == tls:
        raise RouteError(f"HTTP and HTTPS cannot share port {http}")
    return http, tls


def route_urls(config: Config, info: RouteInfo) -> list[str]:
    """The URLs that reach the route (HTTPS first); a wildcard's shows ``ANY`` for the label."""
    http_port, https_port = frontend_ports(config)
    shown = info.hostname.replace("*", "ANY", 1) if info.hostname.startswith("*.") else info.hostname
    urls = []
    if info.https and https_port is not None:
        urls.append(f"https://{shown}" + ("" if https_port == 443 else f":{https_port}") + "/")
    if http_port is not None:
        urls.append(f"http://{shown}" + ("" if http_port == 80 else f":{http_port}") + "/")
    return urls


@dataclass(frozen=True)
class RouteStatus:
    """One route with what can be told about it without touching the network."""

    route: RouteInfo
    urls: tuple[str, ...]
    expires: dt.datetime | None = None  # the certificate's notAfter (UTC), when it has one
    certificate_problem: str = ""  # why the certificate file could not be read
    local_ca: bool = False  # the certificate is one of Proxydesk's local CA

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires < dt.datetime.now(dt.UTC)


def route_statuses(config: Config, store: CertStore | None = None) -> list[RouteStatus]:
    """Every route of ``config`` (``routes_in``) with its URLs and its certificate's
    expiry; ``store`` (the default ``CertStore`` when None) tells whether the local CA
    issued it.  Reads files only: quick enough for a GUI thread."""
    store = store if store is not None else CertStore()
    entries: dict[Path, CertEntry] = {}
    with contextlib.suppress(CertError, OSError):  # no readable CA: the files still tell expiry
        entries = {e.pem_path.resolve(): e for e in store.list_entries()}
    return [_status(config, info, entries) for info in routes_in(config)]


def _status(config: Config, info: RouteInfo, entries: dict[Path, CertEntry]) -> RouteStatus:
    status = RouteStatus(info, tuple(route_urls(config, info)))
    if info.certificate is None:
        return status
    entry = entries.get(Path(info.certificate).resolve())
    if entry is not None:
        return replace(status, expires=entry.not_after, local_ca=entry.issued_by_local_ca)
    try:
        certificate = x509.load_pem_x509_certificate(Path(info.certificate).read_bytes())
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return replace(status, certificate_problem=f"cannot read {info.certificate}: {why}")
    return replace(status, expires=certificate.not_valid_after_utc)


REACH_TIMEOUT_S = 0.3


def _host_port(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


def reachable(target: str, timeout: float = REACH_TIMEOUT_S) -> bool:
    """Whether something accepts a TCP connection at ``target`` (``host:port``, ``[v6]:port``)
    within ``timeout`` seconds.  Blocks: call it off a GUI thread."""
    try:
        host, port = _host_port(target)
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def reachability(targets: Iterable[str], timeout: float = REACH_TIMEOUT_S) -> dict[str, bool]:
    """``reachable`` for every target at once (in parallel: the whole list takes about
    one timeout)."""
    unique = list(dict.fromkeys(targets))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=min(16, len(unique)), thread_name_prefix="reach") as pool:
        return dict(zip(unique, pool.map(lambda t: reachable(t, timeout), unique), strict=True))


@dataclass(frozen=True)
class TrustSummary:
    """Whether this system trusts the local CA: ``text`` is yes / no / partly, ``detail``
    says store by store."""

    trusted: bool
    text: str
    detail: str


def trust_summary(statuses: Sequence[StoreStatus]) -> TrustSummary:
    """The local CA's trust, from ``proxy.certs.trust.trust_status``: yes when every store
    trusts it, partly when some do, no when none does (or no store was found)."""
    lines = [f"{s.store.name}: {s.presence.state}" + (f" ({s.presence.detail})" if s.presence.detail else "")
             for s in statuses]
    good = [s for s in statuses if s.presence.state == TRUSTED]
    if not statuses:
        return TrustSummary(False, "no", "No trust store found on this system")
    if len(good) == len(statuses):
        return TrustSummary(True, "yes", "\n".join(lines))
    fix = "\nTools ▸ Certificates… ▸ Trust in this system… (or 'proxydesk cert trust') fixes that"
    if good:
        return TrustSummary(False, f"partly ({len(good)} of {len(statuses)} stores)",
                            "\n".join(lines) + fix)
    return TrustSummary(False, "no", "\n".join(lines) + fix)


def check_local_ca_trust(store: CertStore | None = None, probe: SystemProbe | None = None) -> TrustSummary:
    """Look store by store (``trust_status``, as ``proxydesk cert trust --status``) whether
    this system trusts the local CA.  Runs certutil / keytool: slow, call it off a GUI
    thread.  Changes nothing (no CA is created)."""
    store = store if store is not None else CertStore()
    if not store.has_ca():
        return TrustSummary(False, "no", f"No local CA in {store.root} yet: Tools ▸ Certificates… "
                                         "creates one (a route with HTTPS does too)")
    return trust_summary(trust_status(trust_plan(False, store=store, probe=probe)))


def _load_for_change(path: Path) -> Config:
    try:
        config, errors = load_routes_file(path)
    except OSError as exc:
        raise RouteError(f"cannot read {path}: {exc.strerror or exc}; nothing was changed") from None
    if errors:
        shown = "; ".join(str(e) for e in errors[:3]) + ("; ..." if len(errors) > 3 else "")
        raise RouteError(f"{path} has errors ({shown}); fix them first, nothing was changed")
    return config


def _save_change(config: Config, path: Path) -> None:
    try:
        save_routes_file(config, path)
    except OSError as exc:
        raise RouteError(f"cannot write {exc.filename or path}: {exc.strerror or exc}; "
                         "nothing was changed") from None


def put_route(path: Path, name: str, target: str, *, https: bool = True,
              replacing: str | None = None, store: CertStore | None = None) -> RouteInfo | None:
    """Route ``name`` to ``target`` in the routes file at ``path``, as ``proxydesk route add``
    does (the same checks, the file's ports, a certificate of the local CA for HTTPS, one
    atomic write); ``replacing`` names a route this one replaces (an edit that renames it).
    Returns the route ``name`` had before, if any.  RouteError says why nothing changed."""
    hostname = normalize_route_name(name)
    address, target_tls = parse_target(target)
    config = _load_for_change(path)
    http_port, https_port = route_ports(config, https=https)
    route = LocalRoute(hostname, address, http_port, https_port, target_tls=target_tls)
    if https:
        try:
            route = with_local_certificate(route, store if store is not None else CertStore())
        except (CertError, OSError) as exc:
            raise RouteError(f"no certificate for {hostname}: {exc}; nothing was changed "
                             "(without HTTPS the route serves plain HTTP)") from None
    if replacing is not None and replacing.strip().lower() != hostname:
        remove_local_route(config, replacing)
    previous = add_local_route(config, route)
    _save_change(config, path)
    return previous


def delete_route(path: Path, name: str) -> None:
    """Take ``name``'s route out of the routes file (``proxydesk route remove``: the exact
    inverse of adding it; the file ``route add`` made goes with its last route).  The
    hosts file is left alone.  RouteError says why nothing changed."""
    config = _load_for_change(path)
    if not remove_local_route(config, name):
        raise RouteError(f"{path}: no route for {name.strip().lower()} (it may have been removed "
                         "meanwhile: Refresh shows the file as it is)")
    _save_change(config, path)
