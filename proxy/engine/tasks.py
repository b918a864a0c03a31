"""Fire-and-forget background tasks that are neither garbage-collected nor silent.

asyncio keeps only a weak reference to a running task, so a task nobody
holds can vanish mid-flight; and an exception in a task nobody awaits is
reported late (at garbage collection) or never.  ``spawn`` keeps a strong
reference in a module-level set until the task finishes and logs its
exception at once -- the pattern mitmproxy uses (``asyncio_utils.create_task``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["cancel_all", "running", "spawn"]

T = TypeVar("T")
_log = logging.getLogger("proxy.engine")
_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """Run ``coro`` in the background on the running loop, keeping it alive until done."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _tasks.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        _log.error("background task %s failed", task.get_name(), exc_info=exc)


def running(prefix: str = "") -> list[asyncio.Task[Any]]:
    """The live background tasks whose name starts with ``prefix`` (for shutdown and tests)."""
    return [t for t in _tasks if t.get_name().startswith(prefix) and not t.done()]


async def cancel_all(prefix: str) -> None:
    """Cancel the background tasks named ``prefix...`` and wait until they have finished."""
    tasks = running(prefix)
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
