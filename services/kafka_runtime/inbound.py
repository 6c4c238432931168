"""Inbound Kafka subscribers: agency commands and HMPPS prison movements into the store.

Offsets are committed by hand, only once the message has had its effect: stored, or written to
the dead-letter topic. A crash before that means redelivery, and a redelivered command has one
effect because the command service is idempotent on ``command_id`` (movement commands get an id
derived from the movement). Whatever cannot be applied (too large, not UTF-8, malformed JSON,
unknown type, schema violation, an agency acting outside its role, a domain rule, data the store
refuses) goes to the dead-letter topic with the original bytes and headers saying why and where
it came from (:mod:`services.kafka_runtime.dead_letters`). Only a store that cannot be reached,
or a dead letter that cannot be written, is tried again: with back-off, then the partition is
paused (logged at ERROR, shown in :class:`InboundHealth`) and tried again after
``RJB_INBOUND_PAUSE_SECONDS``.
The consumer is seeked back to the message first, so no commit ever passes it.

Messages come in batches (``RJB_INBOUND_BATCH_MAX_RECORDS``, ``RJB_INBOUND_BATCH_LINGER_MS``):
a batch's commands are stored in one transaction (:meth:`CommandService.handle_batch`), its
rejected messages dead-lettered, and only then is each partition committed past the batch. If
the batch cannot be stored at once, it goes one message at a time as described above.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from adapters.dead_letter_seal import DeadLetterSeal
from adapters.kafka_config import Topics, ensure_topics
from adapters.kafka_connection import client_kwargs
from services.command_service import CommandService
from services.commands import Command
from services.inbound_errors import Rejected, apply_batch, describe, registered
from services.kafka_runtime.dead_letters import DLQ_TRUNCATED, DeadLetterWriter
from services.kafka_runtime.inbound_gather import Read
from services.kafka_runtime.inbound_health import InboundHealth, InboundStats
from services.kafka_runtime.inbound_pause import PartitionPauser
from services.kafka_runtime.inbound_pipeline import (
    BatchPipeline,
    Settled,
    at,
    commit_offsets,
    rewind,
)
from services.kafka_runtime.inbound_reads import ReadParser, RegistryCache
from services.kafka_runtime.inbound_settings import InboundSettings
from services.kafka_runtime.inbound_single import OneAtATime
from services.kafka_runtime.inbound_subscribers import declare
from services.settings import Settings

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0  # a hung group join must fail loudly, not stall `rjb serve`


class Inbound:
    """The FastStream broker with the two inbound subscribers and the dead-letter publisher."""

    def __init__(
        self,
        settings: Settings,
        bootstrap: str,
        commands: CommandService | None = None,
        quiet: bool = False,
        limits: InboundSettings | None = None,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.topics = Topics.from_settings(settings)
        self.commands = commands
        self.limits = limits or InboundSettings()
        self.stats = InboundStats()
        self.health = InboundHealth()
        s = settings  # dead letters are sealed (adapters/dead_letter_seal.py)
        self.writer = DeadLetterWriter(
            client_kwargs(settings, bootstrap),
            self.topics.dead_letter,
            self.limits.dead_letter_max_bytes,
            DeadLetterSeal.of(getattr(commands, "store", None), s.kafka_dead_letter_retention_days),
        )
        self.pauser = PartitionPauser(self.health, self.limits.pause_seconds)
        self.registry = RegistryCache(lambda: registered(commands))
        self.parser = ReadParser(self.topics, self.limits.max_message_bytes, self.registry)
        # one per subscriber: each has its own consumer, and its handler runs beside the other's
        most = self.limits.batch_max_records
        self.pipelines = {False: BatchPipeline(most), True: BatchPipeline(most)}  # by `movement`
        self.broker, self.dead_letters = declare(self, settings, bootstrap, quiet)

    async def process_batch(self, msg: Any, movement: bool) -> None:
        """Parse a read and leave it gathered for the next batch (see
        :mod:`~services.kafka_runtime.inbound_gather`); returns, so the next read is made,
        while fewer than a batch's worth of records wait."""
        records: list[Any] = list(msg.raw_message)
        if not records:
            return
        gathering = self.pipelines[movement].gathering
        generation = gathering.generation
        parsed = await self.parse_all(records, movement)
        gathering.put(Read(msg.consumer, records, parsed, generation))
        if gathering.storer is None or gathering.storer.done():
            gathering.storer = asyncio.create_task(
                self.pipelines[movement].store_gathered(
                    lambda records: self.parse_all(records, movement),
                    lambda consumer, records, parsed: self.store_batch(
                        consumer, records, parsed, movement
                    ),
                )
            )
        await gathering.until_room()

    async def parse_all(
        self, records: list[Any], movement: bool
    ) -> list[Command | Rejected] | None:
        """Each record's command or rejection; None when the batch must go one at a time (a
        command service without a batch path, or a registry the store cannot give)."""
        if not hasattr(self.commands, "handle_batch"):
            return None
        return await self.parser.parse_all(records, movement)

    async def store_batch(
        self,
        consumer: Any,
        records: list[Any],
        parsed: list[Command | Rejected] | None,
        movement: bool,
    ) -> Settled:
        """First all at once: the commands stored in one transaction (:func:`apply_batch`),
        the rejected ones dead-lettered, then one commit. If anything fails there (the store
        unreachable, a conflict that kept on, a dead letter not written), nothing was
        committed, and the batch goes one message at a time (:class:`OneAtATime`): the retries
        and the partition pause of a single message. What the first go stored is found
        already applied. Anything unforeseen rewinds the batch's partitions: read again.
        The batch's commit is left to run while the next batch is stored (in order)."""
        pipeline = self.pipelines[movement]
        try:
            if parsed is not None:
                try:
                    changed = await self.attempt_batch(records, parsed)
                except Exception as error:
                    log.warning(
                        "inbound batch of %d from %s not stored at once (%s): one at a time",
                        *(len(records), at(records[0]), describe(error)),
                    )
                else:
                    for topic, partition in {(r.topic, r.partition) for r in records}:
                        self.health.done(topic, partition)
                    pipeline.commit_after(lambda: commit_offsets(consumer, records))
                    return Settled(registry_changed=changed)
            await pipeline.committed()  # one at a time commits after the batches before
            stuck = await OneAtATime(self).settle_all(consumer, records, movement)
            self.registry.forget()
            return Settled(stuck, registry_changed=True)
        except Exception:
            log.exception("inbound batch from %s failed unexpectedly: read again", at(records[0]))
            self.registry.forget()
            return Settled(rewind(consumer, records), registry_changed=True)

    async def attempt_batch(self, records: list[Any], parsed: list[Command | Rejected]) -> bool:
        """Store the parsed commands in one transaction and dead-letter the rejected ones;
        raises when it could not (nothing may be committed then). True when an agency may
        have been registered (the next batch is parsed again)."""
        commands = [c for c in parsed if not isinstance(c, Rejected)]
        applied = iter(await asyncio.to_thread(apply_batch, self.commands, commands))  # type: ignore[arg-type]
        results = [o if isinstance(o, Rejected) else next(applied) for o in parsed]
        for record, result in zip(records, results, strict=True):
            if isinstance(result, Rejected):
                await self.dead_letter(record, result)
            else:
                self.stats.record_stored(result)
        changed = any(c.type == "register_agency" for c in commands)
        if changed:
            self.registry.forget()
        return changed

    async def dead_letter(self, record: Any, rejected: Rejected) -> None:
        letter = await self.writer.publish(record, rejected.reason, rejected.error)
        self.stats.record_dead_letter(rejected.reason)
        self.health.dead_lettered(rejected.reason)
        if rejected.error == "Impersonation":
            self.health.impersonations += 1
        cut = " (truncated)" if letter.header(DLQ_TRUNCATED) else ""
        log.warning("inbound %s dead-lettered%s: %s", at(record), cut, rejected.reason)

    async def start(self) -> None:
        await ensure_topics(
            client_kwargs(self.settings, self.bootstrap),
            self.topics.core(),
            self.settings.kafka_replication_factor,
        )
        await self.writer.start()
        try:
            await asyncio.wait_for(self.broker.start(), START_TIMEOUT)
        except TimeoutError:
            await self.broker.stop()
            await self.writer.stop()
            raise TimeoutError(
                f"inbound subscribers did not start within {START_TIMEOUT:.0f}s: is the broker "
                f"at {self.bootstrap} reachable, and is consumer group "
                f"{self.settings.kafka_consumer_group!r} free of stale members?"
            ) from None

    async def stop(self) -> None:
        """The batch being stored is stored and committed first: nothing accepted is lost."""
        for pipeline in self.pipelines.values():
            await pipeline.drain()
        self.pauser.cancel_all()
        await self.broker.stop()
        await self.writer.stop()
