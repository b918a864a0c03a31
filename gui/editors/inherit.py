"""What a section gets for a setting it does not set itself.

Theory of operation
-------------------
HAProxy resolves a proxy's setting in this order: the proxy's own line, then
its defaults section (``from NAME``, else the last defaults section before it:
``Config.defaults_for``), then that defaults section's own ``from`` chain, and
last HAProxy's built-in value (mode tcp, balance roundrobin, weight 1, inter
2s, rise 2, fall 3).  A defaults section inherits only through ``from``: "the
next defaults section resets" the previous one (configuration manual, 4).
Server options follow the same road through ``default-server`` lines.

Some timeouts fall back on another one when nobody sets them (manual 4.2,
``timeout http-keep-alive``: "if not set, the http-request timeout applies,
and if both are not set, timeout client still applies"); ``TIMEOUT_FALLBACKS``
records those, so an unset field can say what will really apply.

The forms show the result greyed next to an unset field ("http, from
defaults"), so a newcomer sees what will happen without reading the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from proxy.config.model import Config, Section

__all__ = [
    "BUILTIN",
    "TIMEOUT_FALLBACKS",
    "Inherited",
    "default_server_option",
    "inherited",
    "inherited_balance",
    "inherited_mode",
    "timeout_hint",
]

BUILTIN = "HAProxy's default"
BUILTIN_MODE = "tcp"
BUILTIN_BALANCE = "roundrobin"
# Server options HAProxy gives a value when neither the server nor a default-server does.
BUILTIN_SERVER_OPTIONS = {"weight": "1", "inter": "2s", "rise": "2", "fall": "3"}
# timeout -> the timeout that applies in its place when it is not set (manual 4.2).
TIMEOUT_FALLBACKS = {
    "http-request": "client",
    "http-keep-alive": "http-request",
    "client-fin": "client",
    "server-fin": "server",
    "queue": "connect",
    "tarpit": "connect",
}

# What applies instead of a timeout that has no timeout to fall back on (manual 4.2).
UNSET_TIMEOUT_NOTES = {
    "check": "not set: as inter",  # "If timeout check is not set HAProxy uses inter"
    "tunnel": "not set: client/server apply",  # it "supersedes both" once in tunnel mode
}

Reader = Callable[[Section], str | None]


@dataclass(frozen=True)
class Inherited:
    """An effective value and where it comes from ("defaults", "defaults web", BUILTIN)."""

    value: str
    source: str

    @property
    def builtin(self) -> bool:
        return self.source == BUILTIN

    def short(self) -> str:
        """``http, from defaults`` -- or just ``tcp`` for HAProxy's own default."""
        return self.value if self.builtin else f"{self.value}, from {self.source}"


def _describe(section: Section) -> str:
    return f"{section.kind} {section.name}" if section.name else section.kind


def _first_parent(config: Config, section: Section) -> Section | None:
    if section.kind != "defaults":
        return config.defaults_for(section)
    wanted = section.from_defaults  # a defaults section inherits only when told to
    return config.find("defaults", wanted) if wanted else None


def parents(config: Config, section: Section) -> list[Section]:
    """The defaults sections ``section`` inherits from, nearest first (cycles cut)."""
    chain: list[Section] = []
    current = _first_parent(config, section)
    while current is not None and current not in chain and current is not section:
        chain.append(current)
        wanted = current.from_defaults
        current = config.find("defaults", wanted) if wanted else None
    return chain


def inherited(config: Config, section: Section, read: Reader,
              builtin: str | None = None) -> Inherited | None:
    """The value ``read`` finds in the nearest parent, else ``builtin``, else None."""
    for parent in parents(config, section):
        value = read(parent)
        if value:
            return Inherited(value, _describe(parent))
    return Inherited(builtin, BUILTIN) if builtin else None


def inherited_mode(config: Config, section: Section) -> Inherited:
    found = inherited(config, section, lambda s: s.mode, BUILTIN_MODE)
    assert found is not None
    return found


def inherited_balance(config: Config, section: Section) -> Inherited:
    def read(parent: Section) -> str | None:
        node = parent.balance
        return " ".join(node.to_words()[1:]) if node is not None else None

    found = inherited(config, section, read, BUILTIN_BALANCE)
    assert found is not None
    return found


def _own_timeout(section: Section, kind: str) -> str | None:
    node = section.timeouts().get(kind)
    return node.value if node is not None else None


def effective_timeout(config: Config, section: Section, kind: str) -> str | None:
    """The value of ``timeout <kind>`` that applies to ``section``, following fallbacks."""
    seen: set[str] = set()
    current: str | None = kind
    while current is not None and current not in seen:
        seen.add(current)
        own = _own_timeout(section, current)
        if own:
            return own
        found = inherited(config, section, lambda s, k=current: _own_timeout(s, k))
        if found is not None:
            return found.value
        current = TIMEOUT_FALLBACKS.get(current)
    return None


def timeout_hint(config: Config, section: Section, kind: str) -> str:
    """What an unset timeout field shows: ``30s from defaults``, ``not set: as client (5s)``."""
    found = inherited(config, section, lambda s: _own_timeout(s, kind))
    if found is not None:
        return f"{found.value} from {found.source}"
    fallback = TIMEOUT_FALLBACKS.get(kind)
    if fallback is None:
        return UNSET_TIMEOUT_NOTES.get(kind, "not set")
    value = effective_timeout(config, section, fallback)
    return f"not set: as {fallback} ({value})" if value else f"not set: as {fallback}"


def _default_server_option(section: Section, name: str) -> str | None:
    node = section.default_server
    args = node.option(name) if node is not None else None
    return args[0] if args else None


def default_server_option(config: Config, section: Section, name: str,
                          *, include_own: bool = True) -> Inherited | None:
    """What a server of ``section`` gets for option ``name`` when its line does not set it:
    the section's own ``default-server`` (unless ``include_own`` is false: the form that
    edits that line asks what it would inherit), then the parents', then HAProxy's value."""
    own = _default_server_option(section, name) if include_own else None
    if own:
        return Inherited(own, "default-server")
    found = inherited(config, section, lambda s: _default_server_option(s, name),
                      BUILTIN_SERVER_OPTIONS.get(name))
    if found is not None and not found.builtin:
        return Inherited(found.value, f"default-server in {found.source}")
    return found
