"""Real HAProxy in the window: ``HaproxyHost`` and the Engine menu's "Run on" choice.

Theory of operation
-------------------
``HaproxyHost`` is an ``EngineHost`` whose runner is ``proxy.haproxy.
HaproxyProcess`` instead of the embedded engine's process (``proxy.app.
engine_process.EngineProcess``): it inherits the control thread and its
loop, the stopped/starting/running/stopping state machine, the signals, every
start/apply/stop variant (blocking, awaitable, future) and ``lost()``, and
overrides only ``_new_engine``.  The process has the engine's
public surface (``start``/``apply``/``stop``, ``stats()``, ``drain_events()``,
``listening``), so the window polls either the same way and the request log
and stats need no second code path.  Its refusals are ``EngineError``s
(``HaproxyError`` subclasses it) carrying HAProxy's own located messages.

``RunOnMenu`` is the "Run on" submenu: "Embedded engine" or "HAProxy
<version>", exclusive, switchable only while stopped (the window refuses
otherwise).  Without a haproxy binary the HAProxy entry is disabled and its
tooltip says how to install one.  The binary is looked up once per session:
``PROXYDESK_HAPROXY`` (a path the user sets), then ``PATH``, the system and
Homebrew locations (``proxy.haproxy.find_haproxy``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from gui.engine_host import EngineHost
from proxy.app import engine_wire as wire
from proxy.config.model import Config
from proxy.engine.session import EventSampler
from proxy.haproxy import Haproxy, HaproxyNotFound, HaproxyProcess, find_haproxy
from proxy.haproxy.binary import INSTALL_HINT

if TYPE_CHECKING:
    from gui.main_window import MainWindow

__all__ = ["HaproxyHost", "RunOnMenu", "installed_haproxy"]

SETTING = "engine/run_on"  # "embedded" or "haproxy", remembered across sessions


@functools.lru_cache(maxsize=1)
def installed_haproxy() -> Haproxy | None:
    """The haproxy to offer (``PROXYDESK_HAPROXY`` first), or None; looked up once."""
    try:
        return find_haproxy(os.environ.get("PROXYDESK_HAPROXY") or None)
    except HaproxyNotFound:
        return None


class HaproxyHost(EngineHost):
    """``EngineHost`` running the config on a real haproxy process (see the module docstring)."""

    def __init__(self, haproxy: Haproxy, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.haproxy = haproxy
        self.label = haproxy.label

    def _new_engine(self, config: Config, base_dir: Path | None) -> HaproxyProcess:
        # the window lists what the embedded engine would send it (engine_wire's sample)
        sampler = EventSampler(wire.EVENTS_PER_S, wire.EVENTS_BURST)
        return HaproxyProcess(config, base_dir=base_dir, haproxy=self.haproxy, sampler=sampler)


class RunOnMenu(QObject):
    """Engine > Run on: the embedded engine or HAProxy, chosen while stopped."""

    def __init__(
        self, window: MainWindow, menu: QMenu,
        find: Callable[[], Haproxy | None] = installed_haproxy,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.menu = menu
        self.haproxy = find()
        self.embedded_host = window.host
        self.haproxy_host: HaproxyHost | None = None
        group = QActionGroup(self)
        group.setExclusive(True)
        self.embedded_action = self._choice(group, "&Embedded engine",
                                            "Run on Proxydesk's embedded proxy engine")
        self.embedded_action.setChecked(True)
        self.embedded_action.triggered.connect(lambda _c=False: self.choose_embedded())
        if self.haproxy is None:
            self.haproxy_action = self._choice(group, "&HAProxy (not installed)", INSTALL_HINT)
            self.haproxy_action.setEnabled(False)
        else:
            self.haproxy_action = self._choice(
                group, f"&{self.haproxy.label}", f"Run on the real haproxy at {self.haproxy.path}")
        self.haproxy_action.triggered.connect(lambda _c=False: self.choose_haproxy())
        menu.setToolTipsVisible(True)  # the disabled entry's tooltip is the install hint

    def restore_choice(self) -> None:
        """Run on what the last session ran on (once the window is built)."""
        if self.window.settings.value(SETTING) == "haproxy":
            self.choose_haproxy()

    def _choice(self, group: QActionGroup, text: str, tip: str) -> QAction:
        action = QAction(text, self.menu)
        action.setCheckable(True)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        group.addAction(action)
        self.menu.addAction(action)
        return action

    def choose_haproxy(self) -> bool:
        if self.haproxy is None:
            return False
        if self.haproxy_host is None:
            self.haproxy_host = HaproxyHost(self.haproxy, self.window)
        return self._switch(self.haproxy_host)

    def choose_embedded(self) -> bool:
        return self._switch(self.embedded_host)

    def _switch(self, host: EngineHost) -> bool:
        switched = self.window.set_host(host)
        if switched:
            self.window.settings.setValue(SETTING, "haproxy" if host is self.haproxy_host else "embedded")
        self.sync()
        return switched

    def sync(self) -> None:
        """Check the entry of the window's host; switching is possible only while stopped."""
        on_haproxy = self.window.host is self.haproxy_host and self.haproxy_host is not None
        (self.haproxy_action if on_haproxy else self.embedded_action).setChecked(True)
        stopped = self.window.host.state == "stopped"
        self.embedded_action.setEnabled(stopped)
        self.haproxy_action.setEnabled(stopped and self.haproxy is not None)

    def shutdown(self) -> None:
        """End the host the window no longer holds (the window shuts its own down)."""
        for host in (self.embedded_host, self.haproxy_host):
            if host is not None and host is not self.window.host:
                host.shutdown()
