"""Sans-IO server selection, reproducing HAProxy 2.6's load-balancing algorithms.

Theory of operation
-------------------
The engine owns the runtime server objects (``ServerState`` or a subclass) and
calls ``make_balancer()`` once per backend.  For every connection/request it
asks ``pick(key, exclude=...)`` for a server:

* ``None`` means nothing can be picked now.  ``has_usable()`` then tells the
  two cases apart: ``False`` -> no usable server at all (HAProxy answers 503),
  ``True`` -> every candidate is saturated (HAProxy queues in the backend).
* Hash algorithms (``source``, ``uri``, ``url_param``, ``hdr``) return the
  hashed server even when it is at ``maxconn``, exactly like HAProxy, which
  then queues the request on *that* server: check ``server.has_free_slot()``.
* ``exclude`` is HAProxy's "server to avoid" on redispatch: it is avoided
  when anything else can be chosen, but still returned as a last resort.

Group selection is common to all algorithms (backend.c, ``recount_servers``):
active usable servers if any; otherwise the *first* usable backup server
(returned as is), or, with ``option allbackups``, all usable backups balanced
with the backend's algorithm.

Each algorithm transcribes the matching HAProxy file: ``lb_fwrr.c``
(roundrobin), ``lb_map.c`` (static-rr and map-based hashing), ``lb_chash.c``
(consistent hashing, random), ``lb_fwlc.c`` (leastconn), ``lb_fas.c`` (first)
and the ``get_server_*`` helpers of ``backend.c``.  HAProxy's ebtrees are
modelled by ``_OrderedTree`` (sorted keys, duplicates in insertion order).

Deviations, on purpose: ``update()`` rebuilds the algorithm state instead of
HAProxy's incremental re-positioning, so a roundrobin sequence restarts after
a state change (proportions are unaffected); slow-start and
``hash-balance-factor`` are not modelled.  ``pick()`` re-checks the servers'
state on every call and rebuilds when it changed, so a forgotten ``update()``
never yields a down server.
"""

from __future__ import annotations

import bisect
import ipaddress
import itertools
import math
import random
import zlib
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar, Protocol

from proxy.config import keywords as kw
from proxy.engine.acl import split_header_values

# (re-exported: callers and tests know ServerState as balance.ServerState)
from proxy.engine.server_state import ServerState as ServerState
from proxy.engine.server_state import _state_version as _state_version

# HAProxy's weight scaling constants (include/haproxy/backend-t.h, server-t.h).
BE_WEIGHT_SCALE = 16
SRV_UWGHT_RANGE = 256
SRV_UWGHT_MAX = 256
SRV_EWGHT_MAX = SRV_UWGHT_MAX * BE_WEIGHT_SCALE
SRV_EWGHT_RANGE = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE
_U32 = 0xFFFFFFFF


class BalanceError(ValueError):
    """An unknown algorithm, bad algorithm argument or bad hash-type."""


class KeyKind(Enum):
    """Which request property a balancer hashes (see ``request_key``)."""

    NONE = "none"
    SOURCE = "source"
    URI = "uri"
    URL_PARAM = "url_param"
    HEADER = "hdr"


class Balancer(Protocol):
    key_kind: KeyKind
    key_name: str | None  # url_param name or header name

    def pick(
        self, key: bytes | None = None, *, exclude: Container[ServerState] = ()
    ) -> ServerState | None: ...

    def update(self) -> None: ...

    def has_usable(self) -> bool: ...

    def preview_copy(self) -> Balancer:
        """A balancer in the same state, sharing the servers: picking from it leaves this
        one's rotation as it was (Engine.route's "which server would it be")."""
        ...


# --------------------------------------------------------------------------- hashes
# Transcribed from HAProxy's src/hash.c (all arithmetic is on unsigned 32 bits).


def hash_sdbm(data: bytes) -> int:
    h = 0
    for c in data:
        h = (c + (h << 6) + (h << 16) - h) & _U32
    return h


def hash_djb2(data: bytes) -> int:
    h = 5381
    for c in data:
        h = ((h << 5) + h + c) & _U32
    return h


def hash_wt6(data: bytes) -> int:
    h0, h1, step0, step1 = 0xA53C965A, 0x5CA6953A, 6, 18
    for t in data:
        h0 = ~(h0 ^ t) & _U32
        h1 = ~(h1 + t) & _U32
        t = ((h1 << step0) | (h1 >> (32 - step0))) & _U32
        h1 = ((h0 << step1) | (h0 >> (32 - step1))) & _U32
        h0 = t
        t = ((h0 >> 16) ^ h1) & 0xFFFF
        step0 = t & 0x1F
        step1 = t >> 11
    return h0 ^ h1


def hash_crc32(data: bytes) -> int:
    # HAProxy's hash_crc32 is the standard (Ethernet/zlib) CRC32: use zlib's.
    return zlib.crc32(data) & _U32


def full_hash(a: int) -> int:
    """Bob Jenkins' avalanche hash times a large prime, as HAProxy's full_hash()."""
    a = ((a + 0x7ED55D16) + (a << 12)) & _U32
    a = ((a ^ 0xC761C23C) ^ (a >> 19)) & _U32
    a = ((a + 0x165667B1) + (a << 5)) & _U32
    a = ((a + 0xD3A2646C) ^ (a << 9)) & _U32
    a = ((a + 0xFD7046C5) + (a << 3)) & _U32
    a = ((a ^ 0xB55A4F09) ^ (a >> 16)) & _U32
    return (a * 3221225473) & _U32


HASH_FUNCTIONS: dict[str, Callable[[bytes], int]] = {
    "sdbm": hash_sdbm,
    "djb2": hash_djb2,
    "wt6": hash_wt6,
    "crc32": hash_crc32,
}


@dataclass(frozen=True, slots=True)
class HashType:
    """A parsed ``hash-type <method> [<function> [<modifier>]]``."""

    consistent: bool
    function: Callable[[bytes], int]
    avalanche: bool

    @classmethod
    def parse(cls, text: str) -> HashType:
        words = text.split()
        problem = kw.hash_type_problem(words)  # the registry's rule, shared with the checker
        if problem is not None:
            raise BalanceError(problem[1])
        consistent = words[0] == "consistent"
        if len(words) == 1:
            # cfgparse-listen.c: "if consistent with no argument, then avalanche
            # modifier is also applied".
            return cls(consistent, hash_sdbm, consistent)
        modifier = words[2] if len(words) == 3 else ""
        return cls(consistent, HASH_FUNCTIONS[words[1]], modifier == "avalanche")

    def finish(self, h: int) -> int:
        return full_hash(h) if self.avalanche else h


def source_hash(address: bytes) -> int:
    """backend.c get_server_sh(): XOR of the address' 32-bit big-endian words."""
    h = 0
    for offset in range(0, len(address) - 3, 4):
        h ^= int.from_bytes(address[offset : offset + 4], "big")
    return h


# ------------------------------------------------------------------- key helpers


def url_param_value(target: bytes | None, name: bytes) -> bytes | None:
    """backend.c get_server_ph(): value of query parameter <name>, or None."""
    if target is None:
        return None
    qmark = target.find(b"?")
    if qmark < 0:
        return None
    params = target[qmark + 1 :]
    plen = len(name)
    while len(params) > plen:
        if params[plen : plen + 1] == b"=" and params[:plen] == name:
            value = params[plen + 1 :]
            amp = value.find(b"&")
            return value if amp < 0 else value[:amp]
        amp = params.find(b"&")
        if amp < 0:
            return None
        params = params[amp + 1 :]
    return None


def first_header_value(headers: Sequence[tuple[bytes, bytes]] | None, name: str) -> bytes | None:
    """First comma-delimited value of the first <name> header (http_find_header(full=0))."""
    if headers is None:
        return None
    wanted = name.lower().encode("latin-1")
    for header_name, value in headers:
        if header_name.lower() == wanted:
            return split_header_values(value)[0]
    return None


def request_key(
    balancer: Balancer,
    *,
    src: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
    target: bytes | None = None,
    headers: Sequence[tuple[bytes, bytes]] | None = None,
) -> bytes | None:
    """Extract the hash input ``balancer.pick()`` expects from a request."""
    kind = balancer.key_kind
    if kind is KeyKind.SOURCE:
        return None if src is None else src.packed
    if kind is KeyKind.URI:
        return target
    if kind is KeyKind.URL_PARAM:
        return url_param_value(target, (balancer.key_name or "").encode("latin-1"))
    if kind is KeyKind.HEADER:
        return first_header_value(headers, balancer.key_name or "")
    return None


# --------------------------------------------------------------- common plumbing


class _OrderedTree:
    """An ebtree stand-in: sorted by key, duplicates kept in insertion order."""

    __slots__ = ("_entries",)
    _seq: ClassVar[itertools.count[int]] = itertools.count()  # shared: ties keep insertion order

    def __init__(self) -> None:
        self._entries: list[tuple[int, int, _FwrrNode]] = []

    def insert(self, node: _FwrrNode, key: int) -> None:
        entry = (key, next(self._seq), node)
        node.entry = entry
        node.tree = self
        # (key, unique sequence) decides every comparison, so plain tuple order
        # works without a per-comparison key function.
        bisect.insort(self._entries, entry)

    def clone(self, nodes: dict[int, _FwrrNode]) -> _OrderedTree:
        """The same entries over the copies ``nodes`` ({id(original): copy})."""
        clone = _OrderedTree()
        for key, seq, node in self._entries:
            copy = nodes[id(node)]
            copy.entry = (key, seq, copy)
            copy.tree = clone
            clone._entries.append(copy.entry)
        return clone

    def remove(self, node: _FwrrNode) -> None:
        assert node.entry is not None
        index = bisect.bisect_left(self._entries, node.entry)
        del self._entries[index]
        node.tree = None
        node.entry = None

    def first(self) -> _FwrrNode | None:
        return self._entries[0][2] if self._entries else None


@dataclass(frozen=True, slots=True)
class _Group:
    """The servers currently eligible (backend.c recount_servers)."""

    members: tuple[ServerState, ...]  # balanced group (active, or all backups)
    single: ServerState | None  # first backup, returned as is


def _select_group(servers: Sequence[ServerState], allbackups: bool) -> _Group:
    active = tuple(s for s in servers if not s.backup and s.usable())
    if active:
        return _Group(active, None)
    backups = tuple(s for s in servers if s.backup and s.usable())
    if backups and not allbackups:
        return _Group((), backups[0])
    return _Group(backups, None)


def _server_ids(servers: Sequence[ServerState]) -> dict[ServerState, int]:
    """HAProxy's puid: explicit ids kept, others get the next free id from 1."""
    taken = {s.id for s in servers if s.id > 0}
    ids: dict[ServerState, int] = {}
    next_free = 1
    for server in servers:
        if server.id > 0:
            ids[server] = server.id
            continue
        while next_free in taken:
            next_free += 1
        ids[server] = next_free
        taken.add(next_free)
    return ids


def puid_of(servers: Sequence[ServerState], server: ServerState) -> int:
    """The server's id as HAProxy numbers it (``srv_id``, the stats' sid)."""
    return _server_ids(servers)[server]


def _signature(servers: Sequence[ServerState]) -> tuple[tuple[bool, int, bool], ...]:
    return tuple((s.usable(), s.weight, s.backup) for s in servers)


class _Algorithm(Protocol):
    def pick(self, key: bytes | None, exclude: Container[ServerState]) -> ServerState | None: ...

    def clone(self) -> _Algorithm: ...  # the same state, for preview_copy()


# Why explicit clone() methods rather than copy.deepcopy: compiled by mypyc, these are
# native classes, which deepcopy cannot rebuild (their constructor runs __init__).


class _BalancerBase:
    """Group selection, staleness guard and key plumbing shared by all algorithms."""

    def __init__(
        self,
        servers: Sequence[ServerState],
        allbackups: bool,
        build: Callable[[tuple[ServerState, ...]], _Algorithm],
        key_kind: KeyKind = KeyKind.NONE,
        key_name: str | None = None,
    ) -> None:
        self.servers = tuple(servers)
        self.allbackups = allbackups
        self.key_kind = key_kind
        self.key_name = key_name
        self._build = build
        self.update()

    def update(self) -> None:
        self._version = _state_version[0]
        self._signature = _signature(self.servers)
        self._group = _select_group(self.servers, self.allbackups)
        self._algorithm = self._build(self._group.members) if self._group.members else None

    def has_usable(self) -> bool:
        return any(s.usable() for s in self.servers)

    def preview_copy(self) -> _BalancerBase:
        clone = _BalancerBase(self.servers, self.allbackups, self._build, self.key_kind, self.key_name)
        clone._version, clone._signature, clone._group = self._version, self._signature, self._group
        clone._algorithm = self._algorithm.clone() if self._algorithm is not None else None
        return clone

    def pick(
        self, key: bytes | None = None, *, exclude: Container[ServerState] = ()
    ) -> ServerState | None:
        if self._version != _state_version[0]:  # some server changed somewhere: ours?
            self._version = _state_version[0]
            if _signature(self.servers) != self._signature:
                self.update()
        if self._group.single is not None:
            return self._group.single
        if self._algorithm is None:
            return None
        return self._algorithm.pick(key, exclude)


# ------------------------------------------------------------------ roundrobin


class _FwrrNode:
    __slots__ = ("entry", "eweight", "lpos", "npos", "rweight", "server", "tree")

    def __init__(self, server: ServerState) -> None:
        self.server = server
        self.eweight = server.weight * BE_WEIGHT_SCALE
        self.npos = self.lpos = self.rweight = 0
        self.tree: _OrderedTree | None = None
        self.entry: tuple[int, int, _FwrrNode] | None = None

    def clone(self) -> _FwrrNode:
        """Positions copied; tree and entry are set by the tree's clone()."""
        clone = _FwrrNode(self.server)
        clone.eweight, clone.npos, clone.lpos, clone.rweight = self.eweight, self.npos, self.lpos, self.rweight
        return clone

    def __lt__(self, other: _FwrrNode) -> bool:
        return False  # never reached: tree entries differ in their sequence number


class _Fwrr:
    """lb_fwrr.c: weighted round robin over positions in a sliding window.

    Each server advances by ``total_weight / its_weight`` positions per pick;
    the server with the lowest next position is served first.  Servers start
    in the "init" tree (heaviest first), move to "curr" once scheduled and to
    "next" when their next position falls beyond the current window; when
    "curr" drains, "init" and "next" swap.
    """

    def __init__(self, members: tuple[ServerState, ...]) -> None:
        self.nodes = {s: _FwrrNode(s) for s in members}
        total = sum(n.eweight for n in self.nodes.values())
        self.curr_pos = self.curr_weight = self.next_weight = total
        self.curr, self.init, self.next = _OrderedTree(), _OrderedTree(), _OrderedTree()
        for node in self.nodes.values():
            self._queue_by_weight(self.init, node)

    def clone(self) -> _Fwrr:
        clone = _Fwrr(())
        copies = {id(node): node.clone() for node in self.nodes.values()}
        clone.nodes = {server: copies[id(node)] for server, node in self.nodes.items()}
        clone.curr_pos, clone.curr_weight, clone.next_weight = self.curr_pos, self.curr_weight, self.next_weight
        clone.curr, clone.init, clone.next = (tree.clone(copies) for tree in (self.curr, self.init, self.next))
        return clone

    def _queue_by_weight(self, tree: _OrderedTree, node: _FwrrNode) -> None:
        tree.insert(node, SRV_EWGHT_MAX - node.eweight)

    def _queue(self, node: _FwrrNode) -> None:
        if node.npos >= 2 * self.curr_weight or node.npos >= self.curr_weight + self.next_weight:
            node.npos -= self.curr_weight
            self._queue_by_weight(self.next, node)
            return
        key = (
            SRV_UWGHT_RANGE * node.npos
            + (SRV_EWGHT_MAX + node.rweight - node.eweight) // BE_WEIGHT_SCALE
        )
        self.curr.insert(node, key)

    def _from_group(self) -> _FwrrNode | None:
        head = self.curr.first()
        if head is not None and head.npos <= self.curr_pos:
            return head
        fresh = self.init.first()
        if fresh is not None:
            fresh.npos = fresh.rweight = 0
            return fresh
        return head

    def _update_position(self, node: _FwrrNode) -> None:
        if not node.npos:
            node.npos = self.curr_pos
        node.lpos = node.npos
        node.npos += self.next_weight // node.eweight
        node.rweight += self.next_weight % node.eweight
        if node.rweight >= node.eweight:
            node.rweight -= node.eweight
            node.npos += 1

    def _switch_trees(self) -> None:
        self.init, self.next = self.next, self.init
        self.curr_weight = self.next_weight
        self.curr_pos = self.curr_weight

    def _extract(self, switched: bool) -> tuple[_FwrrNode | None, bool]:
        while True:
            node = self._from_group()
            if node is not None or switched:
                return node, switched
            switched = True
            self._switch_trees()

    def pick(self, key: bytes | None, exclude: Container[ServerState]) -> ServerState | None:
        switched = False
        avoided: _FwrrNode | None = None
        skipped: list[_FwrrNode] = []  # saturated or avoided, requeued at the end
        chosen: _FwrrNode | None = None
        while chosen is None:
            if not self.curr_weight:
                self.curr_pos = self.curr_weight = self.next_weight
            node, switched = self._extract(switched)
            if node is None:
                chosen = avoided
                break
            self._update_position(node)
            assert node.tree is not None
            node.tree.remove(node)
            self.curr_pos += 1
            if node.server.has_free_slot():
                if node.server not in exclude:
                    chosen = node
                    break
                avoided = avoided or node
            skipped.append(node)
        if chosen is not None:
            self._queue(chosen)
        for node in skipped:
            if node is not chosen:
                self._queue_by_weight(self.init, node) if switched else self._queue(node)
        return None if chosen is None else chosen.server


# ------------------------------------------------------------------ map (static)


def _static_weights(servers: Sequence[ServerState]) -> dict[ServerState, int]:
    """lb_map.c init_server_map(): configured weights divided by their GCD."""
    gcd = math.gcd(*(s.weight for s in servers)) or 1
    return {s: s.weight // gcd for s in servers}


def _build_map(
    members: Sequence[ServerState], weights: dict[ServerState, int]
) -> list[ServerState]:
    """lb_map.c recalc_server_map(): spread servers smoothly, first declared first."""
    total = sum(weights[s] for s in members)
    if total == 1:
        return [members[0]]
    scores = dict.fromkeys(members, 0)
    table: list[ServerState] = []
    for _ in range(total):
        best, best_score = members[0], -1
        for server in members:
            scores[server] += weights[server]
            score = (scores[server] + total) // total
            if score > best_score:
                best, best_score = server, score
        table.append(best)
        scores[best] -= total
    return table


class _Map:
    """static-rr and map-based hashing over the weighted server table."""

    def __init__(self, members: Sequence[ServerState], weights: dict[ServerState, int]) -> None:
        self.table = _build_map([s for s in members if weights[s] > 0], weights)
        self.rr_index = 0

    def clone(self) -> _Map:
        clone = _Map((), {})
        clone.table, clone.rr_index = self.table, self.rr_index  # (the table is never changed)
        return clone

    def round_robin(self, exclude: Container[ServerState]) -> ServerState | None:
        """lb_map.c map_get_server_rr(): next non-saturated entry of the table."""
        if not self.table:
            return None
        size = len(self.table)
        start = self.rr_index if 0 <= self.rr_index < size else 0
        avoided: tuple[ServerState, int] | None = None
        for step in range(size):
            index = (start + step) % size
            server = self.table[index]
            if not server.has_free_slot():
                continue
            if server not in exclude:
                self.rr_index = index + 1
                return server
            avoided = avoided or (server, index + 1)
        if avoided is None:
            return None
        self.rr_index = avoided[1]
        return avoided[0]

    def lookup(self, h: int) -> ServerState | None:
        return self.table[h % len(self.table)] if self.table else None


# ------------------------------------------------------------------ consistent


class _Ring:
    """lb_chash.c: <weight * 16> points per server, keyed full_hash(id*4096 + i)."""

    def __init__(self, members: Sequence[ServerState], ids: dict[ServerState, int]) -> None:
        points = sorted(
            (full_hash((ids[s] * SRV_EWGHT_RANGE + i) & _U32), order, s)
            for order, s in enumerate(members)
            for i in range(s.weight * BE_WEIGHT_SCALE)
        )
        self.keys = [key for key, _, _ in points]
        self.owners = [server for _, _, server in points]
        self.last: int | None = None

    def clone(self) -> _Ring:
        clone = _Ring((), {})
        clone.keys, clone.owners, clone.last = self.keys, self.owners, self.last  # (lists never changed)
        return clone

    def lookup(self, h: int, exclude: Container[ServerState]) -> ServerState | None:
        """chash_get_server_hash(): the closest point, then skip avoided servers."""
        if not self.keys:
            return None
        size = len(self.keys)
        nxt = bisect.bisect_left(self.keys, h) % size
        prev = (nxt - 1) % size
        if (h - self.keys[prev]) & _U32 <= (self.keys[nxt] - h) & _U32:
            nxt = prev
        for step in range(size):
            server = self.owners[(nxt + step) % size]
            if server not in exclude:
                return server
        return self.owners[nxt]

    def round_robin(self, exclude: Container[ServerState]) -> ServerState | None:
        """chash_get_next_server(): walk the ring from the last position."""
        size = len(self.keys)
        if not size:
            return None
        start = -1 if self.last is None else self.last
        avoided: tuple[ServerState, int] | None = None
        for step in range(1, size + 1):
            index = (start + step) % size
            server = self.owners[index]
            if not server.has_free_slot():
                continue
            if server not in exclude:
                self.last = index
                return server
            avoided = avoided or (server, index)
        if avoided is None:
            self.last = (start + size) % size
            return None
        self.last = avoided[1]
        return avoided[0]


# ----------------------------------------------------------- hashing algorithms


@dataclass(frozen=True, slots=True)
class _UriOptions:
    whole: bool = False
    path_only: bool = False
    length: int = 0  # 0 = unlimited
    depth: int = 0  # 0 = unlimited

    def hash_input(self, uri: bytes) -> bytes:
        """backend.c get_server_uh(): the part of the URI that gets hashed."""
        if self.path_only:
            uri = _path_and_query(uri)
        if self.length:
            uri = uri[: self.length]
        end = len(uri)
        stop_at_slash = self.depth + 1 if self.depth else 0
        slashes = 0
        for index, char in enumerate(uri):
            if char == 0x2F:  # '/'
                slashes += 1
                if slashes == stop_at_slash:
                    end = index
                    break
            elif char == 0x3F and not self.whole:  # '?'
                end = index
                break
        return uri[:end]


def _path_and_query(uri: bytes) -> bytes:
    """http_parse_path(): drop "scheme://authority" of an absolute URI."""
    if uri.startswith(b"/"):
        return uri
    scheme_end = uri.find(b"://")
    if scheme_end < 0:
        return b""
    slash = uri.find(b"/", scheme_end + 3)
    return b"" if slash < 0 else uri[slash:]


def _domain_only(value: bytes) -> bytes:
    """backend.c get_server_hh() "use_domain_only": "haproxy.1wt.eu" -> "1wt"."""
    last_dot = value.rfind(b".")
    if last_dot < 0:
        return value
    start = value.rfind(b".", 0, last_dot) + 1
    return value[start:last_dot]


class _Hashed:
    """source/uri/url_param/hdr: hash the key, fall back to round robin without one."""

    def __init__(
        self,
        members: tuple[ServerState, ...],
        hash_type: HashType,
        to_hash: Callable[[bytes], int | None],
        ids: dict[ServerState, int],
        static_weights: dict[ServerState, int],
    ) -> None:
        self.hash_type = hash_type
        self.to_hash = to_hash
        self.ring = _Ring(members, ids) if hash_type.consistent else None
        self.map = None if hash_type.consistent else _Map(members, static_weights)

    def clone(self) -> _Hashed:
        clone = _Hashed((), self.hash_type, self.to_hash, {}, {})
        clone.ring = self.ring.clone() if self.ring is not None else None
        clone.map = self.map.clone() if self.map is not None else None
        return clone

    def pick(self, key: bytes | None, exclude: Container[ServerState]) -> ServerState | None:
        h = None if key is None else self.to_hash(key)
        if self.ring is not None:
            if h is None:
                return self.ring.round_robin(exclude)
            return self.ring.lookup(self.hash_type.finish(h), exclude)
        assert self.map is not None
        if h is None:
            return self.map.round_robin(exclude)
        # map_get_server_hash() ignores the server to avoid: same as HAProxy.
        return self.map.lookup(self.hash_type.finish(h))


# ------------------------------------------------------------ dynamic algorithms


class _LeastConn:
    """lb_fwlc.c: lowest (inflight+1)*4096/eweight first, ties in requeue order.

    HAProxy re-inserts a server at the end of its equal-key group each time
    its connection count changes, which round-robins among equally loaded
    servers; the sequence stamps below reproduce that.
    """

    def __init__(self, members: tuple[ServerState, ...]) -> None:
        self.members = members
        self._last_stamp = 0
        self.seen = {s: (s.active_conns + s.queued, 0) for s in members}

    def clone(self) -> _LeastConn:
        clone = _LeastConn(self.members)
        clone._last_stamp, clone.seen = self._last_stamp, dict(self.seen)
        return clone

    def _next_stamp(self) -> int:
        self._last_stamp += 1
        return self._last_stamp

    def _key(self, server: ServerState) -> tuple[int, int]:
        inflight = server.active_conns + server.queued
        seen_inflight, stamp = self.seen[server]
        if inflight != seen_inflight:
            stamp = self._next_stamp()
            self.seen[server] = (inflight, stamp)
        eweight = server.weight * BE_WEIGHT_SCALE
        load = (inflight + 1) * SRV_EWGHT_MAX // eweight if inflight else 0
        return load, stamp

    def pick(self, key: bytes | None, exclude: Container[ServerState]) -> ServerState | None:
        ordered = sorted(self.members, key=self._key)
        candidates = [s for s in ordered if s.has_free_slot()]
        chosen = next((s for s in candidates if s not in exclude), None)
        chosen = chosen or (candidates[0] if candidates else None)
        if chosen is not None:
            # taking a connection requeues the server behind its equals
            self.seen[chosen] = (self.seen[chosen][0], self._next_stamp())
        return chosen


class _First:
    """lb_fas.c: lowest server id with a free slot."""

    def __init__(self, members: tuple[ServerState, ...], ids: dict[ServerState, int]) -> None:
        self.ordered = sorted(members, key=ids.__getitem__)

    def clone(self) -> _First:
        return self  # picking changes nothing

    def pick(self, key: bytes | None, exclude: Container[ServerState]) -> ServerState | None:
        candidates = [s for s in self.ordered if s.has_free_slot()]
        chosen = next((s for s in candidates if s not in exclude), None)
        return chosen or (candidates[0] if candidates else None)


class _Random:
    """backend.c get_server_rnd(): best of <draws> random points on the ring."""

    def __init__(
        self,
        members: tuple[ServerState, ...],
        ids: dict[ServerState, int],
        draws: int,
        rng: random.Random,
    ) -> None:
        self.ring = _Ring(members, ids)
        self.draws = draws
        self.rng = rng

    def clone(self) -> _Random:
        rng = random.Random()
        rng.setstate(self.rng.getstate())  # the same draws next, without consuming the live ones
        clone = _Random((), {}, self.draws, rng)
        clone.ring = self.ring.clone()
        return clone

    def pick(self, key: bytes | None, exclude: Container[ServerState]) -> ServerState | None:
        best: ServerState | None = None
        for _ in range(self.draws):
            drawn = self.ring.lookup(self.rng.getrandbits(32), exclude)
            if drawn is None:
                break
            if (
                best is not None
                and best is not drawn
                and (drawn.active_conns * best.weight > best.active_conns * drawn.weight)
            ):
                drawn = best
            best = drawn
        # a saturated pick means "queue in the backend", as in HAProxy
        if best is not None and not best.has_free_slot():
            return None
        return best


# --------------------------------------------------------------------- factory


def _parse_uri_options(args: Sequence[str]) -> _UriOptions:
    flags = {"whole": False, "path-only": False}
    numbers = {"len": 0, "depth": 0}
    words = iter(args)
    for word in words:
        if word in flags:
            flags[word] = True
        elif word in numbers:
            value = next(words, "")
            if not value.isdigit() or int(value) <= 0:
                raise BalanceError(f"uri: '{word}' expects a positive integer.")
            numbers[word] = int(value)
        else:
            raise BalanceError(f"uri: unknown option '{word}'.")
    return _UriOptions(flags["whole"], flags["path-only"], numbers["len"], numbers["depth"])


_KeyHasherFactory = Callable[[HashType], Callable[[bytes], int | None]]


def _hash_input(
    algorithm: str, args: Sequence[str]
) -> tuple[KeyKind, str | None, _KeyHasherFactory]:
    """Key kind, key name and a hash-type -> key-hasher factory per algorithm."""
    if algorithm == "source":
        return KeyKind.SOURCE, None, lambda ht: source_hash
    if algorithm == "uri":
        options = _parse_uri_options(args)
        return KeyKind.URI, None, lambda ht: lambda k: ht.function(options.hash_input(k))
    if algorithm == "url_param":
        # further words ("check_post" [max_wait]) are accepted; bodies are not scanned
        if not args:
            raise BalanceError("'balance url_param' requires an URL parameter name.")
        return KeyKind.URL_PARAM, args[0], lambda ht: ht.function
    if algorithm.startswith("hdr(") and algorithm.endswith(")") and len(algorithm) > 5:
        domain_only = list(args) == ["use_domain_only"]
        if args and not domain_only:
            raise BalanceError(f"hdr(): unknown option '{args[0]}'.")

        def header_hasher(ht: HashType) -> Callable[[bytes], int | None]:
            def hash_header(value: bytes) -> int | None:
                if not value:  # empty header: HAProxy falls back to round robin
                    return None
                return ht.function(_domain_only(value) if domain_only else value)

            return hash_header

        return KeyKind.HEADER, algorithm[4:-1], header_hasher
    raise BalanceError(f"unknown load balancing algorithm '{algorithm}'.")


def _random_draws(algorithm: str) -> int | None:
    if algorithm == "random":
        return 2
    if algorithm.startswith("random(") and algorithm.endswith(")"):
        text = algorithm[7:-1]
        if not text.isdigit() or int(text) < 1:
            raise BalanceError("random: <draws> must be an integer value one or greater.")
        return int(text)
    return None


def make_balancer(
    algorithm: str,
    args: Sequence[str],
    servers: Sequence[ServerState],
    *,
    hash_type: str = "map-based",
    allbackups: bool = False,
    rng: random.Random | None = None,
) -> Balancer:
    """Build the balancer for ``balance <algorithm> <args...>`` over ``servers``.

    ``servers`` is the farm in declaration order; ``rng`` seeds ``random``.
    """
    ids = _server_ids(servers)
    simple: dict[str, Callable[[tuple[ServerState, ...]], _Algorithm]] = {
        "roundrobin": _Fwrr,
        "leastconn": _LeastConn,
        "first": lambda members: _First(members, ids),
    }
    if algorithm in simple:
        return _BalancerBase(servers, allbackups, simple[algorithm])
    static_weights = _static_weights(servers)
    if algorithm == "static-rr":
        return _BalancerBase(servers, allbackups, lambda m: _StaticRr(m, static_weights))
    draws = _random_draws(algorithm)
    if draws is not None:
        chooser = rng or random.Random()
        return _BalancerBase(servers, allbackups, lambda m: _Random(m, ids, draws, chooser))
    parsed = HashType.parse(hash_type)
    kind, name, hasher_for = _hash_input(algorithm, args)
    to_hash = hasher_for(parsed)
    return _BalancerBase(
        servers,
        allbackups,
        lambda m: _Hashed(m, parsed, to_hash, ids, static_weights),
        kind,
        name,
    )


class _StaticRr:
    def __init__(self, members: tuple[ServerState, ...], weights: dict[ServerState, int]) -> None:
        self.map = _Map(members, weights)

    def clone(self) -> _StaticRr:
        clone = _StaticRr((), {})
        clone.map = self.map.clone()
        return clone

    def pick(self, key: bytes | None, exclude: Container[ServerState]) -> ServerState | None:
        return self.map.round_robin(exclude)
