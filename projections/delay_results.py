"""What the delay queries answer with, and the day arithmetic they share.

A breach is named with its reason, when it started, when it ended (None while it goes on) and
its age in days at "now"; service levels are the limits breaches are measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from projections.sql import parse_instant

DAY = timedelta(days=1)


@dataclass(frozen=True)
class ServiceLevels:
    victim_details_days: int = 2  # Victims' Code: police pass details within 2 days
    victim_update_days: int = 28
    prison_access_days: int = 14


@dataclass(frozen=True)
class Breach:
    case_id: str
    pcc_area: str
    kind: str
    reason: str
    started: datetime
    ended: datetime | None
    age_days: float

    @property
    def ongoing(self) -> bool:
        return self.ended is None


@dataclass(frozen=True)
class StageTime:
    stage: str
    entered_at: datetime
    days: float
    current: bool


@dataclass(frozen=True)
class AreaMedians:
    pcc_area: str
    referral_to_activity_days: float | None
    referral_to_closure_days: float | None
    cases: int


def days_between(start: datetime, end: datetime) -> float:
    return round((end - start) / DAY, 1)


def instant(text: object) -> datetime:
    """A stored instant (ISO text) as a datetime."""
    return parse_instant(str(text))
