"""A client for HAProxy's runtime API (its manual calls it "the CLI"): one command over a
stats socket or the master CLI, both unix sockets.  Not a command line of Proxydesk's.

The client half-closes after the command (as ``socat`` does when its input
ends): the stats socket would close after one answer anyway, but the master
CLI of 2.6 keeps the connection open until it sees that end of input.  An
answer is then everything read until EOF.  ``command`` (blocking, any thread:
the GUI reads stats with it) and ``command_async`` (the asyncio shell) share
the framing.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from proxy import platform

__all__ = ["CliError", "command", "command_async"]

MAX_ANSWER = 16 * 1024 * 1024  # a `show stat` of thousands of servers is a few MiB


class CliError(OSError):
    """The socket did not answer (HAProxy not there yet, gone, or too slow)."""


def _request(text: str) -> bytes:
    return text.rstrip("\n").encode() + b"\n"


def command(path: Path, text: str, timeout: float = 2.0) -> str:
    """Send ``text`` and return the whole answer (blocking)."""
    chunks: list[bytes] = []
    family = getattr(socket, "AF_UNIX", None)  # HAProxy runs where unix sockets do
    if family is None or not platform.unix_sockets_available():
        raise CliError(f"{path}: {platform.UNIX_SOCKETS_UNAVAILABLE}")
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(_request(text))
            sock.shutdown(socket.SHUT_WR)
            size = 0
            while (chunk := sock.recv(65536)) and size < MAX_ANSWER:
                chunks.append(chunk)
                size += len(chunk)
    except OSError as exc:
        raise CliError(f"{path}: {exc}") from exc
    return b"".join(chunks).decode("utf-8", "replace")


async def command_async(path: Path, text: str, timeout: float = 2.0) -> str:
    """Send ``text`` and return the whole answer, on the running loop."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_unix_connection(str(path))
            try:
                writer.write(_request(text))
                await writer.drain()
                writer.write_eof()
                data = await reader.read(MAX_ANSWER)
                while chunk := await reader.read(MAX_ANSWER):
                    data += chunk
            finally:
                writer.close()
                await writer.wait_closed()
    except (OSError, TimeoutError) as exc:
        raise CliError(f"{path}: {exc}") from exc
    return data.decode("utf-8", "replace")
