"""``rjb audit ...``: history, state at an instant, verify, read log and export for auditors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import orjson
import typer
from eventsourcing.application import AggregateNotFoundError
from rich.table import Table
from rich.text import Text

from services.audit.service import AuditService, parse_instant
from services.audit.state import audit_state
from services.bootstrap import build
from services.cli.identity import TokenFile, Why, with_role
from services.cli.output import (
    AsCsv,
    add_row,
    emit_csv,
    error,
    id_column,
    make_console,
    one_format,
)
from services.identity import Role

audit_app = typer.Typer(no_args_is_help=True, help="Auditors: replay, state at T, verify, export")
console = make_console()

AnyReason = Annotated[str, typer.Option("--reason", help="Why, for the read log")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON instead of tables")]


@contextmanager
def auditing(token_file: Path | None, why: str) -> Iterator[AuditService]:
    """Auditor access as the credential's verified identity, which needs the auditor role."""
    backbone = build()
    try:
        who = with_role(backbone, token_file, Role.AUDITOR, "audit reads, exports and verification")
        yield backbone.audit(who.reader, why)
    except AggregateNotFoundError as e:
        console.print(f"no such case: {e}", style="red", markup=False)
        raise typer.Exit(code=1) from e
    finally:
        backbone.close()


def print_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


@audit_app.command()
def history(
    case_id: UUID,
    reason: Why,
    token_file: TokenFile = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Every event of a case, in order: when it occurred and was recorded, who, what changed."""
    one_format(as_json, as_csv)
    with auditing(token_file, reason) as audit:
        h = audit.history(case_id)
    rows = [{"kind": "event", **e.__dict__} for e in h.entries] + [
        {"kind": "erasure", **e.__dict__} for e in h.erasures
    ]
    if as_json:
        print_json({"case_id": h.case_id, "events": rows, "share_decisions": h.share_decisions})
        return
    if as_csv:
        columns = ["kind", "version", "occurred_at", "recorded_at", "agency", "user", "event"]
        emit_csv(rows, [*columns, "details"])
        return
    table = Table(
        "v",
        "occurred",
        "recorded",
        "agency",
        "user",
        "event",
        title=f"History of case {case_id}",
        title_justify="left",
    )
    table.add_column("what changed", overflow="fold")
    for r in rows:
        version = str(r["version"]) if r["kind"] == "event" else "erasure"
        add_row(
            table,
            version,
            f"{r['occurred_at']:%Y-%m-%d %H:%M}",
            r["recorded_at"].isoformat(timespec="seconds"),
            r["agency"],
            r["user"],
            r["event"],
            orjson.dumps(r["details"]).decode(),
        )
    console.print(table)
    if h.share_decisions is not None:
        console.print(Text(f"Share decisions ({len(h.share_decisions)})", style="bold"))
        for decision in h.share_decisions:
            console.print(Text(orjson.dumps(decision, default=str).decode()))


@audit_app.command()
def at(
    case_id: UUID,
    instant: Annotated[str, typer.Option("--at", help="ISO instant, e.g. 2025-03-01T09:00Z")],
    reason: Why,
    token_file: TokenFile = None,
    occurred: Annotated[
        bool, typer.Option("--occurred", help="By occurred time (when things happened)")
    ] = False,
) -> None:
    """The case as it stood at an instant: by recorded time (events recorded at or before it),
    or with --occurred by occurred time (events that happened at or before it, as the agencies
    said, whenever they were recorded)."""
    try:
        when = parse_instant(instant)
    except ValueError:
        raise error(f"--at {instant!r} is not an ISO instant, e.g. 2025-03-01T09:00Z") from None
    with auditing(token_file, reason) as audit:
        case = audit.at_occurred(case_id, when) if occurred else audit.at(case_id, when)
    if case is None:
        done = "referred" if occurred else "recorded"
        console.print(f"case {case_id} had not been {done} at {when.isoformat()}", markup=False)
        raise typer.Exit(code=1)
    print_json({"as_occurred_at" if occurred else "as_recorded_at": when, **audit_state(case)})


@audit_app.command()
def reads(
    reason: AnyReason = "",
    token_file: TokenFile = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """The read access log: who read what, when and why."""
    one_format(as_json, as_csv)
    with auditing(token_file, reason) as audit:
        records = audit.reads()
    rows = [
        {
            "read_at": r.read_at.isoformat(timespec="seconds"),
            "reader": r.reader,
            "action": r.action,
            "subject": r.subject,
            "detail": r.detail,
        }
        for r in records
    ]
    if as_json:
        print_json(rows)
        return
    if as_csv:
        emit_csv(rows, ["read_at", "reader", "action", "subject", "detail"])
        return
    table = Table("when", "who", "action", title="Audit reads")
    id_column(table, "what")
    table.add_column("detail")
    for row in rows:
        add_row(table, *row.values())
    console.print(table)


# verify, export and verify-export: tamper evidence (services/cli/audit_verify.py)
from services.cli import audit_verify  # noqa: E402, F401
