"""The corpus under tests/data: real-world-shaped configs, valid and invalid.

For every file: the round trip is byte-identical, and ``proxydesk check``
gives the same verdict as the real ``haproxy -c``, naming the lines HAProxy
names.  The expectations in tests/data/expected.json were recorded from the
real binary by tests/data/verify_corpus.py; the live tests below re-run it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from proxy.config.load import load
from proxy.config.model import Statement
from proxy.config.parser import parse_file
from proxy.config.writer import write
from tests.conftest import DATA, HaproxyCheck

EXPECTED: dict[str, dict[str, object]] = json.loads((DATA / "expected.json").read_text())
VALID = sorted((DATA / "valid").glob("*.cfg"))
INVALID = sorted((DATA / "invalid").glob("*.cfg"))
ALL = VALID + INVALID


def _key(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


def _ids(paths: list[Path]) -> list[str]:
    return [_key(p) for p in paths]


def test_corpus_is_big_enough() -> None:
    assert len(VALID) >= 30
    assert len(INVALID) >= 15
    assert {_key(p) for p in ALL} == set(EXPECTED), (
        "expected.json is out of date: run tests/data/verify_corpus.py --write"
    )


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_round_trip_is_byte_identical(path: Path) -> None:
    original = path.read_bytes()
    result = parse_file(path)
    # The writer's two normalisations: no BOM, and a final newline (HAProxy rejects a file without).
    expected = original.removeprefix(b"\xef\xbb\xbf")
    if not expected.endswith(b"\n"):
        expected += b"\r\n" if b"\r\n" in expected else b"\n"
    assert write(result.config).encode("utf-8", "surrogateescape") == expected


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_verdict_and_lines_match_haproxy(path: Path) -> None:
    expected = EXPECTED[_key(path)]
    result = load(path, base_dir=DATA, env={})
    errors = [d for d in result.diagnostics if d.is_error]
    assert (not errors) == expected["valid"], "\n".join(map(str, result.diagnostics))
    if expected["valid"]:
        return  # HAProxy may print an ALERT on a valid file (valid/41); the verdict is what counts
    # A line counts as named when a diagnostic is on it or its message cites it ("declared at line 12").
    our_lines = {d.line for d in errors} | {
        int(n) for d in errors for n in re.findall(r"line (\d+)", d.message)
    }
    haproxy_lines = set(expected["haproxy_alert_lines"])  # type: ignore[arg-type]
    assert haproxy_lines <= our_lines, (
        f"haproxy names lines {sorted(haproxy_lines)}, we name {sorted(our_lines)}:\n"
        + "\n".join(map(str, errors))
    )


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_live_haproxy_agrees(path: Path, haproxy_check: HaproxyCheck) -> None:
    proc = haproxy_check(path.relative_to(DATA))
    ours = load(path, base_dir=DATA, env={})
    assert (proc.returncode == 0) == ours.ok, (
        proc.stdout + proc.stderr + "\n".join(map(str, ours.diagnostics))
    )


@pytest.mark.parametrize("path", VALID, ids=_ids(VALID))
def test_written_config_passes_haproxy(
    path: Path, haproxy_check: HaproxyCheck, tmp_path: Path
) -> None:
    # Write through the model after a real edit (a new comment line in every section),
    # so the writer's rendering path is exercised, not only the untouched copy.
    result = parse_file(path)
    for section in result.config.sections:
        section.body.insert(0, Statement(comment="# touched by proxydesk"))
    out = tmp_path / path.name
    out.write_bytes(write(result.config).encode("utf-8", "surrogateescape"))
    proc = haproxy_check(out)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_verify_script_reports_no_drift(haproxy_bin: str) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, str(DATA / "verify_corpus.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert shutil.which("haproxy") or haproxy_bin
