"""``proxydesk``'s command table, ``proxydesk check`` and ``proxydesk fmt`` as a user runs
them (real subprocesses)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from proxy.cli import main as cli_main
from tests.conftest import DATA
from tests.portability import child_env

# Every command ``proxydesk --help`` lists today, and the sub-commands of the groups.  A new
# command is added here; one missing from --help was dropped on the way.
COMMANDS = ("check", "fmt", "run", "demo", "reload", "cert", "route")
SUBCOMMANDS = {
    "cert": ("ca", "issue", "list", "import", "renew", "delete", "export-ca", "trust"),
    "route": ("add", "remove", "list"),
}
COMMAND_MODULES = ("proxy.app.run_commands", "proxy.app.cert_commands", "proxy.app.route_commands")


def proxydesk(*args: str, cwd: Path = DATA, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """``proxydesk ARGS``; ``prelude`` is Python run first in that process."""
    launch = ["-c", f"{prelude}\nimport runpy; runpy.run_module('proxy.cli', run_name='__main__')"]
    return subprocess.run(
        [sys.executable, *(launch if prelude else ["-m", "proxy.cli"]), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**child_env(str(Path(__file__).resolve().parents[2])), "PATH": "/usr/bin:/bin"},
    )


def listed_commands(help_text: str) -> list[str]:
    """The command names of an argparse ``--help`` (``    name   help``; wrapped help lines
    are indented further)."""
    return re.findall(r"^    (\S+)", help_text, re.M)


def test_help_lists_every_command() -> None:
    proc = proxydesk("--help")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert listed_commands(proc.stdout) == list(COMMANDS), proc.stdout


@pytest.mark.parametrize("group", sorted(SUBCOMMANDS))
def test_help_of_a_group_lists_its_commands(group: str) -> None:
    proc = proxydesk(group, "--help")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert listed_commands(proc.stdout) == list(SUBCOMMANDS[group]), proc.stdout


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_a_command_module_that_cannot_be_imported_is_reported(module: str) -> None:
    """``proxydesk`` used to skip a command group whose import failed, so ``cert`` or ``run``
    vanished from --help without a word.  Now the ImportError stops it, naming the module."""
    proc = proxydesk("--help", prelude=f"import sys; sys.modules[{module!r}] = None")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ModuleNotFoundError" in proc.stderr and module in proc.stderr, proc.stderr
    assert "usage:" not in proc.stdout  # no --help with the group missing


def test_version() -> None:
    proc = proxydesk("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("proxydesk ")


def test_check_valid_file_exits_0() -> None:
    proc = proxydesk("check", "valid/01-tutorial-four-servers.cfg")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "error" not in proc.stdout


def test_check_says_when_only_haproxy_can_run_a_valid_file() -> None:
    # valid for HAProxy (exit 0), but "valid" alone would promise that 'proxydesk run' works
    proc = proxydesk("check", "valid/24-cache.cfg")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid/24-cache.cfg:22:18: warning: 'http-request cache-use': accepted by HAProxy; " \
           "the embedded engine refuses it: run this config on HAProxy" in proc.stdout
    # (cache-use, cache-store: the engine runs the srv_id line since it has response fetches)
    assert "configuration is valid for HAProxy, but the embedded engine cannot run it (2 lines above)" \
        in proc.stderr
    run = proxydesk("run", "--check-only", "valid/24-cache.cfg")
    assert run.returncode == 1 and "cache-use" in run.stderr


def test_check_reports_every_error_located(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(
        "defaults\n    mode http\n    timeout client 1.5s\n    timeout server 5s\n    timeout connect 5s\n"
        "frontend fe\n    bind :8080\n    timout client 30s\n    use_backend nowhere if is_x\n"
    )
    proc = proxydesk("check", str(cfg), cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith(f"{cfg}:3:") and "time value" in line for line in lines), lines
    assert any(
        line.startswith(f"{cfg}:8:5: error: unknown keyword 'timout'") and "timeout" in line
        for line in lines
    ), lines
    assert any(line.startswith(f"{cfg}:9:") and "nowhere" in line for line in lines), lines
    assert any(line.startswith(f"{cfg}:9:") and "no such ACL : 'is_x'" in line for line in lines), (
        lines
    )


def test_check_json_is_one_document_with_the_same_exit_status(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cfg"
    bad.write_text("defaults\n    mode http\n    timeout client 1.5s\nfrontend fe\n    bind :8080\n"
                   "    timout client 30s\n")
    proc = proxydesk("check", "--json", "valid/01-tutorial-four-servers.cfg", "valid/24-cache.cfg",
                     str(bad), "missing.cfg")
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    document = json.loads(proc.stdout)  # the whole of stdout, nothing around it
    assert document["verdict"] == "invalid"
    valid, cache, broken, missing = document["files"]
    assert (valid["path"], valid["verdict"]) == ("valid/01-tutorial-four-servers.cfg", "valid")
    assert all(d["severity"] == "warning" for d in valid["diagnostics"])  # engine notes only
    assert cache["verdict"] == "valid-haproxy-only" and "embedded engine" in cache["summary"]
    assert {"path": "valid/24-cache.cfg", "line": 22, "col": 18, "severity": "warning",
            "code": "engine-refuses"}.items() <= cache["diagnostics"][0].items()
    assert broken["verdict"] == "invalid"
    typo = next(d for d in broken["diagnostics"] if "timout" in d["message"])
    assert (typo["path"], typo["line"], typo["col"], typo["severity"]) == (str(bad), 6, 5, "error")
    assert set(typo) == {"path", "line", "col", "severity", "message", "code"}
    assert missing["verdict"] == "invalid"
    assert missing["diagnostics"] == [{"path": "missing.cfg", "line": 0, "col": 0, "severity": "error",
                                       "message": "no such file", "code": "no-such-file"}]

    ok = proxydesk("check", "--json", "--quiet", "valid/24-cache.cfg")
    assert ok.returncode == 0 and json.loads(ok.stdout) == {
        "verdict": "valid",
        "files": [{"path": "valid/24-cache.cfg", "verdict": "valid-haproxy-only",
                   "summary": json.loads(ok.stdout)["files"][0]["summary"], "diagnostics": []}],
    }


def test_fmt_check_leaves_valid_files_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    first, *others = sorted((DATA / "valid").glob("*.cfg"))
    proc = proxydesk("fmt", "--check", str(first))  # once as a user runs it ...
    assert proc.returncode == 0 and "unchanged" in proc.stdout, proc.stdout
    for path in others:  # ... then in this process: 43 interpreter starts took 21 s
        assert cli_main(["fmt", "--check", str(path)]) == 0, path
        assert "unchanged" in capsys.readouterr().out, path


def test_fmt_writes_in_place_and_keeps_bytes(tmp_path: Path) -> None:
    source = DATA / "valid" / "01-tutorial-four-servers.cfg"
    copy = tmp_path / "haproxy.cfg"
    copy.write_bytes(source.read_bytes())
    assert proxydesk("fmt", str(copy), cwd=tmp_path).returncode == 0
    assert copy.read_bytes() == source.read_bytes()


def test_fmt_normalises_bom_and_final_newline(tmp_path: Path) -> None:
    cfg = tmp_path / "x.cfg"
    cfg.write_bytes(b"\xef\xbb\xbfglobal\n    maxconn 10")
    proc = proxydesk("fmt", "--check", str(cfg), cwd=tmp_path)
    assert proc.returncode == 1 and "would be reformatted" in proc.stdout
    assert proxydesk("fmt", str(cfg), "-o", str(tmp_path / "out.cfg"), cwd=tmp_path).returncode == 0
    assert (tmp_path / "out.cfg").read_bytes() == b"global\n    maxconn 10\n"


def test_check_counts_columns_in_characters(tmp_path: Path) -> None:
    line = "    server s🚀1 127.0.0.1:8001 weight 300"
    cfg = tmp_path / "emoji.cfg"
    cfg.write_text(f"backend app\n{line}\n", encoding="utf-8")
    proc = proxydesk("check", str(cfg), cwd=tmp_path)
    assert proc.returncode == 1
    col = line.index("300") + 1  # 38: the emoji is one character (4 bytes, 2 UTF-16 units)
    assert f"{cfg}:2:{col}: error: invalid value '300' for 'weight'" in proc.stdout, proc.stdout
