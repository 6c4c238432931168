"""One command applied to its aggregate in memory, and what came of it; nothing is stored here.

Shared by :class:`services.command_service.CommandService` (one command at a time) and
:class:`services.command_batch.CommandBatch` (many, saved together), so both apply commands the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.base import Aggregate
from domain.errors import AlreadyExists, UnknownAggregate
from services.commands import Command, CommandSpec


@dataclass(frozen=True)
class CommandResult:
    command_id: str
    command_type: str
    aggregate_id: UUID
    version: int
    new_events: int
    duplicate: bool

    @classmethod
    def of(
        cls, command: Command, aggregate_id: UUID, version: int, new: int, *, duplicate: bool
    ) -> CommandResult:
        return cls(command.command_id, command.type, aggregate_id, version, new, duplicate)


def apply_command(
    spec: CommandSpec, command: Command, aggregate_id: UUID, aggregate: Aggregate | None
) -> Aggregate:
    """The aggregate with the command's events pending (a new one if the command creates it)."""
    meta = command.meta()
    args = spec.arguments(command)
    factory: Any = spec.aggregate
    if spec.creates:
        if aggregate is not None:
            raise AlreadyExists(
                f"{spec.aggregate.__name__} {spec.key_value(command) or aggregate_id} "
                "already exists"
            )
        if spec.key == "case_id":
            args["id"] = aggregate_id
        return factory(**args, meta=meta)  # type: ignore[no-any-return]
    if aggregate is None:
        if not spec.opens_missing:
            raise UnknownAggregate(
                f"no {spec.aggregate.__name__} {spec.key_value(command)} for {command.type}"
            )
        key = {spec.key: spec.key_value(command)}
        aggregate = factory(**key, meta=meta)
    getattr(aggregate, spec.method)(**args, meta=meta)
    return aggregate
