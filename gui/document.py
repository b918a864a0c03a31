"""The open haproxy.cfg: the live model, its diagnostics, its file and its undo history.

Theory of operation
-------------------
``Document.config`` is the one ``proxy.config`` model every view reads.  Views
change it only through ``edit(description, mutate)``, which snapshots the
config *as text* before and after ``mutate`` runs and pushes a ``QUndoCommand``
holding both texts.  Undo/redo re-parse the snapshot into a fresh ``Config``:
``write(parse(t)) == t`` for any text ``write`` produced, so a snapshot restores
the model exactly, comments and spacing included, with no per-edit inverse
operations to get wrong.  The price is that undo replaces the ``Config``
object, so views keep (kind, name) keys and re-find sections on ``changed``.

Edits given the same ``merge_key`` in a row merge into one undo step (typing
in a field is one step, not one per key press).

Diagnostics are recomputed from the written text after every change, so their
line numbers are those of the text view.  Files are written with ``QSaveFile``
(a temporary file renamed over the target on commit), so a failed save never
damages the user's file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QObject, QSaveFile, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from proxy.config.assist import diagnose_text
from proxy.config.model import Config, Diagnostic, Section
from proxy.config.parser import decode, parse
from proxy.config.writer import write

__all__ = ["Document", "SaveError"]

MEMORY_PATH = "<memory>"


class SaveError(OSError):
    """Writing the file failed; the file on disk is unchanged."""


class _SnapshotCommand(QUndoCommand):
    """One undo step: the config text before and after an edit."""

    _ids: ClassVar[dict[str, int]] = {}  # merge keys -> QUndoCommand ids (ids must be ints)

    def __init__(
        self, document: Document, description: str, before: str, after: str, merge_key: str | None
    ) -> None:
        super().__init__(description)
        self._document = document
        self.before = before
        self.after = after
        self._id = self._ids.setdefault(merge_key, len(self._ids) + 1) if merge_key else -1
        self._applied = True  # the edit already ran on the live model: the first redo is a no-op

    def id(self) -> int:
        return self._id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _SnapshotCommand) or other.id() != self._id:
            return False
        self.after = other.after
        # Typing a value and then deleting it again leaves nothing to undo.
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self._document._restore(self.after)

    def undo(self) -> None:
        self._document._restore(self.before)


class Document(QObject):
    changed = Signal()
    diagnosticsChanged = Signal()
    pathChanged = Signal()
    dirtyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = Config()
        self.diagnostics: list[Diagnostic] = []
        self.path: Path | None = None
        self.name: str | None = None  # what to call an unsaved document (the tutorial, ...)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._parse_diagnostics: list[Diagnostic] = []
        # counts changes, so views can cache what they derive from the config until the next one
        self.revision = 0

    # -- reading ------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def text(self) -> str:
        return write(self.config)

    @property
    def display_name(self) -> str:
        """The file name, else the name given to ``load_text``, else "Untitled"."""
        return self.path.name if self.path is not None else self.name or "Untitled"

    @property
    def base_dir(self) -> Path:
        """Where relative file names in the config resolve (the file's directory)."""
        return self.path.parent if self.path is not None else Path.cwd()

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def section(self, kind: str, name: str | None) -> Section | None:
        return self.config.find(kind, name)

    # -- editing ------------------------------------------------------------------------
    def edit(
        self, description: str, mutate: Callable[[Config], object], *, merge_key: str | None = None
    ) -> None:
        """Run ``mutate`` on the live config as one undoable step.

        If ``mutate`` raises, the config is restored and the exception propagates.
        An edit that changes nothing leaves no undo step.
        """
        before = write(self.config)
        try:
            mutate(self.config)
        except BaseException:
            self._restore(before)
            raise
        after = write(self.config)
        if after == before:
            return
        self.undo_stack.push(_SnapshotCommand(self, description, before, after, merge_key))
        self._after_change(after)

    def set_text(self, text: str) -> list[Diagnostic]:
        """Replace the whole config by ``text`` (the text view's Apply).

        Returns the parse errors; when there are any the model is left untouched.
        An empty list means the text was applied (as one undoable edit).
        """
        parsed = parse(text, self._config_path)
        # A missing final newline is no reason to refuse: the writer always adds it.
        errors = [d for d in parsed.errors if d.code != "missing-lf"]
        if errors:
            return errors
        # Re-parse the canonical text so statement origins match what the view shows
        # (the typed text may lack its final newline, for instance).
        canonical = parse(write(parsed.config), self._config_path).config

        def replace(config: Config) -> None:
            config.preamble = canonical.preamble
            config.sections = canonical.sections

        self.edit("Edit text", replace)
        return []

    # -- files --------------------------------------------------------------------------
    def new(self) -> None:
        self._reset(Config(), None, [])

    def load_text(self, text: str, name: str | None = None) -> None:
        """Start a new, clean, unnamed document from ``text`` (the tutorial, a template)."""
        self._reset(parse(text, name or MEMORY_PATH).config, None, [], name)

    def open(self, path: str | Path) -> None:
        """Read a haproxy.cfg (raises OSError); the model keeps even lines with errors."""
        target = Path(path).resolve()
        text, decode_warnings = decode(target.read_bytes(), str(target))
        result = parse(text, str(target))
        self._reset(result.config, target, decode_warnings)

    def save(self) -> None:
        if self.path is None:
            raise SaveError("the document has no file name yet; use save_as")
        self._write_to(self.path)
        self.undo_stack.setClean()

    def save_as(self, path: str | Path) -> None:
        target = Path(path).resolve()
        self._write_to(target)
        self._set_path(target)
        self.undo_stack.setClean()

    def export(self, path: str | Path) -> None:
        """Write a copy; the document keeps its own file name and dirty state."""
        self._write_to(Path(path))

    def _write_to(self, path: Path) -> None:
        data = write(self.config).encode("utf-8", "surrogateescape")
        out = QSaveFile(str(path))
        if not out.open(QSaveFile.OpenModeFlag.WriteOnly):
            raise SaveError(f"cannot write {path}: {out.errorString()}")
        if out.write(data) != len(data):
            reason = out.errorString()  # before cancelWriting replaces it
            out.cancelWriting()
            out.commit()  # after cancelWriting, commit only discards the temporary file
            raise SaveError(f"cannot write {path}: {reason}")
        if not out.commit():
            raise SaveError(f"cannot save {path}: {out.errorString()}")

    # -- internals ----------------------------------------------------------------------
    def _clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)

    @property
    def _config_path(self) -> str:
        return str(self.path) if self.path is not None else MEMORY_PATH

    def _reset(self, config: Config, path: Path | None, extra: list[Diagnostic],
               name: str | None = None) -> None:
        self.undo_stack.clear()
        self.config = config
        self._parse_diagnostics = list(extra)
        renamed = name != self.name
        self.name = name
        if not self._set_path(path) and renamed:
            self.pathChanged.emit()  # same (no) path, another name: the title changes
        self.undo_stack.setClean()
        self._after_change(write(config))

    def _set_path(self, path: Path | None) -> bool:
        if path == self.path:
            return False
        self.path = path
        self.config.path = self._config_path
        self.pathChanged.emit()
        return True

    def _restore(self, text: str) -> None:
        """Make ``text`` the live config (undo/redo); views re-find their sections."""
        self.config = parse(text, self._config_path).config
        self._after_change(text)

    def _after_change(self, text: str) -> None:
        self.revision += 1
        self.changed.emit()
        # Decoding warnings of the opened file stay true until another file is opened.
        self._recompute_diagnostics(text, self._parse_diagnostics)

    def _recompute_diagnostics(self, text: str, extra: list[Diagnostic]) -> None:
        # Parse the written text (not the live model) so every diagnostic has the
        # line number the text view shows, even for statements added by a form.
        self.diagnostics = diagnose_text(text, self._config_path, base_dir=self.base_dir, extra=extra)
        self.diagnosticsChanged.emit()
