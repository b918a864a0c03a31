"""Statistics snapshots in HAProxy 2.6's shapes: ``show stat`` CSV, ``show info``, the stats page.

Theory of operation
-------------------
``build_snapshot()`` runs on the engine's loop and copies everything a
reader needs out of the runtime objects (frontends, backends, servers with
their ``Counters`` and ``HealthState``) into frozen ``StatRow``s, ordered as
HAProxy prints them: per proxy in declaration order, the FRONTEND row, then
the servers, then the BACKEND row.  The snapshot is plain data, safe to hand
to another thread (the GUI) and cheap enough to build ten times a second.

The CSV renderer is table driven: ``CSV_COLUMNS`` is the exact header the
real HAProxy 2.6 prints, and for each kind of row a set of columns HAProxy
fills (captured from the real binary; everything else is printed empty).  A
filled column takes its value from the row's counters or from one of the
``_FIELD_VALUES`` getters, "0" for the counters Proxydesk does not keep
(compression, cache, SSL, HTTP/2...), so tools that parse HAProxy's CSV by
header parse ours.

Backend transitions (``chkdown``, ``lastchg``, ``downtime`` of a BACKEND row)
are sampled when snapshots are built: the backend has no state machine of its
own, it is UP while any server can take traffic.
"""

from __future__ import annotations

import csv
import html
import io
import os
import socket
import time
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from proxy import __version__
from proxy.engine.counters import Counters
from proxy.engine.health import HealthState

__all__ = [
    "CSV_COLUMNS",
    "CheckInfo",
    "StatRow",
    "StatsSnapshot",
    "build_snapshot",
    "render_csv",
    "render_html",
]



def _words(text: str, separator: str | None = None) -> frozenset[str]:
    """Column lists are written as text: long lists stay readable and diffable."""
    return frozenset(text.split(separator))


# `show stat` header of HAProxy 2.6.12 (Debian), captured from the real binary.
_HEADER = (
    "pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
    "wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,"
    "lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,"
    "hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,"
    "cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,"
    "ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,"
    "check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,"
    "conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,"
    "srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,"
    "used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,"
    "agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,"
    "h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,"
    "h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,"
    "h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,"
    "h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,"
    "h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out"
)
CSV_COLUMNS: tuple[str, ...] = tuple(_HEADER.split(","))

TYPE_FRONTEND, TYPE_BACKEND, TYPE_SERVER = 0, 1, 2
# HAProxy 2.6 numbers the configured proxies from 2 (id 1 is taken internally).
FIRST_PROXY_ID = 2

# Which columns HAProxy fills for each kind of row (observed on 2.6.12).
_PROTOCOL_COLUMNS = (
    "- ssl_sess ssl_reused_sess ssl_failed_handshake h2_headers_rcvd h2_data_rcvd "
    "h2_settings_rcvd h2_rst_stream_rcvd h2_goaway_rcvd h2_detected_conn_protocol_errors "
    "h2_detected_strm_protocol_errors h2_rst_stream_resp h2_goaway_resp h2_open_connections "
    "h2_backend_open_streams h2_total_connections h2_backend_total_streams h1_open_connections "
    "h1_open_streams h1_total_connections h1_total_streams h1_bytes_in h1_bytes_out "
    "h1_spliced_bytes_in h1_spliced_bytes_out"
)
_HRSP = "hrsp_1xx hrsp_2xx hrsp_3xx hrsp_4xx hrsp_5xx hrsp_other"
_FILLED: dict[str, frozenset[str]] = {
    "frontend": _words(
        "pxname svname scur smax slim stot bin bout dreq dresp ereq status pid iid sid type rate "
        "rate_lim rate_max req_rate req_rate_max req_tot comp_in comp_out comp_byp comp_rsp mode "
        f"conn_rate conn_rate_max conn_tot dcon dses wrew eint {_PROTOCOL_COLUMNS}"
    ),
    "frontend-http": _words(f"{_HRSP} intercepted cache_lookups cache_hits"),
    "backend": _words(
        "pxname svname qcur qmax scur smax slim stot bin bout dreq dresp econ eresp wretr wredis "
        "status weight act bck chkdown lastchg downtime pid iid sid lbtot type rate rate_max "
        "cli_abrt srv_abrt comp_in comp_out comp_byp comp_rsp lastsess qtime ctime rtime ttime "
        "mode algo wrew connect reuse qtime_max ctime_max rtime_max ttime_max eint uweight "
        f"agg_server_status agg_server_check_status agg_check_status {_PROTOCOL_COLUMNS}"
    ),
    "backend-http": _words(f"{_HRSP} req_tot cache_lookups cache_hits"),
    "server": _words(
        "pxname svname qcur qmax scur smax stot bin bout dresp econ eresp wretr wredis status "
        "weight act bck lastchg pid iid sid lbtot type rate rate_max cli_abrt srv_abrt lastsess "
        "qtime ctime rtime ttime addr mode wrew connect reuse srv_icur qtime_max ctime_max "
        "rtime_max ttime_max eint idle_conn_cur safe_conn_cur used_conn_cur need_conn_est "
        "uweight - ssl_sess ssl_reused_sess ssl_failed_handshake"
    ),
    "server-http": _words(f"{_HRSP} req_tot"),
    "server-checked": _words("chkfail chkdown downtime"),
    # only while the check runs (not in maintenance):
    "server-checking": _words(
        "check_status check_desc check_rise check_fall check_health"
    ),
}


# --------------------------------------------------------------------- the data


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """A server's health-check figures (the ``check_*`` and ``chk*`` columns)."""

    status: str  # "L4OK", "L7STS", "INI"... ("" in maintenance)
    code: int | None
    duration: int | None  # ms
    desc: str
    last_chk: str
    rise: int
    fall: int
    health: int
    chkfail: int
    chkdown: int
    downtime: int  # seconds
    maint: bool


@dataclass(frozen=True, slots=True)
class StatRow:
    """One line of ``show stat``: a FRONTEND, a BACKEND or a server."""

    proxy: str
    name: str  # "FRONTEND", "BACKEND" or the server's name
    type: int  # 0 frontend, 1 backend, 2 server (HAProxy's `type` column)
    iid: int
    sid: int
    mode: str
    status: str
    counters: Mapping[str, float]  # Counters.snapshot() (+ rtime_max, ttime_max)
    weight: int | None = None
    uweight: int | None = None
    act: int | None = None
    bck: int | None = None
    lastchg: int | None = None
    chkdown: int | None = None
    downtime: int | None = None
    check: CheckInfo | None = None
    addr: str | None = None
    cookie: str | None = None
    algo: str | None = None
    slim: int | None = None

    @property
    def kind(self) -> str:
        return ("frontend", "backend", "server")[self.type]

    def filled_columns(self) -> frozenset[str]:
        columns = _FILLED[self.kind]
        if self.mode == "http":
            columns |= _FILLED[f"{self.kind}-http"]
        if self.check is not None:
            columns |= _FILLED["server-checked"]
            if not self.check.maint:
                columns |= _FILLED["server-checking"]
                columns |= {"check_duration"} if self.check.duration is not None else set()
                columns |= {"check_code"} if self.check.code is not None else set()
            columns |= {"last_chk"} if self.check.last_chk else set()
        columns |= {"cookie"} if self.cookie else set()
        return columns

    def csv_values(self) -> list[str]:
        filled = self.filled_columns()
        return [_value(self, column) if column in filled else "" for column in CSV_COLUMNS]


def _number(value: float | int | None) -> str:
    return "" if value is None else str(round(value))


def _check_field(getter: Callable[[CheckInfo], Any]) -> Callable[[StatRow], str]:
    def read(row: StatRow) -> str:
        if row.check is None:
            return ""
        value = getter(row.check)
        return value if isinstance(value, str) else _number(value)

    return read


def _counter(name: str) -> Callable[[StatRow], str]:
    return lambda row: _number(row.counters.get(name, 0))


_FIELD_VALUES: dict[str, Callable[[StatRow], str]] = {
    "pxname": lambda row: row.proxy,
    "svname": lambda row: row.name,
    "status": lambda row: row.status,
    "weight": lambda row: _number(row.weight),
    "uweight": lambda row: _number(row.uweight),
    "act": lambda row: _number(row.act),
    "bck": lambda row: _number(row.bck),
    "lastchg": lambda row: _number(row.lastchg),
    "chkdown": lambda row: _number(row.check.chkdown if row.check else row.chkdown),
    "downtime": lambda row: _number(row.check.downtime if row.check else row.downtime),
    "slim": lambda row: _number(row.slim),
    "pid": lambda row: "1",
    "iid": lambda row: str(row.iid),
    "sid": lambda row: str(row.sid),
    "type": lambda row: str(row.type),
    "mode": lambda row: row.mode,
    "algo": lambda row: row.algo or "",
    "addr": lambda row: row.addr or "",
    "cookie": lambda row: row.cookie or "",
    "-": lambda row: "-",
    "lastsess": lambda row: "-1" if not row.counters.get("stot") else "",
    "conn_rate": _counter("rate"),
    "conn_rate_max": _counter("rate_max"),
    "conn_tot": _counter("stot"),
    "chkfail": _check_field(lambda c: c.chkfail),
    "check_status": _check_field(lambda c: c.status),
    "check_code": _check_field(lambda c: c.code),
    "check_duration": _check_field(lambda c: c.duration),
    "check_desc": _check_field(lambda c: c.desc),
    "check_rise": _check_field(lambda c: c.rise),
    "check_fall": _check_field(lambda c: c.fall),
    "check_health": _check_field(lambda c: c.health),
    "last_chk": _check_field(lambda c: c.last_chk),
    # HAProxy counts the running health check as one needed connection
    "need_conn_est": lambda row: "1" if row.check and not row.check.maint else "0",
}


def _value(row: StatRow, column: str) -> str:
    getter = _FIELD_VALUES.get(column)
    return getter(row) if getter is not None else _counter(column)(row)


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """Every frontend, backend and server at one instant (plain data, thread safe)."""

    time: float  # epoch seconds
    started_at: float  # epoch seconds
    rows: tuple[StatRow, ...]  # in `show stat` order
    maxconn: int = 0
    pid: int = field(default_factory=os.getpid)

    @property
    def frontends(self) -> list[StatRow]:
        return [r for r in self.rows if r.type == TYPE_FRONTEND]

    @property
    def backends(self) -> list[StatRow]:
        return [r for r in self.rows if r.type == TYPE_BACKEND]

    @property
    def servers(self) -> list[StatRow]:
        return [r for r in self.rows if r.type == TYPE_SERVER]

    @property
    def uptime(self) -> float:
        return max(0.0, self.time - self.started_at)

    def find(self, proxy: str, name: str) -> StatRow | None:
        return next((r for r in self.rows if r.proxy == proxy and r.name == name), None)

    def csv(self) -> str:
        """HAProxy's ``show stat`` CSV: the ``# header``, one line per row, trailing commas."""
        out = io.StringIO()
        out.write("# " + ",".join(CSV_COLUMNS) + ",\n")
        writer = csv.writer(out, lineterminator="\n")
        for row in self.rows:
            writer.writerow([*row.csv_values(), ""])
        return out.getvalue()

    @classmethod
    def from_csv(
        cls, text: str, *, started_at: float | None = None, pid: int | None = None
    ) -> StatsSnapshot:
        """Parse ``show stat`` CSV (HAProxy's or ours) back into a snapshot.

        Columns are read by the ``# header`` line, so a newer HAProxy's extra
        columns are kept as counters and missing ones read as absent.  Every
        numeric column lands in ``counters`` under its CSV name (``scur``,
        ``stot``, ``req_tot``, ``hrsp_2xx``...), which are the names the
        engine's own counters use; ``from_csv(s.csv()).csv() == s.csv()``.
        What CSV cannot carry (the engine's response-time percentiles) is lost.
        """
        lines = text.splitlines()
        if not lines or not lines[0].startswith("#"):
            raise ValueError("not `show stat` output: the '# pxname,svname,...' header is missing")
        header = lines[0].lstrip("# ").rstrip(",").split(",")
        rows = tuple(
            _row_from_fields(dict(zip(header, values, strict=False)))
            for values in csv.reader(line for line in lines[1:] if line.strip())
        )
        now = time.time()
        return cls(time=now, started_at=now if started_at is None else started_at, rows=rows,
                   pid=os.getpid() if pid is None else pid)

    def info(self) -> list[tuple[str, str]]:
        """``show info`` as (key, value) pairs, HAProxy's keys in HAProxy's order."""
        return _info_pairs(self)

    def info_text(self) -> str:
        return "".join(f"{key}: {value}\n" for key, value in self.info())


# Columns that are StatRow fields (or identity, or text), not counters.
_ROW_COLUMNS = _words(
    "pxname svname iid sid type mode status weight uweight act bck lastchg chkdown downtime "
    "slim addr cookie algo pid - chkfail check_status check_code check_duration check_desc "
    "last_chk check_rise check_fall check_health lastsess conn_tot conn_rate conn_rate_max "
    "need_conn_est"
)


def _optional_int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") and text.lstrip("-").isdigit() else None


def _number_or_none(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _check_from_fields(values: Mapping[str, str]) -> CheckInfo | None:
    """A server's check figures; ``chkfail`` is filled exactly when the server is checked."""
    if values.get("type") != str(TYPE_SERVER) or values.get("chkfail", "") == "":
        return None
    status = values.get("check_status", "")
    return CheckInfo(
        status=status,
        code=_optional_int(values.get("check_code")),
        duration=_optional_int(values.get("check_duration")),
        desc=values.get("check_desc", ""),
        last_chk=values.get("last_chk", ""),
        rise=_optional_int(values.get("check_rise")) or 0,
        fall=_optional_int(values.get("check_fall")) or 0,
        health=_optional_int(values.get("check_health")) or 0,
        chkfail=_optional_int(values.get("chkfail")) or 0,
        chkdown=_optional_int(values.get("chkdown")) or 0,
        downtime=_optional_int(values.get("downtime")) or 0,
        maint=not status,  # HAProxy leaves the check columns empty in maintenance
    )


def _row_from_fields(values: Mapping[str, str]) -> StatRow:
    counters: dict[str, float] = {}
    for column, text in values.items():
        if column not in _ROW_COLUMNS:
            number = _number_or_none(text)
            if number is not None:
                counters[column] = number
    row_type = _optional_int(values.get("type")) or 0
    return StatRow(
        proxy=values.get("pxname", ""),
        name=values.get("svname", ""),
        type=row_type,
        iid=_optional_int(values.get("iid")) or 0,
        sid=_optional_int(values.get("sid")) or 0,
        mode=values.get("mode", ""),
        status=values.get("status", ""),
        counters=counters,
        weight=_optional_int(values.get("weight")),
        uweight=_optional_int(values.get("uweight")),
        act=_optional_int(values.get("act")),
        bck=_optional_int(values.get("bck")),
        lastchg=_optional_int(values.get("lastchg")),
        chkdown=_optional_int(values.get("chkdown")),
        downtime=_optional_int(values.get("downtime")),
        check=_check_from_fields(values),
        addr=values.get("addr") or None,
        cookie=values.get("cookie") or None,
        algo=values.get("algo") or None,
        slim=_optional_int(values.get("slim")),
    )


def _sum(rows: Iterable[StatRow], key: str) -> int:
    return round(sum(r.counters.get(key, 0) for r in rows))


def _info_pairs(snap: StatsSnapshot) -> list[tuple[str, str]]:
    fronts = snap.frontends
    uptime = int(snap.uptime)
    days, rest = divmod(uptime, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    values: list[tuple[str, object]] = [
        ("Name", "Proxydesk"),
        ("Version", f"2.6-compatible (Proxydesk {__version__})"),
        ("Release_date", ""),
        ("Nbthread", 1),
        ("Nbproc", 1),
        ("Process_num", 1),
        ("Pid", snap.pid),
        ("Uptime", f"{days}d {hours}h{minutes:02d}m{seconds:02d}s"),
        ("Uptime_sec", uptime),
        ("Maxconn", snap.maxconn),
        ("Hard_maxconn", snap.maxconn),
        ("CurrConns", _sum(fronts, "scur")),
        ("CumConns", _sum(fronts, "stot")),
        ("CumReq", _sum(fronts, "req_tot")),
        ("ConnRate", _sum(fronts, "rate")),
        ("MaxConnRate", max((round(r.counters.get("rate_max", 0)) for r in fronts), default=0)),
        ("SessRate", _sum(fronts, "rate")),
        ("MaxSessRate", max((round(r.counters.get("rate_max", 0)) for r in fronts), default=0)),
        ("node", socket.gethostname()),
        ("Stopping", 0),
        ("Jobs", _sum(fronts, "scur")),
        ("Listeners", len(fronts)),
        ("TotalBytesOut", _sum(fronts, "bout")),
        ("Build info", f"Proxydesk {__version__}"),
        ("Start_time_sec", int(snap.started_at)),
    ]
    return [(key, str(value)) for key, value in values]


# ------------------------------------------------------------ building from runtime


class _Frontend(Protocol):
    """What is read of the engine's runtime frontend (read-only, hence properties)."""

    @property
    def name(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def counters(self) -> Counters: ...
    @property
    def maxconn(self) -> int: ...


class _Backend(Protocol):
    """What is read of the engine's runtime backend.

    ``servers`` hold ``name``, ``backend``, ``address``, ``counters``,
    ``state`` (balance.ServerState), ``check`` and ``health``; optional
    ``drain``/``uweight``/``cookie`` attributes are shown when present.
    """

    @property
    def name(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def counters(self) -> Counters: ...
    @property
    def servers(self) -> Sequence[Any]: ...


@dataclass
class _BackendHistory:
    """UP/DOWN history of a backend, sampled at snapshot time."""

    up: bool
    lastchg: float = field(default_factory=time.monotonic)
    chkdown: int = 0
    down_total: float = 0.0

    def observe(self, up: bool, now: float) -> None:
        if up == self.up:
            return
        if up:
            self.down_total += now - self.lastchg
        else:
            self.chkdown += 1
        self.up, self.lastchg = up, now

    def downtime(self, now: float) -> float:
        return self.down_total + (0.0 if self.up else now - self.lastchg)


# Keyed by id(backend); the weak reference (or the object itself when it
# cannot be weakly referenced) guards against a recycled id.
_histories: dict[int, tuple[Callable[[], object], _BackendHistory]] = {}


def _history(backend: object) -> _BackendHistory:
    entry = _histories.get(id(backend))
    if entry is not None and entry[0]() is backend:
        return entry[1]
    for key in [k for k, (ref, _) in _histories.items() if ref() is None]:
        del _histories[key]
    try:
        ref: Callable[[], object] = weakref.ref(backend)
    except TypeError:
        ref = (lambda obj: lambda: obj)(backend)
    # Backends start UP, as their servers do ("UP 1/3" until the first check).
    history = _BackendHistory(up=True)
    _histories[id(backend)] = (ref, history)
    return history


def _counters(counters: Counters) -> dict[str, float]:
    data = counters.snapshot()
    data["rtime_max"] = max(counters.timings.response, default=0.0)
    data["ttime_max"] = max(counters.timings.total, default=0.0)
    return data


def _addr(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _check_info(health: HealthState, now: float) -> CheckInfo | None:
    if not health.checked:
        return None
    return CheckInfo(
        status=health.check_status,
        code=health.check_code,
        duration=health.check_duration,
        desc=health.check_desc,
        last_chk=health.last_chk,
        rise=health.rise,
        fall=health.fall,
        health=health.health,
        chkfail=health.chkfail,
        chkdown=health.chkdown,
        downtime=int(health.downtime(now)),
        maint=health.maint,
    )


def _server_health(server: Any) -> HealthState:
    health = getattr(server, "health", None)
    return health if isinstance(health, HealthState) else HealthState()


def _server_row(server: Any, iid: int, sid: int, mode: str, now: float) -> StatRow:
    state = server.state
    health = _server_health(server)
    drain = bool(getattr(server, "drain", False))
    status = "MAINT" if state.disabled else health.status_text(drain=drain)
    if not state.disabled and not state.up and health.up:
        status = "DOWN"  # the engine overrides checks (e.g. an observed failure)
    weight = int(getattr(server, "uweight", state.weight))
    return StatRow(
        proxy=server.backend,
        name=server.name,
        type=TYPE_SERVER,
        iid=iid,
        sid=state.id or sid,
        mode=mode,
        status=status,
        counters=_counters(server.counters),
        weight=state.weight,
        uweight=weight,
        act=0 if state.backup else 1,
        bck=1 if state.backup else 0,
        lastchg=int(now - health.lastchg),
        check=_check_info(health, now),
        addr=_addr(server.address),
        cookie=getattr(server, "cookie", None),
    )


def _backend_row(backend: _Backend, iid: int, servers: Sequence[StatRow], now: float) -> StatRow:
    usable = [r for r in servers if r.status.startswith("UP") or r.status == "no check"]
    active = [r for r in usable if r.act]
    group = active or [r for r in usable if r.bck]
    weight = sum(r.weight or 0 for r in group)
    up = weight > 0 or not servers
    history = _history(backend)
    history.observe(up, now)
    return StatRow(
        proxy=backend.name,
        name="BACKEND",
        type=TYPE_BACKEND,
        iid=iid,
        sid=0,
        mode=backend.mode,
        status="UP" if up else "DOWN",
        counters=_counters(backend.counters),
        weight=weight,
        uweight=sum(r.uweight or 0 for r in group),
        act=len(active),
        bck=len([r for r in usable if r.bck]),
        lastchg=int(now - history.lastchg),
        chkdown=history.chkdown,
        downtime=int(history.downtime(now)) if servers else None,
        algo=getattr(backend, "algorithm", None) or "roundrobin",
        slim=backend.counters.slim,
    )


def _frontend_row(frontend: _Frontend, iid: int) -> StatRow:
    return StatRow(
        proxy=frontend.name,
        name="FRONTEND",
        type=TYPE_FRONTEND,
        iid=iid,
        sid=0,
        mode=frontend.mode,
        status="OPEN",
        counters=_counters(frontend.counters),
        slim=frontend.maxconn,
    )


def build_snapshot(
    frontends: Sequence[_Frontend],
    backends: Sequence[_Backend],
    started_at: float,
    *,
    proxy_order: Sequence[str] | None = None,
    maxconn: int = 0,
) -> StatsSnapshot:
    """Copy the runtime objects' figures into a ``StatsSnapshot``.

    ``proxy_order`` lists proxy names in declaration order (listen sections
    once); without it, frontends come first, then the other backends.
    ``started_at`` is the engine's start time (epoch seconds).
    """
    now_mono = time.monotonic()
    by_front = {f.name: f for f in frontends}
    by_back = {b.name: b for b in backends}
    order = list(proxy_order or [*by_front, *(n for n in by_back if n not in by_front)])
    rows: list[StatRow] = []
    for iid, name in enumerate(order, start=FIRST_PROXY_ID):
        if name in by_front:
            rows.append(_frontend_row(by_front[name], iid))
        backend = by_back.get(name)
        if backend is not None:
            servers = [
                _server_row(s, iid, sid, backend.mode, now_mono)
                for sid, s in enumerate(backend.servers, start=1)
            ]
            rows += servers
            rows.append(_backend_row(backend, iid, servers, now_mono))
    return StatsSnapshot(time=time.time(), started_at=started_at, rows=tuple(rows), maxconn=maxconn)


# ------------------------------------------------------------------- renderers


def render_csv(snapshot: StatsSnapshot) -> bytes:
    """The body of ``<stats uri>;csv``."""
    return snapshot.csv().encode()


_STATUS_CLASS = (("MAINT", "maint"), ("DRAIN", "drain"), ("DOWN", "down"), ("UP ", "going"),
                 ("UP", "up"), ("no check", "up"), ("OPEN", "up"))

_HTML_STYLE = """
body { font-family: sans-serif; font-size: 13px; margin: 1em; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 15px; margin: 1.4em 0 .3em; }
table { border-collapse: collapse; } th, td { border: 1px solid #bbb; padding: 2px 6px; }
th { background: #3a5f8a; color: #fff; font-weight: normal; }
td { text-align: right; } td.name { text-align: left; font-weight: bold; }
tr.up td { background: #c0f0c0; } tr.going td { background: #f0f090; }
tr.down td { background: #ff9090; } tr.maint td { background: #c0c0ff; }
tr.drain td { background: #a0d0ff; } tr.total td { background: #e0e0e0; }
"""

# (group, header, value) for each column of the HTML tables.
_HTML_COLUMNS: tuple[tuple[str, str, Callable[[StatRow], str]], ...] = (
    ("Queue", "Cur", _counter("qcur")),
    ("Queue", "Max", _counter("qmax")),
    ("Sessions", "Cur", _counter("scur")),
    ("Sessions", "Max", _counter("smax")),
    ("Sessions", "Limit", lambda r: _number(r.slim) if r.slim else ""),
    ("Sessions", "Total", _counter("stot")),
    ("Sessions", "LbTot", lambda r: "" if r.type == TYPE_FRONTEND else _counter("lbtot")(r)),
    ("Bytes", "In", _counter("bin")),
    ("Bytes", "Out", _counter("bout")),
    ("Errors", "Req", _counter("ereq")),
    ("Errors", "Conn", _counter("econ")),
    ("Errors", "Resp", _counter("eresp")),
    ("Warnings", "Retr", _counter("wretr")),
    ("Warnings", "Redis", _counter("wredis")),
    ("Time (ms)", "p50", _counter("rtime_p50")),
    ("Time (ms)", "p99", _counter("rtime_p99")),
    ("Server", "Status", lambda r: r.status),
    ("Server", "LastChk", lambda r: _last_check(r)),
    ("Server", "Wght", lambda r: _number(r.weight)),
    ("Server", "Act", lambda r: _number(r.act)),
    ("Server", "Bck", lambda r: _number(r.bck)),
    ("Server", "Chk", lambda r: _number(r.check.chkfail) if r.check else ""),
    ("Server", "Dwn", lambda r: _number(r.chkdown if r.check is None else r.check.chkdown)),
    ("Server", "Dwntme", lambda r: _number(r.downtime if r.check is None else r.check.downtime)),
)


def _last_check(row: StatRow) -> str:
    check = row.check
    if check is None or not check.status:
        return ""
    code = f"/{check.code}" if check.code is not None else ""
    duration = f" in {check.duration}ms" if check.duration is not None else ""
    return f"{check.status}{code}{duration}"


def _status_class(row: StatRow) -> str:
    if row.name == "BACKEND" or row.name == "FRONTEND":
        return "total"
    return next((css for prefix, css in _STATUS_CLASS if row.status.startswith(prefix)), "")


def _html_table(proxy: str, rows: Sequence[StatRow]) -> str:
    groups: list[tuple[str, int]] = []
    for group, _, _ in _HTML_COLUMNS:
        if groups and groups[-1][0] == group:
            groups[-1] = (group, groups[-1][1] + 1)
        else:
            groups.append((group, 1))
    head1 = "".join(f'<th colspan="{n}">{html.escape(g)}</th>' for g, n in groups)
    head2 = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in _HTML_COLUMNS)
    body = "".join(
        f'<tr class="{_status_class(row)}"><td class="name">{html.escape(row.name)}</td>'
        + "".join(f"<td>{html.escape(value(row))}</td>" for _, _, value in _HTML_COLUMNS)
        + "</tr>\n"
        for row in rows
    )
    return (
        f"<h2>{html.escape(proxy)}</h2>\n<table>\n"
        f'<tr><th rowspan="2"></th>{head1}</tr>\n<tr>{head2}</tr>\n{body}</table>\n'
    )


def render_html(snapshot: StatsSnapshot, *, refresh: int | None, title: str) -> bytes:
    """A readable stats page: one table per proxy, like HAProxy's ``stats uri`` page."""
    proxies: dict[str, list[StatRow]] = {}
    for row in snapshot.rows:
        proxies.setdefault(row.proxy, []).append(row)
    meta = f'<meta http-equiv="refresh" content="{int(refresh)}">\n' if refresh else ""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snapshot.time))
    tables = "".join(_html_table(proxy, rows) for proxy, rows in proxies.items())
    page = (
        "<!DOCTYPE html>\n<html><head>\n<meta charset=\"utf-8\">\n"
        f"{meta}<title>{html.escape(title)}</title>\n<style>{_HTML_STYLE}</style>\n"
        f"</head><body>\n<h1>{html.escape(title)}</h1>\n"
        f"<p>Proxydesk {html.escape(__version__)} (HAProxy 2.6-compatible), pid {snapshot.pid}, "
        f"uptime {int(snapshot.uptime)}s, {stamp}</p>\n{tables}</body></html>\n"
    )
    return page.encode()
