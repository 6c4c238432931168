"""RJ activities of a case: scheduled, rescheduled, held or cancelled, and their outcome.

Split from :mod:`domain.case.aggregate` to keep modules readable; :class:`Case` inherits these.
Events declared here were declared on ``Case`` before the split; their old stored topics
(``domain.case.aggregate:Case.ActivityHeld``) still resolve, to ``Case``'s copy of the class.

Consent and assessment hold until the activity: holding it, or recording its outcome, checks
again the consent and assessment of every participant in it. A participant who withdraws (or
declines) cancels the scheduled activities they are in, with the reason code
``consent_withdrawn``: the activity as arranged cannot happen without them, and a new one is
scheduled if they re-engage and consent again.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import event

from domain.base import EventMeta
from domain.case.participation import VICTIM
from domain.case.preparation import CasePreparation
from domain.case.state import Activity
from domain.case.values import ActivityStatus, ActivityType, DelayReason
from domain.errors import DuplicateEntity, InvalidTransition
from domain.personal import PersonalText
from domain.text import FreeText, FreeTexts, Identifier, Identifiers


class CaseActivities(CasePreparation):
    """Commands about activities. State is created in ``Case.__init__``."""

    def schedule_activity(
        self,
        activity_id: Identifier,
        participant_ids: Identifiers,
        scheduled_for: datetime,
        meta: EventMeta,
    ) -> None:
        self.check_case_is_open()
        if activity_id in self.activities:
            raise DuplicateEntity(f"activity {activity_id!r} already exists")
        for pid in participant_ids:
            self.check_participant_on_case(pid)
        if not any(self.participants[p].role is VICTIM for p in participant_ids):
            raise InvalidTransition("an RJ activity involves at least one victim")
        self.check_responsibility_accepted_before_activity()
        self.check_written_consent_before_activity(participant_ids)
        self.check_assessment_completed_before_activity(participant_ids)
        if self.activity_type is None:
            raise InvalidTransition("choose the activity type before scheduling")
        self.check_prison_access_granted_for_prison_venue(self.activity_type)
        self._activity_scheduled(
            activity_id=activity_id,
            activity_type=self.activity_type,
            participant_ids=participant_ids,
            scheduled_for=scheduled_for,
            prison_code=self.venue.prison_code if self.venue else None,
            meta=meta,
        )

    @event("ActivityScheduled")
    def _activity_scheduled(
        self,
        activity_id: str,
        activity_type: ActivityType,
        participant_ids: tuple[str, ...],
        scheduled_for: datetime,
        prison_code: str | None,
        meta: EventMeta,
    ) -> None:
        self.activities[activity_id] = Activity(
            activity_id, activity_type, tuple(participant_ids), scheduled_for
        )

    def reschedule_activity(
        self,
        activity_id: Identifier,
        scheduled_for: datetime,
        reason_code: DelayReason,
        reason: FreeText,
        meta: EventMeta,
    ) -> None:
        self.check_case_is_open()
        self.check_activity_is_scheduled(activity_id)
        self.check_reason_given(reason, "rescheduling an activity")
        self._activity_rescheduled(
            activity_id=activity_id,
            scheduled_for=scheduled_for,
            reason_code=reason_code,
            reason=reason,
            meta=meta,
        )

    @event("ActivityRescheduled")
    def _activity_rescheduled(
        self,
        activity_id: str,
        scheduled_for: datetime,
        reason_code: DelayReason,
        reason: PersonalText,
        meta: EventMeta,
    ) -> None:
        activity = self.activities[activity_id]
        activity.reschedules.append((activity.scheduled_for, reason_code, reason))
        activity.scheduled_for = scheduled_for

    def record_activity_held(self, activity_id: Identifier, meta: EventMeta) -> None:
        self.check_case_is_open()
        activity = self.check_activity_is_scheduled(activity_id)
        if activity.activity_type is not self.activity_type:
            raise InvalidTransition(
                f"the activity type changed to {self.activity_type}: reschedule or cancel "
                f"the {activity.activity_type.value} first"
            )
        self.check_consent_and_assessment_hold_until_the_activity(activity)
        self._activity_held(activity_id=activity_id, meta=meta)

    @event("ActivityHeld")
    def _activity_held(self, activity_id: str, meta: EventMeta) -> None:
        self.activities[activity_id].status = ActivityStatus.HELD

    def cancel_activity(
        self, activity_id: Identifier, reason_code: DelayReason, reason: FreeText, meta: EventMeta
    ) -> None:
        self.check_case_is_open()
        self.check_activity_is_scheduled(activity_id)
        self.check_reason_given(reason, "cancelling an activity")
        self._activity_cancelled(
            activity_id=activity_id, reason_code=reason_code, reason=reason, meta=meta
        )

    @event("ActivityCancelled")
    def _activity_cancelled(
        self, activity_id: str, reason_code: DelayReason, reason: PersonalText, meta: EventMeta
    ) -> None:
        self.activities[activity_id].status = ActivityStatus.CANCELLED

    # --- a withdrawal cancels the activities it affects ---------------------------------------
    def withdraw(self, participant_id: Identifier, reason: FreeText, meta: EventMeta) -> None:
        super().withdraw(participant_id, reason, meta)
        self._cancel_activities_of(participant_id, "withdrew their consent", meta)

    def decline(self, participant_id: Identifier, reason: FreeText, meta: EventMeta) -> None:
        super().decline(participant_id, reason, meta)
        self._cancel_activities_of(participant_id, "declined", meta)

    def _cancel_activities_of(self, participant_id: str, what: str, meta: EventMeta) -> None:
        for activity in self.scheduled_activities_of(participant_id):
            self._activity_cancelled(
                activity_id=activity.activity_id,
                reason_code=DelayReason.CONSENT_WITHDRAWN,
                reason=f"{participant_id} {what}: the {activity.activity_type.value} of "
                f"{activity.scheduled_for:%Y-%m-%d} cannot go ahead without them",
                meta=meta,
            )

    def scheduled_activities_of(self, participant_id: str) -> list[Activity]:
        return [
            a
            for a in self.activities.values()
            if a.status is ActivityStatus.SCHEDULED and participant_id in a.participant_ids
        ]

    # --- after the activity -------------------------------------------------------------------
    def record_outcome_agreement(self, terms: FreeTexts, meta: EventMeta) -> None:
        self.check_case_is_open()
        held = [a for a in self.activities.values() if a.status is ActivityStatus.HELD]
        if not held:
            raise InvalidTransition("an outcome agreement follows an activity that was held")
        latest = max(held, key=lambda a: a.scheduled_for)
        self.check_consent_and_assessment_hold_until_the_activity(latest, "given an outcome")
        self._outcome_agreed(terms=terms, meta=meta)

    @event("OutcomeAgreed")
    def _outcome_agreed(self, terms: tuple[PersonalText, ...], meta: EventMeta) -> None:
        self.outcome_terms = tuple(terms)

    def record_follow_up(
        self, participant_id: Identifier, notes: FreeText, meta: EventMeta
    ) -> None:
        self.check_case_is_open()
        self.check_participant_on_case(participant_id)
        self._followed_up(participant_id=participant_id, notes=notes, meta=meta)

    @event("FollowUpRecorded")
    def _followed_up(self, participant_id: str, notes: PersonalText, meta: EventMeta) -> None:
        self.follow_ups += 1
