"""The files HAProxy runs: a copy of the user's config and what Proxydesk adds, in a private dir.

Theory of operation
-------------------
HAProxy is never pointed at the user's file.  ``RunningCopy`` makes a
private directory (mode 0700: it holds an admin socket) and writes there

* ``haproxy.cfg`` -- the config's text exactly as the user's document writes
  it, so HAProxy's line numbers are the user's line numbers;
* ``proxydesk.cfg`` -- a ``global`` section of Proxydesk's own, loaded
  *first* (``-f proxydesk.cfg -f haproxy.cfg``):

  - ``stats socket <dir>/stats.sock mode 600 level admin``: where ``show stat``
    is read; the user's own stats sockets are left as they are;
  - ``log 127.0.0.1:<port> local0``: where the httplog/tcplog lines come from.
    HAProxy copies the global log targets into a proxy when it parses that
    proxy's ``log global``, which is why this file comes first.  Proxies that
    log with ``log global`` (the usual ``defaults`` does) then log to the
    user's targets *and* to Proxydesk; proxies that do not log stay silent --
    Proxydesk adds no ``log`` or ``option httplog`` to the user's sections,
    since that would change what the user's own log receivers get.

Nothing else changes: the user's ``global`` (maxconn, nbthread, user/group,
their own ``log`` lines and sockets) is read after ours, as HAProxy merges
several ``global`` sections.  HAProxy runs in the config's directory, so the
relative paths in it (errorfile, ACL files, certificates) resolve as they
would for the user.

``stage()`` writes a candidate next to the running copy for ``haproxy -c``;
``commit()`` renames it over the copy (atomic), which is what the master
process re-reads on reload.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from proxy import platform

__all__ = ["RunningCopy", "injected_global"]

COPY_NAME = "haproxy.cfg"
STAGED_NAME = "haproxy.next.cfg"
INJECTED_NAME = "proxydesk.cfg"


def injected_global(stats_socket: Path, log_port: int) -> str:
    """The ``global`` section Proxydesk adds (see the module docstring for why each line)."""
    return (
        "# Added by Proxydesk to the running copy only; the user's file is never changed.\n"
        "global\n"
        f"    stats socket {stats_socket} mode 600 level admin\n"
        f"    log 127.0.0.1:{log_port} local0\n"
    )


def _private_dir() -> Path:
    """A 0700 directory with a short path: a unix socket path must stay under ~104 bytes
    (macOS's per-user TMPDIR is long, so /tmp is preferred where it exists)."""
    # mkdtemp makes it 0700
    return Path(tempfile.mkdtemp(prefix="proxydesk-", dir=platform.short_temp_dir()))


class RunningCopy:
    """The private directory and its files; ``remove()`` deletes it all."""

    def __init__(self, user_path: str, log_port: int) -> None:
        self.user_path = user_path  # the name diagnostics report
        self.dir = _private_dir()
        self.config = self.dir / COPY_NAME
        self.staged = self.dir / STAGED_NAME
        self.injected = self.dir / INJECTED_NAME
        self.stats_socket = self.dir / "stats.sock"
        self.master_socket = self.dir / "master.sock"
        self.injected.write_text(injected_global(self.stats_socket, log_port), encoding="utf-8")

    @property
    def files(self) -> list[Path]:
        """The ``-f`` arguments, in the order HAProxy must read them."""
        return [self.injected, self.config]

    @property
    def staged_files(self) -> list[Path]:
        return [self.injected, self.staged]

    def file_names(self) -> dict[str, str]:
        """HAProxy's names for our files -> the names the user knows."""
        return {
            str(self.config): self.user_path,
            str(self.staged): self.user_path,
            str(self.injected): "(added by Proxydesk)",
        }

    def stage(self, text: str) -> None:
        self.staged.write_text(text, encoding="utf-8", newline="")

    def commit(self) -> None:
        os.replace(self.staged, self.config)

    def discard(self) -> None:
        self.staged.unlink(missing_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
