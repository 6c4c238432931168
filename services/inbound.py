"""Inbound Kafka subscribers: agency commands and HMPPS prison movements into the store.

Offsets are committed by hand, only once the message has had its effect: stored, or written to
the dead-letter topic. A crash before that means redelivery, and a redelivered command has one
effect because the command service is idempotent on ``command_id`` (movement commands get an id
derived from the movement). Whatever cannot be applied (malformed JSON, unknown type, schema
violation, an agency acting outside its role, a domain rule) goes to the dead-letter topic with
the original bytes and headers saying why and where it came from; nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from pydantic import ValidationError

from adapters.hmpps import PrisonMovementMessage
from adapters.kafka_config import Topics, client_kwargs, ensure_topics, faststream_security
from domain.agency_roles import refusal
from domain.errors import DomainError
from services.command_service import CommandResult, CommandService
from services.commands import COMMAND_MODELS, Command, parse_command
from services.message_schemas import CommandBody, DeadLetter, MovementBody, raw_body
from services.settings import Settings

log = logging.getLogger(__name__)

DLQ_REASON = "rjb_dlq_reason"
DLQ_TOPIC = "rjb_dlq_source_topic"
DLQ_PARTITION = "rjb_dlq_source_partition"
DLQ_OFFSET = "rjb_dlq_source_offset"
SENDER_HEADER = "rjb_agency"


class Rejected(Exception):
    """The message cannot be applied; the text is the reason given in the dead letter."""


def explain(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in error.errors()
    )


def decode(body: bytes) -> dict[str, Any]:
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise Rejected(f"malformed JSON: {error}") from error
    if not isinstance(raw, dict):
        raise Rejected("malformed message: expected a JSON object")
    return raw


def command_from(body: bytes, movement: bool) -> Command:
    raw = decode(body)
    try:
        if movement:
            return parse_command(PrisonMovementMessage.model_validate(raw).to_command())
        if raw.get("type") not in COMMAND_MODELS:
            raise Rejected(f"unknown command type {raw.get('type')!r}")
        return parse_command(raw)
    except ValidationError as error:
        raise Rejected(f"schema violation: {explain(error)}") from error
    except ValueError as error:  # e.g. a movement with no NOMS number
        raise Rejected(f"schema violation: {error}") from error


def check_sender(command: Command, headers: dict[str, str]) -> None:
    sender = headers.get(SENDER_HEADER)
    if sender is not None and sender != command.agency:
        raise Rejected(f"sent by {sender} but claims to come from {command.agency}")
    reason = refusal(command.agency, command.type)
    if reason:
        raise Rejected(f"agency role: {reason}")


@dataclass
class InboundStats:
    stored: list[CommandResult] = field(default_factory=list)
    dead_lettered: list[str] = field(default_factory=list)


START_TIMEOUT = 60.0  # a hung group join must fail loudly, not stall `rjb serve`


class Inbound:
    """The FastStream broker with the two inbound subscribers and the dead-letter publisher."""

    def __init__(
        self,
        settings: Settings,
        bootstrap: str,
        commands: CommandService | None = None,
        quiet: bool = False,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.topics = Topics.from_settings(settings)
        self.commands = commands
        self.stats = InboundStats()
        quiet_log: dict[str, Any] = {"logger": None} if quiet else {}  # no per-message log
        self.broker = KafkaBroker(
            bootstrap, security=faststream_security(settings), enable_idempotence=False,
            acks="all", description="rj-backbone: restorative justice case backbone", **quiet_log,
        )  # fmt: skip
        session = settings.kafka_session_timeout_ms
        options: dict[str, Any] = dict(
            group_id=settings.kafka_consumer_group, ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest", session_timeout_ms=session,
            heartbeat_interval_ms=max(100, session // 10),
        )  # fmt: skip
        self.dead_letters = self.broker.publisher(
            self.topics.dead_letter, title="dead letters",
            description="Rejected inbound messages: original bytes, reason and source in headers",
            schema=DeadLetter,
        )  # fmt: skip

        @self.broker.subscriber(
            self.topics.commands, title="agency commands",
            description="Agency commands (JSON object with `type`, `command_id`, `agency`, ...)",
            decoder=raw_body, **options,
        )  # type: ignore[untyped-decorator]  # fmt: skip
        async def agency_command(body: CommandBody, msg: KafkaMessage) -> None:
            await self.process(msg, movement=False)

        @self.broker.subscriber(
            self.topics.movements, title="prison movements",
            description="HMPPS prison-offender-events.prisoner.received / .released messages",
            decoder=raw_body, **options,
        )  # type: ignore[untyped-decorator]  # fmt: skip
        async def prison_movement(body: MovementBody, msg: KafkaMessage) -> None:
            await self.process(msg, movement=True)

    async def process(self, msg: Any, movement: bool) -> None:
        record = msg.raw_message
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        try:
            command = command_from(record.value, movement)
            check_sender(command, headers)
            assert self.commands is not None, "inbound needs a command service to store into"
            result = await asyncio.to_thread(self.commands.handle, command)
        except Rejected as rejected:
            await self.dead_letter(record, str(rejected))
        except DomainError as error:
            await self.dead_letter(record, f"domain rule: {error.message} [rule: {error.rule}]")
        except Exception:
            log.exception("inbound %s@%s: not stored; it will be redelivered",
                          record.topic, record.offset)  # fmt: skip
            await asyncio.sleep(0.5)
            await msg.nack()
            return
        else:
            self.stats.stored.append(result)
        await msg.ack()

    async def dead_letter(self, record: Any, reason: str) -> None:
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        headers.update({
            DLQ_REASON: reason, DLQ_TOPIC: record.topic,
            DLQ_PARTITION: str(record.partition), DLQ_OFFSET: str(record.offset),
        })  # fmt: skip
        await self.broker.publish(
            record.value, self.topics.dead_letter, key=record.key, headers=headers
        )
        self.stats.dead_lettered.append(reason)

    async def start(self) -> None:
        await ensure_topics(
            client_kwargs(self.settings, self.bootstrap), self.topics.core(),
            self.settings.kafka_replication_factor,
        )  # fmt: skip
        try:
            await asyncio.wait_for(self.broker.start(), START_TIMEOUT)
        except TimeoutError:
            await self.broker.stop()
            raise TimeoutError(
                f"inbound subscribers did not start within {START_TIMEOUT:.0f}s: is the broker "
                f"at {self.bootstrap} reachable, and is consumer group "
                f"{self.settings.kafka_consumer_group!r} free of stale members?"
            ) from None

    async def stop(self) -> None:
        await self.broker.stop()
