"""HAProxy's log lines, received as syslog over UDP on 127.0.0.1, turned into ``LogEvent``s.

Theory of operation
-------------------
The running copy's ``global`` sends every ``log global`` proxy's lines to
``127.0.0.1:<port>`` (running_copy.py).  ``parse_datagram`` is pure: it strips
the RFC 3164 header HAProxy writes (``<134>Dec  5 05:09:07 haproxy[42]: ``)
and reads the message as HAProxy's default ``option httplog`` or ``option
tcplog`` line (configuration.txt §8.2.3 and §8.2.2) into the engine's own
``LogEvent``, so the GUI's request log shows both engines the same way.

What those formats carry is filled in: client, accept date, frontend (TLS
frontends' ``~`` dropped), backend/server, timers, status, bytes read by the
client, termination state, the five connection counts, queues and the request
line.  What they do not carry stays at the defaults: ``bytes_in`` 0 and
``rule`` "" (HAProxy does not log which rule routed a request).  Other lines
(custom ``log-format``, the default "Connect from" line, HAProxy's own
notices) are not requests: they are counted in ``unparsed`` and dropped.

``SyslogReceiver`` is the thin asyncio shell: a datagram endpoint appending
to a bounded deque, read with ``drain_events`` like the engine's.  Like the
engine's record it can be *sampled* (an ``EventSampler``): HAProxy sends a line
per request, and parsing one costs ~16 us here -- at HAProxy's tens of thousands
of requests a second, more than a core of the app's process for rows the window
would not list.  The sampler needs only the status and termination state, which
``_VERDICT`` finds in ~0.5 us; what it leaves out is counted in ``sampled_out``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from typing import Any

from proxy.engine.session import EventSampler, LogEvent, Timings, is_notable

__all__ = ["SyslogReceiver", "notable_datagram", "parse_datagram", "parse_message"]

MAX_EVENTS = 10_000  # as the engine's hub keeps

_HEADER = re.compile(r"^<\d{1,3}>(?:1 )?")
_TAG_END = re.compile(r"\]: |: ")
_COMMON = (
    r"(?P<ip>\S+):(?P<port>\d+) \[(?P<date>[^\]]+)\] (?P<frontend>\S+) "
    r"(?P<backend>[^/\s]+)/(?P<server>\S+) "
)
_COUNTS = (
    r"(?P<actconn>\d+)/(?P<feconn>\d+)/(?P<beconn>\d+)/(?P<srv_conn>\d+)/\+?(?P<retries>\d+) "
    r"(?P<srv_queue>\d+)/(?P<backend_queue>\d+)"
)
_HTTPLOG = re.compile(
    _COMMON
    + r"(?P<TR>-?\d+)/(?P<Tw>-?\d+)/(?P<Tc>-?\d+)/(?P<Tr>-?\d+)/\+?(?P<Ta>-?\d+) "
    r"(?P<status>-?\d+) \+?(?P<bytes>\d+) \S+ \S+ (?P<term>\S{2})\S* " + _COUNTS
    + r"(?: \{[^}]*\})*(?: \"(?P<request>[^\"]*)\"?)?$"
)
_TCPLOG = re.compile(
    _COMMON
    + r"(?P<Tw>-?\d+)/(?P<Tc>-?\d+)/\+?(?P<Tt>-?\d+) \+?(?P<bytes>\d+) (?P<term>\S{2}) " + _COUNTS
    + r"$"
)


# The status and termination state of an httplog line, or the termination state of a
# tcplog one (the fields _HTTPLOG and _TCPLOG read there): all the sampler needs.
_VERDICT = re.compile(
    rb"\] \S+ \S+ (?:-?\d+/){4}\+?-?\d+ (-?\d+) \+?\d+ \S+ \S+ (\S\S)"
    rb"|\] \S+ \S+ -?\d+/-?\d+/\+?-?\d+ \+?\d+ (\S\S) "
)


def notable_datagram(data: bytes) -> bool | None:
    """Whether a datagram's request is notable (``session.is_notable``), without parsing
    the line; None when it is no default-format request line (parse it to know)."""
    found = _VERDICT.search(data)
    if found is None:
        return None
    status, http_term, tcp_term = found.groups()
    if status is None:
        return is_notable(None, tcp_term.decode("latin-1"))
    return is_notable(int(status), http_term.decode("latin-1"))


def _accept_time(text: str) -> float:
    """``05/Dec/2026:05:09:07.123`` (local time, as HAProxy prints it) -> epoch seconds."""
    stamp, _, millis = text.partition(".")
    try:
        seconds = time.mktime(time.strptime(stamp, "%d/%b/%Y:%H:%M:%S"))
    except ValueError:
        return time.time()
    return seconds + (int(millis) / 1000 if millis.isdigit() else 0.0)


def _request_parts(request: str | None) -> tuple[str, str, str]:
    """``GET /path HTTP/1.1`` -> (method, path, version); ``<BADREQ>`` -> ("", "", "")."""
    parts = (request or "").split(" ")
    if len(parts) < 2 or request == "<BADREQ>":
        return "", "", ""
    return parts[0], parts[1], parts[2] if len(parts) > 2 else ""


def _counts(found: re.Match[str]) -> dict[str, Any]:  # (Any: LogEvent's fields are not all int)
    names = ("actconn", "feconn", "beconn", "srv_conn", "retries", "srv_queue", "backend_queue")
    return {name: int(found[name]) for name in names}


def parse_message(message: str) -> LogEvent | None:
    """One httplog or tcplog message (no syslog header) as a ``LogEvent``; None otherwise."""
    message = message.rstrip("\r\n\x00")
    if found := _HTTPLOG.match(message):
        method, path, version = _request_parts(found["request"])
        timings = Timings(*(int(found[t]) for t in ("TR", "Tw", "Tc", "Tr", "Ta")))
        status: int | None = int(found["status"])
    elif found := _TCPLOG.match(message):
        method = path = version = ""
        timings = Timings(-1, int(found["Tw"]), int(found["Tc"]), -1, int(found["Tt"]))
        status = None
    else:
        return None
    return LogEvent(
        time=_accept_time(found["date"]),
        client=(found["ip"], int(found["port"])),
        frontend=found["frontend"].removesuffix("~"),
        backend=found["backend"],
        server="" if found["server"] == "<NOSRV>" else found["server"],
        status=status,
        bytes_in=0,
        bytes_out=int(found["bytes"]),
        timings=timings,
        rule="",
        termination_state=found["term"],
        method=method,
        path=path,
        version=version or "HTTP/1.1",
        **_counts(found),
    )


def parse_datagram(data: bytes) -> LogEvent | None:
    """A syslog datagram from HAProxy (RFC 3164 or 5424 header) as a ``LogEvent``."""
    text = data.decode("utf-8", "replace")
    header = _HEADER.match(text)
    if header is None:
        return parse_message(text)
    tag_end = _TAG_END.search(text, header.end())
    return parse_message(text[tag_end.end():] if tag_end else text[header.end():])


class SyslogReceiver(asyncio.DatagramProtocol):
    """Receives HAProxy's log datagrams on 127.0.0.1; ``open()`` binds a free port."""

    def __init__(self, max_events: int = MAX_EVENTS, sampler: EventSampler | None = None) -> None:
        self.events: deque[LogEvent] = deque(maxlen=max_events)
        self.sampler = sampler  # None: every line is parsed and kept
        self.sampled_out = 0
        self.unparsed = 0
        self.pushed_out = 0  # events the deque dropped because nobody drained them in time
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None

    async def open(self, host: str = "127.0.0.1") -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, 0))
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])
        return self.port

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        sampler = self.sampler
        if sampler is not None:
            notable = notable_datagram(data)
            if notable is not None and not sampler.admit(notable):
                self.sampled_out += 1
                return
        event = parse_datagram(data)
        if event is None:
            self.unparsed += 1
        else:
            if len(self.events) == self.events.maxlen:
                self.pushed_out += 1
            self.events.append(event)

    def drain_events(self, max_n: int = 1000) -> list[LogEvent]:
        """Events since the last call, oldest first (thread-safe: deque pops are atomic)."""
        if self.sampler is not None:
            self.sampler.refill()  # what this reader can list again (EventSampler)
        out: list[LogEvent] = []
        while self.events and len(out) < max_n:
            try:
                out.append(self.events.popleft())
            except IndexError:
                break
        return out

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
