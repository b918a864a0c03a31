"""Run Debian's haproxy 2.6 on loopback to record its real decisions.

One haproxy process hosts the frontend under test plus one tiny frontend per
"server" answering its own name, so the response body tells which server the
backend picked.  Everything binds 127.0.0.1 on free ports; the process is
terminated when the context exits.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
HAVE_HAPROXY = Path(HAPROXY).exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_haproxy(config: str) -> Iterator[None]:
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as handle:
        handle.write(config)
    check = subprocess.run([HAPROXY, "-c", "-f", handle.name], capture_output=True)
    if check.returncode != 0:
        Path(handle.name).unlink()
        raise AssertionError(check.stderr.decode())
    proc = subprocess.Popen(
        [HAPROXY, "-db", "-f", handle.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(5)
        Path(handle.name).unlink()


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"haproxy did not listen on {port}")


def http_get(port: int, target: str, headers: dict[str, str], source: str = "127.0.0.1") -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3, source_address=(source, 0))
    try:
        conn.request("GET", target, headers={"Connection": "close", **headers})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def _http_frontend(port: int) -> list[str]:
    """The start of every probe config: http defaults and frontend ``fe`` on ``port``."""
    return [
        "defaults",
        "  mode http",
        "  timeout connect 1s",
        "  timeout client 3s",
        "  timeout server 3s",
        "frontend fe",
        f"  bind 127.0.0.1:{port}",
    ]


def backend_picks(
    backend_lines: Sequence[str],
    weights: Sequence[int],
    requests: Sequence[tuple[str, dict[str, str], str]],
) -> list[str]:
    """Names (s1, s2...) haproxy picks for each (target, headers, source)."""
    front, ports = free_port(), [free_port() for _ in weights]
    lines = [
        "global",
        "  nbthread 1",
        *_http_frontend(front),
        "  default_backend be",
        "backend be",
        *(f"  {line}" for line in backend_lines),
        *(
            f"  server s{i} 127.0.0.1:{port} weight {weight}"
            for i, (weight, port) in enumerate(zip(weights, ports, strict=True), 1)
        ),
    ]
    for i, port in enumerate(ports, 1):
        lines += [
            f"frontend srv{i}",
            f"  bind 127.0.0.1:{port}",
            f"  http-request return status 200 content-type text/plain string s{i}",
        ]
    with running_haproxy("\n".join(lines) + "\n"):
        wait_listening(front)
        return [http_get(front, t, h, s) for t, h, s in requests]


def raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def acl_verdicts(acls: Sequence[str], requests: Sequence[bytes]) -> list[list[bool]]:
    """For each raw request, which anonymous ACLs haproxy found true.

    Each ACL sets a marker header when it matches; the frontend then returns
    the request headers (req.hdrs) in its response body.
    """
    front = free_port()
    lines = [
        *_http_frontend(front),
        *(f"  http-request set-header x-acl-{i} 1 if {{ {acl} }}" for i, acl in enumerate(acls)),
        '  http-request return status 200 content-type text/plain lf-string "%[req.hdrs]"',
    ]
    verdicts = []
    with running_haproxy("\n".join(lines) + "\n"):
        wait_listening(front)
        for request in requests:
            body = raw_exchange(front, request).partition(b"\r\n\r\n")[2].lower()
            verdicts.append([f"x-acl-{i}: 1".encode() in body for i in range(len(acls))])
    return verdicts
