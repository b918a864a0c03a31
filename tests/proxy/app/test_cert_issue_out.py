"""``cert issue NAME --out DIR`` writes what ``bind ... ssl crt DIR/`` loads.

Each layout is judged by the three that read ``crt DIR/``: ``haproxy -c`` (the
oracle), ``proxydesk check``, and the engine serving a real TLS handshake to a
client that trusts only the local CA.  The ``--pair`` layout (for other
servers) must be refused by all of them -- and the command says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from proxy import cli
from proxy.certs.store import CertStore
from proxy.config.load import load
from proxy.engine import Engine
from tests.conftest import HaproxyCheck
from tests.proxy.app.test_cert_commands import run

CONFIG = """defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend tls_in
    bind 127.0.0.1:{port} ssl crt {crt}
    default_backend app
backend app
    server app 127.0.0.1:{backend}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_config(tmp_path: Path, crt: str, backend: int) -> tuple[Path, int]:
    port = free_port()
    path = tmp_path / "haproxy.cfg"
    path.write_text(CONFIG.format(port=port, crt=crt, backend=backend))
    return path, port


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.asynccontextmanager
async def hello_backend() -> AsyncIterator[int]:
    async def answer(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello from the app\n")
        with contextlib.suppress(OSError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def handshake(config: Path, base_dir: Path, port: int, ca: Path) -> tuple[bytes, object]:
    result = load(config, base_dir=base_dir)
    assert result.ok, [str(d) for d in result.diagnostics]
    engine = Engine(result.config, base_dir=base_dir)
    await engine.start()
    try:
        context = ssl.create_default_context(cafile=str(ca))  # trusts only the local CA
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="app.localhost"),
            3,
        )
        line = await asyncio.wait_for(reader.readline(), 3)
        peer = writer.get_extra_info("peercert")
        writer.close()
        return line, peer
    finally:
        await engine.stop(grace=0.5)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("flags", "files"),
    [
        ([], {"app.localhost.pem": 0o600}),
        (["--key-file"], {"app.localhost.pem": 0o644, "app.localhost.pem.key": 0o600}),
    ],
)
async def test_issue_out_is_what_crt_dir_loads(
    data_dir: Path,
    tmp_path: Path,
    haproxy_check: HaproxyCheck,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    files: dict[str, int],
) -> None:
    certs = tmp_path / "certs"
    assert run(["cert", "issue", "app.localhost", "--out", str(certs), *flags]) == 0
    assert capsys.readouterr().err == ""  # nothing in DIR that crt DIR/ would refuse
    assert {p.name: mode(p) for p in certs.iterdir()} == files  # keys are owner-only

    async with hello_backend() as backend:
        config, port = write_config(tmp_path, "certs/", backend)
        checked = haproxy_check(config, cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert cli.main(["check", "--base-dir", str(tmp_path), str(config)]) == 0
        assert "configuration is valid" in capsys.readouterr().err
        line, peer = await handshake(config, tmp_path, port, CertStore().ca_cert_path)
    assert line == b"hello from the app\n"
    assert ("DNS", "app.localhost") in peer["subjectAltName"]  # type: ignore[index]


def test_pair_is_only_on_request_and_refused_by_crt_dir_with_a_warning(
    data_dir: Path, tmp_path: Path, haproxy_check: HaproxyCheck, capsys: pytest.CaptureFixture[str]
) -> None:
    certs = tmp_path / "certs"
    assert run(["cert", "issue", "app.localhost", "--out", str(certs), "--pair"]) == 0
    captured = capsys.readouterr()
    cert, key = certs / "app.localhost-cert.pem", certs / "app.localhost-key.pem"
    assert str(cert) in captured.out and str(key) in captured.out
    assert mode(key) == 0o600 and mode(cert) == 0o644
    assert "would not load" in captured.err and "app.localhost-cert.pem.key" in captured.err

    config, _port = write_config(tmp_path, "certs/", free_port())
    checked = haproxy_check(config, cwd=tmp_path)
    assert checked.returncode != 0  # the oracle refuses it ...
    assert cli.main(["check", "--base-dir", str(tmp_path), str(config)]) == 1  # ... and so do we
    assert "app.localhost-cert.pem" in capsys.readouterr().out


def test_leftovers_in_the_directory_are_reported(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    certs = tmp_path / "certs"
    assert run(["cert", "issue", "old.localhost", "--out", str(certs), "--pair"]) == 0
    capsys.readouterr()
    assert run(["cert", "issue", "app.localhost", "--out", str(certs)]) == 0
    err = capsys.readouterr().err
    assert "old.localhost-cert.pem" in err and "old.localhost-key.pem" in err
    assert "app.localhost.pem" not in err


def test_layout_flags_need_out(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cert", "issue", "app.localhost", "--pair"]) == 1
    assert "--out" in capsys.readouterr().err
    assert not CertStore().list_entries()  # refused before anything was issued
