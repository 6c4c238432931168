"""The relay's batching and compression settings: validated at start-up, handed to its producer."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from adapters.kafka_config import Topics
from services.bootstrap import build
from services.kafka_runtime.relay import CaseEventRouter, Relay
from services.settings import Settings


def test_an_unknown_compression_is_a_settings_error_naming_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RJB_KAFKA_RELAY_COMPRESSION", "brotli")
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    assert "kafka_relay_compression" in message
    assert "'none', 'gzip', 'snappy', 'lz4' or 'zstd'" in message


def test_the_relay_compresses_with_lz4_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every Kafka client reads lz4; zstd lengthened the relay's half of end-to-end latency."""
    monkeypatch.delenv("RJB_KAFKA_RELAY_COMPRESSION", raising=False)
    assert Settings(_env_file=None).kafka_relay_compression == "lz4"  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kafka_relay_max_batch_bytes", 512),
        ("kafka_relay_max_batch_bytes", 2_000_000),
        ("kafka_relay_linger_ms", -1),
        ("kafka_relay_batch_size", 0),
    ],
)
def test_batch_sizes_and_linger_out_of_range_are_refused(field: str, value: int) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings.model_validate({field: value})


def test_the_relay_producer_gets_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RJB_KAFKA_RELAY_COMPRESSION", "zstd")
    monkeypatch.setenv("RJB_KAFKA_RELAY_LINGER_MS", "7")
    monkeypatch.setenv("RJB_KAFKA_RELAY_MAX_BATCH_BYTES", "65536")
    monkeypatch.setenv("RJB_KAFKA_RELAY_BATCH_SIZE", "123")
    bb = build(Settings(store="sqlite", sqlite_path=tmp_path / "rjb.sqlite3"))
    try:
        relay = bb.kafka("127.0.0.1:9").relay()
        assert relay.batch_size == 123
        assert relay.producer_options == {
            "linger_ms": 7,
            "max_batch_size": 65536,
            "compression_type": "zstd",
        }
        plain = Relay(bb.store, {}, CaseEventRouter(Topics()), compression="none")
        assert plain.producer_options["compression_type"] is None
    finally:
        bb.close()


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
async def test_aiokafka_has_a_library_for_every_codec_offered(codec: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:9", compression_type=codec)
    assert producer.create_batch() is not None  # never started: nothing connects
