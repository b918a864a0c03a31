"""Sans-IO TLS ClientHello parser: what ``req.ssl_sni`` and ``req_ssl_hello_type`` need.

Theory of operation
-------------------
A passthrough frontend (``mode tcp`` + ``tcp-request inspect-delay``) routes
on the *unencrypted* first flight of a TLS client.  The caller accumulates
the bytes the client sent so far and calls ``parse_client_hello(buf)`` after
each arrival.  The answer is one of three states::

    NEED_MORE(need)  every prefix of a valid hello lands here; ``need`` is a
                     lower bound of the buffer length at which the answer can
                     change (callers may skip re-parsing until then)
    NOT_TLS(reason)  final: not a TLS handshake, or one we refuse to buffer
    TLS(hello)       final: a complete handshake message; for a ClientHello
                     (``hello_type == 1``) its SNI, ALPN list and versions

Parsing happens in two stages, each a pure function of the buffer:

1. *Framing* (``_collect_handshake``) walks the TLS records (5-byte headers:
   type 0x16, version 3.x, length 1..16384) and concatenates their payloads
   until the first handshake message (4-byte header: type, 24-bit length) is
   whole.  A message may span several records and a record header may be cut
   anywhere; only this stage ever answers NEED_MORE, and it looks at record
   headers only, so re-running it on every 1-byte arrival stays cheap.
2. *Body* (``_parse_client_hello_body``): RFC 8446 §4.1.2 field by field
   through a bounds-checked ``_Reader``; any length that overruns its
   enclosing field is ``_Malformed`` -> NOT_TLS.

Robustness rules: no input raises (the only exception used internally is
``_Malformed``, always caught); the buffer needed is capped at
``MAX_BUFFER`` = 16 KiB of handshake plus one record header, so a client
announcing a huge length is refused at once instead of being buffered; an
SSLv2-compatible hello (first byte with the high bit set) is NOT_TLS, as
HAProxy's ``req_ssl_hello_type`` and ``req.ssl_sni`` do not match it either.

Where HAProxy differs: its fetches look at the first record only; we also
reassemble a hello split across records (valid TLS, and what the issue asks
for).  HAProxy accepts record types 0x14..0x17 for ``req_ssl_hello_type``;
only a handshake record (0x16) can carry a hello, so anything else is NOT_TLS.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "CLIENT_HELLO",
    "MAX_BUFFER",
    "MAX_HANDSHAKE",
    "ClientHelloParser",
    "ClientHelloResult",
    "HelloStatus",
    "parse_client_hello",
    "version_name",
]

RECORD_HEADER = 5
HANDSHAKE_HEADER = 4
MAX_RECORD = 16384  # 2**14: the largest TLS plaintext record (RFC 8446 §5.1)
MAX_HANDSHAKE = 16384  # the largest hello we are willing to wait for
MAX_BUFFER = MAX_HANDSHAKE + RECORD_HEADER
CONTENT_HANDSHAKE = 0x16
CLIENT_HELLO = 1

_EXT_SERVER_NAME = 0
_EXT_ALPN = 16
_EXT_SUPPORTED_VERSIONS = 43
_SNI_HOST_NAME = 0

_VERSION_NAMES = {
    0x0300: "SSLv3",
    0x0301: "TLSv1.0",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}


def version_name(code: int) -> str:
    """``0x0304`` -> ``"TLSv1.3"`` (the spelling of ``ssl_fc_protocol``); unknown -> hex."""
    return _VERSION_NAMES.get(code, f"0x{code:04x}")


def _is_grease(code: int) -> bool:
    """RFC 8701 GREASE values (0x0a0a, 0x1a1a, ...): noise a client adds on purpose."""
    return (code & 0x0F0F) == 0x0A0A and (code >> 8) == (code & 0xFF)


class HelloStatus(enum.Enum):
    NEED_MORE = "need-more"
    NOT_TLS = "not-tls"
    TLS = "tls"


@dataclass(frozen=True, slots=True)
class ClientHelloResult:
    """The parser's answer; only ``status`` is meaningful for every state.

    ``need``: for NEED_MORE, the buffer length below which nothing can change.
    ``reason``: for NOT_TLS, why (for logs and the what-if tester).
    ``hello_type``: for TLS, the handshake message type (1 = ClientHello).
    ``sni``/``alpn``/``versions``: for a ClientHello; ``versions`` are the
    offered protocol codes (supported_versions, else the legacy version),
    GREASE removed, in the client's order.
    """

    status: HelloStatus
    need: int = 0
    reason: str = ""
    hello_type: int | None = None
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    versions: tuple[int, ...] = ()

    @property
    def final(self) -> bool:
        return self.status is not HelloStatus.NEED_MORE

    @property
    def version_names(self) -> tuple[str, ...]:
        return tuple(version_name(v) for v in self.versions)


def _need_more(need: int) -> ClientHelloResult:
    return ClientHelloResult(HelloStatus.NEED_MORE, need=need)


def _not_tls(reason: str) -> ClientHelloResult:
    return ClientHelloResult(HelloStatus.NOT_TLS, reason=reason)


def parse_client_hello(buf: bytes | bytearray | memoryview) -> ClientHelloResult:
    """Classify the first bytes a client sent; never raises, never asks for > MAX_BUFFER."""
    data = bytes(buf[:MAX_BUFFER])  # nothing past the cap can change the answer
    framed = _collect_handshake(data)
    if isinstance(framed, ClientHelloResult):
        return framed
    hello_type = framed[0]
    if hello_type != CLIENT_HELLO:
        return ClientHelloResult(HelloStatus.TLS, hello_type=hello_type)
    try:
        return _parse_client_hello_body(framed[HANDSHAKE_HEADER:])
    except _Malformed as exc:
        return _not_tls(f"malformed ClientHello: {exc}")


# --- stage 1: record framing -------------------------------------------------------------


def _check_header_prefix(header: bytes, first: bool) -> str | None:
    """Why a (possibly partial) record header cannot start/continue a hello, or None."""
    if not header:
        return None
    if first and header[0] & 0x80:
        return "SSLv2-compatible hello (not supported, as HAProxy)"
    if header[0] != CONTENT_HANDSHAKE:
        return f"record type 0x{header[0]:02x} is not a handshake"
    if len(header) >= 2 and header[1] != 3:
        return f"record version major {header[1]} is not 3"
    if len(header) >= 3 and header[2] > 4:
        return f"record version 3.{header[2]} is unknown"
    if len(header) >= RECORD_HEADER:
        length = int.from_bytes(header[3:5], "big")
        if not 1 <= length <= MAX_RECORD:
            return f"record length {length} outside 1..{MAX_RECORD}"
    return None


def _collect_handshake(data: bytes) -> bytes | ClientHelloResult:
    """The first whole handshake message (header included), or NEED_MORE/NOT_TLS."""
    payload = bytearray()
    target: int | None = None  # whole message length, once its header is in
    pos = 0
    while True:
        if pos + RECORD_HEADER > MAX_BUFFER:
            return _not_tls(f"hello needs more than {MAX_BUFFER} bytes")
        header = data[pos : pos + RECORD_HEADER]
        problem = _check_header_prefix(header, first=pos == 0)
        if problem:
            return _not_tls(problem)
        if len(header) < RECORD_HEADER:
            return _need_more(pos + RECORD_HEADER)
        body_start = pos + RECORD_HEADER
        record_end = body_start + int.from_bytes(header[3:5], "big")
        if record_end > MAX_BUFFER:
            return _not_tls(f"hello needs more than {MAX_BUFFER} bytes")
        payload += data[body_start:record_end]
        if target is None and len(payload) >= HANDSHAKE_HEADER:
            target = HANDSHAKE_HEADER + int.from_bytes(payload[1:4], "big")
            if target > MAX_HANDSHAKE:
                return _not_tls(f"handshake message of {target} bytes exceeds {MAX_HANDSHAKE}")
        if target is not None and len(payload) >= target:
            return bytes(payload[:target])
        if len(data) < record_end:  # inside this record: wait for what is missing
            missing = (target if target is not None else HANDSHAKE_HEADER) - len(payload)
            return _need_more(min(record_end, len(data) + missing))
        pos = record_end


# --- stage 2: the ClientHello body -------------------------------------------------------


class _Malformed(Exception):
    """A length field that overruns its container; turned into NOT_TLS by the caller."""


class _Reader:
    """A bounds-checked cursor: every read either fits or raises ``_Malformed``."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = data
        self._pos = 0
        self._what = what

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, n: int) -> bytes:
        if n > self.remaining:
            raise _Malformed(f"{self._what} truncated")
        chunk = self._data[self._pos : self._pos + n]
        self._pos += n
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def vector(self, length_size: int, what: str) -> _Reader:
        """A length-prefixed sub-field as its own reader."""
        return _Reader(self.take(self.uint(length_size)), what)


def _parse_client_hello_body(body: bytes) -> ClientHelloResult:
    reader = _Reader(body, "ClientHello")
    legacy_version = reader.uint(2)
    reader.take(32)  # random
    reader.vector(1, "session id")
    reader.vector(2, "cipher suites")
    reader.vector(1, "compression methods")
    extensions = _extensions(reader.vector(2, "extensions")) if reader.remaining else {}
    versions = _supported_versions(extensions.get(_EXT_SUPPORTED_VERSIONS))
    return ClientHelloResult(
        HelloStatus.TLS,
        hello_type=CLIENT_HELLO,
        sni=_server_name(extensions.get(_EXT_SERVER_NAME)),
        alpn=_alpn(extensions.get(_EXT_ALPN)),
        versions=versions or (legacy_version,),
    )


def _extensions(reader: _Reader) -> dict[int, bytes]:
    """Extension type -> data; a duplicated type is malformed (RFC 8446 §4.2)."""
    found: dict[int, bytes] = {}
    while reader.remaining:
        kind = reader.uint(2)
        data = reader.take(reader.uint(2))
        if kind in found:
            raise _Malformed(f"extension {kind} repeated")
        found[kind] = data
    return found


def _server_name(data: bytes | None) -> str | None:
    """The host_name entry of server_name (RFC 6066 §3), as ASCII text."""
    if data is None:
        return None
    names = _Reader(data, "server_name").vector(2, "server name list")
    while names.remaining:
        name_type = names.uint(1)
        name = names.take(names.uint(2))
        if name_type == _SNI_HOST_NAME:
            if not name or not name.isascii():
                raise _Malformed("server name is empty or not ASCII")
            return name.decode("ascii")
    return None


def _alpn(data: bytes | None) -> tuple[str, ...]:
    if data is None:
        return ()
    protocols = _Reader(data, "ALPN").vector(2, "ALPN protocol list")
    found: list[str] = []
    while protocols.remaining:
        # Protocol ids are opaque bytes; latin-1 maps each byte to one char losslessly.
        found.append(protocols.take(protocols.uint(1)).decode("latin-1"))
    return tuple(found)


def _supported_versions(data: bytes | None) -> tuple[int, ...]:
    if data is None:
        return ()
    versions = _Reader(data, "supported_versions").vector(1, "version list")
    codes = [versions.uint(2) for _ in range(versions.remaining // 2)]
    if versions.remaining:
        raise _Malformed("odd supported_versions length")
    return tuple(code for code in codes if not _is_grease(code))


# --- incremental convenience ----------------------------------------------------------


class ClientHelloParser:
    """Feed segments as they arrive; re-parses only once ``need`` bytes are buffered.

    Buffers at most ``MAX_BUFFER`` bytes and keeps returning the final
    answer once there is one.  ``buffered`` is what was consumed, for a
    caller that must replay it to the chosen server.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._result = _need_more(1)

    @property
    def buffered(self) -> bytes:
        return bytes(self._buf)

    @property
    def result(self) -> ClientHelloResult:
        return self._result

    def feed(self, data: bytes) -> ClientHelloResult:
        if self._result.final:
            return self._result
        self._buf += data[: MAX_BUFFER - len(self._buf)]
        if len(self._buf) >= self._result.need:
            self._result = parse_client_hello(self._buf)
        return self._result
