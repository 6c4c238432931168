"""HMPPS ``prison-offender-events.prisoner.merged``: one message, three kinds of effect.

NOMS merged two prisoner records: ``nomsNumber`` is kept, ``removedNomsNumber`` is gone. The
backbone (acting as ``admin:backbone``, user ``hmpps-prison-events``) then

1. merges the removed number's custody history into the kept number's (``merge_prisoner``, the
   message's own command: event ``Custody.PrisonerMerged``; the movements are read from the
   store, never taken from the message);
2. marks the removed number's custody as merged away (``record_merged_away``, if it has one);
3. re-points every case naming the removed number to the kept one (``record_prisoner_merge``:
   event ``Case.OffenderPrisonNumberChanged``). The cases are found through the prison moves
   projection (``moves_case.prison_number``, caught up first), and each is checked again on the
   aggregate.

Each step is an ordinary idempotent command whose id is derived from the message's, so a
redelivered or repeated merge has no second effect, and a merge interrupted half way is finished
by its redelivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from domain.custody import Custody
from domain.errors import InvalidTransition
from projections.moves import PrisonMoves
from projections.runner import ProjectionRunner
from services.command_apply import CommandResult
from services.command_service import CommandService
from services.commands import Command, parse_command

MERGE = "merge_prisoner"
CasesNaming = Callable[[str], list[UUID]]
_runners: WeakKeyDictionary[CommandService, ProjectionRunner] = WeakKeyDictionary()


def cases_naming_from_moves(commands: CommandService) -> CasesNaming:
    """Case ids whose offender has this prison number, from the moves projection."""
    runner = _runners.get(commands)
    if runner is None:
        runner = _runners[commands] = ProjectionRunner(commands.store, [PrisonMoves()])

    def find(prison_number: str) -> list[UUID]:
        runner.catch_up("moves")
        with runner.db.transaction(commit=False) as tx:
            rows = tx.all(
                "SELECT case_id FROM moves_case WHERE prison_number = ? ORDER BY case_id",
                (prison_number.upper(),),
            )
        return [UUID(str(r[0])) for r in rows]

    return find


def _step(command: Command, type_: str, target: str, **fields: Any) -> Command:
    tag = hashlib.sha256(f"{type_}|{target}".encode()).hexdigest()[:16]
    envelope = command.model_dump(include={"agency", "user", "occurred_at", "correlation_id"})
    return parse_command(
        {
            **envelope,
            "type": type_,
            "command_id": f"{command.command_id[:40]}-{tag}",
            "causation_id": command.command_id,
            **fields,
        }
    )


def apply_merge(
    commands: CommandService, command: Command, cases_naming: CasesNaming | None = None
) -> CommandResult:
    """Applies a ``merge_prisoner`` command and its consequences; the result is the kept
    custody's."""
    fields = command.model_dump()
    kept, removed = fields["prison_number"], fields["removed_prison_number"]
    gone = commands.load(Custody.id_for(removed))
    history = tuple(gone.movements) if gone is not None else ()
    result = commands.handle(command.model_copy(update={"movements": history}))
    if gone is not None:
        commands.handle(
            _step(
                command,
                "record_merged_away",
                removed,
                prison_number=removed,
                kept_prison_number=kept,
            )
        )
    for case_id in (cases_naming or cases_naming_from_moves(commands))(removed):
        try:
            commands.handle(
                _step(
                    command,
                    "record_prisoner_merge",
                    str(case_id),
                    case_id=str(case_id),
                    removed_prison_number=removed,
                    prison_number=kept,
                )
            )
        except InvalidTransition:
            continue  # the projection was behind: the case no longer names the removed number
    return result


def handle(commands: CommandService, command: Command) -> CommandResult:
    """The command service, with HMPPS prisoner merges carried out in full."""
    if command.type == MERGE:
        return apply_merge(commands, command)
    return commands.handle(command)
