"""The optional mypyc build (proxy/engine/native.py, build_native.py): what runs is what is said.

With PROXYDESK_REQUIRE_NATIVE=1 (.ci/run's compiled pass) every module of
``native.MODULES`` must really be an extension module; otherwise (the main run) none
may be, so a pure-Python run never measures or tests compiled code unknowingly.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import pytest

from proxy.engine import build_native, native

EXTENSIONS = tuple(importlib.machinery.EXTENSION_SUFFIXES)
REQUIRED = os.environ.get("PROXYDESK_REQUIRE_NATIVE") == "1"


@pytest.mark.skipif(not REQUIRED, reason="only where PROXYDESK_REQUIRE_NATIVE=1 (.ci/run's compiled pass)")
def test_the_request_path_is_compiled_when_required() -> None:
    for name in native.MODULES:
        module = importlib.import_module(name)
        assert module.__file__ is not None and module.__file__.endswith(EXTENSIONS), name
    state = native.status()
    assert state.compiled == native.MODULES and not state.pure and not state.stale
    assert native.describe(state) == "engine: compiled (mypyc)"


def test_status_agrees_with_what_import_loaded() -> None:
    state = native.status()
    for name in native.MODULES:
        file = importlib.import_module(name).__file__ or ""
        assert (name in state.compiled) == file.endswith(EXTENSIONS), name
    assert native.describe(state).startswith(
        "engine: compiled (mypyc)" if state.active else "engine: pure Python")


def test_the_cli_says_which_build_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "proxy.cli", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert native.describe() in out


def test_without_a_compiler_an_explicit_build_fails_and_if_possible_does_not(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = native.status()
    monkeypatch.setenv("CC", "/nonexistent/cc")  # the compiler sysconfig names is overridden by CC
    assert build_native.missing_prerequisite() is not None
    assert build_native.main([]) == 1
    assert "no C compiler found" in capsys.readouterr().err
    assert build_native.main(["--if-possible"]) == 0
    assert "continuing with the pure-Python engine" in capsys.readouterr().err
    assert native.status() == before  # nothing was removed or half-built


def test_a_stale_build_is_named() -> None:
    state = native.NativeStatus(compiled=native.MODULES, pure=(), stale=("proxy.engine.http1",))
    assert "STALE" in native.describe(state) and "http1" in native.describe(state)


def test_without_sources_nothing_is_stale(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # as in the PyInstaller bundle, which carries the compiled modules and no .py files
    monkeypatch.setattr(native, "_is_extension", lambda module: True)
    monkeypatch.setattr(native, "_source_path", lambda module: tmp_path / "absent.py")
    assert native.status() == native.NativeStatus(compiled=native.MODULES, pure=(), stale=())
    assert native.describe() == "engine: compiled (mypyc)"
