"""An agency's shared feed read from the store: what the sharing relay sent it, from a position.

The sharing relay (:mod:`services.sharing`) records every decision in ``share_decisions`` once the
broker has acked it. The feed is the decisions that sent something to the agency (whole or
redacted), in log order; each item is rebuilt from the stored event with the same fields removed,
as the record on ``rjb.shared.<agency>.v1`` carries it: the CloudEvents attributes (its headers)
and the data (its value). ``position`` is the event's place in the store's log: pass the last one
back as ``after`` to continue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from adapters.cloudevents import attributes, event_data, to_record
from adapters.event_store import EventStore
from adapters.share_decisions import ShareDecisionRow, ShareDecisions

MAX_PAGE = 500
WINDOW = 2000  # positions of the log read at a time (doubling)


@dataclass(frozen=True)
class FeedItem:
    position: int
    attributes: dict[str, str]
    data: dict[str, Any]


@dataclass(frozen=True)
class FeedPage:
    recipient: str
    items: list[FeedItem]
    next_after: int
    more: bool


class SharedFeed:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.decisions = ShareDecisions(store)

    def page(self, recipient: str, after: int = 0, limit: int = 100) -> FeedPage:
        """Up to ``limit`` items sent to ``recipient`` after position ``after``."""
        limit = max(1, min(limit, MAX_PAGE))
        decided = self._sent(recipient, after, limit + 1)
        more = len(decided) > limit
        items = [self._item(row) for row in decided[:limit]]
        return FeedPage(recipient, items, items[-1].position if items else after, more)

    def _sent(self, recipient: str, after: int, wanted: int) -> list[ShareDecisionRow]:
        """Decisions that sent something, read in windows of the log until ``wanted`` are found
        or the log ends."""
        end = self.store.recorder.max_notification_id() or 0
        found: list[ShareDecisionRow] = []
        low, window = after, WINDOW
        while len(found) < wanted and low < end:
            high = low + window
            found += self.decisions._select(
                "recipient = ? AND position > ? AND position <= ? AND outcome <> 'withheld'",
                (recipient, low, high),
            )
            low, window = high, window * 2
        return found[:wanted]

    def _item(self, row: ShareDecisionRow) -> FeedItem:
        self.store.recheck_erasures()
        version = row.aggregate_version
        event: Any
        (event,) = self.store.repository.event_store.get(
            UUID(row.aggregate_id), gt=version - 1, lte=version
        )
        removed = set(filter(None, row.removed_fields.split(",")))
        data = {k: v for k, v in event_data(event).items() if k not in removed}
        record = to_record(event, row.position, data, recipient=row.recipient)
        return FeedItem(row.position, attributes(record.headers), orjson.loads(record.value))
