"""How ``/health`` and ``/metrics`` look at the backbone, read from ``RJB_HEALTH_*`` variables.

Kept beside :class:`services.settings.Settings` (same ``.env`` file, same ``RJB_`` prefix), as
the inbound pipeline keeps its own knobs in :mod:`services.kafka_runtime.inbound_settings`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class HealthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RJB_HEALTH_", env_file=".env", extra="ignore")

    kafka_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between the background looks at the cluster (is the broker "
        "answering; the inbound consumer group's lag); /health and /metrics read the last one",
    )
    dead_letter_interval: float = Field(
        default=30.0,
        gt=0,
        description="Seconds between counts of the dead letters not dealt with (a read of the "
        "whole dead-letter topic), for the oldest one's age in /metrics",
    )
    timeout: float = Field(
        default=3.0, gt=0, description="Longest a store query or a look at the cluster may take"
    )
    store_cache_seconds: float = Field(
        default=1.0, ge=0, description="How long a store check's answer is reused"
    )
    relay_stale_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A relay whose last successful step (publishing, or finding nothing to do) "
        "is older than this is not ready",
    )

    @property
    def broker_stale_seconds(self) -> float:
        """A broker answer older than this (three missed looks) no longer counts."""
        return 3 * self.kafka_interval + self.timeout
