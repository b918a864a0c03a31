"""The GitHub Actions workflow (.github/workflows/ci.yml): it cannot run here, so it is read.

Each job of the matrix must run README.md's test command (the venv's Scripts folder on
Windows), install what .ci/run installs and run its portability lane on Linux.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quick start"):readme.index("\n## ", readme.index("## Quick start") + 1)]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick, re.DOTALL)
    (command,) = [b for b in blocks if "-m pytest" in b]
    return command.strip()


def test_each_ci_job_runs_the_readmes_test_command() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the workflow (test extra)")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    readme_command = _readme_test_command()
    assert readme_command == ".venv/bin/python -m pytest"
    assert workflow[True] is not None or workflow.get("on")  # YAML 1.1 reads `on:` as True
    oses = []
    for name, job in workflow["jobs"].items():
        entries = job.get("strategy", {}).get("matrix", {}).get("include") or [{}]
        for entry in entries:
            def expand(text: str, entry: dict[str, str] = entry) -> str:
                return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: entry[m.group(1)], text)

            os_name = expand(job["runs-on"])
            oses.append(os_name)
            runs = [expand(step["run"]) for step in job["steps"] if "run" in step
                    and "if" not in step]  # unconditional: every OS runs them
            expected = readme_command
            if os_name.startswith("windows"):  # the venv's Scripts folder; same command
                expected = readme_command.replace(".venv/bin/", ".venv/Scripts/")
            assert expected in [line.strip() for run in runs for line in run.splitlines()], (name, os_name)
            assert any("pip install -e '.[test]'" in run for run in runs), (name, os_name)
            assert any("pyinstaller --noconfirm packaging/" in run for run in runs), (name, os_name)
            assert job["steps"][1]["with"]["python-version"] == "3.11"
    assert sorted(oses) == ["macos-latest", "ubuntu-latest", "windows-latest"]


def test_ci_installs_what_ci_run_installs_and_runs_the_portability_lane() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads the workflow (test extra)")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    text = "\n".join(s.get("run", "") for s in steps)
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    needed = set(re.findall(r"need\+=\((\S+?)\)", ci_run)) - {'"$lib"'}
    needed |= set(re.search(r"for lib in ([^;]+);", ci_run).group(1).split())  # type: ignore[union-attr]
    assert "appstream" in needed
    assert needed <= set(text.replace("\\", " ").split())
    lane = re.search(r"--portability (.+?)$", ci_run.replace("\\\n", " "), re.MULTILINE)
    assert lane and " ".join(lane.group(1).split()) in " ".join(text.split())
