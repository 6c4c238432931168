"""The offender's prison number on a case follows HMPPS when two prisoner records are merged.

HMPPS publishes ``prison-offender-events.prisoner.merged`` when NOMS merges two records: the
removed number is gone and the kept one stands for the person. A case naming the removed number
is re-pointed to the kept one (event ``OffenderPrisonNumberChanged``), by the backbone itself
applying HMPPS's merge: an identity fact, not case work, so it is recorded on any case, closed
ones included, whatever its area (it is outside the area rule). Repeating it records nothing.
Split from :mod:`domain.case.aggregate`; :class:`Case` inherits it.
"""

from __future__ import annotations

from typing import ClassVar

from eventsourcing.domain import event

from domain.agencies import NomsNumber
from domain.agency_roles import AgencyRole, role_of
from domain.base import EventMeta
from domain.case.activities import CaseActivities
from domain.errors import AdministratorRequired, InvalidTransition


class CaseOffenderIdentity(CaseActivities):
    beyond_the_area_rule: ClassVar[frozenset[str]] = frozenset({"OffenderPrisonNumberChanged"})

    def record_prisoner_merge(
        self, removed_prison_number: NomsNumber, prison_number: NomsNumber, meta: EventMeta
    ) -> None:
        self.check_only_the_backbone_applies_prisoner_merges(meta.agency)
        removed, kept = removed_prison_number.upper(), prison_number.upper()
        numbers = {
            p.participant_id: (p.prison_number or "").upper() for p in self.participants.values()
        }
        naming = [pid for pid, number in numbers.items() if number == removed]
        if not naming and kept in numbers.values():
            return  # already re-pointed
        if not naming:
            raise InvalidTransition(f"case {self.id} names no one with prison number {removed}")
        for pid in naming:
            self._offender_prison_number_changed(
                participant_id=pid, previous_prison_number=removed, prison_number=kept, meta=meta
            )

    @event("OffenderPrisonNumberChanged")
    def _offender_prison_number_changed(
        self, participant_id: str, previous_prison_number: str, prison_number: str, meta: EventMeta
    ) -> None:
        self.participants[participant_id].prison_number = prison_number

    @staticmethod
    def check_only_the_backbone_applies_prisoner_merges(agency: str) -> None:
        if role_of(agency) is not AgencyRole.ADMIN:
            raise AdministratorRequired(
                f"{agency} cannot re-point a prison number: the backbone applies HMPPS's "
                "prisoner merges (an administrator, admin:backbone)"
            )
