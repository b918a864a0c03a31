"""Shared fixtures.

``haproxy_bin``: the real HAProxy binary (Debian's haproxy), the reference
every exported config is checked against.  Without it the test is skipped,
unless PROXYDESK_REQUIRE_HAPROXY=1 (set by .ci/run), where its absence is a
failure: CI must never pass by skipping the comparison.

``--portability``: the portability lane (tests/portability.py): what Windows' Python
lacks (uvloop, unix sockets, SIGHUP/SIGUSR1) is taken away before any test module
is imported, ``proxy.platform`` takes its Windows branches, and tests marked
``haproxy`` (HAProxy has no Windows build to drive) or ``unix`` are skipped.

Which engine build runs (``proxy.engine.native``: mypyc-compiled modules next to the
sources, or pure Python) is printed in the header; a compiled module older than its
edited source stops the run at once, as the tests would otherwise test the old code.

``_no_gc_pause_inside_a_test`` (autouse): the cyclic garbage collector runs
between tests, never inside one.  Late in a full run the heap is large and a
generation-2 collection stalls the event loop for up to ~300 ms (measured with
gc.callbacks), which is longer than the 100 ms timeouts that engine tests set
on purpose, so a test could fail on a pause that is not the engine's.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
_LANE_SKIPS = {
    "haproxy": "portability lane: HAProxy has no Windows build to drive",
    "unix": "portability lane: unix sockets do not exist on Windows",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--portability", action="store_true",
                     help="run with what Windows lacks taken away (tests/portability.py)")


def pytest_configure(config: pytest.Config) -> None:
    from proxy.engine import native

    state = native.status()
    if state.stale:
        pytest.exit(f"{native.describe(state)}", returncode=pytest.ExitCode.USAGE_ERROR)
    if config.getoption("--portability"):
        from tests.portability import take_away

        take_away()


def pytest_report_header() -> str:
    from proxy.engine import native

    return native.describe()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--portability"):
        return
    for item in items:
        for marker, reason in _LANE_SKIPS.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))
                break


@pytest.fixture(autouse=True)
def _no_gc_pause_inside_a_test() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()  # what the test allocated is collected now, between tests


def _find_haproxy() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)), None
    )


@pytest.fixture(scope="session")
def haproxy_bin() -> str:
    found = _find_haproxy()
    if found is None:
        if os.environ.get("PROXYDESK_REQUIRE_HAPROXY") == "1":
            pytest.fail("haproxy is required (PROXYDESK_REQUIRE_HAPROXY=1) but was not found")
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    return found


HaproxyCheck = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def haproxy_check(haproxy_bin: str) -> HaproxyCheck:
    """Run ``haproxy -c -f FILE`` (cwd: tests/data unless given) and return the completed process."""

    def run(path: str | Path, cwd: str | Path = DATA) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [haproxy_bin, "-c", "-f", str(path)],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    return run
