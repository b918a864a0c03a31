"""The PROXY protocol (HAProxy's doc/proxy-protocol.txt), versions 1 and 2, sans IO.

Theory of operation
-------------------
A proxy in front of us (a cloud load balancer, another HAProxy with ``send-proxy``)
prefixes each connection with a header saying who the client really is; a
``bind ... accept-proxy`` listener must read it before anything else, and a
``server ... send-proxy[-v2]`` connection must write one first.

Reading (``HeaderReader``) is incremental: ``feed(data)`` may be called with the
bytes split anywhere, and returns one of three verdicts::

    NEED_MORE --more bytes--> NEED_MORE | DONE | FAILED
    DONE:   ``header`` holds the addresses (None: keep the connection's own, as
            for ``PROXY UNKNOWN``, the v2 ``LOCAL`` command or an unsupported
            family), ``rest`` the bytes after the header (the client's first data);
    FAILED: ``error`` is HAProxy's connection error message (``fc_err_str``):
            the connection is closed without an answer.

The verdict is decided as early as the bytes allow: a first byte that can start
neither ``PROXY `` nor the v2 signature fails at once ("Received something which
does not look like a PROXY protocol header"), so a client speaking HTTP to an
``accept-proxy`` port is refused on its first segment, as HAProxy refuses it.

Version 1 is one text line of at most 107 bytes: ``PROXY TCP4|TCP6 <src> <dst>
<sport> <dport>\\r\\n`` or ``PROXY UNKNOWN\\r\\n``.  Version 2 is a 16-byte
binary head (12-byte signature, version/command, family/transport, length)
followed by the addresses (12 bytes for AF_INET, 36 for AF_INET6) and TLVs,
which are skipped (their framing is checked, as HAProxy's conn_recv_proxy does).

Where HAProxy 2.6 differs from the spec, and what the engine does:

* HAProxy reads the header with one ``recv(MSG_PEEK)`` and fails a header that
  is not whole in it ("Truncated PROXY protocol header received").  The spec
  recommends being tolerant of split headers; so is this reader: a header split
  across segments is accepted, and "truncated" is the verdict when the client
  closes mid-header.
* HAProxy only accepts ``PROXY UNKNOWN\\r\\n`` exactly (anything after UNKNOWN is
  "an unhandled protocol"), though the spec says a receiver ignores it up to the
  CRLF; this reader does what haproxy 2.6.12 does (measured).
* HAProxy's TCP4 parser is lax about dotted quads (it takes ``1.2.3``); this
  reader wants real IPv4 addresses ("an invalid PROXY protocol header").

HAProxy resets the connection it refuses (the client sees ECONNRESET, no
answer): so does the engine (admission.ProxyAdmission aborts the transport).

Writing (``render_v1``/``render_v2``) is what HAProxy's make_proxy_line does:
TCP4 when both addresses are IPv4, else TCP6 with IPv4 addresses mapped
(``::ffff:a.b.c.d``); ``UNKNOWN``/``LOCAL`` when there are no addresses (v2's
LOCAL is what health checks send).  No TLVs are sent: ``proxy-v2-options`` and
``send-proxy-v2-ssl*`` are not run.  With ``ssl`` on the bind or server the header
comes first and the TLS handshake follows on the same connection (admission.py,
dispatch.py: ``loop.start_tls``), as HAProxy orders them.

Hand-written: the PyPI packages for the PROXY protocol are small and
unmaintained, and the protocol is a few dozen lines either way.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import Final

__all__ = [
    "ABORT", "BAD_HEADER", "BAD_PROTO", "DONE", "EMPTY", "FAILED", "NEED_MORE", "NOT_HEADER",
    "TIMEOUT", "TRUNCATED", "V2_SIGNATURE", "Address", "HeaderReader", "ProxyHeader",
    "render", "render_v1", "render_v2",
]

Address = tuple[str, int]

# HAProxy's connection error messages (configuration.txt, fc_err_str, 11 to 17).
EMPTY: Final = "Connection closed while waiting for PROXY protocol header"
ABORT: Final = "Connection error while waiting for PROXY protocol header"
TIMEOUT: Final = "Timeout while waiting for PROXY protocol header"
TRUNCATED: Final = "Truncated PROXY protocol header received"
NOT_HEADER: Final = "Received something which does not look like a PROXY protocol header"
BAD_HEADER: Final = "Received an invalid PROXY protocol header"
BAD_PROTO: Final = "Received an unhandled protocol in the PROXY protocol header"

NEED_MORE: Final = 0
DONE: Final = 1
FAILED: Final = 2

V1_PREFIX: Final = b"PROXY "
V1_MAX: Final = 107  # the longest v1 line, CRLF included (spec, 2.1)
V2_SIGNATURE: Final = b"\r\n\r\n\x00\r\nQUIT\n"
V2_HEAD: Final = 16
_V1_PROTOCOLS: Final = (b"TCP4 ", b"TCP6 ", b"UNKNOWN")
_V2_PROXY: Final = 0x21  # version 2, PROXY command
_V2_LOCAL: Final = 0x20  # version 2, LOCAL command
_V2_TCP4: Final = 0x11
_V2_TCP6: Final = 0x21


class ProxyHeader:
    """What a header said: the client's address and the one it connected to."""

    __slots__ = ("dst", "src", "version")

    def __init__(self, version: int, src: Address, dst: Address) -> None:
        self.version = version
        self.src = src
        self.dst = dst

    def __repr__(self) -> str:
        return f"ProxyHeader(v{self.version}, src={self.src}, dst={self.dst})"


class HeaderReader:
    """Reads one PROXY header from bytes fed as they arrive (see the module docstring)."""

    __slots__ = ("buffer", "claimed", "error", "header", "rest", "state")

    def __init__(self) -> None:
        self.buffer = b""
        self.state = NEED_MORE
        self.header: ProxyHeader | None = None  # None once DONE: keep the real addresses
        self.rest = b""
        self.error = ""
        # FAILED on its TLVs: the v2 source it had already read, which HAProxy's error log
        # then shows (it applies the addresses before checking the TLVs; measured, 2.6.12)
        self.claimed: Address | None = None

    def feed(self, data: bytes) -> int:
        if self.state != NEED_MORE:
            return self.state
        self.buffer += data
        buffer = self.buffer
        if buffer[:1] == b"P":
            return self._v1(buffer)
        if buffer[:1] == b"\r":
            return self._v2(buffer)
        return self._fail(NOT_HEADER)

    def closed(self) -> str:
        """The error for a client that closed before the header was whole."""
        return EMPTY if not self.buffer else TRUNCATED

    # -- version 1 ------------------------------------------------------------
    def _v1(self, buffer: bytes) -> int:
        head = buffer[:len(V1_PREFIX)]
        if not V1_PREFIX.startswith(head):
            return self._fail(NOT_HEADER)
        after = buffer[len(V1_PREFIX):len(V1_PREFIX) + 7]
        if after and not any(p.startswith(after[:len(p)]) for p in _V1_PROTOCOLS):
            return self._fail(BAD_PROTO)
        end = buffer.find(b"\r\n", 0, V1_MAX)
        if end < 0:
            return self._fail(BAD_HEADER) if len(buffer) >= V1_MAX else NEED_MORE
        line, self.rest = buffer[len(V1_PREFIX):end], buffer[end + 2:]
        if line == b"UNKNOWN":
            return self._done(None)
        if not line.startswith((b"TCP4 ", b"TCP6 ")):
            return self._fail(BAD_PROTO)
        words = line.split(b" ")
        if len(words) != 5:
            return self._fail(BAD_HEADER)
        family = 4 if words[0] == b"TCP4" else 6
        try:
            src = _v1_address(words[1], words[3], family)
            dst = _v1_address(words[2], words[4], family)
        except ValueError:
            return self._fail(BAD_HEADER)
        return self._done(ProxyHeader(1, src, dst))

    # -- version 2 ------------------------------------------------------------
    def _v2(self, buffer: bytes) -> int:
        if not V2_SIGNATURE.startswith(buffer[:len(V2_SIGNATURE)]):
            return self._fail(NOT_HEADER)
        if len(buffer) < V2_HEAD:
            return NEED_MORE
        command, family, length = struct.unpack_from("!BBH", buffer, len(V2_SIGNATURE))
        if command >> 4 != 2:
            return self._fail(NOT_HEADER)
        total = V2_HEAD + length
        if len(buffer) < total:
            return NEED_MORE
        self.rest = buffer[total:]
        if command == _V2_LOCAL:
            return self._done(None)
        if command != _V2_PROXY:
            return self._fail(BAD_HEADER)
        body = buffer[V2_HEAD:total]
        header: ProxyHeader | None = None
        offset = 0
        if family == _V2_TCP4:
            if length < 12:
                return self._fail(BAD_HEADER)
            header, offset = _v2_addresses(body, 4, 4), 12
        elif family == _V2_TCP6:
            if length < 36:
                return self._fail(BAD_HEADER)
            header, offset = _v2_addresses(body, 16, 6), 36
        else:  # UNSPEC, AF_UNIX, datagrams: "keep local connection address" (HAProxy)
            return self._done(None)
        if not _tlvs_well_framed(body, offset):
            self.claimed = header.src  # haproxy 2.6 took the addresses before the TLVs
            return self._fail(BAD_HEADER)
        return self._done(header)

    def _done(self, header: ProxyHeader | None) -> int:
        self.header = header
        self.buffer = b""
        self.state = DONE
        return DONE

    def _fail(self, error: str) -> int:
        self.error = error
        self.state = FAILED
        return FAILED


def _v1_address(host: bytes, port: bytes, family: int) -> Address:
    address = ipaddress.ip_address(host.decode("ascii"))  # (ValueError: not an address)
    if address.version != family or not port.isdigit() or int(port) > 65535:
        raise ValueError("bad address")
    return str(address), int(port)


def _v2_addresses(body: bytes, size: int, family: int) -> ProxyHeader:
    src = ipaddress.ip_address(body[:size])
    dst = ipaddress.ip_address(body[size:2 * size])
    sport, dport = struct.unpack_from("!HH", body, 2 * size)
    return ProxyHeader(2, (_unmapped(src), sport), (_unmapped(dst), dport))


def _unmapped(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return str(mapped if mapped is not None else address)


def _tlvs_well_framed(body: bytes, offset: int) -> bool:
    """Every TLV (type, 2-byte length, value) ends within the header, the last at its end."""
    while offset < len(body):
        if offset + 3 > len(body):
            return False
        (length,) = struct.unpack_from("!H", body, offset + 1)
        offset += 3 + length
    return offset == len(body)


# -- writing ------------------------------------------------------------------
def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _as_v6(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv6Address:
    if isinstance(address, ipaddress.IPv4Address):
        return ipaddress.IPv6Address(b"\x00" * 10 + b"\xff\xff" + address.packed)
    return address


def _pair(src: Address | None, dst: Address | None) -> tuple[
        ipaddress.IPv4Address | ipaddress.IPv6Address, ipaddress.IPv4Address | ipaddress.IPv6Address] | None:
    if src is None or dst is None:
        return None
    source, target = _ip(src[0]), _ip(dst[0])
    if source is None or target is None:
        return None
    if source.version == target.version:
        return source, target
    return _as_v6(source), _as_v6(target)  # mixed families: both as IPv6 (make_proxy_line)


def render_v1(src: Address | None, dst: Address | None) -> bytes:
    """``PROXY TCP4|TCP6 ...\\r\\n``, or ``PROXY UNKNOWN\\r\\n`` without two IP addresses."""
    pair = _pair(src, dst)
    if pair is None or src is None or dst is None:
        return b"PROXY UNKNOWN\r\n"
    family = "TCP4" if pair[0].version == 4 else "TCP6"
    return (f"PROXY {family} {_text(pair[0])} {_text(pair[1])} {src[1]} {dst[1]}\r\n"
            .encode("ascii"))


def _text(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """As inet_ntop writes it: a mapped IPv4 address as ``::ffff:a.b.c.d``."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return f"::ffff:{mapped}" if mapped is not None else str(address)


def render_v2(src: Address | None, dst: Address | None) -> bytes:
    """The binary header: PROXY with the addresses, or LOCAL without two IP addresses."""
    pair = _pair(src, dst)
    if pair is None or src is None or dst is None:
        return V2_SIGNATURE + struct.pack("!BBH", _V2_LOCAL, 0, 0)
    family = _V2_TCP4 if pair[0].version == 4 else _V2_TCP6
    addresses = pair[0].packed + pair[1].packed + struct.pack("!HH", src[1], dst[1])
    return V2_SIGNATURE + struct.pack("!BBH", _V2_PROXY, family, len(addresses)) + addresses


def render(version: int, src: Address | None, dst: Address | None) -> bytes:
    """The header a ``send-proxy`` (1) or ``send-proxy-v2`` (2) server gets first."""
    return render_v2(src, dst) if version == 2 else render_v1(src, dst)


# -- what the engine reads of bind and server lines ----------------------------
#: The option words this module's callers read (tests/proxy/engine/test_option_support.py
#: keeps the registry's "runs" equal to them).
BIND_WORDS: Final = frozenset({"accept-proxy"})
SERVER_WORDS: Final = frozenset({"send-proxy", "send-proxy-v2", "no-send-proxy", "no-send-proxy-v2"})
CHECK_WORDS: Final = frozenset({"check-send-proxy"})
_SERVER_BITS: Final = {"send-proxy": 1, "send-proxy-v2": 2}


def accepts_proxy(options: tuple[tuple[str, ...], ...]) -> bool:
    return any(option[:1] == ("accept-proxy",) for option in options)


def server_version(options: list[list[str]] | list[tuple[str, ...]]) -> int:
    """The header a server's connections start with: 2, 1 or 0 (none).

    HAProxy keeps a bit per version (``pp_opts``): ``send-proxy[-v2]`` sets one,
    ``no-send-proxy[-v2]`` clears it, in line order (``default-server`` options first);
    with both set, v2 is sent (make_proxy_line)."""
    bits = 0
    for option in options:
        word = option[0] if option else ""
        if word in _SERVER_BITS:
            bits |= _SERVER_BITS[word]
        elif word.startswith("no-") and word[3:] in _SERVER_BITS:
            bits &= ~_SERVER_BITS[word[3:]]
    return 2 if bits & 2 else bits
