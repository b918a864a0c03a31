"""Small widgets and helpers shared by the section editors.

Theory of operation
-------------------
Every form field of a section editor is a *binding*: a widget plus a getter
that reads the value from the section and a setter that writes it back.  The
widget's change signal runs the setter inside ``Document.edit`` (one undo
step per field, merged while the user keeps typing in it), and the
document's ``changed`` signal reloads every binding *quietly* (signals
blocked, and only when the value differs, so a field being typed in keeps
its cursor).  Because undo replaces the whole ``Config``, a binding never
holds a ``Section``: ``SectionEditor.section()`` re-finds it by (kind, name).

A binding may carry a ``check`` (``gui.editors.checks``): while it refuses the
text, nothing is written, the field is marked and says why (``mark_refused``,
the editor's ``problem`` line), and the text stays as typed.  Table cells get
the same through ``CheckedDelegate`` over a model's ``check``/``pending``.

A refused text is a ``Draft`` over the file's value it was typed over, and
lives only while that value is still in the file: ``Document.edit`` changes
the live ``Config`` in place, so an edit elsewhere keeps the section and
statement objects, while undo, redo, Apply text and opening a file put new
ones in their place.  A draft whose object was replaced, or whose value the
file no longer holds, is dropped on the next reload: the field shows the
file's value and the reason line goes (an undone edit never leaves the red
leftover of a later, refused one on screen).

``TimeEdit`` (a number plus a unit) and ``AddressPortEdit`` (host plus port)
are the two compound inputs haproxy.cfg needs everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from gui.document import Document
from proxy.config import keywords as kw
from proxy.config.model import Config, Section
from proxy.config.nodes import split_host_port
from proxy.config.timeparse import TIME_UNITS_MS
from proxy.config.tokens import tokenize_line

if TYPE_CHECKING:  # the page modules import this one
    from gui.editors.backend import ServersPage
    from gui.editors.frontend import BindsPage

__all__ = [
    "REFUSED_COLOR",
    "AddressPortEdit",
    "Binding",
    "CheckedDelegate",
    "Draft",
    "SectionEditor",
    "TimeEdit",
    "grey_special_value",
    "join_host_port",
    "keyword_tip",
    "mark_refused",
    "refusal_label",
    "set_item_text",
    "split_words",
]

SPACING = 8
REFUSED_COLOR = "#d0342c"  # a refused field's border and message: legible in light and dark
MAX_PORT = kw.PORT_RANGE[1]
# The units offered in the unit combo, biggest last; "" (bare milliseconds) is shown as "ms".
TIME_UNITS = ("ms", "s", "m", "h", "d")
_TIME_TEXT = re.compile(r"(\d+)([a-z]*)")


def keyword_tip(name: str) -> str:
    """Tooltip text for a statement keyword, from the registry ("" when unknown)."""
    keyword = kw.KEYWORDS.get(name)
    if keyword is None:
        return ""
    return f"<b>{keyword.name}</b> {_html(keyword.synopsis)}<br>{_html(keyword.doc)}"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_words(text: str) -> list[str]:
    """Split a line the way haproxy.cfg does (quotes and escapes honoured)."""
    return [w.value for w in tokenize_line(text).words]


def join_host_port(host: str, port: str) -> str:
    """``host:port`` with IPv6 hosts bracketed; just ``host`` when there is no port."""
    if not port:
        return host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


# --- compound inputs ------------------------------------------------------------------


class TimeEdit(QWidget):
    """A HAProxy time value as a number and a unit; 0 means "not set" (inherited)."""

    valueChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.number = QSpinBox()
        self.number.setRange(0, 2**31 - 1)
        self.number.setSpecialValueText("not set")
        self.number.setMinimumWidth(110)
        self.unit = QComboBox()
        self.unit.addItems(TIME_UNITS)
        self.unit.setCurrentText("s")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING // 2)
        layout.addWidget(self.number, 1)
        layout.addWidget(self.unit)
        self.number.valueChanged.connect(self._emit)
        grey_special_value(self.number)
        self.unit.currentTextChanged.connect(self._emit)

    def set_hint(self, text: str) -> None:
        """What the field shows while unset (greyed): ``30s from defaults``, ``not set``."""
        if self.number.specialValueText() != (text or "not set"):
            self.number.setSpecialValueText(text or "not set")
            self.number.updateGeometry()

    def hint(self) -> str:
        return self.number.specialValueText()

    def value(self) -> str:
        """``"30s"``, or ``""`` when not set."""
        number = self.number.value()
        return f"{number}{self.unit.currentText()}" if number else ""

    def setValue(self, text: str) -> None:
        """Show ``text`` (e.g. ``"30s"``, ``"1500"``) without emitting valueChanged."""
        if text == self.value():
            return
        match = _TIME_TEXT.fullmatch(text or "")
        number, unit = (int(match[1]), match[2] or "ms") if match else (0, self.unit.currentText())
        if unit not in TIME_UNITS:  # "us" has no place in the combo: show it in ms
            number, unit = int(number * TIME_UNITS_MS[unit]), "ms"
        with _quiet(self.number, self.unit):
            self.number.setValue(number)
            self.unit.setCurrentText(unit)
        _grey_if_special(self.number)  # its signals were blocked

    def _emit(self) -> None:
        self.valueChanged.emit(self.value())


def grey_special_value(box: QSpinBox) -> None:
    """Show a spin box's special value text ("30s from defaults", "2 (HAProxy's default)")
    greyed like a placeholder: it describes what applies, not a value of this section."""
    box.valueChanged.connect(lambda _value: _grey_if_special(box))
    _grey_if_special(box)


def _grey_if_special(box: QSpinBox) -> None:
    # A palette with only Text set: every other role (and Text again, once reset to an
    # empty palette) follows the inherited one, so a theme change still reaches the box.
    palette = QPalette()
    if box.value() == box.minimum() and box.specialValueText():
        palette.setColor(QPalette.ColorRole.Text, box.palette().color(QPalette.ColorRole.PlaceholderText))
    box.setPalette(palette)


class AddressPortEdit(QWidget):
    """An address and a port: ``value()`` is ``"127.0.0.1:8080"`` (``"*"``/empty host = all)."""

    valueChanged = Signal(str)

    def __init__(self, default_host: str = "", default_port: int = 80,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = QLineEdit(default_host)
        self.host.setPlaceholderText("all addresses")
        self.host.setMinimumWidth(140)
        self.port = QSpinBox()
        self.port.setRange(0, MAX_PORT)
        self.port.setValue(default_port)
        self.port.setToolTip("0 picks a free port when the engine starts")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING // 2)
        layout.addWidget(self.host, 3)
        layout.addWidget(self.port, 1)
        self.host.textChanged.connect(lambda _t: self.valueChanged.emit(self.value()))
        self.port.valueChanged.connect(lambda _v: self.valueChanged.emit(self.value()))

    def value(self) -> str:
        host = self.host.text().strip()
        host = "" if host == "*" else host
        return join_host_port(host, str(self.port.value())) if host else f":{self.port.value()}"

    def setValue(self, address: str) -> None:
        host, _sep, port = split_host_port(address)
        with _quiet(self.host, self.port):
            self.host.setText(host)
            if port.isdigit():
                self.port.setValue(int(port))


class _quiet:
    """Block the signals of some widgets for a ``with`` block (loading values, not edits)."""

    def __init__(self, *widgets: QWidget) -> None:
        self._widgets = widgets
        self._old: list[bool] = []

    def __enter__(self) -> None:
        self._old = [w.blockSignals(True) for w in self._widgets]

    def __exit__(self, *exc: object) -> None:
        for widget, old in zip(self._widgets, self._old, strict=True):
            widget.blockSignals(old)


# --- bindings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A refused text typed over ``over``, the file's value in ``owner`` (the live Statement
    or Section it belongs to) at the time."""

    text: str
    reason: str
    owner: object
    over: object

    def covers(self, owner: object, value: object) -> bool:
        """Still typed over what the file holds: the same live object, the same value."""
        return owner is self.owner and value == self.over


@dataclass
class Binding:
    """One form field: a widget, how to read it from a section and how to write it."""

    widget: QWidget
    read: Callable[[Section], Any]
    write: Callable[[Section, Any], None]
    label: str
    check: Callable[[str], str | None] | None = None
    draft: Draft | None = None  # set while the widget holds a refused text

    def refused(self) -> str | None:
        """Why the text in a checked line edit cannot be written (None: it can)."""
        widget = self.widget
        if self.check is None:
            return None
        if isinstance(widget, QLineEdit):
            return self.check(widget.text())
        if isinstance(widget, QComboBox) and widget.isEditable():
            return self.check(widget.currentText())
        return None

    def note_refusal(self, section: Section | None, reason: str | None) -> None:
        """Start (or end, ``reason`` None) the draft the widget's text now is."""
        if reason is None or section is None:
            self.draft = None
        elif self.draft is None:
            self.draft = Draft(_text_of(self.widget) or "", reason, section, self.read(section))

    def load(self, section: Section) -> None:
        value = self.read(section)
        widget = self.widget
        if self.refused() is not None and self.draft is not None and self.draft.covers(section, value):
            return  # the field keeps the refused text it says is wrong until it is fixed
        self.draft = None  # the file's value replaced the one it was typed over: show that
        with _quiet(widget):
            if isinstance(widget, QLineEdit):
                if widget.text() != value:
                    widget.setText(value)
            elif isinstance(widget, QComboBox):
                _load_combo(widget, value)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
                if widget.specialValueText():
                    _grey_if_special(widget)  # valueChanged is blocked while loading
            elif isinstance(widget, TimeEdit | AddressPortEdit):
                widget.setValue(value)

    def on_change(self, slot: Callable[[Any], None]) -> None:
        """Call ``slot(value)`` when the user changes the widget."""
        widget = self.widget
        if isinstance(widget, QComboBox) and not widget.isEditable():
            # A fixed choice stores its value as item data, so its text can carry a
            # hint ("inherited (http, from defaults)") without changing what is written.
            widget.currentIndexChanged.connect(lambda index: slot(_combo_value(widget, index)))
            return
        self.signal().connect(slot)

    def signal(self) -> Any:
        widget = self.widget
        if isinstance(widget, QLineEdit):
            return widget.textEdited
        if isinstance(widget, QComboBox):
            return widget.currentTextChanged
        if isinstance(widget, QCheckBox):
            return widget.toggled
        if isinstance(widget, QSpinBox | TimeEdit | AddressPortEdit):
            return widget.valueChanged
        raise TypeError(f"a binding has no change signal for a {type(widget).__name__}")


class SectionEditor(QWidget):
    """Base of the section editors: finds its section by key and runs bindings."""

    # Widgets the page builders of frontend.py and backend.py keep on the editor they
    # build a page for (tests and the screenshots reach the fields through them); an
    # editor has those of the pages it shows only.
    timeout_edits: dict[str, TimeEdit]
    mode_box: QComboBox
    default_backend_box: QComboBox
    binds: BindsPage
    balance_box: QComboBox
    balance_arguments: QLineEdit
    balance_explanation: QLabel
    check_widgets: dict[str, QWidget]
    default_server_widgets: dict[str, QWidget]
    servers: ServersPage

    def __init__(self, document: Document, kind: str, name: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.kind, self.name = document, kind, name
        self.bindings: list[Binding] = []
        self.hints: list[Callable[[Config, Section], None]] = []
        # why a field's value is refused: the editor shows it (a label under its form)
        self.problem = QLabel(self)  # a child even before a layout takes it: never a window
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {REFUSED_COLOR};")
        self.problem.hide()
        document.changed.connect(self.refresh)

    def section(self, config: Config | None = None) -> Section | None:
        return (config or self.document.config).find(self.kind, self.name)

    def edit(self, description: str, change: Callable[[Section], object],
             merge_key: str | None = None) -> None:
        """Run ``change`` on this editor's section as one undoable document edit."""

        def mutate(config: Config) -> None:
            section = self.section(config)
            if section is not None:
                change(section)

        key = f"{self.kind}/{self.name}/{merge_key}" if merge_key else None
        self.document.edit(f"{description} ({self.kind} {self.name or ''})".replace(" )", ")"),
                           mutate, merge_key=key)

    def bind(self, widget: QWidget, label: str, read: Callable[[Section], Any],
             write: Callable[[Section, Any], None],
             check: Callable[[str], str | None] | None = None) -> QWidget:
        binding = Binding(widget, read, write, label, check)
        self.bindings.append(binding)

        def changed(value: Any) -> None:
            reason = binding.refused()
            binding.note_refusal(self.section(), reason)
            self.show_problem(widget, label, reason)
            if reason is None and not (_clearing(widget) and value == ""):
                self.edit(f"Set {label}", lambda s: write(s, value), merge_key=label)

        def finished() -> None:  # a text emptied while typing is written once the user is done
            section = self.section()
            if _text_of(widget) == "" and section is not None and read(section) != "":
                self.edit(f"Set {label}", lambda s: write(s, ""), merge_key=label)

        binding.on_change(changed)
        line = widget.lineEdit() if isinstance(widget, QComboBox) else widget
        if isinstance(line, QLineEdit):
            line.editingFinished.connect(finished)
            if check is not None:
                line.installEventFilter(_EscapeRestores(line, lambda: self._restore(binding)))
        section = self.section()
        if section is not None:
            binding.load(section)
        return widget

    def _restore(self, binding: Binding) -> None:
        """Esc in a refused field: show the file's value again."""
        section = self.section()
        if section is None or binding.refused() is None:
            return
        value = binding.read(section)
        with _quiet(binding.widget):
            if isinstance(binding.widget, QComboBox):
                binding.widget.setCurrentText(value)
            elif isinstance(binding.widget, QLineEdit):
                binding.widget.setText(value)
        binding.draft = None
        self.show_problem(binding.widget, binding.label, None)

    def show_problem(self, widget: QWidget, label: str, reason: str | None) -> None:
        """Mark ``widget`` and say why its value is refused; clear both once it is not."""
        mark_refused(widget, reason)
        refused = [b for b in self.bindings if b.refused() is not None]
        if reason is not None:
            self.problem.setText(f"{label}: {reason}. Nothing is saved until it is fixed.")
        elif refused:
            self.problem.setText(f"{refused[0].label}: {refused[0].refused()}.")
        self.problem.setVisible(bool(refused) or reason is not None)

    def add_hint(self, show: Callable[[Config, Section], None]) -> None:
        """Run ``show(config, section)`` now and after every change: for what a field shows
        about values it does not set (the inherited mode, a timeout from defaults)."""
        self.hints.append(show)
        section = self.section()
        if section is not None:
            show(self.document.config, section)

    def refresh(self) -> None:
        section = self.section()
        if section is None:
            return
        for binding in self.bindings:
            drafted = binding.draft is not None
            binding.load(section)
            if drafted and binding.draft is None:  # dropped: the file's value, unmarked
                self.show_problem(binding.widget, binding.label, None)
        for show in self.hints:
            show(self.document.config, section)

    def backend_names(self) -> list[str]:
        return [s.name for s in self.document.config.of_kind("backend", "listen") if s.name]


class _EscapeRestores(QObject):
    """Calls ``restore`` when Esc is pressed in the watched field (then lets Esc through)."""

    def __init__(self, parent: QObject, restore: Callable[[], None]) -> None:
        super().__init__(parent)
        self._restore = restore

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Escape:
            self._restore()
        return False


def _clearing(widget: QWidget) -> bool:
    """A text field being typed in: emptying it is a step of retyping, not yet "remove the
    line" (that is written on editingFinished), so the line keeps its place in the file."""
    line = widget.lineEdit() if isinstance(widget, QComboBox) else widget
    return isinstance(line, QLineEdit) and line.hasFocus()


def _text_of(widget: QWidget) -> str | None:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QComboBox) and widget.isEditable():
        return widget.currentText()
    return None


def mark_refused(widget: QWidget, reason: str | None) -> None:
    """A red border and the reason as tooltip while ``reason`` is set; the normal look after.
    The widget's own tooltip is kept aside and given back."""
    if widget.property("normalTip") is None:
        widget.setProperty("normalTip", widget.toolTip())
    if reason:
        widget.setStyleSheet(f"border: 2px solid {REFUSED_COLOR}; border-radius: 3px;")
        widget.setToolTip(f"Refused: {reason}")
    else:
        widget.setStyleSheet("")
        widget.setToolTip(str(widget.property("normalTip") or ""))


class CheckedDelegate(QStyledItemDelegate):
    """Cell editors that check as you type (``SectionTableModel.check``): a refused text is
    marked and explained at once, Enter keeps the editor open on it, and leaving the cell
    keeps it as the model's pending value; Esc gives the file's value back."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        editor = super().createEditor(parent, option, index)
        editor._index = QPersistentModelIndex(index)  # type: ignore[attr-defined]  # for eventFilter
        if isinstance(editor, QLineEdit):
            editor.textEdited.connect(lambda text: self._mark(editor, index, text))
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        super().setEditorData(editor, index)
        if isinstance(editor, QLineEdit):
            self._mark(editor, index, editor.text())

    def _reason(self, index: QModelIndex | QPersistentModelIndex, text: str) -> str | None:
        check = getattr(index.model(), "check", None)
        return check(index, text) if callable(check) else None

    def _mark(self, editor: QLineEdit, index: QModelIndex | QPersistentModelIndex, text: str) -> None:
        mark_refused(editor, self._reason(index, text))

    def eventFilter(self, editor: QObject, event: QEvent) -> bool:
        if isinstance(editor, QLineEdit) and isinstance(event, QKeyEvent) \
                and event.type() == QEvent.Type.KeyPress:
            index = getattr(editor, "_index", None)
            if event.key() == Qt.Key.Key_Escape and index is not None and index.isValid():
                discard = getattr(index.model(), "discard_pending", None)
                if callable(discard):
                    discard(index)
            elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and index is not None \
                    and self._reason(index, editor.text()) is not None:
                self.commitData.emit(editor)  # the model keeps it pending and says why
                return True  # ... and the editor stays open on the typed text
        return super().eventFilter(editor, event)


def refusal_label(model: QAbstractItemModel) -> QLabel:
    """The line under a table that says why the value typed into a cell was refused
    (the model's ``refused`` signal); hidden while nothing is refused."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {REFUSED_COLOR};")
    label.hide()

    def show(reason: str) -> None:
        label.setText(f"Not saved: {reason}. Fix the red cell, or press Esc in it to keep the file's value."
                      if reason else "")
        label.setVisible(bool(reason))

    model.refused.connect(show)  # type: ignore[attr-defined]
    return label


def combo(items: Iterable[str], tips: dict[str, str] | None = None, *,
          editable: bool = False) -> QComboBox:
    """A combo box of ``items``, each with its registry tooltip."""
    box = QComboBox()
    box.setEditable(editable)
    for item in items:
        box.addItem(item, item)  # the item data is the value a binding writes
        tip = (tips or {}).get(item)
        if tip:
            box.setItemData(box.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    return box


def _combo_value(box: QComboBox, index: int) -> str:
    data = box.itemData(index)
    return data if isinstance(data, str) else box.itemText(index)


def _load_combo(box: QComboBox, value: str) -> None:
    if box.isEditable():
        if box.currentText() != value:
            box.setCurrentText(value)
        return
    index = box.findData(value)
    index = index if index >= 0 else box.findText(value)
    if index >= 0 and index != box.currentIndex():
        box.setCurrentIndex(index)


def set_item_text(box: QComboBox, value: str, text: str) -> None:
    """Show ``text`` for the item whose value is ``value`` (quietly: not a user edit)."""
    index = box.findData(value)
    if index >= 0 and box.itemText(index) != text:
        with _quiet(box):
            box.setItemText(index, text)


def row_table(
    model: QAbstractItemModel, *, stretch: int, min_height: int, editable: bool = False
) -> QTableView:
    """The editors' table of statements: whole-row selection, no row numbers,
    one stretched column; cells edited by double-click when ``editable``."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setItemDelegate(CheckedDelegate(table))
    if editable:
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.SelectedClicked
        )
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.setMinimumHeight(min_height)
    return table
