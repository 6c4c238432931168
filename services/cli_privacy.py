"""``rjb privacy ...``: erase a person's personal data (crypto-shredding) and list key status."""

from __future__ import annotations

import getpass
from typing import Annotated
from uuid import UUID

import typer
from eventsourcing.application import AggregateNotFoundError

from domain.errors import DomainError
from services.bootstrap import build

privacy_app = typer.Typer(no_args_is_help=True, help="Personal data: erasure by key destruction")


@privacy_app.command()
def erase(
    person: Annotated[str, typer.Argument(help="CASE_ID/PARTICIPANT_ID, or CASE_ID for case text")],
    reason: Annotated[str, typer.Option(help="Why (e.g. the erasure request reference)")],
    agency: Annotated[str, typer.Option(help="Agency doing the erasure")] = "pcc:data-protection",
    as_user: Annotated[str | None, typer.Option("--as", help="Who erases")] = None,
) -> None:
    """Destroy the person's key; their personal data then reads as "[erased]" everywhere."""
    backbone = build()
    try:
        user = as_user or backbone.settings.audit_user or f"os:{getpass.getuser()}"
        done = backbone.privacy.erase(person, reason, agency, user)
    except (AggregateNotFoundError, DomainError, ValueError) as e:
        typer.echo(f"cannot erase {person}: {e}", err=True)
        raise typer.Exit(code=1) from e
    finally:
        backbone.close()
    state = "key destroyed" if done.key_destroyed else "key already destroyed or never created"
    typer.echo(f"erased {done.subject}: {state}; erasure recorded: {done.event_recorded}")


@privacy_app.command()
def keys(case_id: UUID) -> None:
    """The personal-data keys of a case and whether each was destroyed."""
    backbone = build()
    try:
        subjects = backbone.store.recorder.key_subjects(str(case_id))  # type: ignore[attr-defined]
    finally:
        backbone.close()
    for subject, erased in subjects:
        typer.echo(f"{subject}\t{'erased' if erased else 'active'}")
