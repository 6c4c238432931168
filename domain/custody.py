"""Custody of one offender (keyed by prison number), fed by HMPPS prison movement events.

Movements can arrive twice, late or out of order; the aggregate keeps every distinct movement and
derives the current location from the latest by ``occurred_at``, so arrival order never matters.
A movement names a prison of the prison register (:data:`domain.agencies.PrisonCode`), so a forged
``../../etc``, ``LEI\\0`` or 10,000-character prison id is refused when the movement is made; a
prison records only its own movements (a transfer is a release by one and a reception by the next).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.agencies import PrisonCode
from domain.agency_roles import AgencyRole, role_of
from domain.base import Aggregate, EventMeta, Immutable
from domain.errors import AgencyNotPermitted
from domain.text import Identifier

CUSTODY_NAMESPACE = uuid5(NAMESPACE_URL, "https://rj-backbone/custody")


class MovementKind(StrEnum):
    RECEIVED = "received"
    RELEASED = "released"


class CustodyStatus(StrEnum):
    IN_PRISON = "in_prison"
    IN_TRANSIT = "in_transit"
    AT_COURT = "at_court"
    TEMPORARY_ABSENCE = "temporary_absence"
    RELEASED = "released"


_STATUS_AFTER_RELEASE = {
    "TRANSFERRED": CustodyStatus.IN_TRANSIT,
    "SENT_TO_COURT": CustodyStatus.AT_COURT,
    "TEMPORARY_ABSENCE_RELEASE": CustodyStatus.TEMPORARY_ABSENCE,
}


class Movement(Immutable):
    """One reception into or release from a prison, as the prison reported it."""

    kind: MovementKind
    reason: Identifier
    prison_id: PrisonCode
    occurred_at: datetime

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
        return _STATUS_AFTER_RELEASE.get(latest.reason, CustodyStatus.RELEASED)

    @property
    def current_prison(self) -> str | None:
        """The prison holding the offender now (also while at court or on temporary absence)."""
        latest = self.latest
        if latest is None or self.status in (CustodyStatus.RELEASED, CustodyStatus.IN_TRANSIT):
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
                    result.append(Transfer(
                        from_prison=leaving.prison_id, to_prison=m.prison_id,
                        occurred_at=m.occurred_at,
                    ))  # fmt: skip
                leaving = None
        return result
