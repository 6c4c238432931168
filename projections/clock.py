""" "Now" for service levels and review alerts, injectable so tests are deterministic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(now: datetime) -> Clock:
    """A clock that always says ``now`` (naive values are taken as UTC)."""
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    return lambda: moment
