"""The listen editor: a frontend and a backend in one section, so both editors' pages.

A ``listen`` section accepts traffic (binds, ACLs, rules, default backend)
and holds servers itself; the page builders of ``frontend.py`` and
``backend.py`` are functions of the editor, so this editor is their sum.
"""

from __future__ import annotations

from gui.document import Document
from gui.editors.backend import checks_page, servers_page
from gui.editors.frontend import FrontendEditor, general_page

__all__ = ["ListenEditor"]


class ListenEditor(FrontendEditor):
    def __init__(self, document: Document, name: str | None) -> None:
        super().__init__(document, name, "listen")

    def add_pages(self) -> None:
        self.tabs.addTab(general_page(self), "General")
        self.tabs.addTab(servers_page(self), "Servers")
        self.tabs.addTab(checks_page(self), "Health checks && timeouts")
        self.add_routing_pages()
