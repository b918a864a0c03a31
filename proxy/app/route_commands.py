"""``proxydesk route ...``: local developer routes on the command line.

``route add``, ``route remove`` and ``route list`` work on one file
(``routes.cfg`` unless ``-c FILE``), through the same routing model as the
app's first-run wizard (``proxy.routes``): a missing file starts as a new
config, a file with parse errors is reported and left alone, and every write
is atomic.  Certificates come from the default ``CertStore``
(``PROXYDESK_DATA_DIR`` moves it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from proxy.certs.errors import CertError
from proxy.certs.store import CertStore
from proxy.config.model import Config
from proxy.config.parser import parse, parse_file
from proxy.config.writer import write_file
from proxy.routes import (
    DEFAULT_HTTPS_PORT,
    LocalRoute,
    add_local_route,
    remove_local_route,
    routes_of,
    with_local_certificate,
)

__all__ = ["ROUTES_FILE", "cmd_route_add", "cmd_route_list", "cmd_route_remove", "register"]

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
