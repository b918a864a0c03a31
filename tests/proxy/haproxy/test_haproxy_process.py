"""``HaproxyProcess`` on Debian's real haproxy: the tutorial, its routing, stats, logs, reloads.

Everything is real: the tutorial's four demo servers on loopback, haproxy in
master-worker mode, HTTP over TCP, ``show stat`` over the unix socket, log
lines over UDP.  Each test stops what it started and checks that no haproxy
process is left.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from proxy.app.demo import port_of, start_demo_servers, tutorial_config
from proxy.config.model import Config
from proxy.config.parser import parse
from proxy.config.writer import write
from proxy.engine.session import EventSampler, LogEvent
from proxy.haproxy import Haproxy, HaproxyError, HaproxyProcess

pytestmark = [pytest.mark.haproxy, pytest.mark.asyncio]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def get(port: int, path: str) -> tuple[int, str]:
    """One request on a new connection: (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    head, _, body = data.decode().partition("\r\n\r\n")
    return int(head.split(" ")[1]), body


@dataclass
class Tutorial:
    process: HaproxyProcess
    user_file: Path
    original: bytes

    @property
    def port(self) -> int:
        return self.process.port_of("main")

    def edited(self, old: str, new: str) -> Config:
        text = self.original.decode()
        assert old in text
        return parse(text.replace(old, new, 1), str(self.user_file)).config


def _no_process(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


@asynccontextmanager
async def tutorial_on_haproxy(haproxy_bin: str, tmp_path: Path,
                              sampler: EventSampler | None = None) -> AsyncIterator[Tutorial]:
    """The tutorial config saved as the user's file, served by haproxy on free ports."""
    servers = await start_demo_servers((0, 0, 0, 0))
    config = tutorial_config([port_of(s) for s in servers], free_port(),
                             stats_port=free_port(), socket_port=None)
    user_file = tmp_path / "haproxy.cfg"
    user_file.write_text(write(config))
    original = user_file.read_bytes()
    process = HaproxyProcess(parse(original.decode(), str(user_file)).config,
                             haproxy=Haproxy.at(haproxy_bin), sampler=sampler)
    await process.start()
    pid, private = process.pid, process.private_dir
    assert pid is not None and private is not None
    assert private.stat().st_mode & 0o777 == 0o700
    assert (private / "haproxy.cfg").read_bytes() == original  # the copy is the user's text
    try:
        yield Tutorial(process, user_file, original)
    finally:
        await process.stop(grace=2.0)
        for server in servers:
            server.close()
        assert _no_process(pid), "haproxy processes are left behind"
        assert not private.exists()
        assert user_file.read_bytes() == original, "the user's file was modified"


async def events_until(process: HaproxyProcess, count: int, timeout: float = 3.0) -> list[LogEvent]:
    found: list[LogEvent] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        found += process.drain_events()
        await asyncio.sleep(0.02)
    return found


async def test_tutorial_routing_stats_and_logs(haproxy_bin: str, tmp_path: Path) -> None:
    async with tutorial_on_haproxy(haproxy_bin, tmp_path) as t:
        port = t.port
        for _ in range(3):
            assert (await get(port, "/admin"))[0] == 403
        light = [(await get(port, "/lightwork"))[1] for _ in range(4)]
        assert {b.split(":")[0] for b in light} == {"server1", "server2"}
        assert all(b.endswith("Doing light work!\n") for b in light)
        home = [(await get(port, "/"))[1].split(":")[0] for _ in range(8)]
        assert sorted(home) == ["server1", "server1", "server2", "server2",
                                "server3", "server3", "server4", "server4"]

        stats = await t.process.stats_async()
        light_s1 = stats.find("light", "server1")
        assert light_s1 is not None and light_s1.counters["req_tot"] == 2
        all_backend = stats.find("all", "BACKEND")
        assert all_backend is not None and all_backend.counters["req_tot"] == 8
        frontend = stats.find("main", "FRONTEND")
        assert frontend is not None and frontend.counters["dreq"] == 3
        for _ in range(3):
            await get(port, "/lightwork")
        later = await t.process.stats_async()
        assert later.find("light", "server1").counters["req_tot"] >= 3  # type: ignore[union-attr]

        events = await events_until(t.process, 18)
        assert len(events) == 18
        denied = [e for e in events if e.status == 403]
        assert len(denied) == 3 and all(e.path == "/admin" and e.server == "" for e in denied)
        light_events = [e for e in events if e.backend == "light"]
        assert {e.server for e in light_events} == {"server1", "server2"}
        assert all(e.frontend == "main" and e.status == 200 and e.method == "GET"
                   for e in light_events)
        assert t.process.listening[0] == ("main", "127.0.0.1", port)


async def test_a_sampled_log_lists_a_burst_and_every_refusal_and_counts_the_rest(
    haproxy_bin: str, tmp_path: Path
) -> None:
    """The window's sample of HAProxy's log lines, as of the embedded engine's events."""
    sampler = EventSampler(per_second=0.001, burst=5)  # no refill during the test
    async with tutorial_on_haproxy(haproxy_bin, tmp_path, sampler) as t:
        for _ in range(12):
            assert (await get(t.port, "/"))[0] == 200
        for _ in range(3):
            assert (await get(t.port, "/admin"))[0] == 403
        events = await events_until(t.process, 8)
        await asyncio.sleep(0.2)  # any line still in flight
        events += t.process.drain_events()
        unlisted = t.process.take_unlisted()
    assert sorted(e.status for e in events) == [200] * 5 + [403] * 3
    assert unlisted == 7 and t.process.take_unlisted() == 0  # counted once


async def test_apply_reloads_without_failing_a_request(haproxy_bin: str, tmp_path: Path) -> None:
    async with tutorial_on_haproxy(haproxy_bin, tmp_path) as t:
        port = t.port
        assert (await get(port, "/admin"))[0] == 403
        done = asyncio.Event()
        outcomes: list[int | Exception] = []

        async def client() -> None:
            # bounded: at most 2000 requests, and 20 more once the reload is confirmed
            after = 0
            while len(outcomes) < 2000 and after < 20:
                try:
                    outcomes.append((await get(port, "/"))[0])
                except Exception as exc:
                    outcomes.append(exc)
                after += done.is_set()

        clients = [asyncio.create_task(client()) for _ in range(4)]
        await asyncio.sleep(0.2)
        await t.process.apply(t.edited("    http-request deny if is_admin\n", ""))
        done.set()
        await asyncio.gather(*clients)
        failures = [o for o in outcomes if o != 200]
        assert not failures, f"{len(failures)} of {len(outcomes)} failed: {failures[:3]}"
        print(f"reload: {t.process.last_reload_seconds * 1000:.0f} ms, {len(outcomes)} requests, 0 failed")
        assert len(outcomes) >= 80
        assert t.process.last_reload_seconds < 5
        status, body = await get(port, "/admin")
        assert status == 200 and body.endswith("Admin page!\n")
        stats = await t.process.stats_async()  # the new worker's counters, from zero
        assert stats.find("main", "FRONTEND").counters["req_tot"] < len(outcomes)  # type: ignore[union-attr]
        assert stats.find("all", "BACKEND").counters["hrsp_2xx"] >= 1  # type: ignore[union-attr]
        assert await events_until(t.process, 1)  # logs still arrive from the new worker


async def test_an_invalid_apply_is_refused_with_haproxys_located_message(
    haproxy_bin: str, tmp_path: Path
) -> None:
    async with tutorial_on_haproxy(haproxy_bin, tmp_path) as t:
        bad = t.edited("    acl is_admin", "    timout 5s\n    acl is_admin")
        bad_line = write(bad).splitlines().index("    timout 5s") + 1
        with pytest.raises(HaproxyError) as refused:
            await t.process.apply(bad)
        assert "unknown keyword 'timout'" in refused.value.message
        first = refused.value.diagnostics[0]
        assert (first.path, first.line, first.severity) == (str(t.user_file), bad_line, "error")
        assert (await get(t.port, "/admin"))[0] == 403  # the old config keeps serving
        assert (await get(t.port, "/"))[0] == 200


async def test_a_start_haproxy_refuses_leaves_nothing_running(
    haproxy_bin: str, tmp_path: Path
) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        port = busy.getsockname()[1]
        text = ("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n"
                f"    timeout server 1s\nfrontend fe\n    bind 127.0.0.1:{port}\n"
                "    http-request return status 200\n")
        process = HaproxyProcess(parse(text, str(tmp_path / "x.cfg")).config,
                                 haproxy=Haproxy.at(haproxy_bin))
        with pytest.raises(HaproxyError, match="cannot bind") as refused:
            await process.start()
        assert f"[127.0.0.1:{port}]" in refused.value.message
        assert refused.value.diagnostics[0].path == str(tmp_path / "x.cfg")
        assert process.pid is None and process.listening == []
    finally:
        busy.close()


async def test_a_reload_haproxy_cannot_load_keeps_the_old_worker(
    haproxy_bin: str, tmp_path: Path
) -> None:
    """``haproxy -c`` binds nothing, so a port taken by someone else fails only at the reload:
    the master reports it, the old worker keeps serving, the copy goes back to what it runs."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        async with tutorial_on_haproxy(haproxy_bin, tmp_path) as t:
            taken = busy.getsockname()[1]
            with pytest.raises(HaproxyError, match="previous one keeps serving") as refused:
                await t.process.apply(t.edited("    acl is_admin",
                                               f"    bind 127.0.0.1:{taken}\n    acl is_admin"))
            assert f"cannot bind socket (Address already in use) for [127.0.0.1:{taken}]" in (
                refused.value.message)
            assert (await get(t.port, "/admin"))[0] == 403
            private = t.process.private_dir
            assert private is not None
            assert (private / "haproxy.cfg").read_bytes() == t.original
            await t.process.apply(t.edited("    http-request deny if is_admin\n", ""))
            assert (await get(t.port, "/admin"))[0] == 200  # and the next reload works
    finally:
        busy.close()
