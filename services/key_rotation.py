"""Master key rotation: every wrapped key re-wrapped under the incoming master key, in batches.

Only the wrapping changes: a person's key (and so every envelope on a topic, in the store or in
an export) stays the same, and a process that cached it goes on using it. Reads work throughout,
in every process given both master keys (``RJB_PERSONAL_DATA_MASTER_KEY`` and
``RJB_PERSONAL_DATA_MASTER_KEY_NEW``), since a key wrapped under either opens. Each batch is one
transaction; the rows' ``master_key_id`` is the progress, so a rotation stopped anywhere (a
crash, Ctrl-C) goes on where it stopped when run again. Keys created while it runs are wrapped
under the incoming key once the first batch is in (see :class:`adapters.key_wrap.MasterKeys`),
and any created under the outgoing key by then are found by the next batch. When no key is left
under another master key, the old one can be removed from the configuration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.event_store import EventStore
from adapters.key_wrap import KeyWrapper, MasterKeyError
from adapters.master_key_rows import Rewrap

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (re-wrapped so far, total known so far)


class RotationRefused(MasterKeyError):
    """No incoming master key is configured, or this store keeps no personal-data keys."""


@dataclass(frozen=True)
class Rotated:
    master_key_id: str
    rewrapped: int  # keys re-wrapped by this run
    skipped: int  # destroyed (erased) while this run held them: left destroyed
    batches: int


class MasterKeyRotation:
    def __init__(self, store: EventStore, batch_size: int = 500) -> None:
        if batch_size < 1:
            raise ValueError("the batch size must be at least 1")
        personal = store.personal
        if personal is None or not hasattr(store.recorder, "rewrap_keys"):
            raise RotationRefused("this store keeps no personal-data keys")
        if personal.masters.incoming is None:
            raise RotationRefused(
                "no incoming master key: set RJB_PERSONAL_DATA_MASTER_KEY_NEW (or "
                "RJB_PERSONAL_DATA_MASTER_KEY_NEW_FILE) to the new key, keeping "
                "RJB_PERSONAL_DATA_MASTER_KEY the current one"
            )
        self.masters = personal.masters
        self.incoming: KeyWrapper = personal.masters.incoming
        self.rows: Any = store.recorder
        self.batch_size = batch_size

    def counts(self) -> dict[str | None, int]:
        """Live keys per master key id (None: written before ids were kept)."""
        found: dict[str | None, int] = self.rows.keys_by_master_key()
        return found

    def pending(self) -> int:
        return sum(n for mk, n in self.counts().items() if mk != self.incoming.id)

    def run(self, progress: Progress | None = None) -> Rotated:
        """Re-wrap until no live key is under another master key."""
        total, done, skipped, batches = self.pending(), 0, 0, 0
        log.info("master key rotation to %s: %d key(s) to re-wrap", self.incoming.id, total)
        while batch := self.rows.keys_not_under(self.incoming.id, self.batch_size):
            rewrapped: list[Rewrap] = [
                (
                    subject,
                    wrapped,
                    self.incoming.wrap(subject, self.masters.unwrap(subject, wrapped)),
                )
                for subject, wrapped in batch
            ]
            changed = self.rows.rewrap_keys(rewrapped, self.incoming.id)
            done, skipped, batches = done + changed, skipped + len(batch) - changed, batches + 1
            total = max(total, done + skipped)
            if progress is not None:
                progress(done + skipped, total)
        log.info(
            "master key rotation to %s done: %d key(s) re-wrapped in %d batch(es)",
            *(self.incoming.id, done, batches),
        )
        return Rotated(self.incoming.id, done, skipped, batches)
