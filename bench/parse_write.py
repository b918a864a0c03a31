"""Parse and write a generated 10,000-line haproxy.cfg; print the time against the target.

Usage: python bench/parse_write.py [LINES]

Target (issue 2): parse + write under 0.5 s on the 2-core reference machine.
HAProxy itself is timed on the same file with `haproxy -c` for scale, when installed
(it parses and also resolves/validates everything, so it is a reference, not a race).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proxy.config.parser import parse
from proxy.config.writer import write

TARGET_S = 0.5


def generate(lines: int) -> str:
    out = [
        "# generated benchmark config",
        "global",
        "    maxconn 50000",
        "    log stdout format raw local0",
        "",
        "defaults",
        "    mode http",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout connect 5s",
        "    option httplog",
        "",
    ]
    n = 0
    while len(out) < lines:
        out += [
            f"frontend fe{n}",
            f"    bind 127.0.0.1:{10000 + n % 50000}",
            f"    acl is_api{n} path_beg /api/{n}",
            f'    acl host{n} hdr(host) -i app{n}.localhost "svc {n}.test"',
            f"    http-request deny deny_status 429 if {{ path_beg /blocked/{n} }}  # throttle",
            "    http-request set-header X-Forwarded-Proto https if { ssl_fc }",
            f"    use_backend be{n} if is_api{n} || host{n}",
            f"    default_backend be{n}",
            "",
            f"backend be{n}",
            "    balance roundrobin",
            "    option httpchk GET /health",
            f"    server s{n}a 10.0.{n % 250}.1:8080 check inter 2s weight 10",
            f"    server s{n}b 10.0.{n % 250}.2:8080 check inter 2s weight 10 backup",
            "",
        ]
        n += 1
    return "\n".join(out[:lines]) + "\n"


def best_of(runs: int, func) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    text = generate(lines)
    parsed = parse(text)
    assert write(parsed.config) == text, "round trip failed"
    parse_s = best_of(5, lambda: parse(text))
    write_s = best_of(5, lambda: write(parsed.config))
    total = best_of(5, lambda: write(parse(text).config))
    print(f"config: {lines} lines, {len(text) / 1024:.0f} KiB")
    print(f"parse:        {parse_s * 1000:7.1f} ms")
    print(f"write:        {write_s * 1000:7.1f} ms")
    print(
        f"parse+write:  {total * 1000:7.1f} ms  (target < {TARGET_S * 1000:.0f} ms: {'met' if total < TARGET_S else 'MISSED'})"
    )
    haproxy = shutil.which("haproxy")
    if haproxy:
        with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as handle:
            handle.write(text)
        ha_s = best_of(
            3,
            lambda: subprocess.run(
                [haproxy, "-c", "-q", "-f", handle.name], capture_output=True, check=False
            ),
        )
        Path(handle.name).unlink()
        print(
            f"haproxy -c:   {ha_s * 1000:7.1f} ms  (ratio proxydesk parse+write / haproxy -c: {total / ha_s:.2f}x)"
        )
    return 0 if total < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
