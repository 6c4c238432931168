"""Area performance per PCC area and period (year, quarter or month of when things happened)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal

from projections.runner import ProjectionRunner

Period = Literal["year", "quarter", "month"]


def period_of(day: str, period: Period) -> str:
    if period == "year":
        return day[:4]
    if period == "month":
        return day[:7]
    return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"


@dataclass
class AreaPeriod:
    pcc_area: str
    period: str
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    ratings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    sensitive_cases: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def referrals(self, dimension: str) -> dict[str, int]:
        """Referrals by ``route``, ``cjs_stage`` or ``crime_type``."""
        prefix = f"{dimension}:"
        return {
            k.removeprefix(prefix): n
            for k, n in sorted(self.counts["referral"].items())
            if k.startswith(prefix)
        }

    @property
    def take_up(self) -> float | None:
        offers = sum(self.counts["offer"].values())
        return round(sum(self.counts["take_up"].values()) / offers, 2) if offers else None

    @property
    def completion(self) -> float | None:
        closed = sum(self.counts["closed"].values())
        return round(self.counts["closed"]["completed"] / closed, 2) if closed else None

    @property
    def empowered(self) -> float | None:
        answers = sum(self.counts["empowered"].values())
        return round(self.counts["empowered"]["yes"] / answers, 2) if answers else None

    def feedback(self, stage: str) -> dict[str, float]:
        """Average rating (1-5) per element, ``before`` or ``after`` the activity."""
        prefix = f"feedback_{stage}:"
        return {
            k.removeprefix(prefix): round(sum(v) / len(v), 2)
            for k, v in sorted(self.ratings.items())
            if k.startswith(prefix)
        }


class PerformanceQueries:
    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner

    def measures(self, period: Period = "year", area: str | None = None) -> list[AreaPeriod]:
        self.runner.catch_up("performance")
        with self.runner.db.transaction(commit=False) as tx:
            rows = tx.all(
                "SELECT c.pcc_area, f.on_date, f.measure, f.fact_key, f.value, f.case_id "
                "FROM perf_fact f JOIN perf_case c ON c.case_id = f.case_id"
            )
        out: dict[tuple[str, str], AreaPeriod] = {}
        for a, day, measure, key, value, case_id in rows:
            if area is not None and a != area:
                continue
            label = period_of(str(day), period)
            ap = out.setdefault((str(a), label), AreaPeriod(str(a), label))
            if measure.__str__().startswith("feedback_"):
                ap.ratings[f"{measure}:{key}"].append(int(str(value)))
            elif measure == "sensitive":
                ap.sensitive_cases[str(key)].add(str(case_id))
            else:
                ap.counts[str(measure)][str(key)] += int(str(value))
        return [out[k] for k in sorted(out)]

    def cohorts(self, period: Period, area: str) -> list[Cohort]:
        """Take-up and completion by cohort (the period a case was referred in), for an area."""
        return cohorts(self.runner, period, area)


@dataclass(frozen=True)
class Cohort:
    """The cases of an area referred in one period, followed to now: how many were offered RJ
    (a victim told of it or reached), how many of those a victim consented to in writing, how
    many of those were closed as completed."""

    pcc_area: str
    period: str
    referred: int
    offered: int
    consented: int
    completed: int

    @property
    def take_up(self) -> float | None:
        return round(self.consented / self.offered, 2) if self.offered else None

    @property
    def completion(self) -> float | None:
        return round(self.completed / self.consented, 2) if self.consented else None


def cohorts(runner: ProjectionRunner, period: Period, area: str) -> list[Cohort]:
    """Take-up and completion by cohort (the period a case was referred in), for one area."""
    runner.catch_up("performance")
    with runner.db.transaction(commit=False) as tx:
        rows = tx.all(
            "SELECT f.case_id, "
            "MIN(CASE WHEN f.measure = 'referral' THEN f.on_date END), "
            "MAX(CASE WHEN f.measure = 'offer' THEN 1 ELSE 0 END), "
            "MAX(CASE WHEN f.measure = 'take_up' THEN 1 ELSE 0 END), "
            "MAX(CASE WHEN f.measure = 'closed' AND f.fact_key = 'completed' THEN 1 ELSE 0 END) "
            "FROM perf_fact f JOIN perf_case c ON c.case_id = f.case_id "
            "WHERE c.pcc_area = ? GROUP BY f.case_id",
            (area,),
        )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for _case, referred_on, offered, consented, completed in rows:
        if referred_on is None:
            continue
        c = counts[period_of(str(referred_on), period)]
        took = bool(offered) and bool(consented)
        c[0] += 1
        c[1] += bool(offered)
        c[2] += took
        c[3] += took and bool(completed)
    return [Cohort(area, label, *counts[label]) for label in sorted(counts)]
