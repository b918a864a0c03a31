"""Retries and redispatch on a refused server: the engine against the real haproxy.

Each case runs one backend (a refused port "dead", and maybe an answering
"alive") on both, sends the same requests one by one, and compares what the
client sees (status, and whether the answer waited HAProxy's turn-around of
min(timeout connect, 1 s) = 100 ms here, and how many times) and what ``show
stat`` says (econ, wretr, wredis per server).  The cases were chosen from
stream.c's rules: an algorithm that hashes the request never redispatches
early; roundrobin/leastconn/first/static-rr/random do, at once, when more than
one server is active; a single active server waits even when redispatching.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from tests.proxy.engine._engine_support import request, running
from tests.proxy.engine._haproxy_harness import free_port, running_haproxy, wait_listening

TEMPLATE = """\
global
    stats socket ipv4@127.0.0.1:{stats} level admin
defaults
    mode http
    timeout connect 100ms
    timeout client 5s
    timeout server 5s
    retries {retries}
    {redispatch}
frontend www
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance {balance}
{servers}
frontend alive
    bind 127.0.0.1:{alive}
    http-request return status 200 content-type text/plain string ok
"""

# (balance, option redispatch, retries, server order, requests)
CASES = {
    "roundrobin-no-redispatch-alone": ("roundrobin", False, 1, "dead", 2),
    "roundrobin-no-redispatch-pair": ("roundrobin", False, 2, "dead alive", 4),
    "roundrobin-redispatch-alone": ("roundrobin", True, 2, "dead", 2),
    "roundrobin-redispatch-pair": ("roundrobin", True, 2, "dead alive", 4),
    "leastconn-redispatch-pair": ("leastconn", True, 2, "dead alive", 4),
    "first-redispatch-pair": ("first", True, 2, "dead alive", 2),
    "static-rr-redispatch-pair": ("static-rr", True, 3, "dead alive", 2),
    "source-redispatch-hashes-to-dead": ("source", True, 2, "alive dead", 2),
    "uri-redispatch-hashes-to-dead": ("uri", True, 3, "alive dead", 2),
}
TURN_AROUND = 0.1  # min(timeout connect, 1 s)


def _refused_port() -> int:
    """A port nothing listens on (bound and closed: the kernel refuses it at once)."""
    return free_port()


def _show_stat(port: int) -> dict[str, tuple[int, int, int]]:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    names = lines[0].lstrip("# ").split(",")
    found = {}
    for line in lines[1:]:
        row = dict(zip(names, line.split(","), strict=False))
        if row.get("pxname") == "app" and row["svname"] != "BACKEND":
            found[row["svname"]] = (int(row["econ"] or 0), int(row["wretr"] or 0), int(row["wredis"] or 0))
    return found


async def _answers(port: int, count: int) -> list[tuple[int, int]]:
    """(status, turn-arounds waited) for ``count`` requests, one after the other."""
    seen = []
    for _ in range(count):
        started = time.monotonic()
        status = (await asyncio.wait_for(request(port, "/"), 10)).status
        seen.append((status, round((time.monotonic() - started) / TURN_AROUND)))
    return seen


@pytest.mark.haproxy
@pytest.mark.asyncio
@pytest.mark.parametrize("case", sorted(CASES))
async def test_retries_and_redispatch_do_what_haproxy_does(case: str, haproxy_bin: str) -> None:
    balance, redispatch, retries, order, count = CASES[case]
    dead, alive = _refused_port(), free_port()
    lines = {"dead": f"    server dead 127.0.0.1:{dead}", "alive": f"    server alive 127.0.0.1:{alive}"}
    servers = "\n".join(lines[name] for name in order.split())

    def config(port: int, stats: int, alive_port: int) -> str:
        return TEMPLATE.format(stats=stats, retries=retries, port=port, balance=balance,
                               redispatch="option redispatch" if redispatch else "",
                               servers=servers.replace(f":{alive}", f":{alive_port}"), alive=alive_port)

    theirs_port, theirs_stats = free_port(), free_port()
    with running_haproxy(config(theirs_port, theirs_stats, alive)):
        wait_listening(theirs_port)
        theirs = await _answers(theirs_port, count)
        their_counters = _show_stat(theirs_stats)
    # The engine serves "alive" from its own frontend too (same config, other ports).
    ours_port, ours_stats, ours_alive = free_port(), free_port(), free_port()
    async with running(config(ours_port, ours_stats, ours_alive)) as engine:
        ours = await _answers(ours_port, count)
        backend = engine.generation.backends["app"]  # type: ignore[union-attr]
        our_counters = {s.name: (s.counters.econ, s.counters.wretr, s.counters.wredis)
                        for s in backend.servers}
    assert ours == theirs
    assert our_counters == their_counters
