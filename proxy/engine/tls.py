"""TLS for the engine: server-side contexts from ``bind ... ssl``, client contexts for ``server ... ssl``.

Theory of operation
-------------------
*Termination.*  ``TlsTerminator.from_bind`` reads a bind line's options in
order (``ssl-default-bind-options`` from ``global`` first, as HAProxy), loads
every certificate named by ``crt FILE``, ``crt DIR`` (every file, sorted,
minus HAProxy's reserved ``.key/.issuer/.ocsp/.sctl`` and dot files) and
``crt-list FILE`` lines, and builds **one ``ssl.SSLContext`` per
certificate**, all with the bind's settings (versions, ciphers, ALPN,
client-certificate verification).  The first certificate's context is
``.context``, the one the listener uses; its ``sni_callback`` looks the
client's server name up in a ``_SniIndex`` and switches the connection to
the matching certificate's context (``SSLObject.context = ...``, OpenSSL's
``SSL_set_SSL_CTX``).  Lookup is HAProxy's: an exact name (CN or DNS SAN, or
a crt-list filter) first, then the wildcard ``*.<name minus first label>``
(one label only), first declared wins, negative filters ``!name`` exclude;
no SNI or no match -> the first certificate, unless ``strict-sni`` (then the
handshake fails with ``unrecognized_name``).  Every context carries the same
settings because ``SSL_set_SSL_CTX`` swaps only the certificate and the
ALPN callback: version range, ciphers and verify mode stay those of the
initial context.  For the same reason per-line ``[options]`` of a crt-list
are honoured for ``alpn`` only (``keywords.ENGINE_CRT_LIST_OPTIONS``); the
others are reported as warnings (``TlsTerminator.warnings``).

The callback also remembers the requested name per connection (Python gives
no server-side accessor for it) in a ``WeakKeyDictionary`` so that
``TlsTerminator.info(ssl_object)`` can report ``ssl_fc_sni`` after the
handshake.

*Re-encryption.*  ``client_context(server_options, base_dir)`` folds a
server's options (``default-server`` ones first, ``no-*`` resets honoured)
into ``ServerTls``: a verifying context (HAProxy's default ``verify
required`` needs a ``ca-file``: a missing one is HAProxy's own fatal error),
the SNI source (``str(...)``, ``req.hdr(host)``, ``ssl_fc_sni``) and the
health-check variant (``check-ssl``/``check-sni``).  ``connection_args``
returns exactly what to pass to ``loop.create_connection(ssl=...,
server_hostname=...)``.

*Checks up front.*  Everything a handshake would trip over later (missing
file, no key, key not matching the certificate, encrypted key, unknown TLS
version, bad crt-list line, ``verify`` without ``ca-file``) raises
``TlsConfigError`` with the statement's location while the config is being
compiled, so ``Engine.start``/``apply`` can refuse it with ``file:line``.
Messages name files, never key material.

*What is left out.*  Options without a handler here are dropped; which ones
the engine leaves out, and why, is a registry fact (``OptionSpec.engine`` in
proxy.config.keywords: ``ciphersuites``, ``npn``, ``ca-ignore-err``...;
``h2`` of an ``alpn`` list in ``mode http``, every curve but the first).  The
checker and the engine's compiler (runtime.py) warn about them from there,
at the option's word; tests/proxy/engine/test_option_support.py keeps these
handler tables equal to the options the registry says the engine runs.
"""

from __future__ import annotations

import dataclasses
import ssl
import warnings
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proxy.certs import pem
from proxy.certs.pem import CertFile as _CertFile
from proxy.certs.pem import directory_files as _directory_files
from proxy.config import keywords as kw
from proxy.config.nodes import Bind, Server
from proxy.config.validate import engine_gap_message

if TYPE_CHECKING:
    from proxy.config.model import Section
    from proxy.engine.acl import RequestContext

__all__ = [
    "BIND_WORDS",
    "HTTP_ALPN",
    "SERVER_WORDS",
    "ServerTls",
    "SniSource",
    "TlsConfigError",
    "TlsDefaults",
    "TlsInfo",
    "TlsTerminator",
    "client_context",
    "handshake_verify_code",
]

#: The ALPN protocols the engine's HTTP layer speaks (the registry's fact); in mode http
#: anything else is not offered (the checker and the compiler warn).
HTTP_ALPN = kw.ENGINE_HTTP_ALPN

_CA_SUFFIXES = (".pem", ".crt", ".cer", ".crl")
_SYSTEM_CA = "@system-ca"

_VERSIONS: dict[str, ssl.TLSVersion] = {
    "SSLv3": ssl.TLSVersion.SSLv3,
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_ORDER = list(_VERSIONS)
_VERSION_FLAGS = {  # no-<x> / force-<x> spelling -> version name
    "sslv3": "SSLv3",
    "tlsv10": "TLSv1.0",
    "tlsv11": "TLSv1.1",
    "tlsv12": "TLSv1.2",
    "tlsv13": "TLSv1.3",
}
_DEFAULT_MIN = "TLSv1.2"  # HAProxy >= 2.2's default ssl-min-ver


class TlsConfigError(Exception):
    """A TLS setting that cannot work; ``location`` is the statement's ``file:line``."""

    def __init__(self, message: str, location: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


# --- settings shared by both sides -----------------------------------------------------


@dataclass
class _Settings:
    """What a bind (or server) line says about TLS, after its options were folded in order."""

    location: str
    min_version: str = _DEFAULT_MIN
    max_version: str = "TLSv1.3"
    disabled: set[str] = field(default_factory=set)
    ciphers: str | None = None
    alpn: list[str] | None = None
    ca_file: str | None = None
    crl_file: str | None = None
    verify: str | None = None  # None: the side's default
    ecdhe: str | None = None
    no_tickets: bool = False
    prefer_client_ciphers: bool = False
    strict_sni: bool = False
    warnings: list[str] = field(default_factory=list)

    def version_range(self) -> tuple[ssl.TLSVersion, ssl.TLSVersion]:
        lo, hi = _ORDER.index(self.min_version), _ORDER.index(self.max_version)
        allowed = [v for v in _ORDER[lo : hi + 1] if v not in self.disabled]
        if not allowed:
            raise TlsConfigError("no SSL/TLS version left enabled", self.location)
        return _VERSIONS[allowed[0]], _VERSIONS[allowed[-1]]


def _version(settings: _Settings, word: str) -> str:
    if word not in _VERSIONS:
        raise TlsConfigError(f"'{word}' : unknown ssl/tls version", settings.location)
    return word


def _set_min(s: _Settings, args: list[str]) -> None:
    s.min_version = _version(s, args[0])


def _set_max(s: _Settings, args: list[str]) -> None:
    s.max_version = _version(s, args[0])


def _force(name: str) -> Callable[[_Settings, list[str]], None]:
    def apply(s: _Settings, _args: list[str]) -> None:
        s.min_version = s.max_version = name
        s.disabled.discard(name)

    return apply


def _disable(name: str) -> Callable[[_Settings, list[str]], None]:
    def apply(s: _Settings, _args: list[str]) -> None:
        s.disabled.add(name)

    return apply


def _setter(attribute: str, value: object = None) -> Callable[[_Settings, list[str]], None]:
    """A handler storing the option's argument (or the fixed ``value``) in ``attribute``."""

    def apply(s: _Settings, args: list[str]) -> None:
        setattr(s, attribute, args[0] if value is None else value)

    return apply


def _set_alpn(s: _Settings, args: list[str]) -> None:
    s.alpn = [p for p in args[0].split(",") if p]


def _set_verify(s: _Settings, args: list[str]) -> None:
    s.verify = args[0]


def _nothing(_s: _Settings, _args: list[str]) -> None:
    """An option whose effect is what Python's ssl does anyway (see its table entry)."""


_Handler = Callable[[_Settings, list[str]], None]

_COMMON_HANDLERS: dict[str, _Handler] = {
    "ssl-min-ver": _set_min,
    "ssl-max-ver": _set_max,
    **{f"force-{flag}": _force(name) for flag, name in _VERSION_FLAGS.items()},
    **{f"no-{flag}": _disable(name) for flag, name in _VERSION_FLAGS.items()},
    "ciphers": _setter("ciphers"),
    "alpn": _set_alpn,
    "ca-file": _setter("ca_file"),
    "crl-file": _setter("crl_file"),
    "verify": _set_verify,
    "no-tls-tickets": _setter("no_tickets", True),
}

_BIND_HANDLERS: dict[str, _Handler] = {
    **_COMMON_HANDLERS,
    "ecdhe": _setter("ecdhe"),
    "curves": _setter("ecdhe"),  # Python sets one curve; checked in _apply_curve
    "prefer-client-ciphers": _setter("prefer_client_ciphers", True),
    "strict-sni": _setter("strict_sni", True),
    "no-ca-names": _nothing,  # Python's ssl never sends client CA names
}

#: Bind words read outside the handler table (by ``_cert_specs`` and the listener).
BIND_WORDS = frozenset({"ssl", "crt", "crt-list"})

#: crt-list ``[...]`` options HAProxy accepts per certificate (``sslbindconf``).
_CRT_LIST_OPTIONS = {
    "allow-0rtt", "alpn", "ca-file", "ca-verify-file", "ciphers", "ciphersuites", "crl-file",
    "curves", "ecdhe", "no-ca-names", "npn", "verify", "ssl-min-ver", "ssl-max-ver",
}  # fmt: skip


def _fold(
    settings: _Settings, options: Iterable[Sequence[str]], table: dict[str, _Handler]
) -> None:
    for option in options:
        handler = table.get(option[0])
        if handler is not None:
            handler(settings, list(option[1:]))


def _group(words: Sequence[str], table: dict[str, kw.OptionSpec]) -> list[list[str]]:
    """``[w, ...]`` -> option groups, using the registry's argument counts (as the model does)."""
    groups: list[list[str]] = []
    i = 0
    while i < len(words):
        spec = table.get(words[i])
        take = spec.nargs if spec else 0
        groups.append(list(words[i : i + 1 + take]))
        i += 1 + take
    return groups


_resolve = pem.resolve  # shared with the checker


# --- global defaults -------------------------------------------------------------------


@dataclass(frozen=True)
class TlsDefaults:
    """TLS settings from ``global``: bases for relative paths and default options."""

    crt_base: Path | None = None
    ca_base: Path | None = None
    bind_options: tuple[tuple[str, ...], ...] = ()
    server_options: tuple[tuple[str, ...], ...] = ()
    server_verify: str = "required"

    @classmethod
    def from_global(cls, section: Section | None, base_dir: Path) -> TlsDefaults:
        if section is None:
            return cls()

        def last(keyword: str) -> list[str] | None:
            found = section.generic(keyword)
            return found[-1][1:] if found else None

        def base(keyword: str) -> Path | None:
            words = last(keyword)
            return _resolve(words[0], None, base_dir) if words else None

        def options(keyword: str, ciphers: str, table: dict[str, kw.OptionSpec]) -> list[list[str]]:
            groups = [g for words in section.generic(keyword) for g in _group(words[1:], table)]
            cipher_words = last(ciphers)
            return groups + ([["ciphers", cipher_words[0]]] if cipher_words else [])

        verify = last("ssl-server-verify")
        return cls(
            crt_base=base("crt-base"),
            ca_base=base("ca-base"),
            bind_options=_frozen(
                options("ssl-default-bind-options", "ssl-default-bind-ciphers", kw.BIND_OPTIONS)
            ),
            server_options=_frozen(
                options(
                    "ssl-default-server-options", "ssl-default-server-ciphers", kw.SERVER_OPTIONS
                )
            ),
            server_verify=verify[0] if verify else "required",
        )


def _frozen(groups: Iterable[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(g) for g in groups)


# --- certificates ----------------------------------------------------------------------


def _read(path: Path, what: str, location: str) -> bytes:
    try:
        return pem.read(path, what)
    except pem.PemError as exc:
        raise TlsConfigError(str(exc), location) from None


def _inspect_certificate(path: Path, location: str) -> _CertFile:
    """HAProxy's reading of a certificate file (``proxy.certs.pem``, shared with the checker)."""
    try:
        return pem.inspect_certificate(path)
    except pem.PemError as exc:
        raise TlsConfigError(str(exc), location) from None


# --- SNI selection ---------------------------------------------------------------------


@dataclass(frozen=True)
class _SniEntry:
    context: ssl.SSLContext
    names: frozenset[str]
    excluded: frozenset[str]

    def serves(self, key: str, name: str) -> bool:
        """Whether ``key`` (``name`` itself or its ``*.parent``) is ours and ``name`` not excluded."""
        return key in self.names and key not in self.excluded and name not in self.excluded


@dataclass(frozen=True)
class _CertSpec:
    """One certificate to serve: from ``crt`` or a crt-list line (with its filters)."""

    path: Path
    filters: tuple[str, ...] = ()
    options: tuple[tuple[str, ...], ...] = ()
    location: str = ""

    def sni_names(self, cert: _CertFile) -> tuple[frozenset[str], frozenset[str]]:
        positive = {f.lower() for f in self.filters if not f.startswith("!")}
        negative = {f[1:].lower() for f in self.filters if f.startswith("!")}
        if positive:
            return frozenset(positive), frozenset(negative)
        names = frozenset() if "*" in negative else frozenset(cert.names)
        return names, frozenset(negative - {"*"})


class _SniIndex:
    """HAProxy's lookup: exact name, then ``*.parent``; first declared wins; else the default."""

    def __init__(self, entries: Sequence[_SniEntry], strict: bool) -> None:
        self.entries = list(entries)
        self.strict = strict

    def select(self, server_name: str | None) -> ssl.SSLContext | None:
        if server_name:
            name = server_name.lower().rstrip(".")
            for key in (name, _wildcard_of(name)):
                found = next((e for e in self.entries if key and e.serves(key, name)), None)
                if found is not None:
                    return found.context
        return None if self.strict else self.entries[0].context


def _wildcard_of(name: str) -> str:
    _, dot, parent = name.partition(".")
    return f"*.{parent}" if dot and parent else ""


# --- what the ACL fetches need after the handshake -------------------------------------


@dataclass(frozen=True, slots=True)
class TlsInfo:
    """The ``ssl_fc*``/``ssl_c*`` fetch values of one terminated connection."""

    ssl_fc: bool = True
    ssl_fc_sni: str | None = None
    ssl_fc_protocol: str | None = None
    ssl_fc_alpn: str | None = None
    ssl_fc_cipher: str | None = None
    ssl_c_used: bool = False
    ssl_c_verify: int = 0

    def apply_to(self, ctx: RequestContext) -> None:
        """Fill the fields of an ACL ``RequestContext`` that it has room for."""
        ctx.ssl_fc = self.ssl_fc
        ctx.ssl_fc_sni = self.ssl_fc_sni
        ctx.ssl_fc_protocol = self.ssl_fc_protocol
        ctx.ssl_c_verify = self.ssl_c_verify


def handshake_verify_code(exc: BaseException) -> int | None:
    """The X509 error of a failed handshake (what ``ssl_c_verify`` would have said), if any."""
    return exc.verify_code if isinstance(exc, ssl.SSLCertVerificationError) else None


# --- termination ----------------------------------------------------------------------


class TlsTerminator:
    """The contexts of one ``bind ... ssl`` line; ``context`` goes to ``create_server``."""

    def __init__(self, index: _SniIndex, warnings_: Sequence[str]) -> None:
        self._index = index
        self._sni: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        self.warnings: tuple[str, ...] = tuple(warnings_)
        self.context = index.entries[0].context
        self.context.sni_callback = self._on_server_name

    @property
    def contexts(self) -> list[ssl.SSLContext]:
        return [e.context for e in self._index.entries]

    @classmethod
    def from_bind(
        cls,
        bind: Bind,
        base_dir: Path,
        *,
        location: str = "",
        defaults: TlsDefaults | None = None,
        mode: str = "http",
    ) -> TlsTerminator:
        """Build from a ``Bind`` node (or anything with ``.options``); raises TlsConfigError."""
        return cls.from_options(
            bind.options, base_dir, location=location, defaults=defaults, mode=mode
        )

    @classmethod
    def from_options(
        cls,
        options: Sequence[Sequence[str]],
        base_dir: Path,
        *,
        location: str = "",
        defaults: TlsDefaults | None = None,
        mode: str = "http",
    ) -> TlsTerminator:
        defaults = defaults or TlsDefaults()
        settings = _Settings(location)
        _fold(settings, defaults.bind_options, _BIND_HANDLERS)
        _fold(settings, options, _BIND_HANDLERS)
        specs = _cert_specs(options, base_dir, defaults, location)
        if not specs:
            raise TlsConfigError("no SSL certificate specified for bind (use 'crt')", location)
        entries = [_entry(spec, settings, base_dir, defaults, mode) for spec in specs]
        return cls(_SniIndex(entries, settings.strict_sni), _unique(settings.warnings))

    def _on_server_name(
        self, connection: Any, server_name: str | None, _initial: ssl.SSLContext
    ) -> int | None:
        # An exception here would abort the handshake as an "unraisable" error: never raise.
        try:
            if server_name:
                self._sni[connection] = server_name
            chosen = self._index.select(server_name)
            if chosen is None:
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            if chosen is not connection.context:
                connection.context = chosen
        except Exception:
            return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
        return None

    def info(self, connection: ssl.SSLObject | ssl.SSLSocket) -> TlsInfo:
        """The fetch values of a connection whose handshake completed."""
        cipher = connection.cipher()
        return TlsInfo(
            ssl_fc_sni=self._sni.get(connection),
            ssl_fc_protocol=connection.version(),
            ssl_fc_alpn=connection.selected_alpn_protocol(),
            ssl_fc_cipher=cipher[0] if cipher else None,
            ssl_c_used=bool(connection.getpeercert(binary_form=True)),
            # A failed verification aborts the handshake (no ca-ignore-err support),
            # so a connection that got this far has verified or sent nothing.
            ssl_c_verify=0,
        )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _cert_specs(
    options: Sequence[Sequence[str]], base_dir: Path, defaults: TlsDefaults, location: str
) -> list[_CertSpec]:
    """Every certificate of the bind, in declaration order (the first is the default)."""
    specs: list[_CertSpec] = []
    for option in options:
        if option[0] == "crt" and len(option) > 1:
            path = _resolve(option[1], defaults.crt_base, base_dir)
            files = _directory_files(path) if path.is_dir() else [path]
            specs += [_CertSpec(f, location=location) for f in files]
        elif option[0] == "crt-list" and len(option) > 1:
            specs += _read_crt_list(
                _resolve(option[1], None, base_dir), base_dir, defaults, location
            )
    return specs


def _read_crt_list(
    path: Path, base_dir: Path, defaults: TlsDefaults, location: str
) -> list[_CertSpec]:
    """Lines ``<crtfile> [[<sslbindconf> ...]] [[!]<snifilter> ...]``; ``#`` comments."""
    text = _read(path, "crt-list", location).decode("utf-8", errors="replace")
    specs: list[_CertSpec] = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.strip()
        if not words or words.startswith("#"):
            continue
        here = f"{path}:{number}"
        crt, options, filters = _split_crt_list_line(words, here)
        specs.append(_CertSpec(_resolve(crt, defaults.crt_base, base_dir), filters, options, here))
    return specs


def _split_crt_list_line(
    line: str, here: str
) -> tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]]:
    crt, _, rest = line.partition(" ")
    rest = rest.strip()
    options: tuple[tuple[str, ...], ...] = ()
    if rest.startswith("["):
        inside, closed, rest = rest[1:].partition("]")
        if not closed:
            raise TlsConfigError(f"missing ']' in crt-list line '{line}'", here)
        groups = _group(inside.split(), kw.BIND_OPTIONS)
        bad = [g[0] for g in groups if g[0] not in _CRT_LIST_OPTIONS]
        if bad:
            raise TlsConfigError(f"'{bad[0]}' is not allowed in a crt-list line", here)
        if any(len(g) < 1 + kw.BIND_OPTIONS[g[0]].nargs for g in groups):
            raise TlsConfigError(f"missing argument in crt-list line '{line}'", here)
        options = _frozen(groups)
    if "[" in rest or "]" in rest:
        raise TlsConfigError(f"misplaced '[' or ']' in crt-list line '{line}'", here)
    return crt, options, tuple(rest.split())


def _entry(
    spec: _CertSpec, settings: _Settings, base_dir: Path, defaults: TlsDefaults, mode: str
) -> _SniEntry:
    cert = _inspect_certificate(spec.path, spec.location)
    line_settings = settings
    if spec.options:
        line_settings = dataclasses.replace(settings, warnings=settings.warnings)
        for option in spec.options:
            if option[0] in kw.ENGINE_CRT_LIST_OPTIONS:
                _BIND_HANDLERS[option[0]](line_settings, list(option[1:]))
            gap = kw.crt_list_option_gap(option, mode)
            if gap is not None:  # the checker's words, so `proxydesk run` says it once
                settings.warnings.append(engine_gap_message(
                    f"{gap.what} on crt-list line {spec.location}", refuses=False, note=gap.note))
    context = _server_context(line_settings, base_dir, defaults, mode)
    _load_chain(context, cert, spec.location)
    names, excluded = spec.sni_names(cert)
    return _SniEntry(context, names, excluded)


def _load_chain(context: ssl.SSLContext, cert: _CertFile, location: str) -> None:
    try:
        context.load_cert_chain(
            str(cert.path),
            str(cert.key_path) if cert.key_path else None,
            password=_no_passphrase,
        )
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(
            f"unable to load certificate '{cert.path}' : {getattr(exc, 'reason', None) or 'invalid'}",
            location,
        ) from None


def _no_passphrase() -> bytes:
    # Without a callback OpenSSL would prompt on the terminal for an encrypted key.
    raise TlsConfigError("encrypted private keys are not supported")


def _server_context(
    settings: _Settings, base_dir: Path, defaults: TlsDefaults, mode: str
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _apply_common(context, settings)
    _apply_client_verification(context, settings, base_dir, defaults)
    if settings.no_tickets:
        context.options |= ssl.OP_NO_TICKET
    if settings.prefer_client_ciphers:
        context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    _apply_curve(context, settings)
    alpn = _offered_alpn(settings, mode)
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def _apply_common(context: ssl.SSLContext, settings: _Settings) -> None:
    low, high = settings.version_range()
    with warnings.catch_warnings():
        # Python deprecates TLS 1.0/1.1; the config asked for them explicitly.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            context.minimum_version, context.maximum_version = low, high
        except (ValueError, ssl.SSLError):
            raise TlsConfigError(
                f"this SSL library cannot use {low.name}..{high.name}", settings.location
            ) from None
    if settings.ciphers:
        try:
            context.set_ciphers(settings.ciphers)
        except ssl.SSLError:
            raise TlsConfigError(
                f"unable to set the cipher list '{settings.ciphers}'", settings.location
            ) from None


def _apply_curve(context: ssl.SSLContext, settings: _Settings) -> None:
    if not settings.ecdhe:
        return
    curves = settings.ecdhe.split(":")  # Python sets one: keywords.option_gap says so
    try:
        context.set_ecdh_curve(curves[0])
    except (ValueError, ssl.SSLError):
        raise TlsConfigError(f"unknown curve '{curves[0]}'", settings.location) from None


def _offered_alpn(settings: _Settings, mode: str) -> list[str]:
    """The ALPN list to advertise: in ``mode http`` only what the engine speaks."""
    return kw.engine_alpn(settings.alpn or [], mode)[0]


def _apply_client_verification(
    context: ssl.SSLContext, settings: _Settings, base_dir: Path, defaults: TlsDefaults
) -> None:
    verify = settings.verify or "none"
    modes = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}
    if verify not in modes:
        raise TlsConfigError(
            f"verify '{verify}' : expects 'none', 'optional' or 'required'", settings.location
        )
    if verify != "none" and not settings.ca_file:
        raise TlsConfigError("verify is enabled but no CA file specified", settings.location)
    _load_trust(context, settings, base_dir, defaults, ssl.Purpose.CLIENT_AUTH)
    context.verify_mode = modes[verify]


def _load_trust(
    context: ssl.SSLContext,
    settings: _Settings,
    base_dir: Path,
    defaults: TlsDefaults,
    purpose: ssl.Purpose,
) -> None:
    """``ca-file`` (a file, a directory of them, or ``@system-ca``) and ``crl-file``."""
    if settings.ca_file == _SYSTEM_CA:
        context.load_default_certs(purpose)
    elif settings.ca_file:
        for path in _ca_files(_resolve(settings.ca_file, defaults.ca_base, base_dir)):
            _load_verify(context, path, "CA file", settings.location)
    if settings.crl_file:
        crl = _resolve(settings.crl_file, defaults.ca_base, base_dir)
        _load_verify(context, crl, "CRL file", settings.location)
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF


def _ca_files(path: Path) -> list[Path]:
    if path.is_dir():
        return [p for p in _directory_files(path) if p.suffix in _CA_SUFFIXES]
    return [path]


def _load_verify(context: ssl.SSLContext, path: Path, what: str, location: str) -> None:
    try:
        context.load_verify_locations(cafile=str(path))
    except FileNotFoundError:
        raise TlsConfigError(f"unable to load {what} '{path}' : not found", location) from None
    except (ssl.SSLError, OSError, ValueError):
        raise TlsConfigError(f"unable to load {what} '{path}'", location) from None


# --- re-encryption towards servers ------------------------------------------------------


@dataclass(frozen=True)
class SniSource:
    """Where a server connection's SNI comes from: HAProxy's ``sni <expr>``, the forms we run."""

    literal: str | None = None  # sni str(name)
    header: str | None = None  # sni req.hdr(host): lower-case header name
    client_sni: bool = False  # sni ssl_fc_sni

    @classmethod
    def parse(cls, expression: str, location: str) -> SniSource:
        lowered = expression.lower()
        if lowered.startswith("str(") and expression.endswith(")"):
            return cls(literal=expression[4:-1])
        for prefix in ("req.hdr(", "hdr("):
            if lowered.startswith(prefix) and expression.endswith(")"):
                return cls(header=lowered[len(prefix) : -1].split(",")[0])
        if lowered in ("ssl_fc_sni", "req.ssl_sni", "req_ssl_sni"):
            return cls(client_sni=True)
        raise TlsConfigError(
            f"sni '{expression}' : only str(<name>), req.hdr(<name>) and ssl_fc_sni are "
            "supported by the engine",
            location,
        )

    def resolve(
        self, headers: Sequence[tuple[bytes, bytes]] | None = None, client_sni: str | None = None
    ) -> str | None:
        if self.literal is not None:
            return self.literal or None
        if self.client_sni:
            return client_sni
        value = next(
            (v for n, v in headers or () if n.decode("latin-1").lower() == self.header), None
        )
        if not value:
            return None
        # SNI carries a bare host name: "Host: a.test:8443" becomes "a.test".
        host = value.decode("latin-1").strip()
        if host.startswith("["):  # an IPv6 literal: never a valid SNI
            return None
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@dataclass(frozen=True)
class ServerTls:
    """TLS towards one server (``ssl``) and/or its health checks (``check-ssl``)."""

    traffic: bool  # "ssl": requests are encrypted
    check: bool  # checks run over TLS
    verify: bool
    sni: SniSource | None
    verifyhost: str | None
    check_sni: str | None
    warnings: tuple[str, ...]
    named_context: ssl.SSLContext = field(repr=False)  # verifies the certificate's names
    unnamed_context: ssl.SSLContext = field(repr=False)  # chain only: no name to check against

    @property
    def context(self) -> ssl.SSLContext:
        return self.named_context

    def connection_args(
        self, headers: Sequence[tuple[bytes, bytes]] | None = None, client_sni: str | None = None
    ) -> tuple[ssl.SSLContext, str]:
        """``(ssl, server_hostname)`` for ``loop.create_connection`` to this server.

        The name is the SNI (``sni``), else ``verifyhost``; ``""`` means no
        SNI and no name check, which asyncio understands as such.  Python
        couples the two: with ``verifyhost`` but no ``sni`` HAProxy sends no
        SNI and still checks the name, we send the name as SNI too.
        """
        name = (self.sni.resolve(headers, client_sni) if self.sni else None) or self.verifyhost
        return self._pick(name)

    def check_connection_args(self) -> tuple[ssl.SSLContext, str]:
        """The same for health checks: ``check-sni``, else ``verifyhost``."""
        return self._pick(self.check_sni or self.verifyhost)

    def _pick(self, name: str | None) -> tuple[ssl.SSLContext, str]:
        if name and self.verify:
            return self.named_context, name
        return self.unnamed_context, name or ""


_SERVER_HANDLERS: dict[str, _Handler] = {
    **_COMMON_HANDLERS,
    "tls-tickets": _setter("no_tickets", False),  # resets a default-server "no-tls-tickets"
}


def client_context(
    server_options: Sequence[Sequence[str]] | Server,
    base_dir: Path,
    *,
    location: str = "",
    defaults: TlsDefaults | None = None,
    mode: str = "http",
) -> ServerTls | None:
    """Fold a server's options (default-server ones first) into ``ServerTls``; None: plain TCP."""
    options = server_options.options if isinstance(server_options, Server) else server_options
    defaults = defaults or TlsDefaults()
    flags = _server_flags([*defaults.server_options, *options])
    if not flags["ssl"] and not flags["check-ssl"]:
        return None
    settings = _Settings(location)
    _fold(settings, defaults.server_options, _SERVER_HANDLERS)
    _fold(settings, options, _SERVER_HANDLERS)
    verify_word = settings.verify or defaults.server_verify
    if verify_word not in ("none", "required"):
        raise TlsConfigError(f"verify '{verify_word}' : expects 'none' or 'required'", location)
    verify = verify_word == "required"
    if verify and not settings.ca_file:
        raise TlsConfigError(kw.SERVER_VERIFY_WITHOUT_CA, location)
    client_crt = _last(options, "crt")
    named, unnamed = (
        _client_ssl_context(settings, base_dir, defaults, mode, verify, check_names)
        for check_names in (True, False)
    )
    if client_crt:
        cert = _inspect_certificate(_resolve(client_crt, defaults.crt_base, base_dir), location)
        for context in (named, unnamed):
            _load_chain(context, cert, location)
    sni = _last(options, "sni")
    check_sni = _last(options, "check-sni")
    return ServerTls(
        traffic=flags["ssl"],
        check=flags["check-ssl"] or (flags["ssl"] and not _has_any(options, "port", "addr")),
        verify=verify,
        sni=SniSource.parse(sni, location) if sni else None,
        verifyhost=_last(options, "verifyhost") if not flags["no-verifyhost"] else None,
        check_sni=check_sni,
        warnings=tuple(_unique(settings.warnings)),
        named_context=named,
        unnamed_context=unnamed,
    )


#: Server words that set or reset a flag: word -> (flag, value).  The last word wins.
_FLAG_WORDS = {
    "ssl": ("ssl", True),
    "no-ssl": ("ssl", False),
    "check-ssl": ("check-ssl", True),
    "no-check-ssl": ("check-ssl", False),
    "verifyhost": ("no-verifyhost", False),
    "no-verifyhost": ("no-verifyhost", True),
}


#: Server words read outside the handler table (by ``client_context``).
SERVER_WORDS = frozenset({*_FLAG_WORDS, "crt", "sni", "check-sni"})


def _server_flags(options: Sequence[Sequence[str]]) -> dict[str, bool]:
    flags = {"ssl": False, "check-ssl": False, "no-verifyhost": False}
    for option in options:
        if option[0] in _FLAG_WORDS:
            flag, value = _FLAG_WORDS[option[0]]
            flags[flag] = value
    return flags


def _last(options: Sequence[Sequence[str]], name: str) -> str | None:
    found = [o[1] for o in options if o[0] == name and len(o) > 1]
    return found[-1] if found else None


def _has_any(options: Sequence[Sequence[str]], *names: str) -> bool:
    return any(o[0] in names for o in options)


def _client_ssl_context(
    settings: _Settings,
    base_dir: Path,
    defaults: TlsDefaults,
    mode: str,
    verify: bool,
    check_names: bool,
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _apply_common(context, settings)
    if settings.no_tickets:
        context.options |= ssl.OP_NO_TICKET
    if verify:
        _load_trust(context, settings, base_dir, defaults, ssl.Purpose.SERVER_AUTH)
        context.check_hostname = check_names
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    alpn = _offered_alpn(settings, mode)
    if alpn:
        context.set_alpn_protocols(alpn)
    return context
