"""Drive a real ``haproxy`` process with the embedded engine's public surface.

``HaproxyProcess`` (process.py) has the ``Engine`` API the GUI uses --
``start``/``apply``/``stop``, ``stats()``, ``drain_events()``, ``listening`` --
so a window can run a config on either.  The pieces, each testable alone:

* binary.py   -- find the binary, read its version, ``haproxy -c`` with located diagnostics;
* running_copy.py -- the private 0700 directory with the copy HAProxy runs and the
  small file Proxydesk adds beside it (the user's file is never written);
* runtime_client.py -- one command over HAProxy's runtime API (a stats or master CLI socket);
* syslog.py   -- HAProxy's httplog/tcplog lines, received over UDP, as ``LogEvent``s;
* listening.py -- the (frontend, host, port) addresses a config binds.
"""

from proxy.haproxy.binary import Haproxy, HaproxyNotFound, find_haproxy
from proxy.haproxy.process import HaproxyError, HaproxyProcess

__all__ = ["Haproxy", "HaproxyError", "HaproxyNotFound", "HaproxyProcess", "find_haproxy"]
