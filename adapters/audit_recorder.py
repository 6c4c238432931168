"""The audit/privacy side tables, implemented by the chained SQLite/PostgreSQL recorders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import Notification, StoredEvent

from adapters.audit_chain import ChainRecord, LogHead


@dataclass(frozen=True)
class ReadRecord:
    """One audit read: who read what, when."""

    read_at: datetime
    reader: str
    action: str
    subject: str
    detail: str


@runtime_checkable
class AuditRecorder(Protocol):
    # chain
    def select_chain(self, lo: int, hi: int) -> list[ChainRecord]: ...
    def select_chain_for(self, originator_id: str) -> list[ChainRecord]: ...
    def select_chain_successors_of(self, originator_id: str) -> list[ChainRecord]: ...
    def max_chain_id(self) -> int: ...
    def chain_head(self) -> LogHead: ...
    # events (from the eventsourcing recorder)
    def select_events(self, originator_id: Any, **kwargs: Any) -> Any: ...
    def select_notifications(
        self, start: int | None, limit: int, stop: int | None = None, **kwargs: Any
    ) -> Any: ...
    def max_notification_id(self) -> int | None: ...
    # personal data keys
    def get_key(self, subject: str) -> tuple[bool, bytes | None]: ...
    def create_key(self, subject: str, key: bytes) -> None: ...
    def destroy_key(self, subject: str) -> bool: ...
    def key_subjects(self, prefix: str) -> list[tuple[str, bool]]: ...
    # read access log, share decisions
    def insert_read(self, read: ReadRecord) -> None: ...
    def select_reads(self) -> list[ReadRecord]: ...
    def share_decisions(self, case_id: str) -> list[dict[str, Any]] | None: ...


__all__ = ["AuditRecorder", "Notification", "ReadRecord", "StoredEvent"]
