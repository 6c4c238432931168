"""The eventsourcing application that *is* the event store, configured from settings."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Literal
from uuid import UUID

from eventsourcing import persistence
from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    project_aggregate,
)
from eventsourcing.domain import BaseAggregate, DomainEventProtocol
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from adapters.key_wrap import KeyWrapper, MasterKeyError, MasterKeys, parse_master_key
from adapters.mapper import OrjsonTranscoder, PydanticMapper
from adapters.personal_cipher import PersonalDataCipher
from adapters.personal_keys import KeyTable


class _SealingEventStore(persistence.EventStore):  # type: ignore[type-arg]
    """Puts the keys of new people, created while mapping, into the events' own transaction."""

    def put(self, domain_events: Sequence[DomainEventProtocol[Any]], **kwargs: Any) -> Any:
        personal = getattr(self.mapper, "personal", None)
        if personal is None:
            return super().put(domain_events, **kwargs)
        with personal.new_keys() as new_keys:
            return super().put(domain_events, personal_keys=new_keys, **kwargs)


# the chained PostgreSQL recorder's read: notifications, and the count of destroyed keys
ReadWithErasures = Callable[[int, int], tuple[list[Notification], int | None]]


class EventStore(Application):  # type: ignore[type-arg]
    """One notification log for every aggregate (cases, custody, agreements).

    When the recorder keeps personal-data keys (the chained recorders do), the mapper gets a
    :class:`PersonalDataCipher`; ``ENCRYPT_PERSONAL=no`` only stops sealing new writes, reading
    always decrypts what was sealed. ``PERSONAL_DATA_MASTER_KEY`` (base64, 32 bytes) wraps the
    per-person keys and is then required; ``PERSONAL_DATA_MASTER_KEY_NEW`` is the incoming one
    during a master key rotation (keys wrapped under either open).
    """

    name = "rjb"
    env = {
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
        "MAPPER_TOPIC": get_topic(PydanticMapper),
    }

    def __init__(self, env: Any = None) -> None:
        self._listeners: list[Callable[[], None]] = []  # told after each save (relay wake-up)
        super().__init__(env)
        if isinstance(self.mapper, PydanticMapper) and isinstance(self.recorder, KeyTable):
            seal = (self.env.get("ENCRYPT_PERSONAL") or "yes").lower() not in ("no", "false", "0")
            master = self.env.get("PERSONAL_DATA_MASTER_KEY") or ""
            if not master:
                raise MasterKeyError(
                    "PERSONAL_DATA_MASTER_KEY is required: it wraps the per-person keys "
                    "(set RJB_PERSONAL_DATA_MASTER_KEY, see the README's auditor's guide)"
                )
            incoming = self.env.get("PERSONAL_DATA_MASTER_KEY_NEW") or ""
            masters = MasterKeys(
                KeyWrapper(parse_master_key(master)),
                KeyWrapper(parse_master_key(incoming)) if incoming else None,
            )
            self.mapper.personal = PersonalDataCipher(self.recorder, masters, seal=seal)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """eventsourcing's save, then tell this process's listeners (an in-process relay wakes
        at once). Aggregates are collected here without eventsourcing's runtime-protocol
        ``isinstance`` checks, which cost a tenth of a 500-command batch."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        if recordings:
            for listener in list(self._listeners):
                listener()
        return recordings

    def on_saved(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` (from the saving thread) after each save; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def construct_event_store(self) -> persistence.EventStore:  # type: ignore[type-arg]
        return _SealingEventStore(mapper=self.mapper, recorder=self.recorder)

    def get_many(self, aggregate_ids: Collection[UUID]) -> dict[UUID, Any]:
        """The aggregates with these ids as they are now (those with no events left out), their
        events read in one query when the recorder can (the chained recorders), else one each."""
        select = getattr(self.recorder, "select_events_of", None)
        if select is None or self.snapshots is not None or self.repository.cache is not None:
            found: dict[UUID, Any] = {}
            for aggregate_id in aggregate_ids:
                try:
                    found[aggregate_id] = self.repository.get(aggregate_id)
                except AggregateNotFoundError:
                    continue
            return found
        events: dict[UUID, list[Any]] = {}
        for stored in select(list(aggregate_ids)):
            event = self.mapper.to_domain_event(stored)
            events.setdefault(event.originator_id, []).append(event)
        return {i: project_aggregate(None, found) for i, found in events.items()}

    @property
    def personal(self) -> PersonalDataCipher | None:
        return getattr(self.mapper, "personal", None)

    def read_notifications(self, start: int, limit: int) -> list[Notification]:
        """The next notifications for a long-running reader (the relay), with keys destroyed
        by another process dropped before they are decoded: on PostgreSQL the check rides in
        the read's own round trip."""
        both: ReadWithErasures | None = getattr(
            self.recorder, "select_notifications_and_erasures", None
        )
        if both is None:
            batch = list(self.recorder.select_notifications(start, limit))
            if batch:
                self.recheck_erasures()
            return batch
        batch, destroyed = both(start, limit)
        if destroyed is not None and self.personal:
            self.personal.revalidate(destroyed)
        return batch

    def recheck_erasures(self) -> None:
        """Call before decoding a batch in a long-running reader: drops keys destroyed elsewhere."""
        if self.personal:
            self.personal.revalidate()


def store_env(
    kind: Literal["sqlite", "postgres"],
    *,
    sqlite_path: str = "",
    host: str = "",
    port: int = 5432,
    dbname: str = "",
    user: str = "",
    password: str = "",
    schema: str = "",
    pool_size: int = 5,
) -> dict[str, str]:
    """eventsourcing environment variables for the chosen store."""
    if kind == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": sqlite_path,
            "APPLICATION_RECORDER_TOPIC": "adapters.chained_sqlite:ChainedSQLiteRecorder",
        }
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "adapters.chained_postgres:ChainedPostgresRecorder",
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port),
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_POOL_SIZE": str(pool_size),
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def open_event_store(env: dict[str, str], **kwargs: Any) -> EventStore:
    return EventStore(env={**env, **kwargs})
