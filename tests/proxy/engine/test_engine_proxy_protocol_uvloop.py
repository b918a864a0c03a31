"""The PROXY protocol tests again on uvloop (what ``proxydesk run`` uses): its transports
differ (pause_reading in connection_made, the socket behind get_extra_info)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import test_engine_proxy_protocol as cases

from proxy.engine import proxy_protocol as pp

SCENARIOS: dict[str, Callable[[], Awaitable[None]]] = {
    "accept-proxy, split header": cases.test_http_behind_a_proxy_sees_the_headers_client_everywhere,
    "bad header: reset, logged": lambda: cases.test_a_bad_or_missing_header_is_closed_without_an_answer_and_logged(
        cases.GET, pp.NOT_HEADER, "PR"),
    "tcp accept-proxy -> send-proxy-v2": cases.test_tcp_mode_accept_proxy_then_send_proxy_v2_passes_the_client_on,
    "send-proxy, private keep-alive": cases.test_send_proxy_v1_once_per_server_connection_kept_with_its_client,
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_on_uvloop(name: str) -> None:
    uvloop = pytest.importorskip("uvloop")
    uvloop.run(asyncio.wait_for(SCENARIOS[name](), 10))


def test_ssl_accept_proxy_on_uvloop(tmp_path: Path) -> None:
    """uvloop's start_tls and TLS protocol take the bytes that came with the header too."""
    uvloop = pytest.importorskip("uvloop")
    uvloop.run(asyncio.wait_for(
        cases.test_ssl_accept_proxy_reads_the_header_then_handshakes(tmp_path, cases.HEADER), 10))


@pytest.mark.haproxy
def test_haproxys_header_and_client_hello_in_one_segment_on_uvloop(tmp_path: Path) -> None:
    """haproxy sends the header and its ClientHello together: on uvloop too, the TLS
    protocol gets the ClientHello bytes the header reader had already read."""
    uvloop = pytest.importorskip("uvloop")
    import test_proxy_protocol_haproxy as differential

    uvloop.run(asyncio.wait_for(
        differential.test_haproxy_send_proxy_over_tls_into_engine_ssl_accept_proxy(
            "send-proxy-v2", tmp_path), 10))


@pytest.mark.haproxy
def test_send_proxy_then_tls_into_haproxy_on_uvloop(tmp_path: Path) -> None:
    """uvloop's start_tls on a server connection that began with the PROXY header."""
    uvloop = pytest.importorskip("uvloop")
    import test_proxy_protocol_haproxy as differential

    uvloop.run(asyncio.wait_for(differential.test_engine_send_proxy_into_haproxy_accept_proxy(
        "send-proxy-v2 ssl verify none", True, tmp_path), 10))
