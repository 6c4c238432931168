"""The pieces of a record built from the stored state say what the decoded event's record says:
the event id, and ``ce_time`` as Python writes the time pydantic stored."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

from pydantic import BaseModel

from adapters.cloudevents import event_id, event_id_text
from adapters.stored_records import python_iso


class At(BaseModel):
    at: datetime


def test_an_event_id_written_directly_is_the_name_based_uuid_of_its_aggregate_and_version() -> None:
    for version in [*range(1, 300), 10**6, 2**40]:
        aggregate = uuid4()
        assert event_id_text(aggregate, version) == str(event_id(aggregate, version))


def test_a_stored_time_reads_as_the_decoded_events_time_writes_itself() -> None:
    rng = random.Random(14)
    zones = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-9, minutes=-30))]
    zones.append(timezone(timedelta(seconds=3723)))
    for _ in range(3000):
        moment = datetime(2000, 1, 1, tzinfo=rng.choice(zones)) + timedelta(
            seconds=rng.randrange(10**9), microseconds=rng.choice([0, 400000, rng.randrange(10**6)])
        )
        stored = At(at=moment).model_dump(mode="json")["at"]
        assert python_iso(stored) == At.model_validate({"at": stored}).at.isoformat(), stored
