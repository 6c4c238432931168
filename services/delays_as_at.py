"""Delays "as at" a date: the breaches of service levels in a PCC hub's own area as they stood at
the end of that day (UTC). A breach that started later is left out; one that ended later was
still going on then, and its age is counted to that day. Ages of earlier breaches are as the
delays read model computes them with its clock at that instant."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from domain.agencies import areas_of
from domain.agency_roles import AgencyRole, role_of
from projections.delay_results import AreaMedians, Breach, ServiceLevels
from projections.queries import ReadModels
from projections.runner import ProjectionRunner
from services.identity import Forbidden, Identity

DAY = timedelta(days=1)


class BadDate(ValueError):
    pass


def parse_day(text: str | None, today: date) -> date:
    """``YYYY-MM-DD`` (blank: today); anything else is :class:`BadDate` with the reason."""
    if not text:
        return today
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        reason = f"'{text[:40]}' is not a date: give it as YYYY-MM-DD, e.g. 2025-03-31"
        raise BadDate(reason) from None


@dataclass(frozen=True)
class DelaysAsAt:
    pcc_area: str
    at: date
    breaches: list[Breach]
    medians: list[AreaMedians]

    def by_reason(self) -> list[tuple[str, str, int, int]]:
        """(kind, reason, breaches, of which ongoing) per kind and reason, most first."""
        counts: dict[tuple[str, str], list[int]] = {}
        for b in self.breaches:
            row = counts.setdefault((b.kind, b.reason), [0, 0])
            row[0] += 1
            row[1] += b.ongoing
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [(k, r, n, on) for (k, r), (n, on) in ranked]


def delays_as_at(
    runner: ProjectionRunner, levels: ServiceLevels, caller: Identity, at: date
) -> DelaysAsAt:
    if role_of(caller.agency) is not AgencyRole.PCC:
        raise Forbidden(f"delays are for PCC hubs (their own area); {caller.agency} is not one")
    (area,) = areas_of(caller.agency)
    instant = datetime.combine(at, time.min, tzinfo=UTC) + DAY  # the end of that day
    delays = ReadModels(runner, levels, clock=lambda: instant).delays
    breaches = []
    for b in delays.breaches():
        if b.pcc_area != area or b.started >= instant:
            continue
        if b.ended is not None and b.ended >= instant:
            age = round((instant - b.started) / DAY, 1)
            b = replace(b, ended=None, age_days=age)
        breaches.append(b)
    medians = [m for m in delays.area_medians() if m.pcc_area == area]
    return DelaysAsAt(area, at, breaches, medians)
