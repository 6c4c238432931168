"""A production cluster's security settings become the same aiokafka and FastStream configs."""

from __future__ import annotations

import os
import re
import ssl
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from faststream.kafka.security import parse_security

from adapters.kafka_connection import KafkaSecurityError, client_kwargs, faststream_security
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CA = ROOT / "tests" / "fixtures" / "test-kafka-ca.pem"
BOOTSTRAP = "b1:9093,b2:9093"


def settings_from_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in [n for n in os.environ if n.startswith("RJB_KAFKA_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(f"RJB_KAFKA_{name}", value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def ca_subjects(context: ssl.SSLContext) -> list[Any]:
    return [dict(part[0] for part in c["subject"])["commonName"] for c in context.get_ca_certs()]


def scram(monkeypatch: pytest.MonkeyPatch, **extra: str) -> Settings:
    env = dict(
        BOOTSTRAP_SERVERS=BOOTSTRAP,
        SECURITY_PROTOCOL="SASL_SSL",
        SASL_MECHANISM="SCRAM-SHA-512",
        SASL_USERNAME="rj-backbone",
        SASL_PASSWORD="s3cret",
        SSL_CAFILE=str(CA),
    )
    return settings_from_env(monkeypatch, **{**env, **extra})


def test_sasl_ssl_with_scram_and_a_private_ca_gives_aiokafka_a_verifying_tls_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kwargs = client_kwargs(scram(monkeypatch))
    assert kwargs["bootstrap_servers"] == BOOTSTRAP
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == (
        "rj-backbone",
        "s3cret",
    )
    context = kwargs["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert ca_subjects(context) == ["rj-backbone test CA"]


async def test_every_aiokafka_client_the_backbone_makes_accepts_those_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kwargs = client_kwargs(scram(monkeypatch, SASL_MECHANISM="SCRAM-SHA-256"))
    producer = AIOKafkaProducer(**kwargs, acks="all", enable_idempotence=False)
    consumer = AIOKafkaConsumer(**kwargs, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(**kwargs)
    for client in (producer.client, consumer._client, admin._client):
        assert client._security_protocol == "SASL_SSL"
        assert client._sasl_mechanism == "SCRAM-SHA-256"
        assert client._sasl_plain_username == "rj-backbone"
        assert client._ssl_context is kwargs["ssl_context"]
    await producer.stop()  # never started: nothing to close but the client
    await consumer.stop()


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"])
def test_faststream_gets_the_same_security_as_the_relays(
    monkeypatch: pytest.MonkeyPatch, mechanism: str
) -> None:
    settings = scram(monkeypatch, SASL_MECHANISM=mechanism)
    mine = client_kwargs(settings)
    theirs = parse_security(faststream_security(settings))
    for key in (
        "security_protocol",
        "sasl_mechanism",
        "sasl_plain_username",
        "sasl_plain_password",
    ):
        assert theirs[key] == mine[key], key
    assert ca_subjects(theirs["ssl_context"]) == ["rj-backbone test CA"]
    KafkaBroker(BOOTSTRAP, security=faststream_security(settings))  # accepted as configured


def test_ssl_with_a_ca_file_and_no_sasl(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from_env(monkeypatch, SECURITY_PROTOCOL="SSL", SSL_CAFILE=str(CA))
    kwargs = client_kwargs(settings, "b1:9093")
    assert kwargs["security_protocol"] == "SSL" and "sasl_mechanism" not in kwargs
    assert ca_subjects(kwargs["ssl_context"]) == ["rj-backbone test CA"]
    theirs = parse_security(faststream_security(settings))
    assert theirs["security_protocol"] == "SSL"
    assert ca_subjects(theirs["ssl_context"]) == ["rj-backbone test CA"]


def test_plaintext_dev_broker_has_no_tls_and_no_faststream_security(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_from_env(monkeypatch)
    assert client_kwargs(settings, "127.0.0.1:9092") == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "PLAINTEXT",
    }
    assert faststream_security(settings) is None


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SECURITY_PROTOCOL": "SASL_SSL"}, "needs RJB_KAFKA_SASL_MECHANISM"),
        (
            {"SECURITY_PROTOCOL": "SASL_SSL", "SASL_MECHANISM": "SCRAM-SHA-512"},
            "needs RJB_KAFKA_SASL_USERNAME and RJB_KAFKA_SASL_PASSWORD",
        ),
        ({"SASL_MECHANISM": "SCRAM-SHA-512"}, "not PLAINTEXT"),
        ({"SSL_CAFILE": str(CA)}, "PLAINTEXT uses no TLS"),
        ({"SECURITY_PROTOCOL": "SSL", "SSL_CAFILE": "/nonexistent/ca.pem"}, "is not a file"),
    ],
)
def test_contradictory_security_settings_are_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], complaint: str
) -> None:
    settings = settings_from_env(monkeypatch, **env)
    with pytest.raises(KafkaSecurityError, match=re.escape(complaint)):
        client_kwargs(settings, "b1:9093")
    with pytest.raises(KafkaSecurityError, match=re.escape(complaint)):
        faststream_security(settings)


def test_the_sasl_password_can_come_from_a_secret_file_and_only_from_one_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "kafka_backbone_password"
    secret.write_text("from-the-secret\n")
    sasl = {
        "SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "SASL_MECHANISM": "SCRAM-SHA-512",
        "SASL_USERNAME": "rj-backbone",
        "BOOTSTRAP_SERVERS": BOOTSTRAP,
    }
    settings = settings_from_env(monkeypatch, **sasl, SASL_PASSWORD_FILE=str(secret))
    assert client_kwargs(settings)["sasl_plain_password"] == "from-the-secret"
    both = settings_from_env(monkeypatch, **sasl, SASL_PASSWORD_FILE=str(secret), SASL_PASSWORD="x")
    with pytest.raises(KafkaSecurityError, match="one only"):
        client_kwargs(both)
    missing = settings_from_env(monkeypatch, **sasl, SASL_PASSWORD_FILE=str(tmp_path / "gone"))
    with pytest.raises(KafkaSecurityError, match="No such file"):
        client_kwargs(missing)
