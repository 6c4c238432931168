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
from types import MappingProxyType
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from adapters.event_store import EventStore
from domain.agencies import registered_agencies
from domain.agency_roles import refusal
from domain.errors import AgencyNotPermitted, DomainError
from domain.registry import AgencyRegistry
from services.command_apply import CommandResult, apply_command
from services.command_batch import CommandBatch
from services.commands import SPECS, Command, parse_command


class ConcurrencyConflict(Exception):
    """The aggregate kept moving under us for every allowed attempt."""


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
                return CommandResult.of(command, aggregate_id, aggregate.version, 0, duplicate=True)
            aggregate = apply_command(spec, command, aggregate_id, aggregate)
            pending = len(aggregate.pending_events)
            if pending == 0:
                return CommandResult.of(
                    command, aggregate_id, aggregate.version, 0, duplicate=False
                )
            try:
                self.store.save(aggregate)
            except IntegrityError:
                self.conflicts_retried += 1
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                continue
            return CommandResult.of(
                command, aggregate_id, aggregate.version, pending, duplicate=False
            )
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
        batch = CommandBatch(self)
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
        self, commands: Sequence[Command], batch: CommandBatch
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
