"""A server dies under load: client latency and errors, Proxydesk's engine against HAProxy.

Two origins (each a tiny ``haproxy`` answering with ``http-request return``, so
the origin costs the same for both proxies) sit behind one backend with
``retries 3``, ``option redispatch``, ``timeout connect 1s`` and ``check inter
500 fall 3``.  ``wrk -c50`` runs for ``--duration`` seconds; one origin is
killed after a third of it.  Printed per proxy: requests/s, average and maximum
latency, socket errors + non-2xx answers; then our/HAProxy ratios.  Loopback only,
bounded in time, everything stops by itself.

    .venv/bin/python bench/failover.py            # ~20 s
    .venv/bin/python bench/failover.py --duration 9 --repeat 2
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ORIGIN = """\
global
    nbthread 1
defaults
    mode http
    timeout client 5s
frontend origin
    bind 127.0.0.1:{port}
    http-request return status 200 content-type text/plain string ok
"""

PROXY = """\
global
    nbthread 1
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    retries 3
    option redispatch
frontend www
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    server s1 127.0.0.1:{first} check inter 500 fall 3
    server s2 127.0.0.1:{second} check inter 500 fall 3
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


@contextlib.contextmanager
def process(argv: list[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        yield proc
    finally:
        proc.kill()
        proc.wait(5)


def run_once(which: str, work: Path, duration: float) -> dict[str, float]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    first, second, port = free_port(), free_port(), free_port()
    for name, origin_port in (("a", first), ("b", second)):
        (work / f"origin-{name}.cfg").write_text(ORIGIN.format(port=origin_port))
    config = work / f"proxy-{which}.cfg"
    config.write_text(PROXY.format(port=port, first=first, second=second))
    argv = ([haproxy, "-db", "-f", str(config)] if which == "haproxy"
            else [sys.executable, "-m", "proxy.cli", "run", "--quiet", str(config)])
    with (
        process([haproxy, "-db", "-f", str(work / "origin-a.cfg")], first) as doomed,
        process([haproxy, "-db", "-f", str(work / "origin-b.cfg")], second),
        process(argv, port),
    ):
        time.sleep(1.0)  # health checks settle
        killer = threading.Timer(round(duration) / 3, doomed.kill)
        killer.start()
        wrk = subprocess.run(
            ["wrk", "-t1", "-c50", f"-d{round(duration)}s", "--latency", f"http://127.0.0.1:{port}/"],
            capture_output=True, text=True, timeout=duration + 30, check=True,
        )
        killer.cancel()
    return parse_wrk(wrk.stdout)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(out: str) -> dict[str, float]:
    latency = re.search(r"Latency\s+(\S+)\s+\S+\s+(\S+)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert latency and rate, out
    return {
        "req/s": float(rate.group(1)),
        "avg ms": _ms(latency.group(1)),
        "max ms": _ms(latency.group(2)),
        "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=6, help="seconds of load per run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per proxy (all printed)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench/failover.py needs wrk (apt-get install wrk)")
    rows: dict[str, list[dict[str, float]]] = {"haproxy": [], "proxydesk": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for which in rows:
                rows[which].append(run_once(which, Path(tmp), args.duration))
    print(f"{'proxy':<10} {'req/s':>9} {'avg ms':>8} {'max ms':>8} {'errors':>7}")
    for which, runs in rows.items():
        for r in runs:
            print(f"{which:<10} {r['req/s']:>9.0f} {r['avg ms']:>8.1f} {r['max ms']:>8.0f} {r['errors']:>7.0f}")
    ours, theirs = rows["proxydesk"][-1], rows["haproxy"][-1]
    print("\nratios proxydesk/haproxy (last run): "
          + ", ".join(f"{k} {ours[k] / theirs[k]:.2f}" for k in ("req/s", "avg ms", "max ms") if theirs[k]))


if __name__ == "__main__":
    main()
