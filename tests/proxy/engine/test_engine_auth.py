"""Basic authentication (userlists, ``http-request auth``, ``stats auth``) against HAProxy.

The same config runs on the real HAProxy 2.6 and on the engine; the same raw
requests (good and bad credentials, odd spellings of the header) must get the
same status and the same ``WWW-Authenticate`` challenge from both.
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
import subprocess
from pathlib import Path

import pytest
from _engine_support import raw_exchange, running
from _haproxy_harness import HAVE_HAPROXY, free_port, running_haproxy, wait_listening
from _haproxy_harness import raw_exchange as haproxy_exchange

from proxy.engine.auth import _bcrypt, check_password, md5_crypt, sha_crypt

SHA512_SECRET = sha_crypt(b"secret", "$6$saltsalt")  # alice's password is "secret"

CONFIG = """
userlist admins
    group ops
    user alice password {hash} groups ops
    user bob insecure-password hunter2
defaults
    mode http
    timeout connect 1s
    timeout client 3s
    timeout server 3s
frontend www
    bind 127.0.0.1:{port}
    acl ok http_auth(admins)
    acl is_ops http_auth_group(admins) ops
    http-request auth realm Private if {{ path_beg /private }} !ok
    http-request auth if {{ path_beg /ops }} !is_ops
    http-request return status 200 content-type text/plain string open
listen stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
    stats auth carol:pw
"""


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


# (what is sent: extra header lines) -- each is tried on /private, /ops and /open
AUTHORIZATIONS: list[list[str]] = [
    [],
    [f"Authorization: {basic('alice:secret')}"],
    [f"Authorization: basic {basic('alice:secret')[6:]}"],  # the scheme in any case
    [f"Authorization: Basic    {basic('alice:secret')[6:]}"],  # blanks before the token
    [f"Authorization: {basic('alice:bad')}"],
    [f"Authorization: {basic('bob:hunter2')}"],  # insecure-password, not in group ops
    [f"Authorization: {basic('mallory:secret')}"],
    ["Authorization: Basic !!!"],
    [f"Authorization: {basic('alicesecret')}"],  # no colon
    ["Authorization: Bearer abc.def"],
    [f"Authorization: {basic('alice:secret')}", "Authorization: Basic eA=="],  # first wins
    ["Authorization: Basic eA==", f"Authorization: {basic('alice:secret')}"],
]
PATHS = ["/private", "/ops", "/open"]


def raw_request(path: str, extra: list[str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: test.local", *extra, "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def verdict(response: bytes) -> tuple[int, str | None]:
    """(status, WWW-Authenticate value or None) of a raw response."""
    head = response.partition(b"\r\n\r\n")[0].decode("latin-1")
    found = re.search(r"^www-authenticate: *(.*)$", head, re.I | re.M)
    return int(head.split(" ")[1]), found.group(1).strip() if found else None


def haproxy_verdicts(requests: list[tuple[int, bytes]]) -> list[tuple[int, str | None]]:
    front, stats = free_port(), free_port()
    with running_haproxy(CONFIG.format(hash=SHA512_SECRET, port=front, stats_port=stats)):
        wait_listening(front)
        ports = {0: front, 1: stats}
        return [verdict(haproxy_exchange(ports[which], raw)) for which, raw in requests]


CASES = [(0, raw_request(p, a)) for a in AUTHORIZATIONS for p in PATHS] + [
    (1, raw_request("/stats", [])),
    (1, raw_request("/stats", [f"Authorization: {basic('carol:pw')}"])),
    (1, raw_request("/stats", [f"Authorization: {basic('carol:nope')}"])),
]


@pytest.mark.haproxy
@pytest.mark.skipif(not HAVE_HAPROXY, reason="haproxy binary not installed")
@pytest.mark.asyncio
async def test_authentication_verdicts_match_real_haproxy() -> None:
    theirs = await asyncio.to_thread(haproxy_verdicts, CASES)
    async with running(CONFIG.format(hash=SHA512_SECRET, port=0, stats_port=0)) as engine:
        ports = {0: engine.port_of("www"), 1: engine.port_of("stats")}
        ours = [verdict(await raw_exchange(ports[which], raw)) for which, raw in CASES]
    differing = [(raw.split(b"\r\n")[:3], o, t)
                 for (_, raw), o, t in zip(CASES, ours, theirs, strict=True) if o != t]
    assert differing == []
    assert (401, 'Basic realm="Private"') in ours and (401, 'Basic realm="www"') in ours
    assert (401, 'Basic realm="HAProxy Statistics"') in ours
    assert ours.count((200, None)) >= 10  # and the right ones got in


@pytest.mark.asyncio
async def test_a_challenge_keeps_the_connection_and_is_logged_as_local() -> None:
    async with running(CONFIG.format(hash=SHA512_SECRET, port=0, stats_port=0)) as engine:
        engine.drain_events()  # start recording
        reader, writer = await asyncio.open_connection("127.0.0.1", engine.port_of("www"))
        get = b"GET /private HTTP/1.1\r\nHost: t\r\n\r\n"
        writer.write(get + b"GET /private HTTP/1.1\r\nHost: t\r\nAuthorization: "
                     + basic("alice:secret").encode() + b"\r\n\r\n")
        first = await reader.readuntil(b"</html>\n")
        second = await reader.readuntil(b"open")
        writer.close()
        await asyncio.sleep(0.05)
        events = engine.drain_events()
    assert first.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    assert second.startswith(b"HTTP/1.1 200")  # same connection: keep-alive after a 401
    assert [(e.status, e.termination_state) for e in events[:2]] == [(401, "LR"), (200, "LR")]
    assert events[0].rule == "auth"


@pytest.mark.parametrize(
    "problem",
    ["user eve password $zz$no-crypt-knows$this", "user eve", "member eve",
     "user eve insecure-password x groups nosuchgroup"],
)
def test_unusable_userlists_are_config_errors(problem: str) -> None:
    from proxy.engine.auth import AuthError, compile_userlist

    with pytest.raises(AuthError):
        compile_userlist("L", [problem.split()])


@pytest.mark.parametrize("scheme", ["5", "6"])
@pytest.mark.parametrize(
    ("password", "salt"),
    [("secret", "saltsalt"), ("x", "s"), ("p" * 64, "0123456789abcdef"), ("q" * 200, "long"),
     ("héllo wörld", "sel"), ("pw", "0123456789abcdefTRUNCATED")],
)
def test_sha_crypt_is_what_openssl_computes(scheme: str, password: str, salt: str) -> None:
    expected = subprocess.run(["openssl", "passwd", f"-{scheme}", "-salt", salt, password],
                              capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    assert sha_crypt(password.encode(), f"${scheme}${salt}") == expected


@pytest.mark.parametrize("setting", ["$5$rounds=1000$roundsalt", "$6$rounds=1234$roundsalt"])
def test_sha_crypt_rounds_are_what_openssl_computes(setting: str) -> None:
    scheme, salt = setting[1], setting[3:]
    expected = subprocess.run(["openssl", "passwd", f"-{scheme}", "-salt", salt, "a password"],
                              capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    assert sha_crypt(b"a password", setting) == expected


@pytest.mark.parametrize(
    ("password", "salt"),
    [("secret", "saltsalt"), ("x", "s"), ("p" * 64, "abcdefgh"), ("q" * 200, "long"),
     ("héllo wörld", "sel"), ("pw", "0123456789TRUNCATED"), ("", "empty")],
)
def test_md5_crypt_is_what_openssl_computes(password: str, salt: str) -> None:
    expected = subprocess.run(["openssl", "passwd", "-1", "-salt", salt, password],
                              capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    assert md5_crypt(password.encode(), f"$1${salt}") == expected
    assert check_password(password.encode(), expected)
    assert not check_password(password.encode() + b"!", expected)


# bcrypt vectors from OpenBSD's and libxcrypt's test suites ($2a$/$2b$/$2y$ compute alike)
BCRYPT = "$2y$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q"  # "pw"


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_bcrypt_hashes_check_out(prefix: str) -> None:
    stored = prefix + BCRYPT[4:]
    assert check_password(b"pw", stored)
    assert not check_password(b"pW", stored)
    assert check_password(b"pw\0ignored", stored)  # crypt(3) reads a C string


def test_bcrypt_reads_72_bytes_as_crypt_does() -> None:
    stored = _bcrypt(b"p" * 72, "$2b$04$abcdefghijklmnopqrstuu")
    assert check_password(b"p" * 100, stored)  # bcrypt 5 would raise on > 72 bytes


@pytest.mark.parametrize(
    ("stored", "named"),
    [("$y$j9T$abcdefghijklmnop$wRwvHNqzMkHLG74uLLCRVTwaZ.a1aIothEUeYGf9oED", "yescrypt ('$y$')"),
     ("abJnggxhB/yWI", "DES"), ("$zz$x$y", "'zz'")],
)
def test_unsupported_hashes_say_what_to_use_instead(stored: str, named: str) -> None:
    from proxy.engine.auth import AuthError, compile_userlist

    with pytest.raises(AuthError) as raised:
        compile_userlist("L", [["user", "eve", "password", stored]])
    message = str(raised.value)
    assert named in message and "not supported on this platform" in message
    assert "SHA-512 ($6$" in message


def test_an_unsupported_hash_is_a_located_error_before_the_engine_starts(tmp_path: Path) -> None:
    from proxy.app.run_commands import load_for_engine

    path = tmp_path / "auth.cfg"
    path.write_text(CONFIG.format(hash="$y$j9T$abcdefghijklmnop$wRwvHNqzMkHLG74uLLCRVTwaZ.a1aIothEUeYGf9oED",
                                  port=8080, stats_port=8081))
    err = io.StringIO()
    assert load_for_engine(path, tmp_path, err) is None
    assert re.search(rf"^{re.escape(str(path))}:2:1: error: userlist 'admins': user 'alice': this "
                     r"password hash type \(yescrypt \('\$y\$'\)\) is not supported", err.getvalue(),
                     re.M), err.getvalue()


@pytest.mark.haproxy
@pytest.mark.skipif(not HAVE_HAPROXY, reason="haproxy binary not installed")
@pytest.mark.asyncio
async def test_md5_and_bcrypt_verdicts_match_real_haproxy() -> None:
    hashes = [md5_crypt(b"secret", "$1$saltsalt"), _bcrypt(b"secret", "$2y$04$abcdefghijklmnopqrstuu")]
    cases = [(0, raw_request("/private", [f"Authorization: {basic(c)}"]))
             for c in ("alice:secret", "alice:Secret", "alice:secret2")]
    def theirs(stored: str) -> list[tuple[int, str | None]]:
        front, stats = free_port(), free_port()
        with running_haproxy(CONFIG.format(hash=stored, port=front, stats_port=stats)):
            wait_listening(front)
            return [verdict(haproxy_exchange(front, raw)) for _, raw in cases]

    for stored in hashes:
        expected = await asyncio.to_thread(theirs, stored)
        async with running(CONFIG.format(hash=stored, port=0, stats_port=0)) as engine:
            ours = [verdict(await raw_exchange(engine.port_of("www"), raw)) for _, raw in cases]
        assert ours == expected, stored
        assert [status for status, _ in ours] == [200, 401, 401]


def test_duplicated_users_and_groups_keep_the_first_as_haproxy() -> None:
    from proxy.engine.auth import compile_userlist

    userlist = compile_userlist("L", [
        ["group", "g"], ["group", "g", "users", "bob"],
        ["user", "bob", "insecure-password", "first"],
        ["user", "bob", "insecure-password", "second"],
    ])
    headers = [(b"Authorization", basic("bob:first").encode())]
    assert userlist.authenticate(headers) == "bob"
    assert userlist.authenticate([(b"Authorization", basic("bob:second").encode())]) is None
    assert not userlist.in_groups("bob", ["g"])  # the second "group g" line was ignored
    assert userlist.ignored == ("ignoring duplicated group 'g' in userlist 'L'.",
                                "ignoring duplicated user 'bob' in userlist 'L'.")
