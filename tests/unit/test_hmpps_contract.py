"""Contract tests: HMPPS messages as published (bare and SNS-wrapped) against our JSON Schemas,
and what the backbone makes of each (issue 13, item 5). Samples: ``tests/fixtures/hmpps/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from adapters.hmpps_schemas import BY_EVENT_TYPE, SCHEMAS, SNS_SCHEMA
from domain.custody import RECEIVED_REASONS, RELEASED_REASONS, Custody, CustodyStatus
from services.inbound_errors import Rejected
from services.inbound_parse import command_in

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "hmpps"
BARE = sorted(p.name for p in SAMPLES.glob("*.json") if not p.name.endswith(".sns.json"))


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return loaded


def valid(schema: dict[str, Any], message: dict[str, Any]) -> list[str]:
    checker = Draft202012Validator(schema, format_checker=FormatChecker())
    return [e.message for e in checker.iter_errors(message)]


def command(message: dict[str, Any]) -> Any:
    return command_in(json.dumps(message).encode(), (), True, 262144)


def test_every_schema_is_a_valid_json_schema() -> None:
    for schema in SCHEMAS.values():
        Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", BARE)
def test_each_bare_sample_matches_the_schema_of_its_event_type(name: str) -> None:
    message = sample(name)
    assert valid(BY_EVENT_TYPE[message["eventType"]], message) == []


@pytest.mark.parametrize("name", BARE)
def test_each_sns_sample_matches_the_envelope_and_carries_a_valid_event(name: str) -> None:
    wrapped = sample(name.replace(".json", ".sns.json"))
    assert valid(SNS_SCHEMA, wrapped) == []
    inner = json.loads(wrapped["Message"])
    assert inner == sample(name)
    assert wrapped["MessageAttributes"]["eventType"]["Value"] == inner["eventType"]


@pytest.mark.parametrize("name", BARE)
def test_the_bare_and_the_sns_wrapped_form_are_one_command(name: str) -> None:
    bare, wrapped = command(sample(name)), command(sample(name.replace(".json", ".sns.json")))
    assert bare == wrapped


def test_the_recorded_movement_keeps_the_full_field_set() -> None:
    movement = command(sample("received.sns.json")).movement  # type: ignore[attr-defined]
    assert (movement.kind, movement.reason, movement.prison_id) == ("received", "ADMISSION", "SWI")
    assert movement.published_at.isoformat() == "2024-06-11T15:14:21.667770+01:00"
    assert movement.description == "A prisoner has been received into prison"
    assert movement.detail_url.endswith("/prisoner/A3690EA")
    assert movement.details == "ACTIVE IN:ADM-N"
    assert (movement.current_location, movement.current_prison_status) == (
        "IN_PRISON",
        "UNDER_PRISON_CARE",
    )
    assert movement.nomis_movement_reason_code == "N"


def test_a_merge_becomes_a_merge_of_the_removed_number_into_the_kept_one() -> None:
    merge: Any = command(sample("merged.sns.json"))
    assert merge.type == "merge_prisoner" and merge.agency == "admin:backbone"
    assert (merge.prison_number, merge.removed_prison_number) == ("A3645EA", "A3646EA")


@pytest.mark.parametrize(
    ("reasons", "event"),
    [(RECEIVED_REASONS, "received.json"), (RELEASED_REASONS, "released.json")],
)
def test_every_reason_hmpps_publishes_is_accepted(reasons: tuple[str, ...], event: str) -> None:
    for reason in reasons:
        message = sample(event)
        message["additionalInformation"]["reason"] = reason
        assert valid(BY_EVENT_TYPE[message["eventType"]], message) == []
        assert command(message).movement.reason == reason


def test_a_reason_hmpps_does_not_publish_is_refused_with_the_ones_it_does() -> None:
    message = sample("released.json")
    message["additionalInformation"]["reason"] = "ESCAPED"
    assert valid(BY_EVENT_TYPE[message["eventType"]], message) != []
    with pytest.raises(Rejected, match=r"unknown reason 'ESCAPED'.*RELEASED_TO_HOSPITAL"):
        command(message)


def test_an_sns_envelope_whose_event_type_attribute_differs_is_refused() -> None:
    wrapped = sample("received.sns.json")
    wrapped["MessageAttributes"]["eventType"]["Value"] = "prison-offender-events.prisoner.merged"
    with pytest.raises(Rejected, match="differs from the event's eventType"):
        command(wrapped)


def test_an_sns_envelope_whose_message_is_not_json_is_refused() -> None:
    wrapped = sample("received.sns.json")
    wrapped["Message"] = "{not json"
    with pytest.raises(Rejected, match="SNS Message is not a JSON event"):
        command(wrapped)


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("RELEASED_TO_HOSPITAL", CustodyStatus.IN_HOSPITAL),
        ("UNKNOWN", CustodyStatus.UNKNOWN),
        ("RELEASED", CustodyStatus.RELEASED),
        ("SENT_TO_COURT", CustodyStatus.AT_COURT),
    ],
)
def test_every_released_reason_gives_a_custody_status(reason: str, status: CustodyStatus) -> None:
    message = sample("released.json")
    message["additionalInformation"]["reason"] = reason
    move: Any = command(message)
    custody = Custody(prison_number="A3690EA", meta=move.meta())
    custody.record_movement(move.movement, move.meta())
    assert custody.status is status
    held = status is CustodyStatus.AT_COURT
    assert custody.current_prison == ("SWI" if held else None)
