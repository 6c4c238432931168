"""Service level breaches found in the delays projection's rows: which cases are late, and why.

Each kind of breach has its own finder; all of them read the rows of one transaction and measure
ongoing breaches against the same "now".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from projections.delay_results import DAY, Breach, ServiceLevels, days_between, instant
from projections.sql import ViewTx

Cases = dict[str, tuple[Any, ...]]  # case id -> its delay_case row (area, route, ..., prison no.)
_ACTIVITY_BREACHES = {
    "prisoner_moved": "activity_moved_by_prison_move",
    "consent_withdrawn": "activity_cancelled_by_withdrawal",
}


def find_breaches(tx: ViewTx, levels: ServiceLevels, now: datetime) -> list[Breach]:
    """Every breach, ended or ongoing at ``now``, in the order they started."""
    cases = {
        str(c): (str(a), str(route), rep, instant(ref), None if cl is None else instant(cl), pn)
        for c, a, route, rep, ref, cl, pn in tx.all("SELECT * FROM delay_case")
    }
    found = [
        *_late_details(tx, cases, now, levels.victim_details_days),
        *_victims_not_updated(tx, cases, now, levels.victim_update_days),
        *_prison_access(tx, cases, now, levels.prison_access_days),
        *_moves_and_waits(tx, cases, now),
    ]
    found.sort(key=lambda b: (b.started, b.case_id, b.kind))
    return found


def _breach(
    cases: Cases,
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
    age = days_between(started, ended or now)
    return Breach(case_id, cases[case_id][0], kind, reason, started, ended, age)


def _late_details(tx: ViewTx, cases: Cases, now: datetime, limit: int) -> list[Breach]:
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
        end = None if passed is None else instant(passed)
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
                    days_between(due, end or now),
                )
            )
    return out


def _victims_not_updated(tx: ViewTx, cases: Cases, now: datetime, limit: int) -> list[Breach]:
    contacts: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for c, p, at in tx.all("SELECT case_id, participant_id, at FROM delay_contact"):
        contacts[(str(c), str(p))].append(instant(at))
    out = []
    for c, p, added in tx.all(
        "SELECT case_id, participant_id, added_at FROM delay_victim WHERE status = 'active'"
    ):
        case_id = str(c)
        closed = cases[case_id][4]
        points = sorted([instant(added), *contacts[(case_id, str(p))]])
        points.append(closed or now)
        for start, end in pairwise(points):
            if end - start > limit * DAY:
                ongoing = end is now
                reason = (
                    f"victim {p} not updated for {days_between(start, end):.0f} days "
                    f"(service level {limit})"
                )
                out.append(
                    _breach(
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


def _prison_access(tx: ViewTx, cases: Cases, now: datetime, limit: int) -> list[Breach]:
    out = []
    for c, prison, asked, decided in tx.all("SELECT * FROM delay_access"):
        start, end = instant(asked), None if decided is None else instant(decided)
        if (end or now) - start > limit * DAY:
            reason = f"prison access at {prison} undecided for more than {limit} days"
            out.append(_breach(cases, str(c), "prison_access_pending", reason, start, end, now))
    return out


def _moves_and_waits(tx: ViewTx, cases: Cases, now: datetime) -> list[Breach]:
    held: dict[str, list[datetime]] = defaultdict(list)
    for c, at in tx.all("SELECT case_id, at FROM delay_event WHERE kind = 'activity_held'"):
        held[str(c)].append(instant(at))
    releases: dict[str, list[datetime]] = defaultdict(list)
    for pn, at in tx.all("SELECT prison_number, released_at FROM delay_release"):
        releases[str(pn)].append(instant(at))
    out: list[Breach] = []
    for c, kind, at, detail in tx.all(
        "SELECT case_id, kind, at, detail FROM delay_event WHERE kind IN "
        "('prisoner_moved', 'awaiting_release', 'consent_withdrawn') ORDER BY case_id, at"
    ):
        case_id, start, kind = str(c), instant(at), str(kind)
        if kind == "awaiting_release":
            if any(b.case_id == case_id and b.kind == "waiting_for_release" for b in out):
                continue
            pn = cases[case_id][5]
            end = min((r for r in releases.get(str(pn), []) if r > start), default=None)
            reason = f"waiting for the offender's release: {detail}"
            out.append(_breach(cases, case_id, "waiting_for_release", reason, start, end, now))
            continue
        name = _ACTIVITY_BREACHES[kind]
        if any(  # one move (or withdrawal) counts once until an activity is next held
            b.case_id == case_id and b.kind == name and (b.ended is None or b.ended > start)
            for b in out
        ):
            continue
        end = min((h for h in held[case_id] if h > start), default=None)
        reason = f"activity {'moved' if kind == 'prisoner_moved' else 'cancelled'}: {detail}"
        out.append(_breach(cases, case_id, name, reason, start, end, now))
    return out
