"""Applies agency commands to aggregates: idempotent per command id, safe under concurrency.

A retried command (same ``command_id``) finds its id already recorded on the aggregate and has
no second effect. Two writers racing on one aggregate both load version N; the store accepts only
one version N+1, and the loser reloads and re-applies its command to the new state (optimistic
concurrency with retry), so no update is ever lost or applied twice.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from adapters.event_store import EventStore
from domain.agencies import registered_agencies
from domain.agency_roles import refusal
from domain.base import Aggregate
from domain.errors import AgencyNotPermitted, AlreadyExists, DomainError, UnknownAggregate
from domain.registry import AgencyRegistry
from services.commands import SPECS, Command, CommandSpec, parse_command


class ConcurrencyConflict(Exception):
    """The aggregate kept moving under us for every allowed attempt."""


@dataclass(frozen=True)
class CommandResult:
    command_id: str
    command_type: str
    aggregate_id: UUID
    version: int
    new_events: int
    duplicate: bool


class CommandService:
    def __init__(self, store: EventStore, retries: int = 8) -> None:
        self.store = store
        self.retries = retries
        self.conflicts_retried = 0
        self.stored = 0  # commands that stored events since start (for /metrics)
        self.duplicates = 0  # commands found already applied (a redelivery or a repeat)
        self._counting = threading.Lock()

    def load(self, aggregate_id: UUID, version: int | None = None) -> Any:
        """The aggregate as it is now (or at ``version``), or None when there is none."""
        try:
            return self.store.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None

    def registered_agencies(self) -> Mapping[str, frozenset[str]]:
        """Agencies an administrator registered (code → PCC areas), from the registry."""
        registry = self.load(AgencyRegistry.id_for())
        return registry.registered if registry is not None else MappingProxyType({})

    @contextmanager
    def knowing_registered_agencies(self) -> Iterator[None]:
        """Within the block, validation knows registered agencies as well as reference data."""
        with registered_agencies(self.registered_agencies()):
            yield

    def parse(self, data: bytes | str | dict[str, Any]) -> Command:
        """Validate a command, registered agencies included; raises ValidationError."""
        with self.knowing_registered_agencies():
            return parse_command(data)

    def handle(self, command: Command) -> CommandResult:
        with self.knowing_registered_agencies():
            result = self._handle(command)
        with self._counting:
            self.stored += result.new_events > 0
            self.duplicates += result.duplicate
        return result

    def _handle(self, command: Command) -> CommandResult:
        refused = refusal(command.agency, command.type)
        if refused:
            raise AgencyNotPermitted(refused)
        spec = SPECS[command.type]
        aggregate_id = spec.aggregate_id(command)
        for attempt in range(self.retries):
            aggregate = self.load(aggregate_id)
            if aggregate is not None and aggregate.has_applied(command.command_id):
                return self._result(command, aggregate_id, aggregate.version, 0, duplicate=True)
            aggregate = self._apply(spec, command, aggregate_id, aggregate)
            pending = len(aggregate.pending_events)
            if pending == 0:
                return self._result(command, aggregate_id, aggregate.version, 0, duplicate=False)
            try:
                self.store.save(aggregate)
            except IntegrityError:
                self.conflicts_retried += 1
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                continue
            return self._result(command, aggregate_id, aggregate.version, pending, duplicate=False)
        raise ConcurrencyConflict(
            f"{command.type} {command.command_id}: aggregate {aggregate_id} changed on every one "
            f"of {self.retries} attempts"
        )

    def handle_batch(self, commands: Sequence[Command]) -> list[CommandResult | Exception]:
        """Apply ``commands`` together: one result (or the error refusing it) per command, in order.

        Commands are applied in order to their aggregates (each loaded once), with the same
        idempotency, role and rule checks as :meth:`handle`; every new event of the batch is then
        saved in **one** transaction. A command refused by a rule is refused alone: its aggregate
        is rebuilt from the store with the batch's other accepted commands on it. When the save
        meets a concurrent writer (``IntegrityError``), nothing of the batch was stored, and the
        commands of the aggregates that had new events go through :meth:`handle` one by one.
        Errors of the store itself (unreachable, ...) are raised: nothing of the batch is stored.
        """
        batch = _Batch(self)
        registered = batch.prefetch(commands)  # the registry read with the batch's aggregates
        with registered_agencies(registered):
            results = self._handle_batch(commands, batch)
        with self._counting:
            for result in results:
                if isinstance(result, CommandResult):
                    self.stored += result.new_events > 0
                    self.duplicates += result.duplicate
        return results

    def _handle_batch(
        self, commands: Sequence[Command], batch: _Batch
    ) -> list[CommandResult | Exception]:
        results: list[CommandResult | Exception | None] = [None] * len(commands)
        for index, command in enumerate(commands):
            try:
                results[index] = batch.apply(index, command)
            except (DomainError, ValueError, TypeError) as error:  # about this command alone
                results[index] = error
        changed = batch.changed()
        if changed:
            try:
                self.store.save(*changed)
            except IntegrityError:
                self.conflicts_retried += 1
                for index in batch.commands_on(changed):  # in order, one by one
                    try:
                        results[index] = self._handle(commands[index])
                    except (DomainError, ValueError, TypeError, ConcurrencyConflict) as error:
                        results[index] = error  # the others stored stay stored, and say so
        return [r for r in results if r is not None]

    @staticmethod
    def _apply(
        spec: CommandSpec, command: Command, aggregate_id: UUID, aggregate: Aggregate | None
    ) -> Aggregate:
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

    @staticmethod
    def _result(
        command: Command, aggregate_id: UUID, version: int, new: int, *, duplicate: bool
    ) -> CommandResult:
        return CommandResult(
            command.command_id, command.type, aggregate_id, version, new, duplicate
        )


class _Batch:
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
            return CommandService._result(
                command, aggregate_id, aggregate.version, 0, duplicate=True
            )
        before = len(aggregate.pending_events) if aggregate is not None else 0
        try:
            aggregate = CommandService._apply(spec, command, aggregate_id, aggregate)
        except Exception:
            self.aggregates[aggregate_id] = self._rebuild(aggregate_id)  # drop its half-done part
            raise
        self.aggregates[aggregate_id] = aggregate
        new = len(aggregate.pending_events) - before
        if new:
            self.accepted.setdefault(aggregate_id, []).append((index, command))
        return CommandService._result(
            command, aggregate_id, aggregate.version, new, duplicate=False
        )

    def _rebuild(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate as first read (same version: a writer since then makes the save
        conflict, and the fallback) with this batch's accepted commands applied again."""
        version = self.loaded[aggregate_id]
        aggregate: Aggregate | None = None
        if version is not None:
            aggregate = self.service.load(aggregate_id, version=version)
        for _, command in self.accepted.get(aggregate_id, []):
            spec = SPECS[command.type]
            aggregate = CommandService._apply(spec, command, aggregate_id, aggregate)
        return aggregate

    def changed(self) -> list[Aggregate]:
        return [a for a in self.aggregates.values() if a is not None and a.pending_events]

    def commands_on(self, aggregates: Sequence[Aggregate]) -> list[int]:
        """The batch's commands on these aggregates, in batch order."""
        ids = {a.id for a in aggregates}
        return sorted(i for aid, found in self.index_of.items() if aid in ids for i in found)
