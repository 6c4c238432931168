"""The register, prison liaison, delays and performance pages: thin routes over
:mod:`services.entitled_reads`, :mod:`services.prison_liaison` and :mod:`services.delays_as_at`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from projections.performance_queries import Period
from services.delays_as_at import BadDate, delays_as_at, parse_day
from services.prison_liaison import Status, liaison_view
from services.web.reads import call, entitled, levels
from services.web.render import page
from services.web.session import Refused, Viewer

router = APIRouter(prefix="/web", include_in_schema=False)
PERIODS: tuple[Period, ...] = ("year", "quarter", "month")


@router.get("/agreements")
async def agreements(request: Request, me: Viewer) -> Response:
    found = await call(request, lambda b: entitled(b, me).agreements())
    return page(request, "agreements.html", **found)


@router.get("/prison")
async def prison(
    request: Request, me: Viewer, status: Annotated[str, Query(max_length=10)] = "all"
) -> Response:
    if status not in ("all", "open", "closed"):
        raise Refused(400, "The case status filter must be all, open or closed")
    chosen: Status = status  # type: ignore[assignment]
    why = "prison liaison: RJ cases of the prison's prisoners"
    view = await call(request, lambda b: liaison_view(b, entitled(b, me), me, chosen, why))
    return page(request, "prison.html", view=view)


@router.get("/delays")
async def delays(
    request: Request, me: Viewer, at: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    try:
        day = parse_day(at, datetime.now(UTC).date())
    except BadDate as error:
        return page(request, "delays.html", status=400, error=str(error), at=at, found=None)

    def read(backbone: Any) -> Any:
        found = delays_as_at(backbone.projections, levels(backbone), me, day)
        why = f"victim hub: delays in the area's RJ cases as at {day}"
        backbone.audit(me.reader).log_read("web:delays", f"area {found.pcc_area}", f"why: {why}")
        return found

    found = await call(request, read)
    return page(request, "delays.html", error=None, at=day.isoformat(), found=found)


def _period(text: str) -> Period:
    for period in PERIODS:
        if text == period:
            return period
    raise Refused(400, "The period must be year, quarter or month")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _rows(measures: list[dict[str, Any]]) -> list[dict[str, str]]:
    def listed(counts: dict[str, Any]) -> str:
        return "; ".join(f"{k}: {v}" for k, v in counts.items()) or "-"

    return [
        {
            "period": m["period"],
            "referrals": str(sum(m["referrals_by_route"].values())),
            "by route": listed(m["referrals_by_route"]),
            "by crime type": listed(m["referrals_by_crime_type"]),
            "take-up": _percent(m["take_up"]),
            "completion": _percent(m["completion"]),
            "felt empowered": _percent(m["felt_empowered"]),
            "feedback before": listed(m["feedback_before"]),
            "feedback after": listed(m["feedback_after"]),
        }
        for m in measures
    ]


@router.get("/performance")
async def performance(request: Request, me: Viewer, period: str = "quarter") -> Response:
    chosen = _period(period)

    def read(backbone: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        reads = entitled(backbone, me)
        return reads.performance(chosen), reads.performance_cohorts(chosen)

    found, cohorts = await call(request, read)
    rows = _rows(found["measures"])
    return page(
        request,
        "performance.html",
        area=found["pcc_area"],
        period=chosen,
        periods=PERIODS,
        rows=rows,
        cohorts=_cohort_rows(cohorts["cohorts"]),
    )


@router.get("/performance.csv")
async def performance_csv(request: Request, me: Viewer, period: str = "quarter") -> Response:
    chosen = _period(period)
    found = await call(request, lambda b: entitled(b, me).performance(chosen))
    rows = _rows(found["measures"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["pcc_area", *(rows[0] if rows else ["period"])])
    for row in rows:  # a leading = + - @ would be a formula in a spreadsheet
        writer.writerow([found["pcc_area"], *(_cell(v) for v in row.values())])
    name = f"performance-{found['pcc_area']}-{chosen}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/performance-cohorts.csv")
async def cohorts_csv(request: Request, me: Viewer, period: str = "quarter") -> Response:
    chosen = _period(period)
    found = await call(request, lambda b: entitled(b, me).performance_cohorts(chosen))
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["period", "referred", "offered", "consented", "completed", "take_up", "completion"]
    writer.writerow(["pcc_area", *columns])
    for c in found["cohorts"]:
        writer.writerow([found["pcc_area"], *("" if c[k] is None else c[k] for k in columns)])
    name = f"performance-cohorts-{found['pcc_area']}-{chosen}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cohort_rows(cohorts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each cohort with its two rates as text and as a bar length (0-100) for the chart."""
    return [
        {
            **c,
            "take_up_text": _percent(c["take_up"]),
            "completion_text": _percent(c["completion"]),
            "take_up_bar": round((c["take_up"] or 0) * 100),
            "completion_bar": round((c["completion"] or 0) * 100),
        }
        for c in cohorts
    ]


def _cell(value: str) -> str:
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") and value != "-" else value
