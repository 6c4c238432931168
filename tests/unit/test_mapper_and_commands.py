"""Serialisation through the one mapper, upcasting of old events, and command validation."""

from __future__ import annotations

from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from pydantic import ValidationError

from adapters.mapper import OrjsonTranscoder, PydanticMapper
from domain.case.aggregate import Case
from services.commands import COMMAND_MODELS, SPECS, parse_command
from tests.unit.case_builders import ready_case

mapper = PydanticMapper(transcoder=OrjsonTranscoder())


def test_every_event_survives_a_round_trip_through_the_mapper() -> None:
    case = ready_case()
    for event in case.collect_events():
        stored = mapper.to_stored_event(event)
        assert mapper.to_domain_event(stored) == event


def test_stored_events_carry_their_metadata_and_class_version() -> None:
    referred = ready_case().collect_events()[0]
    state = orjson.loads(mapper.to_stored_event(referred).state)
    assert state["class_version"] == 2
    assert set(state["meta"]) >= {"agency", "user", "occurred_at", "command_id", "correlation_id"}


def test_a_version_1_referral_is_upcast_on_read() -> None:
    referred = ready_case().collect_events()[0]
    v2 = orjson.loads(mapper.to_stored_event(referred).state)
    v1 = {k: v for k, v in v2.items() if k not in ("class_version", "crime_reported_on")}
    v1["area"] = v1.pop("pcc_area")
    old = StoredEvent(
        originator_id=referred.originator_id,
        originator_version=1,
        topic=mapper.to_stored_event(referred).topic,
        state=orjson.dumps(v1),
    )
    event = mapper.to_domain_event(old)
    assert isinstance(event, Case.Referred)
    assert event.pcc_area == "west-yorkshire" and event.crime_reported_on is None


def test_every_aggregate_command_has_a_command_model() -> None:
    assert set(COMMAND_MODELS) == set(SPECS)
    assert "record_consent" in COMMAND_MODELS and "refer_case" in COMMAND_MODELS


def test_a_command_with_a_wrong_field_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as err:
        parse_command(
            {
                "type": "record_consent",
                "command_id": "c1",
                "agency": "pcc:kent",
                "user": "u",
                "occurred_at": "2025-01-01T10:00:00Z",
                "case_id": str(uuid4()),
                "participant_id": "v1",
                "form_reference": "F",
                "surprise": 1,
            }
        )
    assert "surprise" in str(err.value)


def test_a_command_without_a_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        parse_command(
            {
                "type": "inform_victim",
                "command_id": "c1",
                "agency": "pcc:kent",
                "user": "u",
                "occurred_at": "2025-01-01T10:00:00",
                "case_id": str(uuid4()),
                "participant_id": "v1",
            }
        )


def test_an_unknown_command_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        parse_command(b'{"type": "teleport", "command_id": "c"}')
