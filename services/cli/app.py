"""``rjb``: the backbone's command line. Sub-command groups register themselves at the bottom."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated
from uuid import UUID

import orjson
import typer
from rich.table import Table
from rich.text import Text

from services.bootstrap import Backbone, build
from services.case_queries import CaseQueries, case_summary
from services.cli.identity import TokenFile, Why, readable_case
from services.cli.output import (
    AsCsv,
    AsJson,
    add_row,
    emit_csv,
    emit_json,
    error,
    id_column,
    make_console,
    one_format,
)
from services.cli.render import render_case, render_timeline
from services.commands import COMMAND_MODELS, SPECS, Command, command_adapter
from services.demo.runner import all_scripts, run_script

app = typer.Typer(no_args_is_help=True, help="rj-backbone: restorative justice case backbone")
console = make_console()


def _backbone() -> Backbone:
    return build()


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="JSON-lines file of commands ('-' for stdin)")],
) -> None:
    """Apply agency commands (or HMPPS movement messages) from a JSON-lines file."""
    from services.cli.submit import lines_bar, report, submit_lines
    from services.kafka_runtime.inbound_settings import InboundSettings

    data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    backbone = _backbone()
    try:
        limit = InboundSettings().max_message_bytes
        with lines_bar(data) as counted:
            bad = report(console, counted(submit_lines(backbone.commands, data, limit)))
    finally:
        backbone.close()
    if bad:
        raise typer.Exit(code=1)


def _case_id(queries: CaseQueries, given: str) -> UUID:
    """A whole case id, or a prefix of exactly one case's id (as ``rjb list`` shows them)."""
    try:
        return UUID(given)
    except ValueError:
        pass
    prefix = given.strip().lower()
    if len(prefix) < 4 or any(ch not in "0123456789abcdef-" for ch in prefix):
        raise error(f"{given!r} is neither a case id nor a prefix of one (4 or more hex digits)")
    found = [c for c in queries.case_ids() if str(c).startswith(prefix)]
    if len(found) != 1:
        raise error(f"{len(found)} cases have ids starting {prefix!r}: give more of the id")
    return found[0]


@app.command()
def show(
    case_id: Annotated[str, typer.Argument(help="A case id, or a unique prefix of one")],
    reason: Why,
    token_file: TokenFile = None,
    as_json: AsJson = False,
) -> None:
    """Show a case's current state and its timeline (an auditor, or an agency that may act on
    the case; the read is logged with who and why)."""
    backbone = _backbone()
    try:
        queries = CaseQueries(backbone.store)
        whole = _case_id(queries, case_id)
        case = readable_case(backbone, token_file, whole, reason)
        if case is None:
            raise error(f"no case {whole}")
        timeline = queries.timeline(whole)
    finally:
        backbone.close()
    if as_json:
        emit_json({"case": case_summary(case), "timeline": [asdict(e) for e in timeline]})
        return
    render_case(console, case)
    render_timeline(console, timeline)


@app.command("list")
def list_cases(as_json: AsJson = False, as_csv: AsCsv = False) -> None:
    """List every case with its area, crime type and status (full case ids)."""
    one_format(as_json, as_csv)
    backbone = _backbone()
    try:
        queries = CaseQueries(backbone.store)
        rows = []
        for case_id in queries.case_ids():
            case = queries.case(case_id)
            status = case.closed_reason.value if case.closed_reason else "open"
            rows.append(
                {
                    "case_id": str(case_id),
                    "pcc_area": case.pcc_area,
                    "crime_type": case.crime_type.value,
                    "route": case.route.value,
                    "status": status,
                    "version": case.version,
                }
            )
    finally:
        backbone.close()
    if as_json:
        emit_json(rows)
        return
    if as_csv:
        emit_csv(rows, ["case_id", "pcc_area", "crime_type", "route", "status", "version"])
        return
    table = Table()
    id_column(table, "case")
    for header in ("area", "crime", "route", "status", "version"):
        table.add_column(header)
    for r in rows:
        add_row(table, *r.values())
    console.print(table)


@app.command("commands")
def list_command_types(
    schema: Annotated[bool, typer.Option(help="Print the JSON Schema of every command")] = False,
) -> None:
    """List the agency command types and their fields (generated from the aggregates)."""
    if schema:
        console.print_json(orjson.dumps(command_adapter.json_schema()).decode())
        return
    table = Table("type", "aggregate", "fields (* = required)")
    envelope = set(Command.model_fields)
    for name, model in COMMAND_MODELS.items():
        fields = [
            f"{field}{'*' if info.is_required() else ''}"
            for field, info in model.model_fields.items()
            if field not in envelope
        ]
        table.add_row(name, SPECS[name].aggregate.__name__, ", ".join(fields))
    console.print(table)
    console.print("Every command also carries: " + ", ".join(sorted(envelope - {"type"})))


@app.command()
def demo(
    via_kafka: Annotated[
        bool, typer.Option("--via-kafka", help="Send every step through Kafka and read back")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each step via Kafka")] = 60,
) -> None:
    """Run the six stories of DOMAIN.md end to end and print each case and its timeline."""
    if via_kafka:
        from services.cli.demo_via_kafka import demo_via_kafka

        raise typer.Exit(code=demo_via_kafka(console, timeout))
    backbone = _backbone()
    try:
        queries = CaseQueries(backbone.store)
        console.print(f"[bold]Event store:[/bold] {backbone.settings.store}")
        for script in all_scripts():
            run = run_script(backbone.commands, script)
            new = sum(r.new_events for r in run.results)
            console.rule(Text(script.title, style="bold"))
            console.print(f"{len(run.results)} commands, {new} new events")
            if script.story == "agreements":
                continue
            render_case(console, queries.case(script.case_id), title=script.title)
            render_timeline(console, queries.timeline(script.case_id))
    finally:
        backbone.close()


from services.cli.agreements import agreements_cli  # noqa: E402
from services.cli.audit import audit_app  # noqa: E402
from services.cli.db import db_app  # noqa: E402
from services.cli.delays import delays_cli  # noqa: E402
from services.cli.dlq import dlq_app  # noqa: E402
from services.cli.http import dev_app, http_cli  # noqa: E402
from services.cli.kafka import kafka_cli  # noqa: E402
from services.cli.kafka_access import kafka_access_app  # noqa: E402
from services.cli.moves import moves_cli  # noqa: E402
from services.cli.performance import performance_cli  # noqa: E402
from services.cli.privacy import privacy_app  # noqa: E402
from services.cli.projections import projections_app  # noqa: E402
from services.cli.reconcile import reconcile_cli  # noqa: E402

app.add_typer(kafka_cli)
app.add_typer(kafka_access_app, name="kafka")

app.add_typer(audit_app, name="audit")
app.add_typer(privacy_app, name="privacy")
app.add_typer(http_cli)
app.add_typer(dev_app, name="dev")
app.add_typer(db_app, name="db")
app.add_typer(projections_app, name="projections")
for queries in (moves_cli, delays_cli, agreements_cli, performance_cli):
    app.add_typer(queries)
app.add_typer(dlq_app, name="dlq")
app.add_typer(reconcile_cli)
