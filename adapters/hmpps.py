"""HMPPS domain events as published, turned into backbone commands.

Accepted (from ``ministryofjustice/hmpps-domain-events`` and the consumers that read them), bare
or in the SNS envelope (:mod:`adapters.hmpps_sns`):

* ``prison-offender-events.prisoner.received`` / ``.released``: ``additionalInformation`` has
  ``nomsNumber``, ``prisonId``, ``reason`` (one of :data:`domain.custody.RECEIVED_REASONS` /
  :data:`domain.custody.RELEASED_REASONS`), and ``details``, ``currentLocation``,
  ``currentPrisonStatus``, ``nomisMovementReasonCode``; the event has ``publishedAt``,
  ``description`` and ``detailUrl``. All of it is kept on the recorded movement.
* ``prison-offender-events.prisoner.merged``: ``nomsNumber`` kept, ``removedNomsNumber`` gone
  (``bookingId``, ``reason`` MERGE): a ``merge_prisoner`` command (:mod:`services.prisoner_merge`).

The prison number may instead come in ``personReference.identifiers`` as type NOMS (which HMPPS
may also send as ``null``). Unknown fields are tolerated (HMPPS adds them over time); known
ones are validated, and a reason HMPPS does not publish is refused with the ones it does.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain.custody import RECEIVED_REASONS, RELEASED_REASONS, Movement, MovementKind

RECEIVED = "prison-offender-events.prisoner.received"
RELEASED = "prison-offender-events.prisoner.released"
MERGED = "prison-offender-events.prisoner.merged"
EVENT_TYPES = (RECEIVED, RELEASED, MERGED)
HMPPS_USER = "hmpps-prison-events"
MERGING_AGENCY = "admin:backbone"  # the backbone applies HMPPS's merges


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
    details: str | None = None
    currentLocation: str | None = None
    currentPrisonStatus: str | None = None
    nomisMovementReasonCode: str | None = None


class MergeInformation(_Lenient):
    nomsNumber: str = Field(min_length=1)
    removedNomsNumber: str = Field(min_length=1)
    bookingId: str | int | None = None
    reason: str | None = None


class HmppsEvent(_Lenient):
    """The HMPPS domain-event envelope (``schema/hmpps-domain-event.json``)."""

    eventType: str
    version: int | str = 1
    occurredAt: AwareDatetime
    publishedAt: AwareDatetime | None = None
    description: str | None = None
    detailUrl: str | None = None
    personReference: PersonReference | None = None

    def noms_from_identifiers(self) -> str | None:
        for ident in self.personReference.identifiers if self.personReference else ():
            if ident.type == "NOMS":
                return ident.value.upper()
        return None


class PrisonMovementMessage(HmppsEvent):
    eventType: Literal[  # type: ignore[assignment]
        "prison-offender-events.prisoner.received", "prison-offender-events.prisoner.released"
    ]
    additionalInformation: MovementInformation

    @model_validator(mode="after")
    def reason_is_one_hmpps_publishes(self) -> PrisonMovementMessage:
        known = RECEIVED_REASONS if self.eventType == RECEIVED else RELEASED_REASONS
        if self.additionalInformation.reason not in known:
            raise ValueError(
                f"unknown reason {self.additionalInformation.reason[:40]!r} for "
                f"{self.eventType} (HMPPS publishes {', '.join(known)})"
            )
        return self

    @property
    def prison_number(self) -> str:
        noms = self.additionalInformation.nomsNumber or self.noms_from_identifiers()
        if not noms:
            raise ValueError("movement message carries no NOMS number")
        return noms.upper()

    def movement(self) -> Movement:
        info = self.additionalInformation
        return Movement(
            kind=MovementKind.RECEIVED if self.eventType == RECEIVED else MovementKind.RELEASED,
            reason=info.reason,
            prison_id=info.prisonId.upper(),
            occurred_at=self.occurredAt,
            published_at=self.publishedAt,
            description=self.description,
            detail_url=self.detailUrl,
            details=info.details,
            current_location=info.currentLocation,
            current_prison_status=info.currentPrisonStatus,
            nomis_movement_reason_code=info.nomisMovementReasonCode,
        )

    def to_command(self, agency: str | None = None) -> dict[str, Any]:
        """A ``record_movement`` command; its id is derived from the movement's identity, so that
        every copy of one movement (bare or wrapped, published again) is one command."""
        m = self.movement()
        digest = hashlib.sha256(
            f"{self.prison_number}|{m.kind}|{m.reason}|{m.prison_id}|{m.occurred_at.isoformat()}".encode()
        ).hexdigest()[:32]
        return {
            "type": "record_movement",
            "command_id": f"hmpps-{digest}",
            "agency": agency or f"prison:{m.prison_id}",
            "user": HMPPS_USER,
            "occurred_at": self.occurredAt,
            "prison_number": self.prison_number,
            "movement": m,
        }


class PrisonerMergedMessage(HmppsEvent):
    eventType: Literal["prison-offender-events.prisoner.merged"]  # type: ignore[assignment]
    additionalInformation: MergeInformation

    def to_command(self, agency: str | None = None) -> dict[str, Any]:
        """A ``merge_prisoner`` command on the kept number, applied by the backbone."""
        info = self.additionalInformation
        kept, removed = info.nomsNumber.upper(), info.removedNomsNumber.upper()
        digest = hashlib.sha256(
            f"merged|{kept}|{removed}|{self.occurredAt.isoformat()}".encode()
        ).hexdigest()[:32]
        return {
            "type": "merge_prisoner",
            "command_id": f"hmpps-{digest}",
            "agency": agency or MERGING_AGENCY,
            "user": HMPPS_USER,
            "occurred_at": self.occurredAt,
            "prison_number": kept,
            "removed_prison_number": removed,
        }


HmppsMessage = PrisonMovementMessage | PrisonerMergedMessage


def hmpps_message(raw: dict[str, Any]) -> HmppsMessage:
    """The bare HMPPS event as one of the accepted shapes; raises ValueError/ValidationError."""
    kind = raw.get("eventType")
    if kind == MERGED:
        return PrisonerMergedMessage.model_validate(raw)
    if kind in (RECEIVED, RELEASED):
        return PrisonMovementMessage.model_validate(raw)
    shown = repr(kind)[:80]
    raise ValueError(f"unsupported HMPPS eventType {shown} (accepted: {', '.join(EVENT_TYPES)})")
