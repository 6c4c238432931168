"""From an inbound record's bytes and headers to a command, or :class:`Rejected` with the reason.

Nothing here may raise anything else: every failure of decoding, parsing or validating a message
is a fact about that message, so :func:`command_in` turns whatever is raised into a rejection.
Headers may come in any shape Kafka allows: a key more than once, a null value, binary values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from pydantic import ValidationError

from adapters.hmpps import hmpps_message
from adapters.hmpps_sns import is_sns, unwrap
from domain.agencies import registered_agencies
from domain.agency_roles import refusal
from domain.errors import AgencyNotPermitted
from services.commands import COMMAND_MODELS, Command, parse_command
from services.inbound_errors import Rejected, describe, explain, shorten

SENDER_HEADER = "rjb_agency"
ACTS_ONLY_AS_ITSELF = "an_agency_acts_only_as_itself"

Headers = Sequence[tuple[str, bytes | None]]


def check_size(value: bytes | None, limit: int) -> bytes:
    if value is None:
        raise Rejected("empty message: the record has no value", "EmptyMessage")
    if len(value) > limit:
        raise Rejected(
            f"message too large: {len(value)} bytes, the limit is {limit} "
            "(RJB_INBOUND_MAX_MESSAGE_BYTES)",
            "MessageTooLarge",
        )
    return value


def decode(body: bytes) -> dict[str, Any]:
    """The JSON object in ``body`` (UTF-8; orjson refuses nesting deeper than 1024)."""
    try:
        text = body.decode()
    except UnicodeDecodeError as error:
        raise Rejected(
            f"malformed JSON: not UTF-8: {describe(error)}", "UnicodeDecodeError"
        ) from error
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise Rejected(f"malformed JSON: {describe(error)}", "JSONDecodeError") from error
    if not isinstance(raw, dict):
        got = type(raw).__name__
        raise Rejected(f"malformed message: expected a JSON object, got {got}", "NotAnObject")
    return raw


def is_hmpps(raw: dict[str, Any]) -> bool:
    """An HMPPS domain event: bare (``eventType``) or in its SNS envelope (``Type``+``Message``)."""
    return "eventType" in raw or is_sns(raw)


def parse(raw: dict[str, Any], movement: bool | None) -> Command:
    """``movement``: an HMPPS message (bare or SNS-wrapped: received, released, merged), or a
    command; None: an HMPPS message if it looks like one."""
    if movement is None:
        movement = is_hmpps(raw)
    try:
        if movement:
            return parse_command(hmpps_message(unwrap(raw)).to_command())
        kind = raw.get("type")
        if not isinstance(kind, str) or kind not in COMMAND_MODELS:
            raise Rejected(f"unknown command type {shorten(repr(kind), 200)}", "UnknownCommandType")
        return parse_command(raw)
    except Rejected:
        raise
    except ValidationError as error:
        raise Rejected(f"schema violation: {explain(error)}", "ValidationError") from error
    except Exception as error:  # e.g. a movement with no NOMS number, or a bug on odd input
        raise Rejected(f"schema violation: {describe(error)}", type(error).__name__) from error


def claimed_sender(headers: Headers) -> str | None:
    """The ``rjb_agency`` header: absent, or one value (repeated copies must agree)."""
    values = {value for key, value in headers if key == SENDER_HEADER}
    if not values:
        return None
    if len(values) > 1:
        shown = ", ".join(sorted(repr(v) for v in values))
        raise Rejected(f"conflicting {SENDER_HEADER} headers: {shown}", "SenderMismatch")
    (value,) = values
    if value is None:
        raise Rejected(f"{SENDER_HEADER} header has a null value", "SenderMismatch")
    try:
        return value.decode()
    except UnicodeDecodeError as error:
        raise Rejected(f"{SENDER_HEADER} header: {describe(error)}", "SenderMismatch") from error


def check_sender(command: Command, headers: Headers) -> None:
    sender = claimed_sender(headers)
    if sender is not None and sender != command.agency:
        raise Rejected(
            f"sent by {shorten(sender, 200)} but claims to come from {command.agency} "
            f"[rule: {ACTS_ONLY_AS_ITSELF}]",
            "SenderMismatch",
        )
    reason = refusal(command.agency, command.type)
    if reason:
        rule = AgencyNotPermitted.rule
        raise Rejected(f"agency role: {reason} [rule: {rule}]", "AgencyNotPermitted")


def acting_as(raw: dict[str, Any], agency: str) -> dict[str, Any]:
    """The command as sent by ``agency``, the owner of the inbound topic it was read from: a
    command naming no agency acts as the topic's owner; one naming another is impersonation."""
    claimed = raw.get("agency", agency)
    if claimed != agency:
        raise Rejected(
            f"impersonation: read from the inbound topic of {agency}, whose principal alone may "
            f"write there, but the command names {shorten(repr(claimed), 200)} as acting agency "
            f"[rule: {ACTS_ONLY_AS_ITSELF}]",
            "Impersonation",
        )
    return {**raw, "agency": agency}


def command_in(
    value: bytes | None,
    headers: Headers,
    movement: bool | None,
    max_bytes: int,
    registered: Mapping[str, Iterable[str]] | None = None,
    acting: str | None = None,
) -> Command:
    """The command a record carries, checked: size, JSON, impersonation, schema, sender and
    agency role.

    ``registered``: the agencies an administrator registered (read from the store beforehand, so
    that a store failure is not taken for a fault of the message), known besides reference data.
    ``acting``: the agency whose own inbound topic the record was read from (commands only).
    """
    with registered_agencies(registered or {}):
        return checked_command(value, headers, movement, max_bytes, acting)


def checked_command(
    value: bytes | None,
    headers: Headers,
    movement: bool | None,
    max_bytes: int,
    acting: str | None = None,
) -> Command:
    """:func:`command_in` within a ``registered_agencies`` block the caller holds (for a whole
    read: entering it copies the registry, a quarter of parsing a referral)."""
    try:
        raw = decode(check_size(value, max_bytes))
        if acting is not None:
            raw = acting_as(raw, acting)
        command = parse(raw, movement)
        check_sender(command, headers)
    except Rejected:
        raise
    except Exception as error:  # anything else raised by odd input is still about the input
        raise Rejected(f"malformed message: {describe(error)}", type(error).__name__) from error
    return command
