"""Conditions in words: ``if url_light`` -> "path starts with /lightwork".

Theory of operation
-------------------
A condition is an OR of AND-groups of terms (``Condition.groups``); a term is a
named ACL (resolved through the section's ``acl`` lines, where several lines
of one name are ORed, as HAProxy does, or through the predefined ACLs of the
registry) or an anonymous ``{ fetch [flags] patterns }``.  Each ACL becomes
"<subject> <verb> <patterns>": the subject names what the fetch reads (a small
table of the fetches newcomers meet, else the fetch as written), the verb
comes from the ACL's matcher -- its ``-m`` flag, else the fetch's implied one
from the registry (``path_beg`` -> ``beg``), so the words say what HAProxy
and the engine evaluate.  Anything unreadable is shown as written: words
never hide a condition.

No Qt: the map, the rules table and messages can all say conditions this way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from proxy.config import keywords as kw
from proxy.config.nodes import Acl, Condition, NodeError, Term

__all__ = ["acl_in_words", "condition_in_words"]

# What a fetch reads, in words (the fetch's base name; arguments fill {arg}).
_SUBJECTS = {
    "path": "path", "url": "URL", "base": "host + path", "method": "method",
    "src": "client address", "dst": "local address", "dst_port": "local port",
    "src_port": "client port", "req.ssl_sni": "TLS server name", "req_ssl_sni": "TLS server name",
    "ssl_fc_sni": "TLS server name", "ssl_fc": "TLS", "query": "query string",
    "req.ver": "HTTP version", "req.len": "request length",
}
_ARG_SUBJECTS = {
    "hdr": "header {arg}", "req.hdr": "header {arg}", "req.fhdr": "header {arg}",
    "url_param": "query parameter {arg}", "urlp": "query parameter {arg}",
    "cook": "cookie {arg}", "req.cook": "cookie {arg}", "req.hdr_val": "header {arg}",
}
# Fetches that are a yes/no question on their own (no patterns).
_QUESTIONS = {
    "ssl_fc": "over TLS", "always_true": "always", "always_false": "never",
    "req.proto_http": "the request is HTTP", "wait_end": "the inspection delay is over",
}
_VERBS = {
    "beg": "starts with", "end": "ends with", "sub": "contains", "reg": "matches",
    "dir": "has the path segment", "dom": "has the domain part", "str": "is", "ip": "is in",
    "bin": "is", "int": "is", "len": "has length",
}
_OPERATORS = {"eq": "", "ne": "not ", "gt": "above ", "ge": "at least ", "lt": "below ",
              "le": "at most "}
_SUFFIXES = ("beg", "end", "sub", "reg", "dir", "dom", "len", "cnt", "val", "ip", "found")


def condition_in_words(condition: Condition | None, acls: Mapping[str, Sequence[Acl]]) -> str:
    """The condition as a phrase; ``acls`` maps each ACL name of the section to its lines."""
    if condition is None:
        return "always"
    try:
        groups = condition.groups()
    except NodeError:
        return " ".join(condition.to_words())  # unreadable: as written
    if not groups:
        return "always"
    phrase = " or ".join(" and ".join(_term(t, acls) for t in group) for group in groups)
    return f"unless {phrase}" if condition.kind == "unless" else phrase


def _term(term: Term, acls: Mapping[str, Sequence[Acl]]) -> str:
    if term.anonymous is not None:
        text = _anonymous(term.anonymous)
    else:
        text = _named(term.name or "", acls)
    return f"not ({text})" if term.negated else text


def _named(name: str, acls: Mapping[str, Sequence[Acl]]) -> str:
    lines = acls.get(name)
    if lines:
        parts = [acl_in_words(acl) for acl in lines]
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"
    predefined = kw.PREDEFINED_ACLS.get(name)
    if predefined is not None:
        return acl_in_words(Acl(name, predefined[0], [], list(predefined[1:])))
    return name  # undefined (the checker reports it): the name as written


def _anonymous(words: tuple[str, ...]) -> str:
    try:
        return acl_in_words(Acl.from_words(["acl", "-", *words]))
    except NodeError:
        return "{ " + " ".join(words) + " }"


def acl_in_words(acl: Acl) -> str:
    """One ACL line as "<subject> <verb> <patterns>": ``path_beg /api`` -> "path starts with /api"."""
    fetch, converters = _split_converters(acl.fetch)
    base, arg = _split_arguments(fetch)
    matcher = acl.matcher
    spec = kw.FETCHES.get(base)
    if matcher is None and spec is not None and spec.default_match in _VERBS | {"found": "", "bool": ""}:
        matcher = spec.default_match
    stem, suffix = base.rsplit("_", 1) if "_" in base else (base, "")
    if suffix in _SUFFIXES and stem in _SUBJECTS | _ARG_SUBJECTS:
        base = stem  # path_beg reads path with the "beg" matcher
    subject = _subject(base, arg, converters)
    patterns = list(acl.patterns)
    files = acl.files
    if not patterns and not files:
        if matcher == "found":
            return f"{subject} is present"
        if base in ("http_auth", "http_auth_group"):
            return f"the user logged in ({arg or 'userlist'})"
        return _QUESTIONS.get(base, f"{subject} is true" if subject else acl.fetch)
    values = [*patterns]
    if files:
        values.append("the list in " + ", ".join(files))
    verb = _VERBS.get(matcher or "str", "is")
    if matcher in ("int", "len") and values and values[0] in _OPERATORS:
        verb = f"{verb} {_OPERATORS[values[0]]}".rstrip() if matcher == "len" else f"is {_OPERATORS[values[0]]}".rstrip()
        values = values[1:]
    case = " (any case)" if acl.ignore_case else ""
    return f"{subject} {verb} {' or '.join(values)}{case}"


def _split_converters(fetch: str) -> tuple[str, str]:
    """``hdr(host),field(1,:)`` -> (``hdr(host)``, ``field(1,:)``): the first comma outside
    parentheses ends the fetch."""
    depth = 0
    for i, char in enumerate(fetch):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            return fetch[:i], fetch[i + 1:]
    return fetch, ""


def _split_arguments(fetch: str) -> tuple[str, str]:
    if "(" in fetch and fetch.endswith(")"):
        name, _paren, rest = fetch.partition("(")
        return name, rest[:-1]
    return fetch, ""


def _subject(base: str, arg: str, converters: str) -> str:
    if base in _ARG_SUBJECTS and arg:
        first = arg.split(",", 1)[0]
        subject = "Host" if first.lower() == "host" else _ARG_SUBJECTS[base].format(arg=first)
    else:
        subject = _SUBJECTS.get(base, f"{base}({arg})" if arg else base)
    # "hdr(host),field(1,:)" is still the Host (without its port): keep the words short,
    # and say a converter is there only when it is not the usual port strip.
    if converters and converters not in ("field(1,:)", "lower"):
        subject = f"{subject} ({converters})"
    return subject
