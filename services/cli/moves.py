"""``rjb moves``: where offenders in RJ cases are, which cases prison moves have hit, releases;
or one offender's move history (``--offender``)."""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from domain.agencies import NOMS_PATTERN
from projections.moves_queries import (
    AffectedCase,
    CaseLocation,
    CustodyView,
    MovesQueries,
    ReleaseFlag,
)
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
from services.cli.query_args import backbone, known_prison, yes_no

moves_cli = typer.Typer()
console = make_console()


def _location(c: CaseLocation) -> dict[str, object]:
    return {**asdict(c), "in_area": c.in_area}


@moves_cli.command()
def moves(
    prison: Annotated[str | None, typer.Option(help="Cases for this prison's liaison team")] = None,
    offender: Annotated[str | None, typer.Option(help="Prison number: move history")] = None,
    closed: Annotated[bool, typer.Option("--all", help="Include closed cases")] = False,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Where offenders in RJ cases are, and which cases prison moves have hit."""
    one_format(as_json, as_csv)
    if prison and closed:
        raise error("--all goes without --prison: a prison's view lists its open cases")
    code = known_prison(prison) if prison else None
    if offender is not None and not re.fullmatch(NOMS_PATTERN, offender):
        raise error(f"{offender!r} is not a prison number (a letter, 4 digits, 2 letters: A1234BC)")
    with backbone() as bb:
        q = MovesQueries(bb.projections)
        if offender:
            custody = q.custody(offender)
            if custody is None:
                console.print(f"no movements for {offender}", style="red", markup=False)
                raise typer.Exit(code=1)
            _history(custody, as_json, as_csv)
            return
        locations = q.prison_cases(code) if code else q.case_locations(open_only=not closed)
        affected = [a for a in q.affected() if code in (None, a.from_prison, a.to_prison)]
        releases = [r for r in q.releases() if code in (None, r.prison_id)]
    if as_json:
        emit_json(
            {
                "cases": [_location(c) for c in locations],
                "affected_by_moves": [asdict(a) for a in affected],
                "releases": [asdict(r) for r in releases],
            }
        )
    elif as_csv:
        columns = [f.name for f in fields(CaseLocation)]
        emit_csv([_location(c) for c in locations], [*columns, "in_area"])
    else:
        _tables(code, closed, locations, affected, releases)


def _history(custody: CustodyView, as_json: bool, as_csv: bool) -> None:
    if as_json:
        emit_json(asdict(custody))
        return
    if as_csv:
        emit_csv([asdict(m) for m in custody.history])
        return
    now_at = f"{custody.prison_number}: {custody.status}, now at {custody.current_prison or '-'}"
    t = Table("occurred", "movement", "reason", "prison", title=Text(now_at), title_justify="left")
    for m in custody.history:
        add_row(t, m.occurred_at[:16], m.kind, m.reason, m.prison_id)
    console.print(t)


def _table(title: str, *headers: str) -> Table:
    t = Table(title=title, title_justify="left")
    id_column(t, "case")
    for header in headers:
        t.add_column(header)
    return t


def _tables(
    code: str | None,
    closed: bool,
    locations: list[CaseLocation],
    affected: list[AffectedCase],
    releases: list[ReleaseFlag],
) -> None:
    which = (
        f"Open cases at or arranged with {code}" if code else f"{'All' if closed else 'Open'} cases"
    )
    t = _table(
        f"{which}: where the offender is",
        "PCC area",
        "prison number",
        "custody",
        "prison",
        "prison area",
        "in area",
    )
    for c in locations:
        add_row(
            t,
            c.case_id,
            c.pcc_area,
            c.prison_number,
            c.custody_status,
            c.current_prison,
            c.prison_area,
            yes_no(c.in_area),
        )
    console.print(t)
    t = _table(
        "Cases hit by a move" + (f" in or out of {code}" if code else ""),
        "prison number",
        "moved",
        "move",
        "from",
        "to",
        "out of area",
        "affects",
    )
    for a in affected:
        add_row(
            t,
            a.case_id,
            a.prison_number,
            a.moved_at[:16],
            a.move,
            a.from_prison,
            a.to_prison,
            yes_no(a.out_of_area),
            a.affects,
        )
    console.print(t)
    t = _table(
        "Releases of offenders whose case waited for release",
        "prison number",
        "released",
        "from",
        "waiting since",
    )
    for r in releases:
        add_row(
            t, r.case_id, r.prison_number, r.released_at[:16], r.prison_id, r.waiting_since[:10]
        )
    console.print(t)
