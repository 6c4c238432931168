"""The dead-letter topic: a rejected message's bytes and headers, plus why and where from.

A dead letter must never vanish. It keeps the original headers as they came (repeated keys, null
and binary values included) and adds the ``rjb_dlq_*`` headers, among them the original value's
size and sha256. A record that would not fit under ``RJB_INBOUND_DEAD_LETTER_MAX_BYTES`` is sent
with its value cut to fit (``rjb_dlq_truncated``), and without the original headers if those
alone are too big (``rjb_dlq_headers_dropped``). When the broker still refuses it as too large
(a topic with a smaller ``max.message.bytes``) smaller forms are tried, down to a few KiB; any
other failure to publish is raised, so the caller does not commit the message. With a sealer
(:mod:`adapters.dead_letter_seal`, what the inbound uses) the original key, headers and value
are encrypted into the value and only the ``rjb_dlq_*`` headers stay readable.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError

from adapters.dead_letter_seal import SEAL_OVERHEAD, DeadLetterSeal

log = logging.getLogger(__name__)

DLQ_REASON = "rjb_dlq_reason"
DLQ_ERROR = "rjb_dlq_error"
DLQ_TOPIC = "rjb_dlq_source_topic"
DLQ_PARTITION = "rjb_dlq_source_partition"
DLQ_OFFSET = "rjb_dlq_source_offset"
DLQ_SIZE = "rjb_dlq_original_size"
DLQ_SHA256 = "rjb_dlq_original_sha256"
DLQ_TRUNCATED = "rjb_dlq_truncated"
DLQ_HEADERS_DROPPED = "rjb_dlq_headers_dropped"

OVERHEAD = 256  # record batch and record framing, rounded up generously
SMALLEST = 4096  # the last form tried: the dlq headers and the first bytes of the value
KEY_LIMIT = 1024

Header = tuple[str, bytes | None]


def headers_size(headers: Sequence[Header]) -> int:
    return sum(len(k.encode()) + len(v or b"") + 10 for k, v in headers)


@dataclass(frozen=True)
class DeadLetterRecord:
    key: bytes | None
    value: bytes
    headers: list[Header]
    originals: int = 0  # how many of the headers, first, are the message's own

    @property
    def size(self) -> int:
        return OVERHEAD + len(self.key or b"") + len(self.value) + headers_size(self.headers)

    def header(self, name: str) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


def dead_letter(record: Any, reason: str, error: str, budget: int) -> DeadLetterRecord:
    """The dead letter for ``record`` (an aiokafka ConsumerRecord), at most ``budget`` bytes."""
    value: bytes = record.value or b""
    key: bytes | None = record.key
    ours: list[Header] = [
        (DLQ_REASON, reason.encode()),
        (DLQ_ERROR, error.encode()),
        (DLQ_TOPIC, str(record.topic).encode()),
        (DLQ_PARTITION, str(record.partition).encode()),
        (DLQ_OFFSET, str(record.offset).encode()),
        (DLQ_SIZE, str(len(value)).encode()),
        (DLQ_SHA256, hashlib.sha256(value).hexdigest().encode()),
    ]
    original: list[Header] = list(record.headers or ())
    if key is not None and len(key) > KEY_LIMIT:
        key = key[:KEY_LIMIT]
        ours.append((DLQ_TRUNCATED, b"key"))
    if OVERHEAD + len(key or b"") + headers_size(original + ours) > budget // 2:
        ours.append((DLQ_HEADERS_DROPPED, str(len(original)).encode()))
        original = []
    room = budget - OVERHEAD - len(key or b"") - headers_size(original + ours) - 32
    if len(value) > room:
        value = value[: max(room, 0)]
        ours.append((DLQ_TRUNCATED, b"value"))
    return DeadLetterRecord(key, value, original + ours, len(original))


def sealed(
    letter: DeadLetterRecord, record: Any, seal: DeadLetterSeal, day: Any
) -> DeadLetterRecord:
    """The letter with its key, original headers and value sealed under the day key."""
    own, ours = letter.headers[: letter.originals], letter.headers[letter.originals :]
    value, headers = seal.seal(letter.key, own, letter.value, record, ours, day)
    return DeadLetterRecord(None, value, headers)


def forms(record: Any, reason: str, error: str, budget: int) -> Iterator[DeadLetterRecord]:
    """The dead letter within ``budget``, then smaller forms in case the broker refuses it."""
    yield dead_letter(record, reason, error, budget)
    for smaller in (budget // 8, SMALLEST):
        if smaller < budget:
            yield dead_letter(record, reason, error, max(smaller, SMALLEST))


class DeadLetterWriter:
    """Publishes dead letters with its own producer (FastStream's takes headers as a dict)."""

    def __init__(
        self,
        connection: dict[str, Any],
        topic: str,
        budget: int,
        seal: DeadLetterSeal | None = None,
    ) -> None:
        self.connection = connection
        self.topic = topic
        self.budget = budget
        self.seal = seal
        self.producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(
            **self.connection,
            acks="all",
            enable_idempotence=False,
            max_request_size=max(self.budget + 64 * 1024, 1_048_576),
        )
        await self.producer.start()

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    async def publish(self, record: Any, reason: str, error: str) -> DeadLetterRecord:
        """Send the dead letter; raises when no form of it could be written."""
        assert self.producer is not None, "start the dead-letter writer first"
        refused: Exception | None = None
        day = None if self.seal is None else await asyncio.to_thread(self.seal.day_key)
        budget = self.budget if self.seal is None else self.budget - SEAL_OVERHEAD
        for letter in forms(record, reason, error, budget):
            if self.seal is not None:
                letter = sealed(letter, record, self.seal, day)
            try:
                await self.producer.send_and_wait(
                    self.topic, letter.value, key=letter.key, headers=letter.headers
                )
            except (MessageSizeTooLargeError, RecordTooLargeError) as error_:
                log.warning(
                    "dead letter for %s[%s]@%s refused as too large (%d bytes): %s; "
                    "trying a smaller form",
                    record.topic,
                    record.partition,
                    record.offset,
                    letter.size,
                    error_,
                )
                refused = error_
                continue
            return letter
        assert refused is not None
        raise refused
