"""``proxydesk``: the command line.

With no command it opens the desktop app (or, without a display, says so and
serves the demo headless).  Sub-commands work on haproxy.cfg files, run the
engine, and manage certificates and local routes.  Each command group has a
registrar that adds its sub-parsers (each setting ``func``, the handler);
``COMMANDS`` lists the registrars in ``--help`` order and the argparse tree is
built from that table.  The modules are imported here, not looked up by name:
a command group whose import breaks stops ``proxydesk`` with that error
instead of vanishing from ``--help``.  Every group needs only required
dependencies (uvloop, the one optional package, is looked up by ``run`` when it
starts the loop), so none has a fallback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeAlias

from proxy import __version__
from proxy.app import cert_commands, route_commands, run_commands
from proxy.app.launch import open_app
from proxy.config.load import load
from proxy.config.model import Diagnostic
from proxy.config.parser import parse_file
from proxy.config.validate import ENGINE_REFUSES
from proxy.config.writer import write, write_file
from proxy.engine import native

__all__ = ["COMMANDS", "build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]
# A command group: adds its sub-parsers to ``proxydesk``'s (a string: argparse's class is
# not subscriptable at run time).
Registrar: TypeAlias = "Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]"


def cmd_check(args: argparse.Namespace) -> int:
    """Print every diagnostic as FILE:LINE:COL; exit 1 if any file has an error.

    With ``--json`` the same findings are one JSON document on stdout instead: the
    overall ``verdict`` and one ``_file_report`` per file; the exit status is the same.
    """
    failed = False
    reports: list[dict[str, object]] = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            missing = Diagnostic(name, 0, 0, "error", "no such file", "no-such-file")
            reports.append(_file_report(name, [missing], ok=False))
            if not args.json:
                print(missing, file=sys.stderr)
            failed = True
            continue
        result = load(path, base_dir=args.base_dir or Path.cwd())
        shown = [d for d in result.diagnostics if d.is_error or not args.quiet]
        reports.append(_file_report(name, shown, ok=result.ok, all_found=result.diagnostics))
        failed = failed or not result.ok
        if args.json:
            continue
        for diagnostic in shown:
            print(diagnostic)
        if result.ok and not args.quiet:
            print(f"{name}: {_verdict(result.diagnostics)}", file=sys.stderr)
    if args.json:
        document = {"verdict": "invalid" if failed else "valid", "files": reports}
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 1 if failed else 0


def _file_report(
    name: str,
    shown: Sequence[Diagnostic],
    *,
    ok: bool,
    all_found: Sequence[Diagnostic] = (),
) -> dict[str, object]:
    """One file in ``check --json``: its verdict (``valid``, ``valid-haproxy-only`` when
    the embedded engine cannot run it, ``invalid``), the sentence the text output prints,
    and its diagnostics (errors only with ``--quiet``)."""
    if not ok:
        verdict, summary = "invalid", "configuration has errors"
    else:
        refused = any(d.code == ENGINE_REFUSES for d in all_found)
        verdict = "valid-haproxy-only" if refused else "valid"
        summary = _verdict(all_found)
    return {
        "path": name,
        "verdict": verdict,
        "summary": summary,
        "diagnostics": [
            {
                "path": d.path,
                "line": d.line,
                "col": d.col,
                "severity": d.severity,
                "message": d.message,
                "code": d.code or None,
            }
            for d in shown
        ],
    }


def _verdict(diagnostics: Sequence[Diagnostic]) -> str:
    """"valid" -- and, when the embedded engine cannot run it, that too: HAProxy's verdict
    decides the exit status, but "valid" alone would promise that 'run' works."""
    refused = sum(d.code == ENGINE_REFUSES for d in diagnostics)
    if not refused:
        return "configuration is valid"
    lines = "line" if refused == 1 else "lines"
    return (f"configuration is valid for HAProxy, but the embedded engine cannot run it "
            f"({refused} {lines} above): run it on HAProxy ('Engine > Run on > HAProxy' in the app)")


def cmd_fmt(args: argparse.Namespace) -> int:
    """Write a file back through the model (a round trip that must not change a valid file)."""
    path = Path(args.file)
    original = path.read_bytes()
    result = parse_file(path)
    # fmt mends what the writer normalises (a missing final newline); anything else stops it.
    blocking = [d for d in result.errors if d.code != "missing-lf"]
    if blocking:
        for diagnostic in blocking:
            print(diagnostic, file=sys.stderr)
        return 1
    text = write(result.config)
    changed = text.encode("utf-8", "surrogateescape") != original
    if args.check:
        print(f"{args.file}: {'would be reformatted' if changed else 'unchanged'}")
        return 1 if changed else 0
    if args.output == "-":
        sys.stdout.write(text)
    else:
        write_file(result.config, args.output or path)
    return 0


def _add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help="validate haproxy.cfg files (FILE:LINE:COL diagnostics)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    p.add_argument(
        "--json", action="store_true", help="one JSON document on stdout (same exit status)"
    )
    p.add_argument(
        "--base-dir", help="where relative file names resolve (default: current directory)"
    )
    p.set_defaults(func=cmd_check)


def _add_fmt(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("fmt", help="write a haproxy.cfg back through Proxydesk's model")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "-o", "--output", metavar="OUT", help="write here instead of in place ('-' for stdout)"
    )
    p.add_argument("--check", action="store_true", help="only report whether the file would change")
    p.set_defaults(func=cmd_fmt)


COMMANDS: tuple[Registrar, ...] = (
    _add_check,               # check
    _add_fmt,                 # fmt
    run_commands.register,    # run, demo
    run_commands.register_reload,  # reload
    cert_commands.register,   # cert ...
    route_commands.register,  # route ...
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proxydesk",
        description="Proxydesk: a desktop load-balancer manager speaking haproxy.cfg.",
    )
    parser.add_argument("--version", action="version", version=f"proxydesk {__version__} ({native.describe()})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _open_app()
    handler: Handler = args.func
    return handler(args)


def _open_app() -> int:
    """No command: the app, or (no window possible here) the demo served headless."""
    status = open_app([])
    if status is not None:
        return status
    return main(["demo", "--headless"])


if __name__ == "__main__":
    raise SystemExit(main())
