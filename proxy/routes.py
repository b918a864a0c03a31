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

Used by the app's first-run wizard and by ``proxydesk route`` (``proxy.app.route_commands``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509

from proxy.certs.issue import certificate_names
from proxy.certs.store import CertStore
from proxy.config.edit import append_section, place_node
from proxy.config.model import Config, Section
from proxy.config.nodes import Bind
from proxy.config.parser import parse

__all__ = ["DEFAULT_HTTPS_PORT", "LocalRoute", "add_local_route", "remove_local_route",
           "routes_of", "with_local_certificate"]

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
