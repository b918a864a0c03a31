"""Crash-safe file writes and private directories for the certificate store.

Theory of operation: a file is never written in place.  The new content goes
to a temporary file in the *same* directory (so the final rename cannot cross
file systems), created with its final permission bits from the very first
``open`` -- a private key never exists, even for a moment, as a
world-readable file.  The temporary file is flushed and ``fsync``-ed, then
``os.replace`` swaps it over the destination in one atomic step, and the
directory is ``fsync``-ed so the rename itself survives a power cut.  A writer
killed at any point therefore leaves either the old file or the new one,
never a torn mix; at worst a stray ``.*.tmp`` file remains, which readers
ignore.

Python's ``tempfile`` is not used because it cannot be told the mode of the
file it creates (it always uses 0600) and we want public certificates 0644.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from proxy import platform

__all__ = [
    "POSIX",
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "PUBLIC_FILE_MODE",
    "TEMP_SUFFIX",
    "atomic_write",
    "ensure_private_dir",
]

#: Windows has no POSIX permission bits; its ACLs already keep a user's
#: profile private, so there we skip every chmod (``proxy.platform`` decides).
POSIX = os.name == "posix"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PUBLIC_FILE_MODE = 0o644
TEMP_SUFFIX = ".tmp"

# O_BINARY exists (and matters) only on Windows: no newline translation.
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700, and tighten it if it was looser.

    A directory another user made first (e.g. ``/tmp/runtime-<uid>``, platformdirs'
    fallback when ``$XDG_RUNTIME_DIR`` is unset) is refused: its owner could read or
    replace what is kept there."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if not platform.posix_permissions():
        return path
    st = path.stat()
    if st.st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to another user (uid {st.st_uid}); "
                              "remove it or set another directory")
    if (st.st_mode & 0o777) != PRIVATE_DIR_MODE:
        platform.chmod(path, PRIVATE_DIR_MODE)
    return path


def atomic_write(path: Path, data: bytes, *, private: bool) -> None:
    """Replace ``path`` with ``data`` atomically; ``private`` files are 0600."""
    mode = PRIVATE_FILE_MODE if private else PUBLIC_FILE_MODE
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    fd = os.open(temp, _CREATE_FLAGS, mode)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        platform.replace_file(temp, path)  # retried on Windows while another program holds it
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    # Windows cannot open a directory; NTFS journals the rename itself.
    if not platform.posix_permissions():
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some file systems refuse; best effort
            os.fsync(fd)
    finally:
        os.close(fd)
