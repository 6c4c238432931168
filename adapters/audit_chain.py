"""Hash chains over the stored events: one per aggregate and one over the whole notification log.

Every stored event gets a :class:`ChainRecord`, written in the same transaction as the event:

* ``event_hash = H(prev_event_hash, originator_id, version, topic, state)`` where
  ``prev_event_hash`` is the ``event_hash`` of the same aggregate's previous version (or
  :data:`GENESIS` for version 1). Altering a stored byte of an event changes its hash.
* ``log_hash = H(prev_log_hash, notification_id, event_hash)`` where ``prev_log_hash`` is the
  ``log_hash`` of the previous notification in the log, so removing or reordering any row of the
  log breaks the log chain at the next row. The record also names its predecessor
  (notification id, aggregate, version) so a removal can be reported by name.

Hashes are over the *stored* bytes (after encryption of personal fields), so destroying a
person's key later changes nothing that the chains cover.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent

GENESIS = "0" * 64
_SEP = b"\x1f"


def event_hash(prev: str, originator_id: str, version: int, topic: str, state: bytes) -> str:
    """Hash of one stored event chained to its aggregate's previous event hash (its parts
    joined by the unit separator; one hash call, as the batch path links hundreds)."""
    head = _SEP.join((prev.encode(), originator_id.encode(), b"%d" % version, topic.encode()))
    return hashlib.sha256(head + _SEP + state).hexdigest()


def log_hash(prev: str, notification_id: int, ev_hash: str) -> str:
    """Hash of one notification chained to the previous notification's log hash."""
    return hashlib.sha256(f"{prev}|{notification_id}|{ev_hash}".encode()).hexdigest()


@dataclass(frozen=True)
class LogHead:
    """The latest chain record of the log (what the next notification links to)."""

    notification_id: int | None = None
    originator_id: str | None = None
    originator_version: int | None = None
    log_hash: str = GENESIS


@dataclass(frozen=True)
class ChainRecord:
    notification_id: int
    originator_id: str
    originator_version: int
    prev_event_hash: str
    event_hash: str
    prev_notification_id: int | None
    prev_originator_id: str | None
    prev_originator_version: int | None
    prev_log_hash: str
    log_hash: str

    def as_row(self) -> tuple[Any, ...]:
        return (
            self.notification_id,
            self.originator_id,
            self.originator_version,
            self.prev_event_hash,
            self.event_hash,
            self.prev_notification_id,
            self.prev_originator_id,
            self.prev_originator_version,
            self.prev_log_hash,
            self.log_hash,
        )

    @property
    def head(self) -> LogHead:
        return LogHead(
            self.notification_id, self.originator_id, self.originator_version, self.log_hash
        )


COLUMNS = (
    "notification_id",
    "originator_id",
    "originator_version",
    "prev_event_hash",
    "event_hash",
    "prev_notification_id",
    "prev_originator_id",
    "prev_originator_version",
    "prev_log_hash",
    "log_hash",
)


def record_from_row(row: Any) -> ChainRecord:
    return ChainRecord(**{c: row[c] for c in COLUMNS})


def link(
    notification_ids: Sequence[int],
    stored_events: Sequence[StoredEvent],
    previous_event_hash: Callable[[str, int], str | None],
    head: LogHead,
) -> list[ChainRecord]:
    """Chain records for events just inserted with ``notification_ids`` (same order).

    ``previous_event_hash(originator_id, version)`` looks up an already stored event's hash;
    events earlier in the same batch are chained in memory.
    """
    rows = link_rows(notification_ids, stored_events, previous_event_hash, head)
    return [ChainRecord(*row) for row in rows]


def link_rows(
    notification_ids: Sequence[int],
    stored_events: Sequence[StoredEvent],
    previous_event_hash: Callable[[str, int], str | None],
    head: LogHead,
) -> list[tuple[Any, ...]]:
    """:func:`link`'s records as rows in :data:`COLUMNS` order, built without a record object
    per event (the batch path inserts rows, not records)."""
    batch: dict[tuple[str, int], str] = {}
    rows: list[tuple[Any, ...]] = []
    prev_nid, prev_oid = head.notification_id, head.originator_id
    prev_version, prev_log = head.originator_version, head.log_hash
    for nid, stored in zip(notification_ids, stored_events, strict=True):
        oid, version = str(stored.originator_id), stored.originator_version
        prev = GENESIS
        if version > 1:
            prev = batch.get((oid, version - 1)) or previous_event_hash(oid, version - 1) or GENESIS
        ev_hash = event_hash(prev, oid, version, stored.topic, stored.state)
        batch[(oid, version)] = ev_hash
        log = log_hash(prev_log, nid, ev_hash)
        rows.append(
            (nid, oid, version, prev, ev_hash, prev_nid, prev_oid, prev_version, prev_log, log)
        )
        prev_nid, prev_oid, prev_version, prev_log = nid, oid, version, log
    return rows
