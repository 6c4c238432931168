"""Area performance: the measures the report says PCCs do not collect consistently.

Each event becomes dated *facts* (measure, key, value) of its case's PCC area; queries group
them by area and period, so a new period size or grouping needs no rebuild.
"""

from __future__ import annotations

from typing import Any

from domain.case.values import AssessmentLevel, ClosureReason, FeedbackStage, ParticipantRole
from projections.events import Case
from projections.framework import Projection, handles
from projections.sql import ViewTx


class AreaPerformance(Projection):
    name = "performance"
    version = 2  # 2: a complaint counts as "received", its free-text subject is not copied
    tables = {
        "perf_case": "case_id TEXT PRIMARY KEY, pcc_area TEXT NOT NULL, cjs_stage TEXT NOT NULL, "
        "sensitive INTEGER NOT NULL",
        "perf_victim": "case_id TEXT NOT NULL, participant_id TEXT NOT NULL, "
        "offered INTEGER NOT NULL, consented INTEGER NOT NULL, "
        "PRIMARY KEY (case_id, participant_id)",
        "perf_activity": "case_id TEXT NOT NULL, activity_id TEXT NOT NULL, "
        "activity_type TEXT NOT NULL, PRIMARY KEY (case_id, activity_id)",
        "perf_fact": "case_id TEXT NOT NULL, version BIGINT NOT NULL, on_date TEXT NOT NULL, "
        "measure TEXT NOT NULL, fact_key TEXT NOT NULL, value BIGINT NOT NULL, "
        "PRIMARY KEY (case_id, version, measure, fact_key)",
    }

    @staticmethod
    def _fact(tx: ViewTx, e: Any, measure: str, key: str, value: int = 1) -> None:
        tx.execute(
            "INSERT INTO perf_fact VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                str(e.originator_id),
                e.originator_version,
                e.meta.occurred_at.date().isoformat(),
                measure,
                key,
                value,
            ),
        )

    @handles(Case.Referred)
    def _referred(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "INSERT INTO perf_case VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (str(e.originator_id), e.pcc_area, e.cjs_stage.value, int(e.crime_type.is_sensitive)),
        )
        for dimension, value in (
            ("route", e.route),
            ("cjs_stage", e.cjs_stage),
            ("crime_type", e.crime_type),
        ):
            self._fact(tx, e, "referral", f"{dimension}:{value.value}")

    @handles(Case.ParticipantAdded)
    def _participant(self, e: Any, tx: ViewTx) -> None:
        if e.role is ParticipantRole.VICTIM:
            tx.execute(
                "INSERT INTO perf_victim VALUES (?, ?, 0, 0) ON CONFLICT DO NOTHING",
                (str(e.originator_id), e.participant_id),
            )

    @handles(Case.VictimInformed, Case.ContactAttempted, Case.WrittenConsentRecorded)
    def _offer_or_take_up(self, e: Any, tx: ViewTx) -> None:
        if type(e).__name__ == "ContactAttempted" and not e.reached:
            return
        column = "consented" if type(e).__name__ == "WrittenConsentRecorded" else "offered"
        key = (str(e.originator_id), e.participant_id)
        first = tx.one(
            f"UPDATE perf_victim SET {column} = 1 WHERE case_id = ? AND participant_id = ? "
            f"AND {column} = 0 RETURNING participant_id",
            key,
        )
        if first:
            stage = tx.scalar("SELECT cjs_stage FROM perf_case WHERE case_id = ?", key[:1])
            self._fact(tx, e, "offer" if column == "offered" else "take_up", str(stage))

    @handles(Case.ActivityScheduled)
    def _scheduled(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "INSERT INTO perf_activity VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (str(e.originator_id), e.activity_id, e.activity_type.value),
        )

    @handles(Case.ActivityHeld)
    def _held(self, e: Any, tx: ViewTx) -> None:
        kind = tx.scalar(
            "SELECT activity_type FROM perf_activity WHERE case_id = ? AND activity_id = ?",
            (str(e.originator_id), e.activity_id),
        )
        self._fact(tx, e, "activity_held", str(kind))

    @handles(Case.CaseClosed)
    def _closed(self, e: Any, tx: ViewTx) -> None:
        self._fact(tx, e, "closed", e.reason.value)
        if e.reason is ClosureReason.NOT_SUITABLE and self._sensitive(tx, e):
            self._fact(tx, e, "sensitive", "closed_not_suitable")

    @handles(Case.AssessmentCompleted)
    def _assessed(self, e: Any, tx: ViewTx) -> None:
        if e.level is AssessmentLevel.ENHANCED and self._sensitive(tx, e):
            self._fact(tx, e, "sensitive", "enhanced_assessment")

    @handles(Case.FeedbackRecorded)
    def _feedback(self, e: Any, tx: ViewTx) -> None:
        if e.felt_empowered is not None and e.stage is FeedbackStage.AFTER:
            self._fact(tx, e, "empowered", "yes" if e.felt_empowered else "no")
        for element, rating in e.ratings.items():
            self._fact(tx, e, f"feedback_{e.stage.value}", element.value, rating)

    @handles(Case.ComplaintReceived)
    def _complaint(self, e: Any, tx: ViewTx) -> None:
        self._fact(tx, e, "complaint", "received")  # not its subject: free text, personal

    @staticmethod
    def _sensitive(tx: ViewTx, e: Any) -> bool:
        found = tx.scalar(
            "SELECT sensitive FROM perf_case WHERE case_id = ?", (str(e.originator_id),)
        )
        return bool(found)
