"""atomic_write: modes from the first byte, and no torn files when a writer dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import proxy
from proxy.certs.atomic import TEMP_SUFFIX, atomic_write, ensure_private_dir

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and signals")
REPO_ROOT = Path(proxy.__file__).resolve().parent.parent


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _run_python(code: str, stdout: int | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=stdout)


def test_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    atomic_write(target, b"first", private=False)
    atomic_write(target, b"second", private=False)
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]  # no temp files left


@posix_only
def test_modes(tmp_path: Path) -> None:
    directory = ensure_private_dir(tmp_path / "a" / "b")
    atomic_write(directory / "key.pem", b"k", private=True)
    atomic_write(directory / "cert.pem", b"c", private=False)
    assert _mode(directory) == 0o700
    assert _mode(directory / "key.pem") == 0o600
    public = _mode(directory / "cert.pem")
    assert public & 0o600 == 0o600 and public & 0o022 == 0  # readable, never others-writable


@posix_only
def test_private_dir_is_tightened(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    ensure_private_dir(loose)
    assert _mode(loose) == 0o700


@posix_only
@pytest.mark.skipif(os.name == "posix" and os.geteuid() != 0, reason="chown to another user needs root")
def test_a_directory_another_user_made_is_refused(tmp_path: Path) -> None:
    """e.g. /tmp/runtime-<uid>, made first by someone else: they could read or swap our files."""
    theirs = tmp_path / "runtime-0"
    theirs.mkdir()
    theirs.chmod(0o777)
    os.chown(theirs, 65534, 65534)  # nobody
    with pytest.raises(PermissionError, match="belongs to another user"):
        ensure_private_dir(theirs)
    assert _mode(theirs) == 0o777  # not touched either


@posix_only
def test_private_file_replacing_a_public_one_becomes_private(tmp_path: Path) -> None:
    target = tmp_path / "x.pem"
    atomic_write(target, b"public", private=False)
    atomic_write(target, b"secret", private=True)
    assert _mode(target) == 0o600


@posix_only
def test_failing_write_keeps_the_old_file(tmp_path: Path) -> None:
    """A real write failure (file-size limit -> EFBIG) half-way through the data."""
    target = tmp_path / "entry.pem"
    atomic_write(target, b"old content\n", private=True)
    code = f"""
import errno, resource, signal
from pathlib import Path
from proxy.certs.atomic import atomic_write
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    atomic_write(Path({str(target)!r}), b"n" * 65536, private=True)
except OSError as error:
    raise SystemExit(0 if error.errno == errno.EFBIG else 3)
raise SystemExit(4)
"""
    assert _run_python(code).wait(timeout=30) == 0
    assert target.read_bytes() == b"old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["entry.pem"]


@posix_only
def test_killed_writer_leaves_a_whole_file(tmp_path: Path) -> None:
    """SIGKILL a process rewriting a file in a loop: the file always parses."""
    target = tmp_path / "state.json"
    # Each version is large enough that a torn write would be visible, and
    # self-checking: its "size" field must match its payload.
    code = f"""
import json, sys
from pathlib import Path
from proxy.certs.atomic import atomic_write
target = Path({str(target)!r})
n = 0
while True:
    payload = str(n) * (20000 + n % 7919)
    atomic_write(target, json.dumps({{"n": n, "size": len(payload), "p": payload}}).encode(),
                 private=True)
    if n == 0:
        print("ready", flush=True)
    n += 1
"""
    versions_seen = []
    for delay in (0.05, 0.13, 0.21):
        writer = _run_python(code, stdout=subprocess.PIPE)
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        writer.stdout.close()
        state = json.loads(target.read_bytes())
        assert len(state["p"]) == state["size"]
        assert set(state["p"]) <= set(str(state["n"]))
        versions_seen.append(state["n"])
    assert max(versions_seen) > 0  # the kills really landed mid-loop, not before it
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(TEMP_SUFFIX)]
    assert len(leftovers) <= 3  # at most one stray temp file per kill; readers ignore them
