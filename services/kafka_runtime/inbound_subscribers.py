"""The inbound subscribers as FastStream declares them (and AsyncAPI documents them): agency
commands on each agency's own topic, HMPPS prison movements, the dead-letter topic. Each batch
goes to :meth:`Inbound.process_batch <services.kafka_runtime.inbound.Inbound.process_batch>`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy

from adapters.kafka_connection import faststream_security
from services.kafka_runtime.inbound_pause import Revocations
from services.message_schemas import (
    CommandBody,
    DeadLetter,
    MovementBody,
    any_headers_batch,
    raw_body,
)
from services.settings import Settings

if TYPE_CHECKING:
    from services.kafka_runtime.inbound import Inbound

METADATA_MAX_AGE_MS = 5000  # a newly onboarded agency's inbound topic is read within ~5 s


def declare(
    inbound: Inbound, settings: Settings, bootstrap: str, quiet: bool
) -> tuple[KafkaBroker, Any]:
    """The broker with both subscribers (batches, offsets committed by hand), and the
    dead-letter topic's publisher (for the documentation)."""
    quiet_log: dict[str, Any] = {"logger": None} if quiet else {}  # no per-message log
    broker = KafkaBroker(
        bootstrap,
        security=faststream_security(settings),
        enable_idempotence=False,
        acks="all",
        description="rj-backbone: restorative justice case backbone",
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
        **quiet_log,
    )
    session = settings.kafka_session_timeout_ms
    options: dict[str, Any] = dict(
        group_id=settings.kafka_consumer_group,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        session_timeout_ms=session,
        heartbeat_interval_ms=max(100, session // 10),
        batch=True,  # stored in one transaction per batch (CommandService.handle_batch)
        max_records=inbound.limits.batch_max_records,
        batch_timeout_ms=inbound.limits.batch_linger_ms,
        fetch_min_bytes=inbound.limits.batch_min_bytes,  # the linger: the broker holds a fetch
        fetch_max_wait_ms=inbound.limits.batch_linger_ms,
        decoder=raw_body,  # the handler parses the bytes itself (services/inbound_parse.py)
        parser=any_headers_batch,
    )

    def message() -> KafkaMessage:
        """The batch being handled, from FastStream's context. Not a handler parameter: a
        ``KafkaMessage`` parameter is a context field that fast_depends resolves in a worker
        thread (anyio), a thread hop for every read."""
        found: KafkaMessage = broker.context.get_local("message")
        return found

    # Documents the topic; dead letters are sent by `inbound.writer`, which keeps header lists.
    dead_letters = broker.publisher(
        inbound.topics.dead_letter,
        title="dead letters",
        description="Rejected inbound messages, sealed (original key, headers and bytes "
        "encrypted); the reason and source in readable headers",
        schema=DeadLetter,
    )

    @broker.subscriber(
        pattern=inbound.topics.inbound_commands_pattern,
        title="agency commands",
        description="Each agency's commands on its own topic "
        "(`<prefix>.inbound.<agency>.commands.v1`, written by that agency's principal only): "
        "JSON object with `type`, `command_id`, ...; `agency` may be left out (it is the "
        "topic's owner) and is refused as impersonation when it names another",
        listener=Revocations(inbound.pauser, inbound.pipelines[False]),
        **options,
    )  # type: ignore[untyped-decorator]
    async def agency_command(body: CommandBody) -> None:
        await inbound.process_batch(message(), movement=False)

    @broker.subscriber(
        inbound.topics.movements,
        title="prison movements",
        description="HMPPS prison-offender-events.prisoner.received / .released / .merged "
        "domain events, bare or in the SNS envelope (Type, MessageId, Message as a JSON "
        "string, MessageAttributes.eventType)",
        listener=Revocations(inbound.pauser, inbound.pipelines[True]),
        **options,
    )  # type: ignore[untyped-decorator]
    async def prison_movement(body: MovementBody) -> None:
        await inbound.process_batch(message(), movement=True)

    return broker, dead_letters
