"""Proxydesk's desktop application (PySide6).

All Qt code lives in this package.  It edits the ``proxy.config`` model through
``gui.document.Document`` and observes the embedded engine only through its
public API, run in a process of its own and driven by ``gui.engine_host.EngineHost``.
"""
