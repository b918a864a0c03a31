"""``proxydesk check`` and ``proxydesk fmt`` as a user runs them (real subprocesses)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA


def proxydesk(*args: str, cwd: Path = DATA) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proxy.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin:/bin"},
    )


def test_version() -> None:
    proc = proxydesk("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("proxydesk ")


def test_check_valid_file_exits_0() -> None:
    proc = proxydesk("check", "valid/01-tutorial-four-servers.cfg")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "error" not in proc.stdout


def test_check_reports_every_error_located(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(
        "defaults\n    mode http\n    timeout client 1.5s\n    timeout server 5s\n    timeout connect 5s\n"
        "frontend fe\n    bind :8080\n    timout client 30s\n    use_backend nowhere if is_x\n"
    )
    proc = proxydesk("check", str(cfg), cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith(f"{cfg}:3:") and "time value" in line for line in lines), lines
    assert any(
        line.startswith(f"{cfg}:8:5: error: unknown keyword 'timout'") and "timeout" in line
        for line in lines
    ), lines
    assert any(line.startswith(f"{cfg}:9:") and "nowhere" in line for line in lines), lines
    assert any(line.startswith(f"{cfg}:9:") and "no such ACL : 'is_x'" in line for line in lines), (
        lines
    )


def test_fmt_check_leaves_valid_files_unchanged() -> None:
    for path in sorted((DATA / "valid").glob("*.cfg")):
        proc = proxydesk("fmt", "--check", str(path))
        assert proc.returncode == 0, proc.stdout
        assert "unchanged" in proc.stdout


def test_fmt_writes_in_place_and_keeps_bytes(tmp_path: Path) -> None:
    source = DATA / "valid" / "01-tutorial-four-servers.cfg"
    copy = tmp_path / "haproxy.cfg"
    copy.write_bytes(source.read_bytes())
    assert proxydesk("fmt", str(copy), cwd=tmp_path).returncode == 0
    assert copy.read_bytes() == source.read_bytes()


def test_fmt_normalises_bom_and_final_newline(tmp_path: Path) -> None:
    cfg = tmp_path / "x.cfg"
    cfg.write_bytes(b"\xef\xbb\xbfglobal\n    maxconn 10")
    proc = proxydesk("fmt", "--check", str(cfg), cwd=tmp_path)
    assert proc.returncode == 1 and "would be reformatted" in proc.stdout
    assert proxydesk("fmt", str(cfg), "-o", str(tmp_path / "out.cfg"), cwd=tmp_path).returncode == 0
    assert (tmp_path / "out.cfg").read_bytes() == b"global\n    maxconn 10\n"
