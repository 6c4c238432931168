"""``POST /v1/commands``: one agency command, the JSON of the Kafka topics, as the token's agency.

The acting agency is the token's: a body naming another agency is refused (403, impersonation),
a body without ``agency`` gets the token's. ``Idempotency-Key`` is the command id: it fills
``command_id`` when the body has none and must equal it when both are given. Sending a command
again with the same id has no second effect (the result says ``repeat: true``). An HMPPS domain
event (bare or in its SNS envelope) is accepted too and becomes its command: a prison's token
records its own movements, an administrator's applies a prisoner merge; its command id is the
content-derived one, so a copy sent over Kafka as well has one effect. Concurrent requests
share one transaction (``services/command_coalescer.py``, ``RJB_HTTP_COALESCE_MS``), each
answered with its own result or problem.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from adapters.hmpps import hmpps_message
from adapters.hmpps_sns import unwrap
from domain.text import MAX_IDENTIFIER
from services import prisoner_merge
from services.bootstrap import Backbone
from services.command_apply import CommandResult
from services.command_coalescer import CoalescerClosed, CommandCoalescer
from services.commands import Command, parse_command
from services.credentials import registry_in_force
from services.http.auth import Caller, Store
from services.http.problems import Problem, ProblemDetail
from services.identity import Identity, Role
from services.inbound_parse import ACTS_ONLY_AS_ITSELF, is_hmpps

router = APIRouter(tags=["commands"])

COMMAND_SCHEMA_REF = "#/components/schemas/AgencyCommand"


class CommandOutcome(BaseModel):
    """What the command service did with the command."""

    command_id: str
    command_type: str
    aggregate_id: UUID = Field(description="The case, agreement, custody record or registry")
    version: int = Field(description="The aggregate's version after the command")
    new_events: int = Field(description="Events this command recorded (0 for a repeat)")
    repeat: bool = Field(description="The command id was applied before: no second effect")

    @classmethod
    def of(cls, r: CommandResult) -> CommandOutcome:
        return cls(
            command_id=r.command_id,
            command_type=r.command_type,
            aggregate_id=r.aggregate_id,
            version=r.version,
            new_events=r.new_events,
            repeat=r.duplicate,
        )


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemDetail, "description": text}
    for status, text in [
        (401, "No valid token"),
        (403, "Impersonation, a role the caller lacks, or a rule of who may act"),
        (404, "No such case or agreement"),
        (409, "Refused by the current state"),
        (413, "Body too large"),
        (422, "Invalid command (errors per field) or refused by a rule"),
        (503, "Concurrent writers, or the store did not answer: retry"),
    ]
}


def command_body(raw: bytes, caller: Identity, key: str | None) -> dict[str, Any]:
    """The body as a command from the caller: agency (and user) from the token, the key checked."""
    try:
        body: dict[str, Any] | Any = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise Problem(422, "invalid-json", f"malformed JSON: {error}") from error
    if not isinstance(body, dict):
        raise Problem(422, "invalid-json", "the body must be a JSON object (one command)")
    if is_hmpps(body):
        body = hmpps_body(body, caller)
    claimed = body.get("agency")
    if claimed is not None and claimed != caller.agency:
        raise Problem(
            403,
            "impersonation",
            f"the body claims agency {str(claimed)[:80]!r} but the token "
            f"is for {caller.agency}: an agency acts only as itself",
            rule=ACTS_ONLY_AS_ITSELF,
        )
    body["agency"] = caller.agency
    body.setdefault("user", caller.subject[:MAX_IDENTIFIER])
    if key is not None:
        given = body.setdefault("command_id", key)
        if given != key:
            raise Problem(
                422,
                "idempotency-key-mismatch",
                "the Idempotency-Key header and the body's command_id differ",
                errors=[
                    {"location": "header.Idempotency-Key", "message": f"is {key[:80]!r}"},
                    {"location": "body.command_id", "message": f"is {str(given)[:80]!r}"},
                ],
            )
    return body


def hmpps_body(body: dict[str, Any], caller: Identity) -> dict[str, Any]:
    """An HMPPS domain event (bare or SNS-wrapped) as the command it becomes, sent by the caller:
    a prison's own movements (``record_movement``), an administrator's prisoner merge."""
    try:
        command = hmpps_message(unwrap(body)).to_command(agency=caller.agency)
    except ValidationError:
        raise
    except ValueError as error:
        raise Problem(422, "invalid-command", f"HMPPS message: {error}") from error
    return {**command, "user": caller.subject[:MAX_IDENTIFIER]}


@router.post(
    "/v1/commands",
    response_model=CommandOutcome,
    summary="Submit one agency command",
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": COMMAND_SCHEMA_REF}}},
        }
    },
)
async def submit_command(
    request: Request,
    caller: Caller,
    backbone: Store,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=MAX_IDENTIFIER,
            description="The command id (idempotency key); must equal the body's command_id",
        ),
    ] = None,
) -> CommandOutcome:
    body = command_body(await request.body(), caller, idempotency_key)
    command = await run_in_threadpool(parse, backbone, caller, body)
    return CommandOutcome.of(await apply(request.app.state.coalescer, backbone, command))


async def apply(
    coalescer: CommandCoalescer | None, backbone: Backbone, command: Command
) -> CommandResult:
    """Through the coalescer (one transaction shared with concurrent requests) when there is
    one; else, or while it shuts down, alone in a worker thread."""
    if coalescer is not None:
        try:
            future = coalescer.submit(command)
        except CoalescerClosed:
            pass
        else:  # shielded: a client that goes away does not take its command out of the batch
            return await asyncio.shield(asyncio.wrap_future(future))
    return await run_in_threadpool(prisoner_merge.handle, backbone.commands, command)


def parse(backbone: Backbone, caller: Identity, body: dict[str, Any]) -> Command:
    """The command, registered agencies known; registering an agency needs the role."""
    with registry_in_force(backbone.commands):
        command: Command = parse_command(body)
    if command.type == "register_agency":
        caller.require(Role.ADMINISTRATOR, "registering an agency")
    return command
