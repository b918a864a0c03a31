"""ACLs: the table of a section's named ACLs, and the condition builder for rules.

Theory of operation
-------------------
``AclEditor`` shows ``AclsModel`` (name, fetch, matcher, -i, patterns) with
combo-box delegates offering the registry's fetches and matchers, and a
composer row to add a new ACL.

``ConditionBuilder`` edits an ``if``/``unless`` condition as a list of terms.
Each term is a named ACL or an anonymous one (``{ path_beg /api }``), maybe
negated; consecutive terms are ANDed and a term marked "or" starts a new
AND-group, which is exactly HAProxy's precedence (AND binds tighter than OR,
no parentheses).  It reads conditions with ``Condition.groups()`` and writes
them with ``Condition.build()``, so what it shows is what the engine and
HAProxy parse.  A condition the builder cannot read (a syntax error typed in
the text view) is kept as it was until the user changes a term.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from gui.document import Document
from gui.editors.checks import name_problem
from gui.editors.item_models import AclsModel, set_acl_fields
from gui.editors.widgets import (
    SPACING,
    SectionEditor,
    combo,
    mark_refused,
    refusal_label,
    row_table,
    split_words,
)
from proxy.config import keywords as kw
from proxy.config.edit import place_node
from proxy.config.nodes import Acl, Condition, NodeError, Term

__all__ = ["AclEditor", "ConditionBuilder", "fetch_combo", "matcher_combo", "term_from_text",
           "term_text"]

ALWAYS = "always"
JOIN_AND, JOIN_OR = "and", "or"
FETCH_TIPS = {name: f"{f.name}{f.args}: {f.doc}" for name, f in kw.FETCHES.items()}
MATCHER_TIPS = {name: f"-m {name}: {doc}" for name, doc in kw.MATCHERS.items()}
# The fetches a newcomer needs first, at the top of the list; the rest follow alphabetically.
COMMON_FETCHES = ("path_beg", "path", "path_end", "hdr(host)", "hdr_beg(host)", "src", "method",
                  "url_param", "req.ssl_sni", "ssl_fc")


def fetch_combo() -> QComboBox:
    names = [*COMMON_FETCHES, *sorted(n for n in kw.FETCHES if n not in COMMON_FETCHES)]
    box = combo(names, FETCH_TIPS | {"hdr(host)": FETCH_TIPS.get("hdr", ""),
                                     "hdr_beg(host)": FETCH_TIPS.get("hdr_beg", "")},
                editable=True)
    completer = QCompleter(names, box)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    box.setCompleter(completer)
    box.setMinimumContentsLength(14)
    box.setToolTip("What to look at in the request (HAProxy's sample fetches)")
    return box


def matcher_combo() -> QComboBox:
    box = combo(["", *kw.MATCHERS], MATCHER_TIPS)
    box.setItemText(0, "")
    box.setToolTip("How patterns match (-m); empty: the fetch's own way (path_beg = prefix)")
    return box


def term_text(term: Term) -> str:
    """A term as the builder's text field shows it (without the negation)."""
    if term.anonymous is not None:
        return "{ " + " ".join(term.anonymous) + " }"
    return term.name or ""


def term_from_text(text: str, negated: bool) -> Term | None:
    """A named ACL (one word) or an anonymous ACL (a fetch and patterns, braces optional)."""
    words = split_words(text)
    if words[:1] == ["{"] and words[-1:] == ["}"]:
        words = words[1:-1]
    if not words:
        return None
    if len(words) == 1:
        return Term(negated, name=words[0])
    return Term(negated, anonymous=tuple(words))


class _TermRow:
    """The widgets of one term: [and|or] [not] [ACL or anonymous condition] [remove]."""

    def __init__(self, builder: ConditionBuilder) -> None:
        self.join = QComboBox()
        self.join.addItems([JOIN_AND, JOIN_OR])
        self.join.setToolTip("'and' binds tighter than 'or': a or b and c = a or (b and c)")
        self.negate = QCheckBox("not")
        self.negate.setToolTip("Negate this term (HAProxy's '!')")
        self.term = QComboBox()
        self.term.setEditable(True)
        self.term.setMinimumContentsLength(16)
        self.term.setToolTip("A named ACL, or an anonymous one such as: path_beg /api")
        self.remove = QPushButton("Remove")
        for signal in (self.join.currentTextChanged, self.negate.toggled,
                       self.term.currentTextChanged):
            signal.connect(builder._term_changed)
        self.remove.clicked.connect(lambda: builder._remove_row(self))

    def widgets(self) -> tuple[QWidget, ...]:
        return self.join, self.negate, self.term, self.remove

    def set_names(self, names: list[str]) -> None:
        text = self.term.currentText()
        self.term.blockSignals(True)
        self.term.clear()
        self.term.addItems(names)
        self.term.setCurrentText(text)
        self.term.blockSignals(False)


class ConditionBuilder(QWidget):
    """Edits an optional ``if``/``unless`` condition; emits ``changed`` on every user change."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        self.kind.addItems([ALWAYS, "if", "unless"])
        self.kind.setToolTip("always: no condition; if: when the terms hold; unless: when they do not")
        self.kind.currentTextChanged.connect(self._kind_changed)
        self.add_term_button = QPushButton("Add term")
        self.add_term_button.clicked.connect(lambda: self.add_term())
        self.preview = QLabel()
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setWordWrap(True)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(SPACING)
        self._grid.setColumnStretch(2, 1)
        top = QHBoxLayout()
        top.addWidget(QLabel("Apply"))
        top.addWidget(self.kind)
        top.addStretch(1)
        top.addWidget(self.add_term_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(self._grid)
        layout.addWidget(self.preview)
        self.rows: list[_TermRow] = []
        self._names: list[str] = []
        self._unreadable: Condition | None = None
        self._update()

    # -- public API -----------------------------------------------------------------------
    def set_acl_names(self, names: list[str]) -> None:
        self._names = list(names)
        for row in self.rows:
            row.set_names(self._names)

    def condition(self) -> Condition | None:
        if self._unreadable is not None:
            return self._unreadable
        kind = self.kind.currentText()
        groups = self._groups()
        if kind == ALWAYS or not groups:
            return None
        return Condition.build(kind, groups)

    def set_condition(self, condition: Condition | None) -> None:
        """Show ``condition`` (without emitting ``changed``)."""
        self.blockSignals(True)
        try:
            self._clear_rows()
            self._unreadable = None
            self.kind.setCurrentText(condition.kind if condition else ALWAYS)
            if condition is not None:
                try:
                    groups = condition.groups()
                except NodeError:
                    self._unreadable = condition
                    groups = []
                for g, group in enumerate(groups):
                    for t, term in enumerate(group):
                        self.add_term(term, JOIN_OR if g and not t else JOIN_AND)
        finally:
            self.blockSignals(False)
        self._update()

    def add_term(self, term: Term | None = None, join: str = JOIN_AND) -> None:
        row = _TermRow(self)
        row.set_names(self._names)
        for widget in row.widgets():
            widget.blockSignals(True)
        row.join.setCurrentText(join)
        row.negate.setChecked(term.negated if term else False)
        row.term.setCurrentText(term_text(term) if term else "")
        for widget in row.widgets():
            widget.blockSignals(False)
        index = len(self.rows)
        for column, widget in enumerate(row.widgets()):
            self._grid.addWidget(widget, index, column)
        self.rows.append(row)
        if self.kind.currentText() == ALWAYS:
            self.kind.setCurrentText("if")
        self._term_changed()

    # -- internals ----------------------------------------------------------------------
    def _groups(self) -> list[list[Term]]:
        groups: list[list[Term]] = []
        for row in self.rows:
            term = term_from_text(row.term.currentText(), row.negate.isChecked())
            if term is None:
                continue
            if not groups or row.join.currentText() == JOIN_OR:
                groups.append([])
            groups[-1].append(term)
        return groups

    def _clear_rows(self) -> None:
        for row in self.rows:
            for widget in row.widgets():
                self._grid.removeWidget(widget)
                widget.deleteLater()
        self.rows = []

    def _remove_row(self, row: _TermRow) -> None:
        remaining = [r for r in self.rows if r is not row]
        terms = [(term_from_text(r.term.currentText(), r.negate.isChecked()), r.join.currentText())
                 for r in remaining]
        kind = self.kind.currentText()
        self.blockSignals(True)
        self._clear_rows()
        for term, join in terms:
            self.add_term(term, join)
        self.kind.setCurrentText(kind if terms else ALWAYS)
        self.blockSignals(False)
        self._term_changed()

    def _kind_changed(self, _kind: str) -> None:
        self._term_changed()

    def _term_changed(self) -> None:
        self._unreadable = None
        self._update()
        self.changed.emit()

    def _update(self) -> None:
        for n, row in enumerate(self.rows):
            row.join.setVisible(n > 0)  # the first term has nothing to join to
            row.term.setEnabled(self.kind.currentText() != ALWAYS)
        condition = self.condition()
        text = " ".join(condition.to_words()) if condition else "(no condition: always)"
        self.preview.setText(f"<code>{_escape(text)}</code>")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _ComboDelegate(QStyledItemDelegate):
    """Edits a table cell with a combo box of registry entries (fetches, matchers)."""

    def __init__(self, factory: type[QComboBox] | object, parent: QWidget) -> None:
        super().__init__(parent)
        self._factory = factory

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        box: QComboBox = self._factory()  # type: ignore[operator]
        box.setParent(parent)
        return box

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class AclEditor(SectionEditor):
    """The named ACLs of a frontend/listen/backend: a table and a row to add one."""

    def __init__(self, document: Document, kind: str, name: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(document, kind, name, parent)
        self.model = AclsModel(document, kind, name, self)
        self.table = row_table(self.model, stretch=4, min_height=140, editable=True)
        self.table.setItemDelegateForColumn(1, _ComboDelegate(fetch_combo, self.table))
        self.table.setItemDelegateForColumn(2, _ComboDelegate(matcher_combo, self.table))
        self.remove_button = QPushButton("Remove selected ACL")
        self.remove_button.clicked.connect(self.remove_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(refusal_label(self.model))
        layout.addWidget(self._composer())
        layout.addWidget(self.problem)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)
        self.model.modelReset.connect(self._resize)
        self._resize()

    def _composer(self) -> QWidget:
        box = QWidget()
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("is_api")
        self.new_fetch = fetch_combo()
        self.new_matcher = matcher_combo()
        self.new_ignore_case = QCheckBox("ignore case (-i)")
        self.new_patterns = QLineEdit()
        self.new_patterns.setPlaceholderText("/api /v2  (space-separated; any one matches)")
        self.add_button = QPushButton("Add ACL")
        self.add_button.clicked.connect(self.add_acl)
        self.new_name.textEdited.connect(
            lambda text: mark_refused(self.new_name, name_problem(text, "ACL name") if text else None))
        self.new_patterns.returnPressed.connect(self.add_acl)
        self.new_fetch.currentTextChanged.connect(self._explain_fetch)
        self.fetch_doc = QLabel()
        self.fetch_doc.setWordWrap(True)
        form = QFormLayout(box)
        form.setContentsMargins(0, SPACING, 0, 0)
        form.addRow("New ACL name", self.new_name)
        fetch_row = QHBoxLayout()
        fetch_row.addWidget(self.new_fetch, 2)
        fetch_row.addWidget(QLabel("matched by"))
        fetch_row.addWidget(self.new_matcher, 1)
        fetch_row.addWidget(self.new_ignore_case)
        form.addRow("Looks at", fetch_row)
        form.addRow("", self.fetch_doc)
        patterns_row = QHBoxLayout()
        patterns_row.addWidget(self.new_patterns, 1)
        patterns_row.addWidget(self.add_button)
        form.addRow("Patterns", patterns_row)
        self._explain_fetch(self.new_fetch.currentText())
        return box

    def _explain_fetch(self, text: str) -> None:
        fetch = kw.FETCHES.get(text.split("(", 1)[0])
        self.fetch_doc.setText(f"<small>{_escape(fetch.doc)}</small>" if fetch else "")

    def _resize(self) -> None:
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    def add_acl(self) -> None:
        name, fetch = self.new_name.text().strip(), self.new_fetch.currentText().strip()
        problem = name_problem(name, "ACL name") or (
            "a fetch is required" if not fetch else
            "the fetch is one word, without blanks" if any(c.isspace() for c in fetch) else None)
        self.show_problem(self.new_name, "New ACL", problem)
        if problem is not None:
            self.new_name.setFocus()
            return
        node = Acl(name, fetch)
        set_acl_fields(node, matcher=self.new_matcher.currentText(),
                       ignore_case=self.new_ignore_case.isChecked(),
                       patterns=self.new_patterns.text())
        self.edit(f"Add ACL {name}", lambda section: place_node(section, node))
        self.new_name.clear()
        self.new_patterns.clear()
        self.new_name.setFocus()

    def remove_selected(self) -> None:
        rows = [i.row() for i in self.table.selectionModel().selectedRows()]
        self.model.remove_rows(rows)

    def acl_names(self) -> list[str]:
        return [self.model.node(r).name for r in range(self.model.rowCount())]
