"""What the tests of the app's engine process share: a config over one origin, a request."""

from __future__ import annotations

import asyncio

from tests.proxy.engine._engine_support import HTTP_DEFAULTS

CONFIG = HTTP_DEFAULTS + """
frontend fe
    bind 127.0.0.1:0
    default_backend be

backend be
    server alpha 127.0.0.1:{port}
"""


async def get(port: int, path: str = "/") -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body
