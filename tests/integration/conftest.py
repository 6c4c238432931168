"""Fixtures for tests on the stores (the head teacher's case, raw rows for tampering) and for
tests over Kafka (the backbone's Kafka parts on both stores, running inbound subscribers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from uuid import UUID

import pytest

from services.bootstrap import Backbone, build
from services.demo.runner import run_script
from services.demo.stories import STORIES
from services.kafka_runtime.inbound import Inbound
from services.kafka_runtime.wiring import KafkaParts
from services.settings import Settings
from tests.integration.tamper import RawRows
from tests.kafka_helpers import agencies_sending_in_tests, fast_kafka_settings
from tests.servers import Broker


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


@pytest.fixture
def parts(
    kafka_broker: Broker, store_settings: Settings, topic_prefix: str
) -> Iterator[KafkaParts]:
    """The backbone's Kafka parts on SQLite and on PostgreSQL, with topics of the test's own."""
    bb = build(fast_kafka_settings(store_settings, topic_prefix))
    yield bb.kafka(kafka_broker.bootstrap)
    bb.close()


@pytest.fixture
async def inbound(parts: KafkaParts) -> AsyncIterator[Inbound]:
    """The inbound subscribers, running, after the agencies' inbound topics exist."""
    await parts.ensure_inbound_topics(agencies_sending_in_tests())
    service = parts.inbound(quiet=True)
    await service.start()
    yield service
    await service.stop()
