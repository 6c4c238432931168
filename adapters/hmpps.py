"""Prison movement messages in the HMPPS domain-event shape, turned into backbone commands.

Accepts ``prison-offender-events.prisoner.received`` / ``.released`` with ``nomsNumber``,
``prisonId`` and ``reason`` in ``additionalInformation`` (the prison number may instead come in
``personReference.identifiers`` as type NOMS).
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.custody import Movement, MovementKind

RECEIVED = "prison-offender-events.prisoner.received"
RELEASED = "prison-offender-events.prisoner.released"


class _Lenient(BaseModel):
    """HMPPS adds fields over time; unknown ones are tolerated, known ones validated."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class Identifier(_Lenient):
    type: str
    value: str


class PersonReference(_Lenient):
    identifiers: list[Identifier] = Field(default_factory=list)


class MovementInformation(_Lenient):
    nomsNumber: str | None = None
    prisonId: str = Field(min_length=2)
    reason: str = Field(min_length=1)


class PrisonMovementMessage(_Lenient):
    eventType: Literal[
        "prison-offender-events.prisoner.received", "prison-offender-events.prisoner.released"
    ]
    version: int | str = 1
    occurredAt: AwareDatetime
    description: str | None = None
    personReference: PersonReference = Field(default_factory=PersonReference)
    additionalInformation: MovementInformation

    @property
    def prison_number(self) -> str:
        noms = self.additionalInformation.nomsNumber
        if noms:
            return noms.upper()
        for ident in self.personReference.identifiers:
            if ident.type == "NOMS":
                return ident.value.upper()
        raise ValueError("movement message carries no NOMS number")

    def movement(self) -> Movement:
        return Movement(
            kind=MovementKind.RECEIVED if self.eventType == RECEIVED else MovementKind.RELEASED,
            reason=self.additionalInformation.reason,
            prison_id=self.additionalInformation.prisonId.upper(),
            occurred_at=self.occurredAt,
        )

    def to_command(self, agency: str | None = None) -> dict[str, Any]:
        """A ``record_movement`` command; its id is derived from the movement's content so that
        every copy of one movement is one command."""
        m = self.movement()
        digest = hashlib.sha256(
            f"{self.prison_number}|{m.kind}|{m.reason}|{m.prison_id}|{m.occurred_at.isoformat()}".encode()
        ).hexdigest()[:32]
        return {
            "type": "record_movement",
            "command_id": f"hmpps-{digest}",
            "agency": agency or f"prison:{m.prison_id}",
            "user": "hmpps-prison-events",
            "occurred_at": self.occurredAt,
            "prison_number": self.prison_number,
            "movement": m,
        }
