"""Delays: the dated facts about each case that service levels are measured against.

The projection only records when things happened (stages reached, victim contacts, details
passed, prison access asked and decided, activities moved by a prison move, waits for release,
releases); :mod:`projections.service_levels` turns them into named breaches against a
configurable "now", so changing a service level never needs a rebuild. It copies no free text
(reasons are personal data, sealed per person): a delay is recorded by its reason code and the
activity or victim it is about.
"""

from __future__ import annotations

from typing import Any

from domain.case.values import DelayReason, ParticipantRole
from domain.custody import MovementKind
from projections.events import Case, Custody
from projections.framework import Projection, handles
from projections.sql import ViewTx, iso

STAGES = (
    "referred",
    "victim_contacted",
    "consented",
    "assessed",
    "prepared",
    "scheduled",
    "activity_held",
    "closed",
)
_STAGE_OF = {
    "VictimInformed": "victim_contacted",
    "VictimDetailsPassed": "victim_contacted",
    "WrittenConsentRecorded": "consented",
    "AssessmentCompleted": "assessed",
    "FacilitatorsAssigned": "prepared",
    "ActivityTypeChosen": "prepared",
    "ActivityScheduled": "scheduled",
    "ActivityHeld": "activity_held",
    "CaseClosed": "closed",
}
# Activity changes that start a delay; a victim update only records that the victim was told
# (and, with awaiting_release, that the case now waits for the release).
_ACTIVITY_DELAYS = (
    DelayReason.PRISONER_MOVED,
    DelayReason.AWAITING_RELEASE,
    DelayReason.CONSENT_WITHDRAWN,
)
_VICTIM_CONTACTS = (
    "VictimInformed",
    "VictimUpdated",
    "WrittenConsentRecorded",
    "PreVisitHeld",
    "FollowUpRecorded",
    "FeedbackRecorded",
)


class Delays(Projection):
    name = "delays"
    version = 3  # 2: victim updates are not moved activities; consent_withdrawn cancellations;
    # prisoner merges (releases merged in, cases re-pointed). 3: reason codes, not reason texts
    tables = {
        "delay_case": "case_id TEXT PRIMARY KEY, pcc_area TEXT NOT NULL, route TEXT NOT NULL, "
        "crime_reported_on TEXT, referred_at TEXT NOT NULL, closed_at TEXT, prison_number TEXT",
        "delay_stage": "case_id TEXT NOT NULL, stage TEXT NOT NULL, entered_at TEXT NOT NULL, "
        "PRIMARY KEY (case_id, stage)",
        "delay_victim": "case_id TEXT NOT NULL, participant_id TEXT NOT NULL, "
        "added_at TEXT NOT NULL, status TEXT NOT NULL, details_passed_at TEXT, "
        "PRIMARY KEY (case_id, participant_id)",
        "delay_contact": "case_id TEXT NOT NULL, participant_id TEXT NOT NULL, at TEXT NOT NULL, "
        "PRIMARY KEY (case_id, participant_id, at)",
        "delay_access": "case_id TEXT NOT NULL, prison_code TEXT NOT NULL, "
        "requested_at TEXT NOT NULL, decided_at TEXT, PRIMARY KEY (case_id, requested_at)",
        "delay_event": "case_id TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, "
        "detail TEXT NOT NULL, PRIMARY KEY (case_id, kind, at)",
        "delay_custody": "custody_id TEXT PRIMARY KEY, prison_number TEXT NOT NULL",
        "delay_release": "prison_number TEXT NOT NULL, released_at TEXT NOT NULL, "
        "prison_id TEXT NOT NULL, PRIMARY KEY (prison_number, released_at)",
    }

    @handles(Case.Referred)
    def _referred(self, e: Any, tx: ViewTx) -> None:
        at = iso(e.meta.occurred_at)
        tx.execute(
            "INSERT INTO delay_case (case_id, pcc_area, route, crime_reported_on, referred_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (str(e.originator_id), e.pcc_area, e.route.value, iso(e.crime_reported_on), at),
        )
        self._stage(tx, e, "referred")

    @handles(Case.ParticipantAdded)
    def _participant(self, e: Any, tx: ViewTx) -> None:
        if e.role is ParticipantRole.VICTIM:
            tx.execute(
                "INSERT INTO delay_victim VALUES (?, ?, ?, 'active', NULL) ON CONFLICT DO NOTHING",
                (str(e.originator_id), e.participant_id, iso(e.meta.occurred_at)),
            )
        elif e.role is ParticipantRole.OFFENDER and e.prison_number:
            tx.execute(
                "UPDATE delay_case SET prison_number = ? WHERE case_id = ?",
                (e.prison_number.upper(), str(e.originator_id)),
            )

    @handles(
        Case.VictimInformed,
        Case.VictimDetailsPassed,
        Case.VictimUpdated,
        Case.WrittenConsentRecorded,
        Case.AssessmentCompleted,
        Case.FacilitatorsAssigned,
        Case.ActivityTypeChosen,
        Case.ActivityScheduled,
        Case.PreVisitHeld,
        Case.FollowUpRecorded,
        Case.FeedbackRecorded,
        Case.ContactAttempted,
    )
    def _progress(self, e: Any, tx: ViewTx) -> None:
        kind = type(e).__name__
        case_id, at = str(e.originator_id), iso(e.meta.occurred_at)
        if kind in _STAGE_OF:
            self._stage(tx, e, _STAGE_OF[kind])
        reached = kind == "ContactAttempted" and e.reached
        if kind in _VICTIM_CONTACTS or reached:
            tx.execute(
                "INSERT INTO delay_contact SELECT case_id, participant_id, ? FROM delay_victim "
                "WHERE case_id = ? AND participant_id = ? ON CONFLICT DO NOTHING",
                (at, case_id, e.participant_id),
            )
            if reached:
                self._stage(tx, e, "victim_contacted", only_victim=e.participant_id)
        if kind == "VictimDetailsPassed":
            tx.execute(
                "UPDATE delay_victim SET details_passed_at = ? WHERE case_id = ? "
                "AND participant_id = ? AND details_passed_at IS NULL",
                (at, case_id, e.participant_id),
            )
        if kind == "ContactAttempted" and not e.reached:
            self._victim_status(tx, e, "uncontactable", only_if="active")
        if kind == "VictimUpdated":  # an update, never a moved activity: waits only
            self._reason(tx, e, DelayReason.AWAITING_RELEASE)

    @handles(Case.ParticipantDeclined, Case.ParticipantWithdrew, Case.ParticipantReEngaged)
    def _victim_status_changed(self, e: Any, tx: ViewTx) -> None:
        status = {"ParticipantDeclined": "declined", "ParticipantWithdrew": "withdrawn"}
        self._victim_status(tx, e, status.get(type(e).__name__, "active"))

    @handles(Case.PrisonAccessRequested, Case.PrisonAccessGranted, Case.PrisonAccessRefused)
    def _access(self, e: Any, tx: ViewTx) -> None:
        case_id, at = str(e.originator_id), iso(e.meta.occurred_at)
        if type(e).__name__ == "PrisonAccessRequested":
            tx.execute(
                "INSERT INTO delay_access VALUES (?, ?, ?, NULL) ON CONFLICT DO NOTHING",
                (case_id, e.prison_code, at),
            )
        else:
            tx.execute(
                "UPDATE delay_access SET decided_at = ? WHERE case_id = ? AND decided_at IS NULL",
                (at, case_id),
            )

    @handles(Case.ActivityRescheduled, Case.ActivityCancelled, Case.ActivityHeld)
    def _activity(self, e: Any, tx: ViewTx) -> None:
        if type(e).__name__ == "ActivityHeld":
            self._stage(tx, e, "activity_held")
            self._event(tx, e, "activity_held", e.activity_id)
            tx.execute(
                "INSERT INTO delay_contact SELECT case_id, participant_id, ? FROM delay_victim "
                "WHERE case_id = ? ON CONFLICT DO NOTHING",
                (iso(e.meta.occurred_at), str(e.originator_id)),
            )
        else:
            self._reason(tx, e, *_ACTIVITY_DELAYS)

    @handles(Case.CaseClosed)
    def _closed(self, e: Any, tx: ViewTx) -> None:
        self._stage(tx, e, "closed")
        tx.execute(
            "UPDATE delay_case SET closed_at = ? WHERE case_id = ?",
            (iso(e.meta.occurred_at), str(e.originator_id)),
        )

    @handles(Custody.Opened)
    def _custody(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "INSERT INTO delay_custody VALUES (?, ?) ON CONFLICT DO NOTHING",
            (str(e.originator_id), e.prison_number.upper()),
        )

    @handles(Custody.MovementRecorded, Custody.PrisonerMerged)
    def _movement(self, e: Any, tx: ViewTx) -> None:
        for m in e.movements if type(e).__name__ == "PrisonerMerged" else [e.movement]:
            if m.kind is MovementKind.RELEASED and m.reason == "RELEASED":
                tx.execute(
                    "INSERT INTO delay_release SELECT prison_number, ?, ? FROM delay_custody "
                    "WHERE custody_id = ? ON CONFLICT DO NOTHING",
                    (iso(m.occurred_at), m.prison_id, str(e.originator_id)),
                )

    @handles(Case.OffenderPrisonNumberChanged)
    def _repointed(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "UPDATE delay_case SET prison_number = ? WHERE case_id = ? AND prison_number = ?",
            (e.prison_number, str(e.originator_id), e.previous_prison_number),
        )

    # --- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _stage(tx: ViewTx, e: Any, stage: str, only_victim: str | None = None) -> None:
        if only_victim is not None and not tx.one(
            "SELECT 1 FROM delay_victim WHERE case_id = ? AND participant_id = ?",
            (str(e.originator_id), only_victim),
        ):
            return
        tx.execute(
            "INSERT INTO delay_stage VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (str(e.originator_id), stage, iso(e.meta.occurred_at)),
        )

    @staticmethod
    def _event(tx: ViewTx, e: Any, kind: str, detail: str) -> None:
        tx.execute(
            "INSERT INTO delay_event VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (str(e.originator_id), kind, iso(e.meta.occurred_at), detail),
        )

    def _reason(self, tx: ViewTx, e: Any, *counted: DelayReason) -> None:
        """The delay's code and what it is about; never its free-text reason (personal data)."""
        if e.reason_code in counted:
            what = getattr(e, "activity_id", None)
            about = f"activity {what}" if what else f"update to victim {e.participant_id}"
            self._event(tx, e, e.reason_code.value, f"{e.reason_code.value}, {about}")

    @staticmethod
    def _victim_status(tx: ViewTx, e: Any, status: str, only_if: str | None = None) -> None:
        tx.execute(
            "UPDATE delay_victim SET status = ? WHERE case_id = ? AND participant_id = ?"
            + (" AND status = ?" if only_if else ""),
            (status, str(e.originator_id), e.participant_id, *([only_if] if only_if else [])),
        )
