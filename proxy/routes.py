"""Local developer routes: ``https://app.localhost`` -> ``127.0.0.1:3000``, as config.

Theory of operation
-------------------
One ``local_routes`` frontend (made on first use) holds an HTTP bind and, for
HTTPS, one TLS bind carrying a ``crt`` per host name, so SNI picks each route's
certificate; each route adds an ACL on the Host header (port and case ignored)
and a ``use_backend`` to a backend of its own with one server, the app.  The
new lines are written as haproxy.cfg text and parsed, so the model gets exactly
what a person would have typed; the certificate path is added as a node so the
writer quotes it (macOS's "Application Support" has a space).  Certificates come
from Proxydesk's local CA (``CertStore.certificate_for``: reused while valid).

Used by the app's first-run wizard and by ``proxydesk route``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509

from proxy.certs.errors import CertError
from proxy.certs.issue import certificate_names
from proxy.certs.store import CertStore
from proxy.config.edit import append_section, place_node
from proxy.config.model import Config, Section
from proxy.config.nodes import Bind
from proxy.config.parser import parse, parse_file
from proxy.config.writer import write_file

__all__ = ["DEFAULT_HTTPS_PORT", "LocalRoute", "add_local_route", "register",
           "remove_local_route", "routes_of", "with_local_certificate"]

DEFAULT_HTTPS_PORT = 8443


@dataclass(frozen=True)
class LocalRoute:
    hostname: str = "app.localhost"
    target: str = "127.0.0.1:3000"
    listen_port: int = 8080
    https_port: int | None = None  # also serve https://hostname:https_port ...
    certificate: str | None = None  # ... with this PEM (leaf, chain and key)

    @property
    def backend_name(self) -> str:
        return "be_" + "".join(ch if ch.isalnum() else "_" for ch in self.hostname)

    @property
    def serves_https(self) -> bool:
        return self.https_port is not None and self.certificate is not None


def with_local_certificate(route: LocalRoute, store: CertStore) -> LocalRoute:
    """The route with a certificate of Proxydesk's local CA for its host name (reused
    when one is already issued, else issued now)."""
    entry = store.certificate_for(route.hostname)
    return replace(route, certificate=str(entry.pem_path))


def _route_text(route: LocalRoute, with_frontend: bool) -> str:
    acl = "host_" + route.backend_name[3:]
    frontend = (
        "frontend local_routes\n"
        f"    bind 127.0.0.1:{route.listen_port}\n"
        "    mode http\n"
        "    timeout client 30s\n"
        if with_frontend else "frontend local_routes\n"
    )
    return (
        f"{frontend}"
        # the Host header without its port, in any case: one rule for http and https
        f"    acl {acl} req.hdr(host),field(1,:),lower -m str {route.hostname.lower()}\n"
        f"    use_backend {route.backend_name} if {acl}\n"
        "\n"
        f"backend {route.backend_name}\n"
        "    mode http\n"
        "    timeout connect 5s\n"
        "    timeout server 30s\n"
        f"    server app {route.target}\n"
    )


def add_local_route(config: Config, route: LocalRoute) -> None:
    """Route ``route.hostname`` to ``route.target``: a ``local_routes`` frontend (created
    on first use, extended afterwards) and one backend per host name."""
    existing = config.find("frontend", "local_routes")
    parsed = parse(_route_text(route, existing is None)).config
    frontend, backend = parsed.sections
    for stmt in frontend.body + backend.body:
        stmt.origin = None  # new lines: written with the file's own indentation and line ends
    frontend.header.origin = backend.header.origin = None
    frontend.body = [s for s in frontend.body if s.words]
    if existing is None:
        append_section(config, frontend)
    else:
        for stmt in frontend.body:
            place_node(existing, stmt.node)
    if route.serves_https:  # added as a node: the writer quotes the path (spaces on macOS)
        _serve_certificate(existing or frontend, route)
    if config.find("backend", backend.name) is None:
        append_section(config, backend)


def remove_local_route(config: Config, hostname: str) -> bool:
    """Undo ``add_local_route``: the host's ACL, rule, backend and certificate (the file
    stays in the store). False when the config has no route for ``hostname``."""
    route = LocalRoute(hostname.lower())
    frontend = config.find("frontend", "local_routes")
    if frontend is None or hostname.lower() not in dict(routes_of(config)):
        return False
    acl = "host_" + route.backend_name[3:]
    for stmt in [s for s in frontend.body if s.words[:2] == ["acl", acl]
                 or s.words[:2] == ["use_backend", route.backend_name]]:
        frontend.remove(stmt)
    backend = config.find("backend", route.backend_name)
    if backend is not None:
        config.sections.remove(backend)
    _drop_certificates_of(frontend, route.hostname, {h for h, _ in routes_of(config)})
    while config.sections and config.sections[-1].body and not config.sections[-1].body[-1].words \
            and not config.sections[-1].body[-1].comment:
        config.sections[-1].body.pop()  # no blank lines left dangling at the end
    return True


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
    return set(certificate_names(certificate))


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


# ----------------------------------------------------------------------- the command line

ROUTES_FILE = "routes.cfg"
_NEW_FILE = "# Local developer routes, written by 'proxydesk route add'.\n"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``route add`` and ``route list`` to ``proxydesk``'s command tree."""
    route = subparsers.add_parser("route", help="local developer routes (app.localhost -> :3000)")
    commands = route.add_subparsers(dest="route_command", metavar="COMMAND", required=True)
    add = commands.add_parser("add", help="route a host name to a local app, with HTTPS")
    add.add_argument("hostname", help="the name to type in the browser, e.g. app.localhost")
    add.add_argument("target", help="where the app listens, e.g. 127.0.0.1:3000")
    add.add_argument("-c", "--config", default=ROUTES_FILE, help=f"file to extend (default {ROUTES_FILE})")
    add.add_argument("--http-port", type=int, default=8080, help="HTTP port (default 8080)")
    add.add_argument("--https-port", type=int, default=DEFAULT_HTTPS_PORT,
                     help=f"HTTPS port (default {DEFAULT_HTTPS_PORT})")
    add.add_argument("--no-https", action="store_true", help="plain HTTP only, no certificate")
    add.set_defaults(func=cmd_route_add)
    remove = commands.add_parser("remove", help="take a host name's route out of the file")
    remove.add_argument("hostname")
    remove.add_argument("-c", "--config", default=ROUTES_FILE, help=f"default {ROUTES_FILE}")
    remove.set_defaults(func=cmd_route_remove)
    listing = commands.add_parser("list", help="the routes of a file")
    listing.add_argument("-c", "--config", default=ROUTES_FILE, help=f"default {ROUTES_FILE}")
    listing.set_defaults(func=cmd_route_list)


def _load(path: Path) -> Config | None:
    """The file's config (a new one if it does not exist); None after printing its errors."""
    if not path.exists():
        return parse(_NEW_FILE, str(path)).config
    result = parse_file(path)
    for diagnostic in result.errors:
        print(diagnostic, file=sys.stderr)
    return None if result.errors else result.config


def cmd_route_add(args: argparse.Namespace) -> int:
    path = Path(args.config)
    config = _load(path)
    if config is None:
        return 1
    route = LocalRoute(args.hostname.strip().lower(), args.target.strip(), args.http_port,
                       None if args.no_https else args.https_port)
    if route.https_port is not None:
        try:
            route = with_local_certificate(route, CertStore())
        except (CertError, OSError) as exc:
            print(f"proxydesk: no certificate for {route.hostname}: {exc}", file=sys.stderr)
            return 1
    add_local_route(config, route)
    write_file(config, path)  # atomic: a failure leaves the previous file as it was
    urls = [f"http://{route.hostname}:{route.listen_port}/"]
    if route.serves_https:
        urls.insert(0, f"https://{route.hostname}:{route.https_port}/")
    print(f"{' and '.join(urls)} -> {route.target}  (in {path})")
    print(f"Run it:  proxydesk run {path}")
    if route.serves_https:
        print("Browsers trust the certificate once the local CA is: proxydesk cert trust")
    return 0


def cmd_route_remove(args: argparse.Namespace) -> int:
    path = Path(args.config)
    config = _load(path) if path.exists() else None
    if config is None or not remove_local_route(config, args.hostname):
        print(f"{path}: no route for {args.hostname}", file=sys.stderr)
        return 1
    write_file(config, path)
    print(f"removed {args.hostname.lower()} from {path}")
    return 0


def cmd_route_list(args: argparse.Namespace) -> int:
    path = Path(args.config)
    if not path.exists():
        print(f"{path}: no routes yet (proxydesk route add NAME HOST:PORT)", file=sys.stderr)
        return 1
    config = _load(path)
    if config is None:
        return 1
    for hostname, target in routes_of(config):
        print(f"{hostname} -> {target}")
    return 0


def routes_of(config: Config) -> list[tuple[str, str]]:
    """(host name, app address) of every route of the ``local_routes`` frontend."""
    frontend = config.find("frontend", "local_routes")
    if frontend is None:
        return []
    found = []
    for rule in frontend.use_backends:
        backend = config.find("backend", rule.backend)
        acl = next((a for a in frontend.acls if rule.condition and a.name in rule.condition.words), None)
        if backend is None or acl is None or not backend.servers or not acl.patterns:
            continue
        found.append((acl.patterns[-1], backend.servers[0].address))
    return found
