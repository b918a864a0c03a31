"""Compile the engine's request path with mypyc, in place: ``python -m proxy.engine.build_native``.

Usage::

    python -m proxy.engine.build_native            # compile (exit 1 if it cannot)
    python -m proxy.engine.build_native --if-possible   # compile, or say why not and exit 0
    python -m proxy.engine.build_native --clean    # back to pure Python

The modules in ``proxy.engine.native.MODULES`` become extension modules next to
their sources (see ``proxy/engine/native.py`` for how they are found and how a
stale build is noticed).  Compiled in place rather than into a wheel so that it
works the same for a source checkout, ``pip install -e .`` and the PyInstaller
bundle (which collects whatever ``proxy.engine`` holds when it is built).

Needs mypy (a test dependency: ``pip install -e '.[test]'``), a C compiler and
Python's headers.  One to three minutes on one core.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from proxy.engine.native import GROUP, MODULES, PACKAGE_DIR, STAMP, describe, source_digest, status

__all__ = ["build", "clean", "main", "missing_prerequisite"]

ROOT = PACKAGE_DIR.parent.parent  # the directory holding the proxy package


class CannotCompile(Exception):
    """A prerequisite is missing or the compiler failed; the message says which."""


def missing_prerequisite() -> str | None:
    """Why compiling cannot work here, or None."""
    if importlib.util.find_spec("mypyc") is None:
        return "mypyc is not installed (it comes with mypy: pip install -e '.[test]' or pip install mypy)"
    compiler = _c_compiler()
    if compiler is None:
        return ("no C compiler found (install gcc or clang, e.g. apt-get install build-essential; "
                "on Windows the MSVC Build Tools)")
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.exists():
        return f"Python's C headers are missing ({headers}; e.g. apt-get install python3-dev)"
    return None


def _c_compiler() -> str | None:
    if sys.platform == "win32":  # setuptools finds MSVC through the registry
        return "msvc"
    configured = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    program = configured.split()[0]
    return shutil.which(program)


def _compiled_files() -> list[Path]:
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    names = {m.rsplit(".", 1)[1] for m in MODULES} | {GROUP.rsplit(".", 1)[1] + "__mypyc"}
    found: list[Path] = []
    for path in PACKAGE_DIR.iterdir():
        for suffix in suffixes:
            if path.name.endswith(suffix) and path.name[: -len(suffix)] in names:
                found.append(path)
                break
    return found


def clean() -> list[Path]:
    """Remove every compiled module and the stamp: the pure-Python files run again."""
    removed = _compiled_files()
    for path in removed:
        path.unlink()
    if STAMP.exists():
        STAMP.unlink()
        removed.append(STAMP)
    return removed


def build(verbose: bool = False) -> float:
    """Compile MODULES in place; the seconds it took.  Raises CannotCompile."""
    reason = missing_prerequisite()
    if reason:
        raise CannotCompile(reason)
    started = time.monotonic()
    clean()  # a half-replaced set would mix builds of one shared library
    sources = [str(PACKAGE_DIR / (m.rsplit(".", 1)[1] + ".py")) for m in MODULES]
    digests = {m: source_digest(m) for m in MODULES}
    with tempfile.TemporaryDirectory(prefix="proxydesk-mypyc-") as work:
        _compile(sources, Path(work), verbose)
    STAMP.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return time.monotonic() - started


def _compile(sources: list[str], work: Path, verbose: bool) -> None:
    from mypyc.build import mypycify  # only here: the engine itself never needs mypy
    from setuptools import Distribution  # type: ignore[import-untyped]

    cwd = Path.cwd()
    os.chdir(ROOT)  # mypy reads pyproject.toml here; --inplace writes under proxy/engine/
    try:
        # debug_level "0": no debug information.  gcc spends most of the build on the one
        # large generated C file; without it the build took 135 s here against 191-196 s
        # (2026-12-07, a 2.0 GHz core), and the modules are smaller.
        extensions = mypycify(sources, group_name=GROUP, target_dir=str(work / "c"), opt_level="3",
                              debug_level="0", verbose=verbose)
        dist = Distribution({
            "name": "proxydesk-native",
            "ext_modules": extensions,
            "script_name": "build_native",
            "script_args": ["-q" if not verbose else "-v", "build_ext", "--inplace",
                            "--build-temp", str(work / "obj"), "--build-lib", str(work / "lib")],
        })
        dist.parse_command_line()
        dist.run_commands()
    except SystemExit as failure:  # mypy's type errors and distutils' compile errors exit
        raise CannotCompile(f"mypyc could not compile the engine ({failure})") from None
    except Exception as failure:
        raise CannotCompile(f"mypyc could not compile the engine: {failure}") from failure
    finally:
        os.chdir(cwd)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proxy.engine.build_native",
                                     description="Compile the engine's request path with mypyc, in place.")
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules (pure Python again)")
    parser.add_argument("--if-possible", action="store_true",
                        help="without a C compiler or mypyc, say so and exit 0 (the pure-Python engine stays)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.clean:
        removed = clean()
        print(f"removed {len(removed)} file(s); {describe()}")
        return 0
    try:
        seconds = build(args.verbose)
    except CannotCompile as reason:
        print(f"build_native: cannot compile the engine: {reason}", file=sys.stderr)
        if args.if_possible:
            print("build_native: continuing with the pure-Python engine", file=sys.stderr)
            return 0
        return 1
    state = status()
    print(f"compiled {len(state.compiled)} module(s) in {seconds:.0f} s; {describe(state)}")
    return 0 if not state.pure and not state.stale else 1


if __name__ == "__main__":
    raise SystemExit(main())
