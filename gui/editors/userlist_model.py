"""Reading and changing ``userlist`` sections: the config side of the userlist editor.

Theory of operation
-------------------
A userlist body is plain ``Generic`` statements (the config model types only
proxy sections): ``user NAME password HASH | insecure-password PW [groups G,...]``
and ``group NAME [users U,...]``.  Membership can be written on either side,
so "the groups of a user" is the union of its own ``groups`` option and every
group line listing it, exactly as ``proxy.engine.auth.compile_userlist`` reads it.

Every function here mutates a ``Section`` in place and is meant to run inside
``Document.edit`` (one undo step).  Changes are minimal so the file stays
lossless: only the lines that must change are rewritten, an option is replaced
where it stands, and new lines go next to their kind (groups first, then users).

``problems`` lists what HAProxy and the engine would say about the section:
the engine's own errors (unknown group on a user, unknown user in a group, a
user without a password, an unusable hash) and HAProxy's warnings for
duplicates (HAProxy ignores the later ones).

Passwords are hashed with the engine's ``sha_crypt`` (SHA-512 crypt, 5,000
rounds, a 16-character salt from ``secrets``), the same ``$6$`` strings
``mkpasswd -m sha-512`` writes; HAProxy checks them with the system crypt(3).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from proxy.config.model import Config, Section, Statement
from proxy.config.nodes import Generic
from proxy.engine.auth import AuthError, compile_userlist, sha_crypt

__all__ = [
    "CLEAR_TEXT",
    "SALT_ALPHABET",
    "add_group",
    "add_user",
    "add_userlist",
    "group_names",
    "groups_of",
    "hash_password",
    "members_of",
    "password_kind",
    "problems",
    "remove_group",
    "remove_user",
    "set_password",
    "set_user_groups",
    "user_names",
]

CLEAR_TEXT = "clear text (insecure)"
# crypt(3)'s salt alphabet; 16 characters is SHA-crypt's maximum (96 random bits).
SALT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SALT_LENGTH = 16
_SCHEMES = {"$6$": "SHA-512", "$5$": "SHA-256", "$1$": "MD5", "$2a$": "bcrypt", "$2b$": "bcrypt",
            "$2y$": "bcrypt", "$y$": "yescrypt"}


# --- reading -------------------------------------------------------------------------------------


def _lines(section: Section, keyword: str) -> Iterator[Statement]:
    """The ``user``/``group`` lines that name something (``user`` alone is a typo, not a user)."""
    for stmt in section.statements(keyword):
        if len(stmt.words) >= 2:
            yield stmt


def _options(words: list[str]) -> dict[str, str]:
    """``user NAME password X groups G`` -> {"password": X, "groups": G} (first one wins)."""
    found: dict[str, str] = {}
    for key, value in zip(words[2::2], words[3::2], strict=False):
        found.setdefault(key, value)
    return found


def _split(text: str) -> list[str]:
    return [item for item in text.split(",") if item]


def _unique(names: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(names))


def user_names(section: Section) -> list[str]:
    return _unique(s.words[1] for s in _lines(section, "user"))


def group_names(section: Section) -> list[str]:
    return _unique(s.words[1] for s in _lines(section, "group"))


def _user_line(section: Section, user: str) -> Statement | None:
    # HAProxy keeps the first of duplicated users and ignores the others.
    return next((s for s in _lines(section, "user") if s.words[1] == user), None)


def groups_of(section: Section, user: str) -> list[str]:
    """The user's groups in group-line order: its own ``groups`` plus the groups listing it."""
    stmt = _user_line(section, user)
    own = set(_split(_options(stmt.words).get("groups", ""))) if stmt is not None else set()
    listed = {s.words[1] for s in _lines(section, "group")
              if user in _split(_options(s.words).get("users", ""))}
    ordered = [g for g in group_names(section) if g in own | listed]
    return ordered + sorted((own | listed) - set(ordered))  # unknown groups last (a problem)


def members_of(section: Section, group: str) -> list[str]:
    return [u for u in user_names(section) if group in groups_of(section, u)] + sorted(
        {u for s in _lines(section, "group") if s.words[1] == group
         for u in _split(_options(s.words).get("users", ""))} - set(user_names(section)))


def password_kind(section: Section, user: str) -> str:
    """How the user's password is stored, never the secret: "hashed (SHA-512)", "clear text ..."."""
    stmt = _user_line(section, user)
    options = _options(stmt.words) if stmt is not None else {}
    if "password" in options:
        secret = options["password"]
        scheme = next((name for prefix, name in _SCHEMES.items() if secret.startswith(prefix)),
                      "DES" if not secret.startswith("$") else "unknown scheme")
        return f"hashed ({scheme})"
    if "insecure-password" in options:
        return CLEAR_TEXT
    return "none (no one can log in)"


def problems(section: Section) -> list[str]:
    """What HAProxy/the engine would say about this userlist, one message per problem."""
    found: list[str] = []
    for keyword in ("user", "group"):
        seen: set[str] = set()
        for stmt in _lines(section, keyword):
            name = stmt.words[1]
            if name in seen:
                found.append(f"duplicated {keyword} '{name}': HAProxy ignores this one")
            seen.add(name)
    try:
        compile_userlist(section.name or "", [s.words for s in section.body if s.words])
    except AuthError as exc:
        found.extend(str(exc).split("; "))
    return found


# --- writing -------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """SHA-512 crypt of ``password`` with a fresh random salt (``$6$<16 chars>$<86 chars>``)."""
    salt = "".join(secrets.choice(SALT_ALPHABET) for _ in range(SALT_LENGTH))
    return sha_crypt(password.encode("utf-8"), f"$6${salt}")


def _secret_words(password: str, insecure: bool) -> list[str]:
    return ["insecure-password", password] if insecure else ["password", hash_password(password)]


def _set_option(words: list[str], key: str, value: str | None) -> list[str]:
    """``words`` with ``key``'s value replaced where it stands, appended, or removed (None)."""
    out = list(words[:2])
    placed = False
    for k, v in zip(words[2::2], words[3::2], strict=False):
        if k != key:
            out += [k, v]
        elif value is not None and not placed:
            out += [k, value]
            placed = True
    if value is not None and not placed:
        out += [key, value]
    if len(words) % 2:  # a dangling keyword without its value: keep it, it is the user's text
        out.append(words[-1])
    return out


def set_password(section: Section, user: str, password: str, *, insecure: bool = False) -> None:
    """Replace the user's secret (hashed unless ``insecure``) where it stands, keeping its groups."""
    stmt = _user_line(section, user)
    if stmt is None:
        raise KeyError(user)
    key, secret = _secret_words(password, insecure)
    other = "insecure-password" if key == "password" else "password"
    words = stmt.words
    if other in _options(words):  # switching kinds: the new secret takes the old one's place
        words = _set_option(words, other, None)
        words = [*words[:2], key, secret, *words[2:]]
    else:
        words = _set_option(words, key, secret)
    stmt.node = Generic(words)


def _insert_after(section: Section, stmt: Statement, anchor: Statement | None) -> None:
    if anchor is not None:
        section.body.insert(section.body.index(anchor) + 1, stmt)
    else:
        section.body.insert(section.insertion_point(), stmt)


def add_user(section: Section, name: str, password: str, *, insecure: bool = False,
             groups: list[str] | None = None) -> None:
    words = ["user", name, *_secret_words(password, insecure)]
    if groups:
        words += ["groups", ",".join(groups)]
    user_lines, group_lines = list(_lines(section, "user")), list(_lines(section, "group"))
    anchor = user_lines[-1] if user_lines else (group_lines[-1] if group_lines else None)
    _insert_after(section, Statement(Generic(words)), anchor)


def add_group(section: Section, name: str) -> None:
    groups, users = list(_lines(section, "group")), list(_lines(section, "user"))
    stmt = Statement(Generic(["group", name]))
    if groups:
        _insert_after(section, stmt, groups[-1])
    elif users:  # groups above the users that name them, as the HAProxy manual writes them
        section.body.insert(section.body.index(users[0]), stmt)
    else:
        _insert_after(section, stmt, None)


def _drop_from_list(stmt: Statement, key: str, name: str) -> None:
    """Remove ``name`` from the comma list of option ``key`` (the option goes when empty)."""
    options = _options(stmt.words)
    if key not in options or name not in _split(options[key]):
        return
    rest = [item for item in _split(options[key]) if item != name]
    stmt.node = Generic(_set_option(stmt.words, key, ",".join(rest) if rest else None))


def remove_user(section: Section, name: str) -> None:
    """The user's lines, and its name in every group's ``users`` list (else a config error)."""
    for stmt in [s for s in _lines(section, "user") if s.words[1] == name]:
        section.remove(stmt)
    for stmt in _lines(section, "group"):
        _drop_from_list(stmt, "users", name)


def remove_group(section: Section, name: str) -> None:
    """The group's lines, and its name in every user's ``groups`` list (else a config error)."""
    for stmt in [s for s in _lines(section, "group") if s.words[1] == name]:
        section.remove(stmt)
    for stmt in _lines(section, "user"):
        _drop_from_list(stmt, "groups", name)


def set_user_groups(section: Section, user: str, wanted: list[str]) -> None:
    """Make ``wanted`` the user's groups with the fewest line changes: a new membership goes
    on the user's own ``groups`` option; a dropped one leaves whichever side wrote it."""
    stmt = _user_line(section, user)
    if stmt is None:
        raise KeyError(user)
    current = groups_of(section, user)
    for group in [g for g in current if g not in wanted]:
        _drop_from_list(stmt, "groups", group)
        for line in _lines(section, "group"):
            if line.words[1] == group:
                _drop_from_list(line, "users", user)
    own = _split(_options(stmt.words).get("groups", ""))
    added = [g for g in wanted if g not in current]
    if added:
        stmt.node = Generic(_set_option(stmt.words, "groups", ",".join([*own, *added])))


def add_userlist(config: Config, name: str) -> Section:
    """A new, empty ``userlist NAME`` after the last userlist (else at the end)."""
    return config.add_named_section("userlist", name)
