"""Host names for certificates: validation, normalisation and advice.

Theory of operation: every name the user types goes through
``normalize_name``, which returns the exact text that will sit in the
certificate's subjectAltName -- an IP address in canonical form, or a DNS
name in lower-case ASCII (unicode labels IDNA-encoded).  Anything a TLS
client would never match (empty labels, a ``*`` anywhere but as the whole
leftmost label, over-long labels, a dotted number that is not an IP) is
refused with a reason.  ``validate_names`` does that for a list, collecting
every problem at once, and then returns *warnings as data*: names that are
valid but will surprise the user (``*.localhost`` is refused by browsers,
a wildcard never covers its bare domain, ...), each with suggested names the
caller can offer as a one-click fix.

IDNA: the standard library's ``idna`` codec implements IDNA 2003, not 2008.
The difference only matters for a handful of characters (e.g. German sharp
s); the third-party ``idna`` package is not a Proxydesk dependency and a
development host name with such characters is unlikely, so the stdlib codec
is good enough here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from proxy.certs.errors import InvalidName

__all__ = [
    "NameWarning",
    "ValidatedNames",
    "is_ip_name",
    "normalize_name",
    "validate_names",
]

_MAX_LABEL = 63
_MAX_NAME = 253
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
_WILDCARD = "*"


@dataclass(frozen=True)
class NameWarning:
    """Advice about a valid name; ``suggestions`` are names worth adding."""

    name: str
    code: str
    message: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidatedNames:
    """Normalised names in the order given (duplicates dropped) plus advice."""

    names: tuple[str, ...]
    warnings: tuple[NameWarning, ...]


def is_ip_name(name: str) -> bool:
    """True when a normalised name is an IP address rather than a DNS name."""
    return _parse_ip(name) is not None


def normalize_name(raw: str) -> str:
    """The subjectAltName form of ``raw``; raises ``InvalidName`` with the reason."""
    text = raw.strip()
    if not text:
        raise InvalidName(["a name is empty"])
    address = _parse_ip(text)
    if address is not None:
        return address.compressed
    return _normalize_dns(text, raw)


def validate_names(raw_names: Iterable[str], known_hosts: Iterable[str] = ()) -> ValidatedNames:
    """Normalise all names (reporting every invalid one) and collect warnings.

    ``known_hosts`` are host names the caller routes (e.g. from the config);
    warnings suggest those a wildcard would fail to cover.
    """
    names: list[str] = []
    problems: list[str] = []
    encoded: list[NameWarning] = []
    for raw in raw_names:
        try:
            name = normalize_name(raw)
        except InvalidName as error:
            problems.extend(error.problems)
            continue
        if name not in names:
            names.append(name)
        if not raw.strip().isascii():
            encoded.append(
                NameWarning(raw, "idna", f"{raw.strip()!r} is written as {name} in the certificate")
            )
    if problems:
        raise InvalidName(problems)
    if not names:
        raise InvalidName(["give at least one host name or IP address"])
    known = _normalize_known(known_hosts)
    warnings = [*encoded, *_advice(names, known)]
    return ValidatedNames(tuple(names), tuple(warnings))


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    # URLs write IPv6 in brackets; accept that spelling too.
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def _normalize_dns(text: str, raw: str) -> str:
    # One trailing dot is the fully-qualified spelling of the same name.
    labels = text.removesuffix(".").split(".")
    _check_wildcard(labels, raw)
    problems: list[str] = []
    ascii_labels = [_ascii_label(label, raw, problems) for label in labels]
    if problems:
        raise InvalidName(problems)
    name = ".".join(ascii_labels)
    if len(name) > _MAX_NAME:
        raise InvalidName([f"{raw!r}: longer than {_MAX_NAME} characters"])
    if ascii_labels[-1].isdigit():
        raise InvalidName([f"{raw!r}: looks like an IP address but is not a valid one"])
    return name


def _check_wildcard(labels: list[str], raw: str) -> None:
    leftmost, rest = labels[0], labels[1:]
    if any(_WILDCARD in label for label in rest) or (
        _WILDCARD in leftmost and leftmost != _WILDCARD
    ):
        raise InvalidName(
            [f"{raw!r}: a wildcard must be the whole leftmost label, as in *.example.test"]
        )
    if leftmost == _WILDCARD and not rest:
        raise InvalidName([f"{raw!r}: a wildcard needs a domain after it, as in *.example.test"])


def _ascii_label(label: str, raw: str, problems: list[str]) -> str:
    if label == _WILDCARD:
        return label
    if not label:
        problems.append(f"{raw!r}: empty label (a leading dot or two dots in a row)")
        return label
    try:
        ascii_label = label.lower() if label.isascii() else label.encode("idna").decode("ascii")
    except UnicodeError:
        problems.append(f"{raw!r}: {label!r} cannot be IDNA-encoded")
        return label
    if len(ascii_label) > _MAX_LABEL:
        problems.append(f"{raw!r}: label {label!r} is longer than {_MAX_LABEL} characters")
    elif not _LABEL.fullmatch(ascii_label):
        problems.append(f"{raw!r}: label {label!r} may only hold letters, digits and inner hyphens")
    return ascii_label


def _normalize_known(known_hosts: Iterable[str]) -> list[str]:
    known: list[str] = []
    for host in known_hosts:
        try:
            name = normalize_name(host)
        except InvalidName:
            continue  # advice only: an odd known host is not our error to report
        if name not in known and not name.startswith(_WILDCARD):
            known.append(name)
    return known


def _advice(names: list[str], known: list[str]) -> list[NameWarning]:
    advice: list[NameWarning] = []
    for name in names:
        if name.startswith("*."):
            advice.extend(_wildcard_advice(name, names, known))
        elif "_" in name:
            advice.append(
                NameWarning(name, "underscore", f"{name} contains '_', which some clients reject")
            )
    return advice


def _wildcard_advice(name: str, names: list[str], known: list[str]) -> list[NameWarning]:
    parent = name[2:]
    below = [host for host in known if host.endswith("." + parent)]
    one_level = [host for host in below if "." not in host[: -len(parent) - 1]]
    deeper = [host for host in below if host not in one_level and host not in names]
    advice: list[NameWarning] = []
    if "." not in parent:
        example = ", ".join(one_level) or f"app.{parent}"
        advice.append(
            NameWarning(
                name,
                "wildcard-tld",
                f"{name} sits directly under the top-level domain {parent!r}: browsers "
                f"refuse such wildcards, so it will not cover e.g. {example}. "
                "Issue the exact names instead.",
                tuple(host for host in one_level if host not in names),
            )
        )
    if parent not in names:
        advice.append(
            NameWarning(
                name,
                "wildcard-bare-domain",
                f"{name} does not cover {parent} itself; add it if you serve it too",
                (parent,),
            )
        )
    if deeper:
        advice.append(
            NameWarning(
                name,
                "wildcard-depth",
                f"{name} covers one label only, not {', '.join(deeper)}",
                tuple(deeper),
            )
        )
    return advice
