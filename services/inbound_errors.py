"""How the inbound pipeline tells a bad message from a passing outage.

A message is *rejected* (dead-lettered, then committed) when it fails for a reason that will not
change by trying again: anything raised while decoding, parsing or validating it, a domain rule,
or an error the store raises about this message's data. Only failures that say the store cannot
be reached right now are *transient*: the message is tried again with back-off, then its
partition is paused. Everything else is a rejection, so no message can stall a partition.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from eventsourcing import persistence
from pydantic import ValidationError

from domain.errors import DomainError
from services import prisoner_merge
from services.command_apply import CommandResult
from services.command_service import CommandService, ConcurrencyConflict
from services.commands import Command

log = logging.getLogger("services.kafka_runtime.inbound")

REASON_LIMIT = 2000  # characters of a reason kept in the dead letter's header


def shorten(text: str, limit: int = REASON_LIMIT) -> str:
    return text if len(text) <= limit else f"{text[: limit - 30]}... ({len(text)} characters)"


class Rejected(Exception):
    """Cannot be applied: ``reason`` goes to the dead letter, ``error`` names the kind."""

    def __init__(self, reason: str, error: str) -> None:
        super().__init__(shorten(reason))
        self.reason = shorten(reason)
        self.error = error


def describe(error: BaseException) -> str:
    """``ExceptionClass: message``, shortened."""
    return shorten(f"{type(error).__name__}: {error}")


def rule_of(detail: Mapping[str, Any]) -> str | None:
    """The rule that refused a field (a :class:`DomainError` such as ``UnknownCode``), if any."""
    found = detail.get("ctx", {}).get("error")
    return found.rule if isinstance(found, DomainError) else None


def explain(error: ValidationError) -> str:
    """Each field error as ``where: what``, with ``[rule: id]`` when a rule refused it."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
        + (f" [rule: {rule}]" if (rule := rule_of(e)) else "")
        for e in error.errors()
    )


TRANSIENT: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,  # server down or restarting, connection lost, pool timeout
    psycopg.InterfaceError,
    persistence.OperationalError,  # what eventsourcing raises for the above
    persistence.InterfaceError,
    persistence.InternalError,  # e.g. a transaction aborted under us
    sqlite3.OperationalError,  # "database is locked", disk I/O error, unable to open
    OSError,  # connection refused or reset, timeouts
    ConcurrencyConflict,  # the aggregate kept moving: another writer is busy on it
)


def is_transient(error: BaseException) -> bool:
    """True when trying again later may succeed (the error or one it was raised from)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, TRANSIENT):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


def apply(commands: CommandService, command: Command) -> CommandResult:
    """``commands.handle(command)``; a failure about this command is :class:`Rejected` (a domain
    rule, or data the store refuses), a transient one is raised as it is."""
    try:
        return prisoner_merge.handle(commands, command)  # a prisoner merge has several effects
    except Exception as error:
        raise rejection(command, error) from error


def rejection(command: Command, error: Exception) -> Rejected:
    """The rejection of ``command`` for ``error``; a transient error is raised as it is."""
    if isinstance(error, DomainError):
        reason = f"domain rule: {error.message} [rule: {error.rule}]"
        return Rejected(reason, type(error).__name__)
    if is_transient(error):
        raise error
    log.error("the store refused %s %s", command.type, command.command_id, exc_info=error)
    return Rejected(f"not stored: {describe(error)}", type(error).__name__)


def apply_batch(
    commands: CommandService, batch: Sequence[Command]
) -> list[CommandResult | Rejected]:
    """:meth:`CommandService.handle_batch` over ``batch``, one outcome per command in order: its
    result, or :class:`Rejected`. A prisoner merge (several effects, reading the store) is
    applied alone, after the commands before it are stored. Transient errors are raised."""
    outcomes: list[CommandResult | Rejected] = []
    pending: list[Command] = []

    def flush() -> None:
        if not pending:
            return
        for command, result in zip(pending, commands.handle_batch(pending), strict=True):
            if isinstance(result, CommandResult):
                outcomes.append(result)
            else:
                outcomes.append(rejection(command, result))
        pending.clear()

    for command in batch:
        if command.type != prisoner_merge.MERGE:
            pending.append(command)
            continue
        flush()
        try:
            outcomes.append(apply(commands, command))
        except Rejected as rejected:
            outcomes.append(rejected)
    flush()
    return outcomes


def registered(commands: object) -> Mapping[str, frozenset[str]]:
    """The agencies an administrator registered, from the store (a failure here is the store's,
    never the message's); none for a command service that does not keep a registry."""
    load = getattr(commands, "registered_agencies", None)
    return load() if load is not None else {}
