"""``rjb performance``: referrals, offers, take-up, completion, empowerment, feedback and
complaints per PCC area and period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import typer
from rich.table import Table

from projections.performance_queries import AreaPeriod, PerformanceQueries
from services.cli.output import (
    AsCsv,
    AsJson,
    add_row,
    emit_csv,
    emit_json,
    error,
    make_console,
    one_format,
)
from services.cli.query_args import backbone, known_area

performance_cli = typer.Typer()
console = make_console()
HEADERS = (
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
)


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


@performance_cli.command()
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
        area = known_area(area)
    with backbone() as bb:
        rows = PerformanceQueries(bb.projections).measures(period, area)  # type: ignore[arg-type]
    if as_json:
        emit_json([_measures(m) for m in rows])
        return
    if as_csv:
        emit_csv([_measures(m) for m in rows], list(_measures(AreaPeriod("", ""))))
        return
    t = Table(*HEADERS, title="Area performance", title_justify="left")
    for m in rows:
        sensitive = m.sensitive_cases
        add_row(
            t,
            m.pcc_area,
            m.period,
            *(_kv(m.referrals(d)) for d in ("route", "cjs_stage", "crime_type")),
            _kv(m.counts["activity_held"]),
            _kv(m.counts["offer"]),
            *(_pct(rate) for rate in (m.take_up, m.completion, m.empowered)),
            _kv(m.feedback("before")),
            _kv(m.feedback("after")),
            str(sum(m.counts["complaint"].values())),
            f"{len(sensitive['enhanced_assessment'])} / {len(sensitive['closed_not_suitable'])}",
        )
    console.print(t)


def _kv(values: Mapping[str, float]) -> str:
    return "\n".join(f"{k} {v:g}" for k, v in sorted(values.items())) or "-"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
