"""Inbound parses against a copy of the agency registry read a moment ago (one read per read
cost a round trip on every command's way). An agency registered since, by another process such
as the HTTP API, must not be refused for want of it: what the copy rejects is parsed again
against a fresh read. Over TCP on Apache Kafka, on both stores."""

from __future__ import annotations

import orjson

from services.kafka_runtime.wiring import KafkaParts
from tests.integration.test_inbound import until
from tests.integration.test_inbound_poison import send_to
from tests.kafka_helpers import agencies_sending_in_tests, kent_police_topic
from tests.unit.test_inbound_parse import command

HUB = "provider:kent-rj-hub"
A = "0b6a6c62-0000-4000-8000-0000000000a1"
B = "0b6a6c62-0000-4000-8000-0000000000b2"


def registration() -> dict[str, object]:
    return {
        "type": "register_agency",
        "command_id": "reg-hub",
        "agency": "admin:backbone",
        "user": "ops",
        "occurred_at": "2025-01-02T10:00:00+00:00",
        "code": HUB,
        "name": "Kent RJ Hub",
        "reason": "commissioned by the Kent PCC",
        "pcc_areas": ["kent"],
    }


async def test_an_agency_registered_by_another_process_is_not_refused_for_an_old_copy(
    parts: KafkaParts,
) -> None:
    await parts.ensure_inbound_topics(agencies_sending_in_tests() | {HUB})
    inbound = parts.inbound(quiet=True)
    inbound.registry.max_age = 600.0  # the copy read for the first command outlives the test
    await inbound.start()
    try:
        police = orjson.dumps(command(command_id="refer-a", case_id=A))
        await send_to(parts.bootstrap, kent_police_topic(parts), [(0, police, [])])
        await until(lambda: inbound.stats.stored_count == 1)
        assert inbound.registry.reads == 1

        service = parts.backbone.commands  # as the HTTP API would, in its own process
        service.handle(service.parse(registration()))
        hub = orjson.dumps(command(command_id="refer-b", case_id=B, agency=HUB))
        await send_to(parts.bootstrap, parts.topics.inbound_commands(HUB), [(0, hub, [])])
        await until(lambda: inbound.stats.stored_count + inbound.stats.dead_letter_count == 2)

        assert list(inbound.stats.dead_lettered) == [], "refused against the old copy"
        assert inbound.registry.reads == 2  # the copy, then one fresh read for its rejection
    finally:
        await inbound.stop()


async def test_commands_in_quick_succession_share_one_registry_read(parts: KafkaParts) -> None:
    await parts.ensure_inbound_topics(agencies_sending_in_tests())
    inbound = parts.inbound(quiet=True)
    inbound.registry.max_age = 600.0
    await inbound.start()
    try:
        for n in range(5):  # five reads, one command each
            police = orjson.dumps(command(command_id=f"refer-{n}", case_id=f"{A[:-2]}0{n}"))
            await send_to(parts.bootstrap, kent_police_topic(parts), [(n % 2, police, [])])
            await until(lambda n=n: inbound.stats.stored_count == n + 1)  # type: ignore[misc]
        assert inbound.registry.reads == 1
    finally:
        await inbound.stop()
