"""What the inbound subscribers have done and what state they are in, in bounded memory.

:class:`InboundStats` counts; :class:`InboundHealth` says which partitions are failing or paused
and why, for ``/health`` and ``/metrics``. Neither keeps messages: only counters, the failing
partitions (at most one entry per assigned partition) and a bounded list of recent reasons.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from services.command_apply import CommandResult

RECENT = 100


@dataclass
class InboundStats:
    """Counters, and the last :data:`RECENT` results and dead-letter reasons (oldest first)."""

    stored_count: int = 0  # commands applied (new events, or a duplicate with no effect)
    duplicates: int = 0
    dead_letter_count: int = 0
    stored: deque[CommandResult] = field(default_factory=lambda: deque(maxlen=RECENT))
    dead_lettered: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT))

    def record_stored(self, result: CommandResult) -> None:
        self.stored_count += 1
        self.duplicates += result.duplicate
        self.stored.append(result)

    def record_dead_letter(self, reason: str) -> None:
        self.dead_letter_count += 1
        self.dead_lettered.append(reason)


@dataclass
class PartitionTrouble:
    """A partition whose current message cannot be stored for now."""

    topic: str
    partition: int
    offset: int  # the message it is stuck on; nothing at or after it is committed
    error: str
    attempts: int = 0
    since: float = field(default_factory=time.time)
    paused_until: float | None = None  # epoch seconds; None while still retrying

    @property
    def paused(self) -> bool:
        return self.paused_until is not None


@dataclass
class InboundHealth:
    troubles: dict[tuple[str, int], PartitionTrouble] = field(default_factory=dict)
    dead_letters: int = 0
    impersonations: int = 0  # commands naming another agency than their topic's owner
    transient_failures: int = 0
    pauses: int = 0
    last_error: str | None = None  # the last failure to store or dead-letter (transient)
    last_error_at: float | None = None
    last_dead_letter: str | None = None

    @property
    def paused_partitions(self) -> list[tuple[str, int]]:
        return sorted(tp for tp, trouble in self.troubles.items() if trouble.paused)

    @property
    def healthy(self) -> bool:
        return not self.troubles

    def failed(self, topic: str, partition: int, offset: int, error: str) -> PartitionTrouble:
        self.transient_failures += 1
        self.last_error, self.last_error_at = error, time.time()
        trouble = self.troubles.get((topic, partition))
        if trouble is None or trouble.offset != offset:
            trouble = PartitionTrouble(topic, partition, offset, error)
            self.troubles[(topic, partition)] = trouble
        trouble.attempts += 1
        trouble.error = error
        return trouble

    def pause(self, trouble: PartitionTrouble, seconds: float) -> None:
        self.pauses += 1
        trouble.paused_until = time.time() + seconds

    def resumed(self, topic: str, partition: int) -> None:
        trouble = self.troubles.get((topic, partition))
        if trouble is not None:
            trouble.paused_until = None

    def dead_lettered(self, reason: str) -> None:
        self.dead_letters += 1
        self.last_dead_letter = reason

    def done(self, topic: str, partition: int) -> None:
        """A message of this partition was stored or dead-lettered: it is moving again."""
        self.troubles.pop((topic, partition), None)

    def forget(self, partitions: set[tuple[str, int]]) -> None:
        """Partitions no longer assigned to us (another member owns them now)."""
        for tp in partitions:
            self.troubles.pop(tp, None)
