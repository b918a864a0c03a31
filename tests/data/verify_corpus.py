#!/usr/bin/env python3
"""Check the haproxy.cfg corpus against the real ``haproxy -c`` and keep expected.json current.

Theory of operation: every ``*.cfg`` under ``valid/`` and ``invalid/`` is handed to
``haproxy -c -f <relative path>`` with the working directory set to this folder (so
relative ``certs/``, ``errors/``, ``acl/`` and ``maps/`` paths resolve) and with a
minimal, fixed environment (so ``${VAR}`` expansion and HAProxy's output never depend
on the caller's shell). HAProxy's output is split into ALERT/WARNING records (a record
continues on the indented lines that follow it; a plain verdict line such as "... will
not start (no listener)" is a record too), each record is shortened by dropping
its location prefixes (``config : ``, ``parsing [file:line] : ``, ``[file:line] : ``),
and every ``file:N`` it names (``[f:3]``, ``(f:3)``, ``at f:3``) is collected as a
line number. Records naming no line (post-parse checks) keep their text, no line.

The verdict is the exit status: 0 means valid. Files under ``valid/`` must be valid
and files under ``invalid/`` must not be; an invalid file documents its deliberate
mistake in a leading ``# MISTAKE: ...`` comment, copied into expected.json.

    verify_corpus.py           compare with expected.json, exit 1 on any drift
    verify_corpus.py --write   regenerate expected.json

Standard library only: the corpus must be checkable from a bare Python install.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent
EXPECTED_PATH = DATA_DIR / "expected.json"
CORPUS_DIRS = ("valid", "invalid")
MIN_FILES = {"valid": 32, "invalid": 18}
HAPROXY_TIMEOUT_S = 30

# "[ALERT]    (1234) : config : parsing [f.cfg:3] : text" -> level, rest after the pid.
RECORD_START = re.compile(r"^\[(?P<level>ALERT|WARNING|NOTICE)\]\s+\(\d+\)\s*:\s?(?P<rest>.*)$")
# Location prefixes to drop: "config : ", "parsing [f:3] : ", "Parsing [f:3]: ", "[f:3] : ",
# possibly several in a row ("config : [f:3] : parsing [f:3] : text").
LOCATION_PREFIX = re.compile(r"^(?:config : )?(?:(?:[Pp]arsing )?\[[^\]]+:\d+\]\s*:\s*)*")
# Summary records that repeat what the exit status already says; they carry no diagnosis.
SUMMARY_RECORDS = (
    re.compile(r"^Error\(s\) found in configuration file : "),
    re.compile(r"^Fatal errors found in configuration\.$"),
)
# Verdict lines HAProxy prints outside any record. The success ones add nothing to the
# exit status; any other (e.g. "... will not start (no listener) => exit(2).") is kept.
PLAIN_SUCCESS_LINES = frozenset({"Configuration file is valid", "Warnings were found."})
MISTAKE_COMMENT = re.compile(r"^#\s*MISTAKE:\s*(?P<text>.+?)\s*$", re.MULTILINE)


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(found).exists():
        sys.exit("verify_corpus: haproxy binary not found (install Debian's haproxy 2.6)")
    return found


def fixed_environment() -> dict[str, str]:
    """Only PATH and a C locale: configs set their own variables with setenv."""
    return {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/bin"), "LC_ALL": "C"}


def corpus_files() -> list[Path]:
    files: list[Path] = []
    for subdir in CORPUS_DIRS:
        files.extend(sorted((DATA_DIR / subdir).glob("*.cfg")))
    return files


def run_haproxy_check(relative: str) -> tuple[int, str]:
    completed = subprocess.run(
        [haproxy_binary(), "-c", "-f", relative],
        cwd=DATA_DIR,
        env=fixed_environment(),
        capture_output=True,
        text=True,
        timeout=HAPROXY_TIMEOUT_S,
        check=False,
    )
    # stderr first: the records come before the final verdict line printed on stdout
    return completed.returncode, completed.stderr + "\n" + completed.stdout


def split_records(output: str) -> list[tuple[str, str]]:
    """(level, text) per record, continuation lines joined by newlines.

    Levels are ALERT, WARNING, NOTICE, or VERDICT for an unindented plain line
    such as "Configuration file has no error but will not start (no listener)".
    """
    records: list[tuple[str, str]] = []
    for line in output.splitlines():
        start = RECORD_START.match(line)
        if start:
            records.append((start["level"], start["rest"].rstrip()))
        elif records and line[:1].isspace() and line.strip():
            # Only indented lines continue a record (quote carets, "| hint" lines).
            level, text = records[-1]
            records[-1] = (level, text + "\n" + line.rstrip())
        elif line.strip() and line.strip() not in PLAIN_SUCCESS_LINES:
            records.append(("VERDICT", line.strip()))
    return records


def shorten(text: str) -> str:
    return LOCATION_PREFIX.sub("", text, count=1)


def line_numbers(text: str, relative: str) -> set[int]:
    """Every line of this file the record names: "[f:3]", "(f:3)" and "declared at f:3"."""
    return {int(n) for n in re.findall(rf"(?<![\w/.-]){re.escape(relative)}:(\d+)", text)}


def describe(path: Path) -> dict[str, Any]:
    relative = path.relative_to(DATA_DIR).as_posix()
    status, output = run_haproxy_check(relative)
    alert_lines: set[int] = set()
    warning_lines: set[int] = set()
    messages: list[str] = []
    lines_by_level = {"ALERT": alert_lines, "WARNING": warning_lines}
    for level, text in split_records(output):
        if level == "NOTICE":
            continue  # version banner and binary path: nothing about the file
        if level in lines_by_level:
            lines_by_level[level].update(line_numbers(text, relative))
        short = shorten(text)
        if not any(pattern.match(short) for pattern in SUMMARY_RECORDS):
            messages.append(short)
    entry: dict[str, Any] = {
        "valid": status == 0,
        "haproxy_alert_lines": sorted(alert_lines),
        "haproxy_warning_lines": sorted(warning_lines),
        "haproxy_messages": messages,
    }
    mistake = MISTAKE_COMMENT.search(path.read_text(encoding="utf-8"))
    if mistake:
        entry["mistake"] = mistake["text"]
    return entry


def corpus_problems(actual: dict[str, dict[str, Any]]) -> list[str]:
    """Rules the corpus itself must obey, independent of expected.json."""
    problems: list[str] = []
    for subdir, minimum in MIN_FILES.items():
        count = sum(1 for key in actual if key.startswith(subdir + "/"))
        if count < minimum:
            problems.append(f"{subdir}/ holds {count} files, needs at least {minimum}")
    for key, entry in actual.items():
        wants_valid = key.startswith("valid/")
        if entry["valid"] != wants_valid:
            verdict = "accepts" if entry["valid"] else "rejects"
            problems.append(f"{key}: haproxy {verdict} it; {entry['haproxy_messages']}")
        if not wants_valid and "mistake" not in entry:
            problems.append(f"{key}: no leading '# MISTAKE: ...' comment")
    return problems


def drift(expected: dict[str, Any], actual: dict[str, dict[str, Any]]) -> list[str]:
    differences: list[str] = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            differences.append(f"{key}: in expected.json but no such file")
        elif key not in expected:
            differences.append(f"{key}: missing from expected.json")
        elif expected[key] != actual[key]:
            differences.append(f"{key}: expected {expected[key]!r}\n    actual {actual[key]!r}")
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write", action="store_true", help="regenerate expected.json")
    args = parser.parse_args()

    actual = {f.relative_to(DATA_DIR).as_posix(): describe(f) for f in corpus_files()}
    problems = corpus_problems(actual)
    if args.write:
        EXPECTED_PATH.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {EXPECTED_PATH.name}: {len(actual)} entries")
    else:
        expected = json.loads(EXPECTED_PATH.read_text(encoding="utf-8"))
        problems += drift(expected, actual)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"corpus OK: {len(actual)} files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
