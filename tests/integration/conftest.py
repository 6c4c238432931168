"""A real Kafka-protocol broker (tansu, in memory) on a loopback port for the whole session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from uuid import UUID

import pytest

from adapters.local_broker import LocalBroker
from services.bootstrap import Backbone
from services.demo.runner import run_script
from services.demo.stories import STORIES
from tests.integration.tamper import RawRows
from tests.kafka_helpers import fast_kafka_settings


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[LocalBroker]:
    with LocalBroker() as broker:
        yield broker


@pytest.fixture
def topic_prefix() -> str:
    """Each test gets its own topics on the shared broker."""
    return f"t{uuid.uuid4().hex[:10]}"


__all__ = ["fast_kafka_settings"]


@pytest.fixture
def head_teacher_case(backbone: Backbone) -> UUID:
    """The head teacher's story, stored; its case id."""
    return run_script(backbone.commands, STORIES[0]()).script.case_id


@pytest.fixture
def rows(backbone: Backbone) -> Iterator[RawRows]:
    """Direct SQL on the store's tables, as someone tampering with the database would use."""
    raw = RawRows(backbone.settings)
    yield raw
    raw.close()
