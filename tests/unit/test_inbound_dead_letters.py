"""A dead letter always fits the broker: cut to the limit, with the original size and hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from services.kafka_runtime.dead_letters import (
    DLQ_ERROR,
    DLQ_HEADERS_DROPPED,
    DLQ_REASON,
    DLQ_SHA256,
    DLQ_SIZE,
    DLQ_TRUNCATED,
    SMALLEST,
    Header,
    dead_letter,
    forms,
)


@dataclass
class Record:
    value: bytes | None
    key: bytes | None = b"case-1"
    headers: list[Header] = field(default_factory=list)
    topic: str = "rjb.inbound.commands.v1"
    partition: int = 1
    offset: int = 42


def test_a_small_dead_letter_keeps_the_value_and_every_original_header_as_it_came() -> None:
    headers: list[Header] = [("trace", None), ("trace", b"\xff\xfe"), ("rjb_agency", b"x")]
    letter = dead_letter(Record(b"{not json", headers=headers), "malformed JSON", "E", 1_000_000)
    assert letter.value == b"{not json"
    assert letter.headers[:3] == headers
    assert letter.header(DLQ_REASON) == b"malformed JSON"
    assert letter.header(DLQ_ERROR) == b"E"
    assert letter.header(DLQ_SIZE) == b"9"
    assert letter.header(DLQ_SHA256) == hashlib.sha256(b"{not json").hexdigest().encode()
    assert letter.header(DLQ_TRUNCATED) is None


def test_a_dead_letter_over_the_limit_is_cut_and_carries_the_original_size_and_sha256() -> None:
    value = b"A" * 1_048_000
    letter = dead_letter(
        Record(value, headers=[("trace", b"x")]), "message too large", "M", 100_000
    )
    assert letter.size <= 100_000
    assert value.startswith(letter.value) and len(letter.value) > 90_000
    assert letter.header(DLQ_TRUNCATED) == b"value"
    assert letter.header(DLQ_SIZE) == b"1048000"
    assert letter.header(DLQ_SHA256) == hashlib.sha256(value).hexdigest().encode()
    assert letter.header("trace") == b"x"


def test_original_headers_too_big_to_keep_are_dropped_and_counted() -> None:
    headers: list[Header] = [(f"h{i}", b"v" * 1000) for i in range(20)]
    letter = dead_letter(Record(b"{}", headers=headers), "reason", "E", 16_000)
    assert letter.header("h0") is None
    assert letter.header(DLQ_HEADERS_DROPPED) == b"20"
    assert letter.value == b"{}"
    assert letter.size <= 16_000


def test_a_huge_key_is_cut_too() -> None:
    letter = dead_letter(Record(b"{}", key=b"k" * 500_000), "reason", "E", 100_000)
    assert letter.key is not None and len(letter.key) == 1024
    assert letter.header(DLQ_TRUNCATED) == b"key"


def test_a_null_value_is_dead_lettered_as_empty_bytes() -> None:
    letter = dead_letter(Record(None), "empty message", "EmptyMessage", 100_000)
    assert letter.value == b""
    assert letter.header(DLQ_SIZE) == b"0"


def test_the_forms_tried_when_the_broker_refuses_get_smaller_down_to_a_few_kib() -> None:
    sizes = [f.size for f in forms(Record(b"B" * 2_000_000), "reason", "E", 1_000_000)]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == 3
    assert sizes[0] <= 1_000_000 and sizes[-1] <= SMALLEST
