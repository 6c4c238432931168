"""What the operators' commands (``rjb dlq``, ``rjb reconcile``) share: the operator or
administrator role checked on a verified credential, and the configured broker, a broker that
cannot be reached being one line on stderr."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from aiokafka.errors import KafkaError

from services.bootstrap import Backbone
from services.cli.identity import TokenFile, verified
from services.identity import Identity, Role
from services.kafka_runtime.wiring import KafkaParts

T = TypeVar("T")


def operator(backbone: Backbone, token_file: TokenFile, doing: str) -> Identity:
    """The verified identity; it must hold the operator or administrator role."""
    identity = verified(backbone, token_file)
    if not (identity.has(Role.OPERATOR) or identity.has(Role.ADMINISTRATOR)):
        held = ", ".join(sorted(identity.roles)) or "none"
        refused = f"refused: {doing} needs the operator or administrator role; "
        typer.echo(f"{refused}the credential of {identity.reader} has: {held}", err=True)
        raise typer.Exit(code=1)
    return identity


def on_the_broker(backbone: Backbone) -> KafkaParts:
    """The configured cluster (these commands read and write its topics)."""
    if not backbone.settings.kafka_bootstrap_servers:
        where = "(`rjb serve` prints its embedded broker's address)"
        typer.echo(f"this works on the broker: set RJB_KAFKA_BOOTSTRAP_SERVERS {where}", err=True)
        raise typer.Exit(code=2)
    return backbone.kafka()


def on_broker(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work``; a broker that cannot be reached is one line and exit 1."""
    try:
        return asyncio.run(work)
    except (KafkaError, OSError) as error:
        typer.echo(f"broker: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(code=1) from None
