"""A few GET requests sent from a plain thread: the demo's first traffic.

``proxydesk demo`` should show traffic within seconds, before the user has
opened a browser, so the app sends the tutorial's URLs once itself (and again
on the Requests tab's button).  The requests go to 127.0.0.1 through the
engine, which logs them like any others; this thread touches no Qt object, and
the answers are discarded.  ``http.client`` rather than ``urllib``: urllib
would honour an ``http_proxy`` environment variable and send loopback
requests elsewhere.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import urllib.parse
from collections.abc import Sequence

__all__ = ["fetch", "send_in_background"]


def fetch(url: str, timeout: float = 2.0) -> int | None:
    """GET ``url``; its status, or None when the request failed."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            connection.close()


def send_in_background(urls: Sequence[str], timeout: float = 2.0) -> threading.Thread:
    """GET each URL once, in order, on a daemon thread (bounded: one try, ``timeout`` each)."""
    thread = threading.Thread(target=lambda: [fetch(u, timeout) for u in urls],
                              name="proxydesk-sample-requests", daemon=True)
    thread.start()
    return thread
