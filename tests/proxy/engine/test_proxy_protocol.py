"""The PROXY protocol reader and writer (proxy/engine/proxy_protocol.py), sans IO."""

from __future__ import annotations

import struct

import pytest

from proxy.engine import proxy_protocol as pp

V1 = b"PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n"


def v2(command: int, family: int, body: bytes) -> bytes:
    return pp.V2_SIGNATURE + struct.pack("!BBH", command, family, len(body)) + body


def tcp4_body(tlvs: bytes = b"") -> bytes:
    return bytes([192, 0, 2, 7, 198, 51, 100, 1]) + struct.pack("!HH", 51234, 443) + tlvs


def fed(*chunks: bytes) -> pp.HeaderReader:
    reader = pp.HeaderReader()
    for chunk in chunks:
        if reader.feed(chunk) != pp.NEED_MORE:
            break
    return reader


@pytest.mark.parametrize("header", [V1, v2(0x21, 0x11, tcp4_body(b"\x04\x00\x02ab\x05\x00\x00"))])
def test_a_header_split_anywhere_gives_the_addresses_and_the_bytes_after_it(header: bytes) -> None:
    data = header + b"GET / HTTP/1.1\r\n"
    for cut in range(1, len(header) + 1):
        reader = fed(data[:cut], data[cut:])
        assert reader.state == pp.DONE, cut
        assert reader.header is not None
        assert (reader.header.src, reader.header.dst) == (("192.0.2.7", 51234), ("198.51.100.1", 443))
        # the chunk that completes the header leaves its tail; later ones are the caller's
        assert reader.rest == (b"GET / HTTP/1.1\r\n" if cut < len(header) else b"")
    byte_by_byte = fed(*(header[i:i + 1] for i in range(len(header))))
    assert byte_by_byte.state == pp.DONE and byte_by_byte.rest == b""


def test_v1_tcp6_and_v2_tcp6() -> None:
    six = fed(b"PROXY TCP6 2001:db8::1 ::1 1000 80\r\n")
    assert six.header is not None and six.header.src == ("2001:db8::1", 1000) and six.header.dst == ("::1", 80)
    body = bytes(15) + b"\x01" + bytes(15) + b"\x02" + struct.pack("!HH", 7, 8)
    binary = fed(v2(0x21, 0x21, body))
    assert binary.header is not None and binary.header.src == ("::1", 7) and binary.header.dst == ("::2", 8)


@pytest.mark.parametrize("header", [
    b"PROXY UNKNOWN\r\n",
    v2(0x20, 0x00, b""),  # LOCAL (health checks)
    v2(0x20, 0x11, tcp4_body()),  # LOCAL: addresses ignored
    v2(0x21, 0x31, bytes(216)),  # AF_UNIX: HAProxy keeps the connection's addresses
    v2(0x21, 0x00, b""),  # UNSPEC
])
def test_unknown_local_and_unsupported_families_keep_the_real_addresses(header: bytes) -> None:
    reader = fed(header + b"x")
    assert reader.state == pp.DONE and reader.header is None and reader.rest == b"x"


@pytest.mark.parametrize(("data", "error"), [
    (b"G", pp.NOT_HEADER),  # HTTP on an accept-proxy port: refused on its first byte
    (b"PROXX", pp.NOT_HEADER),
    (b"\r\n\r\n\x00\r\nQUIX", pp.NOT_HEADER),
    (pp.V2_SIGNATURE + b"\x11\x11\x00\x00", pp.NOT_HEADER),  # version 1 in a v2 head
    (b"PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n", pp.BAD_PROTO),
    (b"PROXY TCP\r\n", pp.BAD_PROTO),
    # haproxy 2.6.12 wants UNKNOWN alone (the spec would ignore the rest up to the CRLF)
    (b"PROXY UNKNOWN 1.2.3.4 5.6.7.8 10 20\r\n", pp.BAD_PROTO),
    (b"PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n", pp.BAD_HEADER),
    (b"PROXY TCP4 ::1 1.2.3.4 1 2\r\n", pp.BAD_HEADER),  # family mismatch
    (b"PROXY TCP4 1.2.3.4 1.2.3.4 1 99999\r\n", pp.BAD_HEADER),
    (b"PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n", pp.BAD_HEADER),
    (b"PROXY TCP4 " + b"1" * 200, pp.BAD_HEADER),  # 107 bytes without a CRLF
    (v2(0x22, 0x11, tcp4_body()), pp.BAD_HEADER),  # unknown command
    (v2(0x21, 0x11, b"\x00" * 8), pp.BAD_HEADER),  # shorter than its addresses
    (v2(0x21, 0x11, tcp4_body(b"\x04\x00\x09ab")), pp.BAD_HEADER),  # a TLV past the end
    (v2(0x21, 0x11, tcp4_body(b"\x04\x00")), pp.BAD_HEADER),  # half a TLV head
])
def test_bad_headers_get_haproxys_verdicts(data: bytes, error: str) -> None:
    reader = fed(data)
    assert (reader.state, reader.error) == (pp.FAILED, error)
    assert reader.feed(b"more") == pp.FAILED  # final


def test_a_client_closing_early_is_empty_or_truncated() -> None:
    assert pp.HeaderReader().closed() == pp.EMPTY
    reader = fed(V1[:10])
    assert reader.state == pp.NEED_MORE and reader.closed() == pp.TRUNCATED


@pytest.mark.parametrize(("src", "dst", "v1", "family"), [
    (("10.0.0.1", 1), ("10.0.0.2", 2), b"PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n", 0x11),
    (("::1", 1), ("::2", 2), b"PROXY TCP6 ::1 ::2 1 2\r\n", 0x21),
    # mixed families: both as IPv6, IPv4 mapped (HAProxy's make_proxy_line)
    (("10.0.0.1", 1), ("::2", 2), b"PROXY TCP6 ::ffff:10.0.0.1 ::2 1 2\r\n", 0x21),
])
def test_rendered_headers_read_back(src: tuple[str, int], dst: tuple[str, int], v1: bytes, family: int) -> None:
    assert pp.render(1, src, dst) == v1
    binary = pp.render(2, src, dst)
    assert binary[12:14] == bytes([0x21, family])
    for header in (v1, binary):
        reader = fed(header)
        assert reader.header is not None
        assert reader.header.src[1] == 1 and reader.header.dst[1] == 2


def test_without_addresses_v1_says_unknown_and_v2_local() -> None:
    assert pp.render_v1(None, None) == b"PROXY UNKNOWN\r\n"
    assert pp.render_v2(None, None) == pp.V2_SIGNATURE + b"\x20\x00\x00\x00"
    assert pp.render_v1(("unix", 0), ("10.0.0.1", 80)) == b"PROXY UNKNOWN\r\n"


@pytest.mark.parametrize(("options", "version"), [
    ([], 0), ([["send-proxy"]], 1), ([["send-proxy-v2"]], 2),
    ([["send-proxy"], ["send-proxy-v2"]], 2), ([["send-proxy-v2"], ["send-proxy"]], 2),
    ([["send-proxy-v2"], ["no-send-proxy-v2"]], 0),
    ([["send-proxy"], ["send-proxy-v2"], ["no-send-proxy-v2"]], 1),  # a bit per version
    ([["send-proxy"], ["no-send-proxy"], ["check"]], 0),
])
def test_server_options_fold_as_haproxys_pp_opts_bits(options: list[list[str]], version: int) -> None:
    assert pp.server_version(options) == version
