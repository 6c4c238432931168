"""What a prison move does to the RJ cases of the offender who moved.

A departure from a prison where a case has arrangements (an activity scheduled there, a prison
access request pending or granted, a pre-visit done) records an *affected* row; the reception at
the other end completes it with where the offender went and whether that is outside the case's
PCC area. A release ends a case's wait for it.
"""

from __future__ import annotations

from domain.reference import load_reference_data
from projections.sql import ViewTx

DEPARTURES = ("TRANSFERRED", "RELEASED", "RELEASED_TO_HOSPITAL")
_MOVE_NAMES = {"TRANSFERRED": "transfer", "RELEASED_TO_HOSPITAL": "to hospital"}


def area_of_prison(code: str | None) -> str | None:
    prison = load_reference_data().prisons.get(code or "")
    return prison.pcc_area_code if prison else None


def record_departure(pn: str, at: str | None, reason: str, prison: str, tx: ViewTx) -> None:
    """Cases whose arrangements at ``prison`` the departure hits, and releases they waited for."""
    cases = tx.all(
        "SELECT case_id, pcc_area, venue_prison, access_prison, access_status, "
        "pre_visit_done, waiting_for_release_since FROM moves_case "
        "WHERE prison_number = ? AND is_open = 1 ORDER BY case_id",
        (pn,),
    )
    arrival = tx.scalar(
        "SELECT prison_id FROM moves_movement WHERE prison_number = ? AND kind = 'received' "
        "AND reason = 'TRANSFERRED' AND occurred_at >= ? AND prison_id <> ? "
        "ORDER BY occurred_at LIMIT 1",
        (pn, at, prison),
    )
    for case_id, area, venue, access, access_status, pre_visit, waiting in cases:
        affects = [
            f"{kind.replace('_', ' ')} {aid} on {when[:10]} at {prison}"
            for aid, kind, when in tx.all(
                "SELECT activity_id, activity_type, scheduled_for FROM moves_activity "
                "WHERE case_id = ? AND status = 'scheduled' AND prison_code = ? "
                "AND scheduled_for >= ? ORDER BY activity_id",
                (case_id, prison, at),
            )
        ]
        if access == prison and access_status in ("requested", "granted"):
            affects.append(f"prison access {access_status} at {prison}")
        if pre_visit and venue == prison:
            affects.append(f"pre-visit done for the venue at {prison}")
        if affects:
            move = _MOVE_NAMES.get(reason, "release")
            to = arrival if move == "transfer" else None
            tx.execute(
                "INSERT INTO moves_affected VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (case_id, pn, at, move, prison, to, out_of_area(to, area), "; ".join(affects)),
            )
        if reason == "RELEASED" and waiting is not None and waiting <= str(at):
            tx.execute(
                "INSERT INTO moves_release VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (case_id, pn, at, prison, waiting),
            )
            tx.execute(
                "UPDATE moves_case SET waiting_for_release_since = NULL WHERE case_id = ?",
                (case_id,),
            )


def complete_transfers(pn: str, at: str | None, prison: str, tx: ViewTx) -> None:
    """A reception completes the transfers that left earlier and had no destination yet."""
    for case_id, moved_at, from_prison, area in tx.all(
        "SELECT a.case_id, a.moved_at, a.from_prison, c.pcc_area FROM moves_affected a "
        "JOIN moves_case c ON c.case_id = a.case_id WHERE a.prison_number = ? "
        "AND a.move = 'transfer' AND a.to_prison IS NULL AND a.moved_at <= ? "
        "AND a.from_prison <> ?",
        (pn, at, prison),
    ):
        tx.execute(
            "UPDATE moves_affected SET to_prison = ?, out_of_area = ? WHERE case_id = ? "
            "AND prison_number = ? AND moved_at = ? AND from_prison = ?",
            (prison, out_of_area(prison, area), case_id, pn, moved_at, from_prison),
        )


def out_of_area(prison: str | None, case_area: str) -> int | None:
    if prison is None:
        return None
    area = area_of_prison(prison)
    return None if area is None else int(area != case_area)
