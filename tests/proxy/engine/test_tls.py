"""TLS contexts for the engine, proven with real handshakes on 127.0.0.1.

Certificates come from ``proxy.certs.CertStore`` (a real local CA); servers
are ``asyncio.start_server(ssl=terminator.context)``; clients trust only
that CA with Python's strict defaults (hostname check, CERT_REQUIRED) plus
OpenSSL's X509_STRICT.  Each server answers one JSON line: the ``TlsInfo``
the engine would hand to its ACL fetches.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import shutil
import ssl
from collections.abc import AsyncIterator, Sequence
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from _engine_support import tls_json_line
from cryptography import x509

from proxy.certs import CertStore
from proxy.config import keywords as kw
from proxy.config import writer
from proxy.config.load import check_text
from proxy.config.nodes import Bind
from proxy.engine.acl import RequestContext
from proxy.engine.tls import (
    ServerTls,
    TlsConfigError,
    TlsDefaults,
    TlsInfo,
    TlsTerminator,
    client_context,
    handshake_verify_code,
)
from tests.conftest import HaproxyCheck

TIMEOUT = 3.0
HANDSHAKE_FAILED = (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError)


@dataclasses.dataclass
class Pki:
    store: CertStore
    root: Path

    @property
    def ca(self) -> Path:
        self.store.ca()  # created on first use
        return self.store.ca_cert_path

    def pem(self, *names: str, filename: str | None = None, folder: str = ".") -> Path:
        """Issue a leaf for ``names`` and copy its combined PEM into ``root/folder``."""
        entry = self.store.issue(list(names)).entry
        target = self.root / folder / (filename or f"{entry.id}.pem")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry.pem_path, target)
        return target


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(CertStore(tmp_path / "store", owner="tester@testhost"), tmp_path)


def terminator(pki: Pki, *words: str, location: str = "test.cfg:1") -> TlsTerminator:
    return TlsTerminator.from_bind(
        Bind.from_words(["bind", "127.0.0.1:0", *words]), pki.root, location=location
    )


def strict_client(pki: Pki, alpn: Sequence[str] = ()) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


@contextlib.asynccontextmanager
async def tls_server(term: TlsTerminator) -> AsyncIterator[int]:
    """Serve TLS on a free port; each connection gets its ``TlsInfo`` as one JSON line."""
    writers: set[asyncio.StreamWriter] = set()

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        info = term.info(writer.get_extra_info("ssl_object"))
        writer.write(json.dumps(dataclasses.asdict(info)).encode() + b"\n")
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=term.context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


async def fetch(
    port: int, client: ssl.SSLContext, server_hostname: str | None
) -> tuple[set[str], dict[str, Any]]:
    """Handshake, read the server's JSON line; returns (peer certificate SANs, TlsInfo)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=client, server_hostname=server_hostname),
        TIMEOUT,
    )
    try:
        peer = writer.get_extra_info("peercert") or {}
        line = await asyncio.wait_for(reader.readuntil(b"\n"), TIMEOUT)
        return {value for _kind, value in peer.get("subjectAltName", ())}, json.loads(line)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


def insecure_client(alpn: Sequence[str] = ()) -> ssl.SSLContext:
    """Accepts any certificate: for tests about *which* certificate is served."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


async def served_sans(port: int, server_hostname: str | None) -> set[str]:
    context = insecure_client()
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname=server_hostname
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        san = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        )
        await reader.readuntil(b"\n")
        return set(san.value.get_values_for_type(x509.DNSName))
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


# --- termination -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_client_trusting_only_the_local_ca_verifies_strictly(pki: Pki) -> None:
    term = terminator(pki, "ssl", "crt", str(pki.pem("app.localhost", "127.0.0.1")))
    async with tls_server(term) as port:
        sans, info = await fetch(port, strict_client(pki), "app.localhost")
    assert "app.localhost" in sans
    assert info["ssl_fc"] is True
    assert info["ssl_fc_sni"] == "app.localhost"
    assert info["ssl_fc_protocol"] == "TLSv1.3"
    assert info["ssl_c_verify"] == 0 and info["ssl_c_used"] is False


@pytest.mark.asyncio
async def test_two_certificates_on_one_bind_are_chosen_by_sni(pki: Pki) -> None:
    a, b = pki.pem("a.test"), pki.pem("b.test")
    term = terminator(pki, "ssl", "crt", str(a), "crt", str(b))
    async with tls_server(term) as port:
        assert (await fetch(port, strict_client(pki), "a.test"))[0] == {"a.test"}
        assert (await fetch(port, strict_client(pki), "B.TEST"))[0] == {"b.test"}
        assert await served_sans(port, "unknown.test") == {"a.test"}  # the first is the default
        assert await served_sans(port, None) == {"a.test"}


@pytest.mark.asyncio
async def test_wildcard_matches_one_label_and_exact_names_win(pki: Pki) -> None:
    default, wild = pki.pem("default.test"), pki.pem("*.example.test")
    exact = pki.pem("api.example.test")
    term = terminator(pki, "ssl", "crt", str(default), "crt", str(wild), "crt", str(exact))
    async with tls_server(term) as port:
        assert (await fetch(port, strict_client(pki), "www.example.test"))[0] == {"*.example.test"}
        assert (await fetch(port, strict_client(pki), "api.example.test"))[0] == {
            "api.example.test"
        }
        assert await served_sans(port, "a.b.example.test") == {"default.test"}
        assert await served_sans(port, "example.test") == {"default.test"}


@pytest.mark.asyncio
async def test_crt_directory_loads_every_file_in_alphabetical_order(pki: Pki) -> None:
    pki.pem("z.test", filename="20-z.pem", folder="certs")
    pki.pem("first.test", filename="10-first.pem", folder="certs")
    (pki.root / "certs" / ".hidden").write_text("ignored: dot files are skipped")
    (pki.root / "certs" / "10-first.pem.ocsp").write_bytes(b"")  # a reserved extension
    term = terminator(pki, "ssl", "crt", "certs")  # relative to the base directory
    assert len(term.contexts) == 2
    async with tls_server(term) as port:
        assert (await fetch(port, strict_client(pki), "z.test"))[0] == {"z.test"}
        assert await served_sans(port, None) == {"first.test"}


@pytest.mark.asyncio
async def test_crt_list_filters_replace_and_exclude_names(pki: Pki) -> None:
    fallback = pki.pem("fallback.test", filename="fallback.pem")
    wild = pki.pem("*.shop.test", filename="wild.pem")
    other = pki.pem("other.test", filename="other.pem")
    (pki.root / "list.txt").write_text(
        "# comment line\n"
        "\n"
        f"{fallback} !*\n"
        f"{wild} [alpn http/1.1] *.shop.test !secure.shop.test\n"
        f"{other.name} secure.shop.test alias.test\n"
    )
    term = terminator(pki, "ssl", "crt-list", "list.txt")
    async with tls_server(term) as port:
        assert await served_sans(port, "www.shop.test") == {"*.shop.test"}
        assert await served_sans(port, "secure.shop.test") == {"other.test"}
        assert await served_sans(port, "alias.test") == {"other.test"}
        assert await served_sans(port, "other.test") == {"fallback.test"}  # filters replace SANs
        assert await served_sans(port, "fallback.test") == {"fallback.test"}  # as the default


@pytest.mark.asyncio
async def test_strict_sni_refuses_unknown_names(pki: Pki) -> None:
    term = terminator(pki, "ssl", "crt", str(pki.pem("a.test")), "strict-sni")
    async with tls_server(term) as port:
        assert (await fetch(port, strict_client(pki), "a.test"))[0] == {"a.test"}
        with pytest.raises(HANDSHAKE_FAILED):
            await fetch(port, insecure_client(), "nope.test")


@pytest.mark.asyncio
async def test_alpn_advertises_only_what_the_engine_speaks(pki: Pki) -> None:
    term = terminator(pki, "ssl", "crt", str(pki.pem("a.test")), "alpn", "h2,http/1.1")
    # what is left out is the registry's word, warned by the checker and the compiler
    # (test_option_support.py), not by the TLS module
    gap = kw.option_gap(kw.BIND_OPTIONS, ["alpn", "h2,http/1.1"], "http")
    assert gap is not None and gap.what == "'h2' of 'alpn h2,http/1.1'" and "http/1.1" in gap.note
    async with tls_server(term) as port:
        _, info = await fetch(port, strict_client(pki, ["h2", "http/1.1"]), "a.test")
        assert info["ssl_fc_alpn"] == "http/1.1"
        _, info = await fetch(port, strict_client(pki, ["h2"]), "a.test")
        assert info["ssl_fc_alpn"] is None


def test_alpn_is_untouched_in_tcp_mode(pki: Pki) -> None:
    bind = Bind.from_words(["bind", ":0", "ssl", "crt", str(pki.pem("a.test")), "alpn", "h2"])
    assert TlsTerminator.from_bind(bind, pki.root, mode="tcp").warnings == ()
    assert kw.option_gap(kw.BIND_OPTIONS, ["alpn", "h2"], "tcp") is None


@pytest.mark.asyncio
async def test_min_version_refuses_older_clients(pki: Pki) -> None:
    term = terminator(pki, "ssl", "crt", str(pki.pem("a.test")), "ssl-min-ver", "TLSv1.3")
    old = strict_client(pki)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    async with tls_server(term) as port:
        with pytest.raises(HANDSHAKE_FAILED):
            await fetch(port, old, "a.test")
        assert (await fetch(port, strict_client(pki), "a.test"))[1]["ssl_fc_protocol"] == "TLSv1.3"


@pytest.mark.asyncio
async def test_max_version_caps_the_protocol(pki: Pki) -> None:
    term = terminator(pki, "ssl", "crt", str(pki.pem("a.test")), "ssl-max-ver", "TLSv1.2")
    async with tls_server(term) as port:
        _, info = await fetch(port, strict_client(pki), "a.test")
    assert info["ssl_fc_protocol"] == "TLSv1.2"


@pytest.mark.asyncio
async def test_required_client_certificate(pki: Pki) -> None:
    server_pem = pki.pem("a.test")
    term = terminator(
        pki, "ssl", "crt", str(server_pem), "ca-file", str(pki.ca), "verify", "required"
    )
    with_cert = strict_client(pki)
    with_cert.load_cert_chain(pki.pem("client.test"))
    async with tls_server(term) as port:
        with pytest.raises(HANDSHAKE_FAILED):
            await fetch(port, strict_client(pki), "a.test")
        _, info = await fetch(port, with_cert, "a.test")
    assert info["ssl_c_used"] is True and info["ssl_c_verify"] == 0


@pytest.mark.asyncio
async def test_optional_client_certificate_rejects_foreign_ones(pki: Pki, tmp_path: Path) -> None:
    term = terminator(
        pki, "ssl", "crt", str(pki.pem("a.test")), "ca-file", str(pki.ca), "verify", "optional"
    )
    foreign = Pki(CertStore(tmp_path / "other-store"), tmp_path / "other")
    stranger = strict_client(pki)
    stranger.load_cert_chain(foreign.pem("stranger.test"))
    async with tls_server(term) as port:
        _, info = await fetch(port, strict_client(pki), "a.test")
        assert info["ssl_c_used"] is False and info["ssl_c_verify"] == 0
        with pytest.raises(HANDSHAKE_FAILED):
            await fetch(port, stranger, "a.test")


def test_tls_info_fills_the_acl_request_context() -> None:
    ctx = RequestContext(
        src=ip_address("127.0.0.1"), src_port=1, dst=ip_address("127.0.0.1"), dst_port=2
    )
    TlsInfo(ssl_fc_sni="a.test", ssl_fc_protocol="TLSv1.3", ssl_c_verify=0).apply_to(ctx)
    assert (ctx.ssl_fc, ctx.ssl_fc_sni, ctx.ssl_fc_protocol) == (True, "a.test", "TLSv1.3")


def test_global_defaults_apply_under_the_bind(pki: Pki) -> None:
    pki.pem("a.test", filename="a.pem", folder="certs")
    text = (
        "global\n"
        "    crt-base certs\n"
        "    ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets\n"
        "    ssl-server-verify none\n"
        "frontend f\n"
        "    bind 127.0.0.1:0 ssl crt a.pem\n"
    )
    config = check_text(text).config
    defaults = TlsDefaults.from_global(config.global_section, pki.root)
    term = TlsTerminator.from_bind(config.frontends[0].binds[0], pki.root, defaults=defaults)
    assert term.context.minimum_version is ssl.TLSVersion.TLSv1_3
    assert term.context.options & ssl.OP_NO_TICKET
    server = client_context([["ssl"]], pki.root, defaults=defaults)
    assert server is not None and not server.verify


# --- configuration errors --------------------------------------------------------------


def _error(pki: Pki, *words: str) -> TlsConfigError:
    with pytest.raises(TlsConfigError) as caught:
        terminator(pki, *words, location="haproxy.cfg:12")
    assert str(caught.value).startswith("haproxy.cfg:12: ")
    assert "PRIVATE KEY" not in str(caught.value)
    return caught.value


def test_missing_certificate_file(pki: Pki) -> None:
    assert "missing.pem" in _error(pki, "ssl", "crt", "missing.pem").message


def test_ssl_without_certificate(pki: Pki) -> None:
    assert "no SSL certificate" in _error(pki, "ssl").message


def test_certificate_without_key_or_with_a_companion_key(pki: Pki) -> None:
    entry = pki.store.issue(["a.test"]).entry
    cert, key = pki.store.export_entry(entry.id, pki.root / "split", layout="pair")
    assert key is not None
    assert "no private key" in _error(pki, "ssl", "crt", str(cert)).message
    key.rename(cert.with_name(cert.name + ".key"))  # HAProxy's "<crt>.key" companion
    assert len(terminator(pki, "ssl", "crt", str(cert)).contexts) == 1


def test_key_not_matching_the_certificate(pki: Pki) -> None:
    a, b = pki.pem("a.test"), pki.pem("b.test")
    a_text, b_text = a.read_text(), b.read_text()
    mixed = pki.root / "mixed.pem"
    key_marker = "-----BEGIN PRIVATE KEY-----"
    mixed.write_text(a_text.split(key_marker)[0] + key_marker + b_text.split(key_marker)[1])
    assert "does not match" in _error(pki, "ssl", "crt", str(mixed)).message


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("{crt} [alpn h2", "missing ']'"),
        ("{crt} [accept-proxy] a.test", "not allowed"),
        ("{crt} [alpn] a.test", "missing argument"),
        ("{crt} a.test ]", "misplaced"),
    ],
)
def test_bad_crt_list_lines_point_at_the_list(pki: Pki, line: str, why: str) -> None:
    (pki.root / "list.txt").write_text("# first line\n" + line.format(crt=pki.pem("a.test")) + "\n")
    with pytest.raises(TlsConfigError) as caught:
        terminator(pki, "ssl", "crt-list", "list.txt")
    assert why in caught.value.message
    assert caught.value.location == f"{pki.root / 'list.txt'}:2"


@pytest.mark.parametrize(
    ("words", "why"),
    [
        (("verify", "required"), "no CA file"),
        (("ssl-min-ver", "TLSv1.4"), "unknown ssl/tls version"),
        (("ssl-min-ver", "TLSv1.3", "no-tlsv13"), "no SSL/TLS version"),
        (("ciphers", "NOT-A-CIPHER"), "cipher list"),
        (("verify", "sometimes", "ca-file", "{ca}"), "expects"),
    ],
)
def test_bad_bind_settings(pki: Pki, words: tuple[str, ...], why: str) -> None:
    crt = str(pki.pem("a.test"))
    filled = [w.format(ca=pki.ca) for w in words]
    assert why in _error(pki, "ssl", "crt", crt, *filled).message


def test_an_option_the_engine_ignores_is_dropped_and_the_registry_says_so(pki: Pki) -> None:
    term = terminator(
        pki, "ssl", "crt", str(pki.pem("a.test")), "ciphersuites", "TLS_AES_128_GCM_SHA256"
    )
    assert term.context is not None
    assert kw.BIND_OPTIONS["ciphersuites"].engine == "ignores"


# --- re-encryption towards servers -----------------------------------------------------


async def connect_backend(port: int, server: ServerTls, **resolve: Any) -> dict[str, Any]:
    context, hostname = server.connection_args(**resolve)
    return await tls_json_line(port, context, hostname, TIMEOUT)


def server_tls(pki: Pki, *options: list[str]) -> ServerTls:
    found = client_context([list(o) for o in options], pki.root, location="haproxy.cfg:30")
    assert found is not None
    return found


@pytest.mark.asyncio
async def test_reencryption_verifies_the_backend_against_ca_file_and_sni(pki: Pki) -> None:
    backend = terminator(pki, "ssl", "crt", str(pki.pem("backend.test")))
    ca = ["ca-file", str(pki.ca)]
    good = server_tls(pki, ["ssl"], ["verify", "required"], ca, ["sni", "str(backend.test)"])
    wrong = server_tls(pki, ["ssl"], ca, ["sni", "str(wrong.test)"])
    by_host = server_tls(pki, ["ssl"], ca, ["sni", "req.hdr(host)"])
    unchecked = server_tls(pki, ["ssl"], ["verify", "none"], ["sni", "str(wrong.test)"])
    chain_only = server_tls(pki, ["ssl"], ca)  # no name known: the chain is still verified
    async with tls_server(backend) as port:
        assert (await connect_backend(port, good))["ssl_fc_sni"] == "backend.test"
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            await connect_backend(port, wrong)
        assert handshake_verify_code(caught.value) is not None
        headers = [(b"Host", b"backend.test:8443")]
        assert (await connect_backend(port, by_host, headers=headers))[
            "ssl_fc_sni"
        ] == "backend.test"
        assert (await connect_backend(port, unchecked))["ssl_fc_sni"] == "wrong.test"
        assert (await connect_backend(port, chain_only))["ssl_fc_sni"] is None


@pytest.mark.asyncio
async def test_reencryption_refuses_a_backend_from_another_ca(pki: Pki, tmp_path: Path) -> None:
    foreign = Pki(CertStore(tmp_path / "other-store"), tmp_path / "other")
    backend = terminator(foreign, "ssl", "crt", str(foreign.pem("backend.test")))
    server = server_tls(pki, ["ssl"], ["ca-file", str(pki.ca)], ["sni", "str(backend.test)"])
    async with tls_server(backend) as port:
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect_backend(port, server)


def test_server_ssl_flags_and_resets(pki: Pki) -> None:
    ca = ["ca-file", str(pki.ca)]
    assert client_context([["ssl"], ca, ["no-ssl"]], pki.root) is None
    assert client_context([["check"]], pki.root) is None
    check_only = server_tls(pki, ["check-ssl"], ca, ["check-sni", "health.test"])
    assert (check_only.traffic, check_only.check) == (False, True)
    assert check_only.check_connection_args()[1] == "health.test"
    elsewhere = server_tls(pki, ["ssl"], ca, ["port", "8080"])
    assert (elsewhere.traffic, elsewhere.check) == (True, False)
    pinned = server_tls(pki, ["ssl"], ca, ["verifyhost", "pinned.test"])
    assert pinned.connection_args()[1] == "pinned.test"
    reset = server_tls(pki, ["ssl"], ca, ["verifyhost", "pinned.test"], ["no-verifyhost"])
    assert reset.connection_args()[1] == ""


def test_server_ssl_without_ca_file_is_haproxys_error(pki: Pki) -> None:
    with pytest.raises(TlsConfigError) as caught:
        client_context([["ssl"]], pki.root, location="haproxy.cfg:30")
    assert "verify is enabled by default but no CA file specified" in str(caught.value)
    assert str(caught.value).startswith("haproxy.cfg:30: ")


def test_server_alpn_h2_is_not_offered_and_the_registry_says_so(pki: Pki) -> None:
    server = server_tls(pki, ["ssl"], ["verify", "none"], ["alpn", "h2,http/1.1"])
    assert server.traffic and server.warnings == ()  # the compiler warns, from the registry
    gap = kw.option_gap(kw.SERVER_OPTIONS, ["alpn", "h2,http/1.1"], "http")
    assert gap is not None and gap.what == "'h2' of 'alpn h2,http/1.1'"


def test_unsupported_sni_expression(pki: Pki) -> None:
    with pytest.raises(TlsConfigError, match="sni"):
        client_context([["ssl"], ["verify", "none"], ["sni", "src"]], pki.root)


# --- HAProxy agrees with what we accept and refuse ---------------------------------------

PASSTHROUGH = """\
defaults
    timeout client 5s
    timeout server 5s
    timeout connect 5s

frontend https_in
    mode http
    default_backend apps

frontend tls_passthrough
    mode tcp
    tcp-request inspect-delay 5s
    tcp-request content accept if { req_ssl_hello_type 1 }
    use_backend site_a if { req.ssl_sni -i a.test }
    use_backend site_b if { req_ssl_sni -m end .b.test }
    default_backend site_a

backend apps
    mode http
    server app1 127.0.0.1:3000 ssl verify required ca-file {ca} sni req.hdr(host)

backend site_a
    mode tcp
    server a1 127.0.0.1:9441

backend site_b
    mode tcp
    server b1 127.0.0.1:9442
"""


def _exported_config(pki: Pki, bind_words: list[str]) -> Path:
    """Parse the base config, add the binds through the model, write it with the writer."""
    config = check_text(PASSTHROUGH.replace("{ca}", str(pki.ca))).config
    https_in, passthrough = config.frontends
    https_in.add(Bind.from_words(["bind", "127.0.0.1:8443", *bind_words]))
    passthrough.add(Bind.from_words(["bind", "127.0.0.1:9443"]))
    path = pki.root / "exported.cfg"
    path.write_text(writer.write(config))
    return path


def _we_accept(pki: Pki, path: Path) -> bool:
    config = check_text(path.read_text()).config
    bind = config.frontends[0].binds[0]
    try:
        TlsTerminator.from_bind(bind, pki.root)
        server = config.backend("apps")
        assert server is not None
        client_context(server.servers[0], pki.root)
    except TlsConfigError:
        return False
    return True


@pytest.mark.haproxy
def test_exported_crt_dir_and_passthrough_config_passes_haproxy(
    pki: Pki, haproxy_check: HaproxyCheck
) -> None:
    pki.pem("a.test", filename="a.pem", folder="certs")
    pki.pem("*.b.test", filename="b.pem", folder="certs")
    path = _exported_config(pki, ["ssl", "crt", "certs", "alpn", "http/1.1"])
    assert "bind 127.0.0.1:8443 ssl crt certs alpn http/1.1" in path.read_text()
    result = haproxy_check(path, cwd=pki.root)
    assert result.returncode == 0, result.stderr
    assert _we_accept(pki, path)


@pytest.mark.haproxy
@pytest.mark.parametrize(
    "bind_words",
    [
        ["ssl"],
        ["ssl", "crt", "certs", "verify", "required"],
        ["ssl", "crt", "certs", "ssl-min-ver", "TLSv1.4"],
        ["ssl", "crt", "missing-dir"],
        ["ssl", "crt", "with-metadata"],  # a non-PEM file in a crt directory
    ],
)
def test_haproxy_refuses_what_we_refuse(
    pki: Pki, haproxy_check: HaproxyCheck, bind_words: list[str]
) -> None:
    pki.pem("a.test", filename="a.pem", folder="certs")
    pki.pem("a.test", filename="a.pem", folder="with-metadata")
    (pki.root / "with-metadata" / "a.json").write_text('{"id": "a"}\n')
    path = _exported_config(pki, bind_words)
    assert haproxy_check(path, cwd=pki.root).returncode != 0
    assert not _we_accept(pki, path)
