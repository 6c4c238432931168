"""A real Kafka-protocol broker (tansu, in memory) on a loopback port for the whole session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from adapters.local_broker import LocalBroker
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
