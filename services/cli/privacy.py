"""``rjb privacy ...``: erase a person's personal data (crypto-shredding), list key status, rotate
the master key."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from eventsourcing.application import AggregateNotFoundError

from domain.errors import DomainError
from services.bootstrap import build
from services.cli.identity import TokenFile, with_role
from services.identity import Role

privacy_app = typer.Typer(no_args_is_help=True, help="Personal data: erasure by key destruction")


@privacy_app.command()
def erase(
    person: Annotated[str, typer.Argument(help="CASE_ID/PARTICIPANT_ID, or CASE_ID for case text")],
    reason: Annotated[str, typer.Option(help="Why (e.g. the erasure request reference)")],
    token_file: TokenFile = None,
    with_case_text: Annotated[
        bool, typer.Option(help="Also erase the case-level text (CASE), e.g. if it names them")
    ] = False,
) -> None:
    """Destroy the person's key; their personal data then reads as "[erased]" everywhere.

    Free text sealed under the case (no participant named: referral summary, outcome terms,
    closure detail, activity and prison reasons) survives a person's erasure unless
    --with-case-text also erases the case subject. Needs the privacy-officer role; the erasure is
    recorded as the credential's agency and subject."""
    if not reason.strip():
        typer.echo("an erasure needs a reason (e.g. the erasure request reference)", err=True)
        raise typer.Exit(code=2)
    backbone = build()
    try:
        who = with_role(backbone, token_file, Role.PRIVACY_OFFICER, "erasure")
        if with_case_text and "/" not in person:
            raise ValueError("--with-case-text goes with CASE_ID/PARTICIPANT_ID")
        args = (person, reason, who.agency, who.subject)
        privacy = backbone.privacy
        found = privacy.erase_with_case_text(*args) if with_case_text else [privacy.erase(*args)]
    except (AggregateNotFoundError, DomainError, ValueError) as e:
        typer.echo(f"cannot erase {person}: {e}", err=True)
        raise typer.Exit(code=1) from e
    finally:
        backbone.close()
    for done in found:
        state = "key destroyed" if done.key_destroyed else "key already destroyed or never created"
        typer.echo(f"erased {done.subject}: {state}; erasure recorded: {done.event_recorded}")


@privacy_app.command()
def keys(case_id: UUID, token_file: TokenFile = None) -> None:
    """The personal-data keys of a case and whether each was destroyed (privacy officers)."""
    backbone = build()
    try:
        with_role(backbone, token_file, Role.PRIVACY_OFFICER, "listing personal-data keys")
        subjects = backbone.store.recorder.key_subjects(str(case_id))  # type: ignore[attr-defined]
    finally:
        backbone.close()
    for subject, erased in subjects:
        typer.echo(f"{subject}\t{'erased' if erased else 'active'}")


from services.cli.key_rotation import rotate_master_key  # noqa: E402

privacy_app.command("rotate-master-key")(rotate_master_key)
