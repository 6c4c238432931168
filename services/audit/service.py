"""What an auditor can do from Python: history, state at an instant, verify; every read is logged.

State at an instant uses *recorded-time* semantics: the case as the backbone knew it at ``at``,
built from the events whose recorded ``timestamp`` is at or before ``at``. Facts recorded later
about earlier moments (a late ``occurred_at``) are not included: that is what "as it stood" means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from adapters.audit_recorder import AuditRecorder, ReadRecord
from adapters.event_store import EventStore
from domain.case.aggregate import Case
from domain.privacy import erasures_id
from services.audit.verify import VerifyReport, verify_aggregate, verify_log
from services.case_queries import TimelineEntry, timeline_entry


@dataclass(frozen=True)
class CaseHistory:
    case_id: UUID
    entries: list[TimelineEntry]
    erasures: list[TimelineEntry]
    share_decisions: list[dict[str, Any]] | None = field(default=None)


def parse_instant(text: str) -> datetime:
    """ISO 8601 instant; one without a timezone is taken as UTC."""
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


class AuditService:
    """Read-only auditor access as ``reader`` (who) for ``why``; each call leaves a row in
    ``audit_reads``."""

    def __init__(self, store: EventStore, reader: str, why: str = "") -> None:
        if not reader.strip():
            raise ValueError("an audit read needs a reader (a verified identity)")
        self.store = store
        self.reader = reader
        self.why = why
        recorder = store.recorder
        if not isinstance(recorder, AuditRecorder):
            raise TypeError("the event store's recorder keeps no audit chain")
        self.recorder: AuditRecorder = recorder

    def log_read(self, action: str, subject: str, detail: str = "") -> None:
        """A row in the read log: who (the reader), what (action, subject, detail) and why."""
        said = "; ".join(part for part in (detail, f"why: {self.why}" if self.why else "") if part)
        self.recorder.insert_read(ReadRecord(datetime.now(UTC), self.reader, action, subject, said))

    def _events(self, aggregate_id: UUID) -> list[Any]:
        self.store.recheck_erasures()
        return list(self.store.repository.event_store.get(aggregate_id))

    def history(self, case_id: UUID) -> CaseHistory:
        """Every event of the case in order, its erasures, and the share decisions about it."""
        self.log_read("history", str(case_id))
        events = self._events(case_id)
        if not events:
            raise AggregateNotFoundError(case_id)
        return CaseHistory(
            case_id,
            [timeline_entry(e) for e in events],
            [timeline_entry(e) for e in self._events(erasures_id(case_id))],
            self.recorder.share_decisions(str(case_id)),
        )

    def at(self, case_id: UUID, instant: datetime) -> Case | None:
        """The case as recorded at ``instant`` (None if not yet referred then)."""
        self.log_read("at", str(case_id), instant.isoformat())
        case: Any = None
        for event in self._events(case_id):
            if event.timestamp > instant:
                break
            case = event.mutate(case)
        return case if isinstance(case, Case) else None

    def at_occurred(self, case_id: UUID, instant: datetime) -> Case | None:
        """The case as its events say things had happened by ``instant`` (the agencies'
        ``occurred_at``, whenever recorded): the events that occurred at or before it, applied in
        recorded order (None if the referral occurred later)."""
        self.log_read("at", str(case_id), f"occurred {instant.isoformat()}")
        case: Any = None
        for event in self._events(case_id):
            if event.meta.occurred_at > instant:
                continue
            if case is not None:  # events skipped between: apply this one as the next
                case.version = event.originator_version - 1
            case = event.mutate(case)
        return case if isinstance(case, Case) else None

    def verify(
        self, case_id: UUID | None = None, progress: Callable[[int, int], None] | None = None
    ) -> VerifyReport:
        """One case's chain, or the whole log's (``progress``: see :func:`verify_log`)."""
        self.log_read("verify", str(case_id) if case_id else "*")
        if case_id is None:
            return verify_log(self.recorder, progress=progress)
        return verify_aggregate(self.recorder, case_id)

    def reads(self) -> list[ReadRecord]:
        """The read access log itself (reading it is logged too)."""
        self.log_read("reads", "*")
        return self.recorder.select_reads()
