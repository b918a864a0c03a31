"""Benchmark: Proxydesk's engine against HAProxy 2.6 on the same config, same core, same run.

Usage: python bench/engine.py [--duration S] [--only NAME ...]

Theory of operation
-------------------
One origin (Debian's nginx-light when installed, else ``bench/origin.py``)
and the load generator ``wrk`` share core 0; the proxy under test -- HAProxy
(``nbthread 1``) or ``proxydesk run --quiet`` on uvloop -- runs alone on
core 1 (``taskset``).  Every scenario runs against HAProxy and then
Proxydesk, each for ``--duration`` seconds after a one-second warm-up, so
the ratio compares the two under identical conditions.

Per scenario and proxy it records wrk's requests/s (MiB/s for 1 MiB
bodies: one MiB per request), the p99 latency, the proxy's CPU seconds per
10k requests (utime+stime from /proc/PID/stat around the measured run) and
its RSS afterwards.  The idle scenario opens 2,000 keep-alive connections
(one request each, then silence) from this process and reports the proxy's
RSS growth per connection.

HTTP scenarios run the tutorial config (``proxy/demo/tutorial.cfg``: ACLs,
``http-request deny``, ``option forwardfor``, health checks, a stats
page), every server pointing at the origin; TCP scenarios a one-backend
``mode tcp`` relay.  Neither proxy logs requests.  Everything is on
127.0.0.1 and every process is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proxy.app.demo import tutorial_config
from proxy.config.nodes import Generic
from proxy.config.writer import write
from proxy.engine import native

ROOT = Path(__file__).resolve().parent.parent

PROXY_CORE, LOAD_CORE = "1", "0"
IDLE_CONNECTIONS = 2000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

TCP_CONFIG = """\
global
    nbthread 1
    maxconn 8192

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend tcp_in
    bind 127.0.0.1:{port}
    default_backend origin

backend origin
    server origin1 127.0.0.1:{origin}
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    mode: str  # which config: "http" (the tutorial) or "tcp"
    path: str  # "/1m" goes to the bulk origin, the rest to the small one
    connections: int
    close: bool  # a new connection per request
    unit: str  # "req/s" or "MiB/s" (1 MiB per request)
    target: float | None  # Proxydesk / HAProxy throughput the issue asks for

    @property
    def origin(self) -> str:
        return "bulk" if self.path == "/1m" else "small"


SCENARIOS = [
    Scenario("HTTP keep-alive", "http", "/", 50, False, "req/s", 0.7),
    Scenario("HTTP connection per request", "http", "/", 50, True, "req/s", 1.0),
    Scenario("HTTP 1 MiB body", "http", "/1m", 10, False, "MiB/s", 0.9),
    Scenario("TCP keep-alive", "tcp", "/", 50, False, "req/s", None),
    Scenario("TCP connection per request", "tcp", "/", 50, True, "req/s", 0.5),
    Scenario("TCP bulk (1 MiB)", "tcp", "/1m", 10, False, "MiB/s", 0.9),
]


@dataclass
class Measure:
    throughput: float  # req/s or MiB/s
    p99_ms: float
    cpu_per_10k: float
    rss_mib: float
    errors: int
    noise: float  # share of the run core 1 spent on something other than the proxy


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pinned(core: str, argv: Sequence[str]) -> list[str]:
    return ["taskset", "-c", core, *argv] if shutil.which("taskset") and os.cpu_count() != 1 else list(argv)


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


@contextlib.contextmanager
def started(argv: Sequence[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_listening(port, process)
        time.sleep(0.3)  # let health checks mark the servers UP
        yield process
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def core_busy_seconds(core: str) -> float:
    """Busy time of one CPU (all processes) from /proc/stat: total minus idle and iowait."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            ticks = [int(v) for v in line.split()[1:]]
            return (sum(ticks[:8]) - ticks[3] - ticks[4]) / CLOCK_TICKS
    return float("nan")


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) / 1024 if found else float("nan")


ORIGIN_HAPROXY = """\
global
    nbthread 1
    maxconn 8192

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend origin
    bind 127.0.0.1:{port}
    http-request return status 200 content-type text/plain string "server1: Home page!"
"""


@dataclass(frozen=True)
class Origin:
    name: str
    argv: list[str]
    port: int


def origins(work: Path) -> dict[str, Origin]:
    """The "small" origin (tiny responses) and the "bulk" one (``/1m``: 1 MiB).

    nginx-light serves both when installed.  Without it, tiny responses come from an
    HAProxy answering with ``http-request return`` (C speed: a Python origin sharing
    core 0 with wrk would cap both proxies and hide the difference) and 1 MiB bodies
    from ``bench/origin.py`` (HAProxy can only return bodies that fit its buffer).
    """
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx:
        port = free_port()
        conf = work / "nginx.conf"
        (work / "www").mkdir(exist_ok=True)
        (work / "www" / "index.html").write_text("server1: Home page!\n")
        (work / "www" / "1m").write_bytes(b"x" * (1 << 20))
        conf.write_text(
            f"daemon off; worker_processes 1; pid {work}/nginx.pid; error_log stderr;\n"
            f"events {{ worker_connections 8192; }}\n"
            f"http {{ access_log off; keepalive_requests 1000000;\n"
            f"  client_body_temp_path {work}; proxy_temp_path {work};\n"
            f"  server {{ listen 127.0.0.1:{port}; root {work}/www; }} }}\n"
        )
        both = Origin("nginx-light", [nginx, "-c", str(conf), "-e", "stderr"], port)
        return {"small": both, "bulk": both}
    small_port, bulk_port = free_port(), free_port()
    small_cfg = work / "origin.cfg"
    small_cfg.write_text(ORIGIN_HAPROXY.format(port=small_port))
    return {
        "small": Origin("haproxy http-request return", [haproxy_binary(), "-db", "-f", str(small_cfg)], small_port),
        "bulk": Origin("bench/origin.py (uvloop)", [sys.executable, str(ROOT / "bench" / "origin.py"), str(bulk_port)], bulk_port),
    }


def http_config(work: Path, origin_port: int, tag: str) -> tuple[Path, int]:
    port = free_port()
    config = tutorial_config([origin_port] * 4, port, stats_port=free_port(), socket_port=None)
    glob = config.global_section
    assert glob is not None
    for stmt in list(glob.statements("log")):  # neither proxy logs requests
        glob.remove(stmt)
    glob.add(Generic(["nbthread", "1"]))
    path = work / f"tutorial-{tag}.cfg"
    path.write_text(write(config))
    return path, port


def tcp_config(work: Path, origin_port: int, tag: str) -> tuple[Path, int]:
    port = free_port()
    path = work / f"tcp-{tag}.cfg"
    path.write_text(TCP_CONFIG.format(port=port, origin=origin_port))
    return path, port


def proxy_argv(which: str, config: Path) -> list[str]:
    if which == "HAProxy":
        return pinned(PROXY_CORE, [haproxy_binary(), "-db", "-f", str(config)])
    return pinned(PROXY_CORE, [sys.executable, "-m", "proxy.cli", "run", "--quiet", str(config)])


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(found).exists():
        raise SystemExit("haproxy is not installed (apt-get install haproxy)")
    return found


# --------------------------------------------------------------------- wrk

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(port: int, scenario: Scenario, seconds: float) -> tuple[float, float, int]:
    """(requests/s, p99 ms, errors) of one wrk run."""
    argv = ["wrk", "-t1", f"-c{scenario.connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    if scenario.close:
        argv += ["-H", "Connection: close"]
    argv.append(f"http://127.0.0.1:{port}{scenario.path}")
    result = subprocess.run(pinned(LOAD_CORE, argv), capture_output=True, text=True,
                            timeout=seconds + 30, check=True)
    return parse_wrk(result.stdout)


def parse_wrk(out: str) -> tuple[float, float, int]:
    """(requests/s, p99 ms, socket errors + non-2xx/3xx answers) from ``wrk --latency`` output."""
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)  # wrk pads "1.14s "
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return rate, float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else float("nan"), errors


def measure(process: subprocess.Popen[bytes], port: int, scenario: Scenario, seconds: float,
            repeat: int) -> Measure:
    """The best of ``repeat`` runs (the machine may be shared: the best run is the least disturbed)."""
    run_wrk(port, scenario, 1)  # warm-up: pools, caches, health checks
    runs = []
    for _ in range(repeat):
        cpu_before, core_before, started_at = cpu_seconds(process.pid), core_busy_seconds(PROXY_CORE), time.monotonic()
        rate, p99, errors = run_wrk(port, scenario, seconds)
        cpu = cpu_seconds(process.pid) - cpu_before
        other = core_busy_seconds(PROXY_CORE) - core_before - cpu
        requests = rate * seconds
        runs.append(Measure(rate, p99, cpu / requests * 10_000 if requests else float("nan"),
                            rss_mib(process.pid), errors, max(0.0, other) / (time.monotonic() - started_at)))
    return max(runs, key=lambda m: m.throughput)


# ------------------------------------------------------------- idle clients


async def _open_idle(port: int, count: int) -> list[asyncio.StreamWriter]:
    request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    writers: list[asyncio.StreamWriter] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length: *(\d+)", head)
        await reader.readexactly(int(length.group(1)) if length else 0)
        writers.append(writer)

    for start in range(0, count, 200):  # in batches: the listen backlog is finite
        await asyncio.gather(*(one() for _ in range(min(200, count - start))))
    return writers


def idle_rss_per_connection(process: subprocess.Popen[bytes], port: int) -> float:
    """Bytes of proxy RSS per idle keep-alive client connection."""

    async def run() -> float:
        warm = await _open_idle(port, 50)  # first-connection allocations are not per connection
        for writer in warm:
            writer.close()
        await asyncio.sleep(0.5)
        before = rss_mib(process.pid)
        writers = await _open_idle(port, IDLE_CONNECTIONS)
        await asyncio.sleep(1.0)
        after = rss_mib(process.pid)
        for writer in writers:
            writer.close()
        return (after - before) * 1024 * 1024 / IDLE_CONNECTIONS

    return asyncio.run(run())


# ------------------------------------------------------------------- report


def ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs else float("nan")


def verdict(value: float, target: float | None, higher_is_better: bool = True) -> str:
    if target is None:
        return ""
    met = value >= target if higher_is_better else value <= target
    return f"{'met' if met else 'MISSED'} ({'≥' if higher_is_better else '≤'} {target:g})"


def report(results: dict[str, dict[str, Measure]], idle: dict[str, float]) -> str:
    lines = [
        "| scenario | HAProxy | Proxydesk | ratio | target | p99 ms H / P | CPU s per 10k req H / P | RSS MiB H / P | errors H / P | other load on core 1 H / P |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        if scenario.name not in results:
            continue
        h, p = results[scenario.name]["HAProxy"], results[scenario.name]["Proxydesk"]
        r = ratio(p.throughput, h.throughput)
        lines.append(
            f"| {scenario.name} | {h.throughput:,.0f} {scenario.unit} | {p.throughput:,.0f} {scenario.unit} "
            f"| {r:.2f}× | {verdict(r, scenario.target)} | {h.p99_ms:.2f} / {p.p99_ms:.2f} "
            f"| {h.cpu_per_10k:.3f} / {p.cpu_per_10k:.3f} | {h.rss_mib:.1f} / {p.rss_mib:.1f} "
            f"| {h.errors} / {p.errors} | {h.noise:.0%} / {p.noise:.0%} |"
        )
    keep_alive = results.get("HTTP keep-alive")
    if keep_alive:
        r = ratio(keep_alive["Proxydesk"].p99_ms, keep_alive["HAProxy"].p99_ms)
        lines.append(f"| p99 latency, HTTP keep-alive, 50 conns | | | {r:.2f}× | {verdict(r, 2.0, False)} | | | | | |")
    if idle:
        h, p = idle["HAProxy"], idle["Proxydesk"]
        lines.append(
            f"| {IDLE_CONNECTIONS:,} idle keep-alive conns (RSS per conn) | {h:,.0f} B | {p:,.0f} B "
            f"| {ratio(p, h):.2f}× | {verdict(p / 1024, 2.0, False)} KiB | | | | | |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------- main


def run(seconds: float, only: set[str] | None, with_idle: bool, repeat: int) -> str:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    haproxy_binary()
    load_before = Path("/proc/loadavg").read_text().split()[0]
    results: dict[str, dict[str, Measure]] = {}
    idle: dict[str, float] = {}
    chosen = [s for s in SCENARIOS if not only or s.name in only]
    with tempfile.TemporaryDirectory(prefix="proxydesk-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        servers = origins(work)
        for kind, server in servers.items():
            if kind == "small" or server.port != servers["small"].port:
                stack.enter_context(started(pinned(LOAD_CORE, server.argv), server.port, work / "origin.log"))
        makers = {"http": http_config, "tcp": tcp_config}
        groups = sorted({(s.mode, s.origin) for s in chosen} | ({("http", "small")} if with_idle else set()))
        for which in ("HAProxy", "Proxydesk"):
            for mode, kind in groups:
                config, port = makers[mode](work, servers[kind].port, kind)
                with started(proxy_argv(which, config), port, work / f"{which}.log") as process:
                    for scenario in [s for s in chosen if (s.mode, s.origin) == (mode, kind)]:
                        print(f"{which:9} {scenario.name} ...", file=sys.stderr, flush=True)
                        results.setdefault(scenario.name, {})[which] = measure(process, port, scenario, seconds, repeat)
                    if with_idle and (mode, kind) == ("http", "small"):
                        print(f"{which:9} {IDLE_CONNECTIONS} idle connections ...", file=sys.stderr, flush=True)
                        idle[which] = idle_rss_per_connection(process, port)
    names = sorted({o.name for o in servers.values()})
    header = (f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, origins: {', '.join(names)}, "
              f"best of {repeat} × {max(1, round(seconds))} s per run, proxy on core {PROXY_CORE}, "
              f"wrk + origins on core {LOAD_CORE}, load average before: {load_before}, "
              f"Proxydesk {native.describe()}")
    return header + "\n\n" + report(results, idle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario; the best counts")
    parser.add_argument("--no-idle", action="store_true", help="skip the idle-connection scenario")
    args = parser.parse_args()
    only = set(args.only) if args.only else None
    print(run(args.duration, only, not args.no_idle and not only, max(1, args.repeat)))


if __name__ == "__main__":
    main()
