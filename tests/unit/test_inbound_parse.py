"""Whatever an inbound message holds, reading it ends in a command or a rejection with a reason."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import orjson
import psycopg
import pytest
from eventsourcing import persistence

from domain.errors import CaseClosed
from services.command_service import ConcurrencyConflict
from services.inbound_errors import Rejected, is_transient
from services.inbound_parse import Headers, command_in
from services.kafka_runtime.inbound_settings import InboundSettings

LIMIT = 256 * 1024


def command(**fields: Any) -> dict[str, Any]:
    return {
        "type": "refer_case",
        "command_id": "c-1",
        "agency": "police:kent",
        "user": "pc-1",
        "occurred_at": "2025-01-02T10:00:00+00:00",
        "route": "police",
        "cjs_stage": "pre_charge",
        "crime_type": "theft",
        "pcc_area": "kent",
        "crime_reported_on": None,
        "summary": "Theft of a bicycle",
        **fields,
    }


def rejection(value: bytes | None, headers: Headers = (), movement: bool = False) -> Rejected:
    with pytest.raises(Rejected) as caught:
        command_in(value, headers, movement, LIMIT)
    return caught.value


@pytest.mark.parametrize(
    ("value", "error", "reason_starts"),
    [
        (orjson.dumps(command(type=["x"])), "UnknownCommandType", "unknown command type ['x']"),
        (orjson.dumps(command(type={"a": 1})), "UnknownCommandType", "unknown command type {'a'"),
        (orjson.dumps(command(summary={"deep": [1, 2]})), "ValidationError", "schema violation"),
        (orjson.dumps(command(crime_type=["theft"])), "ValidationError", "schema violation"),
        (orjson.dumps(command(occurred_at=[[[]]])), "ValidationError", "schema violation"),
        (b"\xff" + os.urandom(64), "UnicodeDecodeError", "malformed JSON: not UTF-8"),
        (
            b"{" + os.urandom(64).hex().encode(),
            "JSONDecodeError",
            "malformed JSON: JSONDecodeError",
        ),
        (b"[1, 2, 3]", "NotAnObject", "malformed message: expected a JSON object, got list"),
        (b'"just a string"', "NotAnObject", "malformed message"),
        (b"[" * 100_000 + b"]" * 100_000, "JSONDecodeError", "malformed JSON"),
        (b'{"a":' * 40_000 + b"1" + b"}" * 40_000, "JSONDecodeError", "malformed JSON"),
        (b"", "JSONDecodeError", "malformed JSON"),
        (None, "EmptyMessage", "empty message"),
        (b'{"type": "refer_case"' + b" " * LIMIT + b"}", "MessageTooLarge", "message too large"),
        (b'{"summary": "caf\xe9"}', "UnicodeDecodeError", "malformed JSON: not UTF-8"),
    ],
    ids=[
        "type-is-a-list",
        "type-is-an-object",
        "wrong-type-at-depth",
        "enum-as-list",
        "date-as-nested-lists",
        "random-bytes",
        "truncated-json",
        "json-array",
        "json-string",
        "100k-nested-lists",
        "40k-nested-objects",
        "empty-bytes",
        "null-value",
        "over-the-size-limit",
        "not-utf-8",
    ],
)
def test_a_poison_pill_is_rejected_with_its_kind_and_reason(
    value: bytes | None, error: str, reason_starts: str
) -> None:
    rejected = rejection(value)
    assert rejected.error == error
    assert rejected.reason.startswith(reason_starts)


def test_the_size_limit_is_checked_before_parsing_and_names_the_setting() -> None:
    rejected = rejection(b"x" * (LIMIT + 1))  # not JSON either: the size is what is reported
    assert rejected.reason == (
        f"message too large: {LIMIT + 1} bytes, the limit is {LIMIT} "
        "(RJB_INBOUND_MAX_MESSAGE_BYTES)"
    )


def test_a_movement_with_an_odd_shape_is_rejected_not_raised() -> None:
    odd = {
        "eventType": ["prison-offender-events.prisoner.received"],
        "occurredAt": 5,
        "additionalInformation": [1, 2],
    }
    assert rejection(orjson.dumps(odd), movement=True).reason.startswith("schema violation")


def test_a_long_reason_is_cut_to_two_thousand_characters() -> None:
    rejected = rejection(orjson.dumps(command(type="x" * 100_000)))
    assert len(rejected.reason) <= 2000


@pytest.mark.parametrize(
    "headers",
    [
        [("trace", None)],
        [("trace", b"\xff\xfe\x00binary")],
        [("trace", b"a"), ("trace", b"b"), ("rjb_agency", b"police:kent")],
        [("rjb_agency", b"police:kent"), ("rjb_agency", b"police:kent")],
    ],
    ids=["null-value", "binary-value", "repeated-keys", "repeated-agreeing-sender"],
)
def test_headers_of_any_shape_do_not_stop_a_good_command(headers: Headers) -> None:
    assert command_in(orjson.dumps(command()), headers, False, LIMIT).command_id == "c-1"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([("rjb_agency", None)], "rjb_agency header has a null value"),
        ([("rjb_agency", b"\xff")], "rjb_agency header: UnicodeDecodeError"),
        ([("rjb_agency", b"police:kent"), ("rjb_agency", b"police:essex")], "conflicting"),
        ([("rjb_agency", b"police:essex")], "sent by police:essex but claims to come from"),
    ],
    ids=["null", "binary", "conflicting-copies", "mismatch"],
)
def test_a_sender_header_that_cannot_be_trusted_is_a_sender_mismatch(
    headers: Headers, reason: str
) -> None:
    rejected = rejection(orjson.dumps(command()), headers)
    assert rejected.error == "SenderMismatch"
    assert rejected.reason.startswith(reason)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection refused"),
        persistence.OperationalError("server closed the connection unexpectedly"),
        sqlite3.OperationalError("database is locked"),
        ConnectionResetError("reset by peer"),
        ConcurrencyConflict("moved on every attempt"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_unreachable_store_is_a_transient_failure(error: Exception) -> None:
    assert is_transient(error)


def test_a_failure_raised_from_an_unreachable_store_is_transient_too() -> None:
    try:
        try:
            raise psycopg.OperationalError("timeout")
        except psycopg.OperationalError as cause:
            raise RuntimeError("could not load the aggregate") from cause
    except RuntimeError as error:
        assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        TypeError("unhashable type: 'list'"),
        persistence.DataError("A string literal cannot contain NUL (0x00) characters."),
        persistence.ProgrammingError("syntax error"),
        CaseClosed("closed"),
        ValueError("bad"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_anything_else_is_not_transient(error: Exception) -> None:
    assert not is_transient(error)


def test_back_off_doubles_up_to_its_ceiling() -> None:
    limits = InboundSettings(retry_backoff=0.5, retry_backoff_max=3.0)
    assert [limits.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_an_agency_an_administrator_registered_is_known_to_inbound_parsing() -> None:
    signing = {
        "type": "sign_agreement",
        "command_id": "c-sign",
        "agency": "provider:kent-rj-hub",
        "user": "u",
        "occurred_at": "2025-01-02T10:00:00+00:00",
        "reference": "ISA-KENT-9",
        "signatory": "Jo Bloggs",
    }
    assert "unknown agency" in rejection(orjson.dumps(signing)).reason
    registered = {"provider:kent-rj-hub": ["kent"]}
    parsed = command_in(orjson.dumps(signing), (), None, LIMIT, registered)
    assert parsed.agency == "provider:kent-rj-hub"
