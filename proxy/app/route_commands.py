"""``proxydesk route ...``: local developer routes on the command line.

``route add``, ``route remove`` and ``route list`` work on one file per user
(``proxy.routes.default_routes_path()``: the platform's config directory, or
``$PROXYDESK_CONFIG_DIR``) unless ``-c FILE`` names another, through the same
routing model as the app's first-run wizard (``proxy.routes``): a missing file
starts as a new config, a file with parse errors is reported and left alone,
and every write is atomic.  Everything that can be refused (the name, the
target, the ports, the hosts file's permission) is checked before anything is
written, so a refusal leaves every file as it was.  Certificates come from the
default ``CertStore`` (``PROXYDESK_DATA_DIR`` moves it); the hosts file is
``proxy.hostsfile.hosts_path()`` (``PROXYDESK_HOSTS_FILE`` moves it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from proxy import hostsfile
from proxy.app.ports import low_port_help, low_ports_need_privilege
from proxy.certs.errors import CertError
from proxy.certs.store import CertStore
from proxy.config.model import Config
from proxy.routes import (
    DEFAULT_HTTP_PORT,
    DEFAULT_HTTPS_PORT,
    LocalRoute,
    RouteError,
    RouteInfo,
    add_local_route,
    default_routes_path,
    frontend_ports,
    load_routes_file,
    normalize_route_name,
    parse_target,
    remove_local_route,
    route_ports,
    route_urls,
    routes_in,
    save_routes_file,
    set_frontend_ports,
    with_local_certificate,
)

__all__ = ["cmd_route_add", "cmd_route_list", "cmd_route_remove", "register"]


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port (1 to 65535)")
    return int(text)


def _ports(text: str) -> tuple[int, int]:
    http, comma, https = text.partition(",")
    if not comma:
        raise argparse.ArgumentTypeError(f"'{text}' is not HTTP,HTTPS (e.g. 80,443)")
    return _port(http.strip()), _port(https.strip())


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE",
                        help=f"routes file (default: {default_routes_path()})")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``route add``, ``route remove`` and ``route list`` to ``proxydesk``'s command tree."""
    route = subparsers.add_parser("route", help="local developer routes (app.localhost -> :3000)")
    commands = route.add_subparsers(dest="route_command", metavar="COMMAND", required=True)
    add = commands.add_parser(
        "add", help="route a host name to a local app, with HTTPS",
        description="Route NAME to a local app; a NAME already routed gets the new TARGET.")
    add.add_argument("hostname", metavar="NAME",
                     help="the name to type in the browser: app.localhost, or *.app.localhost "
                          "for every subdomain")
    add.add_argument("target", metavar="TARGET",
                     help="where the app listens: 3000, 127.0.0.1:3000, [::1]:3000, "
                          "http://HOST:PORT, or https://HOST:PORT for an app speaking HTTPS")
    _add_config_option(add)
    add.add_argument("--http-port", type=_port,
                     help=f"HTTP port of every route (default {DEFAULT_HTTP_PORT}, or the file's)")
    add.add_argument("--https-port", type=_port,
                     help=f"HTTPS port of every route (default {DEFAULT_HTTPS_PORT}, or the file's)")
    add.add_argument("--ports", type=_ports, metavar="HTTP,HTTPS",
                     help="both ports at once; --ports 80,443 gives URLs without a port")
    add.add_argument("--no-https", action="store_true", help="plain HTTP only, no certificate")
    add.add_argument("--hosts", action="store_true",
                     help=f"add '127.0.0.1 NAME' to {hostsfile.hosts_path()} (needs administrator "
                          "rights; 'route remove' takes it away again)")
    add.set_defaults(func=cmd_route_add)
    remove = commands.add_parser("remove", help="take a host name's route out of the file")
    remove.add_argument("hostname", metavar="NAME")
    _add_config_option(remove)
    remove.set_defaults(func=cmd_route_remove)
    listing = commands.add_parser("list", help="the routes of a file")
    _add_config_option(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    listing.set_defaults(func=cmd_route_list)


def _path(args: argparse.Namespace) -> Path:
    return Path(args.config) if args.config else default_routes_path()


def _load(path: Path) -> Config | None:
    """The file's config (a new one if it does not exist); None after printing its errors."""
    config, errors = load_routes_file(path)
    for diagnostic in errors:
        print(diagnostic, file=sys.stderr)
    return None if errors else config


def _fail(message: str) -> int:
    print(f"proxydesk: {message}", file=sys.stderr)
    return 1


def cmd_route_add(args: argparse.Namespace) -> int:
    path = _path(args)
    try:
        hostname = normalize_route_name(args.hostname)
        target, target_tls = parse_target(args.target)
    except RouteError as exc:
        return _fail(f"{exc}; nothing was changed")
    asked_http, asked_https = args.ports if args.ports else (args.http_port, args.https_port)
    if args.no_https:
        asked_https = None
    hosts = hostsfile.hosts_path()
    if args.hosts and hostname.startswith("*."):
        return _fail(f"a hosts file cannot hold a wildcard ({hostname}); nothing was changed. "
                     "Use a name under .localhost, or a local DNS server (dnsmasq: "
                     f"address=/{hostname[2:]}/127.0.0.1)")
    config = _load(path)
    if config is None:
        return _fail(f"{path} has errors (above); fix them first, nothing was changed")
    try:
        http_port, https_port = route_ports(config, asked_http, asked_https, https=not args.no_https)
    except RouteError as exc:
        return _fail(f"{exc}; nothing was changed")
    if args.hosts and hostname not in hostsfile.mapped_names(hosts):
        refusal = _hosts_unwritable(hosts, hostname, "add")
        if refusal is not None:
            return _fail(refusal)
    route = LocalRoute(hostname, target, http_port, https_port, target_tls=target_tls)
    if route.https_port is not None:
        try:
            route = with_local_certificate(route, CertStore())
        except (CertError, OSError) as exc:
            return _fail(f"no certificate for {hostname}: {exc}; nothing was changed "
                         "(--no-https routes plain HTTP only)")
    set_frontend_ports(config, asked_http, asked_https)  # ports asked for move every route
    previous = add_local_route(config, route)
    added_hosts_line = False
    if args.hosts:
        try:
            added_hosts_line = hostsfile.add_hosts_line(hostname, hosts)
        except OSError as exc:
            return _fail(f"cannot write {hosts}: {exc.strerror or exc}; nothing was changed")
    try:
        save_routes_file(config, path)  # atomic: a failure leaves the previous file as it was
    except OSError as exc:
        if added_hosts_line:
            hostsfile.remove_hosts_line(hostname, hosts)
        return _fail(f"cannot write {path}: {exc.strerror or exc}; nothing was changed")
    _report_added(config, route, previous, path)
    if added_hosts_line:
        print(f"added '{hostsfile.hosts_line(hostname)}' to {hosts}")
    _report_resolution(hostname, hosts, args.hosts)
    _report_low_ports(config)
    return 0


def _report_added(config: Config, route: LocalRoute, previous: RouteInfo | None, path: Path) -> None:
    info = next(r for r in routes_in(config) if r.hostname == route.hostname)
    shown = info.target_url if info.target_tls else info.target
    print(f"{' and '.join(route_urls(config, info))} -> {shown}  (in {path})")
    if previous is not None:
        was = previous.target_url if previous.target_tls else previous.target
        print(f"(replaced the route of {route.hostname}, which went to {was})")
    print(f"Run it:  proxydesk run {path}")
    if info.https:
        print("Browsers trust the certificate once the local CA is: proxydesk cert trust")


def _report_resolution(hostname: str, hosts: Path, asked: bool) -> None:
    """Say plainly whether the name will resolve to this machine, and what to do if not."""
    bare = hostname.removeprefix("*.")
    if not hostsfile.needs_hosts_line(bare):
        if not hostsfile.localhost_names_resolve() and hostname not in hostsfile.mapped_names(hosts):
            print(f"note: browsers and curl resolve {hostname} to this machine themselves, but this "
                  f"system's resolver does not ({hostsfile.PROBE_NAME} did not resolve), so other "
                  "clients (Python, Java, older Node) will not find it; systemd-resolved or "
                  "nss-myhostname make it resolve"
                  + ("" if hostname.startswith("*.") else
                     f", or add '{hostsfile.hosts_line(hostname)}' to {hosts} (--hosts does)"),
                  file=sys.stderr)
        return
    if hostname in hostsfile.mapped_names(hosts):
        return
    if hostname.startswith("*."):
        print(f"warning: this system will not resolve names under {bare} (browsers fail with "
              "ERR_NAME_NOT_RESOLVED) unless your DNS serves them, and a hosts file cannot hold "
              f"wildcards: use *.{bare.split('.')[0]}.localhost, or a local DNS server "
              f"(dnsmasq: address=/{bare}/127.0.0.1)", file=sys.stderr)
        return
    if not asked:
        print(f"warning: this system will not resolve {hostname} (browsers fail with "
              "ERR_NAME_NOT_RESOLVED) unless your DNS serves it. Add this line to "
              f"{hosts}:\n    {hostsfile.hosts_line(hostname)}\nor rerun with --hosts (as "
              "administrator) to have it added; a name under .localhost needs none.",
              file=sys.stderr)


def _report_low_ports(config: Config) -> None:
    for port in frontend_ports(config):
        if port is not None and low_ports_need_privilege(port):
            print(f"note: 'proxydesk run' will need a privilege for port {port}:", file=sys.stderr)
            for line in low_port_help(port):
                print(f"  {line}", file=sys.stderr)


def _hosts_unwritable(hosts: Path, hostname: str, doing: str) -> str | None:
    """Why the hosts file cannot take the change (checked before anything is written), or None."""
    try:
        hostsfile.check_writable(hosts)
    except PermissionError:
        return _hosts_denied(hosts, hostname, doing)
    except OSError as exc:
        return f"cannot write {hosts}: {exc.strerror or exc}; nothing was changed"
    return None


def _hosts_denied(hosts: Path, hostname: str, verb: str) -> str:
    line = hostsfile.hosts_line(hostname)
    what = (f"add '{line}' to {hosts}" if verb == "add" else f"remove '{line}' from {hosts}")
    return (f"permission denied: cannot {what}; nothing was changed. Rerun the command with "
            "sudo (as administrator on Windows), or edit the file yourself and rerun "
            + ("without --hosts" if verb == "add" else "the command"))


def cmd_route_remove(args: argparse.Namespace) -> int:
    path = _path(args)
    config = _load(path) if path.exists() else None
    hostname = args.hostname.strip().lower()
    if config is None or not remove_local_route(config, hostname):
        return _fail(f"{path}: no route for {hostname} (proxydesk route list shows the routes)")
    hosts = hostsfile.hosts_path()
    ours = hostsfile.has_hosts_line(hostname, hosts)
    if ours:
        refusal = _hosts_unwritable(hosts, hostname, "remove")
        if refusal is not None:
            return _fail(refusal)
    try:
        save_routes_file(config, path)  # the file 'route add' made goes with its last route
        if ours:
            hostsfile.remove_hosts_line(hostname, hosts)
    except OSError as exc:
        return _fail(f"cannot write {exc.filename or path}: {exc.strerror or exc}")
    print(f"removed {hostname} from {path}" + ("" if path.exists() else " (no routes left: file removed)"))
    if ours:
        print(f"removed '{hostsfile.hosts_line(hostname)}' from {hosts}")
    return 0


def _as_json(config: Config, info: RouteInfo) -> dict[str, object]:
    return {
        "name": info.hostname,
        "target": info.target,
        "target_scheme": "https" if info.target_tls else "http",
        "https": info.https,
        "wildcard": info.hostname.startswith("*."),
        "urls": route_urls(config, info),
        "certificate": info.certificate,
        "backend": info.backend,
    }


def cmd_route_list(args: argparse.Namespace) -> int:
    path = _path(args)
    if not path.exists():
        if args.json:
            print(json.dumps({"file": str(path), "routes": []}, indent=2))
            return 0
        print(f"{path}: no routes yet (proxydesk route add NAME PORT)", file=sys.stderr)
        return 1
    config = _load(path)
    if config is None:
        return _fail(f"{path} has errors (above)")
    routes = routes_in(config)
    if args.json:
        print(json.dumps({"file": str(path), "routes": [_as_json(config, r) for r in routes]},
                         indent=2))
        return 0
    if not routes:
        print(f"{path}: no routes yet (proxydesk route add NAME PORT)", file=sys.stderr)
    for info in routes:
        shown = info.target_url if info.target_tls else info.target
        print(f"{info.hostname} -> {shown}  (https: {'yes' if info.https else 'no'})")
    return 0
