"""``rjb projections``, ``rjb moves``, ``rjb delays``, ``rjb agreements``, ``rjb performance``.

Every query first brings its projection up to date with the log, so what is shown is current.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from projections.agreements import AgreementQueries
from projections.clock import Clock, fixed_clock, system_clock
from projections.delay_queries import DelayQueries, ServiceLevels
from projections.moves_queries import MovesQueries
from projections.performance_queries import PerformanceQueries
from projections.runner import UnknownProjection
from services.bootstrap import Backbone, build

app = typer.Typer()
projections_app = typer.Typer(no_args_is_help=True, help="Read models: status, update, rebuild")
app.add_typer(projections_app, name="projections")
console = Console(width=None if sys.stdout.isatty() else 180)


@contextmanager
def _backbone() -> Iterator[Backbone]:
    backbone = build()
    try:
        yield backbone
    finally:
        backbone.close()


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


@projections_app.command("status")
def status() -> None:
    """Each projection's position in the notification log."""
    with _backbone() as bb:
        table = Table("projection", "version", "position", "log end", "behind")
        for s in bb.projections.status():
            behind = "up to date" if s.position >= s.log_end else f"≤ {s.log_end - s.position}"
            table.add_row(s.name, str(s.version), str(s.position), str(s.log_end), behind)
        console.print(table)


@projections_app.command("update")
def update(name: Annotated[str | None, typer.Argument(help="One projection")] = None) -> None:
    """Apply the events not yet applied."""
    with _backbone() as bb:
        applied = _run(bb, name, rebuild=False)
    console.print(f"{applied} events applied")


@projections_app.command("rebuild")
def rebuild(name: Annotated[str | None, typer.Argument(help="One projection")] = None) -> None:
    """Drop a projection's views (or every projection's) and replay the whole log into them."""
    with _backbone() as bb:
        applied = _run(bb, name, rebuild=True)
    console.print(f"rebuilt from {applied} events")


def _run(bb: Backbone, name: str | None, *, rebuild: bool) -> int:
    runner = bb.projections
    try:
        names = [runner.get(name).name] if name else sorted(runner.projections)
    except UnknownProjection as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(code=1) from None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    applied = 0
    with Progress(*columns, console=console) as progress:
        # all of them in one pass over the log: each event is read and decoded once
        task = progress.add_task(", ".join(names), total=None)

        def advance(reached: int, end: int) -> None:
            progress.update(task, completed=reached, total=end)

        go = runner.rebuild if rebuild else runner.catch_up
        applied += go(name, advance)
    return applied


@app.command()
def moves(
    prison: Annotated[str | None, typer.Option(help="Cases for this prison's liaison team")] = None,
    offender: Annotated[str | None, typer.Option(help="Prison number: move history")] = None,
    closed: Annotated[bool, typer.Option("--all", help="Include closed cases")] = False,
) -> None:
    """Where offenders in RJ cases are, and which cases prison moves have hit."""
    with _backbone() as bb:
        q = MovesQueries(bb.projections)
        if offender:
            custody = q.custody(offender)
            if custody is None:
                console.print(f"[red]no movements for {offender}[/red]")
                raise typer.Exit(code=1)
            t = Table(
                "occurred",
                "movement",
                "reason",
                "prison",
                title=f"{custody.prison_number}: {custody.status}, "
                f"now at {custody.current_prison or '-'}",
                title_justify="left",
            )
            for m in custody.history:
                t.add_row(m.occurred_at[:16], m.kind, m.reason, m.prison_id)
            console.print(t)
            return
        locations = q.prison_cases(prison) if prison else q.case_locations(open_only=not closed)
        t = Table(
            "case",
            "PCC area",
            "prison number",
            "custody",
            "prison",
            "prison area",
            "in area",
            title=f"{'All' if closed else 'Open'} cases: where the offender is",
            title_justify="left",
        )
        for c in locations:
            t.add_row(
                c.case_id,
                c.pcc_area,
                c.prison_number,
                c.custody_status or "-",
                c.current_prison or "-",
                c.prison_area or "-",
                _yes_no(c.in_area),
            )
        console.print(t)
        if prison:
            return
        t = Table(
            "case",
            "prison number",
            "moved",
            "move",
            "from",
            "to",
            "out of area",
            "affects",
            title="Cases hit by a move",
            title_justify="left",
        )
        for a in q.affected():
            t.add_row(
                a.case_id,
                a.prison_number,
                a.moved_at[:16],
                a.move,
                a.from_prison,
                a.to_prison or "-",
                _yes_no(a.out_of_area),
                a.affects,
            )
        console.print(t)
        t = Table(
            "case",
            "prison number",
            "released",
            "from",
            "waiting since",
            title="Releases of offenders whose case waited for release",
            title_justify="left",
        )
        for r in q.releases():
            t.add_row(
                r.case_id, r.prison_number, r.released_at[:16], r.prison_id, r.waiting_since[:10]
            )
        console.print(t)


def _clock(now: datetime | None) -> Clock:
    return fixed_clock(now) if now else system_clock


NowOption = Annotated[
    datetime | None, typer.Option(help="Measure as at this instant (default: now)")
]


@app.command()
def delays(
    now: NowOption = None,
    ongoing: Annotated[bool, typer.Option(help="Only breaches still going on")] = False,
    case: Annotated[str | None, typer.Option(help="Time in each stage of this case")] = None,
) -> None:
    """Cases breaching service levels, with the reason and age; per-area medians."""
    with _backbone() as bb:
        s = bb.settings
        levels = ServiceLevels(
            s.sla_victim_details_days, s.sla_victim_update_days, s.sla_prison_access_days
        )
        q = DelayQueries(bb.projections, levels, _clock(now))
        if case:
            t = Table("stage", "entered", "days", title=f"Case {case}", title_justify="left")
            for st in q.stage_times(case):
                t.add_row(
                    st.stage + (" (now)" if st.current else ""),
                    f"{st.entered_at:%Y-%m-%d}",
                    f"{st.days:.1f}",
                )
            console.print(t)
            return
        t = Table(
            "case",
            "area",
            "breach",
            "since",
            "until",
            "age (days)",
            "reason",
            title="Service-level breaches",
            title_justify="left",
        )
        for b in q.breaches(ongoing_only=ongoing):
            until = "ongoing" if b.ended is None else f"{b.ended:%Y-%m-%d}"
            t.add_row(
                b.case_id,
                b.pcc_area,
                b.kind,
                f"{b.started:%Y-%m-%d}",
                until,
                f"{b.age_days:.0f}",
                b.reason,
            )
        console.print(t)
        t = Table(
            "PCC area",
            "cases",
            "median referral→activity (days)",
            "median referral→closure (days)",
            title="Per area",
            title_justify="left",
        )
        for m in q.area_medians():
            t.add_row(
                m.pcc_area,
                str(m.cases),
                _num(m.referral_to_activity_days),
                _num(m.referral_to_closure_days),
            )
        console.print(t)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@app.command()
def agreements(now: NowOption = None) -> None:
    """Information-sharing agreements by status, review alerts and permitted flows."""
    with _backbone() as bb:
        q = AgreementQueries(bb.projections, _clock(now))
        today = _clock(now)().date()
        t = Table(
            "status",
            "reference",
            "title",
            "lead",
            "effective",
            "review due",
            "alert",
            title="Information-sharing agreements",
            title_justify="left",
        )
        for status_, rows in q.by_status().items():
            for a in rows:
                t.add_row(
                    status_,
                    a.reference,
                    a.title,
                    a.lead,
                    f"{a.effective_from}",
                    f"{a.review_due}",
                    a.review_alert(today) or "",
                )
        console.print(t)
        t = Table(
            "from",
            "to",
            "data categories",
            title="Permitted flows (active agreements)",
            title_justify="left",
        )
        for (src, dst), categories in q.permitted_flows().items():
            t.add_row(src, dst, ", ".join(categories))
        console.print(t)
        withheld = q.withheld_shares()
        if withheld is None:
            console.print("Shares withheld: not recorded yet (needs the Kafka sharing relay)")
        else:
            for agency, count in withheld.items():
                console.print(f"Shares withheld from {agency}: {count}")


@app.command()
def performance(
    period: Annotated[str, typer.Option(help="year, quarter or month")] = "year",
    area: Annotated[str | None, typer.Option(help="One PCC area")] = None,
) -> None:
    """Referrals, offers, take-up, completion, empowerment, feedback, complaints per area."""
    if period not in ("year", "quarter", "month"):
        console.print("[red]--period is year, quarter or month[/red]")
        raise typer.Exit(code=1)
    with _backbone() as bb:
        rows = PerformanceQueries(bb.projections).measures(period, area)  # type: ignore[arg-type]
    t = Table(
        "area",
        "period",
        "referrals by route",
        "by CJS stage",
        "by crime type",
        "activities held",
        "offers",
        "take-up",
        "completion",
        "empowered",
        "feedback before",
        "feedback after",
        "complaints",
        "sensitive: enhanced / not suitable",
        title="Area performance",
        title_justify="left",
    )
    for m in rows:
        t.add_row(
            m.pcc_area,
            m.period,
            _kv(m.referrals("route")),
            _kv(m.referrals("cjs_stage")),
            _kv(m.referrals("crime_type")),
            _kv(m.counts["activity_held"]),
            _kv(m.counts["offer"]),
            _pct(m.take_up),
            _pct(m.completion),
            _pct(m.empowered),
            _kv(m.feedback("before")),
            _kv(m.feedback("after")),
            str(sum(m.counts["complaint"].values())),
            f"{len(m.sensitive_cases['enhanced_assessment'])} / "
            f"{len(m.sensitive_cases['closed_not_suitable'])}",
        )
    console.print(t)


def _kv(values: Mapping[str, float]) -> str:
    return "\n".join(f"{k} {v:g}" for k, v in sorted(values.items())) or "-"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
