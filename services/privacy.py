"""Erasure of a person's personal data by destroying their key; the erasure itself is an event.

The order matters: the :class:`~domain.privacy.CaseErasures` event is saved first (so no key is
ever destroyed without an audited record), then the key is overwritten with NULL. Running the
same erasure again is harmless. The stored events, and so the hash chains, never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from adapters.event_store import EventStore
from domain.base import EventMeta
from domain.case.aggregate import Case
from domain.errors import UnknownParticipant
from domain.privacy import CaseErasures, erasures_id


@dataclass(frozen=True)
class Erasure:
    subject: str
    case_id: UUID
    participant_id: str | None
    event_recorded: bool
    key_destroyed: bool


def parse_person(person: str) -> tuple[UUID, str | None]:
    """``CASE_ID/PARTICIPANT_ID`` for a participant, ``CASE_ID`` for the case-level text."""
    case, _, participant = person.partition("/")
    return UUID(case), participant or None


class PrivacyService:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def erase(self, person: str, reason: str, agency: str, user: str) -> Erasure:
        case_id, participant_id = parse_person(person)
        case: Case = self.store.repository.get(case_id)
        if participant_id is not None and participant_id not in case.participants:
            raise UnknownParticipant(f"no participant {participant_id!r} on case {case_id}")
        subject = f"{case_id}/{participant_id}" if participant_id else str(case_id)
        meta = EventMeta(
            agency=agency,
            user=user,
            occurred_at=datetime.now(UTC),
            command_id=f"erase:{subject}",
            correlation_id=f"erase:{subject}",
        )
        try:
            log: CaseErasures = self.store.repository.get(erasures_id(case_id))
        except AggregateNotFoundError:
            log = CaseErasures(case_id=case_id, meta=meta)
        log.record_erasure(subject=subject, participant_id=participant_id, reason=reason, meta=meta)
        recorded = bool(log.pending_events) and any(
            type(e).__name__ == "PersonalDataErased" for e in log.pending_events
        )
        self.store.save(log)
        destroyed = self.store.recorder.destroy_key(subject)  # type: ignore[attr-defined]
        if self.store.personal:
            self.store.personal.forget(subject)
        return Erasure(subject, case_id, participant_id, recorded, bool(destroyed))

    def erase_with_case_text(
        self, person: str, reason: str, agency: str, user: str
    ) -> list[Erasure]:
        """The person, then the case-level text (``CASE``: referral summary, outcome terms,
        closure detail, activity and prison reasons...), for a person named in that text too.
        A person's erasure alone leaves the case-level text, which is about everyone on the case."""
        done = self.erase(person, reason, agency, user)
        return [done, self.erase(str(done.case_id), reason, agency, user)]
