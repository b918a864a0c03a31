"""The project's own rules, enforced by the test suite so CI checks them:
ruff (style, the ban on Qt imports in proxy/, and the engine importing nothing
above it), mypy --strict on proxy/ and gui/, and the core importing without pulling in Qt."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_ruff_is_clean() -> None:
    proc = _run("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# What proxy/engine/ruff.toml forbids there: one import of each layer above the engine.
ABOVE_THE_ENGINE = {
    "proxy.app": "from proxy.app.demo import Demo",
    "proxy.cli": "from proxy import cli",
    "gui": "import gui.app",
    "PySide6": "from PySide6.QtCore import QObject",
}


def test_ruff_refuses_engine_imports_from_above() -> None:
    """Ruff applies proxy/engine/ruff.toml to a file in proxy/engine/ (as it would to one
    written there) and names every banned layer; test_ruff_is_clean keeps the tree free of them."""
    probe = "".join(f"{line}\n" for line in ABOVE_THE_ENGINE.values())
    proc = _run("ruff", "check", "--no-cache", "--select", "TID251", "--output-format", "concise",
                "--stdin-filename", "proxy/engine/_layering_probe.py", "-", stdin=probe)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for number, module in enumerate(ABOVE_THE_ENGINE, 1):
        assert f"_layering_probe.py:{number}:" in proc.stdout and f"`{module}` is banned" in proc.stdout, (
            proc.stdout + proc.stderr)


def test_the_engine_keeps_every_project_wide_import_ban() -> None:
    """proxy/engine/ruff.toml's banned-api table replaces the project's (ruff does not merge
    tables across ``extend``), so it must repeat each of the project's bans."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    engine = tomllib.loads((ROOT / "proxy" / "engine" / "ruff.toml").read_text())["lint"]
    wanted = project["flake8-tidy-imports"]["banned-api"]
    missing = sorted(set(wanted) - set(engine["flake8-tidy-imports"]["banned-api"]))
    assert not missing, f"proxy/engine/ruff.toml lacks the project's bans of {missing}"


def test_mypy_strict_on_the_core_and_the_gui() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert {"proxy", "gui"} <= set(config["files"]) and config["strict"] is True
    proc = _run("mypy")  # files and strictness come from pyproject.toml
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_core_never_imports_qt() -> None:
    code = (
        "import sys, pkgutil, importlib, proxy\n"
        "for m in pkgutil.walk_packages(proxy.__path__, 'proxy.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6', 'qasync', 'pyqtgraph'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
