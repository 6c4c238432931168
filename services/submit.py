"""``rjb submit``: JSON lines of agency commands or HMPPS movement messages, read as bytes.

Each line goes through the same checks as an inbound Kafka message (size limit before parsing,
UTF-8, JSON object, schema, agency role; :mod:`services.inbound_parse`), so a line that is not
UTF-8, too long or otherwise bad is reported with its number and the reason, and the good lines
are still applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from services.command_service import CommandResult, CommandService
from services.inbound_errors import Rejected, apply, describe, is_transient, registered
from services.inbound_parse import command_in


@dataclass(frozen=True)
class LineOutcome:
    number: int
    result: CommandResult | None = None
    reason: str | None = None  # why the line was not applied


def submit_lines(commands: CommandService, data: bytes, max_bytes: int) -> Iterator[LineOutcome]:
    """Apply each non-blank line of ``data``; one outcome per line."""
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            command = command_in(line, (), None, max_bytes, registered(commands))
            yield LineOutcome(number, result=apply(commands, command))
        except Rejected as rejected:
            yield LineOutcome(number, reason=rejected.reason)
        except Exception as error:
            if not is_transient(error):
                raise
            yield LineOutcome(number, reason=f"store unavailable, submit again: {describe(error)}")


def report(console: Console, outcomes: Iterator[LineOutcome]) -> int:
    """Print each outcome and the totals; the number of lines not applied."""
    applied = bad = 0
    for outcome in outcomes:
        if outcome.result is None:
            bad += 1
            reason = escape(outcome.reason or "")
            console.print(f"line {outcome.number}: [red]rejected[/red]: {reason}")
            continue
        applied += 1
        r = outcome.result
        state = "duplicate, no effect" if r.duplicate else f"+{r.new_events} events"
        console.print(
            f"line {outcome.number}: [green]ok[/green] {r.command_type} "
            f"{r.aggregate_id} v{r.version} ({state})"
        )
    console.print(f"{applied} applied, {bad} rejected")
    return bad
