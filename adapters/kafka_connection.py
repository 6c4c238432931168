"""Connecting to Kafka: the security settings checked at start-up, the clients' arguments, the
cluster's id.

aiokafka and FastStream get the same protocol, SASL mechanism, credentials and TLS context;
settings that contradict each other are refused with the variable to fix.
"""

from __future__ import annotations

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context

from services.settings import Settings


class KafkaSecurityError(ValueError):
    """The Kafka security settings contradict each other (said at start-up, not at connect)."""


def sasl_password(settings: Settings) -> str:
    """The SASL password: set directly, or read from its secret file (never created)."""
    path, direct = settings.kafka_sasl_password_file, settings.kafka_sasl_password
    if path is None:
        return direct.get_secret_value()
    if direct.get_secret_value():
        raise KafkaSecurityError(
            "RJB_KAFKA_SASL_PASSWORD and RJB_KAFKA_SASL_PASSWORD_FILE: one only"
        )
    try:
        return path.read_text().rstrip("\r\n")
    except OSError as error:
        raise KafkaSecurityError(
            f"RJB_KAFKA_SASL_PASSWORD_FILE {path}: {error.strerror}"
        ) from error


def check_security(settings: Settings) -> None:
    protocol, mechanism = settings.kafka_security_protocol, settings.kafka_sasl_mechanism
    if protocol.startswith("SASL_"):
        if not mechanism:
            raise KafkaSecurityError(f"{protocol} needs RJB_KAFKA_SASL_MECHANISM")
        if not settings.kafka_sasl_username or not sasl_password(settings):
            raise KafkaSecurityError(
                f"{protocol} needs RJB_KAFKA_SASL_USERNAME and RJB_KAFKA_SASL_PASSWORD"
            )
    elif mechanism:
        raise KafkaSecurityError(
            f"RJB_KAFKA_SASL_MECHANISM={mechanism} needs RJB_KAFKA_SECURITY_PROTOCOL "
            f"SASL_SSL or SASL_PLAINTEXT, not {protocol}"
        )
    cafile = settings.kafka_ssl_cafile
    if cafile is not None:
        if protocol not in ("SSL", "SASL_SSL"):
            raise KafkaSecurityError(f"RJB_KAFKA_SSL_CAFILE is set but {protocol} uses no TLS")
        if not cafile.is_file():
            raise KafkaSecurityError(f"RJB_KAFKA_SSL_CAFILE {cafile} is not a file")


def client_kwargs(settings: Settings, bootstrap: str | None = None) -> dict[str, Any]:
    """aiokafka connection arguments (also accepted by FastStream's ``KafkaBroker``)."""
    check_security(settings)
    kwargs: dict[str, Any] = {
        "bootstrap_servers": bootstrap or settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism:  # aiokafka takes SCRAM credentials as sasl_plain_*
        kwargs["sasl_mechanism"] = settings.kafka_sasl_mechanism
        kwargs["sasl_plain_username"] = settings.kafka_sasl_username
        kwargs["sasl_plain_password"] = sasl_password(settings)
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        kwargs["ssl_context"] = create_ssl_context(cafile=cafile)
    return kwargs


def faststream_security(settings: Settings) -> Any:
    """The same connection security as :func:`client_kwargs`, as FastStream expects it."""
    from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

    check_security(settings)
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    use_ssl = protocol in ("SSL", "SASL_SSL")
    ssl = client_kwargs(settings).get("ssl_context")
    if not settings.kafka_sasl_mechanism:
        return BaseSecurity(ssl_context=ssl, use_ssl=use_ssl)
    sasl = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}[
        settings.kafka_sasl_mechanism
    ]
    return sasl(
        settings.kafka_sasl_username,
        sasl_password(settings),
        ssl_context=ssl,
        use_ssl=use_ssl,
    )


async def cluster_id(connection: dict[str, Any]) -> str:
    """The cluster's id (DescribeCluster). tansu answers with the same id whatever it lost, so
    there lost data is noticed by offsets alone. An unreachable broker raises."""
    admin = AIOKafkaAdminClient(**connection)
    await admin.start()
    try:
        described = await admin.describe_cluster()
        return str(described.get("cluster_id") or "")
    finally:
        await admin.close()
