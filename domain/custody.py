"""Custody of one offender (keyed by prison number), fed by HMPPS prison movement events.

Movements can arrive twice, late or out of order; the aggregate keeps every distinct movement and
derives the current location from the latest by ``occurred_at``, so arrival order never matters.
A movement names a prison of the prison register (:data:`domain.agencies.PrisonCode`), so a forged
``../../etc``, ``LEI\\0`` or 10,000-character prison id is refused when the movement is made; a
prison records only its own movements (a transfer is a release by one and a reception by the next).

HMPPS merges two prisoner records (``prison-offender-events.prisoner.merged``): the kept number's
custody takes in the removed number's movements (:meth:`Custody.merge_in`, event
``PrisonerMerged``), and the removed number's custody says where it went
(:meth:`Custody.merge_into`, event ``MergedAway``). Both are idempotent: a repeated merge records
nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.agencies import NomsNumber, PrisonCode
from domain.agency_roles import AgencyRole, role_of
from domain.base import Aggregate, EventMeta, Immutable
from domain.errors import AgencyNotPermitted, PrisonerMergeRefused
from domain.text import FreeText, Identifier, Name

CUSTODY_NAMESPACE = uuid5(NAMESPACE_URL, "https://rj-backbone/custody")


class MovementKind(StrEnum):
    RECEIVED = "received"
    RELEASED = "released"


class CustodyStatus(StrEnum):
    IN_PRISON = "in_prison"
    IN_TRANSIT = "in_transit"
    AT_COURT = "at_court"
    TEMPORARY_ABSENCE = "temporary_absence"
    IN_HOSPITAL = "in_hospital"  # released to hospital: a restricted patient, still detained
    RELEASED = "released"
    UNKNOWN = "unknown"  # HMPPS could not tell why the prisoner left


# HMPPS reasons, as published (prison-offender-events.prisoner.received / .released).
RECEIVED_REASONS = (
    "ADMISSION",
    "TRANSFERRED",
    "RETURN_FROM_COURT",
    "TEMPORARY_ABSENCE_RETURN",
    "NEW_ADMISSION",
    "READMISSION",
    "READMISSION_SWITCH_BOOKING",
    "POST_MERGE_ADMISSION",
)
RELEASED_REASONS = (
    "RELEASED",
    "TRANSFERRED",
    "SENT_TO_COURT",
    "TEMPORARY_ABSENCE_RELEASE",
    "RELEASED_TO_HOSPITAL",
    "UNKNOWN",
)

STATUS_AFTER_RELEASE = {
    "TRANSFERRED": CustodyStatus.IN_TRANSIT,
    "SENT_TO_COURT": CustodyStatus.AT_COURT,
    "TEMPORARY_ABSENCE_RELEASE": CustodyStatus.TEMPORARY_ABSENCE,
    "RELEASED_TO_HOSPITAL": CustodyStatus.IN_HOSPITAL,
    "UNKNOWN": CustodyStatus.UNKNOWN,
}
NOT_HELD_IN_A_PRISON = (
    CustodyStatus.RELEASED,
    CustodyStatus.IN_TRANSIT,
    CustodyStatus.IN_HOSPITAL,
    CustodyStatus.UNKNOWN,
)


class Movement(Immutable):
    """One reception into or release from a prison, as the prison reported it.

    The identity is kind, reason, prison and time; the rest is what HMPPS published with it
    (absent on movements recorded before it was kept, and on hand-made ones).
    """

    kind: MovementKind
    reason: Identifier
    prison_id: PrisonCode
    occurred_at: datetime
    published_at: datetime | None = None
    description: Name | None = None
    detail_url: FreeText | None = None
    details: FreeText | None = None
    current_location: Identifier | None = None
    current_prison_status: Identifier | None = None
    nomis_movement_reason_code: Identifier | None = None

    @property
    def identity(self) -> tuple[str, str, str, datetime]:
        return (self.kind.value, self.reason, self.prison_id, self.occurred_at)

    @property
    def sort_key(self) -> tuple[datetime, int]:
        # At the same instant a release (from the old prison) precedes a reception (at the new).
        return (self.occurred_at, 0 if self.kind is MovementKind.RELEASED else 1)


class Transfer(Immutable):
    from_prison: str
    to_prison: str
    occurred_at: datetime


class Custody(Aggregate):
    @staticmethod
    def id_for(prison_number: str) -> UUID:
        return uuid5(CUSTODY_NAMESPACE, prison_number.upper())

    @staticmethod
    def create_id(prison_number: str, **_: object) -> UUID:
        return Custody.id_for(prison_number)

    @event("Opened")
    def __init__(self, prison_number: Identifier, meta: EventMeta) -> None:
        self.prison_number = prison_number.upper()
        self.movements: list[Movement] = []
        self.merged_from: set[str] = set()  # prison numbers merged into this one
        self.merged_into: str | None = None  # this number was removed by a merge into that one

    def record_movement(self, movement: Movement, meta: EventMeta) -> bool:
        """Record a movement unless it is a duplicate; returns whether anything was recorded."""
        self.check_a_prison_records_only_its_own_movements(movement, meta)
        if any(m.identity == movement.identity for m in self.movements):
            return False
        self._movement_recorded(movement=movement, meta=meta)
        return True

    @staticmethod
    def check_a_prison_records_only_its_own_movements(movement: Movement, meta: EventMeta) -> None:
        if (
            role_of(meta.agency) is AgencyRole.PRISON
            and meta.agency != f"prison:{movement.prison_id}"
        ):
            raise AgencyNotPermitted(
                f"{meta.agency} cannot record a movement at prison {movement.prison_id}"
            )

    @event("MovementRecorded")
    def _movement_recorded(self, movement: Movement, meta: EventMeta) -> None:
        self.movements.append(movement)
        self.movements.sort(key=lambda m: m.sort_key)

    # --- prisoner merges (HMPPS prison-offender-events.prisoner.merged) ----------------------
    def merge_in(
        self,
        removed_prison_number: NomsNumber,
        meta: EventMeta,
        movements: tuple[Movement, ...] = (),
    ) -> None:
        """The removed number's movements become this (kept) number's history; the backbone
        reads them from the removed number's custody (:mod:`services.prisoner_merge`)."""
        self.check_a_prisoner_merge_names_two_different_prison_numbers(removed_prison_number)
        known = {m.identity for m in self.movements}
        new = tuple(m for m in movements if m.identity not in known)
        if removed_prison_number.upper() in self.merged_from and not new:
            return
        self._prisoner_merged(
            removed_prison_number=removed_prison_number.upper(), movements=new, meta=meta
        )

    @event("PrisonerMerged")
    def _prisoner_merged(
        self, removed_prison_number: str, movements: tuple[Movement, ...], meta: EventMeta
    ) -> None:
        self.merged_from.add(removed_prison_number)
        self.movements.extend(movements)
        self.movements.sort(key=lambda m: m.sort_key)

    def merge_into(self, kept_prison_number: NomsNumber, meta: EventMeta) -> None:
        """This (removed) number now lives on as ``kept_prison_number``."""
        self.check_a_prisoner_merge_names_two_different_prison_numbers(kept_prison_number)
        if self.merged_into == kept_prison_number.upper():
            return
        self._merged_away(kept_prison_number=kept_prison_number.upper(), meta=meta)

    @event("MergedAway")
    def _merged_away(self, kept_prison_number: str, meta: EventMeta) -> None:
        self.merged_into = kept_prison_number

    def check_a_prisoner_merge_names_two_different_prison_numbers(self, other: str) -> None:
        if other.upper() == self.prison_number:
            raise PrisonerMergeRefused(f"{other} cannot be merged with itself")

    @property
    def latest(self) -> Movement | None:
        return self.movements[-1] if self.movements else None

    @property
    def status(self) -> CustodyStatus | None:
        latest = self.latest
        if latest is None:
            return None
        if latest.kind is MovementKind.RECEIVED:
            return CustodyStatus.IN_PRISON
        return STATUS_AFTER_RELEASE.get(latest.reason, CustodyStatus.RELEASED)

    @property
    def current_prison(self) -> str | None:
        """The prison holding the offender now (also while at court or on temporary absence)."""
        latest = self.latest
        if latest is None or self.status in NOT_HELD_IN_A_PRISON:
            return None
        return latest.prison_id

    def transfers(self) -> list[Transfer]:
        """Pairs each release TRANSFERRED with the next reception, in occurred order."""
        result: list[Transfer] = []
        leaving: Movement | None = None
        for m in self.movements:
            if m.kind is MovementKind.RELEASED and m.reason == "TRANSFERRED":
                leaving = m
            elif m.kind is MovementKind.RECEIVED and leaving is not None:
                if m.reason == "TRANSFERRED" and m.prison_id != leaving.prison_id:
                    result.append(
                        Transfer(
                            from_prison=leaving.prison_id,
                            to_prison=m.prison_id,
                            occurred_at=m.occurred_at,
                        )
                    )
                leaving = None
        return result
