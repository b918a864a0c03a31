"""Run by the interpreter at start (``PYTHONPATH`` puts it first): the portability lane's
removals for child processes.  See tests/portability.py."""

import os

if os.environ.get("PROXYDESK_PORTABILITY") == "1":
    from tests.portability import take_away

    take_away()
