"""What happens to a running proxy when the window's document is replaced.

Open, Open Recent, New and Revert put another configuration in the window while
the engine serves the old one.  Doing that silently left the two apart and the
next Apply pushed the new file live unasked (issue 11), so the window asks
(``ask_running_engine``): stop the proxy, keep it serving the previous
configuration, or apply the new one to it now.  Keeping is remembered by the
window (``MainWindow.serving_other``): the status bar says what is served, and
Apply asks before replacing it (``confirm_apply_over``).
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["RunningChoice", "ask_running_engine", "confirm_apply_over"]


class RunningChoice(Enum):
    STOP = "stop"
    KEEP = "keep"
    APPLY = "apply"


# Button texts say what happens, so the answer needs no reading of the text above them.
BUTTON_TEXTS = {
    RunningChoice.STOP: "&Stop the proxy",
    RunningChoice.KEEP: "&Keep serving {served}",
    RunningChoice.APPLY: "&Apply {new} to it",
}


def ask_running_engine(parent: QWidget, doing: str, served: str, new: str) -> RunningChoice | None:
    """Stop, keep or apply (None: Cancel, nothing changes) for ``doing`` ("Opening x.cfg")
    while the proxy serves ``served``; ``new`` names what would replace it."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, "The proxy is running",
                      f"{doing} while the proxy serves {served}.", buttons.Cancel, parent)
    box.setInformativeText(
        f"Stop it (its clients are disconnected), keep it serving {served} until you "
        f"press Apply, or apply {new} to it now (refused if {new} has errors: the proxy "
        "then keeps what it serves).")
    choices = {}
    for choice, text in BUTTON_TEXTS.items():
        role = QMessageBox.ButtonRole.AcceptRole
        choices[choice] = box.addButton(text.format(served=served, new=new), role)
    box.setDefaultButton(buttons.Cancel)
    box.setEscapeButton(buttons.Cancel)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return next((choice for choice, button in choices.items() if button is clicked), None)


def confirm_apply_over(parent: QWidget, served: str, new: str) -> bool:
    """Apply after "keep serving": say that it replaces what the proxy serves."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, "Replace what the proxy serves?",
                      f"The proxy serves {served}. Apply replaces it with {new}.",
                      buttons.Cancel, parent)
    apply = box.addButton(f"&Apply {new}", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(apply)
    box.setEscapeButton(buttons.Cancel)
    box.exec()
    agreed = box.clickedButton() is apply
    box.deleteLater()
    return agreed
