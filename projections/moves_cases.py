"""The case events of the prison moves projection: what each case has arranged, and where.

Mixed into :class:`projections.moves.PrisonMoves`, which declares the tables: these handlers keep
``moves_case`` and ``moves_activity``, which a departure reads to know the arrangements it hits.
"""

from __future__ import annotations

from typing import Any

from domain.case.values import DelayReason, ParticipantRole
from projections.events import Case
from projections.framework import handles
from projections.moves_batch import batch_of
from projections.sql import ViewTx, iso


class CaseArrangements:
    """The handlers of case events: open cases, their offender, venue, access and activities."""

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
            batch_of(tx).cases[e.prison_number.upper()] = True
            self._set(tx, e, prison_number=e.prison_number.upper())

    @handles(Case.OffenderPrisonNumberChanged)
    def _repointed(self, e: Any, tx: ViewTx) -> None:
        batch_of(tx).cases[e.prison_number] = True
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
