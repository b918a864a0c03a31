"""The portability lane cannot pass vacuously: what it claims to take away is gone, in this
process (under ``pytest --portability``) and in the child processes the tests start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import portability

ROOT = Path(__file__).resolve().parents[1]
PROBE = "import json; from tests.portability import missing; print(json.dumps(missing()))"


def test_the_lane_removed_what_windows_lacks_here(pytestconfig: pytest.Config) -> None:
    if not pytestconfig.getoption("--portability"):
        pytest.skip("only under pytest --portability")
    gone = portability.missing()
    assert all(gone.values()), gone
    assert portability.active()


def test_a_child_in_the_lane_lacks_them_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(portability.ENV, "1")  # as under --portability, even in the main run
    env = {**portability.child_env(str(ROOT)), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    gone = json.loads(proc.stdout)
    assert all(gone.values()), gone
    assert gone.keys() == portability.missing().keys()


def test_outside_the_lane_nothing_is_taken_away(pytestconfig: pytest.Config) -> None:
    if pytestconfig.getoption("--portability"):
        pytest.skip("the lane is on")
    env = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    gone = json.loads(proc.stdout)
    assert not any(v for k, v in gone.items() if k != "uvloop"), gone  # uvloop may be absent
