"""Helpers for tests over TCP: fast settings; read a topic without a consumer group."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord
from pydantic import SecretStr

from adapters import topic_reader
from adapters.apache_kafka import ApacheKafka
from services.settings import Settings


def fast_kafka_settings(settings: Settings, prefix: str, **overrides: Any) -> Settings:
    """Short timeouts and small partitions so tests over TCP stay quick."""
    values = {
        "kafka_topic_prefix": prefix,
        "kafka_consumer_group": f"{prefix}-group",  # no rebalancing against earlier tests
        "kafka_case_event_partitions": 3,
        "kafka_inbound_partitions": 2,
        "kafka_shared_partitions": 1,
        "kafka_session_timeout_ms": 1000,
        "kafka_relay_poll_interval": 0.05,
        "kafka_broker_check_interval": 0.3,
        **overrides,
    }
    return settings.model_copy(update=values)


async def read_topic(
    bootstrap: str, topic: str, at_least: int = 0, timeout: float = 10.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on ``topic`` (all partitions, from the start), waiting for ``at_least``."""
    return await topic_reader.read_topic({"bootstrap_servers": bootstrap}, topic, at_least, timeout)


def as_backbone_on(settings: Settings, broker: ApacheKafka) -> Settings:
    """Settings that connect as the backbone's own principal (the secured broker's super user)."""
    assert broker.super_user is not None
    return settings.model_copy(
        update={
            "kafka_bootstrap_servers": broker.bootstrap,
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_mechanism": "SCRAM-SHA-512",
            "kafka_sasl_username": broker.super_user.name,
            "kafka_sasl_password": SecretStr(broker.super_user.password),
        }
    )


def as_principal(broker: ApacheKafka, user: str, password: str) -> dict[str, Any]:
    """aiokafka connection arguments for one SCRAM user on the secured broker."""
    return {
        "bootstrap_servers": broker.bootstrap,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": user,
        "sasl_plain_password": password,
    }


def agencies_sending_in_tests() -> set[str]:
    """Agencies whose inbound topics the inbound tests write (the stories' and a few more)."""
    from services.cli.demo_via_kafka import demo_agencies
    from services.demo.runner import all_scripts

    return demo_agencies(all_scripts()) | {"police:kent", "pcc:kent", "police:essex"}


def kent_police_topic(parts: Any) -> str:
    """The inbound topic of police:kent, the sender of most inbound tests' commands."""
    topic: str = parts.topics.inbound_commands("police:kent")
    return topic
