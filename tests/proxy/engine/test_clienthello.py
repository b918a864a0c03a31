"""The sans-IO ClientHello parser, on hellos produced by Python's real TLS stack.

Real hellos come from an ``SSLObject`` over ``MemoryBIO``s: the bytes
OpenSSL wants to send first.  Hand-built hellos (``build_hello``) cover what
OpenSSL never sends (GREASE, duplicate extensions, odd lengths).
"""

from __future__ import annotations

import ssl
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.engine.clienthello import (
    MAX_BUFFER,
    ClientHelloParser,
    ClientHelloResult,
    HelloStatus,
    parse_client_hello,
)


def real_hello(server_hostname: str | None = "a.test", alpn: list[str] | None = None) -> bytes:
    context = ssl.create_default_context()
    if server_hostname is None:
        context.check_hostname = False
    if alpn:
        context.set_alpn_protocols(alpn)
    outgoing = ssl.MemoryBIO()
    tls = context.wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname=server_hostname)
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def rewrap(hello: bytes, record_size: int) -> bytes:
    """The same handshake message carried by several records of ``record_size`` bytes."""
    message = hello[5 : 5 + int.from_bytes(hello[3:5], "big")]
    chunks = [message[i : i + record_size] for i in range(0, len(message), record_size)]
    return b"".join(b"\x16\x03\x01" + struct.pack(">H", len(c)) + c for c in chunks)


def vec(length_size: int, data: bytes) -> bytes:
    return len(data).to_bytes(length_size, "big") + data


def build_hello(extensions: list[tuple[int, bytes]] | None, hs_type: int = 1) -> bytes:
    body = b"\x03\x03" + b"\x11" * 32 + vec(1, b"") + vec(2, b"\x13\x01") + vec(1, b"\x00")
    if extensions is not None:
        body += vec(2, b"".join(struct.pack(">H", k) + vec(2, d) for k, d in extensions))
    message = bytes([hs_type]) + vec(3, body)
    return b"\x16\x03\x01" + vec(2, message)


def sni_ext(name: bytes) -> tuple[int, bytes]:
    return 0, vec(2, b"\x00" + vec(2, name))


def alpn_ext(*protocols: bytes) -> tuple[int, bytes]:
    return 16, vec(2, b"".join(vec(1, p) for p in protocols))


def versions_ext(*codes: int) -> tuple[int, bytes]:
    return 43, vec(1, b"".join(struct.pack(">H", c) for c in codes))


def assert_need_more(result: ClientHelloResult, have: int) -> None:
    assert result.status is HelloStatus.NEED_MORE, result
    assert have < result.need <= MAX_BUFFER


# --- real hellos -----------------------------------------------------------------------


def test_real_hello_with_sni_and_alpn() -> None:
    result = parse_client_hello(real_hello("a.test", ["h2", "http/1.1"]))
    assert result.status is HelloStatus.TLS
    assert result.hello_type == 1
    assert result.sni == "a.test"
    assert result.alpn == ("h2", "http/1.1")
    assert "TLSv1.3" in result.version_names and "TLSv1.2" in result.version_names


def test_real_hello_without_sni_or_alpn() -> None:
    result = parse_client_hello(real_hello(None))
    assert result.status is HelloStatus.TLS
    assert (result.hello_type, result.sni, result.alpn) == (1, None, ())


def test_every_prefix_needs_more() -> None:
    hello = real_hello("prefix.test", ["http/1.1"])
    for cut in range(len(hello)):
        assert_need_more(parse_client_hello(hello[:cut]), cut)
    assert parse_client_hello(hello).sni == "prefix.test"


@pytest.mark.parametrize("record_size", [1, 2, 3, 7, 100])
def test_hello_spread_over_several_records(record_size: int) -> None:
    hello = rewrap(real_hello("multi.test", ["http/1.1"]), record_size)
    for cut in range(0, len(hello), max(1, len(hello) // 300)):
        assert_need_more(parse_client_hello(hello[:cut]), cut)
    result = parse_client_hello(hello)
    assert (result.status, result.sni, result.alpn) == (
        HelloStatus.TLS,
        "multi.test",
        ("http/1.1",),
    )


def test_one_byte_segments_through_the_incremental_parser() -> None:
    hello = real_hello("bytewise.test")
    parser = ClientHelloParser()
    answers = [parser.feed(hello[i : i + 1]) for i in range(len(hello))]
    assert all(a.status is HelloStatus.NEED_MORE for a in answers[:-1])
    assert answers[-1].sni == "bytewise.test"
    assert parser.buffered == hello
    assert parser.feed(b"more bytes") is answers[-1]  # final answers stick


def test_data_after_the_hello_does_not_matter() -> None:
    hello = real_hello("a.test")
    assert parse_client_hello(hello + b"\x17\x03\x03\x00\x05early").sni == "a.test"


# --- hand-built hellos -----------------------------------------------------------------


def test_grease_versions_are_dropped_and_order_kept() -> None:
    hello = build_hello([versions_ext(0x1A1A, 0x0304, 0x0303)])
    assert parse_client_hello(hello).versions == (0x0304, 0x0303)


def test_without_extensions_the_legacy_version_is_reported() -> None:
    result = parse_client_hello(build_hello(None))
    assert (result.status, result.sni, result.versions) == (HelloStatus.TLS, None, (0x0303,))


def test_other_handshake_types_report_their_type() -> None:
    result = parse_client_hello(build_hello([], hs_type=2))
    assert (result.status, result.hello_type, result.sni) == (HelloStatus.TLS, 2, None)


@pytest.mark.parametrize(
    ("extensions", "why"),
    [
        ([sni_ext(b"a.test"), sni_ext(b"b.test")], "repeated"),
        ([sni_ext("é.test".encode())], "ASCII"),
        ([sni_ext(b"")], "empty"),
        ([(0, b"\x00\x09\x00\x00\x01a")], "truncated"),  # name list longer than the extension
        ([(16, b"\x00\x03\x05h2")], "truncated"),  # protocol longer than the list
        ([(43, b"\x03\x03\x04\x03")], "odd"),
    ],
)
def test_malformed_extensions_are_not_tls(extensions: list[tuple[int, bytes]], why: str) -> None:
    result = parse_client_hello(build_hello(extensions))
    assert result.status is HelloStatus.NOT_TLS
    assert why in result.reason


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "not a handshake"),
        (b"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10", "SSLv2"),  # SSLv2-compatible hello
        (b"\x16\x02\x00", "major 2"),
        (b"\x16\x03\x09", "3.9"),
        (b"\x16\x03\x01\x00\x00", "record length 0"),
        (b"\x16\x03\x01\x40\x01", "record length 16385"),
        (b"\x16\x03\x01\x00\x04\x01\x00\x40\x00", "exceeds"),  # a 16 KiB+4 message
        (b"\x16\x03\x01\x00\x04\x01\x00\x00\x00", "truncated"),  # an empty ClientHello
    ],
)
def test_garbage_and_bad_lengths_are_not_tls(data: bytes, why: str) -> None:
    result = parse_client_hello(data)
    assert result.status is HelloStatus.NOT_TLS
    assert why in result.reason


def test_the_first_byte_is_enough_to_refuse_plain_text() -> None:
    assert parse_client_hello(b"G").status is HelloStatus.NOT_TLS


def test_a_handshake_interrupted_by_another_record_type_is_not_tls() -> None:
    hello = rewrap(real_hello("a.test"), 50)
    interrupted = hello[:55] + b"\x17" + hello[56:]
    assert parse_client_hello(interrupted).status is HelloStatus.NOT_TLS


def test_buffering_is_capped_for_a_trickle_of_tiny_records() -> None:
    # One handshake byte per record never completes a 16 KiB message within the cap.
    record = b"\x16\x03\x01\x00\x01"
    data = record + b"\x01" + record + b"\x00" + record + b"\x3f" + record + b"\xf0"
    data += (record + b"\x00") * (MAX_BUFFER // 6)
    parser = ClientHelloParser()
    for start in range(0, len(data), 997):
        result = parser.feed(data[start : start + 997])
    assert result.status is HelloStatus.NOT_TLS
    assert "needs more than" in result.reason
    assert len(parser.buffered) <= MAX_BUFFER


# --- never raises, never hangs ---------------------------------------------------------

REAL = real_hello("fuzz.test", ["http/1.1"])


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = parse_client_hello(data)
    if result.status is HelloStatus.NEED_MORE:
        assert len(data) < result.need <= MAX_BUFFER


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=600))
def test_random_bytes_behind_a_handshake_header_never_raise(tail: bytes) -> None:
    data = b"\x16\x03\x01" + struct.pack(">H", len(tail)) + tail
    parse_client_hello(data)


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=9, max_value=len(REAL) - 1), st.integers(0, 255))
def test_mutating_the_body_of_a_real_hello_gives_a_final_answer(index: int, value: int) -> None:
    # The framing (record + handshake headers, the first 9 bytes) is intact, so
    # whatever the body says, the answer is final: TLS or NOT_TLS, no exception.
    mutated = REAL[:index] + bytes([value]) + REAL[index + 1 :]
    assert parse_client_hello(mutated).final


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=3, max_value=8), st.integers(0, 255))
def test_mutating_the_framing_lengths_never_raises(index: int, value: int) -> None:
    mutated = REAL[:index] + bytes([value]) + REAL[index + 1 :]
    result = parse_client_hello(mutated)
    if result.status is HelloStatus.NEED_MORE:
        assert len(mutated) < result.need <= MAX_BUFFER
