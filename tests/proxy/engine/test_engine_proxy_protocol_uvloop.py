"""The PROXY protocol tests again on uvloop (what ``proxydesk run`` uses): its transports
differ (pause_reading in connection_made, the socket behind get_extra_info)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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
