"""EngineHost: a real engine on its own thread, driven from the GUI thread."""

from __future__ import annotations

import pytest

from gui.engine_host import RUNNING, STOPPED, EngineError, EngineHost
from proxy.config.parser import parse
from tests.gui._support import http_get, proxy_config_text


@pytest.fixture
def host(qtbot):  # type: ignore[no-untyped-def]
    engine_host = EngineHost()
    yield engine_host
    engine_host.shutdown()


def _port(host: EngineHost) -> int:
    return next(port for frontend, _h, port in host.listening if frontend == "web")


def test_start_serves_real_requests_then_stop(host: EngineHost, backend_server: int) -> None:
    host.start_blocking(parse(proxy_config_text(backend_server)).config)
    assert host.state == RUNNING
    assert http_get(_port(host)) == (200, "backend")
    assert any(e.frontend == "web" for e in _drain_until_event(host))
    host.stop_blocking()
    assert host.state == STOPPED and host.listening == []


def _drain_until_event(host: EngineHost) -> list:  # type: ignore[type-arg]
    import time

    deadline = time.monotonic() + 3
    events = host.drain_events()
    while not events and time.monotonic() < deadline:
        time.sleep(0.02)
        events = host.drain_events()
    return events


def test_config_handed_over_is_a_private_copy(host: EngineHost, backend_server: int) -> None:
    config = parse(proxy_config_text(backend_server)).config
    host.start_blocking(config)
    config.sections.clear()  # a later GUI edit must not reach the running engine
    assert http_get(_port(host)) == (200, "backend")


def test_apply_switches_config_and_invalid_apply_is_refused(
    host: EngineHost, backend_server: int
) -> None:
    host.start_blocking(parse(proxy_config_text(backend_server)).config)
    port = _port(host)
    denying = proxy_config_text(backend_server, extra_frontend="    http-request deny\n")
    host.apply_blocking(parse(denying).config)
    assert http_get(port)[0] == 403

    broken = parse(proxy_config_text(backend_server).replace("default_backend app", "default_backend nowhere")).config
    with pytest.raises(EngineError) as refused:
        host.apply_blocking(broken)
    assert refused.value.diagnostics  # says why
    assert host.state == RUNNING
    assert http_get(port)[0] == 403  # the previous config keeps serving


def test_start_failure_leaves_host_stopped(host: EngineHost) -> None:
    broken = parse("frontend web\n    bind 127.0.0.1:0\n    default_backend nowhere\n").config
    with pytest.raises(EngineError):
        host.start_blocking(broken)
    assert host.state == STOPPED


def test_stats_snapshot_counts_requests(host: EngineHost, backend_server: int) -> None:
    host.start_blocking(parse(proxy_config_text(backend_server)).config)
    for _ in range(3):
        http_get(_port(host))
    snapshot = host.stats()
    assert snapshot is not None
    assert "web" in snapshot.csv()
