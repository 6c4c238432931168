"""``rjb kafka``: broker credentials and ACLs, reconciled with the registry and the ISA register."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from domain.agencies import unknown_agency
from services.bootstrap import build
from services.kafka_access import principal_name

kafka_access_app = typer.Typer(no_args_is_help=True, help="Broker credentials and ACLs")
credentials_app = typer.Typer(no_args_is_help=True, help="SCRAM credentials on the broker")
kafka_access_app.add_typer(credentials_app, name="credentials")
console = Console()


@kafka_access_app.command()
def acls(
    apply: Annotated[bool, typer.Option("--apply", help="Make the changes")] = False,
    plan: Annotated[bool, typer.Option("--plan", help="Only show them (the default)")] = False,
) -> None:
    """Reconcile users and ACLs with the agency registry and the agreements in force."""
    if apply and plan:
        raise typer.BadParameter("--plan or --apply, not both")
    backbone = build()
    try:
        reconciler = backbone.kafka().access()
        if apply:
            changes = asyncio.run(reconciler.apply(force=True))
        else:
            _, changes = reconciler.plan()
    finally:
        backbone.close()
    lines = changes.lines() if changes else []
    for line in lines:
        console.print(escape(line), highlight=False)
    verb = "applied" if apply else "to apply (rjb kafka acls --apply)"
    console.print(f"{len(lines)} change(s) {verb}" if lines else "nothing to change")


@credentials_app.command("issue")
def issue(agency: Annotated[str, typer.Argument(help="Agency code, e.g. pcc:kent")]) -> None:
    """Create (or replace) an agency's SCRAM credentials; the password is shown once."""
    backbone = build()
    try:
        with backbone.commands.knowing_registered_agencies():
            problem = unknown_agency(agency)
        if problem:
            console.print(f"refused: {escape(problem)}", highlight=False)
            raise typer.Exit(2)
        password = backbone.kafka().access().issue_credentials(principal_name(agency))
    finally:
        backbone.close()
    console.print(f"user: {principal_name(agency)}", highlight=False)
    console.print(f"password: {escape(password)}", highlight=False)
    console.print("Hand it over out of band; it is not stored. Then: rjb kafka acls --apply")


@credentials_app.command("revoke")
def revoke(agency: Annotated[str, typer.Argument(help="Agency code, e.g. pcc:kent")]) -> None:
    """Delete an agency's SCRAM credentials (its ACLs go at the next reconcile)."""
    backbone = build()
    try:
        backbone.kafka().access().revoke_credentials(principal_name(agency))
    finally:
        backbone.close()
    console.print(f"revoked {escape(principal_name(agency))}", highlight=False)
