"""Helpers shared by the GUI tests: configs pointing at a real backend, a blocking HTTP client."""

from __future__ import annotations

import http.client


def proxy_config_text(backend_port: int, *, extra_frontend: str = "") -> str:
    return (
        "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n"
        "    timeout server 5s\n\n"
        f"frontend web\n    bind 127.0.0.1:0\n{extra_frontend}    default_backend app\n\n"
        f"backend app\n    server s1 127.0.0.1:{backend_port}\n"
    )


def http_get(port: int, path: str = "/", timeout: float = 5.0) -> tuple[int, str]:
    """One real HTTP request to 127.0.0.1:port; returns (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()
