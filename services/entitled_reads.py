"""The read models an agency may read, cut to what it is entitled to (HTTP now, web pages later).

| read model | who | what |
|---|---|---|
| agreements register | any agency | every agreement's status and review dates (no personal data); permitted flows the agency is in |
| moves | a prison; a PCC hub | the prison: RJ cases, open or closed, whose offender is held there, moved in or out of it, or with a venue or access request there (open), those moves, releases from it; the hub: its area's cases, their moves and releases |
| delays | a PCC hub | breaches of service levels in its own area, and the area's medians |
| performance | a PCC hub | its own area's measures per year, quarter or month |

Anything else is :class:`~services.identity.Forbidden` with the reason.
"""  # noqa: E501

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from domain.agencies import areas_of
from domain.agency_roles import AgencyRole, role_of
from projections.performance_queries import AreaPeriod, Period
from projections.queries import ReadModels
from services.identity import Forbidden, Identity


def _pcc_area(caller: Identity, what: str) -> str:
    if role_of(caller.agency) is not AgencyRole.PCC:
        raise Forbidden(f"{what} is for PCC hubs (their own area); {caller.agency} is not one")
    (area,) = areas_of(caller.agency)
    return area


class EntitledReads:
    def __init__(self, models: ReadModels, caller: Identity) -> None:
        self.models, self.caller = models, caller

    def agreements(self) -> dict[str, Any]:
        today = self.models.clock().date()
        me = self.caller.agency
        register = [
            {**asdict(a), "review_alert": a.review_alert(today)}
            for a in self.models.agreements.all()
        ]
        flows = [
            {"from_agency": src, "to_agency": dst, "categories": categories}
            for (src, dst), categories in self.models.agreements.permitted_flows().items()
            if me in (src, dst)
        ]
        return {"agreements": register, "my_permitted_flows": flows}

    def moves(self) -> tuple[str, dict[str, Any]]:
        """(the subject for the read log, the moves the caller may see)."""
        moves = self.models.moves
        kind = role_of(self.caller.agency)
        if kind is AgencyRole.PRISON:
            code = self.caller.agency.partition(":")[2]
            affected = [a for a in moves.affected() if code in (a.from_prison, a.to_prison)]
            mine = {c.case_id for c in moves.prison_cases(code)} | {a.case_id for a in affected}
            cases = [
                c
                for c in moves.case_locations(open_only=False)
                if c.current_prison == code or c.case_id in mine
            ]
            releases = [r for r in moves.releases() if r.prison_id == code]
            subject = f"prison {code}"
        elif kind is AgencyRole.PCC:
            area = _pcc_area(self.caller, "moves")
            cases = [c for c in moves.case_locations(open_only=False) if c.pcc_area == area]
            ids = {c.case_id for c in cases}
            affected = [a for a in moves.affected() if a.case_id in ids]
            releases = [r for r in moves.releases() if r.case_id in ids]
            subject = f"area {area}"
        else:
            raise Forbidden(
                f"moves are for prisons (their own prison) and PCC hubs (their own area); "
                f"{self.caller.agency} is neither"
            )
        return subject, {
            "cases": [{**asdict(c), "in_area": c.in_area} for c in cases],
            "moves": [asdict(a) for a in affected],
            "releases": [asdict(r) for r in releases],
        }

    def delays(self, ongoing_only: bool = False) -> tuple[str, dict[str, Any]]:
        area = _pcc_area(self.caller, "delays")
        delays = self.models.delays
        breaches = [
            {**asdict(b), "ongoing": b.ongoing}
            for b in delays.breaches(ongoing_only=ongoing_only)
            if b.pcc_area == area
        ]
        medians = [asdict(m) for m in delays.area_medians() if m.pcc_area == area]
        return f"area {area}", {"pcc_area": area, "breaches": breaches, "medians": medians}

    def performance(self, period: Period = "year") -> dict[str, Any]:
        area = _pcc_area(self.caller, "performance")
        measures = self.models.performance.measures(period, area)
        return {"pcc_area": area, "period": period, "measures": [_measures(m) for m in measures]}

    def performance_cohorts(self, period: Period = "quarter") -> dict[str, Any]:
        """Take-up and completion by cohort: the cases referred in each period, followed to now."""
        area = _pcc_area(self.caller, "performance")
        found = self.models.performance.cohorts(period, area)
        return {
            "pcc_area": area,
            "period": period,
            "cohorts": [
                {**asdict(c), "take_up": c.take_up, "completion": c.completion} for c in found
            ],
        }


def _measures(m: AreaPeriod) -> dict[str, Any]:
    return {
        "period": m.period,
        "referrals_by_route": m.referrals("route"),
        "referrals_by_cjs_stage": m.referrals("cjs_stage"),
        "referrals_by_crime_type": m.referrals("crime_type"),
        "take_up": m.take_up,
        "completion": m.completion,
        "felt_empowered": m.empowered,
        "feedback_before": m.feedback("before"),
        "feedback_after": m.feedback("after"),
    }
