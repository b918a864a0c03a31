"""Which build of the engine's request path runs: compiled by mypyc, or pure Python.

Theory of operation
-------------------
``python -m proxy.engine.build_native`` compiles the modules in ``MODULES``
with mypyc into extension modules next to their ``.py`` files
(``http1.cpython-311-x86_64-linux-gnu.so`` beside ``http1.py``, plus one
shared ``_native__mypyc`` library holding the code of all of them).
Python's import system prefers an extension module to a source file of the
same name, so once built they are what ``import proxy.engine.http1`` loads;
remove them (``build_native --clean``) and the ``.py`` files run again.
Nothing else changes: the compiled modules are the same source.

Because the choice is made by files on disk, it can be wrong unnoticed: a
benchmark of the "pure" engine that actually ran compiled code, or a
compiled module older than its edited source (which would run the old
code).  ``status()`` answers both without importing the engine: it asks the
path finder which file an import would load for each module and compares the
source's hash with the one ``build_native`` recorded in ``STAMP``.
``proxydesk --version`` and ``proxydesk run -v`` print ``describe()``, and
the test suite refuses to run on a stale build.

This module itself is never compiled (it must work when the others are not).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MODULES", "STAMP", "NativeStatus", "describe", "source_digest", "status"]

# The request path: what a keep-alive request runs (profiled with perf: see bench/RESULTS.md).
# Add a module here and rebuild to compile it too.  A module may be listed only if what
# callers and tests do with its classes works on mypyc's native classes: no subclassing
# from uncompiled code (unless @mypyc_attr(allow_interpreted_subclasses=True)), no
# patching or new attributes, no copy.deepcopy (see balance.preview_copy), no class
# attributes read through the class without ClassVar.  server_state.py stays out for that.
MODULES: tuple[str, ...] = (
    "proxy.engine.http",
    "proxy.engine.h1conn",
    "proxy.engine.http1",
    "proxy.engine.session",
    "proxy.engine.balance",
    "proxy.engine.dispatch",
    "proxy.engine.pool",
    "proxy.engine.acl",
    "proxy.engine.stats",
    "proxy.engine.counters",
    "proxy.engine.logformat",
    "proxy.engine.tcp",
    "proxy.engine.admission",
    "proxy.engine.proxy_protocol",
    "proxy.engine.runtime",
)

PACKAGE_DIR = Path(__file__).resolve().parent
# Written by build_native next to the compiled files: {module: sha256 of its source}.
STAMP = PACKAGE_DIR / "_native_build.json"
GROUP = "proxy.engine._native"  # the shared library: proxy/engine/_native__mypyc.*.so


@dataclass(frozen=True)
class NativeStatus:
    compiled: tuple[str, ...]  # modules whose extension module is what an import loads
    pure: tuple[str, ...]  # modules that run from their .py file
    stale: tuple[str, ...]  # compiled, but the .py changed since the build

    @property
    def active(self) -> bool:
        return bool(self.compiled)


def source_digest(module: str) -> str:
    return hashlib.sha256(_source_path(module).read_bytes()).hexdigest()


def _source_path(module: str) -> Path:
    return PACKAGE_DIR / (module.rsplit(".", 1)[1] + ".py")


def _is_extension(module: str) -> bool:
    # What an import would load from disk now (not sys.modules: a process that imported
    # the .py files before a build, such as build_native itself, must see the build)
    spec = importlib.machinery.PathFinder.find_spec(module, [str(PACKAGE_DIR)])
    origin = spec.origin if spec is not None else None
    return origin is not None and origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _recorded_digests() -> dict[str, str]:
    try:
        recorded = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def _changed_since_build(module: str, recorded: dict[str, str]) -> bool:
    if not _source_path(module).exists():
        return False  # a bundle ships only the compiled modules: nothing can be newer
    return recorded.get(module) != source_digest(module)


def status() -> NativeStatus:
    importlib.invalidate_caches()  # a build or clean in this process changed the directory
    compiled = tuple(m for m in MODULES if _is_extension(m))
    recorded = _recorded_digests()
    stale = tuple(m for m in compiled if _changed_since_build(m, recorded))
    return NativeStatus(compiled, tuple(m for m in MODULES if m not in compiled), stale)


def describe(state: NativeStatus | None = None) -> str:
    """One line for ``--version`` and ``run -v``: which build serves requests."""
    state = state or status()
    if not state.active:
        return "engine: pure Python"
    line = "engine: compiled (mypyc)"
    if state.pure:
        line += f"; pure Python: {', '.join(_short(m) for m in state.pure)}"
    if state.stale:
        line += (f"; STALE (source changed since the build): {', '.join(_short(m) for m in state.stale)}"
                 " -- rebuild with `python -m proxy.engine.build_native` or remove it with --clean")
    return line


def _short(module: str) -> str:
    return module.rsplit(".", 1)[1]
