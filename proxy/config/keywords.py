# (E501: the tables below are data, one entry per line, transcribed from the manual;
#  wrapping them would make them much harder to read and diff against the manual.)
"""Keyword registry: what HAProxy 2.6 accepts, where, and what it means.

Theory of operation
-------------------
HAProxy drives its configuration parser from keyword tables registered by each
subsystem; Proxydesk does the same with this one module.  The parser, the
validator and the GUI (completion, tooltips, forms) only *read* these tables.

* ``KEYWORDS`` maps every statement keyword - its leading words as the manual
  spells them ("bind", "timeout client", "option forwardfor", "tcp-request
  content") - to a ``Keyword`` carrying the sections where it is meaningful
  (the manual's §4.1 matrix; §3 for global ones), its argument synopsis, a
  one-line doc, its argument count bounds, and whether HAProxy 2.6 rejects it
  (``removed``) or warns about it (``deprecated``).
* ``lookup()`` finds the longest keyword matching a statement's leading words,
  the way HAProxy does for its multi-word keywords, and skips a leading
  "no"/"default" prefix.
* The other tables cover what appears *inside* statements: bind/server options
  (§5.1, §5.2), balance algorithms, timeouts, ACL fetches/matchers/flags (§7)
  and the http-request/http-response/tcp-request actions (§4.2).

The data was transcribed from HAProxy 2.6's configuration.txt with a one-off
script and checked against the ``haproxy -c`` binary (see
tests/proxy/config/test_keywords.py).  Where the binary and the matrix
disagree, ``sections`` follows the matrix (where the keyword has an effect)
and ``ignored_in`` records the sections where HAProxy 2.6 still *accepts* the
keyword but ignores it (usually with an "ignored because ... has no frontend/
backend capability" warning) instead of failing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Flag, auto


class Sec(Flag):
    """Section kinds a keyword may appear in."""

    GLOBAL = auto()
    DEFAULTS = auto()
    FRONTEND = auto()
    LISTEN = auto()
    BACKEND = auto()
    PROXY = DEFAULTS | FRONTEND | LISTEN | BACKEND  # convenience


#: Section header keyword -> its Sec; the other sections HAProxy 2.6 knows are
#: kept raw by Proxydesk (None): their contents are not checked against KEYWORDS.
SECTION_KINDS: dict[str, Sec | None] = {
    "global": Sec.GLOBAL,
    "defaults": Sec.DEFAULTS,
    "frontend": Sec.FRONTEND,
    "listen": Sec.LISTEN,
    "backend": Sec.BACKEND,
    "userlist": None,
    "peers": None,
    "resolvers": None,
    "mailers": None,
    "http-errors": None,
    "cache": None,
    "program": None,
    "ring": None,
    "fcgi-app": None,
    "log-forward": None,
    "namespace_list": None,
}


_NOWHERE = Sec(0)


@dataclass(frozen=True, slots=True)
class Keyword:
    """One statement keyword (possibly several words) and where it is allowed."""

    name: str  # as the manual spells it: "bind", "timeout client", "option forwardfor"
    sections: Sec  # where it is allowed and has an effect (manual §4.1 matrix / §3)
    synopsis: str  # arguments after the keyword words, as in the manual
    doc: str  # one short line, for tooltips
    min_args: int = 0  # arguments after the keyword words
    max_args: int | None = None  # None = unbounded
    removed: str | None = None  # HAProxy 2.6 rejects it: why, and what to use instead
    deprecated: str | None = None  # still accepted but warned about, with the replacement
    no_prefix: bool = False  # accepts "no <keyword>" / "default <keyword>"
    ignored_in: Sec = _NOWHERE  # outside `sections` but HAProxy 2.6 only ignores it (warning), not an error
    named_defaults_only: bool = False  # in "defaults" only when the section is named ("(!)" in the matrix)
    default: str | None = None  # HAProxy's value when no line sets it (None: unset means "none")
    kind: str = ""  # value kind of the first argument: "time", "int", "word"... ("" = not typed)
    engine: str = "ignores"  # what the embedded engine does with it: see ENGINE_SUPPORT
    engine_note: str = ""  # what the engine does instead, for the "ignores" warning
    needs_http: str = ""  # how HAProxy 2.6 ignores it outside "mode http": see HTTP_MODE_ONLY


_G = Sec.GLOBAL
_NONE = _NOWHERE
_D, _F, _L, _B = Sec.DEFAULTS, Sec.FRONTEND, Sec.LISTEN, Sec.BACKEND
_DFLB = Sec.PROXY
_DFL = _D | _F | _L
_DLB = _D | _L | _B
_DL = _D | _L
_DB = _D | _B
_DF = _D | _F
_FLB = _F | _L | _B
_FL = _F | _L
_LB = _L | _B
_FB = _F | _B


# --- proxy keywords (§4.1 matrix, synopses and docs from §4.2) -----------------
# Arity is the number of words after the keyword; it is deliberately lenient
# (max None) wherever the synopsis has optional or repeated parts.
_PROXY_KEYWORDS: tuple[Keyword, ...] = (
    Keyword('acl', _DFLB, '<aclname> <criterion> [flags] [operator] <value> ...', 'Declare or complete an access list', 2, None, named_defaults_only=True),
    Keyword('backlog', _DFL, '<conns>', 'Give hints to the system about the approximate listen backlog desired size', 1, 1, ignored_in=_B),
    Keyword('balance', _DLB, '<algorithm> [<arguments>]', 'Define the load balancing algorithm to be used in a backend', 1, None, ignored_in=_F, default='roundrobin', kind='word'),
    Keyword('bind', _FL, '[<address>]:<port_range>[,...] [param*] | /<path>[,...] [param*]', 'Define one or several listening addresses and/or ports in a frontend', 1, None, ignored_in=_B),
    Keyword('bind-process', _DFLB, '[ all | odd | even | <process_num>[-[<process_num>]] ] ...', 'Limit visibility of an instance to a certain set of threads (deprecated)', 0, None, deprecated="has no effect since HAProxy 2.5 and will be removed in 2.7; use 'thread' on 'bind' lines"),
    Keyword('capture cookie', _FL, '<name> len <length>', 'Capture and log a cookie in the request and in the response', 3, 3, ignored_in=_B),
    Keyword('capture request header', _FL, '<name> len <length>', 'Capture and log the last occurrence of the specified request header', 3, 3, ignored_in=_B),
    Keyword('capture response header', _FL, '<name> len <length>', 'Capture and log the last occurrence of the specified response header', 3, 3, ignored_in=_B),
    Keyword('clitcpka-cnt', _DFL, '<count>', 'Sets the maximum number of keepalive probes TCP should send before dropping the connection on the client side', 1, 1, ignored_in=_B),
    Keyword('clitcpka-idle', _DFL, '<timeout>', 'Sets the time the connection needs to remain idle before TCP starts sending keepalive probes', 1, 1, ignored_in=_B),
    Keyword('clitcpka-intvl', _DFL, '<timeout>', 'Sets the time between individual keepalive probes on the client side', 1, 1, ignored_in=_B),
    Keyword('compression', _DFLB, '{ algo <algorithm> ... | type <mime type> ... | offload }', 'Enable HTTP compression', 1, None),
    Keyword('cookie', _DLB, '<name> [ rewrite | insert | prefix ] [ indirect ] [ nocache ] [ postonly ] [ preserve ] [ httponly ] [ secure ] [ domain <domain> ]* [ maxidle <idle> ] [ maxlife <life> ] [ dynamic ] [ attr <value> ]*', 'Enable cookie-based persistence in a backend', 1, None, ignored_in=_F),
    Keyword('declare capture', _FL, '[ request | response ] len <length>', 'Declares a capture slot', 3, 3),
    Keyword('default-server', _DLB, '[param*]', 'Change default options for a server in a backend', 0, None),
    Keyword('default_backend', _DFL, '<backend>', "Specify the backend to use when no 'use_backend' rule has been matched", 1, 1, ignored_in=_B),
    Keyword('description', _FLB, '<string>', 'Describe a listen, frontend or backend', 1, None),
    Keyword('disabled', _DFLB, '', 'Disable a proxy, frontend or backend', 0, 0),
    Keyword('dispatch', _LB, '<address>:<port>', 'Set a default server address', 1, 1, ignored_in=_F),
    Keyword('dynamic-cookie-key', _DLB, '<string>', 'Set the dynamic cookie secret key for a backend', 1, 1, ignored_in=_F),
    Keyword('email-alert from', _DFLB, '<emailaddr>', 'Declare the from email address to be used in both the envelope and header of email alerts', 1, 1),
    Keyword('email-alert level', _DFLB, '<level>', 'Declare the maximum log level of messages for which email alerts will be sent', 1, 1),
    Keyword('email-alert mailers', _DFLB, '<mailersect>', 'Declare the mailers to be used when sending email alerts', 1, 1),
    Keyword('email-alert myhostname', _DFLB, '<hostname>', 'Declare the hostname used when communicating with mailers', 1, 1),
    Keyword('email-alert to', _DFLB, '<emailaddr>', 'Declare both the recipient address in the envelope and to address in the header of email alerts', 1, 1),
    Keyword('enabled', _DFLB, '', 'Enable a proxy, frontend or backend', 0, 0),
    Keyword('error-log-format', _DFL, '<string>', 'Specifies the log format string to use in case of connection error on the frontend side', 1, 1, ignored_in=_B),
    Keyword('errorfile', _DFLB, '<code> <file>', 'Return a file contents instead of errors generated by HAProxy', 2, 2),
    Keyword('errorfiles', _DFLB, '<name> [<code> ...]', 'Import, fully or partially, the error files defined in the <name> http-errors section', 1, None),
    Keyword('errorloc', _DFLB, '<code> <url>', 'Return an HTTP redirection to a URL instead of errors generated by HAProxy', 2, 2),
    Keyword('errorloc302', _DFLB, '<code> <url>', 'Return an HTTP redirection to a URL instead of errors generated by HAProxy', 2, 2),
    Keyword('errorloc303', _DFLB, '<code> <url>', 'Return an HTTP redirection to a URL instead of errors generated by HAProxy', 2, 2),
    Keyword('external-check command', _DLB, '<command>', 'Executable to run when performing an external-check', 1, 1, ignored_in=_F),
    Keyword('external-check path', _DLB, '<path>', 'The value of the PATH environment variable used when running an external-check', 1, 1, ignored_in=_F),
    Keyword('filter', _FLB, '<name> [param*]', 'Add the filter <name> in the filter list attached to the proxy', 1, None),
    Keyword('force-persist', _LB, '{ if | unless } <condition>', 'Declare a condition to force persistence on down servers', 2, None, ignored_in=_F),
    Keyword('fullconn', _DLB, '<conns>', 'Specify at what backend load the servers will reach their maxconn', 1, 1, ignored_in=_F),
    Keyword('hash-balance-factor', _DLB, '<factor>', 'Specify the balancing factor for bounded-load consistent hashing', 1, 1, ignored_in=_F),
    Keyword('hash-type', _DLB, '<method> [<function>] [<modifier>]', 'Specify a method to use for mapping hashes to servers', 1, 3, ignored_in=_F),
    Keyword('http-after-response', _DFLB, '<action> <options...> [ { if | unless } <condition> ]', 'Access control for all Layer 7 responses (server, applet/service and internal ones)', 1, None, named_defaults_only=True),
    Keyword('http-check comment', _DLB, '<string>', 'Comment reported in logs if the next http-check rule fails', 1, 1, ignored_in=_F),
    Keyword('http-check connect', _DLB, '[default] [port <expr>] [addr <ip>] [send-proxy] [via-socks4] [ssl] [sni <sni>] [alpn <alpn>] [linger] [proto <name>] [comment <msg>]', 'Opens a new connection to perform an HTTP health check', 0, None, ignored_in=_F),
    Keyword('http-check disable-on-404', _DLB, '', 'Enable a maintenance mode upon HTTP/404 response to health-checks', 0, 0, ignored_in=_F),
    Keyword('http-check expect', _DLB, '[min-recv <int>] [comment <msg>] [ok-status <st>] [error-status <st>] [tout-status <st>] [on-success <fmt>] [on-error <fmt>] [status-code <expr>] [!] <match> <pattern>', 'Make HTTP health checks consider response contents or specific status codes', 2, None, ignored_in=_F),
    Keyword('http-check send', _DLB, '[meth <method>] [{ uri <uri> | uri-lf <fmt> }>] [ver <version>] [hdr <name> <fmt>]* [{ body <string> | body-lf <fmt> }] [comment <msg>]', 'Add a possible list of headers and/or a body to the request sent during HTTP health checks', 0, None, ignored_in=_F),
    Keyword('http-check send-state', _DLB, '', 'Enable emission of a state header with HTTP health checks', 0, 0, ignored_in=_F),
    Keyword('http-check set-var', _DLB, '(<var-name>[,<cond>...]) <expr>', 'Set the content of a variable during an HTTP health check', 1, None, ignored_in=_F),
    Keyword('http-check unset-var', _DLB, '(<var-name>)', 'Free a variable during an HTTP health check', 0, 0, ignored_in=_F),
    Keyword('http-error', _DFLB, 'status <code> [content-type <type>] [{ default-errorfiles | errorfile <file> | errorfiles <name> | file <file> | lf-file <file> | string <str> | lf-string <fmt> }] [hdr <name> <fmt>]*', 'Define a custom error message for a status code, used wherever HAProxy emits that status', 2, None),
    Keyword('http-request', _DFLB, '<action> [options...] [ { if | unless } <condition> ]', 'Access control for Layer 7 requests', 1, None, named_defaults_only=True),
    Keyword('http-response', _DFLB, '<action> <options...> [ { if | unless } <condition> ]', 'Access control for Layer 7 responses', 1, None, named_defaults_only=True),
    Keyword('http-reuse', _DLB, '{ never | safe | aggressive | always }', 'Declare how idle HTTP connections may be shared between requests', 1, 1, ignored_in=_F),
    Keyword('http-send-name-header', _DLB, '[<header>]', 'Add the server name to a request', 0, None, ignored_in=_F),
    Keyword('id', _FLB, '<value>', 'Set a persistent ID to a proxy', 1, 1),
    Keyword('ignore-persist', _LB, '{ if | unless } <condition>', 'Declare a condition to ignore persistence', 2, None, ignored_in=_F),
    Keyword('load-server-state-from-file', _DLB, '{ global | local | none }', "Load servers' state saved by the previous process (seamless reload)", 1, 1, ignored_in=_F),
    Keyword('log', _DFLB, 'global | <address> [len <length>] [format <format>] [sample <ranges>:<sample_size>] <facility> [<level> [<minlevel>]]', 'Enable per-instance logging of events and traffic', 0, None, no_prefix=True),
    Keyword('log-format', _DFL, '<string>', 'Specifies the log format string to use for traffic logs', 1, 1, ignored_in=_B),
    Keyword('log-format-sd', _DFL, '<string>', 'Specifies the RFC5424 structured-data log format string', 1, 1, ignored_in=_B),
    Keyword('log-tag', _DFLB, '<string>', 'Specifies the log tag to use for all outgoing logs', 1, 1),
    Keyword('max-keep-alive-queue', _DLB, '<value>', 'Set the maximum server queue size for maintaining keep-alive connections', 1, 1, ignored_in=_F),
    Keyword('max-session-srv-conns', _DFL, '<nb>', 'Set the maximum number of outgoing connections we can keep idling for a given client session', 1, 1, ignored_in=_B),
    Keyword('maxconn', _DFL, '<conns>', 'Fix the maximum number of concurrent connections on a frontend', 1, 1, ignored_in=_B),
    Keyword('mode', _DFLB, '{ tcp|http }', 'Set the running mode or protocol of the instance', 1, 1, default='tcp', kind='word'),
    Keyword('monitor fail', _FL, '{ if | unless } <condition>', 'Add a condition to report a failure to a monitor HTTP request', 2, None, ignored_in=_B),
    Keyword('monitor-uri', _DFL, '<uri>', "Intercept a URI used by external components' monitor requests", 1, 1, ignored_in=_B),
    Keyword('option abortonclose', _DLB, '', 'Enable or disable early dropping of aborted requests pending in queues', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option accept-invalid-http-request', _DFL, '', 'Enable or disable relaxing of HTTP request parsing', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option accept-invalid-http-response', _DLB, '', 'Enable or disable relaxing of HTTP response parsing', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option allbackups', _DLB, '', 'Use either all backup servers at a time or only the first one', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option checkcache', _DLB, '', 'Analyze all server responses and block responses with cacheable cookies', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option clitcpka', _DFL, '', 'Enable or disable the sending of TCP keepalive packets on the client side', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option contstats', _DFL, '', 'Enable continuous traffic statistics updates', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option disable-h2-upgrade', _DFL, '', 'Enable or disable the implicit HTTP/2 upgrade from an HTTP/1.x client connection', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option dontlog-normal', _DFL, '', 'Enable or disable logging of normal, successful connections', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option dontlognull', _DFL, '', 'Enable or disable logging of null connections', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option external-check', _DLB, '', 'Use external processes for server health checks', 0, 0, ignored_in=_F),
    Keyword('option forwardfor', _DFLB, '[ except <network> ] [ header <name> ] [ if-none ]', 'Enable insertion of the X-Forwarded-For header to requests sent to servers', 0, None),
    Keyword('option h1-case-adjust-bogus-client', _DFL, '', 'Enable or disable the case adjustment of HTTP/1 headers sent to bogus clients', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option h1-case-adjust-bogus-server', _DLB, '', 'Enable or disable the case adjustment of HTTP/1 headers sent to bogus servers', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option http-buffer-request', _DFLB, '', 'Enable or disable waiting for whole HTTP request body before proceeding', 0, 0, no_prefix=True),
    Keyword('option http-ignore-probes', _DFL, '', 'Enable or disable logging of null connections and request timeouts', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option http-keep-alive', _DFLB, '', 'Enable or disable HTTP keep-alive from client to server for HTTP/1.x connections', 0, 0, no_prefix=True),
    Keyword('option http-no-delay', _DFLB, '', 'Instruct the system to favor low interactive delays over performance in HTTP', 0, 0, no_prefix=True),
    Keyword('option http-pretend-keepalive', _DLB, '', 'Define whether HAProxy will announce keepalive for HTTP/1.x connection to the server or not', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option http-restrict-req-hdr-names', _DFLB, '{ preserve | delete | reject }', "Set HAProxy policy about HTTP request header names containing characters outside the '[a-zA-Z0-9-]' charset", 1, 1),
    Keyword('option http-server-close', _DFLB, '', 'Enable or disable HTTP/1.x connection closing on the server side', 0, 0, no_prefix=True),
    Keyword('option http-use-proxy-header', _DFL, '', 'Make use of non-standard Proxy-Connection header instead of Connection', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option httpchk', _DLB, '[<method>] [<uri>] [<version>]', 'Enables HTTP protocol to check on the servers health', 0, 3, ignored_in=_F),
    Keyword('option httpclose', _DFLB, '', 'Enable or disable HTTP/1.x connection closing', 0, 0, no_prefix=True),
    Keyword('option httplog', _DFL, '[ clf ]', 'Enable logging of HTTP request, session state and timers', 0, None, ignored_in=_B),
    Keyword('option httpslog', _DFL, '', 'Enable logging of HTTPS request, session state and timers', 0, 0, ignored_in=_B),
    Keyword('option idle-close-on-response', _DFL, '', 'Avoid closing idle frontend connections if a soft stop is in progress', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option independent-streams', _DFLB, '', 'Enable or disable independent timeout processing for both directions', 0, 0, no_prefix=True),
    Keyword('option ldap-check', _DLB, '', 'Use LDAPv3 health checks for server testing', 0, 0, ignored_in=_F),
    Keyword('option log-health-checks', _DLB, '', 'Enable or disable logging of health checks status updates', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option log-separate-errors', _DFL, '', 'Change log level for non-completely successful connections', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option logasap', _DFL, '', 'Enable or disable early logging', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option mysql-check', _DLB, '[ user <username> [ { post-41 | pre-41 } ] ]', 'Use MySQL health checks for server testing', 0, None, ignored_in=_F),
    Keyword('option nolinger', _DFLB, '', 'Enable or disable immediate session resource cleaning after close', 0, 0, no_prefix=True),
    Keyword('option originalto', _DFLB, '[ except <network> ] [ header <name> ]', 'Enable insertion of the X-Original-To header to requests sent to servers', 0, None),
    Keyword('option persist', _DLB, '', 'Enable or disable forced persistence on down servers', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option pgsql-check', _DLB, 'user <username>', 'Use PostgreSQL health checks for server testing', 2, 2, ignored_in=_F),
    Keyword('option prefer-last-server', _DLB, '', 'Allow multiple load balanced requests to remain on the same server', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option redis-check', _DLB, '', 'Use redis health checks for server testing', 0, 0, ignored_in=_F),
    Keyword('option redispatch', _DLB, '[<interval>]', 'Enable or disable session redistribution in case of connection failure', 0, 1, ignored_in=_F, no_prefix=True),
    Keyword('option smtpchk', _DLB, '[<hello> <domain>]', 'Use SMTP health checks for server testing', 0, 2, ignored_in=_F),
    Keyword('option socket-stats', _DFL, '', 'Enable or disable collecting & providing separate statistics for each socket', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option splice-auto', _DFLB, '', 'Enable or disable automatic kernel acceleration on sockets in both directions', 0, 0, no_prefix=True),
    Keyword('option splice-request', _DFLB, '', 'Enable or disable automatic kernel acceleration on sockets for requests', 0, 0, no_prefix=True),
    Keyword('option splice-response', _DFLB, '', 'Enable or disable automatic kernel acceleration on sockets for responses', 0, 0, no_prefix=True),
    Keyword('option spop-check', _DLB, '', 'Use SPOP health checks for server testing', 0, 0, ignored_in=_F),
    Keyword('option srvtcpka', _DLB, '', 'Enable or disable the sending of TCP keepalive packets on the server side', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option ssl-hello-chk', _DLB, '', 'Use SSLv3 client hello health checks for server testing', 0, 0, ignored_in=_F),
    Keyword('option tcp-check', _DLB, '', 'Perform health checks using tcp-check send/expect sequences', 0, 0, ignored_in=_F),
    Keyword('option tcp-smart-accept', _DFL, '', 'Enable or disable the saving of one ACK packet during the accept sequence', 0, 0, ignored_in=_B, no_prefix=True),
    Keyword('option tcp-smart-connect', _DLB, '', 'Enable or disable the saving of one ACK packet during the connect sequence', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('option tcpka', _DFLB, '', 'Enable or disable the sending of TCP keepalive packets on both sides', 0, 0),
    Keyword('option tcplog', _DFL, '', 'Enable advanced logging of TCP connections with session state and timers', 0, 0, ignored_in=_B),
    Keyword('option transparent', _DLB, '', 'Enable client-side transparent proxying', 0, 0, ignored_in=_F, no_prefix=True),
    Keyword('persist rdp-cookie', _DLB, '[(<name>)]', 'Enable RDP cookie-based persistence', 0, 0, ignored_in=_F),
    Keyword('rate-limit sessions', _DFL, '<rate>', 'Set a limit on the number of new sessions accepted per second on a frontend', 1, 1, ignored_in=_B),
    Keyword('redirect', _FLB, '{ location <loc> | prefix <pfx> | scheme <sch> } [code <code>] [<option>...] [{ if | unless } <condition>]', 'Return an HTTP redirection if/unless a condition is matched', 2, None),
    Keyword('retries', _DLB, '<value>', 'Set the number of retries to perform on a server after a failure', 1, 1, ignored_in=_F, default='3', kind='int'),
    Keyword('retry-on', _DLB, '[space-delimited list of keywords]', 'Specify when to attempt to automatically retry a failed request', 1, None),
    Keyword('server', _LB, '<name> <address>[:[port]] [param*]', 'Declare a server in a backend', 2, None),
    Keyword('server-state-file-name', _DLB, '[ { use-backend-name | <file> } ]', 'Set the server state file to read, load and apply to servers available in this backend', 0, None, ignored_in=_F),
    Keyword('server-template', _LB, '<prefix> <num | range> <fqdn>[:<port>] [params*]', 'Set a template to initialize servers with shared parameters', 3, None),
    Keyword('source', _DLB, '<addr>[:<port>] [usesrc { <addr2>[:<port2>] | client | clientip | hdr_ip(<hdr>[,<occ>]) }] [interface <name>]', 'Set the source address for outgoing connections', 1, None, ignored_in=_F),
    Keyword('srvtcpka-cnt', _DLB, '<count>', 'Sets the maximum number of keepalive probes TCP should send before dropping the connection on the server side', 1, 1, ignored_in=_F),
    Keyword('srvtcpka-idle', _DLB, '<timeout>', 'Sets the time the connection needs to remain idle before TCP starts sending keepalive probes', 1, 1, ignored_in=_F),
    Keyword('srvtcpka-intvl', _DLB, '<timeout>', 'Sets the time between individual keepalive probes on the server side', 1, 1, ignored_in=_F),
    Keyword('stats admin', _FLB, '{ if | unless } <cond>', 'Enable statistics admin level if/unless a condition is matched', 2, None),
    Keyword('stats auth', _DFLB, '<user>:<passwd>', 'Enable statistics with authentication and grant access to an account', 1, 1),
    Keyword('stats enable', _DFLB, '', 'Enable statistics reporting with default settings', 0, 0),
    Keyword('stats hide-version', _DFLB, '', 'Enable statistics and hide HAProxy version reporting', 0, 0),
    Keyword('stats http-request', _FLB, '{ allow | deny | auth [realm <realm>] } [ { if | unless } <condition> ]', 'Access control for statistics', 1, None),
    Keyword('stats realm', _DFLB, '<realm>', 'Enable statistics and set authentication realm', 1, 1),
    Keyword('stats refresh', _DFLB, '<delay>', 'Enable statistics with automatic refresh', 1, 1),
    Keyword('stats scope', _DFLB, '{ <name> | "." }', 'Enable statistics and limit access scope', 1, 1),
    Keyword('stats show-desc', _DFLB, '[ <desc> ]', 'Enable reporting of a description on the statistics page', 0, None),
    Keyword('stats show-legends', _DFLB, '', 'Enable reporting additional information on the statistics page', 0, 0),
    Keyword('stats show-modules', _DFLB, '', 'Enable display of extra statistics module on the statistics page', 0, 0),
    Keyword('stats show-node', _DFLB, '[ <name> ]', 'Enable reporting of a host name on the statistics page', 0, None),
    Keyword('stats uri', _DFLB, '<prefix>', 'Enable statistics and define the URI prefix to access them', 1, 1),
    Keyword('stick match', _LB, '<pattern> [table <table>] [{if | unless} <cond>]', 'Define a request pattern matching condition to stick a user to a server', 1, None, ignored_in=_F),
    Keyword('stick on', _LB, '<pattern> [table <table>] [{if | unless} <condition>]', 'Define a request pattern to associate a user to a server', 1, None, ignored_in=_F),
    Keyword('stick store-request', _LB, '<pattern> [table <table>] [{if | unless} <condition>]', 'Define a request pattern used to create an entry in a stickiness table', 1, None, ignored_in=_F),
    Keyword('stick store-response', _LB, '<pattern> [table <table>] [{if | unless} <condition>]', 'Define a response pattern used to create an entry in a stickiness table', 1, None, ignored_in=_F),
    Keyword('stick-table', _FLB, 'type {ip | integer | string [len <length>] | binary [len <length>]} size <size> [expire <expire>] [nopurge] [peers <peersect>] [srvkey <srvkey>] [store <data_type>]*', 'Configure the stickiness table of the current section', 2, None),
    Keyword('tcp-check comment', _DLB, '<string>', 'Comment reported in logs if the next tcp-check rule fails', 1, 1, ignored_in=_F),
    Keyword('tcp-check connect', _DLB, '[default] [port <expr>] [addr <ip>] [send-proxy] [via-socks4] [ssl] [sni <sni>] [alpn <alpn>] [linger] [proto <name>] [comment <msg>]', 'Open a new connection to perform a TCP health check', 0, None, ignored_in=_F),
    Keyword('tcp-check expect', _DLB, '[min-recv <int>] [comment <msg>] [ok-status <st>] [error-status <st>] [tout-status <st>] [on-success <fmt>] [on-error <fmt>] [status-code <expr>] [!] <match> <pattern>', 'Specify data to be collected and analyzed during a generic health check', 2, None, ignored_in=_F),
    Keyword('tcp-check send', _DLB, '<data> [comment <msg>]', 'Specify a string or a log-format string to be sent as a question during a generic health check', 1, None, ignored_in=_F),
    Keyword('tcp-check send-binary', _DLB, '<hexstring> [comment <msg>]', 'Send a hex-encoded binary string during a TCP health check', 1, None, ignored_in=_F),
    Keyword('tcp-check send-binary-lf', _DLB, '<hexfmt> [comment <msg>]', 'Send a hex-encoded log-format string during a TCP health check', 1, None, ignored_in=_F),
    Keyword('tcp-check send-lf', _DLB, '<fmt> [comment <msg>]', 'Send a log-format string during a TCP health check', 1, None, ignored_in=_F),
    Keyword('tcp-check set-var', _DLB, '(<var-name>[,<cond>...]) <expr>', 'Set the content of a variable during a TCP health check', 1, None, ignored_in=_F),
    Keyword('tcp-check unset-var', _DLB, '(<var-name>)', 'Free a variable during a TCP health check', 0, 0, ignored_in=_F),
    Keyword('tcp-request connection', _DFL, '<action> <options...> [ { if | unless } <condition> ]', 'Perform an action on an incoming connection depending on a layer 4 condition', 1, None, named_defaults_only=True),
    Keyword('tcp-request content', _DFLB, '<action> [{if | unless} <condition>]', 'Perform an action on a new session depending on a layer 4-7 condition', 1, None, named_defaults_only=True),
    Keyword('tcp-request inspect-delay', _DFLB, '<timeout>', 'Set the maximum allowed time to wait for data during content inspection', 1, 1, named_defaults_only=True),
    Keyword('tcp-request session', _DFL, '<action> [{if | unless} <condition>]', 'Perform an action on a validated session depending on a layer 5 condition', 1, None, named_defaults_only=True),
    Keyword('tcp-response content', _DLB, '<action> [{if | unless} <condition>]', 'Perform an action on a session response depending on a layer 4-7 condition', 1, None, named_defaults_only=True),
    Keyword('tcp-response inspect-delay', _DLB, '<timeout>', 'Set the maximum allowed time to wait for a response during content inspection', 1, 1, named_defaults_only=True),
    Keyword('timeout check', _DLB, '<timeout>', 'Set additional check timeout, but only after a connection has been already established', 1, 1, ignored_in=_F, kind='time'),
    Keyword('timeout client', _DFL, '<timeout>', 'Set the maximum inactivity time on the client side', 1, 1, ignored_in=_B, kind='time'),
    Keyword('timeout client-fin', _DFL, '<timeout>', 'Set the inactivity timeout on the client side for half-closed connections', 1, 1, ignored_in=_B, kind='time'),
    Keyword('timeout connect', _DLB, '<timeout>', 'Set the maximum time to wait for a connection attempt to a server to succeed', 1, 1, ignored_in=_F, kind='time'),
    Keyword('timeout http-keep-alive', _DFLB, '<timeout>', 'Set the maximum allowed time to wait for a new HTTP request to appear', 1, 1, kind='time'),
    Keyword('timeout http-request', _DFLB, '<timeout>', 'Set the maximum allowed time to wait for a complete HTTP request', 1, 1, kind='time'),
    Keyword('timeout queue', _DLB, '<timeout>', 'Set the maximum time to wait in the queue for a connection slot to be free', 1, 1, ignored_in=_F, kind='time'),
    Keyword('timeout server', _DLB, '<timeout>', 'Set the maximum inactivity time on the server side', 1, 1, ignored_in=_F, kind='time'),
    Keyword('timeout server-fin', _DLB, '<timeout>', 'Set the inactivity timeout on the server side for half-closed connections', 1, 1, ignored_in=_F, kind='time'),
    Keyword('timeout tarpit', _DFLB, '<timeout>', 'Set the duration for which tarpitted connections will be maintained', 1, 1, kind='time'),
    Keyword('timeout tunnel', _DLB, '<timeout>', 'Set the maximum inactivity time on the client and server side for tunnels', 1, 1, ignored_in=_F, kind='time'),
    Keyword('transparent', _DLB, '', 'Enable client-side transparent proxying', 0, 0, ignored_in=_F, deprecated="use 'option transparent'"),
    Keyword('unique-id-format', _DFL, '<string>', 'Generate a unique ID for each request', 1, 1, ignored_in=_B),
    Keyword('unique-id-header', _DFL, '<name>', 'Add a unique ID header in the HTTP request', 1, 1, ignored_in=_B),
    Keyword('use-fcgi-app', _LB, '<name>', 'Defines the FastCGI application to use for the backend', 1, 1),
    Keyword('use-server', _LB, '<server> { if | unless } <condition>', 'Only use a specific server if/unless an ACL-based condition is matched', 3, None, ignored_in=_F),
    Keyword('use_backend', _FL, '<backend> [{if | unless} <condition>]', 'Switch to a specific backend if/unless an ACL-based condition is matched', 1, None, ignored_in=_B),
)

# --- global keywords (§3.1-3.3) ------------------------------------------------
_GLOBAL_KEYWORDS: tuple[Keyword, ...] = (
    Keyword('51degrees-cache-size', _G, '<number>', 'Sets the size of the 51Degrees converter cache to <number> entries', 1, 1),
    Keyword('51degrees-data-file', _G, '<file path>', 'Path of the 51Degrees data file (needs USE_51DEGREES)', 1, 1),
    Keyword('51degrees-property-name-list', _G, '[<string> ...]', 'A list of 51Degrees property names to be load from the dataset', 0, None),
    Keyword('51degrees-property-separator', _G, '<char>', 'A char that will be appended to every property value in a response header containing 51Degrees results', 1, 1),
    Keyword('busy-polling', _G, '', 'Busy-poll instead of sleeping, for lower latency at the cost of CPU', 0, 0, no_prefix=True),
    Keyword('ca-base', _G, '<dir>', 'Assigns a default directory to fetch SSL CA certificates and CRLs from', 1, 1),
    Keyword('chroot', _G, '<jail dir>', 'Changes current directory to <jail dir> and performs a chroot() there before dropping privileges', 1, 1),
    Keyword('close-spread-time', _G, '<time>', 'Window over which connections are closed during a soft stop', 1, 1),
    Keyword('cluster-secret', _G, '<secret>', 'Define an ASCII string secret shared between several nodes belonging to the same cluster', 1, 1),
    Keyword('cpu-map', _G, '[auto:]<thread-group>[/<thread-set>] <cpu-set>...', 'On some operating systems, it is possible to bind a thread group or a thread to a specific CPU set', 2, None),
    Keyword('crt-base', _G, '<dir>', 'Assigns a default directory to fetch SSL certificates from', 1, 1),
    Keyword('daemon', _G, '', 'Makes the process fork into background', 0, 0),
    Keyword('default-path', _G, '{ current | config | parent | origin <path> }', 'Where relative file paths are resolved from', 1, 2),
    Keyword('description', _G, '<text>', 'Add a text that describes the instance', 1, None),
    Keyword('deviceatlas-json-file', _G, '<path>', 'Sets the path of the DeviceAtlas JSON data file to be loaded by the API', 1, 1),
    Keyword('deviceatlas-log-level', _G, '<value>', 'Sets the level of information returned by the API', 1, 1),
    Keyword('deviceatlas-properties-cookie', _G, '<name>', "Sets the client cookie's name used for the detection", 1, 1),
    Keyword('deviceatlas-separator', _G, '<char>', 'Sets the character separator for the API properties results', 1, 1),
    Keyword('expose-experimental-directives', _G, '', 'Allow directives tagged as experimental', 0, 0),
    Keyword('external-check', _G, '', 'Allows the use of an external agent to perform health checks', 0, 0),
    Keyword('fd-hard-limit', _G, '<number>', 'Sets an upper bound to the maximum number of file descriptors that the process will use', 1, 1),
    Keyword('gid', _G, '<number>', "Changes the process's group ID to <number>", 1, 1),
    Keyword('grace', _G, '<time>', 'Defines a delay between SIGUSR1 and real soft-stop', 1, 1),
    Keyword('group', _G, '<group name>', "Similar to 'gid' but uses the GID of group name <group name> from /etc/group", 1, 1),
    Keyword('h1-accept-payload-with-any-method', _G, '', 'Does not reject HTTP/1.0 GET/HEAD/DELETE requests with a payload', 0, 0),
    Keyword('h1-case-adjust', _G, '<from> <to>', 'Defines the case adjustment to apply, when enabled, to the header name <from>', 2, 2),
    Keyword('h1-case-adjust-file', _G, '<hdrs-file>', 'File of header names whose case is adjusted for bogus HTTP/1 peers', 1, 1),
    Keyword('h2-workaround-bogus-websocket-clients', _G, '', 'Disables the announcement of the support for h2 websockets to clients', 0, 0),
    Keyword('hard-stop-after', _G, '<time>', 'Defines the maximum time allowed to perform a clean soft-stop', 1, 1),
    Keyword('httpclient.resolvers.id', _G, '<resolvers id>', 'Defines the resolvers section with which the httpclient will try to resolve', 1, 1),
    Keyword('httpclient.resolvers.prefer', _G, '<ipv4|ipv6>', 'Allows to chose which family of IP you want when resolving', 1, 1),
    Keyword('httpclient.ssl.ca-file', _G, '<cafile>', 'Defines the ca-file which should be used to verify the server certificate', 1, 1),
    Keyword('httpclient.ssl.verify', _G, '[none|required]', 'Works the same way as the verify option on server lines', 0, 1),
    Keyword('insecure-fork-wanted', _G, '', 'Allow creating processes after startup (needed by external checks)', 0, 0, no_prefix=True),
    Keyword('insecure-setuid-wanted', _G, '', 'Allow calling setuid executables (e.g. for external checks)', 0, 0),
    Keyword('issuers-chain-path', _G, '<dir>', 'Assigns a directory to load certificate chain for issuer completion', 1, 1),
    Keyword('localpeer', _G, '<name>', "Sets the local instance's peer name", 1, 1),
    Keyword('log', _G, '<address> [len <length>] [format <format>] [sample <ranges>:<sample_size>] <facility> [max level [min level]]', 'Adds a global syslog server', 0, None),
    Keyword('log-send-hostname', _G, '[<string>]', 'Sets the hostname field in the syslog header', 0, 1),
    Keyword('log-tag', _G, '<string>', 'Sets the tag field in the syslog header to this string', 1, None),
    Keyword('lua-load', _G, '<file>', 'This global directive loads and executes a Lua file in the shared context that is visible to all threads', 1, None),
    Keyword('lua-load-per-thread', _G, '<file>', 'This global directive loads and executes a Lua file into each started thread', 1, 1),
    Keyword('lua-prepend-path', _G, '<string> [<type>]', "Prepend a string to Lua's package.path or package.cpath", 1, None),
    Keyword('master-worker', _G, '[no-exit-on-failure]', 'Run in master-worker mode', 0, 1),
    Keyword('max-spread-checks', _G, '<delay in milliseconds>', 'Upper bound of the delay used to spread the first health checks at startup', 1, 1),
    Keyword('maxcompcpuusage', _G, '<number>', 'Sets the maximum CPU usage HAProxy can reach before stopping the compression', 1, 1),
    Keyword('maxcomprate', _G, '<number>', 'Sets the maximum per-process input compression rate to <number> kilobytes per second', 1, 1),
    Keyword('maxconn', _G, '<number>', 'Sets the maximum per-process number of concurrent connections to <number>', 1, 1),
    Keyword('maxconnrate', _G, '<number>', 'Sets the maximum per-process number of connections per second to <number>', 1, 1),
    Keyword('maxpipes', _G, '<number>', 'Sets the maximum per-process number of pipes to <number>', 1, 1),
    Keyword('maxsessrate', _G, '<number>', 'Sets the maximum per-process number of sessions per second to <number>', 1, 1),
    Keyword('maxsslconn', _G, '<number>', 'Sets the maximum per-process number of concurrent SSL connections to <number>', 1, 1),
    Keyword('maxsslrate', _G, '<number>', 'Sets the maximum per-process number of SSL sessions per second to <number>', 1, 1),
    Keyword('maxzlibmem', _G, '<number>', 'Sets the maximum amount of RAM in megabytes per process usable by the zlib', 1, 1),
    Keyword('mworker-max-reloads', _G, '<number>', 'In master-worker mode, this option limits the number of time a worker can survive to a reload', 1, 1),
    Keyword('nbthread', _G, '<number>', 'Makes HAProxy run on <number> threads', 1, 1),
    Keyword('no-memory-trimming', _G, '', "Disables memory trimming ('malloc_trim') at a few moments where attempts are made to reclaim lots of memory", 0, 0),
    Keyword('node', _G, '<name>', "Node name reported on the stats page and logs (letters, digits, '-' and '_')", 1, 1),
    Keyword('noepoll', _G, '', "Disables the use of the 'epoll' event polling system on Linux", 0, 0),
    Keyword('noevports', _G, '', 'Disables the use of the event ports event polling system on SunOS systems derived from Solaris 10 and later', 0, 0),
    Keyword('nogetaddrinfo', _G, '', 'Disables the use of getaddrinfo(3) for name resolving', 0, 0),
    Keyword('nokqueue', _G, '', "Disables the use of the 'kqueue' event polling system on BSD", 0, 0),
    Keyword('nopoll', _G, '', "Disables the use of the 'poll' event polling system", 0, 0),
    Keyword('noreuseport', _G, '', 'Disables the use of SO_REUSEPORT - see socket(7)', 0, 0),
    Keyword('nosplice', _G, '', 'Disables the use of kernel tcp splicing between sockets on Linux', 0, 0),
    Keyword('numa-cpu-mapping', _G, '', 'Bind to the CPUs of a single NUMA node when several are found', 0, 0, no_prefix=True),
    Keyword('pidfile', _G, '<pidfile>', 'Writes PIDs of all daemons into file <pidfile>', 1, 1),
    Keyword('pp2-never-send-local', _G, '', 'Send PROXY v2 health checks as LOCAL commands, like HAProxy 2.1 and earlier', 0, 0),
    Keyword('presetenv', _G, '<name> <value>', 'Sets environment variable <name> to value <value>', 2, 2),
    Keyword('profiling.memory', _G, '{ on | off }', "Enables ('on') or disables ('off') per-function memory profiling", 1, 1),
    Keyword('profiling.tasks', _G, '{ auto | on | off }', "Enables ('on') or disables ('off') per-task CPU profiling", 1, 1),
    Keyword('quiet', _G, '', 'Do not display any message during startup', 0, 0),
    Keyword('resetenv', _G, '[<name> ...]', 'Removes all environment variables except the ones specified in argument', 0, None),
    Keyword('server-state-base', _G, '<directory>', 'Specifies the directory prefix to be prepended in front of all servers state file names', 1, 1),
    Keyword('server-state-file', _G, '<file>', 'Specifies the path to the file containing state of servers', 1, 1),
    Keyword('set-dumpable', _G, '', 'Allow the process to dump core after changing user', 0, 0, no_prefix=True),
    Keyword('set-var', _G, '<var-name> <expr>', "Sets the process-wide variable '<var-name>' to the result of the evaluation of the sample expression <expr>", 2, None),
    Keyword('set-var-fmt', _G, '<var-name> <fmt>', "Sets the process-wide variable '<var-name>' to the string resulting from the evaluation of the log-format", 2, None),
    Keyword('setenv', _G, '<name> <value>', 'Sets environment variable <name> to value <value>', 2, 2),
    Keyword('spread-checks', _G, '<0..50, in percent>', 'Add some randomness (0-50%) to health check intervals', 1, 1),
    Keyword('ssl-default-bind-ciphers', _G, '<ciphers>', 'Sets the default string describing the list of cipher algorithms', 1, 1),
    Keyword('ssl-default-bind-ciphersuites', _G, '<ciphersuites>', 'Sets the default string describing the list of cipher algorithms', 1, 1),
    Keyword('ssl-default-bind-curves', _G, '<curves>', 'Sets the default string describing the list of elliptic curves algorithms', 1, 1),
    Keyword('ssl-default-bind-options', _G, '[<option>]...', "Sets default ssl-options to force on all 'bind' lines", 0, None),
    Keyword('ssl-default-server-ciphers', _G, '<ciphers>', 'Sets the default string describing the list of cipher algorithms that are negotiated during the SSL/TLS', 1, 1),
    Keyword('ssl-default-server-ciphersuites', _G, '<ciphersuites>', 'Sets the default string describing the list of cipher algorithms that are negotiated during the TLSv1.3', 1, 1),
    Keyword('ssl-default-server-options', _G, '[<option>]...', "Sets default ssl-options to force on all 'server' lines", 0, None),
    Keyword('ssl-dh-param-file', _G, '<file>', 'Sets the default DH parameters that are used during the SSL/TLS handshake when ephemeral Diffie-Hellman', 1, 1),
    Keyword('ssl-engine', _G, '<name> [algo <comma-separated list of algorithms>]', 'Sets the OpenSSL engine to <name>', 1, None),
    Keyword('ssl-load-extra-del-ext', _G, '', 'Allows to configure the way HAProxy does the lookup for the extra SSL files', 0, 0),
    Keyword('ssl-load-extra-files', _G, '<none|all|bundle|sctl|ocsp|issuer|key>*', 'Alters the way HAProxy will look for unspecified files during the loading of the SSL certificates', 1, None),
    Keyword('ssl-mode-async', _G, '', 'Adds SSL_MODE_ASYNC mode to the SSL context', 0, 0),
    Keyword('ssl-propquery', _G, '<query>', 'Allows to define a default property string used when fetching algorithms in providers', 1, 1),
    Keyword('ssl-provider', _G, '<name>', 'Allows to load a provider during init', 1, 1),
    Keyword('ssl-provider-path', _G, '<path>', 'Allows to specify the search path that is to be used by OpenSSL for looking for providers', 1, 1),
    Keyword('ssl-server-verify', _G, '[none|required]', 'The default behavior for SSL verify on servers side', 0, 1),
    Keyword('ssl-skip-self-issued-ca', _G, '', 'Do not send self-issued (root) CA certificates in the chain', 0, 0),
    Keyword('stats bind-process', _G, '[ all | odd | even | <process_num>[-[process_num>]] ] ...', 'Limit the stats socket to some processes/threads (deprecated)', 0, None, deprecated='has no effect since HAProxy 2.5 and will be removed in 2.7'),
    Keyword('stats maxconn', _G, '<connections>', 'Maximum concurrent connections on the stats socket (default 10)', 1, 1),
    Keyword('stats socket', _G, '[<address:port>|<path>] [param*]', 'Binds a UNIX socket to <path> or a TCPv4/v6 address to <address:port>', 1, None),
    Keyword('stats timeout', _G, '<timeout, in milliseconds>', 'Timeout on the stats socket (default 10s)', 1, 1),
    Keyword('strict-limits', _G, '', 'Makes process fail at startup when a setrlimit fails', 0, 0, no_prefix=True),
    Keyword('thread-group', _G, '<group> [<thread-range>...]', 'Enumerates the list of threads that will compose thread group <group>', 1, None),
    Keyword('thread-groups', _G, '<number>', 'Makes HAProxy split its threads into <number> independent groups', 1, 1),
    Keyword('tune.buffers.limit', _G, '<number>', 'Sets a hard limit on the number of buffers which may be allocated per process', 1, 1),
    Keyword('tune.buffers.reserve', _G, '<number>', 'Sets the number of buffers which are pre-allocated and reserved', 1, 1),
    Keyword('tune.bufsize', _G, '<number>', 'Sets the buffer size to this size (in bytes)', 1, 1),
    Keyword('tune.comp.maxlevel', _G, '<number>', 'Sets the maximum compression level', 1, 1),
    Keyword('tune.fail-alloc', _G, '', 'Randomly fail memory allocations (debugging builds only)', 0, 0),
    Keyword('tune.fd.edge-triggered', _G, '{ on | off }', "Enables ('on') or disables ('off') the edge-triggered polling mode for FDs that support it", 1, 1),
    Keyword('tune.h2.header-table-size', _G, '<number>', 'Sets the HTTP/2 dynamic header table size', 1, 1),
    Keyword('tune.h2.initial-window-size', _G, '<number>', 'Sets the HTTP/2 initial window size, which is the number of bytes the client can upload before waiting', 1, 1),
    Keyword('tune.h2.max-concurrent-streams', _G, '<number>', 'Sets the HTTP/2 maximum number of concurrent streams per connection', 1, 1),
    Keyword('tune.h2.max-frame-size', _G, '<number>', 'Sets the HTTP/2 maximum frame size that HAProxy announces it is willing to receive to its peers', 1, 1),
    Keyword('tune.http.cookielen', _G, '<number>', 'Sets the maximum length of captured cookies', 1, 1),
    Keyword('tune.http.logurilen', _G, '<number>', 'Sets the maximum length of request URI in logs', 1, 1),
    Keyword('tune.http.maxhdr', _G, '<number>', 'Sets the maximum number of headers in a request', 1, 1),
    Keyword('tune.idle-pool.shared', _G, '{ on | off }', "Enables ('on') or disables ('off') sharing of idle connection pools between threads for a same server", 1, 1),
    Keyword('tune.idletimer', _G, '<timeout>', 'Sets the duration after which HAProxy will consider that an empty buffer is probably associated with an idle', 1, 1),
    Keyword('tune.listener.multi-queue', _G, '{ on | off }', "Enables ('on') or disables ('off') the listener's multi-queue accept", 1, 1),
    Keyword('tune.lua.forced-yield', _G, '<number>', 'Forces the Lua engine to execute a yield each <number> of instructions executed', 1, 1),
    Keyword('tune.lua.maxmem', _G, '<number>', 'Sets the maximum amount of RAM in megabytes per process usable by Lua', 1, 1),
    Keyword('tune.lua.service-timeout', _G, '<timeout>', 'Is the execution timeout for the Lua services', 1, 1),
    Keyword('tune.lua.session-timeout', _G, '<timeout>', 'Is the execution timeout for the Lua sessions', 1, 1),
    Keyword('tune.lua.task-timeout', _G, '<timeout>', "Purpose is the same as 'tune.lua.session-timeout', but this timeout is dedicated to the tasks", 1, 1),
    Keyword('tune.maxaccept', _G, '<number>', 'Sets the maximum number of consecutive connections a process may accept in a row before switching to other', 1, 1),
    Keyword('tune.maxpollevents', _G, '<number>', 'Sets the maximum amount of events that can be processed at once in a call to the polling system', 1, 1),
    Keyword('tune.maxrewrite', _G, '<number>', 'Sets the reserved buffer space to this size in bytes', 1, 1),
    Keyword('tune.pattern.cache-size', _G, '<number>', 'Sets the size of the pattern lookup cache to <number> entries', 1, 1),
    Keyword('tune.peers.max-updates-at-once', _G, '<number>', 'Sets the maximum number of stick-table updates that haproxy will try to process at once when sending messages', 1, 1),
    Keyword('tune.pipesize', _G, '<number>', 'Sets the kernel pipe buffer size to this size (in bytes)', 1, 1),
    Keyword('tune.pool-high-fd-ratio', _G, '<number>', 'Percentage of file descriptors above which idle server connections are closed', 1, 1),
    Keyword('tune.pool-low-fd-ratio', _G, '<number>', 'Percentage of file descriptors above which idle server connections are not kept', 1, 1),
    Keyword('tune.quic.frontend.conn-tx-buffers.limit', _G, '<number>', 'Maximum number of Tx buffers per QUIC connection (experimental; needs USE_QUIC)', 1, 1),
    Keyword('tune.quic.frontend.max-idle-timeout', _G, '<timeout>', 'QUIC idle timeout of frontend connections (experimental; needs USE_QUIC)', 1, 1),
    Keyword('tune.quic.frontend.max-streams-bidi', _G, '<number>', 'Maximum number of concurrent bidirectional QUIC streams (experimental; needs USE_QUIC)', 1, 1),
    Keyword('tune.quic.retry-threshold', _G, '<number>', 'Number of QUIC connection openings before Retry is used (experimental; needs USE_QUIC)', 1, 1),
    Keyword('tune.rcvbuf.client', _G, '<number>', 'Forces the kernel socket receive buffer size on the client or the server side to the specified value in bytes', 1, 1),
    Keyword('tune.rcvbuf.server', _G, '<number>', 'Forces the kernel socket receive buffer size on the client or the server side to the specified value in bytes', 1, 1),
    Keyword('tune.recv_enough', _G, '<number>', 'Minimum free space in the buffer for a read to be attempted after a short one', 1, 1),
    Keyword('tune.runqueue-depth', _G, '<number>', 'Sets the maximum amount of task that can be processed at once when running tasks', 1, 1),
    Keyword('tune.sched.low-latency', _G, '{ on | off }', "Enables ('on') or disables ('off') the low-latency task scheduler", 1, 1),
    Keyword('tune.sndbuf.client', _G, '<number>', 'Forces the kernel socket send buffer size on the client or the server side to the specified value in bytes', 1, 1),
    Keyword('tune.sndbuf.server', _G, '<number>', 'Forces the kernel socket send buffer size on the client or the server side to the specified value in bytes', 1, 1),
    Keyword('tune.ssl.cachesize', _G, '<number>', 'Sets the size of the global SSL session cache, in a number of blocks', 1, 1),
    Keyword('tune.ssl.capture-buffer-size', _G, '<number>', 'Sets the maximum size of the buffer used for capturing client hello cipher list, extensions list', 1, 1),
    Keyword('tune.ssl.capture-cipherlist-size', _G, '<number>', 'Sets the maximum size of the buffer used for capturing client hello cipher list, extensions list', 1, 1, deprecated="use 'tune.ssl.capture-buffer-size'"),
    Keyword('tune.ssl.default-dh-param', _G, '<number>', 'Sets the maximum size of the Diffie-Hellman parameters used', 1, 1),
    Keyword('tune.ssl.force-private-cache', _G, '', 'Disables SSL session cache sharing between all processes', 0, 0),
    Keyword('tune.ssl.hard-maxrecord', _G, '<number>', 'Sets the maximum amount of bytes passed to SSL_write() at any time', 1, 1),
    Keyword('tune.ssl.keylog', _G, '{ on | off }', 'Activates the logging of the TLS keys', 1, 1),
    Keyword('tune.ssl.lifetime', _G, '<timeout>', 'Sets how long a cached SSL session may remain valid', 1, 1),
    Keyword('tune.ssl.maxrecord', _G, '<number>', 'Sets the maximum amount of bytes passed to SSL_write() at the beginning of the data transfer', 1, 1),
    Keyword('tune.ssl.ssl-ctx-cache-size', _G, '<number>', 'Sets the size of the cache used to store generated certificates to <number> entries', 1, 1),
    Keyword('tune.vars.global-max-size', _G, '<size>', "Maximum memory used by variables of the 'proc' scope", 1, 1),
    Keyword('tune.vars.proc-max-size', _G, '<size>', "Maximum memory used by variables of the 'proc' scope", 1, 1),
    Keyword('tune.vars.reqres-max-size', _G, '<size>', "Maximum memory used by variables of the 'req'/'res' scopes", 1, 1),
    Keyword('tune.vars.sess-max-size', _G, '<size>', "Maximum memory used by variables of the 'sess' scope", 1, 1),
    Keyword('tune.vars.txn-max-size', _G, '<size>', "Maximum memory used by variables of the 'txn' scope", 1, 1),
    Keyword('tune.zlib.memlevel', _G, '<number>', 'Sets the memLevel parameter in zlib initialization for each session', 1, 1),
    Keyword('tune.zlib.windowsize', _G, '<number>', 'Sets the window size (the size of the history buffer) as a parameter of the zlib initialization', 1, 1),
    Keyword('uid', _G, '<number>', "Changes the process's user ID to <number>", 1, 1),
    Keyword('ulimit-n', _G, '<number>', 'Sets the maximum number of per-process file-descriptors to <number>', 1, 1),
    Keyword('unix-bind', _G, '[ prefix <prefix> ] [ mode <mode> ] [ user <user> ] [ uid <uid> ] [ group <group> ] [ gid <gid> ]', "Fixes common settings to UNIX listening sockets declared in 'bind' statements", 0, None),
    Keyword('unsetenv', _G, '[<name> ...]', 'Removes environment variables specified in arguments', 0, None),
    Keyword('user', _G, '<user name>', "Similar to 'uid' but uses the UID of user name <user name> from /etc/passwd", 1, 1),
    Keyword('wurfl-cache-size', _G, '<size>', 'Sets the WURFL Useragent cache size', 1, 1),
    Keyword('wurfl-data-file', _G, '<file path>', 'Path of the WURFL data file (needs USE_WURFL)', 1, 1),
    Keyword('wurfl-information-list', _G, '[<capability>]*', 'A space-delimited list of WURFL capabilities, virtual capabilities', 0, None),
    Keyword('wurfl-information-list-separator', _G, '<char>', 'A char that will be used to separate values in a response header containing WURFL results', 1, 1),
    Keyword('wurfl-patch-file', _G, '[<file path>]', 'A list of WURFL patch file paths', 0, None),
    Keyword('zero-warning', _G, '', 'Refuse to start if any warning is emitted while parsing the configuration', 0, 0),
)

# --- keywords HAProxy 2.6 rejects ----------------------------------------------
# Messages carry the facts of HAProxy 2.6's own ALERT for each (checked with
# `haproxy -c`); `sections` is where the keyword used to be accepted.
_REMOVED_2_1 = "removed in HAProxy 2.1"
_REMOVED_KEYWORDS: tuple[Keyword, ...] = (
    Keyword("reqrep", _FLB, "<search> <string> [{if | unless} <cond>]", "Replace a regex with a string in the request line or headers", removed=f"{_REMOVED_2_1}; use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header'"),
    Keyword("reqirep", _FLB, "<search> <string> [{if | unless} <cond>]", "Case-insensitive 'reqrep'", removed=f"{_REMOVED_2_1}; use 'http-request replace-header'"),
    Keyword("reqadd", _FLB, "<string> [{if | unless} <cond>]", "Add a header at the end of the HTTP request", removed=f"{_REMOVED_2_1}; use 'http-request add-header'"),
    Keyword("reqdel", _FLB, "<search> [{if | unless} <cond>]", "Delete all request headers matching a regex", removed=f"{_REMOVED_2_1}; use 'http-request del-header'"),
    Keyword("reqidel", _FLB, "<search> [{if | unless} <cond>]", "Case-insensitive 'reqdel'", removed=f"{_REMOVED_2_1}; use 'http-request del-header'"),
    Keyword("reqallow", _FLB, "<search> [{if | unless} <cond>]", "Allow a request whose line matches a regex", removed=f"{_REMOVED_2_1}; use 'http-request allow'"),
    Keyword("reqiallow", _FLB, "<search> [{if | unless} <cond>]", "Case-insensitive 'reqallow'", removed=f"{_REMOVED_2_1}; use 'http-request allow'"),
    Keyword("reqdeny", _FLB, "<search> [{if | unless} <cond>]", "Deny a request whose line matches a regex", removed=f"{_REMOVED_2_1}; use 'http-request deny'"),
    Keyword("reqideny", _FLB, "<search> [{if | unless} <cond>]", "Case-insensitive 'reqdeny'", removed=f"{_REMOVED_2_1}; use 'http-request deny'"),
    Keyword("reqtarpit", _FLB, "<search> [{if | unless} <cond>]", "Tarpit a request whose line matches a regex", removed=f"{_REMOVED_2_1}; use 'http-request tarpit'"),
    Keyword("reqitarpit", _FLB, "<search> [{if | unless} <cond>]", "Case-insensitive 'reqtarpit'", removed=f"{_REMOVED_2_1}; use 'http-request tarpit'"),
    Keyword("reqpass", _FLB, "<search> [{if | unless} <cond>]", "Ignore request lines matching a regex for the other 'req*' rules", removed=f"{_REMOVED_2_1}, without replacement; just remove it"),
    Keyword("reqipass", _FLB, "<search> [{if | unless} <cond>]", "Case-insensitive 'reqpass'", removed=f"{_REMOVED_2_1}, without replacement; just remove it"),
    Keyword("reqsetbe", _FLB, "<search> <backend>", "Switch to a backend when the request matches a regex", removed="no longer supported (HAProxy 2.6 reports it as an unknown keyword); use 'use_backend <backend> if <condition>'"),
    Keyword("reqisetbe", _FLB, "<search> <backend>", "Case-insensitive 'reqsetbe'", removed="no longer supported (HAProxy 2.6 reports it as an unknown keyword); use 'use_backend <backend> if <condition>'"),
    Keyword("rsprep", _FLB, "<search> <string> [{if | unless} <cond>]", "Replace a regex with a string in the response line or headers", removed=f"{_REMOVED_2_1}; use 'http-response replace-header'"),
    Keyword("rspirep", _FLB, "<search> <string> [{if | unless} <cond>]", "Case-insensitive 'rsprep'", removed=f"{_REMOVED_2_1}; use 'http-response replace-header'"),
    Keyword("rspadd", _FLB, "<string> [{if | unless} <cond>]", "Add a header at the end of the HTTP response", removed=f"{_REMOVED_2_1}; use 'http-response add-header'"),
    Keyword("rspdel", _FLB, "<search> [{if | unless} <cond>]", "Delete all response headers matching a regex", removed=f"{_REMOVED_2_1}; use 'http-response del-header'"),
    Keyword("rspidel", _FLB, "<search> [{if | unless} <cond>]", "Case-insensitive 'rspdel'", removed=f"{_REMOVED_2_1}; use 'http-response del-header'"),
    Keyword("rspdeny", _FLB, "<search> [{if | unless} <cond>]", "Block a response whose line matches a regex", removed=f"{_REMOVED_2_1}; use 'http-response deny'"),
    Keyword("rspideny", _FLB, "<search> [{if | unless} <cond>]", "Case-insensitive 'rspdeny'", removed=f"{_REMOVED_2_1}; use 'http-response deny'"),
    Keyword("block", _FLB, "{ if | unless } <condition>", "Block a layer 7 request if/unless a condition is matched", removed=f"{_REMOVED_2_1}; use 'http-request deny', which uses the exact same syntax"),
    Keyword("contimeout", _DLB, "<timeout>", "Old name of 'timeout connect'", removed=f"{_REMOVED_2_1}; use 'timeout connect'"),
    Keyword("clitimeout", _DFL, "<timeout>", "Old name of 'timeout client'", removed=f"{_REMOVED_2_1}; use 'timeout client'"),
    Keyword("srvtimeout", _DLB, "<timeout>", "Old name of 'timeout server'", removed=f"{_REMOVED_2_1}; use 'timeout server'"),
    Keyword("redispatch", _DLB, "", "Old form of 'option redispatch'", removed=f"{_REMOVED_2_1}; use 'option redispatch'"),
    Keyword("monitor-net", _DFL, "<source>", "Answer monitoring requests from a network", removed="no longer exists in HAProxy 2.6; use 'http-request return status 200 if { src <source> }'"),
    Keyword("appsession", _LB, "<cookie> len <length> timeout <holdtime>", "Cookie-based application session persistence", removed="removed in HAProxy 1.6; use 'cookie' or stick tables"),
    Keyword("grace", _DFLB, "<time>", "Keep a stopping proxy up for this long", removed="removed in HAProxy 2.5; use the global 'grace' setting"),
    Keyword("option forceclose", _DFLB, "", "Close both sides once the response is sent", removed="removed in HAProxy 2.0; just remove it, or use 'option httpclose' if absolutely needed"),
    Keyword("option http-tunnel", _DFLB, "", "Only analyse the first request of a connection", removed=f"{_REMOVED_2_1}; just remove it, it should not be needed"),
    Keyword("option http_proxy", _DFLB, "", "Act as a forward HTTP proxy", removed="removed in HAProxy 2.5 (it stopped working in 1.9); use 'http-request set-dst' and 'http-request set-uri', plus 'http-request do-resolve' for DNS"),
    Keyword("nbproc", _G, "<number>", "Number of processes to create", removed="removed in HAProxy 2.5; threads are used automatically on multi-processor machines ('nbthread' to set their number)"),
    Keyword("tune.chksize", _G, "<number>", "Size of the health check buffer", removed="no longer supported in HAProxy 2.6; 'tune.bufsize' is used instead"),
)


def _merge(*tables: Iterable[Keyword]) -> dict[str, Keyword]:
    """Key keywords by name; a name in several tables ("log", "maxconn") gets the union of sections."""
    merged: dict[str, Keyword] = {}
    for table in tables:
        for kw in table:
            seen = merged.get(kw.name)
            if seen is None:
                merged[kw.name] = kw
                continue
            bounds = (seen.max_args, kw.max_args)
            merged[kw.name] = replace(
                seen,
                sections=seen.sections | kw.sections,
                min_args=min(seen.min_args, kw.min_args),
                max_args=None if None in bounds else max(b for b in bounds if b is not None),
                no_prefix=seen.no_prefix or kw.no_prefix,
            )
    return merged


# --- what the embedded engine runs ------------------------------------------------
#: Proxydesk's engine runs a subset of what HAProxy accepts; ``proxydesk check`` says
#: (a located warning) where a config leaves that subset.  Each keyword's ``engine``:
ENGINE_SUPPORT = {
    "runs": "the engine's compiler reads it and the engine does what HAProxy does",
    "ignores": "accepted, but the engine runs without it",
    "refuses": "the engine cannot run a config that uses it (run it on HAProxy)",
    "moot": "process management or tuning that an in-process engine has no use for",
    # bind/server options only (OptionSpec.engine): option_gap() says which values it leaves out
    "partly": "the engine runs some of its values and ignores the others",
}
# tests/proxy/engine/test_engine_support.py compiles the corpus and checks these
# against the statements the compiler really reads.
_ENGINE_RUNS_PROXY = frozenset({
    "acl", "balance", "bind", "cookie", "default-server", "default_backend", "errorfile",
    "hash-type", "http-check connect", "http-check expect", "http-check send", "http-request",
    "http-response", "maxconn", "mode", "option allbackups", "option dontlognull",
    "option forwardfor", "option http-server-close", "option httpchk", "option httpclose",
    "option httplog", "option redispatch", "option tcplog", "retries", "server", "stats admin",
    "stats auth", "stats enable", "stats realm", "stats refresh", "stats show-legends",
    "stats show-node", "stats uri", "tcp-request connection", "tcp-request content",
    "tcp-request inspect-delay", "timeout check", "timeout client", "timeout client-fin",
    "timeout connect", "timeout http-keep-alive", "timeout http-request", "timeout queue",
    "timeout server", "timeout server-fin", "timeout tunnel", "use_backend", "redirect", "log",
})
# Servers made from DNS records: the engine would run the backend with no servers at all.
_ENGINE_REFUSES_PROXY = frozenset({"server-template"})
_ENGINE_MOOT_PROXY = frozenset({"description", "id", "bind-process", "enabled"})
_ENGINE_RUNS_GLOBAL = frozenset({
    "maxconn", "stats socket", "crt-base", "ca-base", "ssl-default-bind-options",
    "ssl-default-bind-ciphers", "ssl-default-server-options", "ssl-default-server-ciphers",
    "ssl-server-verify", "log", "h1-accept-payload-with-any-method",
})
# A "log" line turns logging on for the proxies it applies to, as in HAProxy; the engine
# writes the lines to stderr (``proxydesk run``) and the app's Requests view, so the checker
# warns only about targets it does not write to (a syslog address, a ring...).
ENGINE_LOG_TARGETS = frozenset({"global", "stdout", "stderr"})
# Global keywords that change what traffic sees; every other global one is moot here.
_ENGINE_IGNORES_GLOBAL = frozenset({
    "log-send-hostname", "log-tag", "lua-load", "lua-load-per-thread", "lua-prepend-path",
    "maxconnrate", "maxsessrate", "maxsslrate", "ssl-default-bind-ciphersuites",
    "ssl-default-bind-curves", "ssl-default-server-ciphersuites", "ssl-dh-param-file",
    "h1-case-adjust", "h1-case-adjust-file",
})


def _with_engine(table: dict[str, Keyword], runs: frozenset[str], refuses: frozenset[str],
                 ignores: frozenset[str] | None, moot: frozenset[str] = frozenset()) -> dict[str, Keyword]:
    """Set ``engine`` on every keyword; ``ignores=None`` means "everything not listed"."""
    def support(name: str) -> str:
        if name in runs:
            return "runs"
        if name in refuses:
            return "refuses"
        if name in moot or (ignores is not None and name not in ignores):
            return "moot"
        return "ignores"
    return {name: replace(k, engine=support(name), engine_note=_ENGINE_NOTES.get(name, ""))
            for name, k in table.items()}


_ENGINE_NOTES = {
    "option tcp-check": "its health checks only connect", "option mysql-check": "its health checks only connect",
    "option pgsql-check": "its health checks only connect", "option smtpchk": "its health checks only connect",
    "option redis-check": "its health checks only connect", "option ldap-check": "its health checks only connect",
    "option ssl-hello-chk": "its health checks only connect",
}


# --- what only "mode http" runs ----------------------------------------------------
#: Keywords HAProxy 2.6 accepts in a proxy that is not in "mode http" and then ignores
#: with a warning once the whole file is read (cfgparse.c, check_config_validity), unless
#: a "tcp-request content switch-mode http" rule upgrades its connections.  The value is
#: how HAProxy words that warning (proxy.config.mode_checks turns it into the message):
HTTP_MODE_WARNINGS = {
    "option": "'option NAME' ignored for PROXY as it requires HTTP mode.",
    "rules": "'KEYWORD' rules ignored for PROXY as they require HTTP mode.",
    "statement": "'FIRST-WORD' statement ignored for PROXY as it requires HTTP mode.",
    "needs": "KEYWORD will be ignored for PROXY (needs 'mode http').",
    "fallback": "'option NAME' not usable with PROXY (needs 'mode http'). Falling back to 'option tcplog'.",
}
# tests/proxy/config/test_warnings_vs_haproxy.py runs every option through haproxy -c in a
# tcp proxy and checks this table against what the binary warns about.
_HTTP_MODE_ONLY: dict[str, str] = {
    **dict.fromkeys((
        "option accept-invalid-http-request", "option accept-invalid-http-response",
        "option checkcache", "option disable-h2-upgrade", "option forwardfor",
        "option http-buffer-request", "option http-ignore-probes", "option http-no-delay",
        "option http-pretend-keepalive", "option http-use-proxy-header",
        "option idle-close-on-response", "option originalto", "option prefer-last-server",
    ), "option"),
    **dict.fromkeys(("http-request", "http-response", "http-after-response", "redirect"), "rules"),
    **dict.fromkeys((k.name for k in _PROXY_KEYWORDS if k.name.startswith("stats ")), "statement"),
    "capture cookie": "statement",
    "monitor-uri": "needs",
    "cookie": "needs",
    "option httplog": "fallback",
    "option httpslog": "fallback",
}


#: The rule keywords of a proxy in the order HAProxy 2.6 runs them, whatever their order in
#: the file; one written after a later-running one still runs first, and HAProxy warns
#: (cfgparse-listen.c, warnif_misplaced_*).  "a 'http-request' rule placed after a
#: 'redirect' rule will still be processed before."
RULE_ORDER: tuple[str, ...] = (
    "tcp-request connection", "tcp-request session", "tcp-request content", "monitor fail",
    "http-request", "redirect", "use_backend", "use-server",
)
#: Rule kinds HAProxy does not warn about when written late (it checks the others only).
RULE_ORDER_UNCHECKED = frozenset({"use_backend", "use-server"})
#: Actions after which a rule list stops (when the rule has no condition): HAProxy 2.6
#: warns at the next rule of the list that it "is NOOP".  From the binary, not the manual:
#: "http-request reject" and "silent-drop" do not count.
FINAL_ACTIONS: dict[str, frozenset[str]] = {
    "http-request": frozenset({"allow", "deny", "tarpit", "return", "redirect", "auth"}),
    "http-response": frozenset({"allow", "deny", "return", "redirect"}),
    "http-after-response": frozenset({"allow"}),
}
#: The health-check options; the last one that applies picks the check (they exclude each
#: other).  "http-check"/"tcp-check" rules are used only under their own option.
CHECK_OPTIONS = ("httpchk", "tcp-check", "ssl-hello-chk", "mysql-check", "pgsql-check", "redis-check",
                 "smtpchk", "ldap-check", "spop-check", "external-check")
CHECK_RULES = {"http-check": "httpchk", "tcp-check": "tcp-check"}


def _with_http_mode(table: dict[str, Keyword]) -> dict[str, Keyword]:
    return {name: replace(k, needs_http=_HTTP_MODE_ONLY.get(name, "")) for name, k in table.items()}


#: Proxy-section keywords (defaults/frontend/listen/backend), including removed ones.
PROXY_KEYWORDS: dict[str, Keyword] = _with_http_mode(_with_engine(
    _merge(_PROXY_KEYWORDS, (k for k in _REMOVED_KEYWORDS if k.sections & Sec.PROXY)),
    _ENGINE_RUNS_PROXY, _ENGINE_REFUSES_PROXY, None, _ENGINE_MOOT_PROXY))
#: Global-section keywords, including removed ones.
GLOBAL_KEYWORDS: dict[str, Keyword] = _with_engine(
    _merge(_GLOBAL_KEYWORDS, (k for k in _REMOVED_KEYWORDS if k.sections & Sec.GLOBAL)),
    _ENGINE_RUNS_GLOBAL, frozenset(), _ENGINE_IGNORES_GLOBAL)
#: Every keyword; names shared by global and proxy sections ("log", "maxconn",
#: "description", "log-tag") carry the proxy synopsis/doc and both sections.
KEYWORDS: dict[str, Keyword] = _merge(PROXY_KEYWORDS.values(), GLOBAL_KEYWORDS.values())

_MAX_KEYWORD_WORDS = max(len(name.split()) for name in KEYWORDS)
_PREFIXES = ("no", "default")


def _table_for(section: Sec | None) -> dict[str, Keyword]:
    if section is None or (section & Sec.GLOBAL and section & Sec.PROXY):
        return KEYWORDS
    return GLOBAL_KEYWORDS if section & Sec.GLOBAL else PROXY_KEYWORDS


def _longest_match(words: Sequence[str], table: dict[str, Keyword]) -> tuple[Keyword | None, int]:
    for count in range(min(len(words), _MAX_KEYWORD_WORDS), 0, -1):
        found = table.get(" ".join(words[:count]))
        if found is not None:
            return found, count
        # "http-check set-var(txn.x)", "persist rdp-cookie(name)": the argument is glued on
        glued = table.get(" ".join([*words[: count - 1], words[count - 1].split("(", 1)[0]]))
        if glued is not None and "(" in words[count - 1] and glued.synopsis.lstrip("[").startswith("("):
            return glued, count
    return None, 0


def lookup(words: Sequence[str], section: Sec | None = None) -> tuple[Keyword | None, int]:
    """Longest multi-word keyword matching a statement's leading words.

    ``("timeout", "client", "30s")`` -> ``(Keyword('timeout client'), 2)``.  A
    leading "no"/"default" is skipped and counted in the returned word count;
    whether the keyword accepts it is ``Keyword.no_prefix`` (HAProxy 2.6 only
    allows it on "option" keywords marked "(*)", "log", and a few global
    flags).  ``section`` restricts the search to the global or proxy table,
    which matters for the few names both define.  Unknown -> ``(None, 0)``.
    """
    table = _table_for(section)
    skip = 1 if len(words) > 1 and words[0] in _PREFIXES else 0
    keyword, count = _longest_match(words[skip:], table)
    if keyword is None:
        return None, 0
    return keyword, count + skip


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """Did-you-mean: the closest candidate to ``word``, or None when nothing is close."""
    # difflib's ratio is close enough to HAProxy's own distance for hints.
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def keywords_for(section: Sec) -> list[Keyword]:
    """Keywords usable in ``section`` (removed ones excluded), sorted by name."""
    table = _table_for(section)
    return sorted((k for k in table.values() if k.sections & section and not k.removed), key=lambda k: k.name)


# --- bind and server options (§5.1, §5.2) ------------------------------------


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """A setting on a "bind" or "server"/"default-server" line."""

    name: str
    nargs: int  # number of following words it consumes (0 for flags like "ssl", "check", "backup")
    doc: str
    kind: str = ""  # "time", "int" (within ``bounds``), "file"; "" = not checked beyond arity
    bounds: tuple[int, int] | None = None  # inclusive range of an "int" value
    default: str | None = None  # HAProxy's value when neither the server nor a default-server sets it
    engine: str = "runs"  # what the embedded engine does with it: see ENGINE_SUPPORT (+ "partly")
    engine_note: str = ""  # what the engine does instead, for the located warning


BIND_OPTIONS: dict[str, OptionSpec] = {
    'accept-netscaler-cip': OptionSpec('accept-netscaler-cip', 1, 'Expect the NetScaler Client IP insertion protocol with this magic number on accepted connections'),
    'accept-proxy': OptionSpec('accept-proxy', 0, 'Expect a PROXY protocol header on every accepted connection'),
    'allow-0rtt': OptionSpec('allow-0rtt', 0, 'Allow receiving early data when using TLSv1.3'),
    'alpn': OptionSpec('alpn', 1, 'Enables the TLS ALPN extension and advertises the specified protocol list as supported on top of ALPN'),
    'backlog': OptionSpec('backlog', 1, "Sets the socket's backlog to this value"),
    'ca-file': OptionSpec('ca-file', 1, 'PEM file of CA certificates used to verify client certificates'),
    'ca-ignore-err': OptionSpec('ca-ignore-err', 1, 'Sets a comma separated list of errorIDs to ignore during verify at depth > 0'),
    'ca-sign-file': OptionSpec('ca-sign-file', 1, 'Designates a PEM file containing both the CA certificate and the CA private key used to create and sign'),
    'ca-sign-pass': OptionSpec('ca-sign-pass', 1, "Passphrase of the CA private key used by 'generate-certificates'"),
    'ca-verify-file': OptionSpec('ca-verify-file', 1, "Designates a PEM file from which to load CA certificates used to verify client's certificate"),
    'ciphers': OptionSpec('ciphers', 1, 'TLS 1.2-and-lower cipher list for this listener'),
    'ciphersuites': OptionSpec('ciphersuites', 1, 'TLS 1.3 cipher suites for this listener'),
    'crl-file': OptionSpec('crl-file', 1, "Designates a PEM file from which to load certificate revocation list used to verify client's certificate"),
    'crt': OptionSpec('crt', 1, 'PEM file (or directory) with certificate(s) and private key(s)'),
    'crt-ignore-err': OptionSpec('crt-ignore-err', 1, 'Sets a comma separated list of errorIDs to ignore during verify at depth == 0'),
    'crt-list': OptionSpec('crt-list', 1, 'File listing certificates with per-certificate SSL settings and SNI filters'),
    'curves': OptionSpec('curves', 1, 'Elliptic curves allowed for this listener'),
    'defer-accept': OptionSpec('defer-accept', 0, 'States that a connection will only be accepted once some data arrive on it'),
    'ecdhe': OptionSpec('ecdhe', 1, 'Sets the named curve (RFC 4492) used to generate ECDH ephemeral keys'),
    'expose-fd': OptionSpec('expose-fd', 1, "Stats socket only: 'expose-fd listeners' passes listening sockets to a new process on reload"),
    'force-sslv3': OptionSpec('force-sslv3', 0, 'Enforces use of SSLv3 only on SSL connections instantiated from this listener'),
    'force-tlsv10': OptionSpec('force-tlsv10', 0, 'Enforces use of TLSv1.0 only on SSL connections instantiated from this listener'),
    'force-tlsv11': OptionSpec('force-tlsv11', 0, 'Enforces use of TLSv1.1 only on SSL connections instantiated from this listener'),
    'force-tlsv12': OptionSpec('force-tlsv12', 0, 'Enforces use of TLSv1.2 only on SSL connections instantiated from this listener'),
    'force-tlsv13': OptionSpec('force-tlsv13', 0, 'Enforces use of TLSv1.3 only on SSL connections instantiated from this listener'),
    'generate-certificates': OptionSpec('generate-certificates', 0, 'Enables the dynamic SSL certificates generation'),
    'gid': OptionSpec('gid', 1, 'Sets the group of the UNIX sockets to the designated system gid'),
    'group': OptionSpec('group', 1, 'Sets the group of the UNIX sockets to the designated system group'),
    'id': OptionSpec('id', 1, 'Fixes the socket ID'),
    'interface': OptionSpec('interface', 1, 'Restricts the socket to a specific interface'),
    'level': OptionSpec('level', 1, "Stats socket only: command level ('user', 'operator' or 'admin')"),
    'maxconn': OptionSpec('maxconn', 1, 'Limits the sockets to this number of concurrent connections'),
    'mode': OptionSpec('mode', 1, 'Sets the octal mode used to define access permissions on the UNIX socket'),
    'mss': OptionSpec('mss', 1, 'Sets the TCP Maximum Segment Size (MSS) value to be advertised on incoming connections'),
    'name': OptionSpec('name', 1, 'Sets an optional name for these sockets, which will be reported on the stats page'),
    'namespace': OptionSpec('namespace', 1, 'Network namespace the listening socket belongs to (Linux)'),
    'nice': OptionSpec('nice', 1, "Sets the 'niceness' of connections initiated from the socket"),
    'no-ca-names': OptionSpec('no-ca-names', 0, 'Prevents from send CA names in server hello message when ca-file is used'),
    'no-sslv3': OptionSpec('no-sslv3', 0, 'Disables support for SSLv3 on any sockets instantiated from the listener when SSL is supported'),
    'no-tls-tickets': OptionSpec('no-tls-tickets', 0, 'Disables the stateless session resumption'),
    'no-tlsv10': OptionSpec('no-tlsv10', 0, 'Disables support for TLSv1.0 on any sockets instantiated from the listener when SSL is supported'),
    'no-tlsv11': OptionSpec('no-tlsv11', 0, 'Disables support for TLSv1.1 on any sockets instantiated from the listener when SSL is supported'),
    'no-tlsv12': OptionSpec('no-tlsv12', 0, 'Disables support for TLSv1.2 on any sockets instantiated from the listener when SSL is supported'),
    'no-tlsv13': OptionSpec('no-tlsv13', 0, 'Disables support for TLSv1.3 on any sockets instantiated from the listener when SSL is supported'),
    'npn': OptionSpec('npn', 1, 'Enables the NPN TLS extension and advertises the specified protocol list as supported on top of NPN'),
    'prefer-client-ciphers': OptionSpec('prefer-client-ciphers', 0, "Use the client's preference when selecting the cipher suite, by default the server's preference is enforced"),
    'process': OptionSpec('process', 1, "Threads allowed to run this listener (deprecated alias of 'thread')"),
    'proto': OptionSpec('proto', 1, "Forces the multiplexer's protocol to use for the incoming connections"),
    'quic-cc-algo': OptionSpec('quic-cc-algo', 1, "QUIC congestion control algorithm ('cubic' or 'newreno'; experimental, needs USE_QUIC)"),
    'quic-force-retry': OptionSpec('quic-force-retry', 0, 'Force QUIC Retry for every connection (experimental, needs USE_QUIC)'),
    'severity-output': OptionSpec('severity-output', 1, "Stats socket only: severity prefix format on responses ('none', 'number' or 'string')"),
    'shards': OptionSpec('shards', 1, "Number of listening sockets per address ('by-thread' for one per thread)"),
    'ssl': OptionSpec('ssl', 0, 'Enables SSL deciphering on connections instantiated from this listener'),
    'ssl-max-ver': OptionSpec('ssl-max-ver', 1, 'Enforces use of <version> or lower on SSL connections instantiated from this listener'),
    'ssl-min-ver': OptionSpec('ssl-min-ver', 1, 'Enforces use of <version> or upper on SSL connections instantiated from this listener'),
    'strict-sni': OptionSpec('strict-sni', 0, 'Reject TLS handshakes whose SNI matches no certificate'),
    'tcp-ut': OptionSpec('tcp-ut', 1, 'Sets the TCP User Timeout for all incoming connections instantiated from this listening socket'),
    'tfo': OptionSpec('tfo', 0, 'Enables TCP Fast Open on the listening socket'),
    'thread': OptionSpec('thread', 1, 'Threads allowed to run this listener'),
    'tls-ticket-keys': OptionSpec('tls-ticket-keys', 1, 'Sets the TLS ticket keys file to load the keys from'),
    'transparent': OptionSpec('transparent', 0, 'Indicates that the addresses will be bound even if they do not belong to the local machine'),
    'uid': OptionSpec('uid', 1, 'Sets the owner of the UNIX sockets to the designated system uid'),
    'user': OptionSpec('user', 1, 'Sets the owner of the UNIX sockets to the designated system user'),
    'v4v6': OptionSpec('v4v6', 0, 'Accept both IPv4 and IPv6 on a default IPv6 address'),
    'v6only': OptionSpec('v6only', 0, 'Accept only IPv6 on a default IPv6 address'),
    'verify': OptionSpec('verify', 1, "Client certificate verification: 'none', 'optional' or 'required'"),
}

#: Also valid on "default-server" (except "id"); includes the manual's "no-" reset forms.
SERVER_OPTIONS: dict[str, OptionSpec] = {
    'addr': OptionSpec('addr', 1, "Address used for health checks and agent checks instead of the server's"),
    'agent-addr': OptionSpec('agent-addr', 1, 'Sets address for agent check'),
    'agent-check': OptionSpec('agent-check', 0, 'Enable an auxiliary agent check which is run independently of a regular health check'),
    'agent-inter': OptionSpec('agent-inter', 1, 'Sets the interval between two agent checks to <delay> milliseconds'),
    'agent-port': OptionSpec('agent-port', 1, 'Sets the TCP port used for agent checks'),
    'agent-send': OptionSpec('agent-send', 1, 'String sent to the agent upon connection'),
    'allow-0rtt': OptionSpec('allow-0rtt', 0, 'Allow sending early data to the server when using TLS 1.3'),
    'alpn': OptionSpec('alpn', 1, 'Enables the TLS ALPN extension and advertises the specified protocol list as supported on top of ALPN'),
    'backup': OptionSpec('backup', 0, 'Only use this server when all non-backup servers are down'),
    'ca-file': OptionSpec('ca-file', 1, "Designates a PEM file from which to load CA certificates used to verify server's certificate", kind='file'),
    'check': OptionSpec('check', 0, 'Enable health checks on this server'),
    'check-alpn': OptionSpec('check-alpn', 1, 'Defines which protocols to advertise with ALPN'),
    'check-proto': OptionSpec('check-proto', 1, "Forces the multiplexer's protocol to use for the server's health-check connections"),
    'check-send-proxy': OptionSpec('check-send-proxy', 0, 'Forces emission of a PROXY protocol line with outgoing health checks'),
    'check-sni': OptionSpec('check-sni', 1, 'Allows you to specify the SNI to be used when doing health checks over SSL'),
    'check-ssl': OptionSpec('check-ssl', 0, 'Forces encryption of all health checks over SSL'),
    'check-via-socks4': OptionSpec('check-via-socks4', 0, 'Enables outgoing health checks using upstream socks4 proxy'),
    'ciphers': OptionSpec('ciphers', 1, 'TLS 1.2-and-lower cipher list used towards this server'),
    'ciphersuites': OptionSpec('ciphersuites', 1, 'TLS 1.3 cipher suites used towards this server'),
    'cookie': OptionSpec('cookie', 1, 'Cookie value assigned to this server (cookie persistence)'),
    'crl-file': OptionSpec('crl-file', 1, "Designates a PEM file from which to load certificate revocation list used to verify server's certificate"),
    'crt': OptionSpec('crt', 1, 'Designates a PEM file from which to load both a certificate and the associated private key'),
    'disabled': OptionSpec('disabled', 0, "Starts the server in the 'disabled' state"),
    'downinter': OptionSpec('downinter', 1, 'Interval between health checks while the server is down', kind='time'),
    'enabled': OptionSpec('enabled', 0, "Reset any 'disabled' setting"),
    'error-limit': OptionSpec('error-limit', 1, "Consecutive errors before 'on-error' is triggered (with 'observe')"),
    'fall': OptionSpec('fall', 1, 'Consecutive failed checks before the server is considered down', kind='int', bounds=(1, 2**31 - 1), default='3'),
    'fastinter': OptionSpec('fastinter', 1, 'Interval between health checks while the server is transitioning up or down', kind='time'),
    'force-sslv3': OptionSpec('force-sslv3', 0, 'Enforces use of SSLv3 only when SSL is used to communicate with the server'),
    'force-tlsv10': OptionSpec('force-tlsv10', 0, 'Enforces use of TLSv1.0 only when SSL is used to communicate with the server'),
    'force-tlsv11': OptionSpec('force-tlsv11', 0, 'Enforces use of TLSv1.1 only when SSL is used to communicate with the server'),
    'force-tlsv12': OptionSpec('force-tlsv12', 0, 'Enforces use of TLSv1.2 only when SSL is used to communicate with the server'),
    'force-tlsv13': OptionSpec('force-tlsv13', 0, 'Enforces use of TLSv1.3 only when SSL is used to communicate with the server'),
    'id': OptionSpec('id', 1, "Persistent numeric ID of the server (not valid on 'default-server')"),
    'init-addr': OptionSpec('init-addr', 1, "Indicate in what order the server's address should be resolved upon startup if it uses an FQDN"),
    'inter': OptionSpec('inter', 1, 'Interval between two health checks', kind='time', default='2s'),
    'log-proto': OptionSpec('log-proto', 1, "Protocol used to forward logs to a server of a ring section ('legacy' or 'octet-count')"),
    'max-reuse': OptionSpec('max-reuse', 1, 'Indicates the HTTP connection processors that they should not reuse a server'),
    'maxconn': OptionSpec('maxconn', 1, 'Maximum concurrent connections sent to this server (others are queued)', kind='int', bounds=(0, 2**31 - 1)),
    'maxqueue': OptionSpec('maxqueue', 1, 'Maximum connections queued for this server', kind='int', bounds=(0, 2**31 - 1)),
    'minconn': OptionSpec('minconn', 1, "Lower bound of the dynamic maxconn limit, following the backend's load"),
    'namespace': OptionSpec('namespace', 1, 'Network namespace used to connect to this server (Linux)'),
    'no-agent-check': OptionSpec('no-agent-check', 0, "Reset any 'agent-check' setting"),
    'no-backup': OptionSpec('no-backup', 0, "Reset any 'backup' setting"),
    'no-check': OptionSpec('no-check', 0, "Reset any 'check' setting"),
    'no-check-ssl': OptionSpec('no-check-ssl', 0, "Reset any 'check-ssl' setting"),
    'no-send-proxy': OptionSpec('no-send-proxy', 0, "Reset any 'send-proxy' setting"),
    'no-send-proxy-v2': OptionSpec('no-send-proxy-v2', 0, "Reset any 'send-proxy-v2' setting"),
    'no-send-proxy-v2-ssl': OptionSpec('no-send-proxy-v2-ssl', 0, "Reset any 'send-proxy-v2-ssl' setting"),
    'no-send-proxy-v2-ssl-cn': OptionSpec('no-send-proxy-v2-ssl-cn', 0, "Reset any 'send-proxy-v2-ssl-cn' setting"),
    'no-ssl': OptionSpec('no-ssl', 0, "Reset any 'ssl' setting"),
    'no-ssl-reuse': OptionSpec('no-ssl-reuse', 0, 'Disables SSL session reuse when SSL is used to communicate with the server'),
    'no-sslv3': OptionSpec('no-sslv3', 0, 'Disables support for SSLv3 when SSL is used to communicate with the server'),
    'no-tfo': OptionSpec('no-tfo', 0, "Reset any 'tfo' setting"),
    'no-tls-tickets': OptionSpec('no-tls-tickets', 0, 'Disables the stateless session resumption'),
    'no-tlsv10': OptionSpec('no-tlsv10', 0, 'Disables support for TLSv1.0 when SSL is used to communicate with the server'),
    'no-tlsv11': OptionSpec('no-tlsv11', 0, 'Disables support for TLSv1.1 when SSL is used to communicate with the server'),
    'no-tlsv12': OptionSpec('no-tlsv12', 0, 'Disables support for TLSv1.2 when SSL is used to communicate with the server'),
    'no-tlsv13': OptionSpec('no-tlsv13', 0, 'Disables support for TLSv1.3 when SSL is used to communicate with the server'),
    'no-verifyhost': OptionSpec('no-verifyhost', 0, "Reset any 'verifyhost' setting"),
    'non-stick': OptionSpec('non-stick', 0, 'Never add connections allocated to this server to a stick-table'),
    'npn': OptionSpec('npn', 1, 'Enables the NPN TLS extension and advertises the specified protocol list as supported on top of NPN'),
    'observe': OptionSpec('observe', 1, 'Enables health adjusting based on observing communication with the server'),
    'on-error': OptionSpec('on-error', 1, 'Select what should happen when enough consecutive errors are detected'),
    'on-marked-down': OptionSpec('on-marked-down', 1, 'Modify what occurs when a server is marked down'),
    'on-marked-up': OptionSpec('on-marked-up', 1, 'Modify what occurs when a server is marked up'),
    'pool-low-conn': OptionSpec('pool-low-conn', 1, "Idle connections kept below which a thread avoids reusing another thread's connection"),
    'pool-max-conn': OptionSpec('pool-max-conn', 1, 'Maximum number of idle connections kept for this server (-1 = unlimited)'),
    'pool-purge-delay': OptionSpec('pool-purge-delay', 1, 'Sets the delay to start purging idle connections', kind='time'),
    'port': OptionSpec('port', 1, "Port used for health checks instead of the server's", kind='int', bounds=(1, 65535)),
    'proto': OptionSpec('proto', 1, "Forces the multiplexer's protocol to use for the outgoing connections to this server"),
    'proxy-v2-options': OptionSpec('proxy-v2-options', 1, "Add options to send in PROXY protocol version 2 when 'send-proxy-v2' is used"),
    'redir': OptionSpec('redir', 1, 'Enables the redirection mode for all GET and HEAD requests addressing this server'),
    'resolve-net': OptionSpec('resolve-net', 1, 'Prioritizes the choice of an ip address matching a network'),
    'resolve-opts': OptionSpec('resolve-opts', 1, 'Comma separated list of options to apply to DNS resolution linked to this server'),
    'resolve-prefer': OptionSpec('resolve-prefer', 1, "Preferred address family ('ipv4' or 'ipv6') when resolving the server's name"),
    'resolvers': OptionSpec('resolvers', 1, "Points to an existing 'resolvers' section to resolve current server's hostname"),
    'rise': OptionSpec('rise', 1, 'Consecutive successful checks before the server is considered up', kind='int', bounds=(1, 2**31 - 1), default='2'),
    'send-proxy': OptionSpec('send-proxy', 0, 'Enforces use of the PROXY protocol over any connection established to this server'),
    'send-proxy-v2': OptionSpec('send-proxy-v2', 0, 'Enforces use of the PROXY protocol version 2 over any connection established to'),
    'send-proxy-v2-ssl': OptionSpec('send-proxy-v2-ssl', 0, 'Send a PROXY v2 header including SSL information'),
    'send-proxy-v2-ssl-cn': OptionSpec('send-proxy-v2-ssl-cn', 0, "Send a PROXY v2 header including SSL information and the client certificate's CN"),
    'slowstart': OptionSpec('slowstart', 1, 'Time during which a server coming back up gets progressively more traffic', kind='time'),
    'sni': OptionSpec('sni', 1, 'Sample expression giving the SNI sent to the server'),
    'socks4': OptionSpec('socks4', 1, 'Enables upstream socks4 tunnel for outgoing connections to the server'),
    'source': OptionSpec('source', 1, 'Sets the source address which will be used when connecting to the server'),
    'ssl': OptionSpec('ssl', 0, 'Enables SSL ciphering on outgoing connections to the server'),
    'ssl-max-ver': OptionSpec('ssl-max-ver', 1, 'Enforces use of <version> or lower when SSL is used to communicate with the server'),
    'ssl-min-ver': OptionSpec('ssl-min-ver', 1, 'Enforces use of <version> or upper when SSL is used to communicate with the server'),
    'ssl-reuse': OptionSpec('ssl-reuse', 0, "Reset any 'no-ssl-reuse' setting"),
    'stick': OptionSpec('stick', 0, "Reset any 'non-stick' setting"),
    'tcp-ut': OptionSpec('tcp-ut', 1, 'Sets the TCP User Timeout for all outgoing connections to this server'),
    'tfo': OptionSpec('tfo', 0, 'Enables using TCP fast open when connecting to servers'),
    'tls-tickets': OptionSpec('tls-tickets', 0, "Reset any 'no-tls-tickets' setting"),
    'track': OptionSpec('track', 1, 'Enables ability to set the current state of the server by tracking another one'),
    'verify': OptionSpec('verify', 1, "Server certificate verification: 'none' or 'required'"),
    'verifyhost': OptionSpec('verifyhost', 1, "Sets a default static hostname to check the server's certificate against"),
    'weight': OptionSpec('weight', 1, "Server's weight relative to the other servers (0-256)", kind='int', bounds=(0, 256), default='1'),
    'ws': OptionSpec('ws', 1, "Protocol used to relay websocket streams: 'auto', 'h1' or 'h2'"),
    # sub-keywords of "source <addr>[:<port>] [usesrc ...] [interface <name>]"
    "usesrc": OptionSpec("usesrc", 1, "After 'source': the address to present to the server (transparent proxying)"),
    "interface": OptionSpec("interface", 1, "After 'source': the network interface to send from"),
}


# --- what the embedded engine does with bind and server options ----------------------
# Read from proxy/engine/runtime.py (_compile_server, _binds), tls.py (its handler tables,
# _FLAG_WORDS, client_context), health.py (check_settings) and proxy_protocol.py (its
# *_WORDS: accept-proxy, send-proxy[-v2], check-send-proxy); every other option is
# parsed and dropped.  tests/proxy/engine/test_option_support.py keeps the "runs" ones equal
# to the words those modules read.  Resets of something the engine never does
# ("no-send-proxy-v2-ssl", "no-tfo"...) leave it doing what the line asks: they count as "runs";
# so does "no-ca-names" (Python's ssl never sends client CA names: openssl s_client says "No
# client certificate CA names sent" even with a ca-file).
_HTTP1_ONLY = "it speaks HTTP/1.1 only"
_NO_PROXY_PROTOCOL = "it sends no PROXY protocol header"
_OWN_POOL = "it keeps its own idle-connection pool"
_ENGINE_BIND_IGNORES = {
    "accept-netscaler-cip": "it reads no NetScaler CIP header",
    "allow-0rtt": "it accepts no TLS early data",
    "backlog": "it listens with its own backlog",
    "ca-ignore-err": "a client certificate that fails verification ends the handshake",
    "ca-verify-file": "only 'ca-file' verifies client certificates",
    "ciphersuites": "Python's ssl cannot set TLS 1.3 cipher suites: OpenSSL's defaults apply",
    "crt-ignore-err": "a client certificate that fails verification ends the handshake",
    "defer-accept": "it accepts connections before data arrives",
    "generate-certificates": "it serves only the certificates the line names",
    "interface": "it listens on whatever interface the address is on",
    "maxconn": "only the frontend's and global maxconn limit connections",
    "mss": "the system's MSS applies",
    "namespace": "it listens in its own network namespace",
    "npn": "it offers no NPN",
    "quic-cc-algo": "it has no QUIC",
    "quic-force-retry": "it has no QUIC",
    "tcp-ut": "the system's TCP user timeout applies",
    "tfo": "it listens without TCP Fast Open",
    "tls-ticket-keys": "it uses its own session ticket keys",
    "transparent": "it binds only addresses of this machine",
}
_ENGINE_BIND_MOOT = frozenset({
    "ca-sign-file", "ca-sign-pass",  # parts of "generate-certificates", which carries the warning
    "expose-fd", "level", "severity-output",  # stats socket (CLI) settings
    "gid", "group", "mode", "uid", "user",  # UNIX socket files: the engine refuses UNIX binds
    "id", "name",  # labels, as the proxy's own "id"
    "nice", "process", "shards", "thread",  # scheduling of HAProxy's threads and processes
})
_ENGINE_BIND_PARTLY = frozenset({"alpn", "curves", "ecdhe", "proto"})
_ENGINE_SERVER_IGNORES = {
    "agent-check": "it runs no agent checks",
    "allow-0rtt": "it sends no TLS early data",
    "check-alpn": "health checks offer the server's own ALPN list",
    "check-via-socks4": "health checks connect to the server directly",
    "ciphersuites": "Python's ssl cannot set TLS 1.3 cipher suites: OpenSSL's defaults apply",
    "init-addr": "it resolves server names when it connects",
    "max-reuse": _OWN_POOL,
    "maxqueue": "the server's queue has no limit of its own",
    "minconn": "the server's limit is its maxconn",
    "namespace": "it connects from its own network namespace",
    "npn": "it offers no NPN",
    "observe": "it does not watch live traffic for errors",
    "on-marked-down": "it does not act on a server going down",
    "on-marked-up": "it does not act on a server coming up",
    "pool-low-conn": _OWN_POOL,
    "pool-max-conn": _OWN_POOL,
    "pool-purge-delay": _OWN_POOL,
    "redir": "it forwards requests to the server instead of redirecting them",
    "resolvers": "it resolves server names with the system's resolver",
    "send-proxy-v2-ssl": _NO_PROXY_PROTOCOL,
    "send-proxy-v2-ssl-cn": _NO_PROXY_PROTOCOL,
    "slowstart": "a server coming back up gets its full weight at once",
    "socks4": "it connects to the server directly",
    "source": "it connects from the address the system picks",
    "tcp-ut": "the system's TCP user timeout applies",
    "tfo": "it connects without TCP Fast Open",
    "track": "the server keeps its own health state",
}
_ENGINE_SERVER_MOOT = frozenset({
    "agent-addr", "agent-inter", "agent-port", "agent-send",  # parts of "agent-check"
    "error-limit", "on-error",  # parts of "observe"
    "proxy-v2-options",  # part of "send-proxy-v2"
    "resolve-net", "resolve-opts", "resolve-prefer",  # parts of "resolvers"
    "usesrc", "interface",  # parts of "source"
    "log-proto",  # servers of a "ring" section
    "non-stick", "stick",  # stick tables: their "stick" statements carry the warning
    "ssl-reuse", "no-ssl-reuse",  # TLS session resumption: only the handshake's cost differs
    # websockets are relayed over HTTP/1.1, what "ws" picks unless the server speaks h2
    # ("proto h2", which carries the warning)
    "ws",
})
_ENGINE_SERVER_PARTLY = frozenset({"alpn", "proto", "check-proto"})


def _with_option_engine(table: dict[str, OptionSpec], ignores: dict[str, str], moot: frozenset[str],
                        partly: frozenset[str]) -> None:
    for name in ignores.keys() | moot | partly:
        support = "ignores" if name in ignores else "moot" if name in moot else "partly"
        table[name] = replace(table[name], engine=support, engine_note=ignores.get(name, ""))


_with_option_engine(BIND_OPTIONS, _ENGINE_BIND_IGNORES, _ENGINE_BIND_MOOT, _ENGINE_BIND_PARTLY)
_with_option_engine(SERVER_OPTIONS, _ENGINE_SERVER_IGNORES, _ENGINE_SERVER_MOOT, _ENGINE_SERVER_PARTLY)

#: The ALPN protocols the engine's HTTP layer speaks (``mode http``); in ``mode tcp`` the
#: bytes are relayed untouched, so any list is offered as written.
ENGINE_HTTP_ALPN = ("http/1.1", "http/1.0")
#: crt-list ``[...]`` options the engine applies per certificate; the others are ignored
#: (Python swaps only the certificate and ALPN callback with the SNI-chosen context).
ENGINE_CRT_LIST_OPTIONS = frozenset({"alpn"})


@dataclass(frozen=True, slots=True)
class OptionGap:
    """What the engine leaves out of one bind/server option: for the located warning."""

    what: str  # "'alpn h2,http/1.1'", or the part left out: "'h2' of 'alpn h2,http/1.1'"
    refuses: bool
    note: str


def engine_alpn(protocols: Sequence[str], mode: str) -> tuple[list[str], list[str]]:
    """``(offered, dropped)``: what the engine advertises of an ALPN list in ``mode``."""
    if mode != "http":
        return list(protocols), []
    return ([p for p in protocols if p in ENGINE_HTTP_ALPN],
            [p for p in protocols if p not in ENGINE_HTTP_ALPN])


def alpn_note(offered: Sequence[str]) -> str:
    return f"{_HTTP1_ONLY}: " + (f"it offers {','.join(offered)}" if offered else "ALPN is off")


def _partly_gap(name: str, args: Sequence[str], mode: str) -> tuple[str, str] | None:
    """(the part left out, why) for the options the engine runs in part."""
    value = args[0] if args else ""
    if name == "alpn":
        offered, dropped = engine_alpn([p for p in value.split(",") if p], mode)
        return (",".join(dropped), alpn_note(offered)) if dropped else None
    if name in ("curves", "ecdhe"):
        first, _, rest = value.partition(":")
        return (rest, f"Python's ssl sets one curve: only {first} is used") if rest else None
    # proto / check-proto: the multiplexer; the engine's is HTTP/1.1 ("h1")
    return (value, _HTTP1_ONLY) if value and value != "h1" else None


def option_gap(table: dict[str, OptionSpec], words: Sequence[str], mode: str) -> OptionGap | None:
    """What the engine leaves out of one option ``words`` (``["alpn", "h2,http/1.1"]``) on a
    line of a proxy in ``mode``, from ``table`` (BIND_OPTIONS or SERVER_OPTIONS); None: it
    runs it (or it is moot).  The checker warns with this; so does the engine's compiler."""
    spec = table.get(words[0]) if words else None
    if spec is None:
        return None
    what = f"'{' '.join(words)}'"
    if spec.engine in ("ignores", "refuses"):
        return OptionGap(what, spec.engine == "refuses", spec.engine_note)
    if spec.engine == "partly":
        part = _partly_gap(spec.name, words[1:], mode)
        return OptionGap(f"'{part[0]}' of {what}", False, part[1]) if part else None
    return None


def crt_list_line_options(line: str) -> list[list[str]]:
    """The ``[...]`` options of a crt-list line ``<crt> [[opt ...]] [filters]``, grouped by
    their arity; [] for comments, lines without any and malformed ones (the engine's TLS
    loader refuses those with a located error)."""
    words = line.strip()
    _, _, rest = words.partition(" ")
    rest = rest.strip()
    if words.startswith("#") or not rest.startswith("[") or "]" not in rest:
        return []
    groups: list[list[str]] = []
    inside = rest[1:].partition("]")[0].split()
    i = 0
    while i < len(inside):
        take = BIND_OPTIONS[inside[i]].nargs if inside[i] in BIND_OPTIONS else 0
        groups.append(inside[i : i + 1 + take])
        i += 1 + take
    return groups


def crt_list_option_gap(words: Sequence[str], mode: str) -> OptionGap | None:
    """What the engine leaves out of one per-certificate ``[option]`` of a crt-list line."""
    if words[0] in ENGINE_CRT_LIST_OPTIONS:
        return option_gap(BIND_OPTIONS, words, mode)
    return OptionGap(f"per-certificate '{' '.join(words)}'", False, "the bind line's setting applies")


# --- balance algorithms -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BalanceAlgo:
    name: str  # without its parenthesised argument: "hdr" for "hdr(<name>)"
    args: str  # how the argument is given; "(<name>)" ones are glued to the name
    doc: str
    hashing: bool  # server chosen by hashing a request attribute (see "hash-type")
    engine: bool = True  # the embedded engine implements it
    layer7: bool = False  # hashes HTTP data: outside "mode http" HAProxy falls back to round robin


BALANCE_ALGORITHMS: dict[str, BalanceAlgo] = {
    "roundrobin": BalanceAlgo("roundrobin", "", "Each server is used in turns, according to their weights (dynamic)", False),
    "static-rr": BalanceAlgo("static-rr", "", "Each server is used in turns, according to their weights (static, no server limit)", False),
    "leastconn": BalanceAlgo("leastconn", "", "The server with the lowest number of connections receives the connection", False),
    "first": BalanceAlgo("first", "", "The first server with available connection slots receives the connection", False),
    "hash": BalanceAlgo("hash", "<expr>", "Hashes the result of a sample expression", True, engine=False),
    "source": BalanceAlgo("source", "", "Hashes the client's source IP address", True),
    "uri": BalanceAlgo("uri", "[path-only] [whole] [len <len>] [depth <depth>]", "Hashes the left part of the URI (before '?'), or the whole URI", True, layer7=True),
    "url_param": BalanceAlgo("url_param", "<param> [check_post]", "Hashes the value of a URL parameter (query string or POST body)", True, layer7=True),
    "hdr": BalanceAlgo("hdr", "(<name>) [use_domain_only]", "Hashes the value of the HTTP header <name>", True, layer7=True),
    "random": BalanceAlgo("random", "[(<draws>)]", "Picks a random server (power of <draws> choices, default 2)", False),
    "rdp-cookie": BalanceAlgo("rdp-cookie", "[(<name>)]", "Hashes the RDP cookie <name> (default 'mstshash') of the client", True, engine=False),
}


# --- timeouts -----------------------------------------------------------------

#: "timeout <kind>" -> doc, e.g. "client" -> "Set the maximum inactivity time on the client side".
TIMEOUT_KINDS: dict[str, str] = {
    name.removeprefix("timeout "): kw.doc for name, kw in PROXY_KEYWORDS.items() if name.startswith("timeout ") and not kw.removed
}


@dataclass(frozen=True, slots=True)
class TimeoutSpec:
    """What applies when ``timeout <name>`` is not set (manual §4.2)."""

    name: str
    fallback: str | None = None  # the timeout that applies in its place
    unset: str = "not set"  # what an unset one means when there is no fallback


# timeout http-keep-alive: "if not set, the http-request timeout applies, and if both are
# not set, timeout client still applies"; check: "if not set HAProxy uses inter";
# tunnel "supersedes both" client and server once a connection becomes a tunnel.
_TIMEOUT_FALLBACKS = {
    "http-request": "client", "http-keep-alive": "http-request", "client-fin": "client",
    "server-fin": "server", "queue": "connect", "tarpit": "connect",
}
_TIMEOUT_UNSET = {"check": "not set: as inter", "tunnel": "not set: client/server apply"}
TIMEOUTS: dict[str, TimeoutSpec] = {
    name: TimeoutSpec(name, _TIMEOUT_FALLBACKS.get(name), _TIMEOUT_UNSET.get(name, "not set"))
    for name in TIMEOUT_KINDS
}


# --- built-in values and answers ------------------------------------------------

#: How a value nobody sets is described ("tcp (HAProxy's default)").
BUILTIN_SOURCE = "HAProxy's default"


def builtin_default(keyword: str) -> str:
    """HAProxy's value for a keyword no line sets ("mode" -> "tcp"); KeyError if it has none."""
    value = KEYWORDS[keyword].default
    if value is None:
        raise KeyError(f"'{keyword}' has no built-in default")
    return value


#: Statuses HAProxy 2.6 has a built-in error page for (http_err_codes[]): the only ones
#: 'errorfile', 'deny_status' and friends accept ("status code '415' not handled").
#: Checked against haproxy 2.6.12 in tests/proxy/config/test_keywords.py.
ERROR_STATUSES: frozenset[int] = frozenset(
    {200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504}
)

#: "http-check expect" matchers (§4.2) -> whether the embedded engine implements it.
HTTP_CHECK_EXPECT_MATCHERS: dict[str, bool] = {
    "status": True, "rstatus": True, "string": True, "rstring": True, "hdr": False, "fhdr": False,
}
#: Options before the matcher of "http-check expect", each with one argument.
HTTP_CHECK_EXPECT_OPTIONS = frozenset(
    {"min-recv", "comment", "ok-status", "error-status", "tout-status", "on-success", "on-error", "status-code"}
)


# --- ACLs and sample fetches (§7) --------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetch:
    name: str
    args: str  # parenthesised arguments as in the manual, "" when none
    doc: str
    default_match: str  # matcher used when the ACL has no "-m" (for "path_beg"-style shorthands, the implied one)
    layer: int  # 4 = usable without HTTP (internal, L4, L5/SSL, L6 buffer contents), 7 = needs HTTP


#: The matching-method shorthands of the response's ACL keywords (shdr_beg = shdr -m beg):
#: the 2.6 binary has these (http_acl.c), not the manual's res.hdr_beg/res.scook/resp.ver.
_ACL_SHORTHANDS = (
    ("beg", "Prefix match"), ("dir", "Subdir match"), ("dom", "Domain match"), ("end", "Suffix match"),
    ("len", "Length match"), ("reg", "Regex match"), ("sub", "Substring match"),
)
FETCHES: dict[str, Fetch] = {
    f.name: f
    for f in (
        Fetch('always_false', '', "Always returns the boolean 'false' value", 'bool', 4),
        Fetch('always_true', '', "Always returns the boolean 'true' value", 'bool', 4),
        Fetch('avg_queue', '([<backend>])', 'Returns the total number of queued connections of the designated backend divided by the number of active', 'int', 4),
        Fetch('base', '', 'Returns the concatenation of the first Host header and the path part of the request', 'str', 7),
        Fetch('base32', '', "Returns a 32-bit hash of the value returned by the 'base' fetch method above", 'int', 7),
        Fetch('base_beg', '', 'Prefix match on base', 'beg', 7),
        Fetch('base_dir', '', 'Subdir match on base', 'dir', 7),
        Fetch('base_dom', '', 'Domain match on base', 'dom', 7),
        Fetch('base_end', '', 'Suffix match on base', 'end', 7),
        Fetch('base_len', '', 'Length match on base', 'len', 7),
        Fetch('base_reg', '', 'Regex match on base', 'reg', 7),
        Fetch('base_sub', '', 'Substring match on base', 'sub', 7),
        Fetch('baseq', '', 'Returns the concatenation of the first Host header and the path part of the request with the', 'str', 7),
        Fetch('bc_dst', '', 'Is the destination ip address of the connection on the server side', 'ip', 4),
        Fetch('bc_dst_port', '', 'Returns an integer value corresponding to the destination TCP port of the connection on the server side', 'int', 4),
        Fetch('bc_err', '', 'Returns the ID of the error that might have occurred on the current backend connection', 'int', 4),
        Fetch('bc_err_str', '', 'Returns an error message describing what problem happened on the current backend connection', 'str', 4),
        Fetch('bc_http_major', '', "Returns the backend connection's HTTP major version encoding", 'int', 4),
        Fetch('bc_src', '', 'Is the source ip address of the connection on the server side', 'ip', 4),
        Fetch('bc_src_port', '', 'Returns an integer value corresponding to the TCP source port of the connection on the server side', 'int', 4),
        Fetch('be_conn', '([<backend>])', 'Applies to the number of currently established connections on the backend', 'int', 4),
        Fetch('be_conn_free', '([<backend>])', 'Returns an integer value corresponding to the number of available connections across available servers in the', 'int', 4),
        Fetch('be_id', '', "Returns an integer containing the current backend's id", 'int', 4),
        Fetch('be_name', '', "Returns a string containing the current backend's name", 'str', 4),
        Fetch('be_server_timeout', '', 'Returns the configuration value in millisecond for the server timeout of the current backend', 'int', 4),
        Fetch('be_sess_rate', '([<backend>])', 'Returns an integer value corresponding to the sessions creation rate on the backend', 'int', 4),
        Fetch('be_tunnel_timeout', '', 'Returns the configuration value in millisecond for the tunnel timeout of the current backend', 'int', 4),
        Fetch('bin', '(<hex>)', 'Returns a binary chain', 'bin', 4),
        Fetch('bool', '(<bool>)', "Returns a boolean value. <bool> can be 'true', 'false'", 'str', 4),
        Fetch('capture.req.hdr', '(<idx>)', "Extracts the content of the header captured by the 'capture request header'", 'str', 7),
        Fetch('capture.req.method', '', 'Extracts the METHOD of an HTTP request', 'str', 7),
        Fetch('capture.req.uri', '', "Extracts the request's URI, which starts at the first slash and ends before the first space in the", 'str', 7),
        Fetch('capture.req.ver', '', "Extracts the request's HTTP version and returns either 'HTTP/1.0' or 'HTTP/1.1'", 'str', 7),
        Fetch('capture.res.hdr', '(<idx>)', "Extracts the content of the header captured by the 'capture response header'", 'str', 7),
        Fetch('capture.res.ver', '', "Extracts the response's HTTP version and returns either 'HTTP/1.0' or 'HTTP/1.1'", 'str', 7),
        Fetch('connslots', '([<backend>])', 'Returns an integer value corresponding to the number of connection slots still available in the backend', 'int', 4),
        Fetch('cook', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Cookie' header line from the request (deprecated)", 'str', 7),
        Fetch('cook_cnt', '([<name>])', 'Returns an integer value representing the number of occurrences of the cookie <name> in the request (deprecated)', 'int', 7),
        Fetch('cook_val', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Cookie' header line from the request (deprecated)", 'int', 7),
        Fetch('cookie', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Cookie' header line from the request (deprecated)", 'str', 7),
        Fetch('cpu_calls', '', 'Returns the number of calls to the task processing the stream or current request since it was allocated', 'int', 4),
        Fetch('cpu_ns_avg', '', 'Returns the average number of nanoseconds spent in each call to the task processing the stream or current', 'int', 4),
        Fetch('cpu_ns_tot', '', 'Returns the total number of nanoseconds spent in each call to the task processing the stream or current', 'int', 4),
        Fetch('cur_server_timeout', '', 'Returns the currently applied server timeout in millisecond for the stream', 'int', 4),
        Fetch('cur_tunnel_timeout', '', 'Returns the currently applied tunnel timeout in millisecond for the stream', 'int', 4),
        Fetch('date', '([<offset>],[<unit>])', 'Returns the current date as the epoch (number of seconds since 01/01/1970)', 'int', 4),
        Fetch('date_us', '', "Return the microseconds part of the date (the 'second' part is returned by date sample)", 'int', 4),
        Fetch('distcc_body', '(<token>[,<occ>])', 'Parses a distcc message and returns the body associated to occurrence #<occ> of the token <token>', 'bin', 4),
        Fetch('distcc_param', '(<token>[,<occ>])', 'Parses a distcc message and returns the parameter associated to occurrence #<occ> of the token <token>', 'int', 4),
        Fetch('dst', '', 'Is the destination IP address of the connection on the client side', 'ip', 4),
        Fetch('dst_conn', '', 'Returns an integer value corresponding to the number of currently established connections on the same socket', 'int', 4),
        Fetch('dst_is_local', '', 'Returns true if the destination address of the incoming connection is local to the system', 'bool', 4),
        Fetch('dst_port', '', 'Returns an integer value corresponding to the destination TCP port of the connection on the client side', 'int', 4),
        Fetch('env', '(<name>)', 'Returns a string containing the value of environment variable <name>', 'str', 4),
        Fetch('fc_dst', '', 'Is the original destination IP address of the connection on the client side', 'ip', 4),
        Fetch('fc_dst_is_local', '', 'Returns true if the original destination address of the incoming connection is local to the system', 'bool', 4),
        Fetch('fc_dst_port', '', 'Returns an integer value corresponding to the original destination TCP port of the connection on the client', 'int', 4),
        Fetch('fc_err', '', 'Returns the ID of the error that might have occurred on the current connection', 'int', 4),
        Fetch('fc_err_str', '', 'Returns an error message describing what problem happened on the current connection', 'str', 4),
        Fetch('fc_fackets', '', 'Returns the fack counter measured by the kernel for the client connection', 'int', 4),
        Fetch('fc_http_major', '', "Reports the front connection's HTTP major version encoding", 'int', 4),
        Fetch('fc_lost', '', 'Returns the lost counter measured by the kernel for the client connection', 'int', 4),
        Fetch('fc_pp_authority', '', 'Returns the authority TLV sent by the client in the PROXY protocol header, if any', 'str', 4),
        Fetch('fc_pp_unique_id', '', 'Returns the unique ID TLV sent by the client in the PROXY protocol header, if any', 'str', 4),
        Fetch('fc_rcvd_proxy', '', 'Returns true if the client initiated the connection with a PROXY protocol header', 'bool', 4),
        Fetch('fc_reordering', '', 'Returns the reordering counter measured by the kernel for the client connection', 'int', 4),
        Fetch('fc_retrans', '', 'Returns the retransmits counter measured by the kernel for the client connection', 'int', 4),
        Fetch('fc_rtt', '(<unit>)', 'Returns the Round Trip Time (RTT) measured by the kernel for the client connection. <unit> is facultative', 'int', 4),
        Fetch('fc_rttvar', '(<unit>)', 'Returns the Round Trip Time (RTT) variance measured by the kernel', 'int', 4),
        Fetch('fc_sacked', '', 'Returns the sacked counter measured by the kernel for the client connection', 'int', 4),
        Fetch('fc_src', '', 'Is the original destination IP address of the connection on the client side', 'ip', 4),
        Fetch('fc_src_is_local', '', 'Returns true if the source address of incoming connection is local to the system', 'bool', 4),
        Fetch('fc_src_port', '', 'Returns an integer value corresponding to the TCP source port of the connection on the client side', 'int', 4),
        Fetch('fc_unacked', '', 'Returns the unacked counter measured by the kernel for the client connection', 'int', 4),
        Fetch('fe_client_timeout', '', 'Returns the configuration value in millisecond for the client timeout of the current frontend', 'int', 4),
        Fetch('fe_conn', '([<frontend>])', 'Returns the number of currently established connections on the frontend', 'int', 4),
        Fetch('fe_defbe', '', "Returns a string containing the frontend's default backend name", 'str', 4),
        Fetch('fe_id', '', "Returns an integer containing the current frontend's id", 'int', 4),
        Fetch('fe_name', '', "Returns a string containing the current frontend's name", 'str', 4),
        Fetch('fe_req_rate', '([<frontend>])', 'Returns an integer value corresponding to the number of HTTP requests per second sent to a frontend', 'int', 4),
        Fetch('fe_sess_rate', '([<frontend>])', 'Returns an integer value corresponding to the sessions creation rate on the frontend', 'int', 4),
        Fetch('hdr', '([<name>[,<occ>]])', 'Is equivalent to req.hdr() when used on requests, and to res.hdr() when used on responses', 'str', 7),
        Fetch('hdr_beg', '([<name>[,<occ>]])', 'Prefix match on req.hdr', 'beg', 7),
        Fetch('hdr_cnt', '([<header>])', 'Returns an integer value representing the number of occurrences of request header field name <name> (deprecated)', 'int', 7),
        Fetch('hdr_dir', '([<name>[,<occ>]])', 'Subdir match on req.hdr', 'dir', 7),
        Fetch('hdr_dom', '([<name>[,<occ>]])', 'Domain match on req.hdr', 'dom', 7),
        Fetch('hdr_end', '([<name>[,<occ>]])', 'Suffix match on req.hdr', 'end', 7),
        Fetch('hdr_ip', '([<name>[,<occ>]])', 'Extracts the last occurrence of header <name> in an HTTP request (deprecated)', 'ip', 7),
        Fetch('hdr_len', '([<name>[,<occ>]])', 'Length match on req.hdr', 'len', 7),
        Fetch('hdr_reg', '([<name>[,<occ>]])', 'Regex match on req.hdr', 'reg', 7),
        Fetch('hdr_sub', '([<name>[,<occ>]])', 'Substring match on req.hdr', 'sub', 7),
        Fetch('hdr_val', '([<name>[,<occ>]])', 'Extracts the last occurrence of header <name> in an HTTP request, and converts it to an integer value (deprecated)', 'int', 7),
        Fetch('hostname', '', 'Returns the system hostname', 'str', 4),
        Fetch('http_auth', '(<userlist>)', 'Returns a boolean indicating whether the authentication data received from the client match a username &', 'bool', 7),
        Fetch('http_auth_bearer', '([<header>])', 'Returns the client-provided token found in the authorization data when the Bearer scheme is used', 'str', 7),
        Fetch('http_auth_group', '(<userlist>)', 'Returns a string corresponding to the user name found in the authentication data received from the client', 'str', 7),
        Fetch('http_auth_pass', '', "Returns the user's password found in the authentication data received from the client", 'str', 7),
        Fetch('http_auth_type', '', 'Returns the authentication method found in the authentication data received from the client', 'str', 7),
        Fetch('http_auth_user', '', 'Returns the user name found in the authentication data received from the client', 'str', 7),
        Fetch('http_first_req', '', 'Returns true when the request being processed is the first one of the connection', 'bool', 7),
        Fetch('int', '(<integer>)', 'Returns a signed integer', 'str', 4),
        Fetch('ipv4', '(<ipv4>)', 'Returns an ipv4', 'str', 4),
        Fetch('ipv6', '(<ipv6>)', 'Returns an ipv6', 'str', 4),
        Fetch('last_rule_file', '', 'Returns the name of the configuration file containing the last final rule that was matched during stream', 'str', 4),
        Fetch('last_rule_line', '', 'Returns the line number in the configuration file where is located the last final rule that was matched', 'int', 4),
        Fetch('lat_ns_avg', '', 'Returns the average number of nanoseconds spent between the moment the task handling the stream is woken up', 'int', 4),
        Fetch('lat_ns_tot', '', 'Returns the total number of nanoseconds spent between the moment the task handling the stream is woken up and', 'int', 4),
        Fetch('meth', '(<method>)', 'Returns a method', 'str', 4),
        Fetch('method', '', 'Returns an integer value corresponding to the method in the HTTP request', 'str', 7),
        Fetch('nbsrv', '([<backend>])', 'Returns an integer value corresponding to the number of usable servers of either the current backend or the', 'int', 4),
        Fetch('path', '', "Extracts the request's URL path, which starts at the first slash and ends before the question mark", 'str', 7),
        Fetch('path_beg', '', 'Prefix match on path', 'beg', 7),
        Fetch('path_dir', '', 'Subdir match on path', 'dir', 7),
        Fetch('path_dom', '', 'Domain match on path', 'dom', 7),
        Fetch('path_end', '', 'Suffix match on path', 'end', 7),
        Fetch('path_len', '', 'Length match on path', 'len', 7),
        Fetch('path_reg', '', 'Regex match on path', 'reg', 7),
        Fetch('path_sub', '', 'Substring match on path', 'sub', 7),
        Fetch('pathq', '', "Extracts the request's URL path with the query-string, which starts at the first slash", 'str', 7),
        Fetch('payload', '(<offset>,<length>)', "Is an alias for 'req.payload' when used in the context of a request (e.g (deprecated)", 'bin', 4),
        Fetch('payload_lv', '(<offset1>,<length>[,<offset2>])', "Is an alias for 'req.payload_lv' when used in the context of a request (e.g (deprecated)", 'bin', 4),
        Fetch('prio_class', '', 'Returns the priority class of the current session for http mode or connection for tcp mode', 'int', 4),
        Fetch('prio_offset', '', 'Returns the priority offset of the current session for http mode or connection for tcp mode', 'int', 4),
        Fetch('proc', '', 'Always returns value 1 (historically it would return the calling process number)', 'int', 4),
        Fetch('query', '', "Extracts the request's query string, which starts after the first question mark", 'str', 7),
        Fetch('queue', '([<backend>])', 'Returns the total number of queued connections of the designated backend', 'int', 4),
        Fetch('rand', '([<range>])', 'Returns a random integer value within a range of <range> possible values, starting at zero', 'int', 4),
        Fetch('rdp_cookie', '([<name>])', 'When the request buffer looks like the RDP protocol, extracts the RDP cookie <name> (deprecated)', 'str', 4),
        Fetch('rdp_cookie_cnt', '([name])', 'Tries to parse the request buffer as RDP protocol (deprecated)', 'int', 4),
        Fetch('rep_ssl_hello_type', '', 'Returns an integer value containing the type of the SSL hello message found in the response buffer (deprecated)', 'int', 4),
        Fetch('req.body', '', "Returns the HTTP request's available body as a block of data", 'bin', 7),
        Fetch('req.body_len', '', "Returns the length of the HTTP request's available body in bytes", 'int', 7),
        Fetch('req.body_param', '([<name>)', 'This fetch assumes that the body of the POST request is url-encoded', 'str', 7),
        Fetch('req.body_size', '', "Returns the advertised length of the HTTP request's body in bytes", 'int', 7),
        Fetch('req.cook', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Cookie' header line from the request", 'str', 7),
        Fetch('cook_beg', '([<name>])', 'Prefix match on cook', 'beg', 7),
        Fetch('req.cook_cnt', '([<name>])', 'Returns an integer value representing the number of occurrences of the cookie <name> in the request', 'int', 7),
        Fetch('cook_dir', '([<name>])', 'Subdir match on cook', 'dir', 7),
        Fetch('cook_dom', '([<name>])', 'Domain match on cook', 'dom', 7),
        Fetch('cook_end', '([<name>])', 'Suffix match on cook', 'end', 7),
        Fetch('cook_len', '([<name>])', 'Length match on cook', 'len', 7),
        Fetch('cook_reg', '([<name>])', 'Regex match on cook', 'reg', 7),
        Fetch('cook_sub', '([<name>])', 'Substring match on cook', 'sub', 7),
        Fetch('req.cook_val', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Cookie' header line from the request", 'int', 7),
        Fetch('req.fhdr', '(<name>[,<occ>])', 'Returns the full value of the last occurrence of header <name> in an HTTP request', 'str', 7),
        Fetch('req.fhdr_cnt', '([<name>])', 'Returns an integer value representing the number of occurrences of request header field name <name>', 'int', 7),
        Fetch('req.hdr', '([<name>[,<occ>]])', 'Returns the last comma-separated value of the header <name> in an HTTP request', 'str', 7),
        Fetch('req.hdr_cnt', '([<name>])', 'Returns an integer value representing the number of occurrences of request header field name <name>', 'int', 7),
        Fetch('req.hdr_ip', '([<name>[,<occ>]])', 'Extracts the last occurrence of header <name> in an HTTP request', 'ip', 7),
        Fetch('req.hdr_names', '([<delim>])', 'Builds a string made from the concatenation of all header names as they appear in the request', 'str', 7),
        Fetch('req.hdr_val', '([<name>[,<occ>]])', 'Extracts the last occurrence of header <name> in an HTTP request, and converts it to an integer value', 'int', 7),
        Fetch('req.hdrs', '', 'Returns the current request headers as string including the last empty line separating headers from the', 'str', 7),
        Fetch('req.hdrs_bin', '', 'Returns the current request headers contained in preparsed binary form', 'bin', 7),
        Fetch('req.len', '', 'Returns an integer value corresponding to the number of bytes present in the request buffer', 'int', 4),
        Fetch('req.payload', '(<offset>,<length>)', 'Extracts a binary block of <length> bytes and starting at byte <offset> in the request buffer', 'bin', 4),
        Fetch('req.payload_lv', '(<offset1>,<length>[,<offset2>])', 'Extracts a binary block whose size is specified at <offset1> for <length> bytes, and', 'bin', 4),
        Fetch('req.proto_http', '', 'Returns true when data in the request buffer look like HTTP and correctly parses as such', 'bool', 4),
        Fetch('req.rdp_cookie', '([<name>])', 'When the request buffer looks like the RDP protocol, extracts the RDP cookie <name>', 'str', 4),
        Fetch('req.rdp_cookie_cnt', '([name])', 'Tries to parse the request buffer as RDP protocol', 'int', 4),
        Fetch('req.ssl_alpn', '', 'Returns a string containing the values of the Application-Layer Protocol Negotiation (ALPN) TLS extension', 'str', 4),
        Fetch('req.ssl_ec_ext', '', 'Returns a boolean identifying if client sent the Supported Elliptic Curves Extension as defined in RFC4492', 'bool', 4),
        Fetch('req.ssl_hello_type', '', 'Returns an integer value containing the type of the SSL hello message found in the request buffer', 'int', 4),
        Fetch('req.ssl_sni', '', 'Returns a string containing the value of the Server Name TLS extension sent by a client in a TLS stream', 'str', 4),
        Fetch('req.ssl_st_ext', '', "Returns 0 if the client didn't send a SessionTicket TLS Extension", 'int', 4),
        Fetch('req.ssl_ver', '', 'Returns an integer value containing the version of the SSL/TLS protocol of a stream present in the request', 'int', 4),
        Fetch('req.ver', '', "Returns the version string from the HTTP request, for example '1.1'", 'str', 7),
        Fetch('req_len', '', 'Returns an integer value corresponding to the number of bytes present in the request buffer (deprecated)', 'int', 4),
        Fetch('req_proto_http', '', 'Returns true when data in the request buffer look like HTTP and correctly parses as such (deprecated)', 'bool', 4),
        Fetch('req_ssl_hello_type', '', 'Returns an integer value containing the type of the SSL hello message found in the request buffer (deprecated)', 'int', 4),
        Fetch('req_ssl_sni', '', 'Returns a string containing the value of the Server Name TLS extension sent by a client in a TLS stream (deprecated)', 'str', 4),
        Fetch('req_ssl_ver', '', 'Returns an integer value containing the version of the SSL/TLS protocol of a stream present in the request (deprecated)', 'int', 4),
        Fetch('req_ver', '', "Returns the version string from the HTTP request, for example '1.1' (deprecated)", 'str', 7),
        Fetch('res.body', '', "Returns the HTTP response's available body as a block of data", 'bin', 7),
        Fetch('res.body_len', '', 'Returns the length of the HTTP response available body in bytes', 'int', 7),
        Fetch('res.body_size', '', 'Returns the advertised length of the HTTP response body in bytes', 'int', 7),
        Fetch('res.cache_hit', '', "Returns the boolean 'true' value if the response has been built out of an HTTP cache entry", 'bool', 7),
        Fetch('res.cache_name', '', 'Returns a string containing the name of the HTTP cache that was used to build the HTTP response', 'str', 7),
        Fetch('res.comp', '', "Returns the boolean 'true' value if the response has been compressed by HAProxy", 'bool', 7),
        Fetch('res.comp_algo', '', 'Returns a string containing the name of the algorithm used if the response was compressed by HAProxy', 'str', 7),
        Fetch('res.cook', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Set-Cookie' header line from the response", 'str', 7),
        Fetch('res.cook_cnt', '([<name>])', 'Returns an integer value representing the number of occurrences of the cookie <name> in the response', 'int', 7),
        Fetch('res.cook_val', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Set-Cookie' header line from the response", 'int', 7),
        Fetch('res.fhdr', '([<name>[,<occ>]])', 'This fetch works like the req.fhdr() fetch with the difference that it acts on the headers within an HTTP', 'str', 7),
        Fetch('res.fhdr_cnt', '([<name>])', 'This fetch works like the req.fhdr_cnt() fetch with the difference that it acts on the headers within an HTTP', 'int', 7),
        Fetch('res.hdr', '([<name>[,<occ>]])', 'This fetch works like the req.hdr() fetch with the difference that it acts on the headers within an HTTP', 'str', 7),
        Fetch('res.hdr_cnt', '([<name>])', 'This fetch works like the req.hdr_cnt() fetch with the difference that it acts on the headers within an HTTP', 'int', 7),
        Fetch('res.hdr_ip', '([<name>[,<occ>]])', 'This fetch works like the req.hdr_ip() fetch with the difference that it acts on the headers within an HTTP', 'ip', 7),
        Fetch('res.hdr_names', '([<delim>])', 'Builds a string made from the concatenation of all header names as they appear in the response', 'str', 7),
        Fetch('res.hdr_val', '([<name>[,<occ>]])', 'This fetch works like the req.hdr_val() fetch with the difference that it acts on the headers within an HTTP', 'int', 7),
        Fetch('res.hdrs', '', 'Returns the current response headers as string including the last empty line separating headers from the', 'str', 7),
        Fetch('res.hdrs_bin', '', 'Returns the current response headers contained in preparsed binary form', 'bin', 7),
        Fetch('res.len', '', 'Returns an integer value corresponding to the number of bytes present in the response buffer', 'int', 4),
        Fetch('res.payload', '(<offset>,<length>)', 'Extracts a binary block of <length> bytes and starting at byte <offset> in the response buffer', 'bin', 4),
        Fetch('res.payload_lv', '(<offset1>,<length>[,<offset2>])', 'Extracts a binary block whose size is specified at <offset1> for <length> bytes, and', 'bin', 4),
        Fetch('res.ssl_hello_type', '', 'Returns an integer value containing the type of the SSL hello message found in the response buffer', 'int', 4),
        Fetch('res.ver', '', "Returns the version string from the HTTP response, for example '1.1'", 'str', 7),
        Fetch('resp_ver', '', "Returns the version string from the HTTP response, for example '1.1' (deprecated)", 'str', 7),
        Fetch('sc0_bytes_in_rate', '([<table>])', 'Returns the average client-to-server bytes rate from the currently tracked counters', 'int', 4),
        Fetch('sc0_bytes_out_rate', '([<table>])', 'Returns the average server-to-client bytes rate from the currently tracked counters', 'int', 4),
        Fetch('sc0_clr_gpc0', '([<table>])', 'Clears the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc0_clr_gpc1', '([<table>])', 'Clears the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc0_conn_cnt', '([<table>])', 'Returns the cumulative number of incoming connections from currently tracked counters', 'int', 4),
        Fetch('sc0_conn_cur', '([<table>])', 'Returns the current amount of concurrent connections tracking the same tracked counters', 'int', 4),
        Fetch('sc0_conn_rate', '([<table>])', 'Returns the average connection rate from the currently tracked counters', 'int', 4),
        Fetch('sc0_get_gpc0', '([<table>])', 'Returns the value of the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc0_get_gpc1', '([<table>])', 'Returns the value of the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc0_get_gpt0', '([<table>])', 'Returns the value of the first General Purpose Tag associated to the currently tracked counters', 'int', 4),
        Fetch('sc0_gpc0_rate', '([<table>])', 'Returns the average increment rate of the first General Purpose Counter associated to the currently tracked', 'int', 4),
        Fetch('sc0_gpc1_rate', '([<table>])', 'Returns the average increment rate of the second General Purpose Counter associated to the currently tracked', 'int', 4),
        Fetch('sc0_http_err_cnt', '([<table>])', 'Returns the cumulative number of HTTP errors from the currently tracked counters', 'int', 4),
        Fetch('sc0_http_err_rate', '([<table>])', 'Returns the average rate of HTTP errors from the currently tracked counters', 'int', 4),
        Fetch('sc0_http_fail_cnt', '([<table>])', 'Returns the cumulative number of HTTP response failures from the currently tracked counters', 'int', 4),
        Fetch('sc0_http_fail_rate', '([<table>])', 'Returns the average rate of HTTP response failures from the currently tracked counters', 'int', 4),
        Fetch('sc0_http_req_cnt', '([<table>])', 'Returns the cumulative number of HTTP requests from the currently tracked counters', 'int', 4),
        Fetch('sc0_http_req_rate', '([<table>])', 'Returns the average rate of HTTP requests from the currently tracked counters', 'int', 4),
        Fetch('sc0_inc_gpc0', '([<table>])', 'Increments the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc0_inc_gpc1', '([<table>])', 'Increments the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc0_kbytes_in', '([<table>])', 'Returns the total amount of client-to-server data from the currently tracked counters, measured in kilobytes', 'int', 4),
        Fetch('sc0_kbytes_out', '([<table>])', 'Returns the total amount of server-to-client data from the currently tracked counters, measured in kilobytes', 'int', 4),
        Fetch('sc0_sess_cnt', '([<table>])', 'Returns the cumulative number of incoming connections that were transformed into sessions', 'int', 4),
        Fetch('sc0_sess_rate', '([<table>])', 'Returns the average session rate from the currently tracked counters', 'int', 4),
        Fetch('sc0_tracked', '([<table>])', 'Returns true if the designated session counter is currently being tracked by the current session', 'bool', 4),
        Fetch('sc0_trackers', '([<table>])', 'Returns the current amount of concurrent connections tracking the same tracked counters', 'int', 4),
        Fetch('sc1_bytes_in_rate', '([<table>])', 'Returns the average client-to-server bytes rate from the currently tracked counters', 'int', 4),
        Fetch('sc1_bytes_out_rate', '([<table>])', 'Returns the average server-to-client bytes rate from the currently tracked counters', 'int', 4),
        Fetch('sc1_clr_gpc0', '([<table>])', 'Clears the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc1_clr_gpc1', '([<table>])', 'Clears the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc1_conn_cnt', '([<table>])', 'Returns the cumulative number of incoming connections from currently tracked counters', 'int', 4),
        Fetch('sc1_conn_cur', '([<table>])', 'Returns the current amount of concurrent connections tracking the same tracked counters', 'int', 4),
        Fetch('sc1_conn_rate', '([<table>])', 'Returns the average connection rate from the currently tracked counters', 'int', 4),
        Fetch('sc1_get_gpc0', '([<table>])', 'Returns the value of the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc1_get_gpc1', '([<table>])', 'Returns the value of the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc1_get_gpt0', '([<table>])', 'Returns the value of the first General Purpose Tag associated to the currently tracked counters', 'int', 4),
        Fetch('sc1_gpc0_rate', '([<table>])', 'Returns the average increment rate of the first General Purpose Counter associated to the currently tracked', 'int', 4),
        Fetch('sc1_gpc1_rate', '([<table>])', 'Returns the average increment rate of the second General Purpose Counter associated to the currently tracked', 'int', 4),
        Fetch('sc1_http_err_cnt', '([<table>])', 'Returns the cumulative number of HTTP errors from the currently tracked counters', 'int', 4),
        Fetch('sc1_http_err_rate', '([<table>])', 'Returns the average rate of HTTP errors from the currently tracked counters', 'int', 4),
        Fetch('sc1_http_fail_cnt', '([<table>])', 'Returns the cumulative number of HTTP response failures from the currently tracked counters', 'int', 4),
        Fetch('sc1_http_fail_rate', '([<table>])', 'Returns the average rate of HTTP response failures from the currently tracked counters', 'int', 4),
        Fetch('sc1_http_req_cnt', '([<table>])', 'Returns the cumulative number of HTTP requests from the currently tracked counters', 'int', 4),
        Fetch('sc1_http_req_rate', '([<table>])', 'Returns the average rate of HTTP requests from the currently tracked counters', 'int', 4),
        Fetch('sc1_inc_gpc0', '([<table>])', 'Increments the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc1_inc_gpc1', '([<table>])', 'Increments the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc1_kbytes_in', '([<table>])', 'Returns the total amount of client-to-server data from the currently tracked counters, measured in kilobytes', 'int', 4),
        Fetch('sc1_kbytes_out', '([<table>])', 'Returns the total amount of server-to-client data from the currently tracked counters, measured in kilobytes', 'int', 4),
        Fetch('sc1_sess_cnt', '([<table>])', 'Returns the cumulative number of incoming connections that were transformed into sessions', 'int', 4),
        Fetch('sc1_sess_rate', '([<table>])', 'Returns the average session rate from the currently tracked counters', 'int', 4),
        Fetch('sc1_tracked', '([<table>])', 'Returns true if the designated session counter is currently being tracked by the current session', 'bool', 4),
        Fetch('sc1_trackers', '([<table>])', 'Returns the current amount of concurrent connections tracking the same tracked counters', 'int', 4),
        Fetch('sc2_bytes_in_rate', '([<table>])', 'Returns the average client-to-server bytes rate from the currently tracked counters', 'int', 4),
        Fetch('sc2_bytes_out_rate', '([<table>])', 'Returns the average server-to-client bytes rate from the currently tracked counters', 'int', 4),
        Fetch('sc2_clr_gpc0', '([<table>])', 'Clears the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc2_clr_gpc1', '([<table>])', 'Clears the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc2_conn_cnt', '([<table>])', 'Returns the cumulative number of incoming connections from currently tracked counters', 'int', 4),
        Fetch('sc2_conn_cur', '([<table>])', 'Returns the current amount of concurrent connections tracking the same tracked counters', 'int', 4),
        Fetch('sc2_conn_rate', '([<table>])', 'Returns the average connection rate from the currently tracked counters', 'int', 4),
        Fetch('sc2_get_gpc0', '([<table>])', 'Returns the value of the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc2_get_gpc1', '([<table>])', 'Returns the value of the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc2_get_gpt0', '([<table>])', 'Returns the value of the first General Purpose Tag associated to the currently tracked counters', 'int', 4),
        Fetch('sc2_gpc0_rate', '([<table>])', 'Returns the average increment rate of the first General Purpose Counter associated to the currently tracked', 'int', 4),
        Fetch('sc2_gpc1_rate', '([<table>])', 'Returns the average increment rate of the second General Purpose Counter associated to the currently tracked', 'int', 4),
        Fetch('sc2_http_err_cnt', '([<table>])', 'Returns the cumulative number of HTTP errors from the currently tracked counters', 'int', 4),
        Fetch('sc2_http_err_rate', '([<table>])', 'Returns the average rate of HTTP errors from the currently tracked counters', 'int', 4),
        Fetch('sc2_http_fail_cnt', '([<table>])', 'Returns the cumulative number of HTTP response failures from the currently tracked counters', 'int', 4),
        Fetch('sc2_http_fail_rate', '([<table>])', 'Returns the average rate of HTTP response failures from the currently tracked counters', 'int', 4),
        Fetch('sc2_http_req_cnt', '([<table>])', 'Returns the cumulative number of HTTP requests from the currently tracked counters', 'int', 4),
        Fetch('sc2_http_req_rate', '([<table>])', 'Returns the average rate of HTTP requests from the currently tracked counters', 'int', 4),
        Fetch('sc2_inc_gpc0', '([<table>])', 'Increments the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc2_inc_gpc1', '([<table>])', 'Increments the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc2_kbytes_in', '([<table>])', 'Returns the total amount of client-to-server data from the currently tracked counters, measured in kilobytes', 'int', 4),
        Fetch('sc2_kbytes_out', '([<table>])', 'Returns the total amount of server-to-client data from the currently tracked counters, measured in kilobytes', 'int', 4),
        Fetch('sc2_sess_cnt', '([<table>])', 'Returns the cumulative number of incoming connections that were transformed into sessions', 'int', 4),
        Fetch('sc2_sess_rate', '([<table>])', 'Returns the average session rate from the currently tracked counters', 'int', 4),
        Fetch('sc2_tracked', '([<table>])', 'Returns true if the designated session counter is currently being tracked by the current session', 'bool', 4),
        Fetch('sc2_trackers', '([<table>])', 'Returns the current amount of concurrent connections tracking the same tracked counters', 'int', 4),
        Fetch('sc_bytes_in_rate', '(<ctr>[,<table>])', 'Returns the average client-to-server bytes rate from the currently tracked counters', 'int', 4),
        Fetch('sc_bytes_out_rate', '(<ctr>[,<table>])', 'Returns the average server-to-client bytes rate from the currently tracked counters', 'int', 4),
        Fetch('sc_clr_gpc', '(<idx>,<ctr>[,<table>])', 'Clears the General Purpose Counter at the index <idx> of the array associated to the designated tracked', 'int', 4),
        Fetch('sc_clr_gpc0', '(<ctr>[,<table>])', 'Clears the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc_clr_gpc1', '(<ctr>[,<table>])', 'Clears the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc_conn_cnt', '(<ctr>[,<table>])', 'Returns the cumulative number of incoming connections from currently tracked counters', 'int', 4),
        Fetch('sc_conn_cur', '(<ctr>[,<table>])', 'Returns the current amount of concurrent connections tracking the same tracked counters', 'int', 4),
        Fetch('sc_conn_rate', '(<ctr>[,<table>])', 'Returns the average connection rate from the currently tracked counters', 'int', 4),
        Fetch('sc_get_gpc', '(<idx>,<ctr>[,<table>])', 'Returns the value of the General Purpose Counter at the index <idx> in the GPC array and associated to the', 'int', 4),
        Fetch('sc_get_gpc0', '(<ctr>[,<table>])', 'Returns the value of the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc_get_gpc1', '(<ctr>[,<table>])', 'Returns the value of the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc_get_gpt', '(<idx>,<ctr>[,<table>])', 'Returns the value of the first General Purpose Tag at the index <idx> of the array associated to the tracked', 'int', 4),
        Fetch('sc_get_gpt0', '(<ctr>[,<table>])', 'Returns the value of the first General Purpose Tag associated to the currently tracked counters', 'int', 4),
        Fetch('sc_gpc0_rate', '(<ctr>[,<table>])', 'Returns the average increment rate of the first General Purpose Counter associated to the currently tracked', 'int', 4),
        Fetch('sc_gpc1_rate', '(<ctr>[,<table>])', 'Returns the average increment rate of the second General Purpose Counter associated to the currently tracked', 'int', 4),
        Fetch('sc_gpc_rate', '(<idx>,<ctr>[,<table>])', 'Returns the average increment rate of the General Purpose Counter at the index <idx> of the array associated', 'int', 4),
        Fetch('sc_http_err_cnt', '(<ctr>[,<table>])', 'Returns the cumulative number of HTTP errors from the currently tracked counters', 'int', 4),
        Fetch('sc_http_err_rate', '(<ctr>[,<table>])', 'Returns the average rate of HTTP errors from the currently tracked counters', 'int', 4),
        Fetch('sc_http_fail_cnt', '(<ctr>[,<table>])', 'Returns the cumulative number of HTTP response failures from the currently tracked counters', 'int', 4),
        Fetch('sc_http_fail_rate', '(<ctr>[,<table>])', 'Returns the average rate of HTTP response failures from the currently tracked counters', 'int', 4),
        Fetch('sc_http_req_cnt', '(<ctr>[,<table>])', 'Returns the cumulative number of HTTP requests from the currently tracked counters', 'int', 4),
        Fetch('sc_http_req_rate', '(<ctr>[,<table>])', 'Returns the average rate of HTTP requests from the currently tracked counters', 'int', 4),
        Fetch('sc_inc_gpc', '(<idx>,<ctr>[,<table>])', 'Increments the General Purpose Counter at the index <idx> of the array associated to the designated tracked', 'int', 4),
        Fetch('sc_inc_gpc0', '(<ctr>[,<table>])', 'Increments the first General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc_inc_gpc1', '(<ctr>[,<table>])', 'Increments the second General Purpose Counter associated to the currently tracked counters', 'int', 4),
        Fetch('sc_kbytes_in', '(<ctr>[,<table>])', 'Returns the total amount of client-to-server data from the currently tracked counters, measured in kilobytes', 'int', 4),
        Fetch('sc_kbytes_out', '(<ctr>[,<table>])', 'Returns the total amount of server-to-client data from the currently tracked counters, measured in kilobytes', 'int', 4),
        Fetch('sc_sess_cnt', '(<ctr>[,<table>])', 'Returns the cumulative number of incoming connections that were transformed into sessions', 'int', 4),
        Fetch('sc_sess_rate', '(<ctr>[,<table>])', 'Returns the average session rate from the currently tracked counters', 'int', 4),
        Fetch('sc_tracked', '(<ctr>[,<table>])', 'Returns true if the designated session counter is currently being tracked by the current session', 'bool', 4),
        Fetch('sc_trackers', '(<ctr>[,<table>])', 'Returns the current amount of concurrent connections tracking the same tracked counters', 'int', 4),
        Fetch('scook', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Set-Cookie' header line from the response (deprecated)", 'str', 7),
        Fetch('scook_cnt', '([<name>])', 'Returns an integer value representing the number of occurrences of the cookie <name> in the response (deprecated)', 'int', 7),
        Fetch('scook_val', '([<name>])', "Extracts the last occurrence of the cookie name <name> on a 'Set-Cookie' header line from the response (deprecated)", 'int', 7),
        *(Fetch(f'scook_{suffix}', '([<name>])', f'{what} on scook (deprecated)', suffix, 7)
          for suffix, what in _ACL_SHORTHANDS),
        *(Fetch(f'shdr_{suffix}', '([<name>[,<occ>]])', f'{what} on shdr (deprecated)', suffix, 7)
          for suffix, what in _ACL_SHORTHANDS),
        Fetch('shdr', '([<name>[,<occ>]])', 'This fetch works like the req.hdr() fetch with the difference that it acts on the headers within an HTTP (deprecated)', 'str', 7),
        Fetch('shdr_cnt', '([<name>])', 'This fetch works like the req.hdr_cnt() fetch with the difference that it acts on the headers within an HTTP (deprecated)', 'int', 7),
        Fetch('shdr_ip', '([<name>[,<occ>]])', 'This fetch works like the req.hdr_ip() fetch with the difference that it acts on the headers within an HTTP (deprecated)', 'ip', 7),
        Fetch('shdr_val', '([<name>[,<occ>]])', 'This fetch works like the req.hdr_val() fetch with the difference that it acts on the headers within an HTTP (deprecated)', 'int', 7),
        Fetch('so_id', '', "Returns an integer containing the current listening socket's id", 'int', 4),
        Fetch('so_name', '', "Returns a string containing the current listening socket's name, as defined with name on a 'bind' line", 'str', 4),
        Fetch('src', '', 'Is the source IP address of the client of the session', 'ip', 4),
        Fetch('src_bytes_in_rate', '([<table>])', "Returns the average bytes rate from the incoming connection's source address in the current proxy's", 'int', 4),
        Fetch('src_bytes_out_rate', '([<table>])', "Returns the average bytes rate to the incoming connection's source address in the current proxy's stick-table", 'int', 4),
        Fetch('src_clr_gpc', '(<idx>,[<table>])', "Clears the General Purpose Counter at the index <idx> of the array associated to the incoming connection's", 'int', 4),
        Fetch('src_clr_gpc0', '([<table>])', "Clears the first General Purpose Counter associated to the incoming connection's source address in the", 'int', 4),
        Fetch('src_clr_gpc1', '([<table>])', "Clears the second General Purpose Counter associated to the incoming connection's source address in the", 'int', 4),
        Fetch('src_conn_cnt', '([<table>])', "Returns the cumulative number of connections initiated from the current incoming connection's source address", 'int', 4),
        Fetch('src_conn_cur', '([<table>])', "Returns the current amount of concurrent connections initiated from the current incoming connection's source", 'int', 4),
        Fetch('src_conn_rate', '([<table>])', "Returns the average connection rate from the incoming connection's source address in the current proxy's", 'int', 4),
        Fetch('src_get_gpc', '(<idx>,[<table>])', 'Returns the value of the General Purpose Counter at the index <idx> of the array associated to the incoming', 'int', 4),
        Fetch('src_get_gpc0', '([<table>])', "Returns the value of the first General Purpose Counter associated to the incoming connection's source address", 'int', 4),
        Fetch('src_get_gpc1', '([<table>])', "Returns the value of the second General Purpose Counter associated to the incoming connection's source", 'int', 4),
        Fetch('src_get_gpt', '(<idx>[,<table>])', 'Returns the value of the first General Purpose Tag at the index <idx> of the array associated to the incoming', 'int', 4),
        Fetch('src_get_gpt0', '([<table>])', "Returns the value of the first General Purpose Tag associated to the incoming connection's source address in", 'int', 4),
        Fetch('src_gpc0_rate', '([<table>])', 'Returns the average increment rate of the first General Purpose Counter associated to the incoming', 'int', 4),
        Fetch('src_gpc1_rate', '([<table>])', 'Returns the average increment rate of the second General Purpose Counter associated to the incoming', 'int', 4),
        Fetch('src_gpc_rate', '(<idx>[,<table>])', 'Returns the average increment rate of the General Purpose Counter at the index <idx> of the array associated', 'int', 4),
        Fetch('src_http_err_cnt', '([<table>])', "Returns the cumulative number of HTTP errors from the incoming connection's source address in the current", 'int', 4),
        Fetch('src_http_err_rate', '([<table>])', "Returns the average rate of HTTP errors from the incoming connection's source address in the current proxy's", 'int', 4),
        Fetch('src_http_fail_cnt', '([<table>])', "Returns the cumulative number of HTTP response failures triggered by the incoming connection's source address", 'int', 4),
        Fetch('src_http_fail_rate', '([<table>])', "Returns the average rate of HTTP response failures triggered by the incoming connection's source address in", 'int', 4),
        Fetch('src_http_req_cnt', '([<table>])', "Returns the cumulative number of HTTP requests from the incoming connection's source address in the current", 'int', 4),
        Fetch('src_http_req_rate', '([<table>])', "Returns the average rate of HTTP requests from the incoming connection's source address in the current", 'int', 4),
        Fetch('src_inc_gpc', '(<idx>,[<table>])', "Increments the General Purpose Counter at index <idx> of the array associated to the incoming connection's", 'int', 4),
        Fetch('src_inc_gpc0', '([<table>])', "Increments the first General Purpose Counter associated to the incoming connection's source address in the", 'int', 4),
        Fetch('src_inc_gpc1', '([<table>])', "Increments the second General Purpose Counter associated to the incoming connection's source address in the", 'int', 4),
        Fetch('src_is_local', '', 'Returns true if the source address of the incoming connection is local to the system', 'bool', 4),
        Fetch('src_kbytes_in', '([<table>])', "Returns the total amount of data received from the incoming connection's source address in the current", 'int', 4),
        Fetch('src_kbytes_out', '([<table>])', "Returns the total amount of data sent to the incoming connection's source address in the current proxy's", 'int', 4),
        Fetch('src_port', '', 'Returns an integer value corresponding to the TCP source port of the connection on the client side', 'int', 4),
        Fetch('src_sess_cnt', '([<table>])', "Returns the cumulative number of connections initiated from the incoming connection's source IPv4 address in", 'int', 4),
        Fetch('src_sess_rate', '([<table>])', "Returns the average session rate from the incoming connection's source address in the current proxy's", 'int', 4),
        Fetch('src_updt_conn_cnt', '([<table>])', "Creates or updates the entry associated to the incoming connection's source address in the current proxy's", 'int', 4),
        Fetch('srv_conn', '([<backend>/]<server>)', 'Returns an integer value corresponding to the number of currently established connections on the designated', 'int', 4),
        Fetch('srv_conn_free', '([<backend>/]<server>)', 'Returns an integer value corresponding to the number of available connections on the designated server', 'int', 4),
        Fetch('srv_id', '', "Returns an integer containing the server's id when processing the response", 'int', 4),
        Fetch('srv_is_up', '([<backend>/]<server>)', 'Returns true when the designated server is UP, and false when it is either DOWN or in maintenance mode', 'bool', 4),
        Fetch('srv_iweight', '([<backend>/]<server>)', "Returns an integer corresponding to the server's initial weight", 'int', 4),
        Fetch('srv_name', '', "Returns a string containing the server's name when processing the response", 'str', 4),
        Fetch('srv_queue', '([<backend>/]<server>)', 'Returns an integer value corresponding to the number of connections currently pending in the designated', 'int', 4),
        Fetch('srv_sess_rate', '([<backend>/]<server>)', 'Returns an integer corresponding to the sessions creation rate on the designated server', 'int', 4),
        Fetch('srv_uweight', '([<backend>/]<server>)', "Returns an integer corresponding to the user visible server's weight", 'int', 4),
        Fetch('srv_weight', '([<backend>/]<server>)', "Returns an integer corresponding to the current (or effective) server's weight", 'int', 4),
        Fetch('ssl_bc', '', 'Returns true when the back connection was made via an SSL/TLS transport layer and is locally deciphered', 'bool', 4),
        Fetch('ssl_bc_alg_keysize', '', 'Returns the symmetric cipher key size supported in bits', 'int', 4),
        Fetch('ssl_bc_alpn', '', 'Extracts the Application Layer Protocol Negotiation field from an outgoing connection made via a TLS', 'str', 4),
        Fetch('ssl_bc_cipher', '', 'Returns the name of the used cipher when the outgoing connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_bc_client_random', '', 'Returns the client random of the back connection', 'bin', 4),
        Fetch('ssl_bc_err', '', 'When the outgoing connection was made over an SSL/TLS transport layer', 'int', 4),
        Fetch('ssl_bc_err_str', '', 'When the outgoing connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_bc_is_resumed', '', 'Returns true when the back connection was made over an SSL/TLS transport layer and the newly created SSL', 'bool', 4),
        Fetch('ssl_bc_npn', '', 'Extracts the Next Protocol Negotiation field from an outgoing connection made via a TLS transport layer', 'str', 4),
        Fetch('ssl_bc_protocol', '', 'Returns the name of the used protocol when the outgoing connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_bc_server_random', '', 'Returns the server random of the back connection', 'bin', 4),
        Fetch('ssl_bc_session_id', '', 'Returns the SSL ID of the back connection', 'bin', 4),
        Fetch('ssl_bc_session_key', '', 'Returns the SSL session master key of the back connection', 'bin', 4),
        Fetch('ssl_bc_unique_id', '', 'When the outgoing connection was made over an SSL/TLS transport layer', 'bin', 4),
        Fetch('ssl_bc_use_keysize', '', 'Returns the symmetric cipher key size used in bits', 'int', 4),
        Fetch('ssl_c_ca_err', '', 'When the incoming connection was made over an SSL/TLS transport layer', 'int', 4),
        Fetch('ssl_c_ca_err_depth', '', 'When the incoming connection was made over an SSL/TLS transport layer', 'int', 4),
        Fetch('ssl_c_chain_der', '', 'Returns the DER formatted chain certificate presented by the client', 'bin', 4),
        Fetch('ssl_c_der', '', 'Returns the DER formatted certificate presented by the client', 'bin', 4),
        Fetch('ssl_c_err', '', 'When the incoming connection was made over an SSL/TLS transport layer', 'int', 4),
        Fetch('ssl_c_i_dn', '([<entry>[,<occ>[,<format>]]])', 'When the incoming connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_c_key_alg', '', 'Returns the name of the algorithm used to generate the key of the certificate presented by the client', 'str', 4),
        Fetch('ssl_c_notafter', '', 'Returns the end date presented by the client as a formatted string YYMMDDhhmmss[Z]', 'str', 4),
        Fetch('ssl_c_notbefore', '', 'Returns the start date presented by the client as a formatted string YYMMDDhhmmss[Z]', 'str', 4),
        Fetch('ssl_c_s_dn', '([<entry>[,<occ>[,<format>]]])', 'When the incoming connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_c_serial', '', 'Returns the serial of the certificate presented by the client', 'bin', 4),
        Fetch('ssl_c_sha1', '', 'Returns the SHA-1 fingerprint of the certificate presented by the client', 'bin', 4),
        Fetch('ssl_c_sig_alg', '', 'Returns the name of the algorithm used to sign the certificate presented by the client', 'str', 4),
        Fetch('ssl_c_used', '', 'Returns true if current SSL session uses a client certificate even', 'bool', 4),
        Fetch('ssl_c_verify', '', 'Returns the verify result error ID when the incoming connection was made over an SSL/TLS transport layer', 'int', 4),
        Fetch('ssl_c_version', '', 'Returns the version of the certificate presented by the client', 'int', 4),
        Fetch('ssl_f_der', '', 'Returns the DER formatted certificate presented by the frontend', 'bin', 4),
        Fetch('ssl_f_i_dn', '([<entry>[,<occ>[,<format>]]])', 'When the incoming connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_f_key_alg', '', 'Returns the name of the algorithm used to generate the key of the certificate presented by the frontend', 'str', 4),
        Fetch('ssl_f_notafter', '', 'Returns the end date presented by the frontend as a formatted string YYMMDDhhmmss[Z]', 'str', 4),
        Fetch('ssl_f_notbefore', '', 'Returns the start date presented by the frontend as a formatted string YYMMDDhhmmss[Z]', 'str', 4),
        Fetch('ssl_f_s_dn', '([<entry>[,<occ>[,<format>]]])', 'When the incoming connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_f_serial', '', 'Returns the serial of the certificate presented by the frontend', 'bin', 4),
        Fetch('ssl_f_sha1', '', 'Returns the SHA-1 fingerprint of the certificate presented by the frontend', 'bin', 4),
        Fetch('ssl_f_sig_alg', '', 'Returns the name of the algorithm used to sign the certificate presented by the frontend', 'str', 4),
        Fetch('ssl_f_version', '', 'Returns the version of the certificate presented by the frontend', 'int', 4),
        Fetch('ssl_fc', '', 'Returns true when the front connection was made via an SSL/TLS transport layer and is locally deciphered', 'bool', 4),
        Fetch('ssl_fc_alg_keysize', '', 'Returns the symmetric cipher key size supported in bits', 'int', 4),
        Fetch('ssl_fc_alpn', '', 'Extracts the Application Layer Protocol Negotiation field from an incoming connection made via a TLS', 'str', 4),
        Fetch('ssl_fc_cipher', '', 'Returns the name of the used cipher when the incoming connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_fc_cipherlist_bin', '([<filter_option>])', 'Returns the binary form of the client hello cipher list', 'bin', 4),
        Fetch('ssl_fc_cipherlist_hex', '([<filter_option>])', 'Returns the binary form of the client hello cipher list encoded as hexadecimal', 'str', 4),
        Fetch('ssl_fc_cipherlist_str', '([<filter_option>])', 'Returns the decoded text form of the client hello cipher list', 'str', 4),
        Fetch('ssl_fc_cipherlist_xxh', '', 'Returns a xxh64 of the cipher list', 'int', 4),
        Fetch('ssl_fc_client_early_traffic_secret', '', 'Return the CLIENT_EARLY_TRAFFIC_SECRET as an hexadecimal string for the front connection', 'str', 4),
        Fetch('ssl_fc_client_handshake_traffic_secret', '', 'Return the CLIENT_HANDSHAKE_TRAFFIC_SECRET as an hexadecimal string for the front connection', 'str', 4),
        Fetch('ssl_fc_client_random', '', 'Returns the client random of the front connection', 'bin', 4),
        Fetch('ssl_fc_client_traffic_secret_0', '', 'Return the CLIENT_TRAFFIC_SECRET_0 as an hexadecimal string for the front connection', 'str', 4),
        Fetch('ssl_fc_early_exporter_secret', '', 'Return the EARLY_EXPORTER_SECRET as an hexadecimal string for the front connection', 'str', 4),
        Fetch('ssl_fc_ecformats_bin', '', 'Return the binary form of the client hello supported elliptic curve point formats', 'bin', 4),
        Fetch('ssl_fc_eclist_bin', '([<filter_option>])', 'Returns the binary form of the client hello supported elliptic curves', 'bin', 4),
        Fetch('ssl_fc_err', '', 'When the incoming connection was made over an SSL/TLS transport layer', 'int', 4),
        Fetch('ssl_fc_err_str', '', 'When the incoming connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_fc_exporter_secret', '', 'Return the EXPORTER_SECRET as an hexadecimal string for the front connection', 'str', 4),
        Fetch('ssl_fc_extlist_bin', '([<filter_option>])', 'Returns the binary form of the client hello extension list', 'bin', 4),
        Fetch('ssl_fc_has_crt', '', 'Returns true if a client certificate is present in an incoming connection over SSL/TLS transport layer', 'bool', 4),
        Fetch('ssl_fc_has_early', '', "Returns true if early data were sent, and the handshake didn't happen yet", 'bool', 4),
        Fetch('ssl_fc_has_sni', '', 'Checks for the presence of a Server Name Indication TLS extension', 'bool', 4),
        Fetch('ssl_fc_is_resumed', '', 'Returns true if the SSL/TLS session has been resumed through the use of SSL session cache or TLS tickets on', 'bool', 4),
        Fetch('ssl_fc_npn', '', 'Extracts the Next Protocol Negotiation field from an incoming connection made via a TLS transport layer', 'str', 4),
        Fetch('ssl_fc_protocol', '', 'Returns the name of the used protocol when the incoming connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_fc_protocol_hello_id', '', 'The version of the TLS protocol by which the client wishes to communicate during the session as indicated in', 'int', 4),
        Fetch('ssl_fc_server_handshake_traffic_secret', '', 'Return the SERVER_HANDSHAKE_TRAFFIC_SECRET as an hexadecimal string for the front connection', 'str', 4),
        Fetch('ssl_fc_server_random', '', 'Returns the server random of the front connection', 'bin', 4),
        Fetch('ssl_fc_server_traffic_secret_0', '', 'Return the SERVER_TRAFFIC_SECRET_0 as an hexadecimal string for the front connection', 'str', 4),
        Fetch('ssl_fc_session_id', '', 'Returns the SSL ID of the front connection', 'bin', 4),
        Fetch('ssl_fc_session_key', '', 'Returns the SSL session master key of the front connection', 'bin', 4),
        Fetch('ssl_fc_sni', '', 'Extracts the Server Name Indication TLS extension', 'str', 4),
        Fetch('ssl_fc_sni_end', '', 'Suffix match on ssl_fc_sni', 'end', 4),
        Fetch('ssl_fc_sni_reg', '', 'Regex match on ssl_fc_sni', 'reg', 4),
        Fetch('ssl_fc_unique_id', '', 'When the incoming connection was made over an SSL/TLS transport layer', 'bin', 4),
        Fetch('ssl_fc_use_keysize', '', 'Returns the symmetric cipher key size used in bits', 'int', 4),
        Fetch('ssl_s_chain_der', '', 'Returns the DER formatted chain certificate presented by the server', 'bin', 4),
        Fetch('ssl_s_der', '', 'Returns the DER formatted certificate presented by the server', 'bin', 4),
        Fetch('ssl_s_i_dn', '([<entry>[,<occ>[,<format>]]])', 'When the outgoing connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_s_key_alg', '', 'Returns the name of the algorithm used to generate the key of the certificate presented by the server', 'str', 4),
        Fetch('ssl_s_notafter', '', 'Returns the end date presented by the server as a formatted string YYMMDDhhmmss[Z]', 'str', 4),
        Fetch('ssl_s_notbefore', '', 'Returns the start date presented by the server as a formatted string YYMMDDhhmmss[Z]', 'str', 4),
        Fetch('ssl_s_s_dn', '([<entry>[,<occ>[,<format>]]])', 'When the outgoing connection was made over an SSL/TLS transport layer', 'str', 4),
        Fetch('ssl_s_serial', '', 'Returns the serial of the certificate presented by the server', 'bin', 4),
        Fetch('ssl_s_sha1', '', 'Returns the SHA-1 fingerprint of the certificate presented by the server', 'bin', 4),
        Fetch('ssl_s_sig_alg', '', 'Returns the name of the algorithm used to sign the certificate presented by the server', 'str', 4),
        Fetch('ssl_s_version', '', 'Returns the version of the certificate presented by the server', 'int', 4),
        Fetch('status', '', 'Returns an integer containing the HTTP status code in the HTTP response, for example, 302', 'int', 7),
        Fetch('stopping', '', 'Returns TRUE if the process calling the function is currently stopping', 'bool', 4),
        Fetch('str', '(<string>)', 'Returns a string', 'str', 4),
        Fetch('table_avl', '([<table>])', "Returns the total number of available entries in the current proxy's stick-table or in the designated", 'int', 4),
        Fetch('table_cnt', '([<table>])', "Returns the total number of entries currently in use in the current proxy's stick-table or in the designated", 'int', 4),
        Fetch('thread', '', 'Returns an integer value corresponding to the position of the thread calling the function', 'int', 4),
        Fetch('url', '', "Extracts the request's URL as presented in the request", 'str', 7),
        Fetch('url32', '', 'Returns a 32-bit hash of the value obtained by concatenating the first Host header and the whole URL', 'int', 7),
        Fetch('url_beg', '', 'Prefix match on url', 'beg', 7),
        Fetch('url_dir', '', 'Subdir match on url', 'dir', 7),
        Fetch('url_dom', '', 'Domain match on url', 'dom', 7),
        Fetch('url_end', '', 'Suffix match on url', 'end', 7),
        Fetch('url_ip', '', "Extracts the IP address from the request's URL when the host part is presented as an IP address", 'ip', 7),
        Fetch('url_len', '', 'Length match on url', 'len', 7),
        Fetch('url_param', '([<name>[,<delim>]])', 'Extracts the first occurrence of the parameter <name> in the query string', 'str', 7),
        Fetch('url_port', '', "Extracts the port part from the request's URL", 'int', 7),
        Fetch('url_reg', '', 'Regex match on url', 'reg', 7),
        Fetch('url_sub', '', 'Substring match on url', 'sub', 7),
        Fetch('urlp', '([<name>[,<delim>]])', 'Extracts the first occurrence of the parameter <name> in the query string', 'str', 7),
        Fetch('urlp_beg', '(<name>[,<delim>])', 'Prefix match on url_param', 'beg', 7),
        Fetch('urlp_dir', '(<name>[,<delim>])', 'Subdir match on url_param', 'dir', 7),
        Fetch('urlp_dom', '(<name>[,<delim>])', 'Domain match on url_param', 'dom', 7),
        Fetch('urlp_end', '(<name>[,<delim>])', 'Suffix match on url_param', 'end', 7),
        Fetch('urlp_len', '(<name>[,<delim>])', 'Length match on url_param', 'len', 7),
        Fetch('urlp_reg', '(<name>[,<delim>])', 'Regex match on url_param', 'reg', 7),
        Fetch('urlp_sub', '(<name>[,<delim>])', 'Substring match on url_param', 'sub', 7),
        Fetch('urlp_val', '([<name>[,<delim>]])', "See 'urlp' above", 'int', 7),
        Fetch('uuid', '([<version>])', 'Returns a UUID following the RFC4122 standard', 'str', 4),
        Fetch('var', '(<var-name>[,<default>])', 'Returns a variable with the stored type', 'str', 4),
        Fetch('wait_end', '', 'This fetch either returns true when the inspection period is over, or does not fetch', 'bool', 4),
        # Registered by the 2.6 binary (haproxy -dKsmp) but not in the manual's fetch lists:
        Fetch('base32+src', '', "The 'base32' hash followed by the client's source address, as binary", 'bin', 7),
        Fetch('url32+src', '', "The 'url32' hash followed by the client's source address, as binary", 'bin', 7),
        Fetch('unique-id', '', "The request's unique ID, built from 'unique-id-format'", 'str', 7),
        Fetch('nbproc', '', 'The number of processes (always 1 since HAProxy 2.5)', 'int', 4),
        Fetch('sc1_clr_gpc', '(<idx>[,<table>])', 'Clears a General Purpose Counter of the counters tracked by sc1', 'int', 4),
        Fetch('fcgi.docroot', '', "The 'docroot' of the FastCGI application in use", 'str', 7),
        Fetch('fcgi.index', '', "The 'index' of the FastCGI application in use", 'str', 7),
        *(Fetch(name, '', 'Internal HTX inspection (HAProxy developers)', 'int', 7) for name in (
            'internal.htx.data', 'internal.htx.free', 'internal.htx.free_data', 'internal.htx.has_eom',
            'internal.htx.nbblks', 'internal.htx.size', 'internal.htx.used', 'internal.htx_blk.data',
            'internal.htx_blk.hdrname', 'internal.htx_blk.hdrval', 'internal.htx_blk.size',
            'internal.htx_blk.start_line', 'internal.htx_blk.type', 'internal.strm.is_htx')),
    )
}
#: ACL keywords that are no sample fetch: the matching-method shorthands ('path_beg' is
#: 'path -m beg') and a few aliases.  An ACL takes them; a '%[...]' expression does not
#: ("unknown fetch method 'path_beg'").  From the binary: the names of FETCHES that
#: haproxy -dKsmp does not list.
ACL_ONLY_FETCHES: frozenset[str] = frozenset(
    name for name in FETCHES
    if name.rsplit('_', 1)[-1] in ('beg', 'dir', 'dom', 'end', 'len', 'reg', 'sub') and name.rsplit('_', 1)[0] in (
        'base', 'cook', 'hdr', 'path', 'scook', 'shdr', 'url', 'urlp', 'ssl_fc_sni')
)

#: "-m <method>" pattern matching methods -> doc (§7.1).
MATCHERS: dict[str, str] = {
    "found": "Only check that the sample could be found; takes no pattern",
    "bool": "Match the sample as a boolean (non-zero is true); takes no pattern",
    "int": "Match the sample as an integer or integer range",
    "ip": "Match the sample as an IPv4/IPv6 address or network",
    "bin": "Match the sample against a hexadecimal block",
    "len": "Match the sample's length as an integer",
    "str": "Exact string match",
    "sub": "Substring match",
    "reg": "Regular expression match",
    "beg": "Prefix match",
    "end": "Suffix match",
    "dir": "Subdir match: a slash-delimited part of the sample equals the pattern",
    "dom": "Domain match: a dot-delimited part of the sample equals the pattern",
}

#: ACL flags -> number of following words they consume (§7.1).
ACL_FLAGS: dict[str, int] = {
    "-i": 0,  # ignore case for the following patterns
    "-f": 1,  # load patterns from a file
    "-m": 1,  # use a specific pattern matching method
    "-n": 0,  # forbid DNS resolutions
    "-M": 0,  # load the -f file as a map
    "-u": 1,  # force the ACL's unique id
    "--": 0,  # end of flags
}


# --- rule actions (§4.2) ------------------------------------------------------
# action -> "synopsis — doc"; keyed by the bare action name ("set-var" for
# "set-var(<var-name>)", "track-sc0"...).  Conditions are left out of synopses.

HTTP_REQUEST_ACTIONS: dict[str, str] = {
    'add-acl': 'add-acl(<file-name>) <key fmt> — Add a new entry into an ACL',
    'add-header': 'add-header <name> <fmt> — Appends an HTTP header field whose name is specified in <name> and whose value is defined by <fmt>',
    'allow': 'allow — Stops the evaluation of the rules and lets the request pass the check',
    'auth': 'auth [realm <realm>] — Stops the evaluation of the rules and immediately responds with an HTTP 401 or 407 error code to invite',
    'cache-use': 'cache-use <name> — Serve the response from the named cache if it is there (see §6.2)',
    'capture': 'capture <sample> [ len <length> | id <id> ] — Captures sample expression <sample> from the request buffer',
    'del-acl': 'del-acl(<file-name>) <key fmt> — Delete an entry from an ACL',
    'del-header': 'del-header <name> [ -m <meth> ] — Removes all HTTP header fields whose name is specified in <name>. <meth> is the matching method',
    'del-map': 'del-map(<file-name>) <key fmt> — Delete an entry from a MAP',
    'deny': 'deny [ { status | deny_status } <code>] ... — Stop evaluating rules and reject with an HTTP error (403 by default)',
    'disable-l7-retry': 'disable-l7-retry — Disables any attempt to retry the request if it fails for any other reason than a connection failure',
    'do-resolve': 'do-resolve(<var>,<resolvers>,[ipv4,ipv6]) <expr> — Performs a DNS resolution of the output of <expr> and stores the result in the variable <var>',
    'early-hint': 'early-hint <name> <fmt> — Build an HTTP 103 Early Hints response prior to any other one',
    'normalize-uri': "normalize-uri <normalizer> — Performs normalization of the request's URI",
    'redirect': 'redirect <rule> — Performs an HTTP redirection based on a redirect rule',
    'reject': 'reject — Stops the evaluation of the rules and immediately closes the connection without sending any response',
    'replace-header': 'replace-header <name> <match-regex> <replace-fmt> — Matches the value of all occurrences of header field <name> against <match-regex>',
    'replace-path': "replace-path <match-regex> <replace-fmt> — Works like 'replace-header' except that it works on the request's path component instead of a header",
    'replace-pathq': "replace-pathq <match-regex> <replace-fmt> — Does the same as 'http-request replace-path' except that the path contains the query-string",
    'replace-uri': "replace-uri <match-regex> <replace-fmt> — Works like 'replace-header' except that it works on the request's URI part instead of a header",
    'replace-value': "replace-value <name> <match-regex> <replace-fmt> — Works like 'replace-header' except that it matches the regex against every comma-delimited value of the",
    'return': 'return [status <code>] [content-type <type>] ... — Stop evaluating rules and return a custom response',
    'sc-inc-gpc': 'sc-inc-gpc(<idx>,<sc-id>) — Increments the General Purpose Counter at the index <idx> of the array associated to the sticky',
    'sc-inc-gpc0': 'sc-inc-gpc0(<sc-id>) — Increments the GPC0 or GPC1 counter according with the sticky counter designated by <sc-id>',
    'sc-inc-gpc1': 'sc-inc-gpc1(<sc-id>) — Increments the GPC0 or GPC1 counter according with the sticky counter designated by <sc-id>',
    'sc-set-gpt': 'sc-set-gpt(<idx>,<sc-id>) { <int> | <expr> } — Sets the 32-bit unsigned GPT at the index <idx> of the array associated to the sticky counter',
    'sc-set-gpt0': 'sc-set-gpt0(<sc-id>) { <int> | <expr> } — Sets the 32-bit unsigned GPT0 tag according to the sticky counter designated by <sc-id> and the',
    'send-spoe-group': 'send-spoe-group <engine-name> <group-name> — Is used to trigger sending of a group of SPOE messages',
    'set-dst': 'set-dst <expr> — Set the destination IP address to the value of specified expression',
    'set-dst-port': 'set-dst-port <expr> — Set the destination port address to the value of specified expression',
    'set-header': "set-header <name> <fmt> — Does the same as 'http-request add-header' except that the header name is first removed if it existed",
    'set-log-level': 'set-log-level <level> — Change the log level of the current request when a certain condition is met',
    'set-map': 'set-map(<file-name>) <key fmt> <value fmt> — Add a new entry into a MAP',
    'set-mark': 'set-mark <mark> — Set the Netfilter/IPFW MARK on all packets sent to the client to the value passed in <mark>',
    'set-method': 'set-method <fmt> — Rewrites the request method with the result of the evaluation of format string <fmt>',
    'set-nice': "set-nice <nice> — Sets the 'nice' factor of the current request being processed",
    'set-path': 'set-path <fmt> — Rewrites the request path with the result of the evaluation of format string <fmt>',
    'set-pathq': "set-pathq <fmt> — Does the same as 'http-request set-path' except that the query-string is also rewritten",
    'set-priority-class': 'set-priority-class <expr> — Set the queue priority class of the current request',
    'set-priority-offset': 'set-priority-offset <expr> — Set the queue priority timestamp offset of the current request',
    'set-query': "set-query <fmt> — Rewrites the request's query string which appears after the first question mark",
    'set-src': 'set-src <expr> — Set the source IP address to the value of specified expression',
    'set-src-port': 'set-src-port <expr> — Set the source port address to the value of specified expression',
    'set-timeout': "set-timeout { server | tunnel } { <timeout> | <expr> } — Overrides the specified 'server' or 'tunnel' timeout for the current stream only",
    'set-tos': 'set-tos <tos> — Set the TOS or DSCP field value of packets sent to the client to the value passed in <tos> on',
    'set-uri': 'set-uri <fmt> — Rewrites the request URI with the result of the evaluation of format string <fmt>',
    'set-var': 'set-var(<var-name>[,<cond>...]) <expr> — Set the contents of a variable',
    'set-var-fmt': 'set-var-fmt(<var-name>[,<cond>...]) <fmt> — Set the contents of a variable',
    'silent-drop': 'silent-drop — Stops the evaluation of the rules and makes the client-facing connection suddenly disappear using a',
    'strict-mode': 'strict-mode { on | off } — Enables or disables the strict rewriting mode for following rules',
    'tarpit': "tarpit [ { status | deny_status } <code>] ... — Stop evaluating rules and hold the connection for 'timeout tarpit' before answering an error (500 by default)",
    'track-sc0': 'track-sc0 <key> [table <table>] — Enables tracking of sticky counters from current request',
    'track-sc1': 'track-sc1 <key> [table <table>] — Enables tracking of sticky counters from current request',
    'track-sc2': 'track-sc2 <key> [table <table>] — Enables tracking of sticky counters from current request',
    'unset-var': 'unset-var(<var-name>) — Unset a variable',
    'use-service': 'use-service <service-name> — Executes the configured HTTP service to reply to the request and stops the evaluation of the',
    'wait-for-body': 'wait-for-body time <time> [ at-least <bytes> ] — This will delay the processing of the request waiting for the payload for at most <time> milliseconds.',
    'wait-for-handshake': 'wait-for-handshake — This will delay the processing of the request until the SSL handshake happened',
}

HTTP_RESPONSE_ACTIONS: dict[str, str] = {
    'add-acl': 'add-acl(<file-name>) <key fmt> — Add a new entry into an ACL',
    'add-header': 'add-header <name> <fmt> — Appends an HTTP header field whose name is specified in <name> and whose value is defined by <fmt>',
    'allow': 'allow — Stops the evaluation of the rules and lets the response pass the check',
    'cache-store': 'cache-store <name> — Store the response in the named cache (see §6.2)',
    'capture': 'capture <sample> id <id> — Captures sample expression <sample> from the response buffer, and converts it to a string',
    'del-acl': 'del-acl(<file-name>) <key fmt> — Delete an entry from an ACL',
    'del-header': 'del-header <name> [ -m <meth> ] — Removes all HTTP header fields whose name is specified in <name>',
    'del-map': 'del-map(<file-name>) <key fmt> — Delete an entry from a MAP',
    'deny': 'deny [ { status | deny_status } <code>] ... — Stop evaluating rules and reject with an HTTP error (403 by default)',
    'redirect': 'redirect <rule> — Performs an HTTP redirection based on a redirect rule',
    'replace-header': "replace-header <name> <regex-match> <replace-fmt> — Works like 'http-request replace-header' except that it works on the server's response instead of the",
    'replace-value': "replace-value <name> <regex-match> <replace-fmt> — Works like 'http-request replace-value' except that it works on the server's response instead of the",
    'return': 'return [status <code>] [content-type <type>] ... — Stop evaluating rules and return a custom response',
    'sc-inc-gpc': 'sc-inc-gpc(<idx>,<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
    'sc-inc-gpc0': 'sc-inc-gpc0(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
    'sc-inc-gpc1': 'sc-inc-gpc1(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
    'sc-set-gpt': 'sc-set-gpt(<idx>,<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
    'sc-set-gpt0': 'sc-set-gpt0(<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
    'send-spoe-group': 'send-spoe-group <engine-name> <group-name> — Is used to trigger sending of a group of SPOE messages',
    'set-header': "set-header <name> <fmt> — Does the same as 'http-response add-header' except that the header name is first removed if it existed",
    'set-log-level': 'set-log-level <level> — Change the log level of the current response',
    'set-map': 'set-map(<file-name>) <key fmt> <value fmt> — Add a new entry into a MAP',
    'set-mark': 'set-mark <mark> — Is used to set the Netfilter/IPFW MARK in all packets sent to the client to the value passed in',
    'set-nice': "set-nice <nice> — Sets the 'nice' factor of the current request being processed",
    'set-status': 'set-status <status> [reason <str>] — Replaces the response status code with <status> which must be an integer between 100 and 999',
    'set-tos': 'set-tos <tos> — Set the TOS or DSCP field value of packets sent to the client to the value passed in <tos> on',
    'set-var': 'set-var(<var-name>[,<cond>...]) <expr> — Set the contents of a variable',
    'set-var-fmt': 'set-var-fmt(<var-name>[,<cond>...]) <fmt> — Set the contents of a variable',
    'silent-drop': 'silent-drop — Stops the evaluation of the rules and makes the client-facing connection suddenly disappear using a',
    'strict-mode': 'strict-mode { on | off } — Enables or disables the strict rewriting mode for following rules',
    'track-sc0': 'track-sc0 <key> [table <table>] — Enables tracking of sticky counters from current connection',
    'track-sc1': 'track-sc1 <key> [table <table>] — Enables tracking of sticky counters from current connection',
    'track-sc2': 'track-sc2 <key> [table <table>] — Enables tracking of sticky counters from current connection',
    'unset-var': 'unset-var(<var-name>) — Unset a variable',
    'wait-for-body': 'wait-for-body time <time> [ at-least <bytes> ] — This will delay the processing of the response waiting for the payload for at most <time> milliseconds',
}

HTTP_AFTER_RESPONSE_ACTIONS: dict[str, str] = {
    'add-header': 'add-header <name> <fmt> — Appends an HTTP header field whose name is specified in <name> and whose value is defined by <fmt>',
    'allow': 'allow — Stops the evaluation of the rules and lets the response pass the check',
    'capture': 'capture <sample> id <id> — Captures sample expression <sample> from the response buffer, and converts it to a string',
    'del-header': 'del-header <name> [ -m <meth> ] — Removes all HTTP header fields whose name is specified in <name>',
    'replace-header': "replace-header <name> <regex-match> <replace-fmt> — Works like 'http-response replace-header'",
    'replace-value': "replace-value <name> <regex-match> <replace-fmt> — Works like 'http-response replace-value'",
    'set-header': "set-header <name> <fmt> — Does the same as 'http-after-response add-header' except that the header name is first removed",
    'set-status': 'set-status <status> [reason <str>] — Replaces the response status code with <status> which must be an integer between 100 and 999',
    'set-var': 'set-var(<var-name>[,<cond>...]) <expr> — Set the contents of a variable',
    'set-var-fmt': 'set-var-fmt(<var-name>[,<cond>...]) <fmt> — Set the contents of a variable',
    'strict-mode': 'strict-mode { on | off } — Enables or disables the strict rewriting mode for following rules',
    'unset-var': 'unset-var(<var-name>) — Unset a variable',
}

TCP_REQUEST_ACTIONS: dict[str, dict[str, str]] = {
    "connection": {
        'accept': 'accept — Accept the connection',
        'expect-netscaler-cip': 'expect-netscaler-cip layer4 — Configures the client-facing connection to receive a NetScaler Client IP insertion protocol header',
        'expect-proxy': 'expect-proxy layer4 — Configures the client-facing connection to receive a PROXY protocol header before any byte is read from',
        'reject': 'reject — Reject the connection',
        'sc-inc-gpc': 'sc-inc-gpc(<idx>,<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-inc-gpc0': 'sc-inc-gpc0(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-inc-gpc1': 'sc-inc-gpc1(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-set-gpt': 'sc-set-gpt(<idx>,<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
        'sc-set-gpt0': 'sc-set-gpt0(<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
        'set-dst': 'set-dst <expr> — Set the destination IP/Port address to the value of specified expression',
        'set-dst-port': 'set-dst-port <expr> — Set the destination IP/Port address to the value of specified expression',
        'set-mark': 'set-mark <mark> — Is used to set the Netfilter/IPFW MARK in all packets sent to the client to the value passed in',
        'set-src': 'set-src <expr> — Set the source IP/Port address to the value of specified expression',
        'set-src-port': 'set-src-port <expr> — Set the source IP/Port address to the value of specified expression',
        'set-tos': 'set-tos <tos> — Set the TOS or DSCP field value of packets sent to the client to the value passed in <tos> on',
        'set-var': 'set-var(<var-name>[,<cond>...]) <expr> — Set the contents of a variable',
        'set-var-fmt': 'set-var-fmt(<var-name>[,<cond>...]) <fmt> — Set the contents of a variable',
        'silent-drop': 'silent-drop — Stops the evaluation of the rules and makes the client-facing connection suddenly disappear using a',
        'track-sc0': 'track-sc0 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'track-sc1': 'track-sc1 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'track-sc2': 'track-sc2 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'unset-var': 'unset-var(<var-name>) — Unset a variable',
    },
    "content": {
        'accept': 'accept — Accept the connection',
        'capture': 'capture <sample> len <length> — Captures sample expression <sample> from the request buffer',
        'do-resolve': 'do-resolve(<var>,<resolvers>,[ipv4,ipv6]) <expr> — Performs a DNS resolution of the output of <expr> and stores the result in the variable <var>',
        'reject': 'reject — Reject the connection',
        'sc-inc-gpc': 'sc-inc-gpc(<idx>,<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-inc-gpc0': 'sc-inc-gpc0(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-inc-gpc1': 'sc-inc-gpc1(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-set-gpt': 'sc-set-gpt(<idx>,<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
        'sc-set-gpt0': 'sc-set-gpt0(<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
        'send-spoe-group': 'send-spoe-group <engine-name> <group-name> — Thaction is is used to trigger sending of a group of SPOE messages',
        'set-dst': 'set-dst <expr> — Set the destination IP/Port address to the value of specified expression',
        'set-dst-port': 'set-dst-port <expr> — Set the destination IP/Port address to the value of specified expression',
        'set-log-level': 'set-log-level <level> — Is used to set the log level of the current session',
        'set-mark': 'set-mark <mark> — Is used to set the Netfilter/IPFW MARK in all packets sent to the client to the value passed in',
        'set-nice': "set-nice <nice> — Sets the 'nice' factor of the current request being processed",
        'set-priority-class': 'set-priority-class <expr> — Set the queue priority class of the current request',
        'set-priority-offset': 'set-priority-offset <expr> — Set the queue priority timestamp offset of the current request',
        'set-src': 'set-src <expr> — Set the source IP/Port address to the value of specified expression',
        'set-src-port': 'set-src-port <expr> — Set the source IP/Port address to the value of specified expression',
        'set-tos': 'set-tos <tos> — Set the TOS or DSCP field value of packets sent to the client to the value passed in <tos> on',
        'set-var': 'set-var(<var-name>[,<cond>...]) <expr> — Set the contents of a variable',
        'set-var-fmt': 'set-var-fmt(<var-name>[,<cond>...]) <fmt> — Set the contents of a variable',
        'silent-drop': 'silent-drop — Stops the evaluation of the rules and makes the client-facing connection suddenly disappear using a',
        'switch-mode': 'switch-mode http [ proto <name> ] — Is used to perform a connection upgrade',
        'track-sc0': 'track-sc0 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'track-sc1': 'track-sc1 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'track-sc2': 'track-sc2 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'unset-var': 'unset-var(<var-name>) — Unset a variable',
        'use-service': 'use-service <service-name> — Is used to executes a TCP service',
    },
    "session": {
        'accept': 'accept — Accept the connection',
        'reject': 'reject — Reject the connection',
        'sc-inc-gpc': 'sc-inc-gpc(<idx>,<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-inc-gpc0': 'sc-inc-gpc0(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-inc-gpc1': 'sc-inc-gpc1(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-set-gpt': 'sc-set-gpt(<idx>,<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
        'sc-set-gpt0': 'sc-set-gpt0(<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
        'set-dst': 'set-dst <expr> — Set the destination IP/Port address to the value of specified expression',
        'set-dst-port': 'set-dst-port <expr> — Set the destination IP/Port address to the value of specified expression',
        'set-mark': 'set-mark <mark> — Is used to set the Netfilter/IPFW MARK in all packets sent to the client to the value passed in',
        'set-src': 'set-src <expr> — Set the source IP/Port address to the value of specified expression',
        'set-src-port': 'set-src-port <expr> — Set the source IP/Port address to the value of specified expression',
        'set-tos': 'set-tos <tos> — Set the TOS or DSCP field value of packets sent to the client to the value passed in <tos> on',
        'set-var': 'set-var(<var-name>[,<cond>...]) <expr> — Set the contents of a variable',
        'set-var-fmt': 'set-var-fmt(<var-name>[,<cond>...]) <fmt> — Set the contents of a variable',
        'silent-drop': 'silent-drop — Stops the evaluation of the rules and makes the client-facing connection suddenly disappear using a',
        'track-sc0': 'track-sc0 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'track-sc1': 'track-sc1 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'track-sc2': 'track-sc2 <key> [table <table>] — Enables tracking of sticky counters from current connection',
        'unset-var': 'unset-var(<var-name>) — Unset a variable',
    },
    "inspect-delay": {},  # takes a timeout, not an action
}

TCP_RESPONSE_ACTIONS: dict[str, dict[str, str]] = {
    "content": {
        'accept': 'accept — Accept the response',
        'close': 'close — Immediately closes the connection with the server',
        'reject': 'reject — Reject the response',
        'sc-inc-gpc': 'sc-inc-gpc(<idx>,<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-inc-gpc0': 'sc-inc-gpc0(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-inc-gpc1': 'sc-inc-gpc1(<sc-id>) — Increment the General Purppose Counters according to the sticky counter designated by <sc-id>',
        'sc-set-gpt': 'sc-set-gpt(<idx>,<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
        'sc-set-gpt0': 'sc-set-gpt0(<sc-id>) { <int> | <expr> } — Set the 32-bit unsigned General Purpose Tags according to the sticky counter designated by',
        'send-spoe-group': 'send-spoe-group <engine-name> <group-name> — Thaction is is used to trigger sending of a group of SPOE messages',
        'set-log-level': 'set-log-level <level> — Is used to set the log level of the current session',
        'set-mark': 'set-mark <mark> — Is used to set the Netfilter/IPFW MARK in all packets sent to the client to the value passed in',
        'set-nice': "set-nice <nice> — Sets the 'nice' factor of the current request being processed",
        'set-tos': 'set-tos <tos> — Set the TOS or DSCP field value of packets sent to the client to the value passed in <tos> on',
        'set-var': 'set-var(<var-name>[,<cond>...]) <expr> — Set the contents of a variable',
        'set-var-fmt': 'set-var-fmt(<var-name>[,<cond>...]) <fmt> — Set the contents of a variable',
        'silent-drop': 'silent-drop — Stops the evaluation of the rules and makes the client-facing connection suddenly disappear using a',
        'unset-var': 'unset-var(<var-name>) — Unset a variable',
    },
    "inspect-delay": {},  # takes a timeout, not an action
}


# --- what the embedded engine implements inside statements ---------------------------
# (tests/proxy/engine/test_engine_support.py keeps these equal to the engine's own tables)

#: Sample fetches and ACL criteria the engine evaluates; HAProxy's other ones make the
#: engine refuse the config (``proxydesk check`` warns where).
#: Fetches that read the raw request/response buffer (manual §7.3.5, "Layer 6"): in a
#: proxy in "mode http" the buffer holds parsed HTTP, so HAProxy 2.6 warns that a rule
#: condition using one is ignored ("L6 sample fetches ignored on HTTP proxies").  Checked
#: against the binary by tests/proxy/config/test_warnings_vs_haproxy.py.
L6_FETCHES: frozenset[str] = frozenset({
    "payload", "payload_lv", "rdp_cookie", "rdp_cookie_cnt", "rep_ssl_hello_type", "req.len",
    "req.payload", "req.payload_lv", "req.rdp_cookie", "req.rdp_cookie_cnt", "req.ssl_alpn",
    "req.ssl_ec_ext", "req.ssl_hello_type", "req.ssl_sni", "req.ssl_st_ext", "req.ssl_ver", "req_len",
    "req_ssl_hello_type", "req_ssl_sni", "req_ssl_ver", "res.len", "res.payload", "res.payload_lv",
    "res.ssl_hello_type",
})
#: The rules whose conditions HAProxy checks for L6_FETCHES ("redirect" ones it does not).
L6_CHECKED_RULES = frozenset({
    "tcp-request content", "tcp-response content", "http-request", "http-response", "use_backend",
    "use-server",
})
#: When a fetch has a value (HAProxy 2.6's "use"/"val" flags of each sample fetch): a rule
#: whose condition reads one where it has none "will never match" and HAProxy warns.  The
#: groups and NEVER_MATCHES were read off the binary (one ``haproxy -c`` per fetch, with a
#: rule of each kind in a frontend, a backend and a listen section); fetches in no group
#: have a value in every rule.  tests/proxy/config/test_warnings_vs_haproxy.py re-checks
#: one fetch of each group against the binary.
FETCH_AVAILABILITY: dict[str, frozenset[str]] = {
    # the request (its HTTP data or its buffer): not there at connection/session time, gone in response rules
    'request': frozenset({
        'base32+src', 'url32+src', 'fcgi.docroot', 'fcgi.index', 'http_auth_group',
        'base', 'base32', 'base_beg', 'base_dir', 'base_dom', 'base_end', 'base_len', 'base_reg', 'base_sub',
        'baseq', 'cook', 'cook_beg', 'cook_cnt', 'cook_dir', 'cook_dom', 'cook_end', 'cook_len', 'cook_reg',
        'cook_sub', 'cook_val', 'hdr', 'hdr_beg', 'hdr_cnt', 'hdr_dir', 'hdr_dom', 'hdr_end', 'hdr_ip', 'hdr_len',
        'hdr_reg', 'hdr_sub', 'hdr_val', 'http_auth', 'http_auth_bearer', 'http_auth_pass', 'http_auth_type',
        'http_auth_user', 'path', 'path_beg', 'path_dir', 'path_dom', 'path_end', 'path_len', 'path_reg',
        'path_sub', 'pathq', 'payload', 'payload_lv', 'query', 'rdp_cookie', 'rdp_cookie_cnt', 'req.body',
        'req.body_len', 'req.body_param', 'req.body_size', 'req.cook', 'req.cook_cnt', 'req.cook_val', 'req.fhdr',
        'req.fhdr_cnt', 'req.hdr', 'req.hdr_cnt', 'req.hdr_ip', 'req.hdr_names', 'req.hdr_val', 'req.hdrs',
        'req.hdrs_bin', 'req.len', 'req.payload', 'req.payload_lv', 'req.rdp_cookie', 'req.rdp_cookie_cnt',
        'req.ssl_alpn', 'req.ssl_ec_ext', 'req.ssl_hello_type', 'req.ssl_sni', 'req.ssl_st_ext', 'req.ssl_ver',
        'req.ver', 'req_len', 'req_ssl_hello_type', 'req_ssl_sni', 'req_ssl_ver', 'req_ver', 'url', 'url32',
        'url_beg', 'url_dir', 'url_dom', 'url_end', 'url_ip', 'url_len', 'url_param', 'url_port', 'url_reg',
        'url_sub', 'urlp', 'urlp_beg', 'urlp_dir', 'urlp_dom', 'urlp_end', 'urlp_len', 'urlp_reg', 'urlp_sub',
        'urlp_val'
    }),
    # the client's TLS certificate: not known before the handshake (tcp-request connection)
    'client-certificate': frozenset({
        'ssl_c_ca_err', 'ssl_c_ca_err_depth', 'ssl_c_chain_der', 'ssl_c_der', 'ssl_c_err', 'ssl_c_i_dn',
        'ssl_c_key_alg', 'ssl_c_notafter', 'ssl_c_notbefore', 'ssl_c_s_dn', 'ssl_c_serial', 'ssl_c_sha1',
        'ssl_c_sig_alg', 'ssl_c_used', 'ssl_c_verify', 'ssl_c_version', 'ssl_f_der', 'ssl_f_i_dn', 'ssl_f_key_alg',
        'ssl_f_notafter', 'ssl_f_notbefore', 'ssl_f_s_dn', 'ssl_f_serial', 'ssl_f_sha1', 'ssl_f_sig_alg',
        'ssl_f_version', 'ssl_fc', 'ssl_fc_alg_keysize', 'ssl_fc_alpn', 'ssl_fc_cipher', 'ssl_fc_cipherlist_bin',
        'ssl_fc_cipherlist_hex', 'ssl_fc_cipherlist_str', 'ssl_fc_cipherlist_xxh',
        'ssl_fc_client_early_traffic_secret', 'ssl_fc_client_handshake_traffic_secret', 'ssl_fc_client_random',
        'ssl_fc_client_traffic_secret_0', 'ssl_fc_early_exporter_secret', 'ssl_fc_ecformats_bin',
        'ssl_fc_eclist_bin', 'ssl_fc_err', 'ssl_fc_err_str', 'ssl_fc_exporter_secret', 'ssl_fc_extlist_bin',
        'ssl_fc_has_crt', 'ssl_fc_has_early', 'ssl_fc_has_sni', 'ssl_fc_is_resumed', 'ssl_fc_npn',
        'ssl_fc_protocol', 'ssl_fc_protocol_hello_id', 'ssl_fc_server_handshake_traffic_secret',
        'ssl_fc_server_random', 'ssl_fc_server_traffic_secret_0', 'ssl_fc_session_id', 'ssl_fc_session_key',
        'ssl_fc_sni', 'ssl_fc_sni_end', 'ssl_fc_sni_reg', 'ssl_fc_unique_id', 'ssl_fc_use_keysize',
        'ssl_s_chain_der', 'ssl_s_der', 'ssl_s_i_dn', 'ssl_s_key_alg', 'ssl_s_notafter', 'ssl_s_notbefore',
        'ssl_s_s_dn', 'ssl_s_serial', 'ssl_s_sha1', 'ssl_s_sig_alg', 'ssl_s_version'
    }),
    # the response and the server connection: only in response rules
    'response': frozenset({
        'bc_dst', 'bc_dst_port', 'bc_err', 'bc_err_str', 'bc_http_major', 'bc_src', 'bc_src_port',
        'capture.res.hdr', 'rep_ssl_hello_type', 'res.body', 'res.body_len', 'res.body_size', 'res.cache_hit',
        'res.cache_name', 'res.comp', 'res.comp_algo', 'res.cook', 'res.cook_cnt', 'res.cook_val', 'res.fhdr',
        'res.fhdr_cnt', 'res.hdr', 'res.hdr_cnt', 'res.hdr_ip', 'res.hdr_names', 'res.hdr_val', 'res.hdrs',
        'res.hdrs_bin', 'res.len', 'res.payload', 'res.payload_lv', 'res.ssl_hello_type', 'res.ver', 'resp_ver',
        'scook', 'scook_cnt', 'scook_val', 'shdr', 'shdr_cnt', 'shdr_ip', 'shdr_val', 'srv_id', 'srv_name',
        'scook_beg', 'scook_dir', 'scook_dom', 'scook_end', 'scook_len', 'scook_reg', 'scook_sub',
        'shdr_beg', 'shdr_dir', 'shdr_dom', 'shdr_end', 'shdr_len', 'shdr_reg', 'shdr_sub',
        'ssl_bc', 'ssl_bc_alg_keysize', 'ssl_bc_alpn', 'ssl_bc_cipher', 'ssl_bc_client_random', 'ssl_bc_err',
        'ssl_bc_err_str', 'ssl_bc_is_resumed', 'ssl_bc_npn', 'ssl_bc_protocol', 'ssl_bc_server_random',
        'ssl_bc_session_id', 'ssl_bc_session_key', 'ssl_bc_unique_id', 'ssl_bc_use_keysize', 'status'
    }),
    # the request stream and what is captured from it: not before tcp-request content
    'request-content': frozenset({
        'internal.htx.data', 'internal.htx.free', 'internal.htx.free_data', 'internal.htx.has_eom', 'internal.htx.nbblks', 'internal.htx.size', 'internal.htx.used', 'internal.htx_blk.data', 'internal.htx_blk.hdrname', 'internal.htx_blk.hdrval', 'internal.htx_blk.size', 'internal.htx_blk.start_line', 'internal.htx_blk.type',
        'capture.req.hdr', 'capture.req.method', 'capture.req.uri', 'capture.req.ver', 'capture.res.ver', 'cookie',
        'distcc_body', 'distcc_param', 'http_first_req', 'method', 'req.proto_http', 'req_proto_http'
    }),
    # the backend the request goes to: not known in a frontend's request rules
    'backend': frozenset({
        'be_id', 'be_name', 'be_server_timeout', 'be_tunnel_timeout', 'cur_server_timeout', 'cur_tunnel_timeout'
    }),
}
#: As an ACL keyword these read the request; as a sample fetch ('%[hdr(x)]') they read the
#: direction the rule runs in (haproxy -dKsmp lists them valid in response rules too).
EITHER_DIRECTION_FETCHES = frozenset({"hdr", "payload", "payload_lv"})

#: Rule context ("<section kind> <rule keyword>") -> (HAProxy's name for it in the warning,
#: the FETCH_AVAILABILITY groups that have no value there).
NEVER_MATCHES: dict[str, tuple[str, frozenset[str]]] = {
    'backend http-after-response': ('backend http-response header rule', frozenset({'request'})),
    'backend http-request': ('backend http-request header rule', frozenset({'response'})),
    'backend http-response': ('backend http-response header rule', frozenset({'request'})),
    'backend redirect': ('backend http-request header rule', frozenset({'response'})),
    'backend tcp-request content': ('backend tcp-request content rule', frozenset({'response'})),
    'backend tcp-response content': ('backend tcp-response content rule', frozenset({'request'})),
    'backend use-server': ('backend use-server, balance or stick-match rule', frozenset({'response'})),
    'frontend http-after-response': ('frontend http-response header rule', frozenset({'request'})),
    'frontend http-request': ('frontend http-request header rule', frozenset({'backend', 'response'})),
    'frontend http-response': ('frontend http-response header rule', frozenset({'request'})),
    'frontend redirect': ('frontend http-request header rule', frozenset({'backend', 'response'})),
    'frontend tcp-request connection': ('frontend tcp-request connection rule', frozenset({'backend', 'client-certificate', 'request', 'request-content', 'response'})),
    'frontend tcp-request content': ('frontend tcp-request content rule', frozenset({'backend', 'response'})),
    'frontend tcp-request session': ('frontend tcp-request session rule', frozenset({'backend', 'request', 'request-content', 'response'})),
    'frontend use_backend': ('frontend use-backend rule', frozenset({'backend', 'response'})),
    'listen http-after-response': ('backend http-response header rule', frozenset({'request'})),
    'listen http-request': ('frontend http-request header rule', frozenset({'response'})),
    'listen http-response': ('backend http-response header rule', frozenset({'request'})),
    'listen redirect': ('frontend http-request header rule', frozenset({'response'})),
    'listen tcp-request connection': ('frontend tcp-request connection rule', frozenset({'backend', 'client-certificate', 'request', 'request-content', 'response'})),
    'listen tcp-request content': ('frontend tcp-request content rule', frozenset({'response'})),
    'listen tcp-request session': ('frontend tcp-request session rule', frozenset({'backend', 'request', 'request-content', 'response'})),
    'listen tcp-response content': ('backend tcp-response content rule', frozenset({'request'})),
    'listen use-server': ('backend use-server, balance or stick-match rule', frozenset({'response'})),
    'listen use_backend': ('frontend use-backend rule', frozenset({'backend', 'response'})),
}


#: Rule keywords whose rules run on the response: a sample fetch of EITHER_DIRECTION_FETCHES
#: reads the response there.
RESPONSE_RULES = frozenset({"http-response", "http-after-response", "tcp-response content"})


def fetch_has_no_value(fetch: str, context: str, *, sample: bool = False) -> bool:
    """Whether ``fetch`` (a keyword as written: ``path_beg``, ``res.hdr``) has no value in a
    rule of ``context`` ("<section kind> <rule keyword>", a NEVER_MATCHES key): the engine
    then evaluates it as HAProxy does, as "no sample" (an ACL on it fails, ``!``/``unless``
    of it passes).  ``sample``: it is a sample fetch (``%[hdr(x)]``, ``set-var``), not an
    ACL criterion, so EITHER_DIRECTION_FETCHES read the rule's own direction."""
    never = NEVER_MATCHES.get(context)
    if never is None or (sample and fetch in EITHER_DIRECTION_FETCHES):
        return False
    return any(fetch in FETCH_AVAILABILITY[group] for group in never[1])


def reads_response(context: str | None) -> bool:
    """Whether a rule of ``context`` ("frontend http-response") runs on the response."""
    return context is not None and context.split(" ", 1)[-1] in RESPONSE_RULES


#: The variables of a log-format string ("%ci", "%{+Q}r") HAProxy 2.6 knows, and whether it
#: refuses them outside "mode http" ("format variable 'r' is reserved for HTTP mode").  Read
#: off the binary: every one- and two-letter name and the longer ones its table holds, each
#: tried in an http and a tcp frontend's log-format (tests/proxy/config/test_warnings_vs_haproxy.py
#: re-checks them).
LOG_FORMAT_VARIABLES: dict[str, bool] = {
    'ac': False, 'B': False, 'b': False, 'bc': False, 'bi': False, 'bp': False, 'bq': False, 'CC': True,
    'ci': False, 'cp': False, 'CS': True, 'f': False, 'fc': False, 'fi': False, 'fp': False, 'ft': False,
    'H': False, 'HM': True, 'HP': True, 'HPO': True, 'HQ': True, 'hr': False, 'hrl': False, 'hs': False,
    'hsl': False, 'HU': True, 'HV': True, 'ID': False, 'lc': False, 'ms': False, 'o': False, 'pid': False,
    'r': True, 'rc': False, 'rt': False, 's': False, 'sc': False, 'si': False, 'sp': False, 'sq': False,
    'sslc': False, 'sslv': False, 'ST': False, 'T': False, 't': False, 'Ta': True, 'Tc': False, 'Td': False,
    'Th': False, 'Ti': True, 'Tl': False, 'Tq': True, 'TR': True, 'Tr': True, 'tr': True, 'trg': True,
    'trl': True, 'Ts': False, 'ts': False, 'tsc': False, 'Tt': False, 'Tu': False, 'Tw': False, 'U': False
}

ENGINE_FETCHES: frozenset[str] = frozenset({
    'always_false', 'always_true', 'base', 'base_beg', 'base_dir', 'base_dom', 'base_end',
    'base_len', 'base_reg', 'base_sub', 'cook', 'cook_beg', 'cook_cnt', 'cook_dir', 'cook_dom',
    'cook_end', 'cook_len', 'cook_reg', 'cook_sub', 'cook_val', 'dst', 'dst_port', 'hdr',
    'hdr_beg', 'hdr_cnt', 'hdr_dir', 'hdr_dom', 'hdr_end', 'hdr_ip', 'hdr_len', 'hdr_reg',
    'hdr_sub', 'hdr_val', 'http_auth', 'http_auth_group', 'method', 'path', 'path_beg',
    'path_dir', 'path_dom', 'path_end', 'path_len', 'path_reg', 'path_sub', 'payload', 'query',
    'req.cook', 'req.cook_cnt', 'req.cook_val', 'req.fhdr', 'req.fhdr_cnt', 'req.hdr',
    'req.hdr_cnt', 'req.hdr_ip', 'req.hdr_val', 'req.len', 'req.payload', 'req.proto_http',
    'req.ssl_hello_type', 'req.ssl_sni', 'req_len', 'req_ssl_hello_type', 'req_ssl_sni', 'src',
    'src_port', 'ssl_c_verify', 'ssl_fc', 'ssl_fc_protocol', 'ssl_fc_sni', 'ssl_fc_sni_end',
    'ssl_fc_sni_reg', 'url', 'url_beg', 'url_dir', 'url_dom', 'url_end', 'url_len', 'url_param',
    'url_reg', 'url_sub', 'urlp', 'urlp_beg', 'urlp_dir', 'urlp_dom', 'urlp_end', 'urlp_len',
    'urlp_reg', 'urlp_sub', 'urlp_val', 'var',
    # the response side (http-response rules)
    'req.hdr_names', 'res.cook', 'res.cook_cnt', 'res.cook_val', 'res.fhdr', 'res.fhdr_cnt',
    'res.hdr', 'res.hdr_cnt', 'res.hdr_ip', 'res.hdr_names', 'res.hdr_val', 'res.ver', 'resp_ver',
    'scook', 'scook_beg', 'scook_cnt', 'scook_dir', 'scook_dom', 'scook_end', 'scook_len',
    'scook_reg', 'scook_sub', 'scook_val', 'shdr', 'shdr_beg', 'shdr_cnt', 'shdr_dir', 'shdr_dom',
    'shdr_end', 'shdr_ip', 'shdr_len', 'shdr_reg', 'shdr_sub', 'shdr_val', 'srv_id', 'srv_name',
    'status',
})
#: http-request/http-response actions the engine runs ("set-var(<name>)" forms included).
ENGINE_HTTP_ACTIONS: frozenset[str] = frozenset({
    "add-header", "allow", "auth", "del-header", "deny", "redirect", "reject", "replace-header",
    "replace-value", "return", "set-header", "set-path", "set-var",
})
#: tcp-request connection/content actions the engine runs.
ENGINE_TCP_ACTIONS: frozenset[str] = frozenset({"accept", "reject"})
#: Sample fetches and converters the engine evaluates inside log-format strings
#: (``%[req.hdr(host),lower]`` in set-header, redirect, use_backend ...).
ENGINE_FORMAT_FETCHES: frozenset[str] = frozenset({
    "base", "cook", "date", "dst", "dst_port", "hdr", "int", "method", "path", "query", "req.cook",
    "req.fhdr", "req.hdr", "src", "src_port", "ssl_fc", "ssl_fc_sni", "str", "url", "url_param",
    "urlp", "var",
    # the response side (http-response rules; hdr() reads the response there)
    "req.hdr_names", "res.cook", "res.cook_cnt", "res.cook_val", "res.fhdr", "res.fhdr_cnt",
    "res.hdr", "res.hdr_cnt", "res.hdr_ip", "res.hdr_names", "res.hdr_val", "res.ver", "resp_ver",
    "scook", "scook_cnt", "scook_val", "shdr", "shdr_cnt", "shdr_ip", "shdr_val", "srv_id",
    "srv_name", "status",
})
ENGINE_CONVERTERS: frozenset[str] = frozenset({
    "field", "iif", "lower", "map", "map_beg", "map_end", "map_str", "map_sub", "regsub", "upper",
})


# --- names ----------------------------------------------------------------------------

#: What HAProxy's invalid_char() lets through in proxy, userlist and group names besides
#: ASCII letters and digits (isalnum() in the C locale).
NAME_CHARACTERS = "-_.:"
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def invalid_name_character(name: str) -> str | None:
    """The first character HAProxy refuses in a section name, or None."""
    return next((ch for ch in name if ch not in _ASCII_ALNUM and ch not in NAME_CHARACTERS), None)


# --- value sets ---------------------------------------------------------------------

#: Global TLS defaults -> the bind option that overrides each on one bind (None: "options"
#: add to what a bind sets rather than being replaced by one option).
SSL_DEFAULT_BIND: dict[str, str | None] = {
    "ssl-default-bind-ciphers": "ciphers",
    "ssl-default-bind-ciphersuites": "ciphersuites",
    "ssl-default-bind-curves": "curves",
    "ssl-default-bind-options": None,
}

#: "mode" values HAProxy 2.6 accepts in proxies.
MODES = ("http", "tcp", "log")
#: A port on a bind or server line.
PORT_RANGE = (1, 65535)
#: "hash-type <method> [<function> [<modifier>]]" (cfgparse-listen.c); the engine's hash
#: functions (proxy.engine.balance.HASH_FUNCTIONS) are these, a test keeps them equal.
HASH_METHODS = ("map-based", "consistent")
HASH_FUNCTIONS = ("sdbm", "djb2", "crc32", "wt6")
HASH_MODIFIERS = ("avalanche",)


def hash_type_problem(args: Sequence[str]) -> tuple[int, str] | None:
    """HAProxy's refusal of ``hash-type ARGS`` (index of the word at fault, its message), or None."""
    if not args or args[0] not in HASH_METHODS or len(args) > 3:
        return 0, "'hash-type' only supports 'consistent' and 'map-based'."
    if len(args) > 1 and args[1] not in HASH_FUNCTIONS:
        functions = ", ".join(f"'{f}'" for f in HASH_FUNCTIONS[:-1])
        return 1, f"'hash-type' only supports {functions}, or '{HASH_FUNCTIONS[-1]}' hash functions."
    if len(args) > 2 and args[2] not in HASH_MODIFIERS:
        return 2, "'hash-type' only supports 'avalanche' as a modifier."
    return None


#: Manual §7.4: the ACLs every proxy knows without declaring them, with their definitions.
#: The engine compiles those whose fetch it implements; the checker warns where a config
#: uses one of the others.
PREDEFINED_ACLS: dict[str, tuple[str, ...]] = {
    "FALSE": ("always_false",),
    "HTTP": ("req.proto_http",),
    "HTTP_1.0": ("req.ver", "1.0"),
    "HTTP_1.1": ("req.ver", "1.1"),
    "HTTP_2.0": ("req.ver", "2.0"),
    "HTTP_CONTENT": ("req.hdr_val(content-length)", "gt", "0"),
    "HTTP_URL_ABS": ("url_reg", "^[^/:]*://"),
    "HTTP_URL_SLASH": ("url_beg", "/"),
    "HTTP_URL_STAR": ("url", "*"),
    "LOCALHOST": ("src", "127.0.0.1/8", "::1"),
    "METH_CONNECT": ("method", "CONNECT"),
    "METH_DELETE": ("method", "DELETE"),
    "METH_GET": ("method", "GET", "HEAD"),
    "METH_HEAD": ("method", "HEAD"),
    "METH_OPTIONS": ("method", "OPTIONS"),
    "METH_POST": ("method", "POST"),
    "METH_PUT": ("method", "PUT"),
    "METH_TRACE": ("method", "TRACE"),
    "RDP_COOKIE": ("req.rdp_cookie_cnt", "gt", "0"),
    "REQ_CONTENT": ("req.len", "gt", "0"),
    "TRUE": ("always_true",),
    "WAIT_END": ("wait_end",),
}


#: HAProxy's fatal error for a TLS server that verifies (its default, "verify required")
#: with nothing to verify against (cfgparse-ssl.c); the checker and the engine's TLS
#: loader both say it.
SERVER_VERIFY_WITHOUT_CA = (
    "verify is enabled by default but no CA file specified. If you're running on a LAN "
    "where you're certain to trust the server's certificate, please set an explicit "
    "'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in "
    "the global section to disable server-side verifications by default."
)
