"""Ports below 1024: whether this process may bind them, and the platform's ways out.

Linux reserves ports below ``net.ipv4.ip_unprivileged_port_start`` (1024 by
default) for processes with ``CAP_NET_BIND_SERVICE``; macOS (since 10.14) and
Windows reserve none, so there a refused low port is another program's or a
policy's doing (Windows: an excluded port range, e.g. Hyper-V's).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["PRIVILEGED_BELOW", "low_port_help", "low_ports_need_privilege"]

PRIVILEGED_BELOW = 1024
_UNPRIVILEGED_START = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")


def low_ports_need_privilege(port: int) -> bool:
    """Whether binding ``port`` would need a privilege this process may lack (Linux only;
    root and a lowered ``ip_unprivileged_port_start`` need none)."""
    if not sys.platform.startswith("linux") or port >= PRIVILEGED_BELOW or os.geteuid() == 0:
        return False
    try:
        start = int(_UNPRIVILEGED_START.read_text().strip())
    except (OSError, ValueError):
        start = PRIVILEGED_BELOW
    return port < start


def low_port_help(port: int, platform: str = sys.platform) -> list[str]:
    """What to do when binding ``port`` (< 1024) was refused, on ``platform`` (this one)."""
    if platform.startswith("linux"):
        interpreter = os.path.realpath(sys.executable)  # setcap wants the real file, not a venv link
        return [
            f"port {port} is below 1024: on Linux only privileged programs may listen there. Either",
            f"  let this Python (or the Proxydesk bundle) bind low ports:  "
            f"sudo setcap cap_net_bind_service=+ep {interpreter}",
            "  or let every program bind from port 80 up:  sudo sysctl net.ipv4.ip_unprivileged_port_start=80"
            "  (to keep it: echo net.ipv4.ip_unprivileged_port_start=80 | sudo tee /etc/sysctl.d/50-proxydesk.conf)",
            "  or use ports from 1024 up (the routes' defaults are 8080 and 8443).",
        ]
    if platform.startswith("win"):
        return [f"Windows needs no privilege for port {port}; it is reserved on this machine: "
                "netsh interface ipv4 show excludedportrange protocol=tcp lists the reserved ranges."]
    return [f"macOS needs no privilege for port {port} since 10.14; something else refused it "
            "(a firewall or security policy)."]
