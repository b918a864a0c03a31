"""The defaults editor: what every later frontend, backend and listen inherits.

Only the settings a newcomer sets in ``defaults`` get a form (mode, the
timeouts of both sides, balance, health-check parameters); the full statement
list stays editable in the text view.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from gui.document import Document
from gui.editors.backend import BACKEND_TIMEOUTS, balance_group, health_group
from gui.editors.frontend import FRONTEND_TIMEOUTS, timeouts_group
from gui.editors.widgets import SectionEditor

__all__ = ["DefaultsEditor"]


class DefaultsEditor(SectionEditor):
    def __init__(self, document: Document, name: str | None) -> None:
        super().__init__(document, "defaults", name)
        self.setMinimumSize(640, 420)
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(balance_group(self))
        left.addWidget(timeouts_group(self, FRONTEND_TIMEOUTS, "Client-side timeouts"))
        left.addStretch(1)
        right.addWidget(timeouts_group(self, BACKEND_TIMEOUTS, "Server-side timeouts"))
        right.addWidget(health_group(self))
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        title = f"<h3>defaults {name or ''}</h3><small>Inherited by the sections that follow.</small>"
        layout.addWidget(QLabel(title))
        layout.addLayout(columns, 1)


