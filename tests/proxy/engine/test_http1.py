"""Tests for proxy.engine.http1, the sans-IO HTTP/1 core.

The heart is HAPROXY_CASES: one table of requests whose verdicts were recorded
from the real haproxy 2.6.12.  The unit tests run it against our parser; the
``haproxy``-marked tests run it against the real binary (when installed) and
also compare our rendered head with what HAProxy actually forwards.  A
differential test against h11 (and a hypothesis fuzz) guards the head parser,
with every intentional difference listed and asserted.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.engine.http1 import (
    MAX_HEAD_SIZE,
    MAX_HEADERS,
    ChunkedScanner,
    HeaderEdit,
    HttpError,
    RequestHead,
    client_keep_alive,
    early_error_response,
    error_response,
    parse_request_head,
    parse_response_head,
    reason_phrase,
    render_request_head,
    render_response_head,
)

FORWARDED: Final = "forwarded"
Verdict = int | Literal["forwarded"]

G = b"GET / HTTP/1.1\r\nHost: x\r\n"
P = b"POST / HTTP/1.1\r\nHost: x\r\n"
PC = P + b"Transfer-Encoding: chunked\r\n\r\n"


def _sized_head(total: int, extra_headers: int = 0) -> bytes:
    """A GET whose whole head is ``total`` bytes, padded in one header value."""
    prefix = G + b"".join(b"H%d: v\r\n" % i for i in range(extra_headers)) + b"Foo: "
    return prefix + b"a" * (total - len(prefix) - 4) + b"\r\n\r\n"


def _ows_head(total: int) -> bytes:
    """A head of ``total`` wire bytes that is almost all OWS (tiny in HTX)."""
    prefix = G + b"Foo:"
    return prefix + b" " * (total - len(prefix) - 5) + b"a\r\n\r\n"


def _headers(count: int) -> bytes:
    """A GET with ``count`` header lines (Host included)."""
    return G + b"".join(b"H%d: v\r\n" % i for i in range(count - 1)) + b"\r\n"


# (name, request bytes, verdict of haproxy 2.6.12).  FORWARDED: the request
# reached the server; a status: HAProxy answered it and the server saw nothing.
HAPROXY_CASES: Final[list[tuple[str, bytes, Verdict]]] = [
    ("basic", G + b"\r\n", FORWARDED),
    ("lf_only", b"GET / HTTP/1.1\nHost: x\n\n", FORWARDED),
    ("leading_crlf", b"\r\n" + G + b"\r\n", FORWARDED),
    ("double_space", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("lower_method", b"get / HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("options_star", b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("target_without_slash", b"GET x HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    # Any other target is an authority: it must agree with Host ("GET admin" must not
    # reach a backend past a "path_beg /admin" rule), and an authority has no "/".
    ("authority_target_not_host", b"GET admin HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("authority_target_host_port", b"GET host:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("authority_target_no_host", b"GET admin HTTP/1.1\r\n\r\n", FORWARDED),
    ("authority_target_with_slash", b"GET ./a HTTP/1.1\r\nHost: ./a\r\n\r\n", 400),
    ("absolute_target_bad_scheme", b"GET 1http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("absolute_target_odd_scheme", b"GET h+t.t-p://x/ HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    # A body on an HTTP/1.0 GET/HEAD/DELETE (method names are case-sensitive).
    ("http10_get_body", b"GET / HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 413),
    ("http10_head_body", b"HEAD / HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 413),
    ("http10_delete_chunked", b"DELETE / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 413),
    ("http10_get_cl0", b"GET / HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n", FORWARDED),
    ("http10_post_body", b"POST / HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", FORWARDED),
    ("http10_lower_get_body", b"get / HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", FORWARDED),
    # A TLS ClientHello on a plain port: refused at its first byte, not after a timeout.
    ("tls_client_hello", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 32, 400),
    # Content-Length
    (
        "cl_and_te",
        P + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        FORWARDED,
    ),
    (
        "te_and_cl",
        P + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        FORWARDED,
    ),
    ("cl_duplicate_same", P + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", FORWARDED),
    ("cl_list_same", P + b"Content-Length: 3, 3\r\n\r\nabc", FORWARDED),
    ("cl_leading_zeros", P + b"Content-Length: 003\r\n\r\nabc", FORWARDED),
    ("cl_duplicate_differ", P + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    ("cl_list_differ", P + b"Content-Length: 3, 4\r\n\r\nabcd", 400),
    ("cl_plus", P + b"Content-Length: +3\r\n\r\nabc", 400),
    ("cl_minus", P + b"Content-Length: -1\r\n\r\n", 400),
    ("cl_hex", P + b"Content-Length: 0x3\r\n\r\nabc", 400),
    ("cl_overflow", P + b"Content-Length: 99999999999999999999\r\n\r\n", 400),
    ("cl_2_pow_63", P + b"Content-Length: 9223372036854775808\r\n\r\n", 400),
    ("cl_empty", P + b"Content-Length: \r\n\r\n", 400),
    ("cl_inner_space", P + b"Content-Length: 1 2\r\n\r\n", 400),
    ("cl_empty_element", P + b"Content-Length: 3,,3\r\n\r\nabc", 400),
    ("cl_trailing_comma", P + b"Content-Length: 3,\r\n\r\nabc", 400),
    # Transfer-Encoding
    ("te_chunked", PC + b"3\r\nabc\r\n0\r\n\r\n", FORWARDED),
    ("te_mixed_case", P + b"Transfer-Encoding: ChUnKeD\r\n\r\n3\r\nabc\r\n0\r\n\r\n", FORWARDED),
    ("te_trailing_comma", P + b"Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n", FORWARDED),
    # h1_parse_xfer_enc_header(): an empty word is a coding of its own.
    ("te_leading_comma_and_cl", P + b"Transfer-Encoding: ,chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 422),
    ("te_blank_leading_comma", P + b"Transfer-Encoding:  ,chunked\r\n\r\n0\r\n\r\n", 422),
    ("te_double_comma", P + b"Transfer-Encoding: gzip,,chunked\r\n\r\n0\r\n\r\n", 422),
    ("te_empty_word_after_chunked", P + b"Transfer-Encoding: chunked, ,\r\n\r\n0\r\n\r\n", 400),
    (
        "te_http10",
        b"POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        FORWARDED,
    ),
    ("te_gzip_chunked", P + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 422),
    (
        "te_gzip_then_chunked_headers",
        P + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        422,
    ),
    ("te_chunked_gzip", P + b"Transfer-Encoding: chunked, gzip\r\n\r\nabc", 400),
    ("te_gzip", P + b"Transfer-Encoding: gzip\r\n\r\nabc", 400),
    ("te_chunked_twice", P + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    (
        "te_chunked_two_headers",
        P + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    ("te_identity", P + b"Transfer-Encoding: identity\r\n\r\n", 400),
    ("te_empty", P + b"Transfer-Encoding: \r\n\r\n", 400),
    # chunked bodies
    ("chunk_extension", PC + b"3;foo=bar\r\nabc\r\n0\r\n\r\n", FORWARDED),
    ("chunk_extension_ctl", PC + b"3;a=\x01\r\nabc\r\n0\r\n\r\n", FORWARDED),
    ("chunk_size_trailing_space", PC + b"3 \r\nabc\r\n0\r\n\r\n", FORWARDED),
    ("chunk_size_trailing_tab", PC + b"3\t\r\nabc\r\n0\r\n\r\n", FORWARDED),
    ("chunk_space_before_extension", PC + b"3 ;a=b\r\nabc\r\n0\r\n\r\n", FORWARDED),
    ("chunk_lf_only", PC + b"3\nabc\n0\n\n", FORWARDED),
    ("chunk_trailers", PC + b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", FORWARDED),
    ("chunk_trailer_bad_name", PC + b"3\r\nabc\r\n0\r\nBad Name: x\r\n\r\n", 400),
    ("chunk_trailer_no_colon", PC + b"3\r\nabc\r\n0\r\nX-T\r\n\r\n", 400),
    ("chunk_leading_zeros", PC + b"00000000000000000003\r\nabc\r\n0\r\n\r\n", FORWARDED),
    ("chunk_size_not_hex", PC + b"zz\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk_size_leading_space", PC + b" 3\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk_size_2_pow_52", PC + b"10000000000000\r\nabc", 400),
    ("chunk_size_overflow", PC + b"10000000000000003\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk_size_negative", PC + b"-3\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk_size_0x", PC + b"0x3\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk_size_empty", PC + b"\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk_data_without_crlf", PC + b"3\r\nabcX\r\n0\r\n\r\n", 400),
    # header syntax
    ("hdr_space_before_colon", G + b"Foo : bar\r\n\r\n", 400),
    ("hdr_tab_before_colon", G + b"Foo\t: bar\r\n\r\n", 400),
    ("hdr_non_token_name", G + b"Fo(o: bar\r\n\r\n", 400),
    ("hdr_8bit_name", G + b"F\xe9o: bar\r\n\r\n", 400),
    ("hdr_empty_name", G + b": bar\r\n\r\n", 400),
    ("hdr_no_colon", G + b"Foo bar\r\n\r\n", 400),
    ("hdr_bare_cr", G + b"Foo: b\rar\r\n\r\n", 400),
    ("hdr_first_line_folded", b"GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400),
    ("hdr_nul_value", G + b"Foo: b\x00ar\r\n\r\n", FORWARDED),
    ("hdr_ctl_value", G + b"Foo: b\x01ar\r\n\r\n", FORWARDED),
    ("hdr_del_value", G + b"Foo: b\x7far\r\n\r\n", FORWARDED),
    ("hdr_8bit_value", G + b"Foo: b\xe9ar\r\n\r\n", FORWARDED),
    ("hdr_tab_in_value", G + b"Foo: b\tar\r\n\r\n", FORWARDED),
    ("hdr_obs_fold", G + b"Foo: bar\r\n baz\r\n\r\n", FORWARDED),
    # Host and the request target
    ("host_duplicate_same", G + b"Host: x\r\n\r\n", FORWARDED),
    ("host_duplicate_case", G + b"host: X\r\n\r\n", FORWARDED),
    ("host_duplicate_differ", G + b"Host: y\r\n\r\n", 400),
    ("host_duplicate_port", G + b"Host: x:80\r\n\r\n", 400),
    ("host_missing_http11", b"GET / HTTP/1.1\r\n\r\n", FORWARDED),
    ("host_missing_http10", b"GET / HTTP/1.0\r\n\r\n", FORWARDED),
    ("host_empty", b"GET / HTTP/1.1\r\nHost:\r\n\r\n", FORWARDED),
    ("absolute_same_host", b"GET http://x/p HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("absolute_other_host", b"GET http://y/p HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("absolute_without_host", b"GET http://y/p HTTP/1.1\r\n\r\n", FORWARDED),
    ("absolute_default_port", b"GET http://x:80/p HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("absolute_https_443", b"GET https://x:443/p HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("absolute_host_case", b"GET http://X/p HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("absolute_port_8080", b"GET http://x:8080/p HTTP/1.1\r\nHost: x:8080\r\n\r\n", FORWARDED),
    ("absolute_port_vs_none", b"GET http://x:8080/p HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("absolute_host_default_port", b"GET http://x/p HTTP/1.1\r\nHost: x:80\r\n\r\n", FORWARDED),
    ("absolute_no_path", b"GET http://x HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("absolute_query_no_path", b"GET http://x?a=1 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("absolute_userinfo", b"GET http://u@x/ HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("connect", b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", FORWARDED),
    # request line
    ("bad_method", b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("version_2_0", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", FORWARDED),
    ("version_1_2", b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", FORWARDED),
    ("version_3_0", b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", FORWARDED),
    ("version_0_9_explicit", b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", FORWARDED),
    ("version_1_10", b"GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400),
    ("version_1_01", b"GET / HTTP/1.01\r\nHost: x\r\n\r\n", 400),
    ("version_11_1", b"GET / HTTP/11.1\r\nHost: x\r\n\r\n", 400),
    ("version_no_minor", b"GET / HTTP/1\r\nHost: x\r\n\r\n", 400),
    ("version_lowercase", b"GET / http/1.1\r\nHost: x\r\n\r\n", 400),
    ("http09", b"GET /\r\n\r\n", 400),
    ("version_trailing_space", b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
    ("empty_target", b"GET  HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("uri_space", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("uri_nul", b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("uri_8bit", b"GET /a\xe9b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("uri_ctl", b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("uri_tab", b"GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("uri_hash", b"GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("uri_del", b"GET /a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n", FORWARDED),
    ("uri_unsafe_ascii", b'GET /a"b<>{}|\\^` HTTP/1.1\r\nHost: x\r\n\r\n', FORWARDED),
    # Connection / Upgrade / Expect
    (
        "connection_other_tokens",
        G + b"Connection: X-Foo\r\nX-Foo: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n\r\n",
        FORWARDED,
    ),
    ("connection_close_list", G + b"Connection: foo, CLOSE\r\n\r\n", FORWARDED),
    (
        "http10_keep_alive",
        b"GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
        FORWARDED,
    ),
    ("http10_connection_other", b"GET / HTTP/1.0\r\nHost: x\r\nConnection: foo\r\n\r\n", FORWARDED),
    (
        "websocket_with_key",
        G + b"Connection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        FORWARDED,
    ),
    ("websocket_without_key", G + b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 400),
    ("websocket_case_without_key", G + b"Connection: upgrade\r\nUpgrade: WebSocket\r\n\r\n", 400),
    (
        "websocket_listed_without_key",
        G + b"Connection: upgrade\r\nUpgrade: foo, websocket\r\n\r\n",
        400,
    ),
    (
        "websocket_http10_without_key",
        b"GET / HTTP/1.0\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
        400,
    ),
    (
        "upgrade_h2c",
        G + b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
        FORWARDED,
    ),
    ("upgrade_without_connection", G + b"Upgrade: websocket\r\n\r\n", FORWARDED),
    ("expect_continue", P + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", FORWARDED),
    (
        "expect_http10",
        b"POST / HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        FORWARDED,
    ),
    # limits: 15360 bytes of HTX (15273 wire bytes with two headers, 4 less per
    # extra header), 16320 raw bytes, 100 header lines.
    ("head_at_limit", _sized_head(15273), FORWARDED),
    ("head_over_limit", _sized_head(15274), 400),
    ("head_at_limit_12_headers", _sized_head(15233, 10), FORWARDED),
    ("head_over_limit_12_headers", _sized_head(15234, 10), 400),
    ("raw_ows_at_limit", _ows_head(16320), FORWARDED),
    ("raw_ows_over_limit", _ows_head(16321), 400),
    ("headers_100", _headers(100), FORWARDED),
    ("headers_101", _headers(101), 400),
]


def proxy_verdict(data: bytes) -> Verdict:
    """What our engine would do with ``data``: parse the head, scan a chunked body."""
    try:
        head = parse_request_head(data)
        assert head is not None, "complete request reported incomplete"
        if head.chunked:
            forwarded, done = ChunkedScanner().feed(memoryview(data)[head.head_size :])
            assert done and head.head_size + forwarded == len(data)
    except HttpError as error:
        return error.status
    return FORWARDED


@pytest.mark.parametrize(
    ("name", "data", "expected"), HAPROXY_CASES, ids=[c[0] for c in HAPROXY_CASES]
)
def test_request_verdict_matches_haproxy(name: str, data: bytes, expected: Verdict) -> None:
    assert proxy_verdict(data) == expected


# --------------------------------------------------------------------------
# Differential test against h11 on the same bytes (request heads only).

# Cases where HAProxy (and so we) intentionally disagree with h11 on accept/reject.
H11_VERDICT_DIFFERENCES: Final[dict[str, str]] = {
    "leading_crlf": "HAProxy skips empty lines before the request line",
    "authority_target_not_host": "HAProxy reads the target as an authority that must match Host",
    "authority_target_host_port": "HAProxy reads the target as an authority that must match Host",
    "authority_target_with_slash": "HAProxy refuses an authority-form target with a '/'",
    "absolute_target_bad_scheme": "HAProxy refuses a scheme that does not start with a letter",
    "authority_target_no_host": "HAProxy forwards an HTTP/1.1 request without Host; h11 refuses it",
    "http10_get_body": "HAProxy refuses a body on an HTTP/1.0 GET/HEAD/DELETE",
    "http10_head_body": "HAProxy refuses a body on an HTTP/1.0 GET/HEAD/DELETE",
    "http10_delete_chunked": "HAProxy refuses a body on an HTTP/1.0 GET/HEAD/DELETE",
    "double_space": "HAProxy tolerates repeated spaces in the request line",
    "cl_overflow": "HAProxy caps Content-Length at 2^63-1; h11 has no cap",
    "cl_2_pow_63": "HAProxy caps Content-Length at 2^63-1; h11 has no cap",
    "te_trailing_comma": "HAProxy ignores empty list elements in Transfer-Encoding",
    "hdr_nul_value": "HAProxy forwards NUL in header values; h11 refuses it",
    "host_duplicate_same": "HAProxy merges identical Host headers; h11 refuses any repeat",
    "host_duplicate_case": "HAProxy compares Host headers case-insensitively",
    "host_missing_http11": "HAProxy does not require Host in HTTP/1.1",
    "absolute_without_host": "HAProxy takes the host from an absolute-form target",
    "absolute_other_host": "HAProxy checks the target's authority against Host",
    "absolute_port_vs_none": "HAProxy checks the target's authority against Host",
    "absolute_query_no_path": "HAProxy refuses 'http://h?q' (query without path)",
    "uri_hash": "HAProxy 2.6.12 refuses '#' in the request target",
    "uri_del": "HAProxy accepts DEL in the request target",
    "websocket_without_key": "HAProxy refuses a WebSocket upgrade without its key",
    "websocket_case_without_key": "HAProxy refuses a WebSocket upgrade without its key",
    "websocket_listed_without_key": "HAProxy refuses a WebSocket upgrade without its key",
    "websocket_http10_without_key": "HAProxy refuses a WebSocket upgrade without its key",
    "head_over_limit": "HAProxy's head limit (15360 bytes of HTX) is below h11's 16 KiB",
    "head_over_limit_12_headers": "HAProxy's head limit (15360 bytes of HTX) is below h11's",
    "raw_ows_over_limit": "HAProxy's raw buffer limit (16320) is below h11's 16 KiB",
    "headers_101": "HAProxy allows at most 100 header lines; h11 counts bytes only",
}
# Header values we keep as sent while h11 normalizes them.
H11_VALUE_DIFFERENCES: Final[dict[str, str]] = {
    "cl_duplicate_same": "h11 merges repeated identical Content-Length headers",
    "cl_list_same": "h11 collapses a Content-Length list",
    "te_mixed_case": "h11 lower-cases Transfer-Encoding",
    "hdr_obs_fold": "HAProxy turns the CRLF of a fold into spaces ('bar   baz'); h11 uses one",
}


def h11_request(data: bytes) -> h11.Request | None:
    """h11's reading of a request head; None when it refuses it."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(data)
    try:
        event = connection.next_event()
    except h11.RemoteProtocolError:
        return None
    assert isinstance(event, h11.Request), event
    return event


def our_request(data: bytes) -> RequestHead | None:
    try:
        head = parse_request_head(data)
    except HttpError:
        return None
    assert head is not None
    return head


def assert_same_request(ours: RequestHead, theirs: h11.Request) -> None:
    assert ours.method == theirs.method
    assert ours.target == theirs.target
    assert [(name.lower(), value) for name, value in ours.headers] == list(theirs.headers)


@pytest.mark.parametrize(
    ("name", "data"), [c[:2] for c in HAPROXY_CASES], ids=[c[0] for c in HAPROXY_CASES]
)
def test_head_parser_agrees_with_h11(name: str, data: bytes) -> None:
    ours, theirs = our_request(data), h11_request(data)
    if name in H11_VERDICT_DIFFERENCES:
        assert (ours is None) != (theirs is None), "documented difference no longer holds"
        return
    assert (ours is None) == (theirs is None)
    if ours is None or theirs is None:
        return
    if name in H11_VALUE_DIFFERENCES:
        assert [(n.lower(), v) for n, v in ours.headers] != list(theirs.headers)
    else:
        assert_same_request(ours, theirs)


_NAME_CHARS: Final = "!#$%&'*+-.^_`|~0123456789abcdefXYZ"
_VALUE_CHARS: Final = "".join(map(chr, range(0x20, 0x7F))) + "\t\x00\x01\x7f\x80\xe9\xff"
_SPECIAL_NAMES: Final = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "expect",
}


@st.composite
def header_sets(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    names = st.text(_NAME_CHARS + " (@\x7f\xe9", min_size=0, max_size=12)
    values = st.text(_VALUE_CHARS, max_size=20)
    pairs = draw(st.lists(st.tuples(names, values), max_size=8))
    return [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in pairs
        # A leading space would make the line an obs-fold (tested elsewhere).
        if name.lower() not in _SPECIAL_NAMES and not name.startswith(" ")
    ]


@settings(max_examples=300, deadline=None)
@given(header_sets())
def test_fuzzed_header_sets_agree_with_h11(headers: list[tuple[bytes, bytes]]) -> None:
    data = G + b"".join(n + b": " + v + b"\r\n" for n, v in headers) + b"\r\n"
    ours, theirs = our_request(data), h11_request(data)
    names_valid = all(n and not n.translate(None, _NAME_CHARS.encode()) for n, _ in headers)
    assert (ours is not None) == names_valid
    # The one documented difference: NUL in a value (HAProxy forwards it).
    if names_valid and any(b"\x00" in v for _, v in headers):
        assert theirs is None
        return
    assert (ours is None) == (theirs is None)
    if ours is not None and theirs is not None:
        assert_same_request(ours, theirs)
        assert ours.headers[1:] == [(n, v.strip(b" \t")) for n, v in headers]


# --------------------------------------------------------------------------
# Request head details.

KEEP_ALIVE_CASES: Final = [
    ("http11_default", G + b"\r\n", True),
    ("http11_close", G + b"Connection: close\r\n\r\n", False),
    ("http11_close_in_list", G + b"Connection: foo, CLOSE\r\n\r\n", False),
    ("http10_default", b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", False),
    ("http10_keep_alive", b"GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", True),
    ("http10_keep_alive_close", b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", False),
    ("cl_and_te", P + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", False),
    (
        "te_http10",
        b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        False,
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "keep_alive"), KEEP_ALIVE_CASES, ids=[c[0] for c in KEEP_ALIVE_CASES]
)
def test_keep_alive(name: str, data: bytes, keep_alive: bool) -> None:
    head = parse_request_head(data)
    assert head is not None and head.keep_alive is keep_alive


def test_cl_and_te_drops_length_and_closes() -> None:
    data = P + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    head = parse_request_head(data)
    assert head is not None
    assert (head.chunked, head.content_length, head.close_after_response) == (True, None, True)
    assert b"content-length" not in render_request_head(head).lower()


def test_request_fields() -> None:
    data = (
        b"\r\nPOST /a/b?x=1&y HTTP/1.1\r\nHost: Example.com\r\nContent-Length: 003\r\n"
        b"Expect: 100-Continue\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nabc"
    )
    head = parse_request_head(data)
    assert head is not None
    assert (head.method, head.target, head.version) == (b"POST", b"/a/b?x=1&y", (1, 1))
    assert (head.path, head.query, head.host) == (b"/a/b", b"x=1&y", b"Example.com")
    assert (head.content_length, head.chunked, head.expect_continue) == (3, False, True)
    assert head.upgrade == b"h2c"
    assert data[head.head_size :] == b"abc"
    assert head.headers[0] == (b"Host", b"Example.com")


@pytest.mark.parametrize(
    ("target", "host", "path", "query"),
    [
        (b"/", b"x", b"/", None),
        (b"/p?", b"x", b"/p", b""),
        (b"http://h:8080/p?q=1", b"h:8080", b"/p", b"q=1"),
        (b"http://u@h", b"h", b"/", None),
        (b"*", b"x", b"*", None),
    ],
)
def test_target_split(target: bytes, host: bytes, path: bytes, query: bytes | None) -> None:
    host_line = b"" if b"://" in target else b"Host: x\r\n"
    head = parse_request_head(b"OPTIONS " + target + b" HTTP/1.1\r\n" + host_line + b"\r\n")
    assert head is not None and (head.host, head.path, head.query) == (host, path, query)


def test_expect_and_upgrade_need_their_conditions() -> None:
    old = parse_request_head(
        b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"
    )
    assert old is not None and not old.expect_continue  # Expect means nothing in HTTP/1.0
    no_token = parse_request_head(G + b"Upgrade: websocket\r\n\r\n")
    assert no_token is not None and no_token.upgrade is None


def test_every_prefix_of_a_request_is_incomplete() -> None:
    data = b"\r\nPOST /x HTTP/1.1\r\nHost: x\r\nFoo: bar\r\n baz\r\nContent-Length: 2\r\n\r\n"
    for cut in range(len(data)):
        assert parse_request_head(data[:cut]) is None, cut
    assert parse_request_head(data) is not None


def test_buffer_types_and_pipelining() -> None:
    data = G + b"\r\n" + b"GET /second HTTP/1.1\nHost: y\n\n"
    for buf in (data, bytearray(data), memoryview(data)):
        first = parse_request_head(buf)
        assert first is not None and first.path == b"/"
        second = parse_request_head(data[first.head_size :])
        assert second is not None and (second.path, second.host) == (b"/second", b"y")


def test_incomplete_head_over_buffer_is_refused() -> None:
    assert parse_request_head(G + b"Foo: " + b"a" * 16000) is None
    with pytest.raises(HttpError) as caught:
        parse_request_head(G + b"Foo: " + b"a" * 17000)
    assert caught.value.status == 400


def test_limits_are_parameters() -> None:
    data = _headers(5)
    assert parse_request_head(data, max_headers=5) is not None
    with pytest.raises(HttpError):
        parse_request_head(data, max_headers=4)
    with pytest.raises(HttpError):
        parse_request_head(_sized_head(1000), max_head=900)


# --------------------------------------------------------------------------
# ChunkedScanner.

CHUNKED_SAMPLE: Final = (
    b"5;name=v\r\nhello\r\n1a \r\n" + b"z" * 26 + b"\r\n0\r\nT: 1\r\nU: 2\r\n\r\n"
)


def test_chunked_every_split_point() -> None:
    stream = CHUNKED_SAMPLE + b"NEXT"
    for cut in range(len(stream) + 1):
        scanner = ChunkedScanner()
        first, done = scanner.feed(memoryview(stream[:cut]))
        if done:
            assert first == len(CHUNKED_SAMPLE)
            continue
        assert first == cut
        second, done = scanner.feed(memoryview(stream[cut:]))
        assert done and first + second == len(CHUNKED_SAMPLE), cut


def test_chunked_byte_by_byte() -> None:
    scanner = ChunkedScanner()
    results = [scanner.feed(CHUNKED_SAMPLE[i : i + 1]) for i in range(len(CHUNKED_SAMPLE))]
    assert results[-1] == (1, True)
    assert all(result == (1, False) for result in results[:-1])
    assert scanner.done and scanner.feed(b"more") == (0, True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(min_size=1, max_size=40), max_size=6),
    st.lists(st.integers(min_value=0, max_value=400), max_size=5),
    st.booleans(),
)
def test_chunked_fuzz(chunks: list[bytes], cuts: list[int], lf_only: bool) -> None:
    eol = b"\n" if lf_only else b"\r\n"
    body = b"".join(b"%x" % len(c) + eol + c + eol for c in chunks) + b"0" + eol + eol
    stream = body + b"GET"
    scanner, consumed, done = ChunkedScanner(), 0, False
    for start, end in zip([0, *sorted(cuts)], [*sorted(cuts), len(stream)], strict=True):
        if done or start >= end:
            continue
        forwarded, done = scanner.feed(memoryview(stream)[max(start, consumed) : end])
        consumed = max(start, consumed) + forwarded
    assert done and consumed == len(body)


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\n",
        b" 3\r\n",
        b"3\r\nabcX",
        b"3\rX",
        b"\r\n",
        b"10000000000000\r\n",
        b"0\r\nT: 1\rX",
        b"0\r\rX",
    ],
)
@pytest.mark.parametrize("status", [400, 502])
def test_chunked_errors(body: bytes, status: int) -> None:
    with pytest.raises(HttpError) as caught:
        ChunkedScanner(error_status=status).feed(body)
    assert caught.value.status == status


def test_chunked_largest_size_is_accepted() -> None:
    assert ChunkedScanner().feed(b"FFFFFFFFFFFFF\r\nabc") == (18, False)


# --------------------------------------------------------------------------
# Response heads (verdicts recorded from haproxy 2.6.12 through a fake server).

R = b"HTTP/1.1 200 OK\r\n"
RESPONSE_ERRORS: Final = [
    ("cl_not_digits", R + b"Content-Length: abc\r\n\r\n"),
    ("cl_duplicate_differ", R + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n"),
    ("te_gzip", R + b"Transfer-Encoding: gzip\r\n\r\n"),
    ("te_gzip_chunked", R + b"Transfer-Encoding: gzip, chunked\r\n\r\n"),
    ("te_chunked_gzip", R + b"Transfer-Encoding: chunked, gzip\r\n\r\n"),
    ("status_not_digits", b"HTTP/1.1 2x0 X\r\n\r\n"),
    ("version_lowercase", b"http/1.1 200 OK\r\n\r\n"),
    ("not_http", b"ICY 200 OK\r\n\r\n"),
    ("header_space_before_colon", R + b"Foo : x\r\n\r\n"),
    ("too_many_headers", R + b"".join(b"H%d: v\r\n" % i for i in range(101)) + b"\r\n"),
    ("too_large", R + b"Foo: " + b"a" * 17000 + b"\r\n\r\n"),
    # HAProxy forwards these garbled statuses verbatim; we refuse them.
    ("status_two_digits", b"HTTP/1.1 20 OK\r\n\r\n"),
    ("status_below_100", b"HTTP/1.1 099 X\r\n\r\n"),
]


@pytest.mark.parametrize(("name", "data"), RESPONSE_ERRORS, ids=[c[0] for c in RESPONSE_ERRORS])
def test_response_errors(name: str, data: bytes) -> None:
    with pytest.raises(HttpError) as caught:
        parse_response_head(data, request_method=b"GET")
    assert caught.value.status == 502


@pytest.mark.parametrize(
    ("data", "method", "expected"),
    [
        (R + b"Content-Length: 2\r\n\r\n", b"GET", (2, False, True, True)),
        (
            R + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET",
            (None, True, True, True),
        ),
        (R + b"\r\n", b"GET", (None, False, False, True)),  # close-delimited
        (R + b"Content-Length: 2\r\n\r\n", b"HEAD", (2, False, True, False)),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", b"GET", (5, False, True, False)),
        (b"HTTP/1.1 304 Not Modified\r\n\r\n", b"GET", (None, False, True, False)),
        (b"HTTP/1.1 100 Continue\r\n\r\n", b"POST", (None, False, True, False)),
        (R + b"\r\n", b"CONNECT", (None, False, True, False)),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", b"GET", (2, False, False, True)),
        (
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n",
            b"GET",
            (2, False, True, True),
        ),
        (b"HTTP/1.1 200\nContent-Length: 2\n\n", b"GET", (2, False, True, True)),
    ],
)
def test_response_framing(
    data: bytes, method: bytes, expected: tuple[int | None, bool, bool, bool]
) -> None:
    head = parse_response_head(data, request_method=method)
    assert head is not None and head.head_size == len(data)
    assert (head.content_length, head.chunked, head.keep_alive, head.body_allowed) == expected


def test_response_incomplete_and_fields() -> None:
    data = b"HTTP/1.1 404 Not Found\r\nServer: s\r\nContent-Length: 0\r\n\r\n"
    for cut in range(len(data)):
        assert parse_response_head(data[:cut], request_method=b"GET") is None
    head = parse_response_head(data, request_method=b"GET")
    assert head is not None
    assert (head.status, head.reason, head.version) == (404, b"Not Found", (1, 1))


# --------------------------------------------------------------------------
# Rendering.  Expected heads are what haproxy 2.6.12 sent to its server or
# client for the same input (recorded with the raw-socket harness below).

RENDER_REQUEST_CASES: Final = [
    (
        G
        + b"X-A: old1\r\nX-Del: 1\r\nx-a: old2\r\nUser-Agent: u\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: x\r\nuser-agent: u\r\nx-forwarded-for: 1.2.3.4\r\nx-a: new\r\n"
        b"x-b: added\r\nx-forwarded-for: 127.0.0.1\r\n\r\n",
    ),
    (
        b"GET / HTTP/1.0\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\nhost: x\r\nx-a: new\r\nx-b: added\r\nx-forwarded-for: 127.0.0.1\r\n"
        b"connection: keep-alive\r\n\r\n",
    ),
    (
        G + b"Connection: Upgrade, keep-alive\r\nUpgrade: foo\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: foo\r\nx-a: new\r\n"
        b"x-b: added\r\nx-forwarded-for: 127.0.0.1\r\n\r\n",
    ),
]
HAPROXY_RULES: Final[list[HeaderEdit]] = [
    ("set", b"X-A", b"new"),
    ("add", b"X-B", b"added"),
    ("del", b"X-Del", b""),
]


@pytest.mark.parametrize(("data", "expected"), RENDER_REQUEST_CASES)
def test_render_request_like_haproxy(data: bytes, expected: bytes) -> None:
    head = parse_request_head(data)
    assert head is not None
    edits = HAPROXY_RULES
    assert render_request_head(head, edits=edits, forwardfor=b"127.0.0.1") == expected


def test_render_request_server_close() -> None:
    head = parse_request_head(G + b"\r\n")
    assert head is not None
    assert render_request_head(head, connection=b"close").endswith(b"connection: close\r\n\r\n")


@pytest.mark.parametrize(
    ("response", "request_bytes", "expected"),
    [
        (
            R + b"Content-Length: 2\r\n\r\n",
            G + b"\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n",
        ),
        (
            R + b"Content-Length: 2\r\n\r\n",
            G + b"Connection: close\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n",
        ),
        (
            R + b"Content-Length: 2\r\n\r\n",
            b"GET / HTTP/1.0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n",
        ),
        (
            R + b"Content-Length: 2\r\n\r\n",
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n",
        ),
        (
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n",
            G + b"\r\n",
            b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n",
        ),
        (R + b"\r\n", G + b"\r\n", b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n"),
        (
            R + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            G + b"\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
        ),
        (
            b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
            G + b"\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ),
        (
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
            G + b"\r\n",
            b"HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n",
        ),
        (
            b"HTTP/1.1 200\r\nFoo: x\r\n y\r\nContent-Length: 2\r\n\r\n",
            G + b"\r\n",
            b"HTTP/1.1 200 \r\nfoo: x   y\r\ncontent-length: 2\r\n\r\n",
        ),
        (
            b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\n",
            G + b"\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n",
        ),
    ],
)
def test_render_response_like_haproxy(
    response: bytes, request_bytes: bytes, expected: bytes
) -> None:
    req = parse_request_head(request_bytes)
    resp = parse_response_head(response, request_method=b"GET")
    assert req is not None and resp is not None
    keep_alive = client_keep_alive(req, resp)
    assert (
        render_response_head(resp, keep_alive=keep_alive, request_version=req.version) == expected
    )


@pytest.mark.parametrize("request_bytes", [G + b"\r\n", b"GET / HTTP/1.0\r\n\r\n"])
@pytest.mark.parametrize("keep_alive", [True, False])
def test_render_interim_response_adds_no_connection(request_bytes: bytes, keep_alive: bool) -> None:
    req = parse_request_head(request_bytes)
    for raw in (
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ws\r\n\r\n",
    ):
        resp = parse_response_head(raw, request_method=b"GET")
        assert req is not None and resp is not None
        rendered = render_response_head(resp, keep_alive=keep_alive, request_version=req.version)
        assert rendered == raw.replace(b"Connection", b"connection").replace(
            b"Upgrade:", b"upgrade:"
        )


def test_render_response_edits() -> None:
    resp = parse_response_head(R + b"Server: s\r\nContent-Length: 0\r\n\r\n", request_method=b"GET")
    assert resp is not None
    edits: list[HeaderEdit] = [("del", b"server", b""), ("add", b"X-Y", b"1")]
    rendered = render_response_head(resp, keep_alive=True, edits=edits)
    assert rendered == b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-y: 1\r\n\r\n"


# --------------------------------------------------------------------------
# Built-in error responses.

RECORDED_503: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\n"
    b"content-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\n"
    b"No server is available to handle this request.\n</body></html>\n"
)
RECORDED_EARLY_400: Final = (
    b"HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\n"
    b"Connection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\n"
    b"Your browser sent an invalid request.\n</body></html>\n"
)
ERROR_STATUSES: Final = [
    200,
    400,
    401,
    403,
    404,
    405,
    407,
    408,
    410,
    413,
    421,
    422,
    425,
    429,
    500,
    501,
    502,
    503,
    504,
]


def test_error_responses_recorded() -> None:
    assert error_response(503) == RECORDED_503
    assert early_error_response(400) == RECORDED_EARLY_400


@pytest.mark.parametrize("status", ERROR_STATUSES)
def test_error_responses_are_well_formed(status: int) -> None:
    for raw in (error_response(status), early_error_response(status)):
        response = parse_response_head(raw, request_method=b"GET")
        assert response is not None and response.status == status
        assert response.content_length == len(raw) - response.head_size


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (302, b"Moved Temporarily"),  # HAProxy's wording, not "Found"
        (502, b"Bad Gateway or Proxy Error"),
        (506, b"Variant also negotiate"),
        (299, b"Success"),
        (460, b"Client Error"),
        (600, b"Other"),
    ],
)
def test_reason_phrase(status: int, reason: bytes) -> None:
    assert reason_phrase(status) == reason


def test_error_response_unknown_status() -> None:
    with pytest.raises(KeyError):
        error_response(414)  # HAProxy 2.6 has no 414 (nor 431) page


# --------------------------------------------------------------------------
# The same tables against the real haproxy 2.6 (skipped without the binary).

HAPROXY_CONFIG: Final = """
global
  maxconn 100
defaults
  mode http
  timeout connect 1s
  timeout client 3s
  timeout server 3s
  timeout http-request 500ms
frontend fe
  bind fd@{fd}
{deny_rules}
{return_rules}
  use_backend empty if {{ path /no-server }}
  default_backend be
backend be
  server s1 127.0.0.1:{server_port}
backend empty
"""


class RecordingServer:
    """Accepts on 127.0.0.1, records each request and answers 200 "ok"."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self) -> None:
        # A short accept timeout lets close() stop the loop without waiting.
        self.listener.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        data = b""
        try:
            while not _request_complete(data):
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            self.requests.append(data)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        except OSError:
            return

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=2)
        self.listener.close()


def _request_complete(data: bytes) -> bool:
    """Loose framing for the recorder (independent of the code under test)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    lower = head.lower()
    if b"\ntransfer-encoding:" in lower:
        return body.endswith(b"\r\n\r\n") or body.endswith(b"\n\n")
    if b"\ncontent-length:" in lower:
        return len(body) >= int(lower.split(b"\ncontent-length:")[1].split(b"\r\n")[0])
    return True


@dataclass
class Haproxy:
    port: int
    server: RecordingServer


@pytest.fixture(scope="module")
def haproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Haproxy]:
    binary = shutil.which("haproxy")
    if binary is None:
        pytest.skip("haproxy is not installed")
    server = RecordingServer()
    listener = socket.create_server(("127.0.0.1", 0))
    deny = "\n".join(
        f"  http-request deny deny_status {s} if {{ path /deny/{s} }}" for s in ERROR_STATUSES
    )
    returns = "\n".join(
        f"  http-request return status {s} if {{ path /return/{s} }}" for s in RETURN_STATUSES
    )
    config = Path(tmp_path_factory.mktemp("haproxy")) / "haproxy.cfg"
    config.write_text(
        HAPROXY_CONFIG.format(
            fd=listener.fileno(), deny_rules=deny, return_rules=returns, server_port=server.port
        )
    )
    process = subprocess.Popen(
        [binary, "-f", str(config), "-db"],
        pass_fds=[listener.fileno()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        yield Haproxy(listener.getsockname()[1], server)
    finally:
        process.terminate()
        process.wait(timeout=5)
        listener.close()
        server.close()


def exchange(port: int, data: bytes, *, linger: float = 0.0) -> tuple[bytes, bool]:
    """Send ``data``, read one response; also report whether the peer closed
    within ``linger`` seconds after it."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(data)
        response = b""
        while not _response_complete(response):
            chunk = sock.recv(65536)
            if not chunk:
                return response, True
            response += chunk
        if not linger:
            return response, False
        sock.settimeout(linger)
        try:
            return response, sock.recv(1) == b""
        except TimeoutError:
            return response, False


def _response_complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    return bool(length) and len(body) >= int(length[0].split(b":")[1])


RETURN_STATUSES: Final = range(200, 600, 3)

# haproxy 2.6.12 sometimes forwards a trailer named "Bad Name" (lower-cased) and
# sometimes answers 400, depending on connection state we do not control
# (observed both, each reproducibly, in different request sequences).  We
# always refuse it; the live test accepts either answer.
HAPROXY_UNSTABLE: Final[dict[str, set[Verdict]]] = {"chunk_trailer_bad_name": {FORWARDED, 400}}

# HAProxy normalizes "Host: x:443" to "x" for CONNECT; we forward Host as sent.
RENDER_DIFFERENCES: Final = {"connect"}


@pytest.mark.haproxy
def test_haproxy_request_verdicts(haproxy: Haproxy) -> None:
    mismatches = []
    for name, data, expected in HAPROXY_CASES:
        seen_before = len(haproxy.server.requests)
        response, _ = exchange(haproxy.port, data)
        forwarded = haproxy.server.requests[seen_before:]
        status = int(response[9:12]) if response.startswith(b"HTTP/1.1 ") else None
        actual: Verdict | None = FORWARDED if status == 200 and forwarded else status
        if name in HAPROXY_UNSTABLE:
            assert actual in HAPROXY_UNSTABLE[name], name
        elif actual != expected:
            mismatches.append((name, actual, expected))
        elif expected == FORWARDED and name not in RENDER_DIFFERENCES:
            head = parse_request_head(data)
            assert head is not None
            sent_head = forwarded[0][: forwarded[0].index(b"\r\n\r\n") + 4]
            assert render_request_head(head) == sent_head, name
        elif expected != FORWARDED:
            assert response == early_error_response(expected), name
    assert mismatches == []


@pytest.mark.haproxy
@pytest.mark.parametrize(
    ("name", "data", "keep_alive"), KEEP_ALIVE_CASES, ids=[c[0] for c in KEEP_ALIVE_CASES]
)
def test_haproxy_keep_alive(haproxy: Haproxy, name: str, data: bytes, keep_alive: bool) -> None:
    response, closed = exchange(haproxy.port, data, linger=0.3)
    assert response.startswith(b"HTTP/1.1 200 ")
    assert closed is not keep_alive


@pytest.mark.haproxy
def test_haproxy_error_pages(haproxy: Haproxy) -> None:
    for status in ERROR_STATUSES:
        request = b"GET /deny/%d HTTP/1.1\r\nHost: x\r\n\r\n" % status
        assert exchange(haproxy.port, request)[0] == error_response(status), status
    no_server = exchange(haproxy.port, b"GET /no-server HTTP/1.1\r\nHost: x\r\n\r\n")[0]
    assert no_server == error_response(503)
    timed_out = exchange(haproxy.port, b"GET / HTTP/1.1\r\nHost: x\r\n")[0]
    assert timed_out == early_error_response(408)


@pytest.mark.haproxy
def test_haproxy_reason_phrases(haproxy: Haproxy) -> None:
    for status in RETURN_STATUSES:
        request = b"GET /return/%d HTTP/1.1\r\nHost: x\r\n\r\n" % status
        status_line = exchange(haproxy.port, request)[0].split(b"\r\n", 1)[0]
        assert status_line == b"HTTP/1.1 %d %s" % (status, reason_phrase(status))


# --------------------------------------------------------------------------
# The fast path (plain ``bytes`` input) against the general parser (taken for
# any other buffer type): wherever the fast path answers, both must agree, and
# bad input must get the same verdict either way.


def _both_ways(parse: object, data: bytes, **kwargs: object) -> tuple[object, object]:
    def outcome(buf: bytes | bytearray) -> object:
        try:
            return parse(buf, **kwargs)  # type: ignore[operator]
        except HttpError as error:
            return ("error", error.status)

    return outcome(data), outcome(bytearray(data))


@pytest.mark.parametrize(
    ("name", "data"), [c[:2] for c in HAPROXY_CASES], ids=[c[0] for c in HAPROXY_CASES]
)
def test_fast_request_path_agrees_with_the_general_parser(name: str, data: bytes) -> None:
    fast, general = _both_ways(parse_request_head, data)
    assert fast == general


_HEAD_PIECES: Final = [
    b"GET / HTTP/1.1\r\n", b"POST /a?b=c HTTP/1.0\r\n", b"GET http://x/p HTTP/1.1\r\n",
    b"CONNECT x:443 HTTP/1.1\r\n", b"GET  / HTTP/1.1\r\n", b"GET /\xe9 HTTP/1.1\r\n",
    b"Host: x\r\n", b"host: X\r\n", b"Host: y\r\n", b"Content-Length: 3\r\n",
    b"Content-Length: 3, 3\r\n", b"Content-Length: +3\r\n", b"Transfer-Encoding: chunked\r\n",
    b"Connection: close\r\n", b"Connection: keep-alive, Upgrade\r\n", b"Upgrade: websocket\r\n",
    b"Expect: 100-continue\r\n", b"X-A:  spaced \t\r\n", b" folded\r\n", b"Bad Name: v\r\n",
    b"X-B: bare\rCR\r\n", b"X-C: lf-only\n", b": empty\r\n", b"X-D: \x00\x7f\xe9\r\n", b"\r\n",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_HEAD_PIECES), min_size=1, max_size=8))
def test_fuzzed_heads_take_the_same_verdict_on_both_paths(pieces: list[bytes]) -> None:
    data = b"".join(pieces) + b"\r\nbody"
    fast, general = _both_ways(parse_request_head, data)
    assert fast == general
    response = b"HTTP/1.1 200 OK\r\n" + b"".join(pieces[1:]) + b"\r\nbody"
    fast, general = _both_ways(parse_response_head, response, request_method=b"GET")
    assert fast == general


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 \r\nServer: x\r\n\r\n",
        b"HTTP/1.1 200\r\n\r\n",
        b"HTTP/1.1 099 Odd\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nFoo: bar\r\n baz\r\n\r\n",
    ],
)
def test_fast_response_path_agrees_with_the_general_parser(data: bytes) -> None:
    for method in (b"GET", b"HEAD"):
        fast, general = _both_ways(parse_response_head, data, request_method=method)
        assert fast == general


def test_fast_path_leaves_heads_near_the_limits_to_the_general_parser() -> None:
    for data in (_sized_head(15273), _sized_head(15274), _headers(100), _headers(101)):
        fast, general = _both_ways(parse_request_head, data)
        assert fast == general


def test_common_heads_do_take_the_fast_path() -> None:
    # Guards the differential tests above against a fast path that never runs.
    from proxy.engine import http1

    browser = (
        b"GET /app.js?v=3 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0\r\n"
        b"Accept: */*\r\nConnection: keep-alive\r\nCookie: a=b\r\n\r\n"
    )
    for data in (G + b"\r\n", browser, P + b"Content-Length: 3\r\n\r\nabc"):
        assert http1._fast_request(data, MAX_HEAD_SIZE, MAX_HEADERS) is not None
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    assert http1._FAST_STATUS_LINE.match(response) is not None
    assert http1._fast_fields(response, 17, MAX_HEAD_SIZE, MAX_HEADERS) is not None
