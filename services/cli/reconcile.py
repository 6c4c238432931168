"""``rjb reconcile [--repair]``: what the store holds that the broker's topics lack."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from services.bootstrap import build
from services.cli.dlq_render import console
from services.cli.identity import TokenFile
from services.cli.operators import on_broker, on_the_broker, operator
from services.cli.output import AsJson, emit_json
from services.reconcile import Reconciler, Report

reconcile_cli = typer.Typer()
SHOWN = 5


def render(report: Report) -> None:
    console.print(Text(f"cluster {report.cluster}"))
    for gap in report.gaps:
        found = gap.expected - len(gap.missing)
        line = f"{gap.topic}: {found} of {gap.expected} present, {len(gap.missing)} missing"
        if gap.missing:
            line += f" ({gap.not_relayed_yet} after the relay's position {gap.relay_position})"
        console.print(Text(line, style="red" if gap.missing else ""))
        for missing in gap.missing[:SHOWN]:
            console.print(Text(f"  {missing}"))
        if len(gap.missing) > SHOWN:
            console.print(Text(f"  ... and {len(gap.missing) - SHOWN} more"))
    console.print(Text(f"{report.missing} record(s) missing", style="bold"))


@reconcile_cli.command()
def reconcile(
    repair: Annotated[
        bool, typer.Option("--repair", help="Publish what is missing (duplicates are harmless)")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (needed with --repair; read log)")] = "",
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """Compare the store with the case-event topic and with the share decisions' shared topics;
    report what is missing per topic (exit 1 when something is), or with --repair publish it."""
    if repair and not reason.strip():
        typer.echo("--repair needs a --reason (recorded with who did it)", err=True)
        raise typer.Exit(code=2)
    backbone = build()
    try:
        who = operator(backbone, token_file, "reconcile")
        reconciler = Reconciler.of(on_the_broker(backbone))
        report = on_broker(reconciler.check())
        if not as_json:
            render(report)
        audit = backbone.audit(who.reader, reason)
        audit.log_read("reconcile", "*", f"{report.missing} missing")
        sent = None
        if repair and report.missing:
            sent = on_broker(reconciler.repair(report))
            audit.log_read("reconcile --repair", "*", f"republished {sent} records")
            if not as_json:
                console.print(Text(f"republished {sent} record(s)", style="bold green"))
    finally:
        backbone.close()
    if as_json:
        emit_json(report_json(report, sent))
    if report.missing and sent is None:
        raise typer.Exit(code=1)


def report_json(report: Report, republished: int | None) -> dict[str, object]:
    """What ``--json`` prints: per topic, every record missing (event id, aggregate, version,
    log position); ``republished`` is how many ``--repair`` sent (None without it)."""
    topics = [
        {
            "topic": gap.topic,
            "recipient": gap.recipient,
            "expected": gap.expected,
            "relay_position": gap.relay_position,
            "not_relayed_yet": gap.not_relayed_yet,
            "missing": [asdict(m) for m in gap.missing],
        }
        for gap in report.gaps
    ]
    return {
        "cluster": report.cluster,
        "missing": report.missing,
        "topics": topics,
        "republished": republished,
    }
