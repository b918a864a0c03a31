"""The registry of section editors shown in the main window's editor area.

The main window looks up ``EDITORS[section.kind]`` (falling back to ``"*"``)
and calls the factory with the document and the section's name.  Editors read
``document.config`` and change it only through ``document.edit(...)``; since
undo replaces the whole ``Config`` object, an editor keeps the (kind, name)
key and re-finds its section on ``document.changed``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from gui.document import Document
from gui.editors.backend import BackendEditor
from gui.editors.defaults import DefaultsEditor
from gui.editors.frontend import FrontendEditor
from gui.editors.generic import GenericSectionEditor
from gui.editors.global_section import GlobalEditor
from gui.editors.listen import ListenEditor
from gui.editors.userlist import UserlistEditor

EditorFactory = Callable[[Document, str | None], QWidget]


EDITORS: dict[str, EditorFactory] = {
    # G2's section editors (gui/editors/frontend.py, backend.py, listen.py, defaults.py):
    "frontend": FrontendEditor,
    "backend": BackendEditor,
    "listen": ListenEditor,
    "defaults": DefaultsEditor,
    "global": GlobalEditor,  # maxconn, log targets, stats socket, TLS defaults (global_section.py)
    "userlist": UserlistEditor,  # users and groups for HTTP basic auth (gui/editors/userlist.py)
    # Any other kind (resolvers, peers, cache, ...) gets the generic
    # statement-list editor through ``editor_for``; it needs the real kind to find
    # its section, so it is not a fixed "*" entry.
}


def editor_for(document: Document, kind: str, name: str | None) -> QWidget:
    """The registered editor for a section kind, else the generic statement editor."""
    factory = EDITORS.get(kind)
    if factory is None:
        return GenericSectionEditor(document, kind, name)
    return factory(document, name)
