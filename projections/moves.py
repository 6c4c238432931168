"""Prison moves: where each offender is, and which RJ cases a move knocks over.

Custody events (keyed by prison number) and case events (whose offender carries the prison
number) meet here. A departure from a prison where a case has arrangements (an activity
scheduled there, a prison access request pending or granted, a pre-visit done) records an
*affected* row naming the case, the move and what it hits; the reception at the other end says
where the offender went and whether that is outside the case's PCC area. A release flags the
cases that were waiting for it.
"""

from __future__ import annotations

from typing import Any

from domain.case.values import DelayReason, ParticipantRole
from domain.custody import MovementKind
from domain.reference import load_reference_data
from projections.events import Case, Custody
from projections.framework import Projection, handles
from projections.moves_batch import MovesBatch
from projections.sql import ViewTx, iso

DEPARTURES = ("TRANSFERRED", "RELEASED", "RELEASED_TO_HOSPITAL")
_MOVE_NAMES = {"TRANSFERRED": "transfer", "RELEASED_TO_HOSPITAL": "to hospital"}


def _batch(tx: ViewTx) -> MovesBatch:
    batch: MovesBatch = tx.state.setdefault("moves", MovesBatch())
    return batch


def area_of_prison(code: str | None) -> str | None:
    prison = load_reference_data().prisons.get(code or "")
    return prison.pcc_area_code if prison else None


class PrisonMoves(Projection):
    name = "moves"
    tables = {
        "moves_movement": "prison_number TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        "kind TEXT NOT NULL, reason TEXT NOT NULL, prison_id TEXT NOT NULL, "
        "PRIMARY KEY (prison_number, occurred_at, kind, reason, prison_id)",
        "moves_custody": "custody_id TEXT PRIMARY KEY, prison_number TEXT NOT NULL UNIQUE, "
        "status TEXT, current_prison TEXT, last_prison TEXT, moved_at TEXT, last_kind TEXT",
        "moves_case": "case_id TEXT PRIMARY KEY, pcc_area TEXT NOT NULL, is_open INTEGER NOT NULL, "
        "prison_number TEXT, venue_prison TEXT, access_prison TEXT, access_status TEXT, "
        "pre_visit_done INTEGER NOT NULL, waiting_for_release_since TEXT",
        "moves_activity": "case_id TEXT NOT NULL, activity_id TEXT NOT NULL, "
        "activity_type TEXT NOT NULL, scheduled_for TEXT NOT NULL, prison_code TEXT, "
        "status TEXT NOT NULL, PRIMARY KEY (case_id, activity_id)",
        "moves_affected": "case_id TEXT NOT NULL, prison_number TEXT NOT NULL, "
        "moved_at TEXT NOT NULL, move TEXT NOT NULL, from_prison TEXT NOT NULL, to_prison TEXT, "
        "out_of_area INTEGER, affects TEXT NOT NULL, "
        "PRIMARY KEY (case_id, prison_number, moved_at, from_prison)",
        "moves_release": "case_id TEXT NOT NULL, prison_number TEXT NOT NULL, "
        "released_at TEXT NOT NULL, prison_id TEXT NOT NULL, waiting_since TEXT NOT NULL, "
        "PRIMARY KEY (case_id, released_at)",
    }
    version = 3  # 2: custody keeps the kind of its latest movement; affected by prison number
    # 3: prisoner merges (history under the kept number, cases re-pointed), hospital departures
    indexes = (
        "CREATE INDEX IF NOT EXISTS moves_case_pn ON moves_case (prison_number)",
        "CREATE INDEX IF NOT EXISTS moves_affected_pn ON moves_affected (prison_number)",
    )

    # --- custody ------------------------------------------------------------------------------
    @handles(Custody.Opened)
    def _opened(self, e: Any, tx: ViewTx) -> None:
        pn = e.prison_number.upper()
        batch = _batch(tx)
        batch.write_custody(pn, tx)  # forget what this batch knew: the row may now exist
        batch.prison_numbers.pop(str(e.originator_id), None)
        tx.execute(
            "INSERT INTO moves_custody (custody_id, prison_number) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            (str(e.originator_id), pn),
        )

    @handles(Custody.MovementRecorded)
    def _moved(self, e: Any, tx: ViewTx) -> None:
        m = e.movement
        batch = _batch(tx)
        pn = batch.prison_number(str(e.originator_id), tx)
        at = iso(m.occurred_at)
        tx.execute(
            "INSERT INTO moves_movement VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (pn, at, m.kind.value, m.reason, m.prison_id),
        )
        batch.moved(pn, m.kind.value, m.reason, m.prison_id, str(at), tx)
        if not batch.has_cases(pn, tx):
            return
        if m.kind is MovementKind.RELEASED and m.reason in DEPARTURES:
            self._departure(pn, at, m.reason, m.prison_id, tx)
        if m.kind is MovementKind.RECEIVED and m.reason == "TRANSFERRED":
            self._arrival(pn, at, m.prison_id, tx)

    @handles(Custody.PrisonerMerged)
    def _merged(self, e: Any, tx: ViewTx) -> None:
        """The removed number's history joins the kept one's: past moves, not new ones, so
        they hit no arrangements."""
        batch = _batch(tx)
        pn = batch.prison_number(str(e.originator_id), tx)
        for m in e.movements:
            at = iso(m.occurred_at)
            tx.execute(
                "INSERT INTO moves_movement VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (pn, at, m.kind.value, m.reason, m.prison_id),
            )
            batch.moved(pn, m.kind.value, m.reason, m.prison_id, str(at), tx)

    @handles(Custody.MergedAway)
    def _merged_away(self, e: Any, tx: ViewTx) -> None:
        batch = _batch(tx)
        pn = batch.prison_number(str(e.originator_id), tx)
        batch.write_custody(pn, tx)
        tx.execute(
            "UPDATE moves_custody SET status = ?, current_prison = NULL WHERE prison_number = ?",
            (f"merged into {e.kept_prison_number}", pn),
        )

    def finish(self, tx: ViewTx) -> None:
        _batch(tx).write_all(tx)

    def _departure(self, pn: str, at: str | None, reason: str, prison: str, tx: ViewTx) -> None:
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
                    "INSERT INTO moves_affected VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (case_id, pn, at, move, prison, to, _out_of_area(to, area), "; ".join(affects)),
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

    @staticmethod
    def _arrival(pn: str, at: str | None, prison: str, tx: ViewTx) -> None:
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
                (prison, _out_of_area(prison, area), case_id, pn, moved_at, from_prison),
            )

    # --- cases --------------------------------------------------------------------------------
    @handles(Case.Referred)
    def _referred(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "INSERT INTO moves_case (case_id, pcc_area, is_open, pre_visit_done) "
            "VALUES (?, ?, 1, 0) ON CONFLICT DO NOTHING",
            (str(e.originator_id), e.pcc_area),
        )

    @handles(Case.ParticipantAdded)
    def _participant(self, e: Any, tx: ViewTx) -> None:
        if e.role is ParticipantRole.OFFENDER and e.prison_number:
            _batch(tx).cases[e.prison_number.upper()] = True
            self._set(tx, e, prison_number=e.prison_number.upper())

    @handles(Case.OffenderPrisonNumberChanged)
    def _repointed(self, e: Any, tx: ViewTx) -> None:
        _batch(tx).cases[e.prison_number] = True
        tx.execute(
            "UPDATE moves_case SET prison_number = ? WHERE case_id = ? AND prison_number = ?",
            (e.prison_number, str(e.originator_id), e.previous_prison_number),
        )

    @handles(Case.VenueSet)
    def _venue(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "UPDATE moves_case SET access_prison = NULL, access_status = NULL "
            "WHERE case_id = ? AND access_prison IS NOT NULL AND access_prison <> ?",
            (str(e.originator_id), e.prison_code or ""),
        )
        self._set(tx, e, venue_prison=e.prison_code)

    @handles(Case.PrisonAccessRequested, Case.PrisonAccessGranted, Case.PrisonAccessRefused)
    def _access(self, e: Any, tx: ViewTx) -> None:
        status = type(e).__name__.removeprefix("PrisonAccess").lower()
        self._set(tx, e, access_prison=e.prison_code, access_status=status)

    @handles(Case.PreVisitHeld)
    def _pre_visit(self, e: Any, tx: ViewTx) -> None:
        self._set(tx, e, pre_visit_done=1)

    @handles(Case.ActivityScheduled)
    def _scheduled(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "INSERT INTO moves_activity VALUES (?, ?, ?, ?, ?, 'scheduled') ON CONFLICT DO NOTHING",
            (
                str(e.originator_id),
                e.activity_id,
                e.activity_type.value,
                iso(e.scheduled_for),
                e.prison_code,
            ),
        )

    @handles(Case.ActivityRescheduled, Case.ActivityHeld, Case.ActivityCancelled)
    def _activity_changed(self, e: Any, tx: ViewTx) -> None:
        key = (str(e.originator_id), e.activity_id)
        if type(e).__name__ == "ActivityRescheduled":
            tx.execute(
                "UPDATE moves_activity SET scheduled_for = ? WHERE case_id = ? AND activity_id = ?",
                (iso(e.scheduled_for), *key),
            )
        else:
            status = "held" if type(e).__name__ == "ActivityHeld" else "cancelled"
            tx.execute(
                "UPDATE moves_activity SET status = ? WHERE case_id = ? AND activity_id = ?",
                (status, *key),
            )
        self._maybe_waiting(e, tx)

    @handles(Case.VictimUpdated)
    def _maybe_waiting(self, e: Any, tx: ViewTx) -> None:
        if getattr(e, "reason_code", None) is DelayReason.AWAITING_RELEASE:
            tx.execute(
                "UPDATE moves_case SET waiting_for_release_since = ? WHERE case_id = ? "
                "AND waiting_for_release_since IS NULL",
                (iso(e.meta.occurred_at), str(e.originator_id)),
            )

    @handles(Case.CaseClosed)
    def _closed(self, e: Any, tx: ViewTx) -> None:
        self._set(tx, e, is_open=0)

    @staticmethod
    def _set(tx: ViewTx, e: Any, **values: Any) -> None:
        columns = ", ".join(f"{c} = ?" for c in values)
        tx.execute(
            f"UPDATE moves_case SET {columns} WHERE case_id = ?",
            (*values.values(), str(e.originator_id)),
        )


def _out_of_area(prison: str | None, case_area: str) -> int | None:
    if prison is None:
        return None
    area = area_of_prison(prison)
    return None if area is None else int(area != case_area)
