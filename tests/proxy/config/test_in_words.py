"""Conditions in words, from the registry's fetches and matchers."""

from __future__ import annotations

import pytest

from proxy.config.in_words import acl_in_words, condition_in_words
from proxy.config.nodes import Acl, Condition


@pytest.mark.parametrize("words, expected", [
    ("path_beg /lightwork", "path starts with /lightwork"),
    ("path_end .jpg .png", "path ends with .jpg or .png"),
    ("hdr(host) -i api.example.com", "Host is api.example.com (any case)"),
    ("hdr(host),field(1,:) -i api.example.com", "Host is api.example.com (any case)"),
    ("src -f acl/blocklist.lst", "client address is in the list in acl/blocklist.lst"),
    ("req.hdr(x-id) -m found", "header x-id is present"),
    ("sc_http_req_rate(0,st) gt 200", "sc_http_req_rate(0,st) is above 200"),
    ("ssl_fc", "over TLS"),
    ("http_auth(admins)", "the user logged in (admins)"),
    ("path -m sub /api", "path contains /api"),
])
def test_acls_in_words(words: str, expected: str) -> None:
    assert acl_in_words(Acl.from_words(["acl", "x", *words.split()])) == expected


def test_conditions_in_words_follow_haproxy_precedence() -> None:
    acls = {"a": [Acl.from_words(["acl", "a", "path_beg", "/a"])],
            "b": [Acl.from_words(["acl", "b", "path_beg", "/b"]), Acl.from_words(["acl", "b", "path_beg", "/bb"])]}
    assert condition_in_words(Condition("if", ["a", "!b", "||", "{", "src", "10.0.0.0/8", "}"]), acls) == (
        "path starts with /a and not ((path starts with /b or path starts with /bb))"
        " or client address is in 10.0.0.0/8")
    assert condition_in_words(Condition("unless", ["{", "ssl_fc", "}"]), {}) == "unless over TLS"
    assert condition_in_words(Condition("if", ["LOCALHOST"]), {}) == "client address is in 127.0.0.1/8 or ::1"
    assert condition_in_words(None, {}) == "always"
