"""The host-name validator and the advice it returns as data."""

from __future__ import annotations

import pytest

from proxy.certs.errors import InvalidName
from proxy.certs.names import is_ip_name, normalize_name, validate_names

VALID = [
    ("app.localhost", "app.localhost"),
    ("  App.LocalHost  ", "app.localhost"),
    ("example.test.", "example.test"),  # fully-qualified spelling
    ("*.example.test", "*.example.test"),
    ("localhost", "localhost"),
    ("bücher.test", "xn--bcher-kva.test"),
    ("xn--bcher-kva.test", "xn--bcher-kva.test"),
    ("a-b.c1.test", "a-b.c1.test"),
    ("127.0.0.1", "127.0.0.1"),
    ("::1", "::1"),
    ("[::1]", "::1"),
    ("2001:DB8:0:0::1", "2001:db8::1"),
    ("x" * 63 + ".test", "x" * 63 + ".test"),
]

INVALID = [
    ("", "empty"),
    ("   ", "empty"),
    ("a..test", "empty label"),
    (".test", "empty label"),
    ("app.*.test", "wildcard"),
    ("a*.test", "wildcard"),
    ("*.*.test", "wildcard"),
    ("*", "needs a domain"),
    ("-app.test", "letters, digits"),
    ("app-.test", "letters, digits"),
    ("app test", "letters, digits"),
    ("app/x.test", "letters, digits"),
    ("x" * 64 + ".test", "longer than 63"),
    (".".join(["a" * 60] * 5), "longer than 253"),
    ("256.1.1.1", "not a valid one"),
    ("10.0.0", "not a valid one"),
]


@pytest.mark.parametrize(("raw", "expected"), VALID)
def test_valid_names_normalise(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), INVALID)
def test_invalid_names_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidName, match=reason):
        normalize_name(raw)


def test_ip_detection() -> None:
    assert is_ip_name("127.0.0.1") and is_ip_name("::1")
    assert not is_ip_name("app.localhost")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidName) as caught:
        validate_names(["good.test", "a..b", "x*.test"])
    assert len(caught.value.problems) == 2
    assert "a..b" in str(caught.value) and "x*.test" in str(caught.value)


def test_no_names_is_an_error() -> None:
    with pytest.raises(InvalidName, match="at least one"):
        validate_names([])


def test_duplicates_are_dropped_keeping_order() -> None:
    result = validate_names(["b.test", "A.test", "B.test", "127.0.0.1", "a.test"])
    assert result.names == ("b.test", "a.test", "127.0.0.1")


def _codes(names: list[str], known: list[str] | None = None) -> dict[str, tuple[str, ...]]:
    warnings = validate_names(names, known or []).warnings
    return {warning.code: warning.suggestions for warning in warnings}


def test_wildcard_under_localhost_warns_and_suggests_exact_names() -> None:
    warnings = validate_names(["*.localhost"], ["app.localhost", "api.localhost"]).warnings
    tld = next(w for w in warnings if w.code == "wildcard-tld")
    assert "app.localhost" in tld.message
    assert tld.suggestions == ("app.localhost", "api.localhost")


def test_wildcard_tld_warning_without_known_hosts_still_explains() -> None:
    warnings = validate_names(["*.localhost"]).warnings
    tld = next(w for w in warnings if w.code == "wildcard-tld")
    assert "app.localhost" in tld.message  # an example, since no real host is known


def test_wildcard_does_not_cover_the_bare_domain() -> None:
    assert _codes(["*.example.test"])["wildcard-bare-domain"] == ("example.test",)
    assert "wildcard-bare-domain" not in _codes(["*.example.test", "example.test"])
    assert "wildcard-tld" not in _codes(["*.example.test"])


def test_wildcard_does_not_cover_deeper_known_hosts() -> None:
    codes = _codes(["*.example.test", "example.test"], ["a.example.test", "x.y.example.test"])
    assert codes["wildcard-depth"] == ("x.y.example.test",)


def test_unicode_names_report_their_encoding() -> None:
    warnings = validate_names(["bücher.test"]).warnings
    assert [w.code for w in warnings] == ["idna"]
    assert "xn--bcher-kva.test" in warnings[0].message


def test_plain_names_have_no_warnings() -> None:
    assert validate_names(["app.localhost", "localhost", "127.0.0.1"]).warnings == ()
