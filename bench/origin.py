"""The benchmark's origin server: the demo responder on uvloop, with a 1 MiB page.

Usage: python bench/origin.py PORT

``/1m`` answers 1 MiB of bytes (the bulk scenarios); every other path answers
the tutorial's ``server1: Home page!`` (20 bytes).  It is the demo's
``HttpResponder`` (one ``write`` per batch of pipelined requests, responses
cached), which is the fastest origin available here without nginx: Debian's
``nginx-light`` is used instead when installed (see ``engine.py``).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proxy.app.demo import start_responder, tutorial_answer

ONE_MIB = b"x" * (1 << 20)
_home = tutorial_answer("server1")


def answer(method: bytes, path: bytes) -> tuple[int, bytes]:
    return (200, ONE_MIB) if path == b"/1m" else _home(method, path)


async def serve(port: int) -> None:
    server = await start_responder(answer, port)
    print(f"origin listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()  # until killed


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(port))
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(port))


if __name__ == "__main__":
    main()
