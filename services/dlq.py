"""Dead-letter operations (``rjb dlq``): list, show, retry to the source topic, purge; audited.

The dead letters are the records of the dead-letter topic; what operators did with them (retry,
purge: who, when, why) is kept in ``dead_letter_actions``, since the topic is append-only. A
letter with an action is *dealt with* and left out of lists unless asked for. A retry sends the
original value, key and headers (without ``rjb_dlq_*``) back to the topic and partition it was
read from, where the inbound takes it like any message: stored if the cause was fixed (a case
created since, a store back up), dead-lettered again (a new letter) if not. A truncated letter
is not the original message and is never retried. A sealed letter (:mod:`adapters.dead_letter_seal`)
is opened only to be shown (``get``, logged by ``rjb dlq show``) or retried; lists and counts
read its readable headers alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaProducer

from adapters.dead_letter_actions import Action, ActionRow, DeadLetterActions, LetterId
from adapters.dead_letter_seal import DeadLetterSeal
from adapters.kafka_config import Topics
from adapters.topic_scan import scan
from services.dead_letter_view import DeadLetter, LetterFilter, Listed
from services.kafka_runtime.dead_letters import DLQ_OFFSET, DLQ_PARTITION

if TYPE_CHECKING:
    from services.kafka_runtime.wiring import KafkaParts


class NoSuchLetter(LookupError):
    pass


@dataclass(frozen=True)
class Outcome:
    """What happened to one dead letter asked for: done (with the detail) or refused (why)."""

    letter: str
    done: bool
    detail: str


@dataclass(frozen=True)
class Waiting:
    count: int
    oldest_age_seconds: float


def check_why(actor: str, reason: str) -> None:
    if not actor.strip() or not reason.strip():
        raise ValueError("every dead-letter action needs who (a verified identity) and why")


class DeadLetterQueue:
    def __init__(
        self,
        actions: DeadLetterActions,
        connection: dict[str, Any],
        topics: Topics,
        seal: DeadLetterSeal | None = None,
    ) -> None:
        self.actions = actions
        self.connection = connection
        self.topics = topics
        self.topic = topics.dead_letter
        self.seal = seal

    @classmethod
    def of(cls, parts: KafkaParts) -> DeadLetterQueue:
        """The dead letters of a backbone's cluster (``backbone.kafka(bootstrap)``)."""
        store, days = parts.backbone.store, parts.settings.kafka_dead_letter_retention_days
        seal = DeadLetterSeal.of(store, days)
        return cls(DeadLetterActions(store), parts.connection, parts.topics, seal)

    async def opened(self, letter: DeadLetter) -> DeadLetter:
        """A sealed letter with its original key, headers and value (unchanged when its day key
        was destroyed: it then cannot be shown or retried); an unsealed one as it is."""
        if not letter.sealed_under or self.seal is None:
            return letter
        where = (letter.source_topic, letter.header(DLQ_PARTITION), letter.header(DLQ_OFFSET))
        found = await asyncio.to_thread(self.seal.open, letter.value, letter.sealed_under, *where)
        if found is None:
            return letter
        key, headers, value = found
        return replace(letter, key=key, value=value, headers=headers + letter.headers, opened=True)

    def parse_id(self, text: str) -> LetterId:
        """``PARTITION/OFFSET`` on the dead-letter topic, as ``rjb dlq list`` shows it."""
        partition, _, offset = text.partition("/")
        if not (partition.isdigit() and offset.isdigit()):
            raise NoSuchLetter(f"{text!r} is not a dead-letter id (PARTITION/OFFSET, e.g. 0/12)")
        return LetterId(self.topic, int(partition), int(offset))

    async def letters(self, which: LetterFilter | None = None) -> list[Listed]:
        """The dead letters ``which`` selects (by default those not dealt with), oldest first."""
        which = which or LetterFilter()
        found = await scan(self.connection, self.topic, DeadLetter.from_record)
        history = await asyncio.to_thread(self.actions.all, self.topic)
        by_letter: dict[LetterId, list[ActionRow]] = {}
        for row in history:
            by_letter.setdefault(row.letter, []).append(row)
        listed = []
        for letter in sorted(found, key=lambda x: (x.timestamp, x.id.partition, x.id.offset)):
            rows = by_letter.get(letter.id, [])
            last = rows[-1] if rows else None
            if which.matches(letter, last):
                listed.append(Listed(letter, last, rows))
        return listed

    async def get(self, text: str) -> Listed:
        wanted = self.parse_id(text)
        for item in await self.letters(LetterFilter(handled_too=True)):
            if item.letter.id == wanted:
                return replace(item, letter=await self.opened(item.letter))
        raise NoSuchLetter(f"no dead letter {text} on {self.topic}")

    async def chosen(self, ids: list[str], which: LetterFilter | None) -> list[Listed | Outcome]:
        """The letters named by ``ids``, or all that ``which`` matches (not yet dealt with)."""
        if which is not None:
            return list(await self.letters(which))
        everything = {
            str(i.letter.id): i for i in await self.letters(LetterFilter(handled_too=True))
        }
        return [everything.get(i) or Outcome(i, False, "no such dead letter") for i in ids]

    def _refusal(self, item: Listed, action: Action) -> str | None:
        if item.last is not None:
            last = item.last
            when = last.acted_at.isoformat(timespec="seconds")
            return f"already dealt with: {last.action.value} by {last.actor} at {when}"
        if action is Action.RETRY:
            if problem := item.letter.not_the_original():
                return problem
            source = item.letter.source_topic
            if source != self.topics.movements and not self.topics.agency_of_inbound_topic(source):
                return f"its source topic {source!r} is not one of the backbone's inbound topics"
        return None

    async def retry(
        self, ids: list[str], actor: str, reason: str, which: LetterFilter | None = None
    ) -> list[Outcome]:
        """Send each original message again to its source topic; each retry is recorded."""
        check_why(actor, reason)
        outcomes: list[Outcome] = []
        producer = AIOKafkaProducer(
            **self.connection,
            acks="all",
            enable_idempotence=False,
            max_request_size=2 * 1024 * 1024,
        )
        try:
            await producer.start()
            for item in await self.chosen(ids, which):
                if isinstance(item, Outcome):
                    outcomes.append(item)
                    continue
                item = replace(item, letter=await self.opened(item.letter))
                if refused := self._refusal(item, Action.RETRY):
                    outcomes.append(Outcome(str(item.letter.id), False, refused))
                    continue
                letter = item.letter
                sent = await producer.send_and_wait(
                    letter.source_topic,
                    letter.value,
                    key=letter.key,
                    headers=letter.original_headers(),
                    partition=letter.source_partition,
                )
                detail = f"sent to {sent.topic}[{sent.partition}]@{sent.offset}"
                await self._record(letter.id, Action.RETRY, actor, reason, detail)
                outcomes.append(Outcome(str(letter.id), True, detail))
        finally:
            await producer.stop()
        return outcomes

    async def purge(
        self, ids: list[str], actor: str, reason: str, which: LetterFilter | None = None
    ) -> list[Outcome]:
        """Mark dead letters as dealt with (the records stay on the topic until retention)."""
        check_why(actor, reason)
        outcomes: list[Outcome] = []
        for item in await self.chosen(ids, which):
            if isinstance(item, Outcome):
                outcomes.append(item)
            elif refused := self._refusal(item, Action.PURGE):
                outcomes.append(Outcome(str(item.letter.id), False, refused))
            else:
                await self._record(item.letter.id, Action.PURGE, actor, reason, "")
                outcomes.append(Outcome(str(item.letter.id), True, "purged"))
        return outcomes

    async def _record(
        self, letter: LetterId, action: Action, actor: str, reason: str, detail: str
    ) -> None:
        row = ActionRow(letter, action, actor, datetime.now(UTC), reason, detail)
        await asyncio.to_thread(self.actions.record, row)

    async def summary(self, now: datetime | None = None) -> Waiting:
        """The dead letters not dealt with yet: how many, and the oldest one's age. For the
        metrics; it reads the whole dead-letter topic and the table, so call it per scrape."""
        waiting = await self.letters()
        oldest = waiting[0].letter.age_seconds(now or datetime.now(UTC)) if waiting else 0.0
        return Waiting(len(waiting), oldest)

    async def oldest_age_seconds(self, now: datetime | None = None) -> float:
        """Seconds since the oldest dead letter not yet dealt with was written (0 when none)."""
        return (await self.summary(now)).oldest_age_seconds
