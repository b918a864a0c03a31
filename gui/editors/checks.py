"""Why a value typed into a form is refused, in words, from the registry's facts.

Theory of operation
-------------------
A form never throws input away: each field (a table cell's editor, a line
edit) runs one of these checks on every key press, marks itself and says
the reason while the text is refused, and writes nothing until the text is
accepted (or the user presses Esc).  The facts -- the port range, the
bounds of a server option, the characters a name may hold, the time units
-- are the registry's (``proxy.config.keywords``) and the time parser's, so
a form refuses exactly what the checker would report; the checks only word
the answer for the place it is typed in.  Each returns None for an accepted
value, else the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from proxy.config import keywords as kw
from proxy.config.edit import valid_section_name
from proxy.config.timeparse import parse_time_ms

__all__ = [
    "Check",
    "name_problem",
    "option_problem",
    "port_problem",
    "time_problem",
]

Check = Callable[[str], str | None]


def port_problem(text: str, *, allow_empty: bool = False) -> str | None:
    text = text.strip()
    low, high = kw.PORT_RANGE
    if not text:
        return None if allow_empty else f"a port is required ({low}-{high})"
    if not text.isdigit():
        return f"'{text}' is not a port: type a number from {low} to {high}"
    if not low <= int(text) <= high:
        return f"port {text} is out of range: ports go from {low} to {high}"
    return None


def option_problem(table: dict[str, kw.OptionSpec], name: str, text: str) -> str | None:
    """A ``server``/``default-server``/``bind`` option's value; "" (unset) is accepted."""
    text = text.strip()
    spec = table.get(name)
    if not text or spec is None:
        return None
    if spec.kind == "time":
        return time_problem(text)
    if spec.kind == "int" and spec.bounds is not None:
        low, high = spec.bounds
        if not text.isdigit():
            return f"'{text}' is not a number: {name} takes a whole number from {low} to {high}"
        if not low <= int(text) <= high:
            return f"{name} {text} is out of range: it goes from {low} to {high}"
    if any(c.isspace() for c in text) and spec.nargs == 1:
        return f"{name} takes one word, without blanks"
    return None


def time_problem(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        parse_time_ms(text)
    except ValueError as exc:
        return f"'{text}' is not a time ({exc}); e.g. 500ms, 5s, 2m"
    return None


def name_problem(text: str, what: str = "name") -> str | None:
    """A server, ACL or section name: HAProxy's ``invalid_char()`` rule."""
    problem = valid_section_name(text.strip())
    return problem.replace("a name", f"a {what}") if problem else None
