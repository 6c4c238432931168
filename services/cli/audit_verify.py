"""``rjb audit verify | export | verify-export``: tamper evidence. Verify checks the stored
events against the hash chains (the whole log with a progress bar on a terminal); an export of a
case carries a manifest of hashes that ``verify-export`` checks offline."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from adapters.audit_chain import LogHead
from services.audit.export import Format, export_case, verify_export
from services.audit.verify import VerifyReport, summary, verify_log
from services.cli.audit import AnyReason, AsJson, audit_app, auditing, print_json
from services.cli.identity import TokenFile, Why
from services.cli.output import error


@audit_app.command()
def verify(
    case_id: Annotated[UUID | None, typer.Argument(help="One case; default: the whole log")] = None,
    anchor: Annotated[
        str | None, typer.Option(help="A head kept elsewhere, NOTIFICATION_ID:LOG_HASH")
    ] = None,
    reason: AnyReason = "",
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """Check stored events against the hash chains: OK, or exactly what was tampered with."""
    bar = Progress(
        TextColumn("verifying the log"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    task = bar.add_task("verify", total=None)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with auditing(token_file, reason) as audit, bar:
        if anchor:
            nid, _, digest = anchor.partition(":")
            if not nid.isdigit() or not digest:
                raise error(f"--anchor {anchor!r} is not NOTIFICATION_ID:LOG_HASH")
            audit.log_read("verify", "*", f"anchor {anchor}")
            head = LogHead(int(nid), log_hash=digest)
            report = verify_log(audit.recorder, anchor=head, progress=advance)
        else:
            report = audit.verify(case_id, progress=advance)
    if as_json:
        print_json(verify_json(report))
    else:
        for line in summary(report):
            typer.echo(line)
        if report.head and report.head.notification_id:
            typer.echo(f"log head: {report.head.notification_id}:{report.head.log_hash}")
    if not report.ok:
        raise typer.Exit(code=1)


def verify_json(report: VerifyReport) -> dict[str, Any]:
    """What ``--json`` prints: the head is ``NOTIFICATION_ID:LOG_HASH``, for ``--anchor``."""
    head = report.head
    anchor = f"{head.notification_id}:{head.log_hash}" if head and head.notification_id else None
    return {
        "scope": report.scope,
        "ok": report.ok,
        "events_checked": report.events_checked,
        "findings": [asdict(f) for f in report.findings],
        "head": anchor,
    }


@audit_app.command()
def export(
    case_id: UUID,
    out: Annotated[Path, typer.Option(help="Directory to write the export into")],
    reason: Why,
    fmt: Annotated[Format, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    token_file: TokenFile = None,
) -> None:
    """Export a case's history, an HTML timeline and a manifest of chain hashes."""
    with auditing(token_file, reason) as audit:
        manifest = export_case(audit, case_id, out, fmt)
    typer.echo(f"exported case {case_id} to {out} (manifest {manifest.name})")


@audit_app.command("verify-export")
def verify_export_dir(directory: Path) -> None:
    """Verify an export offline: file digests and the hash chain from the stored bytes."""
    problems = verify_export(directory)
    for problem in problems:
        typer.echo(problem)
    if problems:
        raise typer.Exit(code=1)
    typer.echo(f"OK: export {directory} matches its manifest and hash chain")
