"""RJB_KAFKA_RELAY_COMPRESSION reaches the broker: the relay's record batches are stored
compressed (read from the broker's own log segments), and consumers read them as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.apache_kafka import ApacheKafka
from services.bootstrap import build
from services.demo.runner import run_script
from services.demo.stories import head_teacher
from tests.conftest import sqlite_settings
from tests.kafka_helpers import fast_kafka_settings, read_topic
from tests.servers import Broker

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def batch_codecs(segment: bytes) -> list[int]:
    """The compression codec of each record batch of a log segment (magic v2 layout: base
    offset 8 bytes, length 4, leader epoch 4, magic 1, crc 4, then attributes 2)."""
    codecs, at = [], 0
    while at + 23 <= len(segment):
        length = int.from_bytes(segment[at + 8 : at + 12], "big")
        codecs.append(int.from_bytes(segment[at + 21 : at + 23], "big") & 0x7)
        at += 12 + length
    return codecs


@pytest.mark.parametrize("codec", ["zstd", "lz4", "none"])
async def test_the_relay_writes_compressed_batches_that_consumers_read(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str, codec: str
) -> None:
    if not isinstance(kafka_broker, ApacheKafka):
        pytest.skip("reads the broker's log segments: needs the broker the tests start")
    settings = sqlite_settings(tmp_path).model_copy(update={"kafka_relay_compression": codec})
    bb = build(fast_kafka_settings(settings, topic_prefix))
    try:
        run_script(bb.commands, head_teacher())
        relay = bb.kafka(kafka_broker.bootstrap).relay()
        await relay.start()
        try:
            published = await relay.catch_up()
        finally:
            await relay.stop()
        topic = relay.router.topic_specs()[0].name
        assert len(await read_topic(kafka_broker.bootstrap, topic, published)) == published
    finally:
        bb.close()
    segments = (kafka_broker.dir / "data").glob(f"{topic}-*/*.log")
    codecs = [c for path in segments for c in batch_codecs(path.read_bytes())]
    assert codecs and set(codecs) == {CODECS[codec]}, codecs
