"""``rjb submit``: JSON lines of agency commands or HMPPS movement messages, read as bytes.

Each line goes through the same checks as an inbound Kafka message (size limit before parsing,
UTF-8, JSON object, schema, agency role; :mod:`services.inbound_parse`), so a line that is not
UTF-8, too long or otherwise bad is reported with its number and the reason, and the good lines
are still applied. Lines are stored :data:`BATCH` at a time, in one transaction each.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.command_apply import CommandResult
from services.command_service import CommandService
from services.commands import Command
from services.inbound_errors import (
    Rejected,
    apply,
    apply_batch,
    describe,
    is_transient,
    registered,
)
from services.inbound_parse import command_in


@dataclass(frozen=True)
class LineOutcome:
    number: int
    result: CommandResult | None = None
    reason: str | None = None  # why the line was not applied


BATCH = 500  # lines stored per transaction


def submit_lines(
    commands: CommandService, data: bytes, max_bytes: int, batch: int = BATCH
) -> Iterator[LineOutcome]:
    """Apply each non-blank line of ``data``; one outcome per line, in line order.

    Lines are taken ``batch`` at a time and their commands stored in one transaction
    (:func:`apply_batch`); a batch the store cannot take at once goes one line at a time.
    """
    lines = [(n, line) for n, line in enumerate(data.splitlines(), start=1) if line.strip()]
    for start in range(0, len(lines), batch):
        chunk = lines[start : start + batch]
        if hasattr(commands, "handle_batch"):
            outcomes = _at_once(commands, chunk, max_bytes)
            if outcomes is not None:
                yield from outcomes
                continue
        yield from _one_by_one(commands, chunk, max_bytes)


def _at_once(
    commands: CommandService, chunk: list[tuple[int, bytes]], max_bytes: int
) -> list[LineOutcome] | None:
    """The chunk stored in one transaction; None when the store could not take it at once."""
    parsed: list[tuple[int, Command | Rejected]] = []
    try:
        agencies = registered(commands)
        for number, line in chunk:
            try:
                parsed.append((number, command_in(line, (), None, max_bytes, agencies)))
            except Rejected as rejected:
                parsed.append((number, rejected))
        good = [c for _, c in parsed if not isinstance(c, Rejected)]
        applied = iter(apply_batch(commands, good))
    except Exception:  # the store's (one line at a time says which, or that it is down)
        return None
    outcomes = []
    for number, item in parsed:
        outcome = item if isinstance(item, Rejected) else next(applied)
        if isinstance(outcome, Rejected):
            outcomes.append(LineOutcome(number, reason=outcome.reason))
        else:
            outcomes.append(LineOutcome(number, result=outcome))
    return outcomes


def _one_by_one(
    commands: CommandService, chunk: list[tuple[int, bytes]], max_bytes: int
) -> Iterator[LineOutcome]:
    for number, line in chunk:
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


T = TypeVar("T")
BAR_FROM = 1000  # lines: a file this long shows a progress bar on a terminal


@contextmanager
def lines_bar(data: bytes) -> Iterator[Callable[[Iterable[T]], Iterator[T]]]:
    """Counts the outcomes of a large file on a progress bar (stderr, a terminal only)."""
    total = sum(1 for line in data.splitlines() if line.strip())
    shown = total >= BAR_FROM and sys.stderr.isatty()
    columns = (TextColumn("submitting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    stderr = Console(stderr=True)
    bar = Progress(*columns, console=stderr, transient=True, disable=not shown)
    task = bar.add_task("submit", total=total)

    def counted(items: Iterable[T]) -> Iterator[T]:
        for item in items:
            bar.advance(task)
            yield item

    with bar:
        yield counted
