"""The aggregates one batch of commands touches, each loaded once, with the commands applied.

:meth:`services.command_service.CommandService.handle_batch` applies a batch's commands here in
memory and then saves every changed aggregate in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING
from uuid import UUID

from domain.agency_roles import refusal
from domain.base import Aggregate
from domain.errors import AgencyNotPermitted
from domain.registry import AgencyRegistry
from services.command_apply import CommandResult, apply_command
from services.commands import SPECS, Command

if TYPE_CHECKING:
    from services.command_service import CommandService


class CommandBatch:
    """The aggregates one batch touches, each loaded once, with the batch's commands applied."""

    def __init__(self, service: CommandService) -> None:
        self.service = service
        self.aggregates: dict[UUID, Aggregate | None] = {}
        self.loaded: dict[UUID, int | None] = {}  # the version read from the store, if any
        self.accepted: dict[UUID, list[tuple[int, Command]]] = {}  # commands that added events
        self.index_of: dict[UUID, list[int]] = {}  # every command of the batch on the aggregate

    def prefetch(self, commands: Sequence[Command]) -> Mapping[str, frozenset[str]]:
        """Every aggregate the batch names, read in one query (``EventStore.get_many``) with the
        agency registry, whose registered agencies it returns (as ``registered_agencies``)."""
        ids: set[UUID] = set()
        for command in commands:
            spec = SPECS.get(command.type)
            if spec is None:
                continue
            try:
                ids.add(spec.aggregate_id(command))
            except Exception:  # the command is refused when it is applied
                continue
        registry_id = AgencyRegistry.id_for()
        found = self.service.store.get_many(ids | {registry_id})
        for aggregate_id in ids:
            aggregate = found.get(aggregate_id)
            self.aggregates[aggregate_id] = aggregate
            self.loaded[aggregate_id] = None if aggregate is None else aggregate.version
        registry = found.get(registry_id)  # registered_agencies copies it: commands may change it
        return registry.registered if registry is not None else MappingProxyType({})

    def apply(self, index: int, command: Command) -> CommandResult:
        refused = refusal(command.agency, command.type)
        if refused:
            raise AgencyNotPermitted(refused)
        spec = SPECS[command.type]
        aggregate_id = spec.aggregate_id(command)
        self.index_of.setdefault(aggregate_id, []).append(index)
        if aggregate_id not in self.aggregates:
            found = self.service.load(aggregate_id)
            self.aggregates[aggregate_id] = found
            self.loaded[aggregate_id] = None if found is None else found.version
        aggregate = self.aggregates[aggregate_id]
        if aggregate is not None and aggregate.has_applied(command.command_id):
            return CommandResult.of(command, aggregate_id, aggregate.version, 0, duplicate=True)
        before = len(aggregate.pending_events) if aggregate is not None else 0
        try:
            aggregate = apply_command(spec, command, aggregate_id, aggregate)
        except Exception:
            self.aggregates[aggregate_id] = self._rebuild(aggregate_id)  # drop its half-done part
            raise
        self.aggregates[aggregate_id] = aggregate
        new = len(aggregate.pending_events) - before
        if new:
            self.accepted.setdefault(aggregate_id, []).append((index, command))
        return CommandResult.of(command, aggregate_id, aggregate.version, new, duplicate=False)

    def _rebuild(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate as first read (same version: a writer since then makes the save
        conflict, and the fallback) with this batch's accepted commands applied again."""
        version = self.loaded[aggregate_id]
        aggregate: Aggregate | None = None
        if version is not None:
            aggregate = self.service.load(aggregate_id, version=version)
        for _, command in self.accepted.get(aggregate_id, []):
            spec = SPECS[command.type]
            aggregate = apply_command(spec, command, aggregate_id, aggregate)
        return aggregate

    def changed(self) -> list[Aggregate]:
        return [a for a in self.aggregates.values() if a is not None and a.pending_events]

    def commands_on(self, aggregates: Sequence[Aggregate]) -> list[int]:
        """The batch's commands on these aggregates, in batch order."""
        ids = {a.id for a in aggregates}
        return sorted(i for aid, found in self.index_of.items() if aid in ids for i in found)
