"""Pydantic-based aggregate and event base classes (after eventsourcing's aggregate8 example).

Events are frozen pydantic models with ``extra="forbid"`` so a stored event can never carry a
field its class does not declare. Every event carries an :class:`EventMeta` saying who acted,
when it happened in the world, and which command caused it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from domain.agencies import AgencyCode
from domain.text import MAX_NAME, Identifier, single_line

_set = object.__setattr__  # as pydantic's model_construct sets a frozen model's state

# Ids the backbone makes itself (``erase:<case>/<participant>``) may be longer than an agency's.
MetaId = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(single_line)]


class Immutable(BaseModel):
    """Base of every payload and value object: frozen, no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EventMeta(Immutable):
    """Who did it, when it happened, and which command/conversation it belongs to.

    ``occurred_at`` is when the fact happened in the world (stated by the agency);
    the event's own ``timestamp`` is when the backbone recorded it.
    """

    agency: AgencyCode = Field(description="Code of the acting agency (well-formed)")
    user: Identifier = Field(description="User id within the acting agency")
    occurred_at: datetime
    command_id: MetaId = Field(description="Idempotency key of the causing command")
    correlation_id: MetaId = Field(default_factory=lambda: str(uuid4()))
    causation_id: MetaId | None = None

    @classmethod
    def trusted(
        cls,
        *,
        agency: str,
        user: str,
        occurred_at: datetime,
        command_id: str,
        correlation_id: str,
        causation_id: str | None,
    ) -> EventMeta:
        """Every field from values already validated as strictly (a command's own fields), not
        validated again: what ``model_construct`` makes with all fields given, without its
        per-field alias and default handling (a tenth of applying a command in a batch)."""
        meta = cls.__new__(cls)
        values = {
            "agency": agency,
            "user": user,
            "occurred_at": occurred_at,
            "command_id": command_id,
            "correlation_id": correlation_id,
            "causation_id": causation_id,
        }
        _set(meta, "__dict__", values)
        _set(meta, "__pydantic_fields_set__", set(values))
        _set(meta, "__pydantic_extra__", None)
        _set(meta, "__pydantic_private__", None)
        return meta

    @field_validator("occurred_at")
    @classmethod
    def occurred_at_is_timezone_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a timezone")
        return value


class DomainEvent(Immutable):
    """Fields every stored event has; ``timestamp`` is the recorded time."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime


class Aggregate(BaseAggregate[UUID]):
    """Aggregate whose events are pydantic models; state stays plain Python.

    Each aggregate remembers the ids of the commands that changed it, so an agency retrying a
    command gets one effect (see :meth:`has_applied`).
    """

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        meta: EventMeta

        def mutate(self, aggregate: Any) -> Any:
            mutated = super().mutate(aggregate)
            mutated.__dict__.setdefault("command_ids", set()).add(self.meta.command_id)
            return mutated

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str

    @staticmethod
    def create_id(*_: Any, **__: Any) -> UUID:
        return uuid4()

    def has_applied(self, command_id: str) -> bool:
        """True when a command with this id already took effect."""
        return command_id in self.__dict__.get("command_ids", set())
