"""Benchmark: TLS termination and passthrough, Proxydesk's engine against HAProxy 2.6, same run.

Usage: python bench/tls.py [--duration S] [--repeat N] [--only NAME ...]

Theory of operation
-------------------
Same method as ``bench/engine.py`` (whose process, CPU and wrk helpers this
reuses): the proxy under test -- HAProxy (``nbthread 1``) or ``proxydesk run
--quiet`` on uvloop -- runs alone on core 1; the load generator and the
origins share core 0.  Unlike engine.py, both proxies are up at the same
time (the idle one costs nothing) and their runs interleave -- H, P, then P,
H, ... -- after a one-second warm-up each, so a burst of outside load on this
shared machine hits both rather than whichever ran during it; each proxy's
best of ``--repeat`` runs counts.

The certificate comes from Proxydesk's own certificate manager
(``proxy.certs.CertStore`` in a temporary directory: a fresh local CA and one
ECDSA P-256 leaf for ``bench.localhost`` + ``127.0.0.1``), and both proxies
get the same combined PEM: ``bind 127.0.0.1:PORT ssl crt FILE alpn
http/1.1``.  Before measuring, one client that trusts only that CA and
verifies strictly (``ssl.create_default_context(cafile=CA)``, SNI
``bench.localhost``) must complete a handshake with each proxy, so a
misconfigured run fails instead of measuring errors.

Scenarios (the backend behind termination is a plain-HTTP HAProxy answering
with ``http-request return``, as in engine.py):

* **Full handshake per request.**  wrk cannot do it: it keeps its ``SSL``
  object across reconnects, so every reconnect offers the previous session
  and the server resumes it (HAProxy's ``show info`` reported
  ``SslFrontendSessionReuse_pct: 100``).  Turning
  resumption off on the server side is not symmetric either: HAProxy has
  ``no-tls-tickets`` + ``tune.ssl.cachesize 0``, but Python's ``ssl`` keeps
  OpenSSL's server session cache on with no way to disable it.  So this
  scenario uses a bounded pool of Python client processes on core 0 (blocking
  sockets, a new ``SSLSocket`` and no session per connection, no certificate
  check to keep client cost low): handshake, ``GET`` with ``Connection:
  close``, read to EOF.  The client's OpenSSL does the crypto; the pool can
  still cap HAProxy, which the "proxy busy" column shows.
* **Connection per request, resumed sessions** (wrk ``-H 'Connection:
  close'``): the abbreviated handshake a returning browser does.
* **Keep-alive HTTPS** (wrk, 50 connections): record-layer cost per request.
* **Baselines**: the same two wrk loads on the same config without ``ssl``
  on the bind; the difference of CPU per request is what TLS costs each proxy.
* **Passthrough** (``mode tcp``, ``tcp-request content accept if {
  req_ssl_hello_type 1 }``, ``use_backend ... if { req.ssl_sni -i localhost
  }``, anything else to a backend where nothing listens): wrk connects to
  ``https://localhost:PORT/`` (wrk's SNI is the URL's host) with a new
  connection per request; the TLS origin is an HAProxy terminating with the
  same certificate on core 0.  Zero errors shows the SNI route was taken.

Columns as in engine.py plus **proxy busy**: the proxy's CPU time over the run's
wall time (100 % = the proxy's core is saturated; below, the client side capped
the run, and CPU per 10k requests is the fairer comparison).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import multiprocessing
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proxy.certs import CertStore

ROOT = Path(__file__).resolve().parent.parent

CERT_NAMES = ("bench.localhost", "127.0.0.1")
PASSTHROUGH_SNI = "localhost"  # wrk sends the URL's host as SNI; this one resolves here
HANDSHAKE_CLIENTS = 8  # processes on core 0 for full handshakes: enough to keep one in flight
CONNECTIONS = 50  # wrk connections, as engine.py


def _engine_bench() -> ModuleType:
    """bench/engine.py's process, origin and wrk helpers (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


eb = _engine_bench()

_PREAMBLE = """\
global
    nbthread 1
    maxconn 8192

defaults
    mode {mode}
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""

TERMINATION_CONFIG = (
    _PREAMBLE
    + """
frontend https_in
    bind 127.0.0.1:{port}{tls}
    default_backend origin

backend origin
    server origin1 127.0.0.1:{origin}
"""
)

PASSTHROUGH_CONFIG = (
    _PREAMBLE
    + """
frontend tls_in
    bind 127.0.0.1:{port}
    tcp-request inspect-delay 5s
    tcp-request content accept if {{ req_ssl_hello_type 1 }}
    use_backend tls_origin if {{ req.ssl_sni -i {sni} }}
    default_backend nowhere

backend tls_origin
    server tls1 127.0.0.1:{origin}

backend nowhere
    server closed 127.0.0.1:{closed}
"""
)

#: The passthrough origin: HAProxy terminating TLS with the same certificate, on core 0.
TLS_ORIGIN_CONFIG = (
    _PREAMBLE
    + """
frontend tls_origin
    bind 127.0.0.1:{port} ssl crt {pem} alpn http/1.1
    http-request return status 200 content-type text/plain string "server1: Home page!"
"""
)


@dataclass(frozen=True)
class Scenario:
    name: str
    config: str  # "termination", "plain" (the same without ssl: the baseline) or "passthrough"
    client: str  # "handshakes" (Python pool) or "wrk"
    close: bool  # a new connection per request


SCENARIOS = [
    Scenario("TLS full handshake per request", "termination", "handshakes", True),
    Scenario("TLS connection per request (resumed)", "termination", "wrk", True),
    Scenario("HTTPS keep-alive", "termination", "wrk", False),
    Scenario("baseline: HTTP conn per request, no TLS", "plain", "wrk", True),
    Scenario("baseline: HTTP keep-alive, no TLS", "plain", "wrk", False),
    Scenario("TLS passthrough, SNI route, conn per request", "passthrough", "wrk", True),
]


@dataclass
class Measure:
    rate: float  # requests/s
    p99_ms: float
    cpu_per_10k: float
    busy: float  # proxy CPU seconds / wall seconds
    errors: int
    noise: float  # share of the run core 1 spent on something other than the proxy


# ------------------------------------------------------------ full handshakes


def _handshake_worker(port: int, seconds: float, core: int) -> tuple[int, int, list[float]]:
    """(completed, errors, latencies in ms) of sequential full-handshake requests until the deadline."""
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {core})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = (
        ssl.CERT_NONE
    )  # client cost down: the strict check ran once in verify_setup
    context.set_alpn_protocols(["http/1.1"])
    request = b"GET / HTTP/1.1\r\nHost: bench.localhost\r\nConnection: close\r\n\r\n"
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    while (start := time.monotonic()) < deadline:
        try:
            # A new SSLSocket per connection and no ``session=``: never a resumption.
            with (
                socket.create_connection(("127.0.0.1", port), 5) as raw,
                context.wrap_socket(raw, server_hostname="bench.localhost") as tls,
            ):
                tls.sendall(request)
                answer = b""
                while chunk := tls.recv(4096):
                    answer += chunk
            if not answer.startswith(b"HTTP/1.1 200"):
                raise OSError("unexpected answer")
        except OSError:  # ssl.SSLError is an OSError
            errors += 1
            continue
        latencies.append((time.monotonic() - start) * 1000)
    return len(latencies), errors, latencies


def run_handshakes(port: int, seconds: float) -> tuple[float, float, int]:
    """(requests/s, p99 ms, errors) of a ``HANDSHAKE_CLIENTS``-process full-handshake run."""
    jobs = [(port, seconds, int(eb.LOAD_CORE))] * HANDSHAKE_CLIENTS
    # fork: the workers need nothing but this module's function, already loaded.
    with multiprocessing.get_context("fork").Pool(HANDSHAKE_CLIENTS) as pool:
        results = pool.starmap(_handshake_worker, jobs)
    latencies = sorted(ms for _, _, worker in results for ms in worker)
    done, errors = sum(r[0] for r in results), sum(r[1] for r in results)
    p99 = (
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        if latencies
        else float("nan")
    )
    return done / seconds, p99, errors


# --------------------------------------------------------------------- wrk


def run_wrk(url: str, close: bool, seconds: float) -> tuple[float, float, int]:
    argv = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    if close:
        argv += ["-H", "Connection: close"]
    result = subprocess.run(
        eb.pinned(eb.LOAD_CORE, [*argv, url]),
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    rate, p99, errors = eb.parse_wrk(result.stdout)
    return float(rate), float(p99), int(errors)


def load_for(scenario: Scenario, port: int) -> Callable[[float], tuple[float, float, int]]:
    if scenario.client == "handshakes":
        return lambda seconds: run_handshakes(port, seconds)
    host = PASSTHROUGH_SNI if scenario.config == "passthrough" else "127.0.0.1"
    scheme = "http" if scenario.config == "plain" else "https"
    return lambda seconds: run_wrk(f"{scheme}://{host}:{port}/", scenario.close, seconds)


Load = Callable[[float], tuple[float, float, int]]  # seconds -> (req/s, p99 ms, errors)
PROXIES = ("HAProxy", "Proxydesk")


def measure_once(process: subprocess.Popen[bytes], load: Load, seconds: float) -> Measure:
    cpu_before, core_before = eb.cpu_seconds(process.pid), eb.core_busy_seconds(eb.PROXY_CORE)
    started_at = time.monotonic()
    rate, p99, errors = load(seconds)
    wall = time.monotonic() - started_at
    cpu = eb.cpu_seconds(process.pid) - cpu_before
    other = eb.core_busy_seconds(eb.PROXY_CORE) - core_before - cpu
    requests = rate * seconds
    per_10k = cpu / requests * 10_000 if requests else float("nan")
    return Measure(rate, p99, per_10k, cpu / wall, errors, max(0.0, other) / wall)


def measure_pair(
    proxies: dict[str, tuple[subprocess.Popen[bytes], int]],
    scenario: Scenario,
    seconds: float,
    repeat: int,
) -> dict[str, Measure]:
    """Each proxy's best of ``repeat`` runs, the two proxies' runs interleaved.

    Alternating H, P / P, H spreads outside load (the machine may be shared) over
    both proxies instead of biasing whichever ran during a burst; the best run is
    the least disturbed one.
    """
    for _, port in proxies.values():
        load_for(scenario, port)(1)  # warm-up: pools, session caches
    runs: dict[str, list[Measure]] = {name: [] for name in proxies}
    for i in range(repeat):
        for name in PROXIES if i % 2 == 0 else PROXIES[::-1]:
            print(f"{name:9} {scenario.name} ({i + 1}/{repeat}) ...", file=sys.stderr, flush=True)
            process, port = proxies[name]
            runs[name].append(measure_once(process, load_for(scenario, port), seconds))
    return {name: max(measures, key=lambda m: m.rate) for name, measures in runs.items()}


# ------------------------------------------------------------------- setup


@dataclass(frozen=True)
class Certificate:
    pem: Path  # leaf + key, what ``crt`` wants
    ca: Path


def issue_certificate(work: Path) -> Certificate:
    store = CertStore(work / "certs", owner="bench")
    entry = store.issue(CERT_NAMES).entry
    return Certificate(entry.pem_path, store.export_ca(work / "rootCA.pem"))


def verify_setup(port: int, cert: Certificate) -> str:
    """One strictly verified handshake (trusting only the Proxydesk CA); what was negotiated."""
    context = ssl.create_default_context(cafile=str(cert.ca))
    context.set_alpn_protocols(["http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", port), 5) as raw,
        context.wrap_socket(raw, server_hostname=CERT_NAMES[0]) as tls,
    ):
        tls.sendall(b"GET / HTTP/1.1\r\nHost: bench.localhost\r\nConnection: close\r\n\r\n")
        if not tls.recv(64).startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"port {port}: no 200 answer through TLS")
        cipher = tls.cipher()
        return f"{tls.version()} {cipher[0] if cipher else '?'} ALPN {tls.selected_alpn_protocol()}"


ConfigMaker = Callable[[str], tuple[Path, int]]


def config_makers(
    work: Path, cert: Certificate, origin_port: int, tls_origin_port: int
) -> dict[str, ConfigMaker]:
    """Per scenario config kind: tag -> (config file, frontend port), same text for both proxies."""

    def termination(kind: str, tls: str) -> ConfigMaker:
        return lambda tag: write_config(
            work, f"{tag}-{kind}", TERMINATION_CONFIG, mode="http", tls=tls, origin=origin_port
        )

    def passthrough(tag: str) -> tuple[Path, int]:
        return write_config(
            work, f"{tag}-passthrough", PASSTHROUGH_CONFIG, mode="tcp", sni=PASSTHROUGH_SNI,
            origin=tls_origin_port, closed=closed_port(),
        )  # fmt: skip

    return {
        "termination": termination("termination", f" ssl crt {cert.pem} alpn http/1.1"),
        "plain": termination("plain", ""),
        "passthrough": passthrough,
    }


def closed_port() -> int:
    """A port nothing listens on (bound, then released): the passthrough's wrong route."""
    return int(eb.free_port())


def write_config(work: Path, name: str, template: str, **values: object) -> tuple[Path, int]:
    port = eb.free_port()
    path = work / f"{name}.cfg"
    path.write_text(template.format(port=port, **values))
    return path, port


# ------------------------------------------------------------------- report


def report(results: dict[str, dict[str, Measure]]) -> str:
    lines = [
        "| scenario | HAProxy | Proxydesk | ratio | p99 ms H / P | ratio p99 | CPU s per 10k req H / P | ratio CPU | proxy busy H / P | errors H / P | other load on core 1 H / P |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        if scenario.name not in results:
            continue
        h, p = results[scenario.name]["HAProxy"], results[scenario.name]["Proxydesk"]
        lines.append(
            f"| {scenario.name} | {h.rate:,.0f} req/s | {p.rate:,.0f} req/s | {eb.ratio(p.rate, h.rate):.2f}× "
            f"| {h.p99_ms:.2f} / {p.p99_ms:.2f} | {eb.ratio(p.p99_ms, h.p99_ms):.2f}× "
            f"| {h.cpu_per_10k:.3f} / {p.cpu_per_10k:.3f} | {eb.ratio(p.cpu_per_10k, h.cpu_per_10k):.2f}× "
            f"| {h.busy:.0%} / {p.busy:.0%} | {h.errors} / {p.errors} | {h.noise:.0%} / {p.noise:.0%} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------- main


def run(seconds: float, only: set[str] | None, repeat: int) -> str:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    haproxy = eb.haproxy_binary()
    load_before = Path("/proc/loadavg").read_text().split()[0]
    chosen = [s for s in SCENARIOS if not only or s.name in only]
    results: dict[str, dict[str, Measure]] = {}
    negotiated: dict[str, str] = {}  # proxy -> protocol, cipher, ALPN of the strict check
    with (
        tempfile.TemporaryDirectory(prefix="proxydesk-bench-tls-") as tmp,
        contextlib.ExitStack() as origins,
    ):
        work = Path(tmp)
        cert = issue_certificate(work)
        makers = config_makers(work, cert, *start_origins(origins, work, cert, haproxy))
        for kind in sorted({s.config for s in chosen}):
            # Both proxies up at once (the idle one costs nothing) so runs can interleave.
            with contextlib.ExitStack() as running:
                proxies = {}
                for name in PROXIES:
                    config, port = makers[kind](name)
                    argv = eb.proxy_argv(name, config)
                    proxies[name] = (
                        running.enter_context(eb.started(argv, port, work / f"{name}.log")),
                        port,
                    )
                    if kind == "termination":
                        negotiated[name] = verify_setup(port, cert)
                for scenario in [s for s in chosen if s.config == kind]:
                    results[scenario.name] = measure_pair(proxies, scenario, seconds, repeat)
    header = (
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, best of {repeat} × "
        f"{max(1, round(seconds))} s per run, proxy on core {eb.PROXY_CORE}, load + origins on core "
        f"{eb.LOAD_CORE}, load average before: {load_before}, "
        f"{ssl.OPENSSL_VERSION} (Python), {haproxy_version(haproxy)}"
    )
    if negotiated:
        header += "; negotiated " + ", ".join(f"{k}: {v}" for k, v in negotiated.items())
    return header + "\n\n" + report(results)


def start_origins(
    stack: contextlib.ExitStack, work: Path, cert: Certificate, haproxy: str
) -> tuple[int, int]:
    """The plain-HTTP origin and the TLS one (passthrough), both HAProxy on the load core."""
    origin_cfg, origin_port = write_config(work, "origin", eb.ORIGIN_HAPROXY)
    tls_cfg, tls_port = write_config(
        work, "tls-origin", TLS_ORIGIN_CONFIG, mode="http", pem=cert.pem
    )
    for cfg, port in ((origin_cfg, origin_port), (tls_cfg, tls_port)):
        argv = eb.pinned(eb.LOAD_CORE, [haproxy, "-db", "-f", str(cfg)])
        stack.enter_context(eb.started(argv, port, work / "origin.log"))
    return origin_port, tls_port


def haproxy_version(haproxy: str) -> str:
    first = subprocess.run(
        [haproxy, "-v"], capture_output=True, text=True, check=False
    ).stdout.split("\n")[0]
    return " ".join(first.split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario; the best counts")
    args = parser.parse_args()
    print(run(args.duration, set(args.only) if args.only else None, max(1, args.repeat)))


if __name__ == "__main__":
    main()
