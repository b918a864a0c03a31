"""What a balancer knows about a server (``ServerState``), and the counter that notices changes.

Its own module, never compiled by mypyc (``proxy.engine.native``): the engine's
``runtime.RuntimeServer`` extends it, and ``_track_assignments`` replaces its slot
descriptors with tracking properties -- neither is possible on a mypyc native class.
(A ``dataclass(slots=True)`` is also a second class object, which a compiled
module's type checks would not recognise.)  The compiled balancer reads these
objects as ordinary Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ServerState"]


@dataclass(eq=False, slots=True)
class ServerState:
    """What the balancer needs to know about a server; the engine extends it."""

    name: str
    weight: int = 1  # 0..256; 0 means "no new traffic" (drain)
    backup: bool = False
    up: bool = True  # health-check state
    disabled: bool = False  # maintenance
    maxconn: int = 0  # 0 = unlimited
    active_conns: int = 0  # connections/requests currently served
    queued: int = 0  # requests waiting in this server's own queue
    id: int = 0  # HAProxy "id" keyword; 0 = automatic (position in the farm)

    def usable(self) -> bool:
        return self.up and not self.disabled and self.weight > 0

    def has_free_slot(self) -> bool:
        # HAProxy treats a server with a pending queue as full, so that queued
        # requests are served before newcomers (fairness).
        return self.maxconn == 0 or (self.queued == 0 and self.active_conns < self.maxconn)


# Every assignment to a server's up/disabled/weight/backup bumps this counter,
# so a balancer notices a change it was not told about (a forgotten update())
# with one integer comparison per pick instead of re-reading every server.
_state_version = [0]


def _track_assignments(cls: type, names: tuple[str, ...]) -> None:
    """Wrap the slots ``names`` of ``cls`` so that setting one bumps ``_state_version``.

    Reads stay in C (a property whose getter is the slot's own ``__get__``);
    only the rare writes run Python code.
    """
    for name in names:
        slot = cls.__dict__[name]

        def set_tracked(obj: object, value: object, slot: object = slot) -> None:
            slot.__set__(obj, value)  # type: ignore[attr-defined]
            _state_version[0] += 1

        setattr(cls, name, property(slot.__get__, set_tracked))


_track_assignments(ServerState, ("up", "disabled", "weight", "backup"))
