"""``rjb projections``, ``rjb moves``, ``rjb delays``, ``rjb agreements``, ``rjb performance``.

Every query first brings its projection up to date with the log, so what is shown is current.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from domain.agencies import NOMS_PATTERN
from domain.reference import load_reference_data
from projections.agreements import AgreementQueries
from projections.clock import Clock, fixed_clock, system_clock
from projections.delay_queries import Breach, DelayQueries, ServiceLevels, StageTime
from projections.moves_queries import CaseLocation, MovesQueries
from projections.performance_queries import AreaPeriod, PerformanceQueries
from projections.runner import UnknownProjection
from services.bootstrap import Backbone, build
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

app = typer.Typer()
projections_app = typer.Typer(no_args_is_help=True, help="Read models: status, update, rebuild")
app.add_typer(projections_app, name="projections")
console = make_console()


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
        console.print(str(e), style="red", markup=False)
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


def _known_prison(code: str) -> str:
    upper = code.upper()
    if upper not in load_reference_data().prisons:
        raise error(f"unknown prison code {code!r} (a three-letter code, e.g. LEI for HMP Leeds)")
    return upper


def _known_area(area: str) -> str:
    code = area.strip().lower().replace(" ", "-")
    if code not in load_reference_data().pcc_areas:
        raise error(f"unknown PCC area {area!r} (a code such as kent or west-yorkshire)")
    return code


def _location(c: CaseLocation) -> dict[str, object]:
    return {**asdict(c), "in_area": c.in_area}


@app.command()
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
    code = _known_prison(prison) if prison else None
    if offender is not None and not re.fullmatch(NOMS_PATTERN, offender):
        raise error(f"{offender!r} is not a prison number (a letter, 4 digits, 2 letters: A1234BC)")
    with _backbone() as bb:
        q = MovesQueries(bb.projections)
        if offender:
            custody = q.custody(offender)
            if custody is None:
                console.print(f"no movements for {offender}", style="red", markup=False)
                raise typer.Exit(code=1)
            if as_json:
                emit_json(asdict(custody))
                return
            if as_csv:
                emit_csv([asdict(m) for m in custody.history])
                return
            t = Table(
                "occurred",
                "movement",
                "reason",
                "prison",
                title=Text(
                    f"{custody.prison_number}: {custody.status}, "
                    f"now at {custody.current_prison or '-'}"
                ),
                title_justify="left",
            )
            for m in custody.history:
                add_row(t, m.occurred_at[:16], m.kind, m.reason, m.prison_id)
            console.print(t)
            return
        locations = q.prison_cases(code) if code else q.case_locations(open_only=not closed)
        affected = [a for a in q.affected() if code in (None, a.from_prison, a.to_prison)]
        releases = [r for r in q.releases() if code in (None, r.prison_id)]
    if as_json:
        emit_json({"cases": [_location(c) for c in locations],
                   "affected_by_moves": [asdict(a) for a in affected],
                   "releases": [asdict(r) for r in releases]})  # fmt: skip
        return
    if as_csv:
        emit_csv([_location(c) for c in locations], [f.name for f in fields(CaseLocation)]
                 + ["in_area"])  # fmt: skip
        return
    which = (
        f"Open cases at or arranged with {code}" if code else f"{'All' if closed else 'Open'} cases"
    )
    t = Table(title=f"{which}: where the offender is", title_justify="left")
    id_column(t, "case")
    for header in ("PCC area", "prison number", "custody", "prison", "prison area", "in area"):
        t.add_column(header)
    for c in locations:
        add_row(t, c.case_id, c.pcc_area, c.prison_number, c.custody_status,
                c.current_prison, c.prison_area, _yes_no(c.in_area))  # fmt: skip
    console.print(t)
    t = Table(title="Cases hit by a move" + (f" in or out of {code}" if code else ""),
              title_justify="left")  # fmt: skip
    id_column(t, "case")
    for header in ("prison number", "moved", "move", "from", "to", "out of area", "affects"):
        t.add_column(header)
    for a in affected:
        add_row(t, a.case_id, a.prison_number, a.moved_at[:16], a.move, a.from_prison,
                a.to_prison, _yes_no(a.out_of_area), a.affects)  # fmt: skip
    console.print(t)
    t = Table(title="Releases of offenders whose case waited for release", title_justify="left")
    id_column(t, "case")
    for header in ("prison number", "released", "from", "waiting since"):
        t.add_column(header)
    for r in releases:
        add_row(t, r.case_id, r.prison_number, r.released_at[:16], r.prison_id,
                r.waiting_since[:10])  # fmt: skip
    console.print(t)


def _clock(now: datetime | None) -> Clock:
    return fixed_clock(now) if now else system_clock


def _instant(value: str | None, option: str) -> datetime | None:
    """An ISO date or instant (UTC when no zone is given); a bad one is a usage error."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise error(f"{option} {value!r} is not an ISO date or instant, e.g. 2025-03-01") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


NowOption = Annotated[
    str | None,
    typer.Option("--now", "--at", help="As at this date or instant (default: now)"),
]


def _as_at(breach: Breach, now: datetime) -> Breach | None:
    """The breach as it stood at ``now``: not begun yet (None), or still going on then."""
    if breach.started > now:
        return None
    if breach.ended is not None and breach.ended > now:
        age = round((now - breach.started).total_seconds() / 86_400, 1)
        return replace(breach, ended=None, age_days=age)
    return breach


def _stages_at(stages: list[StageTime], now: datetime) -> list[StageTime]:
    """The stages entered by ``now``; the last of them runs to ``now`` unless closed."""
    reached = [st for st in stages if st.entered_at <= now]
    if len(reached) == len(stages) or not reached:
        return reached
    last = reached[-1]
    days = round((now - last.entered_at).total_seconds() / 86_400, 1)
    return [*reached[:-1], replace(last, days=days, current=last.stage != "closed")]


@app.command()
def delays(
    now: NowOption = None,
    ongoing: Annotated[bool, typer.Option(help="Only breaches still going on")] = False,
    case: Annotated[str | None, typer.Option(help="Time in each stage of this case")] = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Cases breaching service levels, with the reason and age, as at now or any date; per-area
    medians as at the same date."""
    one_format(as_json, as_csv)
    when = _instant(now, "--now")
    with _backbone() as bb:
        s = bb.settings
        levels = ServiceLevels(
            s.sla_victim_details_days, s.sla_victim_update_days, s.sla_prison_access_days
        )
        q = DelayQueries(bb.projections, levels, _clock(when))
        if case:
            stages = q.stage_times(case)
            if not stages:
                raise error(f"no case {case!r} in the delays view (a full case id)")
            stages = _stages_at(stages, when) if when else stages
            if as_json:
                emit_json([asdict(st) for st in stages])
            elif as_csv:
                emit_csv([asdict(st) for st in stages], ["stage", "entered_at", "days", "current"])
            else:
                t = Table("stage", "entered", "days", title=f"Case {case}", title_justify="left")
                for st in stages:
                    add_row(t, st.stage + (" (now)" if st.current else ""),
                            f"{st.entered_at:%Y-%m-%d}", f"{st.days:.1f}")  # fmt: skip
                console.print(t)
            return
        found = q.breaches()
        medians = q.area_medians()
    if when:
        found = [b for b in (_as_at(b, when) for b in found) if b is not None]
    if ongoing:
        found = [b for b in found if b.ongoing]
    breaches = [{**asdict(b), "ongoing": b.ongoing} for b in found]
    if as_json:
        emit_json({"as_at": when or datetime.now(UTC), "breaches": breaches,
                   "area_medians": [asdict(m) for m in medians]})  # fmt: skip
        return
    if as_csv:
        columns = ["case_id", "pcc_area", "kind", "reason", "started", "ended", "age_days"]
        emit_csv(breaches, [*columns, "ongoing"])
        return
    title = "Service-level breaches" + (f" as at {when:%Y-%m-%d %H:%M}" if when else "")
    t = Table(title=title, title_justify="left")
    id_column(t, "case")
    for header in ("area", "breach", "since", "until", "age (days)", "reason"):
        t.add_column(header)
    for b in found:
        until = "ongoing" if b.ended is None else f"{b.ended:%Y-%m-%d}"
        add_row(t, b.case_id, b.pcc_area, b.kind, f"{b.started:%Y-%m-%d}", until,
                f"{b.age_days:.0f}", b.reason)  # fmt: skip
    console.print(t)
    t = Table(
        "PCC area",
        "cases",
        "median referral→activity (days)",
        "median referral→closure (days)",
        title="Per area",
        title_justify="left",
    )
    for m in medians:
        add_row(t, m.pcc_area, str(m.cases), _num(m.referral_to_activity_days),
                _num(m.referral_to_closure_days))  # fmt: skip
    console.print(t)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@app.command()
def agreements(now: NowOption = None, as_json: AsJson = False, as_csv: AsCsv = False) -> None:
    """Information-sharing agreements by status, review alerts and permitted flows."""
    one_format(as_json, as_csv)
    clock = _clock(_instant(now, "--now"))
    with _backbone() as bb:
        q = AgreementQueries(bb.projections, clock)
        today = clock().date()
        rows = [{**asdict(a), "status": status_, "review_alert": a.review_alert(today)}
                for status_, group in q.by_status().items() for a in group]  # fmt: skip
        flows = [{"from": src, "to": dst, "data_categories": list(categories)}
                 for (src, dst), categories in q.permitted_flows().items()]  # fmt: skip
        withheld = q.withheld_shares()
    if as_json:
        emit_json({"agreements": rows, "permitted_flows": flows, "shares_withheld": withheld})
        return
    if as_csv:
        emit_csv(rows, ["status", "reference", "title", "lead", "effective_from", "review_due",
                        "review_alert"])  # fmt: skip
        return
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
    for r in rows:
        add_row(t, r["status"], r["reference"], r["title"], r["lead"], r["effective_from"],
                r["review_due"], r["review_alert"] or "")  # fmt: skip
    console.print(t)
    t = Table("from", "to", "data categories", title="Permitted flows (active agreements)",
              title_justify="left")  # fmt: skip
    for f in flows:
        add_row(t, f["from"], f["to"], ", ".join(f["data_categories"]))  # type: ignore[arg-type]
    console.print(t)
    if withheld is None:
        console.print("Shares withheld: not recorded yet (needs the Kafka sharing relay)")
    else:
        for agency, count in withheld.items():
            console.print(Text(f"Shares withheld from {agency}: {count}"))


def _measures(m: AreaPeriod) -> dict[str, object]:
    return {
        "pcc_area": m.pcc_area,
        "period": m.period,
        "referrals": {d: m.referrals(d) for d in ("route", "cjs_stage", "crime_type")},
        "activities_held": dict(m.counts["activity_held"]),
        "offers": dict(m.counts["offer"]),
        "take_up": m.take_up,
        "completion": m.completion,
        "empowered": m.empowered,
        "feedback_before": m.feedback("before"),
        "feedback_after": m.feedback("after"),
        "complaints": sum(m.counts["complaint"].values()),
        "sensitive_cases": {k: sorted(v) for k, v in sorted(m.sensitive_cases.items())},
    }


@app.command()
def performance(
    period: Annotated[str, typer.Option(help="year, quarter or month")] = "year",
    area: Annotated[str | None, typer.Option(help="One PCC area")] = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Referrals, offers, take-up, completion, empowerment, feedback, complaints per area."""
    one_format(as_json, as_csv)
    if period not in ("year", "quarter", "month"):
        raise error(f"--period is year, quarter or month, not {period!r}")
    if area is not None:
        area = _known_area(area)
    with _backbone() as bb:
        rows = PerformanceQueries(bb.projections).measures(period, area)  # type: ignore[arg-type]
    if as_json:
        emit_json([_measures(m) for m in rows])
        return
    if as_csv:
        emit_csv([_measures(m) for m in rows], list(_measures(AreaPeriod("", ""))))
        return
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
        add_row(
            t,
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
