"""Entry point of the PyInstaller bundles: the same ``main`` as the ``proxydesk`` command.

Each bundle holds two executables built from this one script: ``proxydesk`` (the CLI;
with no arguments it opens the desktop app, or with no display serves the demo
headless) and ``proxydesk-gui`` (the app, as pip's ``proxydesk-gui`` gui-script; on
Windows it is the one without a console window).  Which one runs is told by the
executable's name.  ``--qt-probe`` is the child process of
``proxy.app.launch.qt_start_problem``: a frozen app cannot run ``python -c``;
``--engine-child`` is the app's engine process (``proxy.app.engine_process``),
which cannot be ``python -m proxy.app.engine_child`` there either.
"""

import sys
from pathlib import Path

from proxy.app.engine_process import ENGINE_CHILD_FLAG
from proxy.app.launch import QT_PROBE_CODE, QT_PROBE_FLAG

GUI_SUFFIX = "-gui"  # packaging/specbase.py GUI_NAME


def _is_gui() -> bool:
    return Path(sys.executable).stem.lower().endswith(GUI_SUFFIX)


if __name__ == "__main__":
    if sys.argv[1:] == [QT_PROBE_FLAG]:
        exec(QT_PROBE_CODE)  # a constant of ours, never input
        sys.exit(0)
    if sys.argv[1:2] == [ENGINE_CHILD_FLAG]:
        from proxy.app.engine_child import main as engine_child_main

        sys.exit(engine_child_main(sys.argv[2:]))
    if _is_gui():
        from gui.app import main as gui_main

        sys.exit(gui_main())
    from proxy.cli import main

    sys.exit(main())
