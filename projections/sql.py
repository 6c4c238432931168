"""The projections' names for the shared SQL layer (:mod:`adapters.sql`), and how they store
dates and instants: as sortable ISO text, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from adapters.sql import Database as ViewDatabase
from adapters.sql import Row
from adapters.sql import Tx as ViewTx

__all__ = ["Row", "ViewDatabase", "ViewTx", "iso", "parse_instant"]


def iso(moment: datetime | date | None) -> str | None:
    """Sortable text for a date or an instant (instants normalised to UTC)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat()
    return moment.isoformat()


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)
