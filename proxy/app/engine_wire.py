"""What the app's engine process and the app say to each other, as bytes.

Theory of operation
-------------------
The desktop app runs its engine in a child process (``proxy.app.engine_child``)
and talks to it over the child's runtime socket (``proxy.engine.runtime_api``)
plus one line on the child's stdout.  Everything that crosses is plain data:

* **the start report**: one JSON object on stdout once the engine listens --
  ``{"ready": true, "pid", "control", "listening", "warnings"}`` -- or, when it
  cannot, ``{"ready": false, "message", "diagnostics"}`` before the child exits;
* **the reload answer**: the runtime API's ``Success=1|0``, ``--``, then one JSON
  object (``message``, ``diagnostics``, ``listening``) instead of prose, because
  its reader is a program that shows located diagnostics in the editor;
* **stats**: ``show snapshot``, the whole ``StatsSnapshot`` as JSON (``show stat``
  CSV would lose the response-time percentiles the Traffic tab plots);
* **log events**: ``stream events marshal``, frames of a 4-byte big-endian length
  and a ``marshal``ed ``(dropped, [event tuples])``, sent at most every ``FLUSH_S``;
  ``dropped`` counts the events this client did not get so far: the ones the child
  had to drop (a client that stops reading is never allowed to grow the engine's
  memory) and the ones the engine's record left out (below).

The app's record is *sampled* (``Engine.sample_events``; the child's
``--sample-events``): ``EVENTS_PER_S`` ordinary and as many notable events (errors,
refusals, aborts) a second, bursts of ``EVENTS_BURST`` listed whole.  The Requests
tab shows at most 50 new rows per 4 Hz tick, so under load the rest was encoded,
sent and decoded only to be counted as "not listed"; measured with
``bench/gui_engine.py``, that work cost the app-hosted engine ~13 % of its
requests per second at ~20,000 a second.

Why ``marshal`` for the events: every request of the engine becomes one event,
and encoding is work the engine does per request.  Measured on this machine,
``json.dumps`` costs ~5 us per event (13 % of the engine's ~39 us per keep-alive
request), ``pickle`` ~5 us, ``marshal`` ~1.5 us.  ``marshal`` is safe here because
both ends are the same interpreter (``sys.executable``) and the socket is the
child's private one (a unix socket in a 0700 directory, or a loopback port the
child holds and reported over its own stdout); it is never used for anything a
third party writes.  ``stream events json`` (one JSON array per line) is there
for people and tools.
"""

from __future__ import annotations

import dataclasses
import json
import marshal
import struct
from typing import Any

from proxy.config.model import Diagnostic
from proxy.engine.session import LogEvent, Timings
from proxy.engine.stats import CheckInfo, StatRow, StatsSnapshot

__all__ = [
    "EVENTS_BURST", "EVENTS_PER_S", "FLUSH_S", "FRAME_HEADER", "decode_diagnostics", "decode_events", "encode_diagnostics",
    "encode_events", "event_frame", "listening_from", "snapshot_from_json", "snapshot_to_json",
]

FLUSH_S = 0.02  # how often the child sends its events: small batches, short pauses (p99)
EVENTS_PER_S = 100  # sustained ordinary rows a second for the window (and as many notable)
EVENTS_BURST = 200  # a burst this long is listed whole (e.g. a user's curl loop)
FRAME_HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024


# -- stats ----------------------------------------------------------------------------------
_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(StatRow))
_CHECK_FIELDS = tuple(f.name for f in dataclasses.fields(CheckInfo))
_SNAPSHOT_FIELDS = tuple(f.name for f in dataclasses.fields(StatsSnapshot) if f.name != "rows")


def snapshot_to_json(snapshot: StatsSnapshot) -> str:
    """By hand, not ``dataclasses.asdict``: that deep-copies every value (2.8 ms for the
    tutorial's 14 rows against 0.3 ms to build the snapshot), and the engine pauses for it."""
    data: dict[str, Any] = {name: getattr(snapshot, name) for name in _SNAPSHOT_FIELDS}
    data["rows"] = [_row_dict(row) for row in snapshot.rows]
    return json.dumps(data, separators=(",", ":"))


def _row_dict(row: StatRow) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in _ROW_FIELDS}
    data["counters"] = dict(row.counters)
    check = row.check
    data["check"] = None if check is None else {name: getattr(check, name) for name in _CHECK_FIELDS}
    return data


def snapshot_from_json(text: str) -> StatsSnapshot:
    data = json.loads(text)
    rows = tuple(_row(row) for row in data.pop("rows"))
    return StatsSnapshot(rows=rows, **data)


def _row(data: dict[str, Any]) -> StatRow:
    check = data.pop("check")
    return StatRow(check=CheckInfo(**check) if check is not None else None, **data)


# -- diagnostics and listeners ----------------------------------------------------------------
def encode_diagnostics(diagnostics: list[Diagnostic]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(d) for d in diagnostics]


def decode_diagnostics(items: list[dict[str, Any]] | None) -> list[Diagnostic]:
    return [Diagnostic(**item) for item in items or ()]


def listening_from(items: list[list[Any]] | None) -> list[tuple[str, str, int]]:
    return [(str(name), str(host), int(port)) for name, host, port in items or ()]


# -- log events -----------------------------------------------------------------------------
def encode_events(dropped: int, events: list[LogEvent]) -> bytes:
    """``marshal`` takes plain tuples only: the two named tuples become plain ones."""
    return marshal.dumps((dropped, [(*e[:8], (*e[8],), *e[9:]) for e in events]))


def event_frame(dropped: int, events: list[LogEvent]) -> bytes:
    body = encode_events(dropped, events)
    return FRAME_HEADER.pack(len(body)) + body


def decode_events(body: bytes) -> tuple[int, list[LogEvent]]:
    """(events dropped so far, the events) from one frame's body."""
    dropped, events = marshal.loads(body)
    return int(dropped), [LogEvent._make((e[0], tuple(e[1]), *e[2:8], Timings(*e[8]), *e[9:]))
                          for e in events]
