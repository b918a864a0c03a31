"""What a section gets for a setting it does not set itself, as the forms show it.

Theory of operation
-------------------
The meaning of a config is decided once, by ``proxy.config.semantics``: it
resolves each section's defaults chain as HAProxy 2.6 does (``from NAME``
among the defaults declared before, else the last defaults section before
it; a defaults section inherits only through ``from``) and says where each
value comes from.  HAProxy's built-in values and the timeout fallbacks live in
the registry (``proxy.config.keywords``).  This module only turns those
answers into the short texts the forms show greyed next to an unset field
("http, from defaults base"), so the screen says what the checker and the
engine do.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.config import keywords as kw
from proxy.config.model import Config, Section
from proxy.config.semantics import ProxyMeaning, Source, Value, meaning_of

__all__ = [
    "BUILTIN",
    "Inherited",
    "default_server_option",
    "effective_timeout",
    "inherited_balance",
    "inherited_default_backend",
    "inherited_mode",
    "parents",
    "timeout_hint",
]

BUILTIN = kw.BUILTIN_SOURCE


@dataclass(frozen=True)
class Inherited:
    """An effective value, where it comes from ("defaults web", BUILTIN) and, for a
    tooltip, the exact line ("defaults base line 4, through defaults web")."""

    value: str
    source: str
    detail: str = ""

    @property
    def builtin(self) -> bool:
        return self.source == BUILTIN

    def short(self) -> str:
        """``http, from defaults`` -- or just ``tcp`` for HAProxy's own default."""
        return self.value if self.builtin else f"{self.value}, from {self.source}"


def _shown(value: str, source: Source, prefix: str = "") -> Inherited:
    where = source.where()
    return Inherited(value, f"{prefix}{where}" if not source.builtin else where, source.describe())


def _inherited(config: Config, section: Section) -> ProxyMeaning:
    return meaning_of(config, section, own=False)


def parents(config: Config, section: Section) -> list[Section]:
    """The defaults sections ``section`` inherits from, nearest first."""
    return list(meaning_of(config, section).chain)


def inherited_mode(config: Config, section: Section) -> Inherited:
    found = _inherited(config, section).mode
    return _shown(found.value, found.source)


def inherited_balance(config: Config, section: Section) -> Inherited:
    found = _inherited(config, section).balance
    return _shown(" ".join(found.value), found.source)


def inherited_default_backend(config: Config, section: Section) -> Inherited | None:
    found = _inherited(config, section).default_backend
    return _shown(found.value, found.source) if found is not None else None


def effective_timeout(config: Config, section: Section, kind: str) -> str | None:
    """The value of ``timeout <kind>`` that applies to ``section``, following fallbacks."""
    found = meaning_of(config, section).effective_timeout(kind)
    return found[1].value if found is not None else None


def timeout_hint(config: Config, section: Section, kind: str) -> str:
    """What an unset timeout field shows: ``30s from defaults``, ``not set: as client (5s)``."""
    found: Value[str] | None = _inherited(config, section).timeout(kind)
    if found is not None:
        return f"{found.value} from {found.source.where()}"
    spec = kw.TIMEOUTS.get(kind)
    if spec is None or spec.fallback is None:
        return spec.unset if spec is not None else "not set"
    value = effective_timeout(config, section, spec.fallback)
    return f"not set: as {spec.fallback} ({value})" if value else f"not set: as {spec.fallback}"


def default_server_option(config: Config, section: Section, name: str,
                          *, include_own: bool = True) -> Inherited | None:
    """What a server of ``section`` gets for option ``name`` when its line does not set it:
    the section's own ``default-server`` (unless ``include_own`` is false: the form that
    edits that line asks what it would inherit), then the parents', then HAProxy's value."""
    meaning = meaning_of(config, section)
    found = meaning.server_option(name, own_defaults=include_own)
    if found is None:
        return None
    if found.source.section is section:
        return Inherited(found.value, "default-server", found.source.describe())
    return _shown(found.value, found.source, prefix="default-server in ")
