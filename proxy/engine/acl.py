"""Compile and evaluate HAProxy 2.6 ACLs over a request context, without I/O.

Theory of operation
-------------------
``acl <name> <criterion> [flags] [operator] <patterns...>`` is compiled once
(``compile_acl``) into a ``CompiledAcl``: a *fetch* (what to extract from the
request), its parsed arguments, and a *matcher* holding the precompiled
patterns (sets for exact strings, tuples for prefixes/suffixes, one combined
regex for ``dom``/``dir``, integer ranges, IP networks).  At run time
``CompiledAcl.matches(ctx)`` fetches zero or more samples (ACLs iterate every
header value, cookie or parameter occurrence, as HAProxy does) and matches if
any sample matches any pattern.  A fetch that is unavailable (``path`` in a
TCP context, an absent header, a short payload) yields no sample, so it never
matches and ``-m found`` is false.

The criterion is either a sample fetch (``path``, ``req.hdr(host)``) with the
default matching method of its output type (bool, int, ip, str; binary needs
``-m``), or an ACL keyword that implies a method (``path_beg`` = ``path`` +
``beg``, ``hdr_dom(host)`` = ``req.hdr(host)`` + ``dom``).  ``-m`` overrides
the method in both cases (manual section 7.1).

Response fetches (``status``, ``res.hdr``, ``res.cook``, ``srv_name``...) read
``RequestContext.response``, set only while http-response rules run; elsewhere
they yield no sample.  Where a fetch has no value in a rule (``path`` in an
http-response rule: keywords.FETCH_AVAILABILITY/NEVER_MATCHES, the checker's
facts), the runtime compiler replaces the ACL by ``no_sample``: it fails, and
``!`` or ``unless`` of it passes, as in HAProxy's acl_exec_cond().

Conditions (``if``/``unless`` followed by ``[!]acl ... or ...``) are a
disjunction of conjunctions of ``Term``s; named ACLs declared several times
are ORed.  The upper-case predefined ACLs of manual section 7.4 are used when
a name is not declared.

Deviations: regexes use Python's ``re`` (PCRE syntax mostly compatible);
host names in IP patterns are rejected instead of being resolved; converters
(``,lower``, ``,map(...)``...) are those of ``logformat`` (string converters
only); ``req.ver``-based predefined ACLs are absent.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from proxy.config import keywords as kw
from proxy.engine.http1 import ResponseHead

if TYPE_CHECKING:
    from proxy.engine.auth import Userlist

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
SampleValue = bool | int | IPAddress | bytes
FetchArgs = tuple[object, ...]


class AclError(ValueError):
    """An ACL or condition that HAProxy would refuse at configuration time."""


# ----------------------------------------------------------------- the context


class ResponseSide:
    """What response fetches read (``status``, ``res.hdr``, ``srv_name``...) while the
    http-response rules run: the response head as the rules edit it (its header list is
    the one set-header changes, so a later rule sees an earlier one's work, as in HAProxy)
    and the server that answered."""

    __slots__ = ("head", "server", "server_name", "servers")

    def __init__(self, head: ResponseHead, server_name: bytes, server: Any,
                 servers: Sequence[Any]) -> None:
        self.head = head
        self.server_name = server_name
        self.server = server  # balance.ServerState: srv_id numbers it among servers
        self.servers = servers  # (only when a rule reads srv_id: a walk of the backend)


@dataclass(slots=True, init=False)
class RequestContext:
    """Everything fetches can read; layer-4 contexts leave the HTTP fields None."""

    src: IPAddress
    src_port: int
    dst: IPAddress
    dst_port: int
    method: bytes | None = None
    path: bytes | None = None
    query: bytes | None = None
    target: bytes | None = None  # the request target (url) as received
    headers: Sequence[tuple[bytes, bytes]] | None = None  # names as sent
    ssl_fc: bool = False
    ssl_fc_sni: str | None = None
    ssl_fc_protocol: str | None = None
    ssl_c_verify: int = 0
    req_payload: bytes = b""  # bytes buffered so far (tcp content inspection)
    req_ssl_sni: str | None = None
    req_ssl_hello_type: int | None = None
    vars: dict[str, bytes] = field(default_factory=dict)
    # set only while response rules run (http.py), so request-side work stays as it was
    response: ResponseSide | None = None

    # init=False and a hand-written __init__: mypyc compiles this one, while the
    # dataclass-generated __init__ is exec'd Python that compiled callers reach through
    # tp_init (perf, compiled build: ~1.8 % of keep-alive CPU; one context per request).
    def __init__(
        self, src: IPAddress, src_port: int, dst: IPAddress, dst_port: int,
        method: bytes | None = None, path: bytes | None = None, query: bytes | None = None,
        target: bytes | None = None, headers: Sequence[tuple[bytes, bytes]] | None = None,
        ssl_fc: bool = False, ssl_fc_sni: str | None = None, ssl_fc_protocol: str | None = None,
        ssl_c_verify: int = 0, req_payload: bytes = b"", req_ssl_sni: str | None = None,
        req_ssl_hello_type: int | None = None, vars: dict[str, bytes] | None = None,
    ) -> None:
        self.src = src
        self.src_port = src_port
        self.dst = dst
        self.dst_port = dst_port
        self.method = method
        self.path = path
        self.query = query
        self.target = target
        self.headers = headers
        self.ssl_fc = ssl_fc
        self.ssl_fc_sni = ssl_fc_sni
        self.ssl_fc_protocol = ssl_fc_protocol
        self.ssl_c_verify = ssl_c_verify
        self.req_payload = req_payload
        self.req_ssl_sni = req_ssl_sni
        self.req_ssl_hello_type = req_ssl_hello_type
        self.vars = {} if vars is None else vars
        self.response = None

    @classmethod
    def for_http(
        cls,
        *,
        src: IPAddress,
        src_port: int,
        dst: IPAddress,
        dst_port: int,
        method: bytes,
        target: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        **more: Any,
    ) -> RequestContext:
        """An HTTP context whose path and query are derived from the target."""
        path, query = split_target(target)
        return cls(src, src_port, dst, dst_port, method, path, query, target, headers, **more)


def split_target(target: bytes) -> tuple[bytes | None, bytes | None]:
    """(path, query) of a request target as HAProxy's path/query fetches see them.

    The path starts at the first slash (after "scheme://authority" for an
    absolute URI) and ends before '?'; "*" and authority forms have none.
    The query is what follows the first '?', None without one.
    """
    before, qmark, after = target.partition(b"?")
    query = after if qmark else None
    if before.startswith(b"/"):
        return before, query
    scheme_end = before.find(b"://")
    if scheme_end < 0:
        return None, query
    slash = before.find(b"/", scheme_end + 3)
    return (before[slash:] if slash >= 0 else None), query


# -------------------------------------------------------------- sample helpers


class SampleType(Enum):
    BOOL = "boolean"
    INT = "integer"
    IP = "ip"
    STR = "string"
    BIN = "binary"


_LEADING_INT = re.compile(rb"\s*([-+]?\d+)")


def _leading_int(data: bytes) -> int | None:
    """HAProxy's strl2ic()/read_int64(): the leading integer, 0 if none, None if empty."""
    if not data:
        return None
    found = _LEADING_INT.match(data)
    return int(found.group(1)) if found else 0


def _to_bytes(value: SampleValue) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        return b"1" if value else b"0"
    return str(value).encode("ascii")


def _to_int(value: SampleValue) -> int | None:
    if isinstance(value, bytes):
        return _leading_int(value)
    if isinstance(value, ipaddress.IPv6Address):
        return None
    return int(value)


def _to_ip(value: SampleValue) -> IPAddress | None:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if isinstance(value, bytes):
        return _parse_ip_sample(value)
    return None


def _to_bool(value: SampleValue) -> bool:
    if isinstance(value, bytes):
        return bool(_leading_int(value))
    return bool(value)


def _parse_ip_sample(text: bytes) -> IPAddress | None:
    """An address from a header value: IPv4 with an optional ":port", or IPv6."""
    raw = text.strip().decode("latin-1")
    host, colon, port = raw.partition(":")
    if colon and "." in host and port.isdigit() and int(port) <= 65535:
        raw = host
    try:
        return ipaddress.ip_address(raw)
    except ValueError:
        return None


# --------------------------------------------------------------------- fetches


def _header_lines(ctx: RequestContext, name: bytes | None) -> list[bytes] | None:
    if ctx.headers is None:
        return None
    return [v for n, v in ctx.headers if name is None or n.lower() == name]


def split_header_values(value: bytes) -> list[bytes]:
    """Comma-separated values, commas inside quoted strings kept (http_find_hdr_value_end)."""
    values, start, quoted, escaped = [], 0, False, False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            escaped = char == 0x5C  # backslash
            quoted = char != 0x22  # closing quote
        elif char == 0x22:
            quoted = True
        elif char == 0x2C:  # ','
            values.append(value[start:index].strip(b" \t"))
            start = index + 1
    values.append(value[start:].strip(b" \t"))
    return values


def _pick_occurrence(values: list[bytes], occ: int | None) -> list[bytes]:
    """All values, or the <occ>th (1 = first, -1 = last) as req.hdr(name,occ)."""
    if occ is None or occ == 0:
        return values
    index = occ - 1 if occ > 0 else occ
    return [values[index]] if -len(values) <= index < len(values) else []


def _occurrences(lines: list[bytes] | None, occ: int | None, split: bool) -> list[bytes] | None:
    """The values of a header's lines: comma-separated ones (hdr) or whole lines (fhdr)."""
    if lines is None:
        return None
    values = [v for line in lines for v in split_header_values(line)] if split else lines
    return _pick_occurrence([v.strip(b" \t") for v in values], occ)


def _hdr_values(ctx: RequestContext, args: FetchArgs, split: bool) -> list[bytes] | None:
    name, occ = cast(tuple[bytes | None, int | None], args)
    return _occurrences(_header_lines(ctx, name), occ, split)


def _fetch_hdr(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _hdr_values(ctx, args, split=True) or []


def _fetch_fhdr(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _hdr_values(ctx, args, split=False) or []


def _count(values: list[bytes] | None) -> Sequence[SampleValue]:
    return [] if values is None else [len(values)]


def _fetch_hdr_cnt(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _count(_hdr_values(ctx, (args[0], None), split=True))


def _fetch_fhdr_cnt(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _count(_hdr_values(ctx, (args[0], None), split=False))


def _fetch_hdr_val(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return [_leading_int(v) or 0 for v in _hdr_values(ctx, args, split=True) or []]


def _fetch_hdr_ip(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    addresses = (_parse_ip_sample(v) for v in _hdr_values(ctx, args, split=True) or [])
    return [a for a in addresses if a is not None]


_COOKIE_SEPARATORS = re.compile(rb"[;,]")


def _cookies(ctx: RequestContext, name: bytes | None) -> list[bytes] | None:
    """Values of cookie <name> (all cookies without a name) in every Cookie header.

    Request cookies are a list, so both ';' and ',' delimit them; spaces
    around names and values are ignored and names are case-sensitive.
    """
    lines = _header_lines(ctx, b"cookie")
    if lines is None:
        return None
    found = []
    for line in lines:
        for item in _COOKIE_SEPARATORS.split(line):
            cookie, equal, value = item.partition(b"=")
            if equal and (name is None or cookie.strip(b" \t") == name):
                found.append(value.strip(b" \t"))
    return found


def _fetch_cook(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _cookies(ctx, cast(bytes | None, args[0])) or []


def _fetch_cook_cnt(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _count(_cookies(ctx, cast(bytes | None, args[0])))


def _fetch_cook_val(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return [_leading_int(v) or 0 for v in _cookies(ctx, cast(bytes | None, args[0])) or []]


def _fetch_req_hdr_names(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return [] if ctx.headers is None else [_names_joined(ctx.headers, args)]


def _names_joined(headers: Sequence[tuple[bytes, bytes]], args: FetchArgs) -> bytes:
    """req/res.hdr_names(<delim>): every header name in order, lower case as HTX holds them."""
    delimiter = cast(bytes, args[0])
    return delimiter.join(name.lower() for name, _ in headers)


# ------------------------------------------------------------ response fetches
# They read ctx.response, which only the http-response rules see: elsewhere (no
# response yet) they yield no sample, as HAProxy's do.


def _response_lines(ctx: RequestContext, name: bytes | None) -> list[bytes] | None:
    response = ctx.response
    if response is None:
        return None
    return [v for n, v in response.head.headers if name is None or n.lower() == name]


def _res_hdr_values(ctx: RequestContext, args: FetchArgs, split: bool) -> list[bytes] | None:
    name, occ = cast(tuple[bytes | None, int | None], args)
    return _occurrences(_response_lines(ctx, name), occ, split)


def _fetch_res_hdr(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _res_hdr_values(ctx, args, split=True) or []


def _fetch_res_fhdr(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _res_hdr_values(ctx, args, split=False) or []


def _fetch_res_hdr_cnt(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _count(_res_hdr_values(ctx, (args[0], None), split=True))


def _fetch_res_fhdr_cnt(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _count(_res_hdr_values(ctx, (args[0], None), split=False))


def _fetch_res_hdr_val(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return [_leading_int(v) or 0 for v in _res_hdr_values(ctx, args, split=True) or []]


def _fetch_res_hdr_ip(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    addresses = (_parse_ip_sample(v) for v in _res_hdr_values(ctx, args, split=True) or [])
    return [a for a in addresses if a is not None]


def _fetch_res_hdr_names(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    response = ctx.response
    return [] if response is None else [_names_joined(response.head.headers, args)]


def _cookie_value_end(line: bytes, start: int) -> int:
    """http_find_cookie_value_end(): the first ',' or ';' outside a quoted string."""
    quoted = escaped = False
    for index in range(start, len(line)):
        char = line[index]
        if escaped:
            escaped = False
        elif quoted:
            escaped = char == 0x5C
            quoted = char != 0x22
        elif char == 0x22:
            quoted = True
        elif char in (0x2C, 0x3B):
            return index
    return len(line)


def _next_set_cookie(line: bytes, start: int, name: bytes | None) -> tuple[bytes, int] | None:
    """http_extract_cookie_value(list=0) from ``start`` in a Set-Cookie line: (value, where
    to go on from) of the next "name=value" attribute ('$' ones and ones without '='
    skipped) when it is <name> (any name without one), None otherwise: the first attribute
    names the cookie.  The rest of the line must be longer than the name plus one."""
    name_length = len(name or b"")
    while start + name_length + 1 < len(line):
        while start < len(line) and line[start] in b" \t":
            start += 1
        equal = start
        while equal < len(line) and line[equal] not in b"=;":
            equal += 1
        attribute, value = line[start:equal].rstrip(b" \t"), b""
        if equal < len(line) and line[equal] == 0x3D:  # '='
            value_start = equal + 1
            while value_start < len(line) and line[value_start] in b" \t":
                value_start += 1
            after = _cookie_value_end(line, value_start)
            value = line[value_start:after].rstrip(b" \t")
        else:
            after = equal
        if not attribute.startswith(b"$") and after != equal:
            return (value, after + 1) if name is None or attribute == name else None
        start = after + 1
    return None


def _set_cookies(ctx: RequestContext, name: bytes | None) -> list[bytes] | None:
    """Values of cookie <name> set by the response's Set-Cookie lines, as smp_fetch_cookie
    iterates them: each line is searched again after each value found, so without a name
    the attributes count too ("sid=1; Path=/" gives "1" and "/"); names are case-sensitive."""
    lines = _response_lines(ctx, b"set-cookie")
    if lines is None:
        return None
    found = []
    for line in lines:
        start = 0
        while (cookie := _next_set_cookie(line, start, name)) is not None:
            found.append(cookie[0])
            start = cookie[1]
    return found


def _fetch_res_cook(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _set_cookies(ctx, cast(bytes | None, args[0])) or []


def _fetch_res_cook_cnt(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _count(_set_cookies(ctx, cast(bytes | None, args[0])))


def _fetch_res_cook_val(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return [_leading_int(v) or 0 for v in _set_cookies(ctx, cast(bytes | None, args[0])) or []]


def _fetch_status(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    response = ctx.response
    return [] if response is None else [response.head.status]


def _fetch_res_ver(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    """res.ver: the version after "HTTP/" ("1.1")."""
    response = ctx.response
    return [] if response is None else [b"%d.%d" % response.head.version]


def _fetch_srv_name(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    response = ctx.response
    return [] if response is None else [response.server_name]


def _fetch_srv_id(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    from proxy.engine.balance import puid_of  # (balance builds on this module)

    response = ctx.response
    return [] if response is None else [puid_of(response.servers, response.server)]


def _url_params(ctx: RequestContext, args: FetchArgs) -> list[bytes]:
    """url_param(name,delim): values of <name> in the query (after '?' or <delim>)."""
    name, query_start, separators = cast(
        tuple[bytes | None, re.Pattern[bytes], re.Pattern[bytes]], args
    )
    if ctx.target is None:
        return []
    start = query_start.search(ctx.target)
    if start is None:
        return []
    pieces = separators.split(ctx.target[start.end() :])
    values = []
    for piece in pieces:
        key, equal, value = piece.partition(b"=")
        if name is None or (equal and key == name):
            values.append(value)
    return values


def _fetch_urlp(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return _url_params(ctx, args)


def _fetch_urlp_val(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    return [_leading_int(v) or 0 for v in _url_params(ctx, args)]


def _fetch_base(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    if ctx.path is None:
        return []
    hosts = _hdr_values(ctx, (b"host", 1), split=True) or [b""]
    return [hosts[0] + ctx.path]


def _fetch_payload(ctx: RequestContext, args: FetchArgs) -> Sequence[SampleValue]:
    offset, length = args
    assert isinstance(offset, int) and isinstance(length, int)
    data = ctx.req_payload
    end = len(data) if length == 0 else offset + length
    if offset > len(data) or end > len(data):
        return []  # not enough data (yet): HAProxy does not match either
    return [data[offset:end]]


def _optional(value: SampleValue | None) -> Sequence[SampleValue]:
    return [] if value is None else [value]


def _text(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8", "surrogateescape")


def _ssl_only(ctx: RequestContext, value: SampleValue | None) -> Sequence[SampleValue]:
    return _optional(value) if ctx.ssl_fc else []


Fetch = Callable[[RequestContext, FetchArgs], Sequence[SampleValue]]

# (output type, fetch) for argument-less fetches
_SIMPLE_FETCHES: dict[str, tuple[SampleType, Fetch]] = {
    "src": (SampleType.IP, lambda c, a: [c.src]),
    "dst": (SampleType.IP, lambda c, a: [c.dst]),
    "src_port": (SampleType.INT, lambda c, a: [c.src_port]),
    "dst_port": (SampleType.INT, lambda c, a: [c.dst_port]),
    "path": (SampleType.STR, lambda c, a: _optional(c.path)),
    "url": (SampleType.STR, lambda c, a: _optional(c.target)),
    "query": (SampleType.STR, lambda c, a: _optional(c.query)),
    "method": (SampleType.STR, lambda c, a: _optional(c.method)),
    "base": (SampleType.STR, _fetch_base),
    "req.proto_http": (SampleType.BOOL, lambda c, a: [c.method is not None]),
    "req.len": (SampleType.INT, lambda c, a: [len(c.req_payload)]),
    "req.ssl_sni": (SampleType.STR, lambda c, a: _optional(_text(c.req_ssl_sni))),
    "req.ssl_hello_type": (SampleType.INT, lambda c, a: _optional(c.req_ssl_hello_type)),
    "ssl_fc": (SampleType.BOOL, lambda c, a: [c.ssl_fc]),
    "ssl_fc_sni": (SampleType.STR, lambda c, a: _ssl_only(c, _text(c.ssl_fc_sni))),
    "ssl_fc_protocol": (SampleType.STR, lambda c, a: _ssl_only(c, _text(c.ssl_fc_protocol))),
    "ssl_c_verify": (SampleType.INT, lambda c, a: _ssl_only(c, c.ssl_c_verify)),
    "always_true": (SampleType.BOOL, lambda c, a: [True]),
    "always_false": (SampleType.BOOL, lambda c, a: [False]),
}


# --------------------------------------------------------------- fetch arguments

ArgParser = Callable[[list[str]], FetchArgs]


def _no_args(args: list[str]) -> FetchArgs:
    if args:
        raise AclError("this fetch method takes no argument")
    return ()


def _lower_name(text: str) -> bytes | None:
    return text.strip().lower().encode("latin-1") or None


def _header_args(args: list[str]) -> FetchArgs:
    """[<name>[,<occ>]]: header names are case-insensitive."""
    if len(args) > 2:
        raise AclError("expects at most 2 arguments: <name>,<occurrence>")
    occ = _int_arg(args[1], "occurrence") if len(args) == 2 else None
    return (_lower_name(args[0]) if args else None, occ)


def _name_only(args: list[str]) -> FetchArgs:
    if len(args) > 1:
        raise AclError("expects at most 1 argument: <name>")
    return (_lower_name(args[0]) if args else None,)


def _cookie_args(args: list[str]) -> FetchArgs:
    if len(args) > 1:
        raise AclError("expects at most 1 argument: <name>")
    name = args[0].strip().encode("latin-1") if args else b""
    return (name or None,)


def _delimiter_arg(args: list[str]) -> FetchArgs:
    """hdr_names([<delim>]): its first character, ',' by default."""
    if len(args) > 1:
        raise AclError("expects at most 1 argument: <delimiter>")
    return ((args[0][:1] if args and args[0] else ",").encode("latin-1"),)


def _url_param_args(args: list[str]) -> FetchArgs:
    if len(args) > 2 or (len(args) == 2 and len(args[1]) != 1):
        raise AclError("expects <name>[,<delim>] with a single-character delimiter")
    name = args[0].encode("latin-1") if args and args[0] else None
    delim = re.escape(args[1].encode("latin-1") if len(args) == 2 else b"&")
    return (name, re.compile(b"[?" + delim + b"]"), re.compile(b"[&;" + delim + b"]"))


def _payload_args(args: list[str]) -> FetchArgs:
    if len(args) != 2:
        raise AclError("expects 2 arguments: <offset>,<length>")
    offset, length = (_int_arg(a, "offset/length") for a in args)
    if offset < 0 or length < 0:
        raise AclError("offset and length must be positive")
    return (offset, length)


def _var_args(args: list[str]) -> FetchArgs:
    if len(args) != 1 or not args[0]:
        raise AclError("expects 1 argument: <variable name>")
    return (args[0],)


def _int_arg(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise AclError(f"invalid {what} '{text}'") from None


def _userlist_arg(args: list[str]) -> FetchArgs:
    if len(args) != 1 or not args[0].strip():
        raise AclError("missing userlist name")
    return (args[0].strip(),)


def _user(ctx: RequestContext, args: FetchArgs) -> bytes | None:
    """The user of valid basic credentials (http_auth*), as a sample."""
    userlist: Userlist = args[0]  # type: ignore[assignment]
    name = userlist.authenticate(ctx.headers)
    return None if name is None else name.encode("utf-8", "surrogateescape")


def _resolve_userlist(
    criterion: str, fetch_name: str, args: FetchArgs, userlists: Mapping[str, Userlist] | None
) -> FetchArgs:
    found = (userlists or {}).get(str(args[0]))
    if found is None:
        raise AclError(f"unable to find userlist '{args[0]}' referenced in arg 1 of ACL "
                       f"keyword '{fetch_name}'")
    return (found,)


class _GroupMatcher:
    """http_auth_group(L) g1 g2: the authenticated user belongs to one of the groups."""

    def __init__(self, userlist: Userlist, groups: Sequence[str]) -> None:
        self.userlist = userlist
        self.groups = frozenset(groups)

    def matches(self, samples: Sequence[SampleValue]) -> bool:
        return any(
            self.userlist.in_groups(_to_bytes(s).decode("utf-8", "surrogateescape"), self.groups)
            for s in samples
        )


# name -> (output type, fetch, argument parser); aliases map to these names
_FETCHES: dict[str, tuple[SampleType, Fetch, ArgParser]] = {
    **{name: (kind, fn, _no_args) for name, (kind, fn) in _SIMPLE_FETCHES.items()},
    "req.hdr": (SampleType.STR, _fetch_hdr, _header_args),
    "req.fhdr": (SampleType.STR, _fetch_fhdr, _header_args),
    "req.hdr_cnt": (SampleType.INT, _fetch_hdr_cnt, _name_only),
    "req.fhdr_cnt": (SampleType.INT, _fetch_fhdr_cnt, _name_only),
    "req.hdr_val": (SampleType.INT, _fetch_hdr_val, _header_args),
    "req.hdr_ip": (SampleType.IP, _fetch_hdr_ip, _header_args),
    "req.hdr_names": (SampleType.STR, _fetch_req_hdr_names, _delimiter_arg),
    "req.cook": (SampleType.STR, _fetch_cook, _cookie_args),
    "req.cook_cnt": (SampleType.INT, _fetch_cook_cnt, _cookie_args),
    "req.cook_val": (SampleType.INT, _fetch_cook_val, _cookie_args),
    "status": (SampleType.INT, _fetch_status, _no_args),
    "res.ver": (SampleType.STR, _fetch_res_ver, _no_args),
    "srv_name": (SampleType.STR, _fetch_srv_name, _no_args),
    "srv_id": (SampleType.INT, _fetch_srv_id, _no_args),
    "res.hdr": (SampleType.STR, _fetch_res_hdr, _header_args),
    "res.fhdr": (SampleType.STR, _fetch_res_fhdr, _header_args),
    "res.hdr_cnt": (SampleType.INT, _fetch_res_hdr_cnt, _name_only),
    "res.fhdr_cnt": (SampleType.INT, _fetch_res_fhdr_cnt, _name_only),
    "res.hdr_val": (SampleType.INT, _fetch_res_hdr_val, _header_args),
    "res.hdr_ip": (SampleType.IP, _fetch_res_hdr_ip, _header_args),
    "res.hdr_names": (SampleType.STR, _fetch_res_hdr_names, _delimiter_arg),
    "res.cook": (SampleType.STR, _fetch_res_cook, _cookie_args),
    "res.cook_cnt": (SampleType.INT, _fetch_res_cook_cnt, _cookie_args),
    "res.cook_val": (SampleType.INT, _fetch_res_cook_val, _cookie_args),
    "url_param": (SampleType.STR, _fetch_urlp, _url_param_args),
    "urlp_val": (SampleType.INT, _fetch_urlp_val, _url_param_args),
    "req.payload": (SampleType.BIN, _fetch_payload, _payload_args),
    "var": (SampleType.STR, lambda c, a: _optional(c.vars.get(str(a[0]))), _var_args),
    # args[0] is the Userlist object itself, resolved by name in compile_acl
    "http_auth": (SampleType.BOOL, lambda c, a: [_user(c, a) is not None], _userlist_arg),
    "http_auth_group": (SampleType.STR, lambda c, a: _optional(_user(c, a)), _userlist_arg),
}
_USERLIST_FETCHES = ("http_auth", "http_auth_group")

_FETCH_ALIASES = {
    "hdr": "req.hdr",
    "hdr_cnt": "req.hdr_cnt",
    "hdr_val": "req.hdr_val",
    "hdr_ip": "req.hdr_ip",
    "cook": "req.cook",
    "cook_cnt": "req.cook_cnt",
    "cook_val": "req.cook_val",
    "urlp": "url_param",
    "req_len": "req.len",
    "payload": "req.payload",
    "req_ssl_sni": "req.ssl_sni",
    "req_ssl_hello_type": "req.ssl_hello_type",
    # the response side (HAProxy's "s" names are the older ACL spellings)
    "shdr": "res.hdr",
    "shdr_cnt": "res.hdr_cnt",
    "shdr_val": "res.hdr_val",
    "shdr_ip": "res.hdr_ip",
    "scook": "res.cook",
    "scook_cnt": "res.cook_cnt",
    "scook_val": "res.cook_val",
    "resp_ver": "res.ver",
}

_STRING_SUFFIXES = ("beg", "dir", "dom", "end", "len", "reg", "sub")
# ACL keywords implying a matching method (manual "ACL derivatives")
_ACL_KEYWORDS: dict[str, tuple[str, str]] = {
    **{
        f"{prefix}_{suffix}": (fetch, suffix)
        for prefix, fetch in (
            ("path", "path"),
            ("url", "url"),
            ("base", "base"),
            ("hdr", "req.hdr"),
            # haproxy 2.6 has no req.cook_* derivatives, despite the manual
            ("cook", "req.cook"),
            ("urlp", "url_param"),
            # the response's (the manual's res.hdr_beg...: haproxy 2.6 has these instead)
            ("shdr", "res.hdr"),
            ("scook", "res.cook"),
        )
        for suffix in _STRING_SUFFIXES
    },
    "method": ("method", "meth"),
    "ssl_fc_sni_end": ("ssl_fc_sni", "end"),
    "ssl_fc_sni_reg": ("ssl_fc_sni", "reg"),
    "req.payload": ("req.payload", "bin"),
    "payload": ("req.payload", "bin"),
}


# -------------------------------------------------------------------- patterns


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str
    icase: bool


class _Matcher(Protocol):
    def matches(self, samples: Sequence[SampleValue]) -> bool: ...


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


_WORD_DELIMITERS = {"dir": "/?", "dom": "/?.:"}


def _word_regex(texts: list[str], method: str, icase: bool) -> re.Pattern[bytes] | None:
    """pattern.c match_word(): the pattern enclosed by delimiters or string ends.

    Delimiters at both ends of a pattern are ignored; one combined regex keeps
    evaluation linear in the sample length.
    """
    delimiters = _WORD_DELIMITERS[method]
    words = [w for w in (t.strip(delimiters) for t in texts) if w]
    if not words:
        return None
    cls = re.escape(delimiters.encode())
    alternatives = b"|".join(re.escape(_encode(w)) for w in words)
    source = b"(?:\\A|(?<=[" + cls + b"]))(?:" + alternatives + b")(?=[" + cls + b"]|\\Z)"
    return re.compile(source, re.IGNORECASE if icase else 0)


def _compile_regex(text: str, icase: bool) -> re.Pattern[bytes]:
    try:
        return re.compile(_encode(text), re.IGNORECASE if icase else 0)
    except re.error as exc:
        raise AclError(f"regex '{text}' is invalid: {exc}") from None


def _parse_hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise AclError(f"'{text}' is not a valid hex string") from None


StringTest = Callable[[bytes], bool]


def _identity(data: bytes) -> bytes:
    return data


def _string_test(method: str, texts: list[str], icase: bool) -> StringTest | None:
    """One precompiled test for all patterns of a method sharing a case mode."""
    if not texts:
        return None
    fold: Callable[[bytes], bytes] = bytes.lower if icase else _identity
    patterns = tuple(fold(_encode(t)) for t in texts)
    if method == "str":
        exact = frozenset(patterns)
        return (lambda s: s.lower() in exact) if icase else exact.__contains__
    # beg/end run on every request of a routed frontend: no fold call when
    # case matters, and str.startswith takes all patterns at once in C.
    if method == "beg":
        if icase:
            return lambda s: s.lower().startswith(patterns)
        return lambda s: s.startswith(patterns)
    if method == "end":
        if icase:
            return lambda s: s.lower().endswith(patterns)
        return lambda s: s.endswith(patterns)
    if method == "sub":
        return lambda s: any(p in fold(s) for p in patterns)
    if method == "bin":
        blocks = frozenset(_parse_hex(t) for t in texts)
        return blocks.__contains__
    if method == "reg":
        regexes = [_compile_regex(t, icase) for t in texts]
        return lambda s: any(r.search(s) for r in regexes)
    word = _word_regex(texts, method, icase)
    return None if word is None else (lambda s: word.search(s) is not None)


class _StringMatcher:
    def __init__(self, method: str, patterns: list[_Pattern]) -> None:
        tests = (
            _string_test(method, [p.text for p in patterns if p.icase == icase], icase)
            for icase in (False, True)
        )
        self.tests = [t for t in tests if t is not None]

    def matches(self, samples: Sequence[SampleValue]) -> bool:
        # plain loops: a generator per evaluation costs more than the tests
        for sample in samples:
            data = sample if type(sample) is bytes else _to_bytes(sample)
            for test in self.tests:
                if test(data):
                    return True
        return False


_INTEGER = re.compile(r"-?\d+")
_RANGE_SEPARATOR = re.compile(r"[:-]")


def _strict_int(text: str, error: str) -> int:
    """HAProxy's strl2llrc(): an optional '-' then digits, nothing else."""
    if not _INTEGER.fullmatch(text):
        raise AclError(error)
    return int(text)


def _parse_range(text: str) -> tuple[int | None, int | None]:
    """pattern.c pat_parse_int(): "n", "a:b", ":b", "a:".

    As in HAProxy the first ':' *or* '-' is the separator, so "-5" means ":5"
    (operators turn "lt 0" into ":-1", which stays correct).
    """
    bad_range = f"'{text}' is not a valid integer range"
    separator = _RANGE_SEPARATOR.search(text)
    if not text:
        raise AclError(bad_range)
    if separator is None:
        value = _strict_int(text, f"'{text}' is not a number")
        return value, value
    at = separator.start()
    if at == 0 and len(text) > 1:
        return None, _strict_int(text[1:], bad_range)
    if at == len(text) - 1:
        return _strict_int(text[:-1], bad_range), None
    low, high = _strict_int(text[:at], bad_range), _strict_int(text[at + 1 :], bad_range)
    if low > high:
        raise AclError(bad_range)
    return low, high


class _IntMatcher:
    def __init__(self, patterns: list[_Pattern], measure_length: bool) -> None:
        self.ranges = [_parse_range(p.text) for p in patterns]
        self.measure_length = measure_length

    def _value(self, sample: SampleValue) -> int | None:
        return len(_to_bytes(sample)) if self.measure_length else _to_int(sample)

    def matches(self, samples: Sequence[SampleValue]) -> bool:
        for sample in samples:
            value = self._value(sample)
            if value is not None and any(
                (low is None or value >= low) and (high is None or value <= high)
                for low, high in self.ranges
            ):
                return True
        return False


_IPV4_TEXT = re.compile(r"\d+(\.\d+){0,3}")


def _parse_ipv4_network(text: str) -> ipaddress.IPv4Network:
    """Plain, abbreviated ("10.12" = 10.0.0.12, as inet_aton) or masked IPv4."""
    address, _, mask = text.partition("/")
    if not _IPV4_TEXT.fullmatch(address):
        raise AclError(f"'{text}' is not a valid IP address (host names are not resolved)")
    try:
        packed = socket.inet_aton(address)
        netmask: int | str = 32 if not mask else mask if "." in mask else int(mask)
        return ipaddress.IPv4Network((packed, netmask), strict=False)
    except (OSError, ValueError):
        raise AclError(f"'{text}' is not a valid IPv4 address/mask") from None


def _parse_network(text: str) -> IPNetwork:
    if ":" not in text:
        return _parse_ipv4_network(text.strip())
    try:
        return ipaddress.IPv6Network(text.strip(), strict=False)
    except ValueError:
        raise AclError(f"'{text}' is not a valid IPv6 address/mask") from None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """IPv4 carried by ::ffff:a.b.c.d, 2002:a.b.c.d:: or ::a.b.c.d (manual 7.1.6)."""
    packed = address.packed
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if packed[:12] == bytes(12):
        return ipaddress.IPv4Address(packed[12:])
    return None


class _IpMatcher:
    def __init__(self, patterns: list[_Pattern]) -> None:
        networks = [_parse_network(p.text) for p in patterns]
        self.v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
        self.v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]

    def _match(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv4Address):
            if any(address in n for n in self.v4):
                return True
            if not self.v6:
                return False
            mapped = ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + address.packed)
            return any(mapped in n for n in self.v6)
        embedded = _embedded_ipv4(address)
        in_v4 = embedded is not None and any(embedded in n for n in self.v4)
        return in_v4 or any(address in n for n in self.v6)

    def matches(self, samples: Sequence[SampleValue]) -> bool:
        addresses = (_to_ip(s) for s in samples)
        return any(a is not None and self._match(a) for a in addresses)


_KNOWN_METHODS = frozenset(
    {b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"CONNECT"}
)


class _MethodMatcher:
    """pattern.c pat_match_meth(): well-known methods compare exactly (even with
    -i); other method names compare as strings, honouring -i."""

    def __init__(self, patterns: list[_Pattern]) -> None:
        self.known = frozenset(_encode(p.text) for p in patterns) & _KNOWN_METHODS
        others = [p for p in patterns if _encode(p.text) not in _KNOWN_METHODS]
        self.exact = frozenset(_encode(p.text) for p in others if not p.icase)
        self.folded = frozenset(_encode(p.text).lower() for p in others if p.icase)

    def matches(self, samples: Sequence[SampleValue]) -> bool:
        for sample in map(_to_bytes, samples):
            if sample in _KNOWN_METHODS:
                if sample in self.known:
                    return True
            elif sample in self.exact or sample.lower() in self.folded:
                return True
        return False


class _FoundMatcher:
    def matches(self, samples: Sequence[SampleValue]) -> bool:
        return bool(samples)


class _BoolMatcher:
    def matches(self, samples: Sequence[SampleValue]) -> bool:
        return any(_to_bool(s) for s in samples)


def _build_matcher(method: str, patterns: list[_Pattern]) -> _Matcher:
    if method == "found":
        return _FoundMatcher()
    if method == "bool":
        return _BoolMatcher()
    if method in ("int", "len"):
        return _IntMatcher(patterns, measure_length=method == "len")
    if method == "ip":
        return _IpMatcher(patterns)
    if method == "meth":
        return _MethodMatcher(patterns)
    return _StringMatcher(method, patterns)


_ALL_TYPES = frozenset(SampleType)
# sample types each method accepts (manual 7.1 compatibility matrix)
_METHOD_INPUTS: dict[str, frozenset[SampleType]] = {
    "found": _ALL_TYPES,
    "bool": frozenset({SampleType.BOOL, SampleType.INT, SampleType.STR}),
    "int": frozenset({SampleType.BOOL, SampleType.INT, SampleType.IP, SampleType.STR}),
    "ip": frozenset({SampleType.IP, SampleType.STR, SampleType.BIN}),
    "bin": frozenset({SampleType.STR, SampleType.BIN}),
    **{m: _ALL_TYPES for m in ("len", "str", "beg", "end", "sub", "dir", "dom", "reg")},
}
_DEFAULT_METHOD = {
    SampleType.BOOL: "bool",
    SampleType.INT: "int",
    SampleType.IP: "ip",
    SampleType.STR: "str",
}

# --------------------------------------------------------------- compilation


class CompiledAcl:
    """One ``acl`` line (or anonymous ACL): a fetch and its compiled patterns."""

    __slots__ = ("_args", "_fetch", "_matcher", "keyword", "text")

    def __init__(self, text: str, fetch: Fetch, args: FetchArgs, matcher: _Matcher) -> None:
        self.text = text
        # the criterion as written ("path_beg", "hdr"): what HAProxy's availability of a
        # fetch in a rule is keyed on (keywords.fetch_has_no_value)
        self.keyword = text.split(",", 1)[0].split("(", 1)[0].split(" ", 1)[0]
        self._fetch = fetch
        self._args = args
        self._matcher = matcher

    def matches(self, ctx: RequestContext) -> bool:
        return self._matcher.matches(self._fetch(ctx, self._args))

    def __repr__(self) -> str:
        return f"CompiledAcl({self.text!r})"


Acl = CompiledAcl


def no_sample(ctx: RequestContext) -> bool:
    """An ACL whose fetch has no value where its rule runs (``path`` in an http-response
    rule): HAProxy's fetch fails, so the ACL fails whatever its patterns (acl_exec_cond);
    negated (``!``, ``unless``) it passes."""
    return False


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside parentheses: ``map(a,b),lower`` -> ``["map(a,b)", "lower"]``."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _split_criterion(criterion: str) -> tuple[str, list[str]]:
    name, paren, rest = criterion.partition("(")
    if not paren:
        return name, []
    inner, close, after = rest.partition(")")
    if not close:
        raise AclError(f"missing closing ')' in '{criterion}'")
    if after:
        raise AclError(f"unexpected '{after}' after ')' in '{criterion}'")
    return name, inner.split(",") if inner else []


def _compile_converters(words: Sequence[str], base_dir: Path) -> Callable[[bytes], bytes | None]:
    """``lower``, ``map(file,default)``... (the same converters as ``%[...]`` expressions),
    chained into one function of a sample."""
    # Imported here: logformat builds on this module (RequestContext), not the reverse.
    from proxy.engine.logformat import CONVERTERS, FormatError, name_and_args

    chain = []
    for word in words:
        name, args = name_and_args(word)
        factory = CONVERTERS.get(name)
        if factory is None:
            raise AclError(f"unknown converter '{name}'")
        try:
            chain.append(factory(args, base_dir))
        except FormatError as exc:
            raise AclError(f"converter '{name}': {exc}") from None

    def convert(value: bytes) -> bytes | None:
        result: bytes | None = value
        for step in chain:
            result = step(result)
        return result

    return convert


def _with_converters(fetch: Fetch, convert: Callable[[bytes], bytes | None]) -> Fetch:
    """The fetch's samples, each through the converters (a sample they drop is gone)."""

    def converted(ctx: RequestContext, args: FetchArgs) -> list[SampleValue]:
        out: list[SampleValue] = []
        for sample in fetch(ctx, args):
            value = convert(_to_bytes(sample))
            if value is not None:
                out.append(value)
        return out

    return converted


def _resolve_criterion(criterion: str) -> tuple[str, str | None, list[str]]:
    """(fetch name, implied method or None, raw arguments) of a criterion."""
    name, args = _split_criterion(criterion)
    if name in _ACL_KEYWORDS:
        fetch, method = _ACL_KEYWORDS[name]
        return fetch, method, args
    fetch = _FETCH_ALIASES.get(name, name)
    if fetch not in _FETCHES:
        raise AclError(f"unknown fetch method '{name}' in ACL expression '{criterion}'")
    return fetch, None, args


def sample_fetch(name: str, raw_args: list[str]) -> tuple[Fetch, FetchArgs]:
    """The fetch function behind a fetch or alias name and its parsed arguments, for
    ``%[...]`` expressions that reuse these fetches (logformat)."""
    fetch_name = _FETCH_ALIASES.get(name, name)
    if fetch_name not in _FETCHES:
        raise AclError(f"unknown fetch method '{name}'")
    _, fn, parse_args = _FETCHES[fetch_name]
    return fn, parse_args(raw_args)


def sample_bytes(value: SampleValue) -> bytes:
    """A sample as text (an integer or an address in its usual notation)."""
    return _to_bytes(value)


def resolve_fetch_name(keyword: str) -> str:
    """The canonical fetch behind a criterion keyword ("hdr_beg" -> "req.hdr")."""
    return _resolve_criterion(keyword)[0]


def known_keywords() -> list[str]:
    """Every criterion keyword accepted (fetch names, aliases, ACL derivatives)."""
    return sorted({*_FETCHES, *_FETCH_ALIASES, *_ACL_KEYWORDS})


@dataclass
class _FlagState:
    icase: bool = False
    method: str | None = None
    as_map: bool = False
    patterns: list[_Pattern] = field(default_factory=list)
    loaded_file: bool = False


def _read_pattern_file(path: Path, as_map: bool) -> list[str]:
    """pattern.c pat_ref_read_from_file(): '#' lines and empty lines skipped,
    leading blanks stripped (trailing ones are part of the pattern)."""
    try:
        raw = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise AclError(f"failed to open pattern file <{path}>: {exc.strerror}") from None
    patterns = []
    for line in re.split(r"\r\n|\r|\n", raw):
        if line.startswith("#"):
            continue
        text = line.lstrip(" \t")
        if as_map:
            text = re.split(r"[ \t]", text, maxsplit=1)[0]
        if text:
            patterns.append(text)
    return patterns


def _apply_flags(flags: Sequence[str], base_dir: Path) -> _FlagState:
    state = _FlagState()
    words = iter(flags)
    for flag in words:
        if flag == "-i":
            state.icase = True
        elif flag in ("-n", "--"):
            continue
        elif flag == "-M":
            state.as_map = True
        elif flag in ("-f", "-m", "-u"):
            value = next(words, None)
            if value is None:
                raise AclError(f"missing argument after '{flag}'")
            _apply_valued_flag(state, flag, value, base_dir)
        else:
            raise AclError(
                f"'{flag}' is not a valid ACL option. "
                "Please use '--' before any pattern beginning with a '-'."
            )
    return state


def _apply_valued_flag(state: _FlagState, flag: str, value: str, base_dir: Path) -> None:
    if flag == "-f":
        texts = _read_pattern_file(base_dir / value, state.as_map)
        state.patterns += [_Pattern(t, state.icase) for t in texts]
        state.loaded_file = True
    elif flag == "-m":
        if state.loaded_file:
            raise AclError("'-m' must only be specified before patterns and files")
        if value not in _METHOD_INPUTS:
            raise AclError(f"unknown matching method '{value}' for '-m'")
        state.method = value


_OPERATORS = {"eq", "ge", "gt", "le", "lt"}


def _apply_operators(patterns: Sequence[str]) -> list[str]:
    """acl.c: "lt 5" -> ":4" etc.; an operator applies to all following values."""
    result, operator = [], "eq"
    for text in patterns:
        if text in _OPERATORS:
            operator = text
            continue
        if operator == "eq" or ":" in text or "-" in text:
            result.append(text)
            continue
        try:
            value = int(text)
        except ValueError:
            raise AclError(f"'{text}' is neither a number nor a supported operator.") from None
        result.append(
            {"le": f":{value}", "lt": f":{value - 1}", "ge": f"{value}:", "gt": f"{value + 1}:"}[
                operator
            ]
        )
    return result


def _choose_method(
    criterion: str, sample_type: SampleType, implied: str | None, state: _FlagState
) -> str:
    method = state.method or implied or _DEFAULT_METHOD.get(sample_type)
    if method is None:
        raise AclError(
            f"ACL keyword '{criterion}' returns binary data: a matching method is "
            "required ('-m bin', '-m str', ...)"
        )
    if sample_type not in _METHOD_INPUTS.get(method, _ALL_TYPES):
        raise AclError(
            f"matching method '{method}' cannot be used with fetch keyword '{criterion}' "
            f"(of type {sample_type.value})"
        )
    return method


def compile_acl(
    fetch: str, flags: Sequence[str], patterns: Sequence[str], *, base_dir: Path,
    userlists: Mapping[str, Userlist] | None = None,
) -> CompiledAcl:
    """Compile ``<fetch>[,converter...] [flags] <patterns...>``; ``-f`` files are relative
    to base_dir."""
    fetch_word, *converter_words = split_top_level(fetch)
    fetch_name, implied, raw_args = _resolve_criterion(fetch_word)
    sample_type, fn, parse_args = _FETCHES[fetch_name]
    try:
        args = parse_args(raw_args)
    except AclError as exc:
        raise AclError(f"in '{fetch}': {exc}") from None
    if fetch_name in _USERLIST_FETCHES:
        args = _resolve_userlist(fetch, fetch_name, args, userlists)
    if converter_words:  # every converter the engine has outputs a string
        fn = _with_converters(fn, _compile_converters(converter_words, base_dir))
        sample_type = SampleType.STR
    state = _apply_flags(flags, base_dir)
    method = _choose_method(fetch, sample_type, implied, state)
    inline = _apply_operators(patterns) if method in ("int", "len") else list(patterns)
    all_patterns = state.patterns + [_Pattern(t, state.icase) for t in inline]
    text = " ".join([fetch, *flags, *patterns])
    if fetch_name == "http_auth_group":  # patterns are group names, whatever the method
        if not all_patterns:
            raise AclError("http_auth_group(): no groups specified.")
        userlist: Userlist = args[0]  # type: ignore[assignment]
        groups = [p.text for p in all_patterns]
        unknown = [g for g in groups if g not in userlist.groups]
        if unknown:
            raise AclError(f"http_auth_group(): invalid group '{unknown[0]}'.")
        return CompiledAcl(text, fn, args, _GroupMatcher(userlist, groups))
    return CompiledAcl(text, fn, args, _build_matcher(method, all_patterns))


_VALUED_FLAGS = {"-f", "-m", "-u"}


def split_acl_words(words: Sequence[str]) -> tuple[str, list[str], list[str]]:
    """Split ``<criterion> [flags] <patterns>`` words as acl.c parses them."""
    if not words:
        raise AclError("missing ACL criterion")
    flags: list[str] = []
    index = 1
    while index < len(words) and words[index].startswith("-"):
        flag = words[index]
        flags.append(flag)
        index += 1
        if flag == "--":
            break
        if flag in _VALUED_FLAGS and index < len(words):
            flags.append(words[index])
            index += 1
    return words[0], flags, list(words[index:])


def compile_acl_words(
    words: Sequence[str], *, base_dir: Path, userlists: Mapping[str, Userlist] | None = None
) -> CompiledAcl:
    fetch, flags, patterns = split_acl_words(words)
    return compile_acl(fetch, flags, patterns, base_dir=base_dir, userlists=userlists)


# ------------------------------------------------------------------ conditions


@dataclass(frozen=True, slots=True)
class Term:
    negated: bool
    acl_name: str | None
    anonymous: CompiledAcl | None


@dataclass(frozen=True, slots=True)
class Condition:
    kind: Literal["if", "unless"]
    suites: tuple[tuple[Term, ...], ...]  # OR of AND-lists


# manual section 7.4, from the registry; those needing a fetch the engine lacks are left
# out (the checker warns where a config uses one).
_PREDEFINED: dict[str, tuple[str, ...]] = {
    name: words for name, words in kw.PREDEFINED_ACLS.items() if words[0].split("(")[0] in kw.ENGINE_FETCHES
}


@cache
def predefined_acl(name: str) -> CompiledAcl | None:
    words = _PREDEFINED.get(name)
    return None if words is None else compile_acl_words(words, base_dir=Path("."))


def _named_acls(name: str, acls: Mapping[str, Sequence[CompiledAcl]]) -> Sequence[CompiledAcl]:
    if name in acls:
        return acls[name]
    predefined = predefined_acl(name)
    if predefined is None:
        raise AclError(f"no such ACL : '{name}'")
    return (predefined,)


def _term_holds(term: Term, acls: Mapping[str, Sequence[CompiledAcl]], ctx: RequestContext) -> bool:
    if term.anonymous is not None:
        matched = term.anonymous.matches(ctx)
    else:
        assert term.acl_name is not None
        matched = any(acl.matches(ctx) for acl in _named_acls(term.acl_name, acls))
    return matched != term.negated


def evaluate(
    cond: Condition, acls: Mapping[str, Sequence[CompiledAcl]], ctx: RequestContext
) -> bool:
    """True when the rule guarded by ``cond`` applies to ``ctx``."""
    result = any(all(_term_holds(t, acls, ctx) for t in suite) for suite in cond.suites)
    return result if cond.kind == "if" else not result


def check_condition(cond: Condition, acls: Mapping[str, Sequence[CompiledAcl]]) -> None:
    """Raise AclError for names neither declared nor predefined (config-time check)."""
    for suite in cond.suites:
        for term in suite:
            if term.acl_name is not None:
                _named_acls(term.acl_name, acls)


def _anonymous_end(words: Sequence[str], start: int) -> int:
    for index in range(start, len(words)):
        if words[index] == "}":
            return index
    raise AclError("missing closing '}' in condition")


def _parse_terms(
    words: Sequence[str], base_dir: Path, userlists: Mapping[str, Userlist] | None
) -> Iterable[Term | None]:
    """Yield terms, and None at each "or"/"||" separator (acl.c parse_acl_cond)."""
    negated, index = False, 0
    while index < len(words):
        word = words[index]
        while word.startswith("!"):
            negated, word = not negated, word[1:]
        index += 1
        if not word:
            continue
        if word.lower() == "or" or word == "||":
            yield None
        elif word == "{":
            end = _anonymous_end(words, index)
            anonymous = compile_acl_words(words[index:end], base_dir=base_dir, userlists=userlists)
            yield Term(negated, None, anonymous)
            index = end + 1
        else:
            yield Term(negated, word, None)
        negated = False


def parse_condition(
    words: Sequence[str], *, base_dir: Path, userlists: Mapping[str, Userlist] | None = None
) -> Condition:
    """Parse ``if|unless [!]acl ... [or|'||' ...]`` (words already split)."""
    if not words or words[0] not in ("if", "unless"):
        raise AclError("a condition must start with 'if' or 'unless'")
    suites: list[tuple[Term, ...]] = []
    current: list[Term] = []
    for term in _parse_terms(words[1:], base_dir, userlists):
        if term is None:
            suites.append(tuple(current))
            current = []
        else:
            current.append(term)
    suites.append(tuple(current))
    if not all(suites):
        raise AclError("missing ACL expression in condition")
    kind: Literal["if", "unless"] = "if" if words[0] == "if" else "unless"
    return Condition(kind, tuple(suites))
