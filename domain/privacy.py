"""The audited record of personal-data erasures on a case (crypto-shredding leaves history intact).

Erasing destroys a person's key outside the domain; this aggregate is the immutable record that
it was done, by whom and why. It is keyed by the case, so a case's history shows its erasures.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import event

from domain.base import Aggregate, EventMeta

_NAMESPACE = UUID("6b1f3a52-7c0e-4d8e-9a55-2f1f5e0c9b11")


def erasures_id(case_id: UUID) -> UUID:
    return uuid5(_NAMESPACE, f"erasures/{case_id}")


class CaseErasures(Aggregate):
    class Opened(Aggregate.Created):
        case_id: UUID

    @staticmethod
    def create_id(case_id: UUID, *_: Any, **__: Any) -> UUID:
        return erasures_id(case_id)

    @event(Opened)
    def __init__(self, case_id: UUID, meta: EventMeta) -> None:
        self.case_id = case_id
        self.erased: list[str] = []

    def record_erasure(
        self, subject: str, participant_id: str | None, reason: str, meta: EventMeta
    ) -> None:
        """Idempotent per subject: a second erasure of the same person records nothing."""
        if subject not in self.erased:
            self._erased(subject=subject, participant_id=participant_id, reason=reason, meta=meta)

    @event("PersonalDataErased")
    def _erased(
        self, subject: str, participant_id: str | None, reason: str, meta: EventMeta
    ) -> None:
        self.erased.append(subject)
