"""What goes over each topic, as pydantic models, so the AsyncAPI document carries real schemas.

The inbound subscribers document their payloads with :class:`DocumentedAs`: the schema shown is
the command union or the HMPPS message, but FastStream hands the handler the raw bytes without
validating them, because validation (and the dead letter for a bad message) is ours to do in
``services.kafka_runtime.inbound``: a message that fails in FastStream's decoder would never be
dead-lettered.
Kafka headers are not in FastStream's AsyncAPI model, so the header models here are added to the
document's messages by ``services.kafka_runtime.asyncapi_app``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from adapters.hmpps import PrisonMovementMessage
from domain.base import EventMeta
from services.commands import AnyCommand


class DocumentedAs:
    """Annotation: the JSON schema of ``documented``, while any value passes unvalidated."""

    def __init__(self, documented: Any) -> None:
        self.documented = documented

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        documented = handler.generate_schema(self.documented)
        metadata = {"pydantic_js_annotation_functions": [lambda _c, h: h(documented)]}
        # The serializer keeps the documented definitions reachable (as SkipValidation does).
        serialization = core_schema.plain_serializer_function_ser_schema(
            lambda value: value, return_schema=documented
        )
        return core_schema.any_schema(metadata=metadata, serialization=serialization)  # type: ignore[arg-type]


CommandBody = Annotated[bytes, DocumentedAs(AnyCommand)]
MovementBody = Annotated[bytes, DocumentedAs(PrisonMovementMessage)]


async def raw_body(message: Any) -> bytes:
    """FastStream decoder that never fails: the record's value, as sent."""
    body: bytes = message.body
    return body


def readable(value: bytes | None) -> bool:
    if value is None:
        return False
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


async def any_headers(record: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream parser that takes headers of any shape.

    FastStream's own parser decodes every header value as UTF-8: a null or binary value made it
    raise before our handler ran, and a later commit passed the message by. It is handed a copy
    with only the headers it can read; the message keeps the record as sent, whose headers the
    handler reads and the dead letter keeps.
    """
    headers = record.headers or ()
    if all(readable(value) for _, value in headers):
        return await original(record)
    copy = dataclasses.replace(record, headers=[(k, v) for k, v in headers if readable(v)])
    message = await original(copy)
    message.raw_message = record
    return message


async def any_headers_batch(
    records: tuple[Any, ...], original: Callable[[Any], Awaitable[Any]]
) -> Any:
    """:func:`any_headers` for a batch subscriber: FastStream parses copies with only readable
    headers; the message keeps the records as sent."""
    if all(readable(value) for record in records for _, value in record.headers or ()):
        return await original(records)
    copies = tuple(
        dataclasses.replace(r, headers=[(k, v) for k, v in r.headers or () if readable(v)])
        for r in records
    )
    message = await original(copies)
    message.raw_message = records
    return message


class StoredEvent(BaseModel):
    """A stored event as JSON: these fields, then the event's own fields (per ``ce_type``).

    On a shared topic, fields the recipient is not granted are left out (see ``ce_recipient``
    and the ``share_decisions`` table).
    """

    model_config = ConfigDict(extra="allow", title="StoredEvent")

    originator_id: UUID = Field(description="Aggregate id (the case, custody or agreement)")
    originator_version: int = Field(ge=1, description="Version of the aggregate: 1, 2, 3, ...")
    timestamp: datetime = Field(description="When the backbone recorded the event")
    meta: EventMeta


def _header(description: str, **kw: Any) -> Any:
    return Field(description=description, **kw)


class CloudEventHeaders(BaseModel):
    """CloudEvents 1.0 binary mode: the attributes as ``ce_*`` Kafka headers (UTF-8)."""

    model_config = ConfigDict(populate_by_name=True, title="CloudEventHeaders")

    ce_specversion: str = _header("CloudEvents version", json_schema_extra={"const": "1.0"})
    ce_id: UUID = _header("uuid5(aggregate id, version): the same on every republishing")
    ce_source: str = _header("Acting agency, e.g. police:west-yorkshire")
    ce_type: str = _header(
        "uk.gov.rj.<case|custody|agreement>.<event>.v<N>, e.g. uk.gov.rj.case.referred.v2",
        pattern=r"^uk\.gov\.rj\.[a-z_]+\.[a-z_]+\.v[0-9]+$",
    )
    ce_time: datetime = _header("When it happened (meta.occurred_at)")
    ce_subject: UUID = _header("Aggregate id (also the record key)")
    ce_sequence: int = _header("Position in the store's notification log")
    ce_dataref: str | None = _header(
        "Where an entitled consumer resolves the event's sealed personal fields "
        "(GET .../v1/events/{id}/{version}/personal, with its bearer token); present when the "
        "event has any. A consumer's own plaintext copy is the consumer's responsibility",
        default=None,
    )
    content_type: str = Field(
        alias="content-type",
        description="Content type of the value",
        json_schema_extra={"const": "application/json"},
    )


class SharedEventHeaders(CloudEventHeaders):
    model_config = ConfigDict(title="SharedEventHeaders")

    ce_recipient: str = _header("The agency this copy is for (its sharing agreements apply)")


class InboundHeaders(BaseModel):
    model_config = ConfigDict(title="InboundHeaders")

    rjb_agency: str | None = _header(
        "Optional: the sending agency; the message is dead-lettered unless it matches `agency` "
        "(copies of the header must agree; a null or non-UTF-8 value is refused)",
        default=None,
    )


class DeadLetterHeaders(InboundHeaders):
    """Readable; the original key and headers are sealed into the value with it."""

    model_config = ConfigDict(title="DeadLetterHeaders", extra="allow")

    rjb_dlq_reason: str = _header(
        "Why: message too large, empty message, malformed JSON (or not UTF-8), malformed "
        "message, unknown command type, schema violation, agency role, sender mismatch, domain "
        "rule or not stored (data the store refuses), with details; at most 2,000 characters"
    )
    rjb_dlq_error: str = _header(
        "The kind of failure: the exception class (e.g. ValidationError, JSONDecodeError, "
        "CaseClosed) or MessageTooLarge, EmptyMessage, NotAnObject, UnknownCommandType, "
        "SenderMismatch, AgencyNotPermitted"
    )
    rjb_dlq_source_topic: str = _header("Topic the message came from")
    rjb_dlq_source_partition: int = _header("Its partition")
    rjb_dlq_source_offset: int = _header("Its offset")
    rjb_dlq_original_size: int = _header("Size of the original value in bytes")
    rjb_dlq_original_sha256: str = _header(
        "sha256 of the original value (hex)", pattern="^[0-9a-f]{64}$"
    )
    rjb_dlq_truncated: str | None = _header(
        "Present when the dead letter would exceed RJB_INBOUND_DEAD_LETTER_MAX_BYTES: `value` "
        "(only the first bytes are kept) or `key`",
        default=None,
    )
    rjb_dlq_headers_dropped: int | None = _header(
        "Present when the original headers alone were too big to keep: how many were dropped",
        default=None,
    )
    rjb_dlq_sealed: str | None = _header(
        "The backbone's dead-letter day key the value is sealed under (`$dead-letters/<day>`)",
        default=None,
    )


DeadLetter = Annotated[
    bytes,
    Field(
        description="Sealed: nonce + AES-GCM ciphertext of the rejected message's original key, "
        "headers and bytes (cut short when `rjb_dlq_truncated` says so) under the day key that "
        "`rjb_dlq_sealed` names; only the backbone opens it (`rjb dlq show`, `rjb dlq retry`)"
    ),
]
