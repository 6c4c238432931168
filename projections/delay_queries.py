"""Service levels against the delays projection: which cases are late, how long, and why.

Every breach is named with its reason, when it started, when it ended (None while it goes on)
and its age in days at "now", which comes from an injectable clock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from statistics import median

from projections.clock import Clock, system_clock
from projections.delays import STAGES
from projections.runner import ProjectionRunner
from projections.sql import ViewTx, parse_instant

DAY = timedelta(days=1)
_ACTIVITY_BREACHES = {
    "prisoner_moved": "activity_moved_by_prison_move",
    "consent_withdrawn": "activity_cancelled_by_withdrawal",
}


@dataclass(frozen=True)
class ServiceLevels:
    victim_details_days: int = 2  # Victims' Code: police pass details within 2 days
    victim_update_days: int = 28
    prison_access_days: int = 14


@dataclass(frozen=True)
class Breach:
    case_id: str
    pcc_area: str
    kind: str
    reason: str
    started: datetime
    ended: datetime | None
    age_days: float

    @property
    def ongoing(self) -> bool:
        return self.ended is None


@dataclass(frozen=True)
class StageTime:
    stage: str
    entered_at: datetime
    days: float
    current: bool


@dataclass(frozen=True)
class AreaMedians:
    pcc_area: str
    referral_to_activity_days: float | None
    referral_to_closure_days: float | None
    cases: int


def _days(start: datetime, end: datetime) -> float:
    return round((end - start) / DAY, 1)


def _at(text: object) -> datetime:
    return parse_instant(str(text))


class DelayQueries:
    def __init__(
        self,
        runner: ProjectionRunner,
        levels: ServiceLevels | None = None,
        clock: Clock = system_clock,
        *,
        catch_up: bool = True,
    ) -> None:
        self.runner, self.levels, self.clock = runner, levels or ServiceLevels(), clock
        self.catch_up = catch_up

    def _tx_rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self.runner.db.transaction(commit=False) as tx:
            return tx.all(sql, params)

    def _refresh(self) -> None:
        if self.catch_up:
            self.runner.catch_up("delays")
        else:
            self.runner.position("delays")

    # --- stages ---------------------------------------------------------------------------------
    def stage_times(self, case_id: str) -> list[StageTime]:
        """Time spent in each stage reached; the current stage runs to now (closed: stops)."""
        self._refresh()
        now = self.clock()
        rows = sorted(
            (STAGES.index(str(s)), _at(at), str(s))
            for s, at in self._tx_rows(
                "SELECT stage, entered_at FROM delay_stage WHERE case_id = ?", (case_id,)
            )
        )
        rows.sort(key=lambda r: (r[1], r[0]))
        out = []
        for i, (_, entered, stage) in enumerate(rows):
            last = i == len(rows) - 1
            end = entered if stage == "closed" else (now if last else rows[i + 1][1])
            out.append(StageTime(stage, entered, _days(entered, end), last and stage != "closed"))
        return out

    # --- breaches -------------------------------------------------------------------------------
    def breaches(self, *, ongoing_only: bool = False) -> list[Breach]:
        self._refresh()
        now = self.clock()
        with self.runner.db.transaction(commit=False) as tx:
            cases = {
                str(c): (str(a), str(route), rep, _at(ref), None if cl is None else _at(cl), pn)
                for c, a, route, rep, ref, cl, pn in tx.all("SELECT * FROM delay_case")
            }
            found = [
                *self._late_details(tx, cases, now),
                *self._victims_not_updated(tx, cases, now),
                *self._prison_access(tx, cases, now),
                *self._moves_and_waits(tx, cases, now),
            ]
        found.sort(key=lambda b: (b.started, b.case_id, b.kind))
        return [b for b in found if b.ongoing] if ongoing_only else found

    def _breach(
        self,
        cases: dict[str, tuple],  # type: ignore[type-arg]
        case_id: str,
        kind: str,
        reason: str,
        started: datetime,
        ended: datetime | None,
        now: datetime,
    ) -> Breach:
        closed = cases[case_id][4]
        if ended is None and closed is not None:
            ended = closed
        return Breach(
            case_id, cases[case_id][0], kind, reason, started, ended, _days(started, ended or now)
        )

    def _late_details(self, tx: ViewTx, cases: dict[str, tuple], now: datetime) -> list[Breach]:  # type: ignore[type-arg]
        limit = self.levels.victim_details_days
        out = []
        for case_id, pid, passed in tx.all(
            "SELECT case_id, participant_id, details_passed_at FROM delay_victim"
        ):
            area, route, reported, _, closed, _ = cases[str(case_id)]
            if reported is None or (passed is None and (route != "police" or closed)):
                continue
            due = (
                datetime.combine(
                    date.fromisoformat(str(reported)), datetime.min.time(), tzinfo=now.tzinfo
                )
                + limit * DAY
            )
            end = None if passed is None else _at(passed)
            if (end or now) > due + DAY:  # the whole of the due day is allowed
                reason = (
                    f"victim {pid}'s details passed to the hub "
                    f"{'late' if end else 'not yet'}: the Victims' Code allows {limit} days "
                    f"from the crime report ({reported})"
                )
                out.append(
                    Breach(
                        str(case_id),
                        area,
                        "victim_details_late",
                        reason,
                        due,
                        end,
                        _days(due, end or now),
                    )
                )
        return out

    def _victims_not_updated(
        self,
        tx: ViewTx,
        cases: dict[str, tuple],  # type: ignore[type-arg]
        now: datetime,
    ) -> list[Breach]:
        limit = self.levels.victim_update_days
        contacts: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        for c, p, at in tx.all("SELECT case_id, participant_id, at FROM delay_contact"):
            contacts[(str(c), str(p))].append(_at(at))
        out = []
        for c, p, added in tx.all(
            "SELECT case_id, participant_id, added_at FROM delay_victim WHERE status = 'active'"
        ):
            case_id = str(c)
            closed = cases[case_id][4]
            points = sorted([_at(added), *contacts[(case_id, str(p))]])
            points.append(closed or now)
            for start, end in pairwise(points):
                if end - start > limit * DAY:
                    ongoing = end is now
                    reason = (
                        f"victim {p} not updated for {_days(start, end):.0f} days "
                        f"(service level {limit})"
                    )
                    out.append(
                        self._breach(
                            cases,
                            case_id,
                            "victim_not_updated",
                            reason,
                            start,
                            None if ongoing else end,
                            now,
                        )
                    )
        return out

    def _prison_access(self, tx: ViewTx, cases: dict[str, tuple], now: datetime) -> list[Breach]:  # type: ignore[type-arg]
        limit = self.levels.prison_access_days
        out = []
        for c, prison, asked, decided in tx.all("SELECT * FROM delay_access"):
            start, end = _at(asked), None if decided is None else _at(decided)
            if (end or now) - start > limit * DAY:
                reason = f"prison access at {prison} undecided for more than {limit} days"
                out.append(
                    self._breach(cases, str(c), "prison_access_pending", reason, start, end, now)
                )
        return out

    def _moves_and_waits(self, tx: ViewTx, cases: dict[str, tuple], now: datetime) -> list[Breach]:  # type: ignore[type-arg]
        held: dict[str, list[datetime]] = defaultdict(list)
        for c, at in tx.all("SELECT case_id, at FROM delay_event WHERE kind = 'activity_held'"):
            held[str(c)].append(_at(at))
        releases: dict[str, list[datetime]] = defaultdict(list)
        for pn, at in tx.all("SELECT prison_number, released_at FROM delay_release"):
            releases[str(pn)].append(_at(at))
        out: list[Breach] = []
        for c, kind, at, detail in tx.all(
            "SELECT case_id, kind, at, detail FROM delay_event WHERE kind IN "
            "('prisoner_moved', 'awaiting_release', 'consent_withdrawn') ORDER BY case_id, at"
        ):
            case_id, start, kind = str(c), _at(at), str(kind)
            if kind == "awaiting_release":
                if any(b.case_id == case_id and b.kind == "waiting_for_release" for b in out):
                    continue
                pn = cases[case_id][5]
                end = min((r for r in releases.get(str(pn), []) if r > start), default=None)
                reason = f"waiting for the offender's release: {detail}"
                out.append(
                    self._breach(cases, case_id, "waiting_for_release", reason, start, end, now)
                )
                continue
            name = _ACTIVITY_BREACHES[kind]
            if any(  # one move (or withdrawal) counts once until an activity is next held
                b.case_id == case_id and b.kind == name and (b.ended is None or b.ended > start)
                for b in out
            ):
                continue
            end = min((h for h in held[case_id] if h > start), default=None)
            reason = f"activity {'moved' if kind == 'prisoner_moved' else 'cancelled'}: {detail}"
            out.append(self._breach(cases, case_id, name, reason, start, end, now))
        return out

    # --- per area -------------------------------------------------------------------------------
    def area_medians(self) -> list[AreaMedians]:
        """Median days from referral to the first activity held, and to closure, per area, as at
        the clock's now (cases referred by then; activities held and closures by then)."""
        self._refresh()
        now = self.clock()
        rows = self._tx_rows(
            "SELECT c.pcc_area, c.referred_at, h.entered_at, k.entered_at FROM delay_case c "
            "LEFT JOIN delay_stage h ON h.case_id = c.case_id AND h.stage = 'activity_held' "
            "LEFT JOIN delay_stage k ON k.case_id = c.case_id AND k.stage = 'closed'"
        )
        by_area: dict[str, list[tuple[datetime, object, object]]] = defaultdict(list)
        for area, referred, held, closed in rows:
            if _at(referred) > now:
                continue
            held = held if held is not None and _at(held) <= now else None
            closed = closed if closed is not None and _at(closed) <= now else None
            by_area[str(area)].append((_at(referred), held, closed))

        def med(values: list[float]) -> float | None:
            return round(median(values), 1) if values else None

        return [
            AreaMedians(
                area,
                med([_days(r, _at(h)) for r, h, _ in items if h is not None]),
                med([_days(r, _at(k)) for r, _, k in items if k is not None]),
                len(items),
            )
            for area, items in sorted(by_area.items())
        ]
