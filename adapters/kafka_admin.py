"""SCRAM users and ACLs on Apache Kafka, through librdkafka's admin client (confluent-kafka).

aiokafka's admin client has neither ACLs nor SCRAM credentials, so this one adapter uses
confluent-kafka's. Calls block (they wait on futures): run them in a thread from async code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from adapters.kafka_connection import sasl_password
from services.settings import Settings

Operation = Literal["READ", "WRITE", "DESCRIBE"]
Resource = Literal["TOPIC", "GROUP"]
Pattern = Literal["LITERAL", "PREFIXED"]


@dataclass(frozen=True, order=True)
class AclGrant:
    """One ALLOW binding: ``principal`` may ``operation`` on the resource."""

    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation

    def __str__(self) -> str:
        star = "*" if self.pattern == "PREFIXED" else ""
        return f"{self.principal} {self.operation} {self.resource.lower()} {self.name}{star}"


TIMEOUT = 15.0
SCRAM_ITERATIONS = 8192


def librdkafka_config(settings: Settings, bootstrap: str | None = None) -> dict[str, Any]:
    """The settings of :func:`adapters.kafka_connection.client_kwargs`, for librdkafka."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap or settings.kafka_bootstrap_servers,
        "security.protocol": settings.kafka_security_protocol,
        "log.connection.close": False,
    }
    if settings.kafka_sasl_mechanism:
        config["sasl.mechanism"] = settings.kafka_sasl_mechanism
        config["sasl.username"] = settings.kafka_sasl_username
        config["sasl.password"] = sasl_password(settings)
    if settings.kafka_ssl_cafile:
        config["ssl.ca.location"] = str(settings.kafka_ssl_cafile)
    return config


def _binding(grant: AclGrant, kind: type[Any] = AclBinding) -> Any:
    """The binding (or, with ``kind=AclBindingFilter``, the filter matching exactly it)."""
    return kind(
        ResourceType[grant.resource],
        grant.name,
        ResourcePatternType[grant.pattern],
        grant.principal,
        "*",
        AclOperation[grant.operation],
        AclPermissionType.ALLOW,
    )


def _grant(binding: Any) -> AclGrant | None:
    """Our ALLOW bindings as grants; anything else (DENY, other operations) is not ours."""
    operation = binding.operation.name
    if binding.permission_type != AclPermissionType.ALLOW or binding.host != "*":
        return None
    if operation not in ("READ", "WRITE", "DESCRIBE"):
        return None
    resource, pattern = binding.restype.name, binding.resource_pattern_type.name
    if resource not in ("TOPIC", "GROUP") or pattern not in ("LITERAL", "PREFIXED"):
        return None
    return AclGrant(binding.principal, resource, binding.name, pattern, operation)


class KafkaAdmin:
    """The few admin operations the backbone needs."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.client = AdminClient(config)

    def users(self) -> list[str]:
        described: Any = self.client.describe_user_scram_credentials()
        return sorted(described.result(TIMEOUT))

    def set_password(self, user: str, password: str) -> None:
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
        upsert = UserScramCredentialUpsertion(user, info, password.encode())
        for future in self.client.alter_user_scram_credentials([upsert]).values():
            future.result(TIMEOUT)

    def delete_user(self, user: str) -> None:
        deletion = UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)
        for future in self.client.alter_user_scram_credentials([deletion]).values():
            future.result(TIMEOUT)

    def grants(self) -> list[AclGrant]:
        anything: Any = None  # librdkafka's "match any" (its stubs say str)
        any_binding = AclBindingFilter(
            ResourceType.ANY,
            anything,
            ResourcePatternType.ANY,
            anything,
            anything,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        bindings = self.client.describe_acls(any_binding).result(TIMEOUT)
        return [g for g in (_grant(b) for b in bindings) if g is not None]

    def add(self, grants: Iterable[AclGrant]) -> None:
        bindings = [_binding(g) for g in grants]
        if bindings:
            for future in self.client.create_acls(bindings).values():
                future.result(TIMEOUT)

    def remove(self, grants: Iterable[AclGrant]) -> None:
        filters = [_binding(g, AclBindingFilter) for g in grants]
        if filters:
            for future in self.client.delete_acls(filters).values():
                future.result(TIMEOUT)
