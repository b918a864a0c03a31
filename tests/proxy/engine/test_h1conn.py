"""The sans-IO HTTP/1 exchange (proxy/engine/h1conn.py), driven by playbooks: no sockets, no sleeps.

Each test scripts what the client, the server, the driver and the clock do and
lists the effects the exchange must answer with (see _playbook.py).  The
loopback tests (test_engine_http.py, test_engine_errors.py) and the
HAProxy-differential ones (test_http1.py) stay the end-to-end layer.
"""

from __future__ import annotations

import pytest

from proxy.engine import http1
from proxy.engine.http1 import RequestHead
from proxy.engine.runtime import Timeouts
from tests.proxy.engine._playbook import (
    Playbook,
    RecordingDriver,
    abort_both,
    abort_server,
    advance,
    bad_request,
    client,
    client_eof,
    client_lost,
    close,
    connected,
    fail,
    keeps_open,
    log,
    need_server,
    pause_client,
    release_server,
    resume_client,
    route,
    send_client,
    send_server,
    server,
    server_eof,
    server_error,
    server_lost,
    shutdown_client,
    shutdown_server,
    timer,
)
from tests.proxy.engine.test_http1 import FORWARDED, HAPROXY_CASES, Verdict

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
GET_FWD = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
OK_FWD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"


def get(path: bytes) -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"


def get_fwd(path: bytes) -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nhost: x\r\n\r\n"


def proxied_ok(book: Playbook, *, keep: bool = True) -> Playbook:
    """The response half of a plain exchange (continues ``book``)."""
    return (book >> server(OK) >> send_client(OK_FWD) >> release_server(True)
            >> log(proxied=True, keep=keep, status=200))


# ------------------------------------------------------------------ keep-alive, pipelining
def test_a_request_is_routed_forwarded_and_answered() -> None:
    assert proxied_ok(
        Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD))


def test_keep_alive_serves_the_next_request_on_the_same_connection() -> None:
    book = Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
    book = proxied_ok(book)
    book = book >> client(get(b"/2")) >> need_server() >> connected(reused=True) >> send_server(get_fwd(b"/2"))
    assert proxied_ok(book)
    assert book.exchange.requests == 2


def test_pipelined_requests_wait_for_the_previous_response_and_go_in_order() -> None:
    book = (
        Playbook()
        >> client(get(b"/1") + get(b"/2"))
        >> need_server() >> connected() >> send_server(get_fwd(b"/1"))
        # the second request is only read once the first response is complete
        >> server(OK) >> send_client(OK_FWD) >> release_server(True)
        >> log(proxied=True, keep=True, status=200) >> need_server()
        >> connected(reused=True) >> send_server(get_fwd(b"/2"))
    )
    assert proxied_ok(book)


def test_connection_close_request_closes_after_the_response() -> None:
    book = (Playbook() >> client(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            >> need_server() >> connected() >> send_server(GET_FWD)
            >> server(OK)
            >> send_client(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi")
            >> release_server(True) >> log(proxied=True, keep=False, status=200) >> close("--"))
    assert book


def test_a_close_delimited_response_ends_at_the_server_eof_and_closes_the_client() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> server(b"HTTP/1.1 200 OK\r\n\r\nsome")
            >> send_client(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nsome")
            >> server(b" more") >> send_client(b" more")
            >> server_eof() >> release_server(False) >> log(proxied=True, keep=False, status=200)
            >> close("--"))


def test_more_than_64k_buffered_ahead_pauses_the_client_until_consumed() -> None:
    body = b"x" * 70_000
    post = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    assert (Playbook() >> client(post) >> need_server()
            >> client(body) >> pause_client()  # no server yet: the body waits
            >> connected() >> send_server(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 70000\r\n\r\n")
            >> send_server(body) >> resume_client())


# ------------------------------------------------------------------ bodies
def test_a_content_length_body_is_forwarded_as_it_comes_and_the_rest_stays_buffered() -> None:
    post = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhe"
    fwd = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\n"
    book = (Playbook() >> client(post) >> need_server() >> connected()
            >> send_server(fwd) >> send_server(b"he")
            >> client(b"llo" + GET) >> send_server(b"llo"))  # the GET after it waits
    book = proxied_ok(book) >> need_server()
    assert book


def test_chunked_bodies_are_streamed_both_ways_in_pieces() -> None:
    post = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    fwd = b"POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    resp_fwd = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    assert (Playbook() >> client(post) >> need_server() >> connected() >> send_server(fwd)
            >> client(b"5\r\nhello\r\n") >> send_server(b"5\r\nhello\r\n")
            >> client(b"6\r\n world\r\n") >> send_server(b"6\r\n world\r\n")
            >> client(b"0\r\n\r\n") >> send_server(b"0\r\n\r\n")
            >> server(resp + b"b\r\nhello") >> send_client(resp_fwd + b"b\r\nhello")
            >> server(b" world\r\n") >> send_client(b" world\r\n")
            >> server(b"0\r\n\r\n") >> send_client(b"0\r\n\r\n")
            >> release_server(True) >> log(proxied=True, keep=True, status=200))


def test_a_malformed_chunk_after_forwarding_began_is_400_and_the_server_aborted() -> None:
    post = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert (Playbook() >> client(post) >> need_server() >> connected()
            >> send_server(b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
            >> client(b"zz\r\n") >> bad_request(True) >> abort_server()
            >> send_client(http1.error_response(400))
            >> log(proxied=False, keep=False, status=400, termination="CD") >> close("CD"))


def test_a_malformed_response_chunk_aborts_both_sides() -> None:
    resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> server(resp + b"zz\r\n")
            >> send_client(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            >> abort_both("SD"))


def test_head_and_204_responses_have_no_body() -> None:
    head = b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
    assert (Playbook() >> client(head) >> need_server() >> connected()
            >> send_server(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n")
            >> server(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n")
            >> send_client(b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n")
            >> release_server(True) >> log(proxied=True, keep=True, status=200)
            >> client(GET) >> need_server() >> connected(reused=True) >> send_server(GET_FWD)
            >> server(b"HTTP/1.1 204 No Content\r\n\r\n")
            >> send_client(b"HTTP/1.1 204 No Content\r\n\r\n")
            >> release_server(True) >> log(proxied=True, keep=True, status=204))


# ------------------------------------------------------------------ 1xx and upgrades
def test_expect_100_continue_is_relayed_before_the_body() -> None:
    post = b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
    fwd = b"POST / HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 4\r\n\r\n"
    assert (Playbook() >> client(post) >> need_server() >> connected() >> send_server(fwd)
            >> server(b"HTTP/1.1 100 Continue\r\n\r\n")
            >> send_client(b"HTTP/1.1 100 Continue\r\n\r\n")
            >> client(b"data") >> send_server(b"data")
            >> server(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndata")
            >> send_client(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\ndata")
            >> release_server(True) >> log(proxied=True, keep=True, status=200))


def test_interim_responses_are_forwarded_ahead_of_the_final_one() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> server(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + OK)
            >> send_client(b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n")
            >> send_client(OK_FWD) >> release_server(True) >> log(proxied=True, keep=True, status=200))


KEY = b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
UPGRADE = b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n" + KEY + b"\r\n"
UPGRADE_FWD = (b"GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n"
               + KEY.lower().replace(b"dghlihnhbxbszsbub25jzq==", b"dGhlIHNhbXBsZSBub25jZQ==") + b"\r\n")
SWITCHING = b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
SWITCHING_FWD = b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n"


def upgraded(**kwargs: object) -> Playbook:
    return (Playbook(**kwargs)  # type: ignore[arg-type]
            >> client(UPGRADE) >> need_server() >> connected() >> send_server(UPGRADE_FWD)
            >> server(SWITCHING + b"\x81\x00") >> send_client(SWITCHING_FWD) >> send_client(b"\x81\x00"))


def test_101_switches_to_a_tunnel_relaying_bytes_and_half_closes() -> None:
    assert (upgraded()
            >> client(b"\x81\x05hello") >> send_server(b"\x81\x05hello")
            >> server(b"\x81\x02hi") >> send_client(b"\x81\x02hi")
            >> client_eof() >> shutdown_server() >> keeps_open(True)
            >> server_eof() >> shutdown_client()
            >> server_lost() >> close("--"))


def test_an_idle_tunnel_closes_at_timeout_tunnel() -> None:
    book = upgraded(server_timeouts=Timeouts(server=10.0, tunnel=3.0))
    assert (book >> advance(2.9) >> client(b"x") >> send_server(b"x")  # activity re-arms it
            >> advance(2.9) >> advance(0.2) >> close("cD"))


def test_without_timeout_tunnel_a_tunnel_idles_the_smaller_of_client_and_server() -> None:
    book = upgraded(timeouts=Timeouts(client=4.0, http_request=1.0),
                    server_timeouts=Timeouts(server=6.0))
    assert book >> advance(3.9) >> advance(0.1) >> close("cD")


def test_a_101_without_an_upgrade_request_is_not_a_tunnel() -> None:
    # HAProxy forwards an unrequested 101 like any interim response
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> server(b"HTTP/1.1 101 Switching Protocols\r\n\r\n" + OK)
            >> send_client(b"HTTP/1.1 101 Switching Protocols\r\n\r\n") >> send_client(OK_FWD)
            >> release_server(True) >> log(proxied=True, keep=True, status=200))


# ------------------------------------------------------------------ timeouts (fake clock)
def test_timeout_http_request_answers_408_to_an_incomplete_head() -> None:
    assert (Playbook() >> client(b"GET / HTTP/1.1\r\nHost: x\r\n")
            >> advance(4.99) >> advance(0.01) >> bad_request(False)
            >> send_client(http1.early_error_response(408))
            >> log(proxied=False, keep=False, status=408, termination="cR") >> close("cR"))


def test_a_silent_new_connection_gets_408_at_timeout_http_request() -> None:
    assert (Playbook() >> advance(5) >> bad_request(False) >> send_client(status=408)
            >> log(proxied=False, keep=False, status=408, termination="cR") >> close("cR"))


def test_without_http_request_the_head_waits_timeout_client() -> None:
    assert (Playbook(timeouts=Timeouts(client=7.0)) >> client(b"GET")
            >> advance(6.9) >> advance(0.1) >> bad_request(False) >> send_client(status=408)
            >> log(proxied=False, keep=False, status=408, termination="cR") >> close("cR"))


def test_timeout_http_keep_alive_closes_an_idle_connection_silently() -> None:
    book = proxied_ok(Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD))
    assert book >> advance(1.9) >> advance(0.1) >> close("--")


def test_a_keep_alive_request_gets_timeout_http_request_from_its_first_byte() -> None:
    book = proxied_ok(Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD))
    assert (book >> advance(1.5) >> client(b"GET /2 HTTP/1.1\r\n")  # keep-alive was 2 s
            >> advance(1.0) >> advance(3.9) >> advance(0.1) >> bad_request(False)
            >> send_client(status=408) >> log(proxied=False, keep=False, status=408, termination="cR")
            >> close("cR"))


def test_timeout_server_answers_504_when_no_response_head_came() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> advance(9.9) >> advance(0.1) >> abort_server() >> server_error(504)
            >> send_client(http1.error_response(504))
            >> log(proxied=False, keep=True, status=504, termination="sH"))


def test_timeout_server_during_the_response_body_aborts_both_sides() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> server(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            >> send_client(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
            >> advance(9) >> server(b"de") >> send_client(b"de")  # activity re-arms it
            >> advance(9) >> advance(1) >> abort_both("sD"))


def test_no_client_timer_runs_while_the_driver_queues_or_connects() -> None:
    # the queue and connect timeouts are the driver's (dispatch.py): nothing fires here
    assert Playbook() >> client(GET) >> need_server() >> advance(3600)
    assert (Playbook(timers=True) >> client(GET) >> route(b"/") >> need_server()
            >> connected() >> send_server(GET_FWD) >> timer(10.0))


def test_timeout_queue_or_connect_failure_is_answered_503_by_the_exchange() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> fail(503, "sQ")
            >> abort_server() >> server_error(503, count_error=False)
            >> send_client(http1.error_response(503))
            >> log(proxied=False, keep=True, status=503, termination="sQ"))


# ------------------------------------------------------------------ server failures and retries
def test_a_reused_connection_dying_unanswered_is_retried_once_on_a_fresh_one() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected(reused=True)
            >> send_server(GET_FWD) >> server_lost() >> need_server(fresh=True)
            >> connected() >> send_server(GET_FWD)
            >> server_lost() >> abort_server() >> server_error(502)
            >> send_client(http1.error_response(502))
            >> log(proxied=False, keep=True, status=502, termination="SH"))


def test_a_fresh_connection_dying_unanswered_is_502_at_once() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> server_lost() >> abort_server() >> server_error(502) >> send_client(status=502)
            >> log(proxied=False, keep=True, status=502, termination="SH"))


def test_an_invalid_response_head_is_502_ph() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> server(b"HTTP/1.1 2000 Nope\r\n\r\n") >> abort_server() >> server_error(502)
            >> send_client(status=502) >> log(proxied=False, keep=True, status=502, termination="PH"))


def test_a_server_lost_mid_body_aborts_with_sd() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> server(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            >> send_client(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
            >> server_lost() >> abort_both("SD"))


# ------------------------------------------------------------------ the client going away
def test_client_eof_between_requests_closes_quietly_and_mid_head_is_cr() -> None:
    assert Playbook() >> client_eof() >> close("CR") >> keeps_open(False)
    book = proxied_ok(Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD))
    assert book >> client_eof() >> close("--") >> keeps_open(False)
    assert Playbook() >> client(b"GET /") >> client_eof() >> close("CR") >> keeps_open(False)


def test_client_eof_with_a_request_in_flight_lets_the_response_finish_then_closes() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> client_eof() >> keeps_open(True)
            >> server(OK) >> send_client(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi")
            >> release_server(True) >> log(proxied=True, keep=False, status=200) >> close("--"))


def test_a_client_lost_mid_exchange_is_cd() -> None:
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> client_lost() >> close("CD"))


# ------------------------------------------------------------------ local answers (the strategy)
def deny_admin(driver: RecordingDriver, head: RequestHead) -> bytes | None:
    """A route strategy as the frontend's rules would be: /admin is denied locally."""
    if head.target.startswith(b"/admin"):
        driver.exchange.termination = "PR"
        driver.exchange.respond(http1.error_response(403), 403, close=False)
        return None
    driver.exchange.server_timeouts = driver.server_timeouts
    return http1.render_request_head(head)


def test_a_local_answer_keeps_the_connection_and_the_pipelined_request_goes_on() -> None:
    book = (Playbook(route=deny_admin) >> client(get(b"/admin") + get(b"/"))
            >> send_client(http1.error_response(403))
            >> log(proxied=False, keep=True, status=403, termination="PR")
            >> need_server() >> connected() >> send_server(GET_FWD))
    assert proxied_ok(book)


def test_a_local_answer_to_a_request_with_a_pending_body_closes() -> None:
    def deny_all(driver: RecordingDriver, head: RequestHead) -> bytes | None:
        driver.exchange.respond(http1.error_response(403), 403,
                                close=bool(head.content_length))
        return None

    post = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"
    assert (Playbook(route=deny_all) >> client(post) >> send_client(status=403)
            >> log(proxied=False, keep=False, status=403) >> close("--"))


# ------------------------------------------------------------------ every bad-input case
REFUSED = [(name, data, verdict) for name, data, verdict in HAPROXY_CASES if verdict != FORWARDED]
ACCEPTED = [(name, data, verdict) for name, data, verdict in HAPROXY_CASES if verdict == FORWARDED]


@pytest.mark.parametrize(("name", "data", "verdict"), REFUSED, ids=[c[0] for c in REFUSED])
def test_every_request_haproxy_refuses_gets_its_status_and_reaches_no_server(
    name: str, data: bytes, verdict: Verdict
) -> None:
    assert isinstance(verdict, int)
    book = Playbook(timers=True) >> client(data)
    book.driver.effects.clear()
    book.steps[0].apply(book)
    effects = book.driver.effects
    kinds = [effect[0] for effect in effects]
    assert "route" not in kinds and "need_server" not in kinds and "send_server" not in kinds
    answers = [effect[1] for effect in effects if effect[0] == "send_client"]
    assert answers == [http1.early_error_response(verdict)], name
    assert effects[-1] == ("close", "PR")


@pytest.mark.parametrize(("name", "data", "verdict"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_every_request_haproxy_forwards_is_routed_and_sent_whole(
    name: str, data: bytes, verdict: Verdict
) -> None:
    book = Playbook(accept_any_payload=False) >> client(data)
    book.steps[0].apply(book)
    assert [e for e in book.driver.effects if e[0] in ("send_client", "need_server")] == [
        ("need_server", False)], name
    book.driver.effects.clear()
    book.exchange.server_connected(False)
    sent = b"".join(e[1] for e in book.driver.effects if e[0] == "send_server")  # type: ignore[misc]
    head = http1.parse_request_head(data)
    assert head is not None
    assert sent.startswith(http1.render_request_head(head))
    assert sent.endswith(data[len(data) - (len(sent) - len(http1.render_request_head(head))):])
    assert len(sent) - len(http1.render_request_head(head)) == len(data) - head.head_size


def test_the_playbook_reports_a_mismatch_with_the_transcript() -> None:
    with pytest.raises(AssertionError, match="playbook mismatch"):
        assert Playbook() >> client(GET) >> send_client(b"nothing like this")
    with pytest.raises(AssertionError, match="playbook mismatch"):
        assert Playbook() >> client(GET)  # an effect (need_server) nobody expected


def test_resume_after_pause_when_the_pipeline_drains() -> None:
    # a pipelined burst over 64 KiB while a response is pending pauses the client
    burst = get(b"/" + b"a" * 13_900) * 5  # 70 kB: pauses; one request less: under 64 KiB
    book = (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> client(burst) >> pause_client())

    assert (book >> server(OK) >> send_client(OK_FWD) >> release_server(True)
            >> log(proxied=True, keep=True, status=200)
            >> need_server() >> resume_client())  # the next request is read: below 64 KiB again


def test_a_reused_connection_is_not_retried_once_the_request_body_went_out() -> None:
    post = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"
    assert (Playbook() >> client(post) >> need_server() >> connected(reused=True)
            >> send_server(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n")
            >> send_server(b"ab")
            >> server_lost() >> abort_server() >> server_error(502) >> send_client(status=502)
            >> log(proxied=False, keep=True, status=502, termination="SH"))


def test_connect_with_a_2xx_answer_becomes_a_tunnel() -> None:
    connect = b"CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n"
    assert (Playbook() >> client(connect) >> need_server() >> connected()
            >> send_server(b"CONNECT db:5432 HTTP/1.1\r\nhost: db:5432\r\n\r\n")
            >> server(b"HTTP/1.1 200 Connection established\r\n\r\n")
            >> send_client(b"HTTP/1.1 200 Connection established\r\n\r\n")
            >> client(b"\x00\x01") >> send_server(b"\x00\x01"))


def test_a_closed_exchange_ignores_late_events() -> None:
    # the driver is swapped for a no-op one on close (no session <-> exchange cycle left)
    assert (Playbook() >> client(GET) >> need_server() >> connected() >> send_server(GET_FWD)
            >> client_lost() >> close("CD")
            >> server(OK) >> server_eof() >> advance(60) >> client(GET))
