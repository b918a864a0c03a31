"""Document: snapshot undo/redo, merging, dirty tracking, text apply, atomic saves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.document import Document, SaveError
from proxy.config.model import Config, Section, Statement
from proxy.config.nodes import Generic, Server
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted((DATA / "valid").glob("*.cfg"))
TUTORIAL = DATA / "valid" / "01-tutorial-four-servers.cfg"


@pytest.fixture
def document(qtbot) -> Document:  # type: ignore[no-untyped-def]
    doc = Document()
    doc.open(TUTORIAL)
    return doc


def _add_server(name: str) -> object:
    def mutate(config: Config) -> None:
        backend = config.find("backend", "light_servers")
        assert backend is not None
        backend.add(Server.from_words(["server", name, "127.0.0.1:81"]))

    return mutate


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: Path(p).name)
def test_open_then_save_is_byte_identical(qtbot, tmp_path: Path, path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = Document()
    doc.open(path)
    target = tmp_path / path.name
    doc.save_as(target)
    assert target.read_bytes() == path.read_bytes()
    assert not doc.dirty and doc.path == target.resolve()


def test_edit_undo_redo_restore_exact_text(document: Document, qtbot) -> None:  # type: ignore[no-untyped-def]
    original = document.text
    with qtbot.waitSignal(document.dirtyChanged) as dirty:
        document.edit("Add server", _add_server("web9"))  # type: ignore[arg-type]
    assert dirty.args == [True]
    edited = document.text
    assert "server web9 127.0.0.1:81" in edited
    document.undo_stack.undo()
    assert document.text == original and not document.dirty
    assert document.section("backend", "light_servers") is not None
    assert [s.name for s in document.section("backend", "light_servers").servers] == ["web1", "web2"]  # type: ignore[union-attr]
    document.undo_stack.redo()
    assert document.text == edited and document.dirty


def test_edit_that_changes_nothing_leaves_no_undo_step(document: Document) -> None:
    document.edit("nothing", lambda config: None)
    assert document.undo_stack.count() == 0 and not document.dirty


def test_failed_mutation_restores_the_model(document: Document) -> None:
    original = document.text

    def broken(config: Config) -> None:
        config.sections.clear()
        raise ValueError("boom")

    with pytest.raises(ValueError):
        document.edit("broken", broken)
    assert document.text == original and document.undo_stack.count() == 0


def test_edits_with_the_same_merge_key_are_one_undo_step(document: Document) -> None:
    original = document.text

    def set_maxconn(value: str) -> object:
        def mutate(config: Config) -> None:
            glob = config.global_section
            assert glob is not None
            stmt = next(glob.statements("maxconn"))
            stmt.node = Generic(["maxconn", value])

        return mutate

    for value in ("1", "12", "123"):
        document.edit("maxconn", set_maxconn(value), merge_key="global.maxconn")  # type: ignore[arg-type]
    assert document.undo_stack.count() == 1 and "maxconn 123" in document.text
    document.undo_stack.undo()
    assert document.text == original


def test_set_text_with_parse_errors_leaves_model_untouched(document: Document) -> None:
    original = document.text
    errors = document.set_text(original + "backend broken\n    server s1 'unterminated\n")
    assert errors and all(e.is_error for e in errors)
    assert document.text == original and not document.dirty


def test_set_text_applies_as_one_undoable_edit(document: Document, qtbot) -> None:  # type: ignore[no-untyped-def]
    original = document.text
    new = original.replace("maxconn 4096", "maxconn 100") + "\nbackend extra\n    server x 127.0.0.1:1"
    with qtbot.waitSignal(document.changed):
        assert document.set_text(new) == []
    assert document.text == new + "\n"  # the missing final newline is added
    assert document.section("backend", "extra") is not None
    document.undo_stack.undo()
    assert document.text == original


def test_diagnostics_follow_edits(document: Document, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert document.errors == []

    def break_it(config: Config) -> None:
        config.add_section(Section("frontend", "f2", Statement(Generic(["frontend", "f2"]))))
        config.sections[-1].add(Generic(["default_backend", "missing"]))

    with qtbot.waitSignal(document.diagnosticsChanged):
        document.edit("break", break_it)
    errors = document.errors
    assert errors and any("missing" in e.message for e in errors)
    line = document.text.splitlines()[errors[0].line - 1]
    assert "missing" in line  # diagnostics point at lines of the text as written
    document.undo_stack.undo()
    assert document.errors == []


def test_save_marks_clean_and_export_does_not(document: Document, tmp_path: Path) -> None:
    target = tmp_path / "my.cfg"
    document.save_as(target)
    document.edit("Add server", _add_server("web9"))  # type: ignore[arg-type]
    assert document.dirty
    copy = tmp_path / "copy.cfg"
    document.export(copy)
    assert document.dirty and document.path == target.resolve()
    assert "web9" in copy.read_text() and "web9" not in target.read_text()
    document.save()
    assert not document.dirty and "web9" in target.read_text()


# Run in a child process: RLIMIT_FSIZE makes every write past the limit fail with EFBIG,
# which root cannot bypass (unlike directory permissions), without limiting pytest itself.
_SAVE_UNDER_FSIZE_LIMIT = """
import resource, signal, sys
from gui.document import Document, SaveError
from proxy.config.nodes import Server
doc = Document()
doc.open(sys.argv[1])
doc.edit("Add server", lambda c: c.find("backend", "light_servers").add(
    Server.from_words(["server", "web9", "127.0.0.1:81"])))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
try:
    doc.save()
except SaveError as exc:
    print("refused:", exc, "dirty" if doc.dirty else "clean")
else:
    print("saved")
"""


def test_failed_save_leaves_the_original_file_intact(document: Document, tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir()
    target = folder / "haproxy.cfg"
    document.save_as(target)
    original = target.read_bytes()
    assert len(original) > 64  # the new text cannot fit under the limit
    result = subprocess.run(
        [sys.executable, "-c", _SAVE_UNDER_FSIZE_LIMIT, str(target)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused:") and result.stdout.rstrip().endswith("dirty")
    assert target.read_bytes() == original
    assert sorted(p.name for p in folder.iterdir()) == ["haproxy.cfg"]  # no stray temp file


def test_failed_commit_leaves_the_original_file_intact(document: Document, tmp_path: Path) -> None:
    """A target that cannot be replaced (here: a directory) fails at commit time."""
    target = tmp_path / "haproxy.cfg"
    document.save_as(target)
    original = target.read_bytes()
    blocker = tmp_path / "blocked.cfg"
    blocker.mkdir()
    with pytest.raises(SaveError):
        document.export(blocker)
    assert blocker.is_dir() and target.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked.cfg", "haproxy.cfg"]


def test_new_document_is_empty_and_clean(document: Document, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(document.pathChanged):
        document.new()
    assert document.text == "" and document.path is None and not document.dirty
    assert document.undo_stack.count() == 0
    with pytest.raises(SaveError):
        document.save()
