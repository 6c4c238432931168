"""``rjb delays``: cases breaching service levels with the reason and age, and per-area medians,
as at now or any date; or the time one case spent in each stage (``--case``)."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from projections.delay_queries import DelayQueries
from projections.delay_results import AreaMedians, Breach, ServiceLevels, StageTime
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
from services.cli.query_args import NowOption, backbone, clock, instant

delays_cli = typer.Typer()
console = make_console()
BREACH_COLUMNS = ["case_id", "pcc_area", "kind", "reason", "started", "ended", "age_days"]


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


@delays_cli.command()
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
    when = instant(now, "--now")
    with backbone() as bb:
        s = bb.settings
        levels = ServiceLevels(
            s.sla_victim_details_days, s.sla_victim_update_days, s.sla_prison_access_days
        )
        q = DelayQueries(bb.projections, levels, clock(when))
        if case:
            stages = q.stage_times(case)
            if not stages:
                raise error(f"no case {case!r} in the delays view (a full case id)")
            _stages(case, _stages_at(stages, when) if when else stages, as_json, as_csv)
            return
        found = q.breaches()
        medians = q.area_medians()
    if when:
        found = [b for b in (_as_at(b, when) for b in found) if b is not None]
    if ongoing:
        found = [b for b in found if b.ongoing]
    breaches = [{**asdict(b), "ongoing": b.ongoing} for b in found]
    if as_json:
        medians_rows = [asdict(m) for m in medians]
        emit_json(
            {"as_at": when or datetime.now(UTC), "breaches": breaches, "area_medians": medians_rows}
        )
    elif as_csv:
        emit_csv(breaches, [*BREACH_COLUMNS, "ongoing"])
    else:
        _tables(when, found, medians)


def _stages(case: str, stages: list[StageTime], as_json: bool, as_csv: bool) -> None:
    if as_json:
        emit_json([asdict(st) for st in stages])
    elif as_csv:
        emit_csv([asdict(st) for st in stages], ["stage", "entered_at", "days", "current"])
    else:
        t = Table("stage", "entered", "days", title=f"Case {case}", title_justify="left")
        for st in stages:
            stage = st.stage + (" (now)" if st.current else "")
            add_row(t, stage, f"{st.entered_at:%Y-%m-%d}", f"{st.days:.1f}")
        console.print(t)


def _tables(when: datetime | None, found: list[Breach], medians: list[AreaMedians]) -> None:
    title = "Service-level breaches" + (f" as at {when:%Y-%m-%d %H:%M}" if when else "")
    t = Table(title=title, title_justify="left")
    id_column(t, "case")
    for header in ("area", "breach", "since", "until", "age (days)", "reason"):
        t.add_column(header)
    for b in found:
        until = "ongoing" if b.ended is None else f"{b.ended:%Y-%m-%d}"
        since, age = f"{b.started:%Y-%m-%d}", f"{b.age_days:.0f}"
        add_row(t, b.case_id, b.pcc_area, b.kind, since, until, age, b.reason)
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
        activity, closure = _num(m.referral_to_activity_days), _num(m.referral_to_closure_days)
        add_row(t, m.pcc_area, str(m.cases), activity, closure)
    console.print(t)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
