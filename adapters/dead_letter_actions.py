"""What operators did with dead letters: one row per retry or purge, with who, when and why.

The dead-letter topic is append-only, so whether a dead letter has been dealt with is kept here,
in the store's database (``dead_letter_actions``; its shape: ``adapters/migrations``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from adapters.event_store import EventStore
from adapters.sql import Database


class Action(StrEnum):
    RETRY = "retry"  # the original value and headers were sent again to their source topic
    PURGE = "purge"  # dealt with otherwise (e.g. the agency resent a corrected message)


@dataclass(frozen=True)
class LetterId:
    """A dead letter: its record on the dead-letter topic."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.partition}/{self.offset}"


@dataclass(frozen=True)
class ActionRow:
    letter: LetterId
    action: Action
    actor: str
    acted_at: datetime
    reason: str
    detail: str


COLUMNS = (
    "dead_letter_topic, dead_letter_partition, dead_letter_offset, action, actor, "
    "acted_at, reason, detail"
)


class DeadLetterActions:
    """The ``dead_letter_actions`` table."""

    def __init__(self, store: EventStore) -> None:
        self.db = Database(store)

    def record(self, row: ActionRow) -> None:
        at: object = row.acted_at if self.db.postgres else row.acted_at.isoformat()
        self.db.write(
            f"INSERT INTO dead_letter_actions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    row.letter.topic,
                    row.letter.partition,
                    row.letter.offset,
                    row.action.value,
                    row.actor,
                    at,
                    row.reason,
                    row.detail,
                )
            ],
        )

    def all(self, topic: str) -> list[ActionRow]:
        """Every action on the dead letters of ``topic``, oldest first."""
        rows = self.db.read(
            f"SELECT {COLUMNS} FROM dead_letter_actions WHERE dead_letter_topic = ? ORDER BY id",
            (topic,),
        )
        return [
            ActionRow(
                LetterId(r[0], int(r[1]), int(r[2])),
                Action(r[3]),
                r[4],
                r[5] if isinstance(r[5], datetime) else datetime.fromisoformat(r[5]),
                r[6],
                r[7],
            )
            for r in rows
        ]

    def last_by_letter(self, topic: str) -> dict[LetterId, ActionRow]:
        """Each dead letter's latest action (a letter without one is not dealt with yet)."""
        return {row.letter: row for row in self.all(topic)}
