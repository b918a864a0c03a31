"""``proxydesk run`` says what the engine leaves out of the config it runs, as HAProxy
prints its [WARNING] lines: at start and after each reload, located, once each."""

from __future__ import annotations

import io
import re
import shutil
import signal
from pathlib import Path

import pytest

from proxy.app import run_commands
from proxy.app.demo import start_responder, tutorial_answer
from proxy.certs import CertStore
from proxy.config.load import check_text
from proxy.engine.engine import Engine
from tests.conftest import HaproxyCheck
from tests.proxy.app.test_run_commands import proxydesk, proxydesk_once
from tests.proxy.engine._engine_support import HTTP_DEFAULTS

H2 = ("'h2' of 'alpn h2,http/1.1': accepted by HAProxy; the embedded engine ignores it "
      "(it speaks HTTP/1.1 only: it offers http/1.1)")
TFO = "'tfo': accepted by HAProxy; the embedded engine ignores it (it connects without TCP Fast Open)"

CONFIG = HTTP_DEFAULTS + """
frontend web
    bind 127.0.0.1:0 ssl crt {pem} alpn h2,http/1.1
    default_backend be

backend be
    server alpha 127.0.0.1:{port}
"""


@pytest.fixture
def pem(tmp_path: Path) -> Path:
    store = CertStore(tmp_path / "store", owner="tester@testhost")
    target = tmp_path / "site.pem"
    shutil.copyfile(store.issue(["site.test"]).entry.pem_path, target)
    return target


def lines_of(stderr: str, message: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.endswith(f": warning: {message}")]


def haproxy_accepts(tmp_path: Path, text: str, haproxy_check: HaproxyCheck) -> None:
    fixed = tmp_path / "fixed.cfg"
    fixed.write_text(text.replace("127.0.0.1:0 ", "127.0.0.1:8443 "))  # HAProxy refuses port 0
    assert haproxy_check(fixed, cwd=tmp_path).returncode == 0


@pytest.mark.asyncio
async def test_run_prints_what_the_engine_leaves_out_at_start_and_after_a_reload(
    tmp_path: Path, pem: Path, haproxy_check: HaproxyCheck
) -> None:
    alpha = await start_responder(tutorial_answer("alpha"))
    text = CONFIG.format(pem=pem, port=alpha.sockets[0].getsockname()[1])
    haproxy_accepts(tmp_path, text, haproxy_check)
    config = tmp_path / "haproxy.cfg"
    config.write_text(text)
    col = text.splitlines()[7].rindex(" alpn ") + 2
    env = {"PROXYDESK_RUNTIME_DIR": str(tmp_path / "rt")}  # where 'reload' finds this instance
    try:
        # --quiet silences the request log only (see run_commands._print_engine_warnings)
        async with proxydesk(tmp_path, "run", "--quiet", str(config), env=env) as run:
            await run.port("web")
            assert lines_of(run.stderr(), H2) == [f"{config}:8:{col}: warning: {H2}"], run.stderr()

            with_tfo = text.replace(f"{alpha.sockets[0].getsockname()[1]}\n",
                                    f"{alpha.sockets[0].getsockname()[1]} tfo\n")
            haproxy_accepts(tmp_path, with_tfo, haproxy_check)
            config.write_text(with_tfo)
            status, told = await proxydesk_once(tmp_path, "reload", str(config), env=env)
            assert status == 0 and TFO in told, told  # the reload client is told too
            await run.wait_for(r"reloaded .*haproxy\.cfg$", stream="stderr")
            said = run.stderr()
            assert len(lines_of(said, H2)) == 2  # once at start, once for the reload
            assert re.search(rf"haproxy\.cfg:12:\d+: warning: {re.escape(TFO)}$", said, re.M), said
            assert said.index(TFO) < said.index("reloaded")
            assert await run.stop(signal.SIGTERM) == 0
    finally:
        alpha.close()


@pytest.mark.asyncio
async def test_the_engines_own_warnings_are_printed_unless_the_checker_said_them(
    tmp_path: Path, pem: Path
) -> None:
    text = CONFIG.format(pem=pem, port=8001)
    engine = Engine(check_text(text, "w.cfg", env={}).config)
    await engine.start()
    try:
        assert [str(w) for w in engine.warnings] == [f"w.cfg:8:{text.splitlines()[7].rindex(' alpn ') + 2}: "
                                                     f"warning: {H2}"]
        out = io.StringIO()
        run_commands._print_engine_warnings(engine, set(), out)
        assert out.getvalue() == f"{engine.warnings[0]}\n"
        out = io.StringIO()
        run_commands._print_engine_warnings(engine, {("w.cfg", 8, H2)}, out)  # the checker's
        assert out.getvalue() == ""
    finally:
        await engine.stop(0.1)
