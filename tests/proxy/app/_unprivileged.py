"""Running a command as an unprivileged user, for tests of refusals (permission denied).

When the tests run as root (CI containers), ``run_unprivileged`` forks and the
child drops to nobody before running ``proxydesk``: the interpreter has
everything imported already, so the child needs no access to its files.
``shared_dir`` is a directory that user can work in (pytest's tmp_path is
private to the user running the tests).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.cli import main


def run_unprivileged(argv: list[str], out: Path) -> int:
    """``proxydesk ARGV`` in a child process as an unprivileged user (nobody when the tests
    run as root), its stdout and stderr in ``out``; its exit status."""
    pid = os.fork()
    if pid == 0:  # the child: already imported, so it needs no access to the interpreter's files
        code = 70
        try:
            with out.open("w") as stream:
                sys.stdout = sys.stderr = stream
                if os.geteuid() == 0:
                    os.setgroups([])
                    os.setgid(65534)
                    os.setuid(65534)
                try:
                    code = main(argv)
                except BaseException:
                    traceback.print_exc(file=stream)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory an unprivileged user can work in (pytest's tmp_path is private to us)."""
    directory = Path(tempfile.mkdtemp(prefix="proxydesk-test-"))
    directory.chmod(0o777)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)
