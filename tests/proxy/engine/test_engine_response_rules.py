"""http-response rules read the response: status, res.hdr(), res.cook(), srv_name...

Real sockets: a loopback server answers with ``Server: x``, two ``Set-Cookie``
lines and a repeated ``X-List`` header (404 for paths holding "missing"),
the engine and Debian's haproxy 2.6 proxy to it with the same rules, and the
client compares the headers each adds.  The request fetches HAProxy keeps
from response rules (``path_beg`` there "will never match") are "no sample"
in the engine too: the ACL fails, ``!``/``unless`` of it passes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from proxy.config.load import check_text
from proxy.config.validate import ENGINE_REFUSES
from tests.proxy.engine._engine_support import (
    HTTP_DEFAULTS,
    LoopbackServer,
    Response,
    request,
    running,
    serving,
)
from tests.proxy.engine._haproxy_harness import (
    HAVE_HAPROXY,
    free_port,
    running_haproxy,
    wait_listening,
)

ANSWER = (
    b"HTTP/1.1 %s\r\nServer: x\r\nSet-Cookie: sid=42; Path=/\r\nSet-Cookie: theme=dark\r\n"
    b'Set-Cookie: $Version=1; lang = "en,fr" ; Path=/\r\n'
    b"X-List: a, b\r\nX-List: c\r\nContent-Length: 3\r\n\r\nok\n"
)


@dataclass(eq=False)
class Answering(LoopbackServer):
    """Keep-alive HTTP/1.1: 404 for a path holding "missing", 200 otherwise."""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1]
                status = b"404 Not Found" if b"missing" in target else b"200 OK"
                writer.write(ANSWER % status)
                await writer.drain()


@contextlib.asynccontextmanager
async def answering() -> AsyncIterator[int]:
    async with serving(Answering()) as server:
        yield server.port


# The brief's example, plus what each fetch family and the no-value rules give.
RULES = """\
frontend fe
    bind 127.0.0.1:{port}
    acl is_api path_beg /api
    http-request deny if {{ status 404 }} or {{ srv_name -m found }}
    http-request set-var(txn.before) str(passed) unless {{ res.hdr(server) -m found }}
    http-response set-header X-Names %[res.hdr_names]
    http-response set-header X-Status-404 yes if {{ status 404 }}
    http-response set-header X-Not-404 yes unless {{ status 404 }}
    http-response set-header X-Api yes if {{ path_beg /api }}
    http-response set-header X-Unless-Api yes unless {{ path_beg /api }}
    http-response set-header X-Not-Api yes if !{{ path_beg /api }}
    http-response set-header X-Named-Api yes if is_api
    http-response set-header X-Named-Not-Api yes if !is_api
    http-response set-header X-Host yes if {{ hdr(host) -m found }}
    http-response set-header X-Srv %[res.hdr(server)]
    http-response set-header X-Hdr %[hdr(x-list)]
    http-response set-header X-First %[res.hdr(x-list,1)]
    http-response set-header X-Fhdr %[res.fhdr(x-list)]
    http-response set-header X-Counts %[res.hdr_cnt(x-list)]/%[res.fhdr_cnt(x-list)]/%[res.cook_cnt]
    http-response set-header X-Cookie %[res.cook(sid)]/%[res.cook]/%[scook(theme)]/%[res.cook(lang)]
    http-response set-header X-Server %[srv_name]-%[srv_id]
    http-response set-header X-Ver %[res.ver]
    http-response set-header X-List-C yes if {{ res.hdr(x-list) c }}
    http-response set-header X-Three yes if {{ shdr_cnt(x-list) eq 3 }} {{ res.fhdr_cnt(x-list) 2 }}
    http-response set-header X-Sid yes if {{ res.cook(sid) 42 }} {{ res.cook_val(sid) gt 40 }}
    http-response set-header X-Srv-Acl yes if {{ srv_name s1 }} {{ srv_id 1 }} {{ res.ver 1.1 }}
    http-response set-header X-Shorthands yes if {{ shdr_beg(x-list) c }} {{ scook_sub(theme) ar }}
    http-response set-var(txn.code) status
    http-response set-header X-Var %[var(txn.code)]
    http-response set-header X-Before %[var(txn.before)]
    default_backend be
backend be
    http-response set-header X-Be %[status]
    server s1 127.0.0.1:{backend}
"""

TARGETS = ("/", "/api/users", "/missing", "/api/missing")


def _added(response: Response) -> dict[str, str]:
    """The headers the proxy's rules added (the server sends none starting with x- but X-List)."""
    return {k: v for k, v in response.headers.items() if k.startswith("x-") and k != "x-list"}


@pytest.mark.asyncio
async def test_response_rules_read_the_response_and_not_the_request() -> None:
    async with answering() as backend:
        config = HTTP_DEFAULTS + RULES.format(port=0, backend=backend)
        async with running(config) as engine:
            port = engine.port_of("fe")
            page, missing, api = [await request(port, t) for t in ("/", "/missing", "/api/users")]
    assert (missing.status, page.status) == (404, 200)  # the deny never fired: no status there
    assert _added(missing)["x-status-404"] == "yes" and "x-not-404" not in _added(missing)
    assert "x-status-404" not in _added(page) and _added(page)["x-not-404"] == "yes"
    for response in (page, missing, api):
        added = _added(response)
        # path_beg has no value in a response rule: the ACL fails, its negations pass
        assert {"x-api", "x-named-api", "x-host"}.isdisjoint(added)
        assert added["x-unless-api"] == added["x-not-api"] == added["x-named-not-api"] == "yes"
        assert added["x-srv"] == "x"
        assert (added["x-hdr"], added["x-first"], added["x-fhdr"]) == ("c", "a", "c")
        # without a name every attribute counts: "sid=42; Path=/" is two, "$Version" none
        assert added["x-counts"] == "3/2/5"
        assert added["x-cookie"] == '42/42/dark/"en,fr"'  # a quoted comma does not end it
        assert (added["x-server"], added["x-ver"]) == ("s1-1", "1.1")
        assert added["x-list-c"] == added["x-three"] == added["x-sid"] == added["x-srv-acl"] == "yes"
        assert added["x-shorthands"] == "yes"
        assert added["x-var"] == added["x-be"] == str(response.status)
        # a response fetch has no value in a request rule: "unless" of it passes there
        assert added["x-before"] == "passed"
        # the backend's rules ran first (X-Be), as in HAProxy
        assert added["x-names"] == (
            "server,set-cookie,set-cookie,set-cookie,x-list,x-list,content-length,x-be")


def test_check_calls_the_rules_runnable_and_warns_where_haproxy_never_matches() -> None:
    config = HTTP_DEFAULTS + RULES.format(port=18480, backend=18481)
    result = check_text(config)
    assert not result.errors, result.errors
    assert not [d for d in result.diagnostics if d.code == ENGINE_REFUSES]
    never = {d.line for d in result.diagnostics if "will never match" in d.message}
    markers = ("http-request deny", "txn.before) str", "X-Api ", "X-Unless-Api", "X-Not-Api", "X-Named-Api",
               "X-Named-Not-Api", "X-Host")
    lines = config.splitlines()
    assert never == {n for n, line in enumerate(lines, 1) if any(m in line for m in markers)}


@pytest.mark.asyncio
@pytest.mark.skipif(not HAVE_HAPROXY, reason="needs Debian's haproxy")
async def test_the_engine_adds_the_response_headers_haproxy_adds() -> None:
    ours_port, theirs_port = free_port(), free_port()
    async with answering() as backend:
        ours = HTTP_DEFAULTS + RULES.format(port=ours_port, backend=backend)
        theirs = HTTP_DEFAULTS + RULES.format(port=theirs_port, backend=backend)
        with running_haproxy(theirs):
            wait_listening(theirs_port)
            async with running(ours):
                for target in TARGETS:
                    engine, haproxy = await asyncio.gather(
                        request(ours_port, target), request(theirs_port, target))
                    assert engine.status == haproxy.status, target
                    assert _added(engine) == _added(haproxy), target


COOKIES = """\
frontend fe
    bind 127.0.0.1:{port}
    http-request set-var(txn.named) req.cook(a)
    http-request set-var(txn.any) req.cook
    http-request set-var(txn.cook) cook(b)
    http-response set-header X-Named %[var(txn.named)]
    http-response set-header X-Any %[var(txn.any)]
    http-response set-header X-Cook %[var(txn.cook)]
    default_backend be
backend be
    server s1 127.0.0.1:{backend}
"""


@pytest.mark.asyncio
@pytest.mark.skipif(not HAVE_HAPROXY, reason="needs Debian's haproxy")
async def test_a_request_cookie_sample_is_its_last_occurrence_as_in_haproxy() -> None:
    ours_port, theirs_port = free_port(), free_port()
    headers = {"Cookie": "a=1; b=2; a=3"}
    async with answering() as backend:
        with running_haproxy(HTTP_DEFAULTS + COOKIES.format(port=theirs_port, backend=backend)):
            wait_listening(theirs_port)
            async with running(HTTP_DEFAULTS + COOKIES.format(port=ours_port, backend=backend)):
                engine, haproxy = await asyncio.gather(
                    request(ours_port, "/", headers=headers), request(theirs_port, "/", headers=headers))
    assert _added(haproxy) == {"x-named": "3", "x-any": "1", "x-cook": "2"}
    assert _added(engine) == _added(haproxy)
