"""``proxydesk cert ...``: the certificate manager on the command line.

Theory of operation: ``register`` adds a ``cert`` command whose subcommands
each set ``args.func`` to a handler ``(args) -> exit status``.  Handlers are
thin: they open the default ``CertStore`` (``PROXYDESK_DATA_DIR`` moves it),
call one store/trust function and print the result; a ``CertError`` becomes
an ``error: ...`` line on stderr and status 1.  Warnings go to stderr so
scripts can keep parsing stdout.  ``cert trust`` never changes a trust store
without consent: it asks on a terminal, and without one it needs ``--yes``
(otherwise it refuses and prints the dry run instead).  A run reports every
store's outcome and exits 1 if any store was not done (the others still are);
``--status`` only looks, and exits 0 only when every store trusts the CA.
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from proxy.certs import pem
from proxy.certs.authority import fingerprint_sha256
from proxy.certs.errors import CertError
from proxy.certs.names import NameWarning
from proxy.certs.store import LAYOUT_COMBINED, LAYOUT_KEY_FILE, LAYOUT_PAIR, CertEntry, CertStore
from proxy.certs.trust import (
    TRUSTED,
    TrustPlan,
    normalize_platform,
    outcome_lines,
    outcome_summary,
    plan_lines,
    run_trust_plan,
    trust_plan,
    trust_status,
)

__all__ = ["register"]

Handler = Callable[[argparse.Namespace], int]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``cert`` and its subcommands to an ``add_subparsers()`` result."""
    cert = subparsers.add_parser("cert", help="local CA and HTTPS certificates")
    commands = cert.add_subparsers(dest="cert_command", metavar="COMMAND", required=True)
    for name, help_text, add_arguments, handler in _COMMANDS:
        parser = commands.add_parser(name, help=help_text, description=help_text)
        add_arguments(parser)
        parser.set_defaults(func=handler)


def _reports_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except CertError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return wrapper


@_reports_errors
def cmd_ca(args: argparse.Namespace) -> int:
    store = CertStore()
    ca = store.ca()
    print(f"subject:   {ca.certificate.subject.rfc4514_string()}")
    print(f"SHA-256:   {fingerprint_sha256(ca.certificate)}")
    print(f"not after: {ca.certificate.not_valid_after_utc:%Y-%m-%d %H:%M UTC}")
    print(f"file:      {ca.cert_path}")
    return 0


@_reports_errors
def cmd_issue(args: argparse.Namespace) -> int:
    if args.out is None and args.layout != LAYOUT_COMBINED:
        raise CertError("--key-file and --pair say how to write files to --out DIR: add --out")
    store = CertStore()
    result = store.issue(args.names)
    _print_entry_created("issued", result.entry)
    _print_name_warnings(result.warnings)
    if args.out is not None:
        written = store.export_entry(result.entry.id, args.out, layout=args.layout)
        if written.key is None:
            print(f"for 'crt {args.out}/': {written.certificate} (certificate + chain + key)")
        else:
            print(f"certificate + chain: {written.certificate}")
            print(f"private key:         {written.key}")
        _warn_about_crt_dir(args.out)
    return 0


def _warn_about_crt_dir(directory: Path) -> None:
    """Say which files in ``directory`` would stop ``bind ... ssl crt DIR/`` from loading.

    The check is the one ``proxydesk check`` and the engine make (``proxy.certs.pem``), and
    it covers every file there: what was just written, and what was there before.
    """
    refused = []
    for file in pem.crt_files(directory):
        try:
            pem.inspect_certificate(file)
        except pem.PemError as error:
            refused.append(str(error))
    if refused:
        print(f"warning: 'bind ... ssl crt {directory}/' would not load, in HAProxy or in "
              "Proxydesk, because of these files:", file=sys.stderr)
        for reason in refused:
            print(f"  {reason}", file=sys.stderr)
        print("  keep such files elsewhere (a cert/key pair for other servers: another "
              "directory), or point 'crt' at the one .pem file", file=sys.stderr)


@_reports_errors
def cmd_list(args: argparse.Namespace) -> int:
    store = CertStore()
    entries = store.list_entries()
    if args.json:
        json.dump(_list_document(store, entries), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not entries:
        print("no certificates yet: try 'proxydesk cert issue app.localhost'")
        return 0
    rows = [("ID", "NAMES", "EXPIRES", "DAYS", "ISSUER")]
    rows += [
        (
            entry.id,
            ", ".join(entry.names) or entry.subject,
            f"{entry.not_after:%Y-%m-%d}",
            str(entry.days_left),
            "local CA" if entry.issued_by_local_ca else entry.issuer,
        )
        for entry in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]))
    return 0


def _list_document(store: CertStore, entries: list[CertEntry]) -> dict[str, object]:
    """``cert list --json``: the CA (or null) and every entry; dates in ISO 8601 UTC."""
    ca: dict[str, object] | None = None
    if store.has_ca():
        local = store.ca()
        ca = {
            "name": local.name,
            "subject": local.certificate.subject.rfc4514_string(),
            "fingerprint_sha256": fingerprint_sha256(local.certificate),
            "not_after": local.certificate.not_valid_after_utc.isoformat(),
            "path": str(local.cert_path),
        }
    certificates = [
        {
            "id": entry.id,
            "names": list(entry.names),
            "subject": entry.subject,
            "issuer": entry.issuer,
            "issued_by_local_ca": entry.issued_by_local_ca,
            "source": entry.source,
            "not_before": entry.not_before.isoformat(),
            "not_after": entry.not_after.isoformat(),
            "days_left": entry.days_left,
            "pem_path": str(entry.pem_path),
        }
        for entry in entries
    ]
    return {"store": str(store.root), "ca": ca, "certificates": certificates}


@_reports_errors
def cmd_import(args: argparse.Namespace) -> int:
    password = _read_password(args.password_file) if args.password_file else None
    result = CertStore().import_files(args.file, args.key, password)
    _print_entry_created("imported", result.entry)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


@_reports_errors
def cmd_renew(args: argparse.Namespace) -> int:
    result = CertStore().renew(args.id)
    _print_entry_created("renewed", result.entry)
    _print_name_warnings(result.warnings)
    return 0


@_reports_errors
def cmd_delete(args: argparse.Namespace) -> int:
    CertStore().delete(args.id)
    print(f"deleted {args.id}")
    return 0


@_reports_errors
def cmd_export_ca(args: argparse.Namespace) -> int:
    store = CertStore()
    if args.out is None:
        sys.stdout.write(store.ca_certificate_pem().decode("ascii"))
    else:
        print(f"CA certificate written to {store.export_ca(args.out)}")
    return 0


@_reports_errors
def cmd_trust(args: argparse.Namespace) -> int:
    install = not args.uninstall
    other_os = args.platform and normalize_platform(args.platform) != normalize_platform()
    if other_os and not args.dry_run:
        raise CertError("--platform names another OS: that only makes sense with --dry-run")
    if args.status:
        return _trust_status(args)
    plan = trust_plan(install, args.platform).select(args.store)
    if args.dry_run:
        _print_plan(plan)
        return 0
    if not plan.stores:
        print(plan.instructions)
        print("nothing can be done automatically here: follow the steps above", file=sys.stderr)
        return 1
    if not args.yes and not _confirmed(install, plan):
        return 1
    result = run_trust_plan(plan)
    for line in outcome_lines(result):
        print(line)
    summary = outcome_summary(install, result)
    if result.ok:
        print(summary)
        return 0
    print(f"error: {summary}", file=sys.stderr)
    print("run this again for those stores with --store NAME once the cause is fixed, or "
          f"follow the steps by hand:\n{plan.instructions}", file=sys.stderr)
    return 1


def _trust_status(args: argparse.Namespace) -> int:
    """``cert trust --status``: store by store, is the CA trusted?  Exit 0 only if everywhere."""
    if args.uninstall or args.dry_run or args.yes:
        raise CertError("--status only looks: it takes no --uninstall, --dry-run or --yes")
    store = CertStore()
    if not store.has_ca():
        print(f"no local CA in {store.root} yet, so no store trusts it: "
              "'proxydesk cert trust' creates and trusts one", file=sys.stderr)
        return 1
    plan = trust_plan(False, args.platform, store=store).select(args.store)
    statuses = trust_status(plan)
    for status in statuses:
        detail = f": {status.presence.detail}" if status.presence.detail else ""
        print(f"{status.presence.state}: {status.store.name} ({status.store.description}){detail}")
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    untrusted = [s.store.name for s in statuses if s.presence.state != TRUSTED]
    if not statuses:
        print("no trust store found here", file=sys.stderr)
        return 1
    if untrusted:
        print(f"not trusted in: {', '.join(untrusted)} ('proxydesk cert trust' fixes that)",
              file=sys.stderr)
        return 1
    return 0


def _confirmed(install: bool, plan: TrustPlan) -> bool:
    if not sys.stdin.isatty():
        print(
            "refusing to change trust stores without confirmation: run on a terminal or "
            "add --yes. This would run:",
            file=sys.stderr,
        )
        _print_plan(plan)
        return False
    _print_plan(plan)
    verb = "Trust" if install else "Stop trusting"
    answer = input(f"{verb} the Proxydesk CA with the commands above? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _print_plan(plan: TrustPlan) -> None:
    for line in plan_lines(plan) or ["# no trust store found here"]:
        print(line)
    for warning in plan.warnings:
        print(f"warning: {warning}")
    for note in plan.notes:
        print(f"note: {note}")
    print(f"\n{plan.instructions}")


def _shell(command: list[str]) -> str:
    return shlex.join(command)


def _print_entry_created(verb: str, entry: CertEntry) -> None:
    print(f"{verb} {entry.id}: {', '.join(entry.names)}")
    print(f"combined PEM (certificate + chain + key): {entry.pem_path}")
    print(f"valid until {entry.not_after:%Y-%m-%d} ({entry.days_left} days)")


def _print_name_warnings(warnings: tuple[NameWarning, ...]) -> None:
    for warning in warnings:
        print(f"warning: {warning.message}", file=sys.stderr)
        if warning.suggestions:
            print(f"  suggested names: {' '.join(warning.suggestions)}", file=sys.stderr)


def _read_password(path: Path) -> bytes:
    try:
        text = path.read_bytes()
    except OSError as error:
        raise CertError(f"cannot read {path}: {error.strerror}") from None
    return text.rstrip(b"\r\n")  # a password file normally ends with a newline


def _add_nothing(parser: argparse.ArgumentParser) -> None:
    del parser  # the subcommand takes no arguments


def _add_list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")


def _add_issue(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="+", metavar="NAME", help="host name, *.wildcard or IP")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="also write ID.pem (certificate + chain + key) to DIR, for 'bind ... ssl crt DIR/'",
    )
    layout = parser.add_mutually_exclusive_group()
    layout.set_defaults(layout=LAYOUT_COMBINED)
    layout.add_argument(
        "--key-file",
        dest="layout",
        action="store_const",
        const=LAYOUT_KEY_FILE,
        help="with --out: the key in ID.pem.key next to ID.pem (HAProxy loads that too)",
    )
    layout.add_argument(
        "--pair",
        dest="layout",
        action="store_const",
        const=LAYOUT_PAIR,
        help="with --out: ID-cert.pem + ID-key.pem, for servers other than HAProxy "
        "('crt DIR/' cannot load them)",
    )


def _add_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="PEM (certificate, chain, key) or PKCS#12")
    parser.add_argument("--key", type=Path, metavar="FILE", help="the PEM private key, if separate")
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="file holding the PKCS#12 or key password",
    )


def _add_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", help="the certificate's id, as 'cert list' shows it")


def _add_export_ca(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")


def _add_trust(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="only print the commands")
    parser.add_argument(
        "--uninstall", action="store_true", help="remove the CA from every store that has it"
    )
    parser.add_argument(
        "--status", action="store_true", help="say store by store whether the CA is trusted"
    )
    parser.add_argument(
        "--store",
        action="append",
        default=[],
        metavar="NAME",
        help="only this store (a name as the dry run shows it, or a kind: system, nss, "
        "firefox, java); repeatable",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--platform",
        choices=("linux", "darwin", "windows"),
        help="with --dry-run: show the plan for another OS",
    )


_COMMANDS: tuple[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler], ...] = (
    ("ca", "create the local CA if needed and show it", _add_nothing, cmd_ca),
    ("issue", "issue a certificate for host names / IPs", _add_issue, cmd_issue),
    ("list", "list stored certificates", _add_list, cmd_list),
    ("import", "import a PEM or PKCS#12 certificate with its key", _add_import, cmd_import),
    ("renew", "re-issue a certificate for the same names", _add_id, cmd_renew),
    ("delete", "delete a stored certificate", _add_id, cmd_delete),
    (
        "export-ca",
        "print or write the CA certificate (never its key)",
        _add_export_ca,
        cmd_export_ca,
    ),
    (
        "trust",
        "install the CA in every trust store (asks first), remove it, or show where it is",
        _add_trust,
        cmd_trust,
    ),
)
