"""Opening a sealed dead letter in tests, as ``rjb dlq show`` does."""

from __future__ import annotations

from typing import Any

from adapters.dead_letter_seal import DLQ_SEALED, DeadLetterSeal, Header
from services.kafka_runtime.dead_letters import DLQ_OFFSET, DLQ_PARTITION, DLQ_TOPIC
from services.kafka_runtime.wiring import KafkaParts


def opened(parts: KafkaParts, record: Any) -> tuple[bytes | None, list[Header], bytes]:
    """A dead letter's original key, headers and value, opened with the backbone's day key."""
    seal = DeadLetterSeal.of(parts.backbone.store, 14)
    assert seal is not None
    h = {k: (v or b"").decode() for k, v in record.headers}
    found = seal.open(record.value, h[DLQ_SEALED], h[DLQ_TOPIC], h[DLQ_PARTITION], h[DLQ_OFFSET])
    assert found is not None
    return found
