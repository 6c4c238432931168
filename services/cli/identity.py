"""Who runs a command: the verified identity of a credential (``RJB_TOKEN`` or a token file),
never a free-text flag. Refusals are one line: exit 2 without a valid credential, 1 without the
role."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from domain.errors import DomainError
from services.bootstrap import Backbone
from services.credentials import TOKEN_FILE_ENV, IdentityNotConfigured, presented_token
from services.identity import Forbidden, Identity, Role, Unauthenticated

TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file",
        envvar=TOKEN_FILE_ENV,
        help="File holding your access token (else RJB_TOKEN); on the embedded default "
        "`rjb dev token` prints one",
        show_default=False,
    ),
]
Why = Annotated[
    str,
    typer.Option("--reason", help="Why you are reading this, for the read log", show_default=False),
]


def verified(backbone: Backbone, token_file: Path | None) -> Identity:
    try:
        return backbone.identity.verify(presented_token(token_file))
    except (Unauthenticated, IdentityNotConfigured) as error:
        typer.echo(f"not authenticated: {error}", err=True)
        raise typer.Exit(code=2) from None
    except Forbidden as error:
        typer.echo(f"refused: {error.reason}", err=True)
        raise typer.Exit(code=2) from None


def with_role(backbone: Backbone, token_file: Path | None, role: Role, doing: str) -> Identity:
    """The verified identity, which must hold ``role``."""
    identity = verified(backbone, token_file)
    try:
        identity.require(role, doing)
    except Forbidden as error:
        typer.echo(f"refused: {error.reason}", err=True)
        raise typer.Exit(code=1) from None
    return identity


def readable_case(backbone: Backbone, token_file: Path | None, case_id: UUID, why: str) -> Any:
    """The case, for a caller entitled to its personal data (an auditor, or an agency that may
    act on it: in its area or on the case), with the read logged; None when there is no case."""
    identity = verified(backbone, token_file)
    case = backbone.commands.load(case_id)
    if case is None:
        return None
    if not identity.has(Role.AUDITOR):
        try:
            case.check_agency_acts_in_the_case_area_or_is_on_the_case(identity.agency)
        except DomainError as error:
            typer.echo(f"refused: {error.message}", err=True)
            raise typer.Exit(code=1) from None
    backbone.audit(identity.reader, why).log_read("show", str(case_id))
    return case
