"""Identity is enforced by Apache Kafka itself (SASL/SCRAM, StandardAuthorizer, deny by default):
each agency writes only its own inbound topic and reads only its own shared topic, and only while
an active agreement names it as a recipient. Every denial here comes from the broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from adapters.apache_kafka import ApacheKafka
from projections.queries import ReadModels
from services.bootstrap import Backbone, build
from services.commands import parse_command
from services.demo.runner import run_script
from services.demo.stories import HUB_WY, sharing_agreements
from services.kafka_runtime.access_sync import AccessReconciler
from tests.conftest import sqlite_settings
from tests.kafka_helpers import as_backbone_on, as_principal, fast_kafka_settings

WY, KENT = HUB_WY, "pcc:kent"


@pytest.fixture
def backbone_on_secure_broker(
    secure_kafka_broker: ApacheKafka, tmp_path: Path, topic_prefix: str
) -> Iterator[Backbone]:
    settings = fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix)
    bb = build(as_backbone_on(settings, secure_kafka_broker))
    run_script(bb.commands, sharing_agreements())  # ISA-WY-RJ-001 active: the WY hub receives
    yield bb
    bb.close()


@pytest.fixture
async def access(backbone_on_secure_broker: Backbone) -> AsyncIterator[AccessReconciler]:
    reconciler = backbone_on_secure_broker.kafka().access()
    yield reconciler
    for user in await asyncio.to_thread(reconciler.admin.users):
        if user != reconciler.settings.kafka_sasl_username:
            await asyncio.to_thread(reconciler.revoke_credentials, user)


async def onboard(access: AccessReconciler, *agencies: str) -> dict[str, str]:
    """Credentials for each agency (as `rjb kafka credentials issue` hands them out), then ACLs."""
    passwords = {
        a: await asyncio.to_thread(access.issue_credentials, a.replace(":", ".", 1))
        for a in agencies
    }
    await access.apply(force=True)
    return passwords


async def send_once_authorized(
    connection: dict[str, Any], topic: str, value: bytes, key: bytes
) -> None:
    """Send as soon as the broker applies the new ACLs: a KRaft broker takes them from the
    metadata log a moment after the controller commits them, so the first tries may be denied."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        producer = AIOKafkaProducer(**connection, request_timeout_ms=5000)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key)
            return
        except TopicAuthorizationFailedError:
            if asyncio.get_running_loop().time() > deadline:
                raise
        finally:
            await producer.stop()
        await asyncio.sleep(0.2)


async def produce(connection: dict[str, Any], topic: str) -> None:
    producer = AIOKafkaProducer(**connection, request_timeout_ms=5000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"type": "close_case"}', key=b"k")
    finally:
        await producer.stop()


async def consume(connection: dict[str, Any], topic: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        **connection,
        group_id=group,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=3000)
    finally:
        await consumer.stop()


async def test_an_agency_cannot_write_another_agencys_inbound_topic(
    secure_kafka_broker: ApacheKafka, access: AccessReconciler
) -> None:
    passwords = await onboard(access, WY, KENT)
    kent = as_principal(secure_kafka_broker, "pcc.kent", passwords[KENT])
    await produce(kent, access.topics.inbound_commands(KENT))  # its own: allowed
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(kent, access.topics.inbound_commands(WY))


async def test_an_agency_cannot_read_another_agencys_shared_topic_or_the_case_event_topic(
    secure_kafka_broker: ApacheKafka, access: AccessReconciler
) -> None:
    passwords = await onboard(access, WY, KENT)
    kent = as_principal(secure_kafka_broker, "pcc.kent", passwords[KENT])
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(kent, access.topics.shared(WY), "pcc.kent.reader")
    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        await consume(kent, access.topics.case_events, "pcc.kent.reader")


async def test_a_recipient_reads_its_shared_topic_only_in_a_consumer_group_of_its_own(
    secure_kafka_broker: ApacheKafka, access: AccessReconciler
) -> None:
    passwords = await onboard(access, WY)
    hub = as_principal(secure_kafka_broker, "pcc.west-yorkshire", passwords[WY])
    await consume(hub, access.topics.shared(WY), "pcc.west-yorkshire.case-system")
    with pytest.raises(GroupAuthorizationFailedError):
        await consume(hub, access.topics.shared(WY), "pcc.kent.case-system")


async def test_an_agency_loses_read_on_its_shared_topic_while_its_last_agreement_is_suspended(
    secure_kafka_broker: ApacheKafka, access: AccessReconciler, backbone_on_secure_broker: Backbone
) -> None:
    passwords = await onboard(access, WY)
    hub = as_principal(secure_kafka_broker, "pcc.west-yorkshire", passwords[WY])
    group = "pcc.west-yorkshire.case-system"
    change = {
        "command_id": "c-suspend",
        "agency": WY,
        "user": "isa-lead",
        "occurred_at": "2024-02-01T09:00:00+00:00",
        "reference": "ISA-WY-RJ-001",
    }
    backbone_on_secure_broker.commands.handle(
        parse_command({**change, "type": "suspend_agreement", "reason": "data breach review"})
    )
    plan = await access.apply()
    assert plan is not None and any("READ topic" in line for line in plan.lines())
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(hub, access.topics.shared(WY), group)
    backbone_on_secure_broker.commands.handle(
        parse_command({**change, "type": "resume_agreement", "command_id": "c-resume"})
    )
    await access.apply()
    await consume(hub, access.topics.shared(WY), group)  # read again on resumption


async def test_an_invented_agency_has_no_rights_even_with_broker_credentials(
    secure_kafka_broker: ApacheKafka, access: AccessReconciler
) -> None:
    password = await asyncio.to_thread(access.issue_credentials, "police.evil")
    plan = await access.apply(force=True)
    assert plan is not None
    assert "! user police.evil is no known agency, feed or auditor: it has no rights" in (
        plan.lines()
    )
    evil = as_principal(secure_kafka_broker, "police.evil", password)
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(evil, access.topics.inbound_commands("police:evil"))
    with pytest.raises(TopicAuthorizationFailedError):
        await produce(evil, access.topics.inbound_commands(WY))


async def test_a_principal_without_credentials_cannot_connect(
    secure_kafka_broker: ApacheKafka,
) -> None:
    with pytest.raises(KafkaConnectionError):
        await produce(as_principal(secure_kafka_broker, "pcc.kent", "guessed"), "any")


async def test_a_binding_added_by_hand_is_removed_by_the_next_reconcile(
    secure_kafka_broker: ApacheKafka, access: AccessReconciler
) -> None:
    from adapters.kafka_admin import AclGrant

    await onboard(access, KENT)
    rogue = AclGrant("User:pcc.kent", "TOPIC", access.topics.case_events, "LITERAL", "READ")
    await asyncio.to_thread(access.admin.add, [rogue])
    plan = await access.apply()
    assert plan is not None and plan.remove == [rogue]
    assert rogue not in await asyncio.to_thread(access.admin.grants)


async def test_an_impersonating_payload_on_an_agencys_own_topic_is_dead_lettered_not_stored(
    secure_kafka_broker: ApacheKafka, access: AccessReconciler, backbone_on_secure_broker: Backbone
) -> None:
    passwords = await onboard(access, KENT)
    parts = backbone_on_secure_broker.kafka()
    inbound = parts.inbound(quiet=True)
    await inbound.start()
    try:
        kent = as_principal(secure_kafka_broker, "pcc.kent", passwords[KENT])
        forged = {
            "type": "suspend_agreement",
            "command_id": "c-forged",
            "agency": WY,
            "user": "mallory",
            "occurred_at": "2024-02-01T09:00:00+00:00",
            "reference": "ISA-WY-RJ-001",
            "reason": "posing as the WY hub",
        }
        topic = access.topics.inbound_commands(KENT)
        await send_once_authorized(kent, topic, orjson.dumps(forged), b"ISA-WY-RJ-001")
        deadline = asyncio.get_running_loop().time() + 20
        while inbound.health.impersonations == 0:
            assert asyncio.get_running_loop().time() < deadline, "not dead-lettered in time"
            await asyncio.sleep(0.05)
    finally:
        await inbound.stop()
    assert inbound.stats.stored_count == 0
    agreements = ReadModels(backbone_on_secure_broker.projections).agreements.by_status()
    assert [a.reference for a in agreements["active"]] == ["ISA-WY-RJ-001"]
