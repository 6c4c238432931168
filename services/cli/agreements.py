"""``rjb agreements``: information-sharing agreements by status, review alerts and the flows that
active agreements permit, as at now or any date."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.table import Table
from rich.text import Text

from projections.agreements import AgreementQueries
from services.cli.output import (
    AsCsv,
    AsJson,
    add_row,
    emit_csv,
    emit_json,
    make_console,
    one_format,
)
from services.cli.query_args import NowOption, backbone, clock, instant

agreements_cli = typer.Typer()
console = make_console()
COLUMNS = ["status", "reference", "title", "lead", "effective_from", "review_due", "review_alert"]


@agreements_cli.command()
def agreements(now: NowOption = None, as_json: AsJson = False, as_csv: AsCsv = False) -> None:
    """Information-sharing agreements by status, review alerts and permitted flows."""
    one_format(as_json, as_csv)
    at = clock(instant(now, "--now"))
    with backbone() as bb:
        q = AgreementQueries(bb.projections, at)
        today = at().date()
        rows = [
            {**asdict(a), "status": status, "review_alert": a.review_alert(today)}
            for status, group in q.by_status().items()
            for a in group
        ]
        flows = [
            {"from": src, "to": dst, "data_categories": list(categories)}
            for (src, dst), categories in q.permitted_flows().items()
        ]
        withheld = q.withheld_shares()
    if as_json:
        emit_json({"agreements": rows, "permitted_flows": flows, "shares_withheld": withheld})
        return
    if as_csv:
        emit_csv(rows, COLUMNS)
        return
    headers = ("status", "reference", "title", "lead", "effective", "review due", "alert")
    t = Table(*headers, title="Information-sharing agreements", title_justify="left")
    for r in rows:
        add_row(t, *(r[c] for c in COLUMNS[:-1]), r["review_alert"] or "")
    console.print(t)
    title = "Permitted flows (active agreements)"
    t = Table("from", "to", "data categories", title=title, title_justify="left")
    for f in flows:
        add_row(t, f["from"], f["to"], ", ".join(f["data_categories"]))  # type: ignore[arg-type]
    console.print(t)
    if withheld is None:
        console.print("Shares withheld: not recorded yet (needs the Kafka sharing relay)")
    else:
        for agency, count in withheld.items():
            console.print(Text(f"Shares withheld from {agency}: {count}"))
