"""Limits and retry policy of the inbound subscribers, read from ``RJB_INBOUND_*`` variables.

Kept beside :class:`services.settings.Settings` (same ``.env`` file, same ``RJB_`` prefix) so the
inbound pipeline owns its knobs; ``rjb submit`` applies the same message size limit per line.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

KIB = 1024


class InboundSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RJB_INBOUND_", env_file=".env", extra="ignore")

    max_message_bytes: int = Field(
        default=256 * KIB,
        ge=1,
        description="Largest inbound message (and `rjb submit` line) accepted; checked before "
        "parsing, a larger one is dead-lettered",
    )
    dead_letter_max_bytes: int = Field(
        default=1_000_000,
        ge=4 * KIB,
        description="Largest dead-letter record (value, key and headers) sent; keep it under the "
        "broker's message.max.bytes (Kafka default 1,048,588). A larger one is sent truncated, "
        "with the original size and sha256 in headers",
    )
    retry_attempts: int = Field(
        default=5,
        ge=1,
        description="Attempts at a message while the store is unreachable before its partition "
        "is paused",
    )
    retry_backoff: float = Field(
        default=0.5, gt=0, description="Seconds before the second attempt; doubles each time"
    )
    retry_backoff_max: float = Field(default=8.0, gt=0, description="Longest wait between attempts")
    pause_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a partition stays paused before its message is tried again",
    )

    batch_max_records: int = Field(
        default=500,
        ge=1,
        description="Most inbound messages taken in one batch (stored in one transaction)",
    )
    batch_linger_ms: int = Field(
        default=10,
        ge=1,
        description="Longest wait, in milliseconds, for a fetch to gather batch_min_bytes (the "
        "broker holds the fetch until then: Kafka's fetch.max.wait.ms); a batch is whatever "
        "has arrived by then, up to batch_max_records",
    )
    batch_min_bytes: int = Field(
        default=64 * KIB,
        ge=1,
        description="Bytes a fetch waits for (Kafka's fetch.min.bytes) before batch_linger_ms "
        "is up: under a steady flow, fewer and fuller batches, so fewer transactions",
    )

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...)."""
        return float(min(self.retry_backoff * 2 ** (attempt - 1), self.retry_backoff_max))
