"""Proxydesk's desktop application (PySide6).

All Qt code lives in this package.  It edits the ``proxy.config`` model through
``gui.document.Document`` and observes the embedded engine only through its
public API, hosted on a thread of its own by ``gui.engine_host.EngineHost``.
"""
