"""Named defaults, ``from`` chains and overrides: the engine does what HAProxy 2.6 does.

Each case runs one config twice at once -- on the embedded engine and on the
real ``haproxy`` -- in front of the same two loopback servers: one answers,
one accepts and stays silent.  A request routed by a path rule to the
answering server proves the proxy runs in ``mode http`` (the defaults' mode
reached it); a request to the silent one tells, by its status (504) and by
when it arrives, which ``timeout server`` fired.  The timeouts differ by a
second or more, so the check tolerates a loaded machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from proxy.config.load import check_text
from tests.conftest import DATA
from tests.proxy.engine._engine_support import Backend, request, running
from tests.proxy.engine._haproxy_harness import free_port, running_haproxy, wait_listening

# The example (tests/data/valid/43-defaults-from-chain.cfg) with its ports filled
# in and a path rule to the answering server: HAProxy runs the backend in mode http
# with "timeout server 7s" from "defaults base" through "web".
EXAMPLE = (
    (DATA / "valid" / "43-defaults-from-chain.cfg").read_text()
    .replace("127.0.0.1:18080", "127.0.0.1:{port}")
    .replace("127.0.0.1:9", "127.0.0.1:{silent}")
    .replace("    default_backend be\n", "    use_backend answering if {{ path_beg /answer }}\n"
             "    default_backend be\nbackend answering from web\n    server ok 127.0.0.1:{answering}\n")
)

# The last defaults section before a proxy wins, named or not.
LAST_UNNAMED_WINS = """\
defaults first
    mode tcp
    timeout connect 5s
    timeout client 9s
    timeout server 4s
defaults
    mode http
    timeout connect 5s
    timeout client 9s
    timeout server 2s
frontend fe
    bind 127.0.0.1:{port}
    use_backend answering if {{ path_beg /answer }}
    default_backend be
backend answering
    server ok 127.0.0.1:{answering}
backend be
    server s1 127.0.0.1:{silent}
"""

# Each section picks its own defaults with "from"; the backend's decides the server timeout.
PER_SECTION_FROM = """\
defaults slow
    mode http
    timeout connect 5s
    timeout client 9s
    timeout server 4s
defaults quick
    mode http
    timeout connect 5s
    timeout client 9s
    timeout server 1s
frontend fe from slow
    bind 127.0.0.1:{port}
    use_backend answering if {{ path_beg /answer }}
    default_backend be
backend answering from slow
    server ok 127.0.0.1:{answering}
backend be from quick
    server s1 127.0.0.1:{silent}
"""

# A section's own line beats the one it inherits through the chain.
OVERRIDE = EXAMPLE.replace("backend be from web\n", "backend be from web\n    timeout server 2s\n")

CASES = {
    "issue-example": (EXAMPLE, 7.0),
    "last-unnamed-defaults-wins": (LAST_UNNAMED_WINS, 2.0),
    "per-section-from": (PER_SECTION_FROM, 1.0),
    "section-overrides-inherited": (OVERRIDE, 2.0),
}


class Silent:
    """A server that accepts and never answers (until the test ends)."""

    def __init__(self) -> None:
        self.server: asyncio.AbstractServer | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.writers.append(writer)
            with contextlib.suppress(ConnectionError):
                while await reader.read(65536):
                    pass

        self.server = await asyncio.start_server(hold, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@contextlib.asynccontextmanager
async def servers() -> AsyncIterator[tuple[int, int]]:
    answering, silent = Backend("ok"), Silent()
    await answering.start()
    silent_port = await silent.start()
    try:
        yield answering.port, silent_port
    finally:
        await answering.close()
        await silent.close()


async def _timed(port: int, path: str) -> tuple[int, float, bytes]:
    started = time.monotonic()
    response = await asyncio.wait_for(request(port, path), 15)
    return response.status, time.monotonic() - started, response.body


@pytest.mark.haproxy
@pytest.mark.asyncio
@pytest.mark.parametrize("case", sorted(CASES))
async def test_engine_and_haproxy_apply_the_same_defaults(case: str, haproxy_bin: str) -> None:
    template, server_timeout = CASES[case]
    async with servers() as (answering, silent):
        ours_port, theirs_port = free_port(), free_port()
        ours = template.format(port=ours_port, answering=answering, silent=silent)
        theirs = template.format(port=theirs_port, answering=answering, silent=silent)
        # proxydesk check: valid, and no warning HAProxy does not give (no missing timeouts)
        assert check_text(ours).diagnostics == []
        with running_haproxy(theirs):
            wait_listening(theirs_port)
            async with running(ours):
                for port in (ours_port, theirs_port):
                    routed = await request(port, "/answer")
                    assert routed.status == 200, f"the path rule did not fire on :{port}"
                engine, haproxy = await asyncio.gather(
                    _timed(ours_port, "/wait"), _timed(theirs_port, "/wait"))
    assert haproxy[0] == engine[0] == 504
    assert engine[2] == haproxy[2]  # HAProxy's own 504 page
    for elapsed in (engine[1], haproxy[1]):
        assert server_timeout - 0.2 < elapsed < server_timeout + 0.9, (engine[1], haproxy[1])
