"""The application layer: what ``proxydesk`` and the desktop app run on top of the core.

The engine (``proxy.engine``), the config language (``proxy.config``), the
certificate store (``proxy.certs``) and the HAProxy driver (``proxy.haproxy``)
are libraries; this package is their users on the command line and at start-up:

* run_commands.py   -- ``proxydesk run FILE`` and ``proxydesk demo``;
* cert_commands.py  -- ``proxydesk cert ...``, the certificate manager;
* route_commands.py -- ``proxydesk route ...``, local developer routes (``proxy.routes``);
* demo.py           -- the built-in demo (the tutorial and its four web servers);
* launch.py         -- opening the desktop app, or saying why it cannot open;
* engine_child.py   -- the desktop app's engine, a process of its own;
* engine_process.py -- the app's side of it (``EngineProcess``), and engine_wire.py
  what the two say to each other.

Dependencies point down only: nothing in ``proxy.engine`` imports this package
(``proxy/engine/ruff.toml`` has ruff refuse it).
Still Qt-free: the GUI is imported by name, only when a window opens.
"""
