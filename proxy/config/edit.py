"""Edits of a config model: the operations the GUI and ``proxydesk route`` perform.

Theory of operation
-------------------
These functions change a ``Config`` (or one of its sections) in place, the way
a person editing haproxy.cfg by hand would, and nothing else: they never read
files, never validate the whole config and never know about undo.  The GUI
runs each of them inside ``Document.edit`` (which snapshots the model, so undo
replaces the whole ``Config``); ``proxy.routes`` calls them directly.

Three rules keep a file readable after many edits:

* **Placement.**  A new statement goes where HAProxy evaluates it
  (``place_node``): ``mode`` and ``bind`` first, then timeouts, options,
  balancing, servers, ACLs, request rules, ``use_backend``, and
  ``default_backend`` last -- so an added ``http-request`` lands before the
  ``use_backend`` lines, which is the order HAProxy runs them in (and warns
  about otherwise).  Trailing blank lines and comments stay between sections
  (``Section.insertion_point``).
* **One value, one line.**  A single-valued setting (``set_mode``,
  ``set_timeout``, ``set_default_backend``) changes the *last* such line in
  place -- the one HAProxy honours -- so the line keeps its comment and its
  place; an empty value removes every such line (the value is then inherited
  from ``defaults``).
* **Names are references.**  Renaming a section (``rename_section``) rewrites
  what refers to it by name, so the file means the same thing afterwards:
  ``use_backend``/``default_backend`` for a backend or listen,
  ``http_auth(L)``/``http_auth_group(L)`` for a userlist, and ``from D`` on
  the proxies that inherit from a named defaults section.  Edited lines are
  rebuilt as nodes; their ``origin`` stays, so the writer re-renders only
  the lines whose words changed.

``valid_section_name`` is HAProxy's own rule for proxy, defaults and userlist
names (``invalid_char()`` in HAProxy's ``src/tools.c``): only ASCII letters,
digits and ``-``, ``_``, ``.``, ``:``.  ``config_host_names`` reads the host
names a config routes by, for certificates.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from proxy.certs.errors import InvalidName
from proxy.certs.names import normalize_name
from proxy.config.build import node_from_words
from proxy.config.keywords import NAME_CHARACTERS, invalid_name_character
from proxy.config.model import Config, Section, Statement
from proxy.config.nodes import DefaultBackend, Generic, Mode, Node, OptionLine, Timeout, UseBackend

__all__ = [
    "NAME_CHARACTERS",
    "PLACEMENT_ORDER",
    "STARTER_DEFAULTS",
    "add_defaults_section",
    "add_global_section",
    "append_section",
    "config_host_names",
    "place_node",
    "rename_section",
    "set_default_backend",
    "set_from_defaults",
    "set_keyword",
    "set_mode",
    "set_option_state",
    "set_timeout",
    "valid_section_name",
]

# The order HAProxy evaluates a proxy's statements in; new statements are placed so
# the file reads in that order (HAProxy warns when e.g. http-request follows use_backend).
PLACEMENT_ORDER: tuple[str, ...] = (
    "mode", "bind", "timeout", "option", "balance", "default-server", "server",
    "acl", "tcp-request", "http-request", "use_backend", "default_backend",
)



# --- names -----------------------------------------------------------------------------------


def valid_section_name(name: str) -> str | None:
    """None when ``name`` is a valid proxy/defaults/userlist (and group) name, else why not
    (the rule is the registry's: ``keywords.invalid_name_character``)."""
    if not name:
        return "a name is required"
    bad = invalid_name_character(name)
    if bad is None:
        return None
    shown = "a space" if bad == " " else repr(bad)
    return f"character {shown} is not permitted in a name (only letters, digits and {' '.join(NAME_CHARACTERS)})"


# --- placing statements ----------------------------------------------------------------------


def _rank(node: Node) -> int:
    keyword = node.keyword
    return PLACEMENT_ORDER.index(keyword) if keyword in PLACEMENT_ORDER else len(PLACEMENT_ORDER)


def place_node(section: Section, node: Node) -> Statement:
    """Insert ``node`` after the last statement of its rank or lower, so related lines group
    (a new ``http-request`` lands before the ``use_backend`` lines, as HAProxy runs them).

    With nothing of its rank or lower, it goes before the first statement; in an empty
    body, at ``section.insertion_point()``.  Returns the new statement."""
    rank = _rank(node)
    worded = [i for i, s in enumerate(section.body) if s.words]
    not_later = [i for i in worded if _rank(section.body[i].node) <= rank]
    if not_later:
        index = not_later[-1] + 1
    elif worded:
        index = worded[0]
    else:
        index = section.insertion_point()
    stmt = Statement(node)
    section.body.insert(index, stmt)
    return stmt


def _set_single(section: Section, kind: type[Node], value: str, field: str,
                new: Callable[[], Node], *, where: Callable[[Node], bool] = lambda n: True) -> None:
    """The one-value setters' shared rule: "" removes every ``kind`` line (``where`` picks
    among them); else the last one's ``field`` changes in place (its comment and position
    stay); else a new line is placed."""
    stmts = [s for s in section.body if isinstance(s.node, kind) and where(s.node)]
    if not value:
        for stmt in stmts:
            section.remove(stmt)
    elif stmts:
        setattr(stmts[-1].node, field, value)
    else:
        place_node(section, new())


def set_timeout(section: Section, kind: str, value: str) -> None:
    """Set ``timeout <kind>`` (replacing the last one in place) or remove it when ``value`` is ""."""
    _set_single(section, Timeout, value, "value", lambda: Timeout(kind, value),
                where=lambda n: isinstance(n, Timeout) and n.kind == kind)


def set_mode(section: Section, value: str) -> None:
    """Set ``mode`` (replacing the last one in place) or remove it when ``value`` is ""."""
    _set_single(section, Mode, value, "value", lambda: Mode(value))


def set_default_backend(section: Section, name: str) -> None:
    """Set ``default_backend`` (replacing the last one in place) or remove it when ``name``
    is blank; surrounding blanks are dropped."""
    name = name.strip()
    _set_single(section, DefaultBackend, name, "backend", lambda: DefaultBackend(name))


def set_option_state(section: Section, name: str, state: str) -> None:
    """``option NAME`` (state "on"), ``no option NAME`` ("off") or no line at all (""): the
    last such line changes in place (its arguments and comment stay), earlier ones go."""
    stmts = [s for s in section.body if isinstance(s.node, OptionLine) and s.node.name == name]
    keep = stmts[-1] if stmts and state else None
    for stmt in stmts:
        if stmt is not keep:
            section.remove(stmt)
    prefix = "no" if state == "off" else ""
    if keep is not None:
        assert isinstance(keep.node, OptionLine)
        if keep.node.prefix != prefix:
            keep.node = OptionLine(name, keep.node.args, prefix)
    elif state:
        place_node(section, OptionLine(name, [], prefix))


def set_keyword(section: Section, keyword: str, args: list[str]) -> None:
    """A one-value keyword (``retries 3``, ``maxconn 2000``, ``stats socket PATH ...``):
    the last line changes in place, earlier ones go; no ``args`` removes every line."""
    words = keyword.split()
    stmts = [s for s in section.body if s.words[: len(words)] == words]
    for stmt in stmts[:-1] if args else stmts:
        section.remove(stmt)
    if not args:
        return
    node = node_from_words([*words, *args], proxy_section=section.is_proxy)
    if stmts:
        stmts[-1].node = node
    elif section.is_proxy:
        place_node(section, node)
    else:
        section.body.insert(section.insertion_point(), Statement(node))


def set_from_defaults(section: Section, parent: str) -> None:
    """``KIND [NAME] from PARENT`` on the header, or no ``from`` when ``parent`` is ""."""
    words = section.header.words
    head = words[: words.index("from", 2)] if "from" in words[2:] else words
    section.header.node = Generic([*head, "from", parent] if parent else head)


# --- sections ---------------------------------------------------------------------------------

#: What a defaults section added from the GUI starts with: the mode and the three
#: timeouts HAProxy warns about when they are missing (its "missing timeouts" check),
#: at values the HAProxy documentation's examples use.  A starting point, not a rule.
STARTER_DEFAULTS: tuple[tuple[str, ...], ...] = (
    ("mode", "http"),
    ("timeout", "connect", "5s"),
    ("timeout", "client", "30s"),
    ("timeout", "server", "30s"),
)


def add_defaults_section(config: Config, name: str | None = None) -> Section:
    """A new ``defaults [NAME]`` with ``STARTER_DEFAULTS``, placed after ``global`` and
    before every other defaults and proxy section: the proxies that already take another
    defaults section keep it (they read the last one before them), and when there was
    none, every proxy takes the new one."""
    first = next((i for i, s in enumerate(config.sections) if s.kind != "global"), len(config.sections))
    header = Statement(Generic(["defaults", name] if name else ["defaults"]))
    body = [Statement(node_from_words(list(words), proxy_section=True)) for words in STARTER_DEFAULTS]
    section = Section("defaults", name or None, header, body)
    _insert_set_apart(config, first, section)
    return section


def add_global_section(config: Config) -> Section:
    """An empty ``global`` section first in the file (HAProxy reads it before the proxies);
    the existing one when there is one."""
    existing = config.global_section
    if existing is not None:
        return existing
    section = Section("global", None, Statement(Generic(["global"])), [])
    _insert_set_apart(config, 0, section)
    return section


def _insert_set_apart(config: Config, index: int, section: Section) -> None:
    """Insert ``section`` at ``index`` with a blank line before the next section and after
    the previous one, as people write sections."""
    if index < len(config.sections):
        section.body.append(Statement())
    if index > 0:
        before = config.sections[index - 1].body
        if before and (before[-1].words or before[-1].comment):
            before.append(Statement())
    config.sections.insert(index, section)



def append_section(config: Config, section: Section) -> Section:
    """Add ``section`` at the end, one blank line after what precedes it, as people
    write sections."""
    before = config.sections[-1].body if config.sections else config.preamble
    if before and (before[-1].words or before[-1].comment):
        before.append(Statement())
    config.sections.append(section)
    return section


def rename_section(config: Config, section: Section, new_name: str) -> None:
    """Rename ``section`` (a section of ``config``) and every reference to it by name.

    The header keeps its other words (``from D`` ...).  References rewritten:
    ``use_backend``/``default_backend`` for a backend or listen, ``http_auth(L)`` and
    ``http_auth_group(L)`` (in ``acl`` lines and anonymous ACLs alike) for a userlist,
    ``from D`` on section headers for a defaults section.  Raises ``ValueError`` for
    an unnamed section, a name HAProxy refuses, or a name another section of the same
    kind already has."""
    old_name = section.name
    if old_name is None:
        raise ValueError(f"an unnamed {section.kind} section cannot be renamed")
    problem = valid_section_name(new_name)
    if problem is not None:
        raise ValueError(f"cannot rename {section.kind} {old_name} to '{new_name}': {problem}")
    if new_name == old_name:
        return
    if config.find(section.kind, new_name) is not None:
        raise ValueError(f"there is already a {section.kind} '{new_name}'")
    section.name = new_name
    section.header.node = Generic([section.kind, new_name, *section.header.words[2:]])
    if section.kind in ("backend", "listen"):
        _rename_backend_references(config, old_name, new_name)
    elif section.kind == "userlist":
        _rename_userlist_references(config, old_name, new_name)
    elif section.kind == "defaults":
        _rename_defaults_references(config, old_name, new_name)


def _rename_backend_references(config: Config, old: str, new: str) -> None:
    for section in config.sections:
        for stmt in section.body:
            node = stmt.node
            if isinstance(node, DefaultBackend | UseBackend) and node.backend == old:
                node.backend = new


def _rename_userlist_references(config: Config, old: str, new: str) -> None:
    """``http_auth(old)`` and ``http_auth_group(old)``, in acl lines and in anonymous ACLs
    of rules alike: each such line is rebuilt from its words with the new name."""
    pattern = re.compile(rf"^(http_auth(?:_group)?)\({re.escape(old)}\)")
    for section in config.sections:
        for stmt in section.body:
            words = stmt.words
            renamed = [pattern.sub(rf"\g<1>({new})", w) for w in words]
            if renamed != words:
                stmt.node = node_from_words(renamed, proxy_section=section.is_proxy)


def _rename_defaults_references(config: Config, old: str, new: str) -> None:
    """``KIND NAME from old`` on the headers of the sections that inherit from it."""
    for section in config.sections:
        words = section.header.words
        if section.from_defaults == old:
            at = words.index("from", 2) + 1
            section.header.node = Generic([*words[:at], new, *words[at + 1:]])


# --- reading ----------------------------------------------------------------------------------


def config_host_names(config: Config) -> list[str]:
    """Host names the config routes by (``hdr(host)``/SNI ACL patterns), ports dropped,
    as a certificate would hold them (lower case; regexes and ``.suffix`` patterns left out).

    Offered as exact names when issuing, and handed to the certificate library so
    its wildcard advice can name the hosts a wildcard would miss."""
    hosts: list[str] = []
    for section in config.sections:
        for acl in section.acls:
            fetch = acl.fetch.lower()
            if "host" not in fetch and "sni" not in fetch:
                continue
            for pattern in acl.patterns:
                host = pattern.rsplit(":", 1)[0] if pattern.count(":") == 1 else pattern
                name = _certificate_name(host)
                if name is not None and name not in hosts:
                    hosts.append(name)
    return hosts


def _certificate_name(text: str) -> str | None:
    """``text`` as a certificate would hold it, or None (a regex, a ``.suffix`` pattern ...)."""
    try:
        return normalize_name(text)
    except InvalidName:
        return None
