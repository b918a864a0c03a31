"""Entry point of the PyInstaller bundle: the same ``main`` as the ``proxydesk`` command.

With no arguments it opens the desktop app (or, with no display, serves the
demo headless); every sub-command of the CLI works from the bundle too.
``--qt-probe`` is the child process of ``proxy.app.launch.qt_start_problem``: a
frozen app cannot run ``python -c``.
"""

import sys

from proxy.app.launch import QT_PROBE_CODE, QT_PROBE_FLAG
from proxy.cli import main

if __name__ == "__main__":
    if sys.argv[1:] == [QT_PROBE_FLAG]:
        exec(QT_PROBE_CODE)  # a constant of ours, never input
        sys.exit(0)
    sys.exit(main())
