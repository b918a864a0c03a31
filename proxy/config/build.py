"""From a statement's words to its typed node: one table, keyword -> node type.

Typed nodes exist only in proxy sections (defaults, frontend, listen,
backend): ``mode`` in a ``ring`` or ``timeout`` in ``resolvers`` mean other
things there, so those statements stay ``Generic``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from proxy.config.directives import DIRECTIVE_TYPES
from proxy.config.nodes import (
    Acl,
    Balance,
    Bind,
    DefaultBackend,
    Generic,
    Mode,
    Node,
    OptionLine,
    Rule,
    Server,
    Timeout,
    UseBackend,
)

__all__ = ["NODE_TYPES", "node_from_words"]

_Factory = Callable[[Sequence[str]], Node]

NODE_TYPES: dict[str, _Factory] = {
    "mode": Mode.from_words,
    "timeout": Timeout.from_words,
    "balance": Balance.from_words,
    "default_backend": DefaultBackend.from_words,
    "use_backend": UseBackend.from_words,
    "option": OptionLine.from_words,
    "bind": Bind.from_words,
    "server": Server.from_words,
    "default-server": Server.from_words,
    "acl": Acl.from_words,
    "http-request": Rule.from_words,
    "http-response": Rule.from_words,
    "http-after-response": Rule.from_words,
    "tcp-request": Rule.from_words,
    "tcp-response": Rule.from_words,
    **DIRECTIVE_TYPES,
}
# "no option x", "default option x", "no log": the prefix belongs to the node.
_PREFIXED = {"option", "log"}


def node_from_words(words: Sequence[str], *, proxy_section: bool) -> Node:
    """Build the typed node for a statement; raises NodeError for a malformed one."""
    if not words:
        return Generic([])
    key = words[0]
    if key in ("no", "default") and len(words) > 1 and words[1] in _PREFIXED:
        key = words[1]
        if key == "log" and words[0] != "no":
            return Generic(list(words))
    factory = NODE_TYPES.get(key) if proxy_section else None
    if factory is None:
        return Generic(list(words))
    node = factory(words)
    if node.to_words() != list(words):  # the lossless contract; a bug if it ever fires
        return Generic(list(words))
    return node
