"""``rjb dlq list | show | retry | purge``: dead-letter operations, by an operator or administrator.

Every command needs a verified credential with the operator or administrator role (dead letters
hold what agencies sent, personal data included); ``show`` is written to the read log, and
``retry`` and ``purge`` to ``dead_letter_actions``, with who and why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import typer

from services.bootstrap import Backbone, build
from services.cli.dlq_render import (
    DLQ_COLUMNS,
    listed_rows,
    render_letter,
    render_list,
    render_outcomes,
)
from services.cli.identity import TokenFile
from services.cli.operators import on_broker, on_the_broker, operator
from services.cli.output import AsCsv, AsJson, emit_csv, emit_json, one_format
from services.dead_letter_view import LetterFilter, parse_since
from services.dlq import DeadLetterQueue, NoSuchLetter, Outcome

dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: list, show, retry, purge")

SourceTopic = Annotated[
    str | None, typer.Option(help="Source topic (a glob: '*.police.kent.*')", show_default=False)
]
Error = Annotated[
    str | None, typer.Option(help="Error kind (ValidationError, ...)", show_default=False)
]
Since = Annotated[
    str | None, typer.Option(help="Dead-lettered since: 30m, 2h, 7d or ISO", show_default=False)
]
Ids = Annotated[list[str] | None, typer.Argument(help="Dead-letter ids (PARTITION/OFFSET)")]
AllMatching = Annotated[
    bool, typer.Option("--all-matching", help="Every letter not dealt with that the filters match")
]
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded)", show_default=False)]


def queue(backbone: Backbone) -> DeadLetterQueue:
    return DeadLetterQueue.of(on_the_broker(backbone))


def letter_filter(
    source_topic: str | None, error: str | None, since: str | None, handled_too: bool = False
) -> LetterFilter:
    try:
        after = parse_since(since, datetime.now(UTC)) if since else None
    except ValueError as problem:
        raise typer.BadParameter(str(problem), param_hint="--since") from None
    return LetterFilter(source_topic, error, after, handled_too)


@dlq_app.command("list")
def list_letters(
    source_topic: SourceTopic = None,
    error: Error = None,
    since: Since = None,
    all_: Annotated[bool, typer.Option("--all", help="Also those retried or purged")] = False,
    token_file: TokenFile = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Dead letters not dealt with yet (oldest first): id, age, source, error, reason, size."""
    one_format(as_json, as_csv)
    backbone = build()
    try:
        operator(backbone, token_file, "listing dead letters")
        which = letter_filter(source_topic, error, since, all_)
        listed = on_broker(queue(backbone).letters(which))
    finally:
        backbone.close()
    now = datetime.now(UTC)
    if as_json or as_csv:
        rows = listed_rows(listed, now)
        if as_json:
            emit_json(rows)
        else:
            emit_csv(rows, DLQ_COLUMNS)
        return
    render_list(listed, now, all_)


@dlq_app.command()
def show(letter: str, reason: Reason, token_file: TokenFile = None) -> None:
    """One dead letter: its headers, its value (text, or hex when binary) and what was done."""
    backbone = build()
    try:
        who = operator(backbone, token_file, "reading a dead letter")
        item = on_broker(queue(backbone).get(letter))
        backbone.audit(who.reader, reason).log_read("dlq show", letter)
    except NoSuchLetter as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(code=1) from None
    finally:
        backbone.close()
    render_letter(item, datetime.now(UTC))


Doing = Literal["retry", "purge"]


def act(
    doing: Doing,
    ids: list[str] | None,
    all_matching: bool,
    which: LetterFilter,
    reason: str,
    token_file: TokenFile,
) -> None:
    """Retries or purges the letters named by id, or all those the filters match (``--all-
    matching`` needs at least one filter); each is recorded with who and why."""
    if not reason.strip():
        typer.echo(f"{doing} needs a --reason (recorded with who did it)", err=True)
        raise typer.Exit(code=2)
    if bool(ids) == all_matching or (all_matching and not which.narrows):
        typer.echo(
            "name dead letters by id, or --all-matching with at least one of "
            "--source-topic, --error, --since",
            err=True,
        )
        raise typer.Exit(code=2)
    backbone = build()
    try:
        who = operator(backbone, token_file, f"{doing} of dead letters")
        dlq = queue(backbone)
        run = dlq.retry if doing == "retry" else dlq.purge
        try:
            outcomes: list[Outcome] = on_broker(
                run(ids or [], who.reader, reason, which if all_matching else None)
            )
        except NoSuchLetter as problem:
            typer.echo(str(problem), err=True)
            raise typer.Exit(code=1) from None
    finally:
        backbone.close()
    render_outcomes(outcomes)
    if not all(o.done for o in outcomes):
        raise typer.Exit(code=1)


def _acting(doing: Doing, help_text: str) -> None:
    """``rjb dlq retry`` and ``rjb dlq purge``: the same arguments, one action each."""

    def command(
        ids: Ids = None,
        reason: Reason = "",
        all_matching: AllMatching = False,
        source_topic: SourceTopic = None,
        error: Error = None,
        since: Since = None,
        token_file: TokenFile = None,
    ) -> None:
        which = letter_filter(source_topic, error, since)
        act(doing, ids, all_matching, which, reason, token_file)

    dlq_app.command(doing, help=help_text)(command)


_acting(
    "retry",
    "Send dead letters' original messages again to their source topic (after a fix); never a "
    "truncated one. The inbound stores them, or dead-letters them again as new letters.",
)
_acting(
    "purge",
    "Mark dead letters as dealt with (`list` then hides them; the records stay on the topic).",
)
