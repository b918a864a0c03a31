"""Tests for proxy.engine.balance: distributions, HAProxy parity, edge cases."""

from __future__ import annotations

import ipaddress
import math
import random
from collections import Counter
from collections.abc import Sequence

import pytest
from _haproxy_harness import HAVE_HAPROXY, backend_picks

from proxy.engine.balance import (
    BalanceError,
    HashType,
    KeyKind,
    ServerState,
    full_hash,
    hash_djb2,
    hash_sdbm,
    make_balancer,
    request_key,
    source_hash,
    url_param_value,
)


def farm(*weights: int, **options: object) -> list[ServerState]:
    return [
        ServerState(f"s{i}", weight=w, **options)  # type: ignore[arg-type]
        for i, w in enumerate(weights, 1)
    ]


def names(servers: Sequence[ServerState | None]) -> str:
    return "".join("-" if s is None else s.name[1:] for s in servers)


def picks(balancer: object, count: int, key: bytes | None = None) -> list[ServerState | None]:
    return [balancer.pick(key) for _ in range(count)]  # type: ignore[attr-defined]


def connect_each_pick(balancer: object, count: int) -> list[ServerState]:
    """Pick ``count`` times, opening a connection on each chosen server as the engine would."""
    sequence = []
    for _ in range(count):
        chosen = balancer.pick()  # type: ignore[attr-defined]
        assert chosen is not None
        chosen.active_conns += 1
        sequence.append(chosen)
    return sequence


def max_run(sequence: str, char: str) -> int:
    best = current = 0
    for c in sequence:
        current = current + 1 if c == char else 0
        best = max(best, current)
    return best


# ----------------------------------------------------------------- hash functions


@pytest.mark.parametrize("data", [b"", b"a", b"/index.html", bytes(range(256))])
def test_sdbm_is_the_65599_multiplicative_hash(data: bytes) -> None:
    expected = 0
    for byte in data:
        expected = (expected * 65599 + byte) % 2**32
    assert hash_sdbm(data) == expected


@pytest.mark.parametrize("data", [b"", b"a", b"user42"])
def test_djb2_is_times_33_plus_c_from_5381(data: bytes) -> None:
    expected = 5381
    for byte in data:
        expected = (expected * 33 + byte) % 2**32
    assert hash_djb2(data) == expected


def test_full_hash_stays_32_bits_and_scatters_neighbours() -> None:
    values = [full_hash(i) for i in range(1000)]
    assert all(0 <= v < 2**32 for v in values)
    assert len(set(values)) == 1000
    # neighbours land in all four quarters of the ring
    assert {v >> 30 for v in values[:40]} == {0, 1, 2, 3}


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.0.0.1", 0x0A000001),
        ("2001:db8::1", 0x20010DB8 ^ 0 ^ 0 ^ 1),
    ],
)
def test_source_hash_xors_address_words(address: str, expected: int) -> None:
    assert source_hash(ipaddress.ip_address(address).packed) == expected


# -------------------------------------------------------- rr and static-rr cycles

WEIGHT_SETS = [(1,), (1, 1), (3, 1), (1, 1, 2), (1, 2, 3), (5, 1, 1), (10, 3, 7, 1), (256, 1)]


@pytest.mark.parametrize("algorithm", ["roundrobin", "static-rr"])
@pytest.mark.parametrize("weights", WEIGHT_SETS)
def test_exact_proportions_over_full_cycles(algorithm: str, weights: tuple[int, ...]) -> None:
    servers = farm(*weights)
    balancer = make_balancer(algorithm, [], servers)
    cycles = 3
    counts = Counter(picks(balancer, cycles * sum(weights)))
    assert {s.name: counts[s] for s in servers} == {s.name: cycles * s.weight for s in servers}


# lb_map.c's table may repeat a heavy server once more than ideal; so does haproxy
SMOOTHNESS_SLACK = {"roundrobin": 0, "static-rr": 1}


@pytest.mark.parametrize("algorithm", ["roundrobin", "static-rr"])
@pytest.mark.parametrize("weights", WEIGHT_SETS[1:])
def test_interleaving_is_smooth(algorithm: str, weights: tuple[int, ...]) -> None:
    """No server runs longer than its weight forces, over two cycles."""
    sequence = names(picks(make_balancer(algorithm, [], farm(*weights)), 2 * sum(weights)))
    total = sum(weights)
    for index, weight in enumerate(weights, 1):
        forced = math.ceil(weight / (total - weight)) + SMOOTHNESS_SLACK[algorithm]
        assert max_run(sequence, str(index)) <= forced, sequence


# Sequences recorded from Debian's haproxy 2.6 (see test_sequences_match_real_haproxy).
HAPROXY_SEQUENCES = [
    ("roundrobin", (3, 1), "11121112"),
    ("roundrobin", (1, 1, 2), "31323132"),
    ("roundrobin", (1, 2, 3), "323132323132"),
    ("roundrobin", (5, 1, 1), "11121131112113"),
    ("static-rr", (1, 1, 2), "13231323"),
    ("static-rr", (1, 2, 3), "132323132323"),
    ("static-rr", (5, 1, 1), "11121131112113"),
    ("roundrobin", (2, 3), "2212122121"),
    ("static-rr", (2, 3), "1212212122"),
    ("roundrobin", (10, 3, 7, 1), "131213131431213131213131213131431213131213"),
    ("static-rr", (10, 3, 7, 1), "123113123113123113134123113123113123113134"),
]


@pytest.mark.parametrize(("algorithm", "weights", "expected"), HAPROXY_SEQUENCES)
def test_sequence_is_haproxys(algorithm: str, weights: tuple[int, ...], expected: str) -> None:
    balancer = make_balancer(algorithm, [], farm(*weights))
    assert names(picks(balancer, len(expected))) == expected


def test_weights_scaled_by_a_common_factor_give_the_same_sequence() -> None:
    small = names(picks(make_balancer("roundrobin", [], farm(1, 2, 3)), 24))
    large = names(picks(make_balancer("roundrobin", [], farm(10, 20, 30)), 24))
    assert small == large


# ------------------------------------------------------------------- leastconn


LEASTCONN_CASES = [
    # weights, active conns, expected pick
    ((1, 1, 1), (3, 1, 2), "s2"),
    ((1, 1, 1), (0, 5, 5), "s1"),
    ((1, 2), (2, 3), "s2"),  # 3 conns on weight 2 is lighter than 2 on weight 1
    ((1, 2), (1, 3), "s1"),
    ((1, 3), (0, 1), "s1"),  # an idle server always goes first
]


@pytest.mark.parametrize(("weights", "conns", "expected"), LEASTCONN_CASES)
def test_leastconn_picks_lowest_load_per_weight(
    weights: tuple[int, ...], conns: tuple[int, ...], expected: str
) -> None:
    servers = farm(*weights)
    for server, active in zip(servers, conns, strict=True):
        server.active_conns = active
    assert make_balancer("leastconn", [], servers).pick().name == expected  # type: ignore[union-attr]


def test_leastconn_round_robins_among_equals() -> None:
    balancer = make_balancer("leastconn", [], farm(1, 1, 1))
    assert names(picks(balancer, 6)) == "123123"


def test_leastconn_follows_connections_the_engine_tracks() -> None:
    servers = farm(1, 1)
    balancer = make_balancer("leastconn", [], servers)
    sequence = connect_each_pick(balancer, 6)
    assert Counter(s.name for s in sequence) == {"s1": 3, "s2": 3}
    servers[0].active_conns = 0  # s1's connections all closed
    assert balancer.pick() is servers[0]


def test_leastconn_skips_saturated_servers() -> None:
    servers = farm(1, 1)
    servers[0].maxconn, servers[0].active_conns = 1, 1
    servers[1].active_conns = 5
    assert make_balancer("leastconn", [], servers).pick() is servers[1]


# ----------------------------------------------------------------------- first


def test_first_fills_servers_in_id_order() -> None:
    servers = farm(1, 1, 1, maxconn=2)
    balancer = make_balancer("first", [], servers)
    sequence = connect_each_pick(balancer, 6)
    assert names(sequence) == "112233"
    assert balancer.pick() is None and balancer.has_usable()  # all full: queue
    servers[0].active_conns = 1
    assert balancer.pick() is servers[0]


def test_first_honours_explicit_ids() -> None:
    servers = [ServerState("a", id=5), ServerState("b", id=2), ServerState("c")]
    assert make_balancer("first", [], servers).pick() is servers[2]  # auto id 1


# -------------------------------------------------------------------- hashing


def source_keys(count: int) -> list[bytes]:
    return [ipaddress.IPv4Address(0x0A000000 + i * 7919).packed for i in range(count)]


@pytest.mark.parametrize("hash_type", ["map-based", "consistent"])
def test_source_is_sticky_and_spreads(hash_type: str) -> None:
    servers = farm(1, 1, 1, 1)
    balancer = make_balancer("source", [], servers, hash_type=hash_type)
    keys = source_keys(2000)
    first = [balancer.pick(k) for k in keys]
    assert [balancer.pick(k) for k in keys] == first
    counts = Counter(first)
    assert set(counts) == set(servers)
    assert min(counts.values()) > 2000 / 4 * 0.5


def moved_share(hash_type: str, keys: list[bytes]) -> float:
    four = farm(1, 1, 1, 1)
    before = make_balancer("uri", [], four, hash_type=hash_type)
    after = make_balancer("uri", [], [*four, ServerState("s5")], hash_type=hash_type)
    moved = sum(before.pick(k) is not after.pick(k) for k in keys)
    return moved / len(keys)


def test_adding_a_server_moves_few_keys_with_consistent_hashing() -> None:
    keys = [f"/object/{i}".encode() for i in range(10_000)]
    assert moved_share("consistent", keys) <= 0.30
    assert moved_share("map-based", keys) >= 0.50


def test_hash_type_weights_are_respected_by_the_map() -> None:
    servers = farm(3, 1)
    balancer = make_balancer("uri", [], servers)
    counts = Counter(balancer.pick(f"/{i}".encode()) for i in range(4000))
    assert 0.70 < counts[servers[0]] / 4000 < 0.80


URI_OPTION_CASES = [
    # args, two URIs, same server expected
    ([], "/a/b?x=1", "/a/b?x=2", True),
    (["whole"], "/a/b?x=1", "/a/b?x=1", True),
    (["depth", "1"], "/dir/one", "/dir/two", True),
    (["len", "4"], "/abcX", "/abcY", True),
    (["path-only"], "http://h1/p?q", "/p?z", True),
]


@pytest.mark.parametrize(("args", "first", "second", "same"), URI_OPTION_CASES)
def test_uri_options_select_the_hashed_part(
    args: list[str], first: str, second: str, same: bool
) -> None:
    balancer = make_balancer("uri", args, farm(*[1] * 16))
    assert (balancer.pick(first.encode()) is balancer.pick(second.encode())) is same


def test_uri_whole_and_depth_distinguish_what_they_include() -> None:
    servers = farm(*[1] * 16)
    whole = make_balancer("uri", ["whole"], servers)
    keys = [f"/p?x={i}".encode() for i in range(64)]
    assert len({whole.pick(k) for k in keys}) > 1
    plain = make_balancer("uri", [], servers)
    assert len({plain.pick(k) for k in keys}) == 1


@pytest.mark.parametrize(
    ("target", "name", "expected"),
    [
        (b"/p?id=42&x=1", b"id", b"42"),
        (b"/p?x=1&id=42", b"id", b"42"),
        (b"/p?xid=1&id=7", b"id", b"7"),
        (b"/p?id=", b"id", b""),
        (b"/p?x=1", b"id", None),
        (b"/p", b"id", None),
        (None, b"id", None),
    ],
)
def test_url_param_value(target: bytes | None, name: bytes, expected: bytes | None) -> None:
    assert url_param_value(target, name) == expected


def test_request_key_per_algorithm() -> None:
    src = ipaddress.ip_address("192.0.2.7")
    headers = [(b"Host", b"www.Example.com"), (b"X-User", b'"alice, jr", bob')]
    table = [
        ("source", [], src.packed),
        ("uri", [], b"/a?id=3"),
        ("url_param", ["id"], b"3"),
        ("hdr(x-user)", [], b'"alice, jr"'),
        ("roundrobin", [], None),
    ]
    for algorithm, args, expected in table:
        balancer = make_balancer(algorithm, args, farm(1, 1))
        assert request_key(balancer, src=src, target=b"/a?id=3", headers=headers) == expected


def test_hdr_use_domain_only_hashes_the_main_domain() -> None:
    balancer = make_balancer("hdr(host)", ["use_domain_only"], farm(*[1] * 16))
    assert balancer.key_kind is KeyKind.HEADER and balancer.key_name == "host"
    assert balancer.pick(b"www.1wt.eu") is balancer.pick(b"static.1wt.org")
    hosts = [f"www.site{i}.com".encode() for i in range(64)]
    assert len({balancer.pick(h) for h in hosts}) > 1


@pytest.mark.parametrize(
    ("algorithm", "args", "key"),
    [("url_param", ["id"], None), ("hdr(x-k)", [], None), ("hdr(x-k)", [], b"")],
)
@pytest.mark.parametrize("hash_type", ["map-based", "consistent"])
def test_missing_key_falls_back_to_round_robin(
    algorithm: str, args: list[str], key: bytes | None, hash_type: str
) -> None:
    servers = farm(1, 1, 1)
    balancer = make_balancer(algorithm, args, servers, hash_type=hash_type)
    counts = Counter(picks(balancer, 3 * 16 * 4, key))
    assert set(counts) == set(servers)
    assert max(counts.values()) - min(counts.values()) <= 16 * 4 * 0.5


def test_random_power_of_two_avoids_loaded_servers() -> None:
    servers = farm(1, 1, 1, 1)
    servers[0].active_conns = 50
    balancer = make_balancer("random", [], servers, rng=random.Random(7))
    counts = Counter(picks(balancer, 4000))
    # it only wins when both draws land on it: about 1/16 instead of 1/4
    assert 0.03 < counts[servers[0]] / 4000 < 0.10
    assert min(counts[s] for s in servers[1:]) > 2 * counts[servers[0]]


def test_random_single_draw_spreads_by_weight() -> None:
    servers = farm(1, 3)
    counts = Counter(picks(make_balancer("random(1)", [], servers, rng=random.Random(3)), 8000))
    assert 0.65 < counts[servers[1]] / 8000 < 0.85


def test_random_returns_none_when_the_pick_is_saturated() -> None:
    servers = farm(1, maxconn=1)
    servers[0].active_conns = 1
    balancer = make_balancer("random", [], servers, rng=random.Random(1))
    assert balancer.pick() is None and balancer.has_usable()


# --------------------------------------------------------- groups and states

ALGORITHMS = ["roundrobin", "static-rr", "leastconn", "first", "source", "random"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_backup_used_only_when_no_active_server(algorithm: str) -> None:
    active, backup1, backup2 = (
        ServerState("a"),
        ServerState("b1", backup=True),
        ServerState("b2", backup=True),
    )
    balancer = make_balancer(algorithm, [], [backup1, active, backup2])
    key = b"\x0a\x00\x00\x01"
    assert {balancer.pick(key) for _ in range(8)} == {active}
    active.up = False
    assert {balancer.pick(key) for _ in range(8)} == {backup1}
    backup1.disabled = True
    assert {balancer.pick(key) for _ in range(8)} == {backup2}


@pytest.mark.parametrize("algorithm", ["roundrobin", "static-rr", "leastconn"])
def test_allbackups_balances_over_all_backups(algorithm: str) -> None:
    servers = [ServerState("a", up=False), *farm(1, 1, backup=True)]
    balancer = make_balancer(algorithm, [], servers, allbackups=True)
    assert Counter(picks(balancer, 8)) == {servers[1]: 4, servers[2]: 4}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_nothing_usable_gives_none_and_says_so(algorithm: str) -> None:
    servers = [
        ServerState("down", up=False),
        ServerState("maint", disabled=True),
        ServerState("drained", weight=0),
        ServerState("bk", backup=True, up=False),
    ]
    balancer = make_balancer(algorithm, [], servers)
    assert balancer.pick(b"\x7f\x00\x00\x01") is None
    assert not balancer.has_usable()


@pytest.mark.parametrize("algorithm", ["roundrobin", "static-rr", "leastconn", "random"])
def test_weight_zero_gets_no_traffic(algorithm: str) -> None:
    servers = farm(1, 0, 1)
    balancer = make_balancer(algorithm, [], servers, rng=random.Random(5))
    assert servers[1] not in picks(balancer, 64)


@pytest.mark.parametrize("algorithm", ["roundrobin", "static-rr", "leastconn", "first"])
def test_all_saturated_means_queue(algorithm: str) -> None:
    servers = farm(1, 1, maxconn=1, active_conns=1)
    balancer = make_balancer(algorithm, [], servers)
    assert balancer.pick() is None
    assert balancer.has_usable()


@pytest.mark.parametrize("algorithm", ["roundrobin", "static-rr"])
def test_saturated_servers_are_skipped_by_round_robin(algorithm: str) -> None:
    servers = farm(1, 1, 1)
    servers[1].maxconn, servers[1].active_conns = 1, 1
    assert servers[1] not in picks(make_balancer(algorithm, [], servers), 12)


def test_hash_returns_the_saturated_server_so_the_engine_queues_on_it() -> None:
    servers = farm(1, maxconn=1, active_conns=1)
    chosen = make_balancer("source", [], servers).pick(b"\x0a\x00\x00\x01")
    assert chosen is servers[0] and not chosen.has_free_slot()


@pytest.mark.parametrize("algorithm", ["roundrobin", "static-rr", "leastconn", "first", "random"])
def test_exclude_is_avoided_unless_it_is_the_only_choice(algorithm: str) -> None:
    servers = farm(1, 1)
    balancer = make_balancer(algorithm, [], servers, rng=random.Random(2))
    assert {balancer.pick(exclude={servers[0]}) for _ in range(8)} == {servers[1]}
    servers[1].up = False
    assert balancer.pick(exclude={servers[0]}) is servers[0]


def test_consistent_hash_avoids_excluded_server() -> None:
    servers = farm(1, 1, 1)
    balancer = make_balancer("uri", [], servers, hash_type="consistent")
    for i in range(50):
        key = f"/k{i}".encode()
        first = balancer.pick(key)
        assert balancer.pick(key, exclude={first}) not in (None, first)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_state_changes_are_seen_even_without_update(algorithm: str) -> None:
    servers = farm(1, 1)
    balancer = make_balancer(algorithm, [], servers, rng=random.Random(4))
    servers[0].up = False
    assert servers[0] not in picks(balancer, 8, b"\x01\x02\x03\x04")
    servers[0].up = True
    balancer.update()
    assert servers[0] in picks(balancer, 16, None)


def test_roundrobin_weight_change_applies_after_update() -> None:
    servers = farm(1, 1)
    balancer = make_balancer("roundrobin", [], servers)
    servers[0].weight = 3
    balancer.update()
    assert Counter(picks(balancer, 8)) == {servers[0]: 6, servers[1]: 2}


def test_static_rr_keeps_configured_weights() -> None:
    servers = farm(1, 1)
    balancer = make_balancer("static-rr", [], servers)
    servers[0].weight = 3  # HAProxy: static algorithms ignore runtime weights
    balancer.update()
    assert Counter(picks(balancer, 8)) == {servers[0]: 4, servers[1]: 4}


# ------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("algorithm", "args", "hash_type"),
    [
        ("weighted", [], "map-based"),
        ("url_param", [], "map-based"),
        ("uri", ["depth"], "map-based"),
        ("uri", ["depth", "0"], "map-based"),
        ("uri", ["sideways"], "map-based"),
        ("hdr(host)", ["use_subdomain"], "map-based"),
        ("random(0)", [], "map-based"),
        ("source", [], "rendezvous"),
        ("source", [], "consistent md5"),
        ("source", [], "consistent sdbm twice"),
    ],
)
def test_bad_configuration_is_rejected(algorithm: str, args: list[str], hash_type: str) -> None:
    with pytest.raises(BalanceError):
        make_balancer(algorithm, args, farm(1), hash_type=hash_type)


@pytest.mark.parametrize(
    ("text", "consistent", "avalanche"),
    [
        ("map-based", False, False),
        ("consistent", True, True),  # implicit sdbm + avalanche
        ("consistent sdbm", True, False),
        ("map-based djb2 avalanche", False, True),
    ],
)
def test_hash_type_parsing(text: str, consistent: bool, avalanche: bool) -> None:
    parsed = HashType.parse(text)
    assert (parsed.consistent, parsed.avalanche) == (consistent, avalanche)


# --------------------------------------------------- parity with real haproxy

HASH_REQUESTS = {
    "source": [("/", {}, f"127.0.{i}.{j}") for i in range(2) for j in range(1, 9)],
    "uri": [(f"/dir{i}/file{i * 7}?x={i}", {}, "127.0.0.1") for i in range(16)],
    "url_param": [(f"/p?a=1&id=user{i}&z", {}, "127.0.0.1") for i in range(16)],
    "hdr(x-key)": [("/", {"X-Key": f"val{i}, other"}, "127.0.0.1") for i in range(16)],
}


def our_picks(
    algorithm: str,
    args: list[str],
    weights: Sequence[int],
    requests: Sequence[tuple[str, dict[str, str], str]],
    hash_type: str,
) -> list[str]:
    balancer = make_balancer(algorithm, args, farm(*weights), hash_type=hash_type)
    chosen = []
    for target, headers, source in requests:
        key = request_key(
            balancer,
            src=ipaddress.ip_address(source),
            target=target.encode(),
            headers=[(k.encode(), v.encode()) for k, v in headers.items()],
        )
        server = balancer.pick(key)
        chosen.append("-" if server is None else server.name)
    return chosen


@pytest.mark.haproxy
@pytest.mark.skipif(not HAVE_HAPROXY, reason="haproxy binary not installed")
@pytest.mark.parametrize(("algorithm", "weights", "expected"), HAPROXY_SEQUENCES)
def test_sequences_match_real_haproxy(
    algorithm: str, weights: tuple[int, ...], expected: str
) -> None:
    requests = [("/", {}, "127.0.0.1")] * len(expected)
    assert "".join(n[1:] for n in backend_picks([f"balance {algorithm}"], weights, requests)) == (
        expected
    )


@pytest.mark.haproxy
@pytest.mark.skipif(not HAVE_HAPROXY, reason="haproxy binary not installed")
@pytest.mark.parametrize("hash_type", ["map-based", "consistent", "map-based djb2 avalanche"])
@pytest.mark.parametrize(
    ("algorithm", "args"),
    [
        ("source", []),
        ("uri", []),
        ("uri", ["depth", "1"]),
        ("url_param", ["id"]),
        ("hdr(x-key)", []),
    ],
)
def test_hashing_matches_real_haproxy(algorithm: str, args: list[str], hash_type: str) -> None:
    requests = HASH_REQUESTS[algorithm.split(" ")[0]]
    weights = (1, 2, 3, 1)
    lines = [f"balance {algorithm} {' '.join(args)}", f"hash-type {hash_type}"]
    assert our_picks(algorithm, args, weights, requests, hash_type) == backend_picks(
        lines, weights, requests
    )


def test_a_change_elsewhere_does_not_restart_the_sequence() -> None:
    # pick() notices changes through a global counter, then compares its own
    # servers' state: a server of another backend changing must not rebuild it.
    ours, theirs = farm(3, 1), farm(1)
    balancer = make_balancer("roundrobin", [], ours)
    reference = make_balancer("roundrobin", [], farm(3, 1))
    sequence = [names([balancer.pick()]) for _ in range(3)]
    theirs[0].up = False
    sequence += [names([balancer.pick()]) for _ in range(5)]
    expected = [names([reference.pick()]) for _ in range(8)]
    assert sequence == expected


def test_every_assignment_of_a_tracked_field_bumps_the_state_version() -> None:
    from proxy.engine import balance

    server = farm(1)[0]
    for field, value in (("up", False), ("disabled", True), ("weight", 7), ("backup", True)):
        before = balance._state_version[0]
        setattr(server, field, value)
        assert getattr(server, field) == value
        assert balance._state_version[0] == before + 1


@pytest.mark.parametrize(("algorithm", "hash_type", "key"), [
    ("roundrobin", "map-based", None), ("static-rr", "map-based", None),
    ("leastconn", "map-based", None), ("first", "map-based", None), ("random", "map-based", None),
    ("uri", "map-based", None), ("uri", "consistent", None), ("uri", "consistent", b"/a"),
    ("source", "map-based", b"\x7f\x00\x00\x01"),
])
def test_a_preview_copy_picks_what_the_live_balancer_will_and_leaves_it_as_it_was(
        algorithm: str, hash_type: str, key: bytes | None) -> None:
    servers = farm(3, 1, 2)
    live = make_balancer(algorithm, [], servers, hash_type=hash_type, rng=random.Random(7))
    twin = make_balancer(algorithm, [], farm(3, 1, 2), hash_type=hash_type, rng=random.Random(7))
    picks(live, 4, key)  # mid-rotation, where the state matters
    picks(twin, 4, key)
    for _ in range(5):
        copy = live.preview_copy()
        previewed = names(picks(copy, 6, key))
        assert previewed == names(picks(twin, 6, key))  # the same state as the live one ...
        assert names(picks(live, 6, key)) == previewed  # ... which the preview did not advance
        assert all(s in servers for s in picks(copy, 3, key))  # the servers are shared
