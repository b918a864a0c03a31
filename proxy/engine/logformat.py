"""HAProxy's log-format strings and sample expressions, compiled once per config.

``http-request set-header X-Client-IP %[src]``, ``use_backend
%[req.hdr(host),lower,map(hosts.map,be_default)]`` and ``redirect location
/v2%[path]`` all take a *log-format* string: literal text with ``%[expr]``
sample expressions.  An expression is a fetch (``src``, ``req.hdr(host)``)
followed by comma-separated converters (``lower``, ``map(file,default)``).

``compile_format`` turns the text into a ``Format`` whose ``render(ctx)``
only concatenates: fetch and converter functions are looked up and map
files read at compile time, never per request.  A format without ``%[``
renders its constant bytes.  Unknown fetches/converters raise
``FormatError`` so a config using them fails to load instead of silently
rendering nothing.  Only the fetches and converters the engine's routing
needs are here (see the tables); the rest is for a later issue.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from proxy.config import keywords as kw
from proxy.engine.acl import AclError, RequestContext, sample_bytes, sample_fetch, split_top_level

__all__ = ["CONVERTERS", "Format", "FormatError", "SampleFetch", "compile_expression", "compile_format",
           "name_and_args", "read_map"]

SampleFetch = Callable[[RequestContext], bytes | None]
Converter = Callable[[bytes | None], bytes | None]


class FormatError(ValueError):
    """A log-format string or sample expression the engine cannot evaluate."""


# ----------------------------------------------------------------- splitting


def name_and_args(word: str) -> tuple[str, list[str]]:
    """``req.hdr(host,1)`` -> (``req.hdr``, [``host``, ``1``])."""
    if "(" not in word:
        return word.strip(), []
    if not word.endswith(")"):
        raise FormatError(f"missing closing parenthesis in '{word}'")
    name, _, inner = word[:-1].partition("(")
    return name.strip(), [arg.strip() for arg in split_top_level(inner)] if inner else []


# ------------------------------------------------------------------- fetches


def _header_values(ctx: RequestContext, name: bytes) -> list[bytes]:
    headers = ctx.headers or ()
    return [value for key, value in headers if key.lower() == name]


def _hdr(args: Sequence[str]) -> SampleFetch:
    """``hdr(name[,occ])``: the last occurrence by default, as HAProxy's sample fetch."""
    if not args:
        raise FormatError("hdr() expects a header name")
    name = args[0].lower().encode("latin-1")
    occurrence = int(args[1]) if len(args) > 1 else -1

    def fetch(ctx: RequestContext) -> bytes | None:
        values = [v.strip() for value in _header_values(ctx, name) for v in value.split(b",")]
        if not values:
            return None
        index = occurrence - 1 if occurrence > 0 else occurrence
        return values[index] if -len(values) <= index < len(values) else None

    return fetch


def _fhdr(args: Sequence[str]) -> SampleFetch:
    """``req.fhdr(name)``: the whole last header line value, commas included."""
    if not args:
        raise FormatError("fhdr() expects a header name")
    name = args[0].lower().encode("latin-1")

    def fetch(ctx: RequestContext) -> bytes | None:
        values = _header_values(ctx, name)
        return values[-1] if values else None

    return fetch


def _url_param(args: Sequence[str]) -> SampleFetch:
    if not args:
        raise FormatError("url_param() expects a parameter name")
    wanted = args[0].encode("latin-1")

    def fetch(ctx: RequestContext) -> bytes | None:
        for pair in (ctx.query or b"").split(b"&"):
            key, _, value = pair.partition(b"=")
            if key == wanted:
                return value
        return None

    return fetch


def _var(args: Sequence[str]) -> SampleFetch:
    if not args:
        raise FormatError("var() expects a variable name")
    name = args[0]
    return lambda ctx: ctx.vars.get(name)


def _constant(args: Sequence[str]) -> SampleFetch:
    value = (args[0] if args else "").encode()
    return lambda ctx: value


def _date(args: Sequence[str]) -> SampleFetch:
    offset = int(args[0]) if args and args[0] else 0
    scale = {"": 1, "s": 1, "ms": 1000, "us": 1_000_000}.get(args[1] if len(args) > 1 else "", 1)
    return lambda ctx: str(int((time.time() + offset) * scale)).encode()


def _text(value: object) -> bytes | None:
    return None if value is None else str(value).encode("latin-1")


def _base(ctx: RequestContext) -> bytes | None:
    host = _hdr(["host"])(ctx)
    return None if host is None or ctx.path is None else host + ctx.path


def _plain(getter: Callable[[RequestContext], bytes | None]) -> Callable[[Sequence[str]], SampleFetch]:
    return lambda args: getter


def _acl_sample(name: str, pick: str) -> Callable[[Sequence[str]], SampleFetch]:
    """A fetch of acl.py's tables as a sample fetch: ACLs iterate over every value, a
    sample fetch returns one.  ``pick``: "last" (hdr-like: the last occurrence unless one is
    given, as smp_fetch_hdr without SMP_OPT_ITERATE), "cookie" (the last one of that name,
    the first one without a name: smp_fetch_cookie), "only" (a single value)."""

    def factory(args: Sequence[str]) -> SampleFetch:
        try:
            fn, parsed = sample_fetch(name, list(args))
        except AclError as exc:
            raise FormatError(f"{name}(): {exc}") from None
        if pick == "last" and parsed[1] is None:
            parsed = (parsed[0], -1)
        first = pick == "only" or (pick == "cookie" and parsed[0] is None)

        def fetch(ctx: RequestContext) -> bytes | None:
            values = fn(ctx, parsed)
            if not values:
                return None
            return sample_bytes(values[0] if first else values[-1])

        return fetch

    return factory


def _no_value(ctx: RequestContext) -> bytes | None:
    """A fetch with no value where its rule runs (``path`` in an http-response rule)."""
    return None


# the response-side fetches, which read ctx.response (http-response rules)
_RESPONSE_FETCHES: dict[str, Callable[[Sequence[str]], SampleFetch]] = {
    **{name: _acl_sample(name, "last") for name in (
        "res.hdr", "res.fhdr", "res.hdr_val", "res.hdr_ip", "shdr", "shdr_val", "shdr_ip")},
    **{name: _acl_sample(name, "cookie") for name in ("res.cook", "res.cook_val", "scook", "scook_val")},
    **{name: _acl_sample(name, "only") for name in (
        "status", "res.ver", "resp_ver", "srv_name", "srv_id", "res.hdr_cnt", "res.fhdr_cnt",
        "shdr_cnt", "res.hdr_names", "req.hdr_names", "res.cook_cnt", "scook_cnt")},
}
# A sample fetch reading the direction its rule runs in (keywords.EITHER_DIRECTION_FETCHES):
# its response-side twin, used in response rules.
_IN_RESPONSE: dict[str, Callable[[Sequence[str]], SampleFetch]] = {
    "hdr": _RESPONSE_FETCHES["res.hdr"],
}

# fetch name -> factory(args) -> fetch function; aliases share a factory.
FETCHES: dict[str, Callable[[Sequence[str]], SampleFetch]] = {
    "src": _plain(lambda ctx: _text(ctx.src)),
    "src_port": _plain(lambda ctx: _text(ctx.src_port)),
    "dst": _plain(lambda ctx: _text(ctx.dst)),
    "dst_port": _plain(lambda ctx: _text(ctx.dst_port)),
    "method": _plain(lambda ctx: ctx.method),
    "path": _plain(lambda ctx: ctx.path),
    "query": _plain(lambda ctx: ctx.query),
    "url": _plain(lambda ctx: ctx.target),
    "base": _plain(_base),
    "ssl_fc": _plain(lambda ctx: b"1" if ctx.ssl_fc else b"0"),
    "ssl_fc_sni": _plain(lambda ctx: _text(ctx.ssl_fc_sni)),
    "hdr": _hdr,
    "req.hdr": _hdr,
    "req.fhdr": _fhdr,
    # the last cookie of that name, the first without one (smp_fetch_cookie), as res.cook
    "req.cook": _acl_sample("req.cook", "cookie"),
    "cook": _acl_sample("cook", "cookie"),
    "url_param": _url_param,
    "urlp": _url_param,
    "var": _var,
    "str": _constant,
    "int": _constant,
    "date": _date,
    **_RESPONSE_FETCHES,
}


# ---------------------------------------------------------------- converters


def read_map(path: Path) -> list[tuple[str, str]]:
    """A map file: ``key value`` per line; blank lines and ``#`` comments skipped."""
    entries: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        entries.append((key, value.strip()))
    return entries


def _map(match: str) -> Callable[[Sequence[str], Path], Converter]:
    """``map_<match>(file[,default])``: str is a dict lookup, beg/end/sub scan in file order."""

    def factory(args: Sequence[str], base_dir: Path) -> Converter:
        if not args:
            raise FormatError("map() expects a map file name")
        path = Path(args[0]) if Path(args[0]).is_absolute() else base_dir / args[0]
        try:
            entries = [(k.encode(), v.encode()) for k, v in read_map(path)]
        except OSError as exc:
            raise FormatError(f"cannot read map file '{args[0]}': {exc.strerror}") from exc
        default = args[1].encode() if len(args) > 1 else None
        if match == "str":
            table = dict(reversed(entries))  # the first line wins, as HAProxy's lookup
            return lambda value: default if value is None else table.get(value, default)
        tests: dict[str, Callable[[bytes, bytes], bool]] = {
            "beg": lambda value, key: value.startswith(key),
            "end": lambda value, key: value.endswith(key),
            "sub": lambda value, key: key in value,
        }
        test = tests[match]

        def convert(value: bytes | None) -> bytes | None:
            if value is None:
                return default
            return next((v for k, v in entries if test(value, k)), default)

        return convert

    return factory


def _iif(args: Sequence[str], base_dir: Path) -> Converter:
    if len(args) != 2:
        raise FormatError("iif() expects <true>,<false>")
    yes, no = args[0].encode(), args[1].encode()
    return lambda value: yes if value not in (None, b"", b"0") else no


def _regsub(args: Sequence[str], base_dir: Path) -> Converter:
    if len(args) < 2:
        raise FormatError("regsub() expects <regex>,<subst>")
    flags = args[2] if len(args) > 2 else ""
    pattern = re.compile(args[0].encode(), re.IGNORECASE if "i" in flags else 0)
    replacement = args[1].encode()
    count = 0 if "g" in flags else 1
    return lambda value: None if value is None else pattern.sub(replacement, value, count=count)


def _field(args: Sequence[str], base_dir: Path) -> Converter:
    """``field(index,delimiters)``: the index-th field (1-based; negative from the end)."""
    if len(args) < 2 or not args[0].lstrip("-").isdigit():
        raise FormatError("field() expects <index>,<delimiters>")
    index = int(args[0])
    delimiters = re.compile(b"[" + re.escape(args[1].encode()) + b"]")

    def convert(value: bytes | None) -> bytes | None:
        if value is None:
            return None
        fields = delimiters.split(value)
        position = index - 1 if index > 0 else index
        return fields[position] if -len(fields) <= position < len(fields) else b""

    return convert


def _simple(function: Callable[[bytes], bytes]) -> Callable[[Sequence[str], Path], Converter]:
    return lambda args, base_dir: lambda value: None if value is None else function(value)


CONVERTERS: dict[str, Callable[[Sequence[str], Path], Converter]] = {
    "lower": _simple(bytes.lower),
    "upper": _simple(bytes.upper),
    "map": _map("str"),
    "map_str": _map("str"),
    "map_beg": _map("beg"),
    "map_end": _map("end"),
    "map_sub": _map("sub"),
    "iif": _iif,
    "regsub": _regsub,
    "field": _field,
}


# ------------------------------------------------------------------ compile


def _compile_fetch(name: str, args: Sequence[str], where: str | None) -> SampleFetch:
    """``where``: the rule's context ("frontend http-response", a keywords.NEVER_MATCHES
    key), or None outside rules.  A fetch with no value there yields none, as in HAProxy;
    hdr() in a response rule reads the response."""
    factory = FETCHES.get(name)
    if factory is None:
        raise FormatError(f"unknown fetch method '{name}'")
    if kw.reads_response(where):
        factory = _IN_RESPONSE.get(name, factory)
    fetch = factory(args)  # (built even when unused: its arguments are checked)
    if where is not None and kw.fetch_has_no_value(name, where, sample=True):
        return _no_value
    return fetch


def compile_expression(text: str, base_dir: Path, where: str | None = None) -> SampleFetch:
    """A sample expression ``fetch[,converter...]`` as one function of the request
    (``where``: see _compile_fetch)."""
    words = split_top_level(text)
    name, args = name_and_args(words[0])
    fetch = _compile_fetch(name, args, where)
    converters: list[Converter] = []
    for word in words[1:]:
        conv_name, conv_args = name_and_args(word)
        conv_factory = CONVERTERS.get(conv_name)
        if conv_factory is None:
            raise FormatError(f"unknown converter '{conv_name}'")
        converters.append(conv_factory(conv_args, base_dir))
    if not converters:
        return fetch

    def evaluate(ctx: RequestContext) -> bytes | None:
        value = fetch(ctx)
        for convert in converters:
            value = convert(value)
        return value

    return evaluate


@dataclass(frozen=True, slots=True)
class Format:
    """A compiled log-format string; ``constant`` is set when it has no expression."""

    text: str
    parts: tuple[bytes | SampleFetch, ...]
    constant: bytes | None

    def render(self, ctx: RequestContext) -> bytes:
        if self.constant is not None:
            return self.constant
        out: list[bytes] = []
        for part in self.parts:
            if isinstance(part, bytes):
                out.append(part)
            else:
                out.append(part(ctx) or b"")
        return b"".join(out)

    @property
    def is_dynamic(self) -> bool:
        return self.constant is None


_EXPRESSION = re.compile(r"%\[([^\]]*)\]|%%")


def compile_format(text: str, base_dir: Path, where: str | None = None) -> Format:
    """Compile ``literal%[expr]literal``; ``%%`` is a literal percent sign (``where``: the
    rule's context, see _compile_fetch)."""
    parts: list[bytes | SampleFetch] = []
    position = 0
    for match in _EXPRESSION.finditer(text):
        literal = text[position : match.start()]
        if match.group(0) == "%%":
            literal += "%"
        if literal:
            parts.append(literal.encode("utf-8"))
        if match.group(1) is not None:
            parts.append(compile_expression(match.group(1), base_dir, where))
        position = match.end()
    if text[position:]:
        parts.append(text[position:].encode("utf-8"))
    dynamic = any(not isinstance(p, bytes) for p in parts)
    constant = None if dynamic else b"".join(p for p in parts if isinstance(p, bytes))
    return Format(text, tuple(parts), constant)
