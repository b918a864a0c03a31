"""HTTP basic authentication against HAProxy ``userlist`` sections.

Theory of operation
-------------------
A ``userlist`` section holds users (``user NAME password HASH | insecure-password
PW [groups G1,G2]``) and groups (``group NAME [users U1,U2]``).  ``compile_userlists``
turns every such section of a config into a ``Userlist``; ``stats auth USER:PW``
lines make an implicit one per proxy, as HAProxy does.

``Userlist.authenticate(headers)`` reads the first ``Authorization`` header
(scheme ``Basic`` in any case, blanks before the credentials allowed -- HAProxy
2.6's ``get_http_auth``), and returns the user's name when the password checks
out, else None.  It backs the ACL fetches ``http_auth(L)`` and
``http_auth_group(L)``, ``http-request auth`` and ``stats auth``.

Password hashes are crypt(3) strings, as HAProxy hands them to the system's
crypt().  Python's ``crypt`` module is never used (deprecated, absent on Windows,
removed in 3.13), so each scheme is computed the same way on every platform:

* SHA-256 and SHA-512 crypt (``$5$``, ``$6$``: ``mkpasswd -m sha-512``,
  ``openssl passwd -6``) and MD5-crypt (``$1$``, ``openssl passwd -1``) here,
  in pure Python with hashlib (both are short, fully specified algorithms);
* bcrypt (``$2a$``, ``$2b$``, ``$2y$``: ``htpasswd -B``) with the ``bcrypt``
  package, the password cut at 72 bytes and at a NUL as crypt(3) does;
* yescrypt (``$y$``, Debian's ``mkpasswd`` default), DES and anything else:
  a configuration error naming the scheme and what to use instead, before
  the engine starts.  No maintained PyPI package does yescrypt (the one that
  exists has had a single release and loads a bundled shared library by path).

A SHA-crypt check costs 5,000 rounds of
hashing (~10 ms here), so verified credentials are remembered by a digest of the
header value (never the password itself) in a small LRU cache, as a browser
sends the same header on every request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import bcrypt

from proxy.engine.http1 import error_response

__all__ = [
    "AuthError",
    "User",
    "Userlist",
    "basic_credentials",
    "check_password",
    "compile_userlist",
    "md5_crypt",
    "sha_crypt",
    "unauthorized_response",
]

_ITOA64 = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ROUNDS_DEFAULT, _ROUNDS_MIN, _ROUNDS_MAX = 5000, 1000, 999_999_999
_CACHE_SIZE = 256

# glibc's sha256-crypt.c / sha512-crypt.c output order: (B2, B1, B0) byte triplets
# of the final digest, each written as four characters, low bits first.
_ORDER_SHA256 = ((0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14),
                 (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29))
_ORDER_SHA512 = ((0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4),
                 (47, 5, 26), (6, 27, 48), (28, 49, 7), (50, 8, 29), (9, 30, 51),
                 (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13), (56, 14, 35),
                 (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60), (40, 61, 19),
                 (62, 20, 41))


class AuthError(ValueError):
    """A userlist line or password hash the engine cannot use; ``partial`` is the
    userlist without what was wrong (so one mistake is reported once, not again by
    every ACL naming the list)."""

    def __init__(self, message: str, partial: Userlist | None = None) -> None:
        super().__init__(message)
        self.partial = partial


# ------------------------------------------------------------------ SHA-crypt


def _b64(b2: int, b1: int, b0: int, count: int) -> bytes:
    word = (b2 << 16) | (b1 << 8) | b0
    out = bytearray()
    for _ in range(count):
        out.append(_ITOA64[word & 0x3F])
        word >>= 6
    return bytes(out)


def _repeat_to(block: bytes, length: int) -> bytes:
    return (block * (length // len(block) + 1))[:length]


def _sha_crypt_digest(
    new: Callable[[bytes], hashlib._Hash], password: bytes, salt: bytes, rounds: int
) -> bytes:
    """Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512", steps 1-21."""
    size = new(b"").digest_size
    alternate = new(password + salt + password).digest()
    a = new(password + salt)
    a.update(_repeat_to(alternate, len(password)))
    length = len(password)
    while length:
        a.update(alternate if length & 1 else password)
        length >>= 1
    digest = a.digest()
    p = _repeat_to(new(password * len(password)).digest(), len(password)) if password else b""
    s = _repeat_to(new(salt * (16 + digest[0])).digest(), len(salt))
    for i in range(rounds):
        c = new(p if i & 1 else digest)
        if i % 3:
            c.update(s)
        if i % 7:
            c.update(p)
        c.update(digest if i & 1 else p)
        digest = c.digest()
    assert len(digest) == size
    return digest


def sha_crypt(password: bytes, setting: str) -> str:
    """crypt(3) for ``$5$[rounds=N$]salt`` and ``$6$[rounds=N$]salt`` settings."""
    scheme, _, rest = setting[1:].partition("$")
    if scheme not in ("5", "6"):
        raise AuthError(f"not a SHA-crypt setting: '{setting[:3]}'")
    rounds, custom = _ROUNDS_DEFAULT, False
    if rest.startswith("rounds="):
        text, _, rest = rest[len("rounds="):].partition("$")
        if not text.isdigit():
            raise AuthError("invalid rounds in a SHA-crypt hash")
        rounds, custom = min(max(int(text), _ROUNDS_MIN), _ROUNDS_MAX), True
    salt = rest.split("$", 1)[0][:16].encode()
    new = hashlib.sha512 if scheme == "6" else hashlib.sha256
    digest = _sha_crypt_digest(new, password, salt, rounds)
    order = _ORDER_SHA512 if scheme == "6" else _ORDER_SHA256
    encoded = b"".join(_b64(digest[x], digest[y], digest[z], 4) for x, y, z in order)
    encoded += _b64(0, 0, digest[63], 2) if scheme == "6" else _b64(0, digest[31], digest[30], 3)
    prefix = f"${scheme}$" + (f"rounds={rounds}$" if custom else "")
    return prefix + salt.decode() + "$" + encoded.decode()


def md5_crypt(password: bytes, setting: str) -> str:
    """crypt(3) for ``$1$salt`` (Poul-Henning Kamp's MD5-crypt, glibc's md5-crypt.c)."""
    if not setting.startswith("$1$"):
        raise AuthError(f"not an MD5-crypt setting: '{setting[:3]}'")
    salt = setting[3:].split("$", 1)[0][:8].encode()
    final = hashlib.md5(password + salt + password).digest()
    context = password + b"$1$" + salt
    for left in range(len(password), 0, -16):
        context += final[: min(16, left)]
    bits = len(password)
    while bits:
        context += b"\0" if bits & 1 else password[:1]
        bits >>= 1
    final = hashlib.md5(context).digest()
    for i in range(1000):
        step = password if i & 1 else final
        if i % 3:
            step += salt
        if i % 7:
            step += password
        step += final if i & 1 else password
        final = hashlib.md5(step).digest()
    order = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))
    encoded = b"".join(_b64(final[x], final[y], final[z], 4) for x, y, z in order)
    encoded += _b64(0, 0, final[11], 2)
    return "$1$" + salt.decode() + "$" + encoded.decode()


def _bcrypt(password: bytes, stored: str) -> str:
    """crypt(3) for ``$2a$``/``$2b$``/``$2y$``: the password ends at a NUL and at 72 bytes."""
    key = password.split(b"\0", 1)[0][:72]
    try:
        return bcrypt.hashpw(key, stored.encode("ascii")).decode("ascii")
    except ValueError as exc:  # a malformed hash (bad cost, salt or length)
        raise AuthError(f"invalid bcrypt hash ({exc})") from None


_SCHEMES: dict[str, Callable[[bytes, str], str]] = {
    "$5$": sha_crypt, "$6$": sha_crypt, "$1$": md5_crypt,
    "$2a$": _bcrypt, "$2b$": _bcrypt, "$2y$": _bcrypt,
}
_UNSUPPORTED = {"$y$": "yescrypt", "$7$": "scrypt", "$gy$": "gost-yescrypt", "$sha1$": "SHA-1 crypt",
                "$md5": "Sun MD5"}


def _hasher(stored: str) -> Callable[[bytes], str]:
    """How to hash a candidate password for comparison with ``stored`` (checked at compile time)."""
    scheme = next((prefix for prefix in _SCHEMES if stored.startswith(prefix)), None)
    if scheme is not None:
        function = _SCHEMES[scheme]
        function(b"", stored)  # a malformed hash is an AuthError now, not a 401 later
        return lambda password: function(password, stored)
    prefix = next((p for p in _UNSUPPORTED if stored.startswith(p)), None)
    if prefix is not None:
        name = f"{_UNSUPPORTED[prefix]} ('{prefix}')"
    else:
        name = f"'{stored.split('$')[1]}'" if stored.startswith("$") else "DES (no '$id$')"
    raise AuthError(
        f"this password hash type ({name}) is not supported on this platform: use SHA-512 ($6$: "
        "'mkpasswd -m sha-512' or 'openssl passwd -6'), or bcrypt ($2y$: 'htpasswd -nB USER')"
    )


def check_password(password: bytes, stored: str) -> bool:
    return hmac.compare_digest(_hasher(stored)(password).encode(), stored.encode())


# ------------------------------------------------------------------ userlists


@dataclass(frozen=True, slots=True)
class User:
    name: str
    secret: str  # the crypt(3) hash, or the clear text for insecure-password
    insecure: bool
    groups: frozenset[str]

    def verify(self, password: bytes) -> bool:
        if self.insecure:
            return hmac.compare_digest(password, self.secret.encode("utf-8", "surrogateescape"))
        return check_password(password, self.secret)


@dataclass(eq=False)
class Userlist:
    name: str
    users: dict[str, User]
    groups: frozenset[str] = frozenset()
    ignored: tuple[str, ...] = ()  # warnings: duplicated users and groups, as HAProxy words them
    _verified: OrderedDict[bytes, str] = field(default_factory=OrderedDict, repr=False)

    def authenticate(self, headers: Sequence[tuple[bytes, bytes]] | None) -> str | None:
        """The user named by valid basic credentials in ``headers``, else None."""
        raw = _authorization(headers)
        if raw is None:
            return None
        key = hashlib.sha256(raw).digest()
        name = self._verified.get(key)
        if name is not None:
            self._verified.move_to_end(key)
            return name
        credentials = basic_credentials(raw)
        if credentials is None:
            return None
        user = self.users.get(credentials[0])
        if user is None or not user.verify(credentials[1]):
            return None
        self._verified[key] = user.name
        if len(self._verified) > _CACHE_SIZE:
            self._verified.popitem(last=False)
        return user.name

    def in_groups(self, user: str, groups: Iterable[str]) -> bool:
        found = self.users.get(user)
        return found is not None and not found.groups.isdisjoint(groups)


def _authorization(headers: Sequence[tuple[bytes, bytes]] | None) -> bytes | None:
    for name, value in headers or ():
        if name.lower() == b"authorization":
            return value  # the first one only, as HAProxy
    return None


def basic_credentials(value: bytes) -> tuple[str, bytes] | None:
    """(user, password) of ``Basic <base64>``; None for any other scheme or bad encoding."""
    scheme, _, rest = value.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(rest.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(b":")
    if not colon:
        return None
    return user.decode("utf-8", "surrogateescape"), password


def _split_list(text: str) -> list[str]:
    return [item for item in text.split(",") if item]


def compile_userlist(name: str, lines: Iterable[Sequence[str]]) -> Userlist:
    """A userlist from its section's statement words (``user ...``/``group ...``)."""
    members: dict[str, set[str]] = {}  # group -> users it lists
    raw_users: list[tuple[str, str, bool, list[str]]] = []
    problems: list[str] = []
    ignored: list[str] = []
    seen: dict[str, set[str]] = {"group": set(), "user": set()}
    for words in lines:
        if not words:
            continue
        if words[0] in ("group", "user") and len(words) >= 2 and words[1] in seen[words[0]]:
            ignored.append(f"ignoring duplicated {words[0]} '{words[1]}' in userlist '{name}'.")
            continue  # HAProxy keeps the first one
        if words[0] == "group" and len(words) >= 2:
            seen["group"].add(words[1])
            options = dict(zip(words[2::2], words[3::2], strict=False))
            members[words[1]] = set(_split_list(options.get("users", "")))
        elif words[0] == "user" and len(words) >= 2:
            seen["user"].add(words[1])
            try:
                raw_users.append(_user_words(words))
            except AuthError as exc:
                problems.append(str(exc))
        else:
            problems.append(f"'{words[0]}' is not a userlist keyword (user, group)")
    users: dict[str, User] = {}
    for user, secret, insecure, groups in raw_users:
        unknown = [g for g in groups if g not in members]
        if unknown:
            problems.append(f"no such group '{unknown[0]}' specified in user '{user}'")
        try:
            if not insecure:
                _hasher(secret)  # an unusable hash is a config error, not a 401 later
        except AuthError as exc:
            problems.append(f"user '{user}': {exc}")
            continue
        listed = {g for g, names in members.items() if user in names}
        users[user] = User(user, secret, insecure, frozenset(groups) | listed)
    for group, names in members.items():
        missing = sorted(names - {u for u, *_ in raw_users})
        if missing:
            problems.append(f"no such user '{missing[0]}' specified in group '{group}'")
    userlist = Userlist(name, users, frozenset(members), tuple(ignored))
    if problems:
        raise AuthError("; ".join(problems), userlist)
    return userlist


def _user_words(words: Sequence[str]) -> tuple[str, str, bool, list[str]]:
    options = dict(zip(words[2::2], words[3::2], strict=False))
    if "password" in options:
        secret, insecure = options["password"], False
    elif "insecure-password" in options:
        secret, insecure = options["insecure-password"], True
    else:
        raise AuthError(f"user '{words[1]}': 'password' or 'insecure-password' expected")
    return words[1], secret, insecure, _split_list(options.get("groups", ""))


def stats_userlist(proxy: str, credentials: Iterable[str]) -> Userlist | None:
    """The implicit userlist of ``stats auth USER:PASSWORD`` lines (clear-text passwords)."""
    users = {}
    for text in credentials:
        user, colon, password = text.partition(":")
        if not colon:
            raise AuthError("'stats auth' expects <user>:<password>")
        users[user] = User(user, password, True, frozenset())
    return Userlist(f"stats-auth:{proxy}", users) if users else None


def unauthorized_response(realm: str, errorfiles: Mapping[int, bytes] | None = None) -> bytes:
    """HAProxy's 401 with its ``WWW-Authenticate: Basic realm="..."`` challenge."""
    page = (errorfiles or {}).get(401) or error_response(401)
    head, sep, body = page.partition(b"\r\n\r\n")
    challenge = b'\r\nwww-authenticate: Basic realm="' + realm.encode("utf-8") + b'"'
    return head + challenge + sep + body
