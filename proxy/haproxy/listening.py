"""The (frontend, host, port) addresses a config binds, read from its ``bind`` lines.

HAProxy has no runtime command listing its listeners in 2.6, and the config is
what it binds: every TCP address of every ``bind`` in a frontend or listen
section (a port range is expanded, unix and abns sockets are not TCP and are
left out).  A wildcard host is reported as HAProxy binds it, ``0.0.0.0`` or
``::``, as the embedded engine does.
"""

from __future__ import annotations

from proxy.config.model import Config
from proxy.config.nodes import split_host_port

__all__ = ["bind_addresses", "listening"]

_NOT_TCP = ("unix", "abns", "fd", "sockpair", "quic4", "quic6", "udp", "udp4", "udp6")


def bind_addresses(address: str) -> list[tuple[str, int]]:
    """``:8080``, ``127.0.0.1:80-81``, ``ipv6@[::1]:443`` -> [(host, port)...]."""
    family, _, rest = address.rpartition("@")
    if family in _NOT_TCP or (not family and rest.startswith("/")):
        return []
    host, _, ports = split_host_port(rest)
    if host in ("", "*"):
        host = "::" if family in ("ipv6", "tcp6") else "0.0.0.0"
    first, _, last = ports.partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        return []
    return [(host, port) for port in range(int(first), int(last or first) + 1)]


def listening(config: Config) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    for section in config.frontends:
        for bind in section.binds:
            for address in bind.addresses:
                found += [(section.name or "", host, port) for host, port in bind_addresses(address)]
    return found
