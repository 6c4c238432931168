"""Topic names, partition counts and client connection settings: named in one place.

Every topic carries a version suffix so an incompatible change gets a new topic rather than a
surprise for subscribers. Each is created with explicit retention and cleanup configs
(:mod:`adapters.topic_configs`), and an existing one is brought to them at start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.helpers import create_ssl_context

from adapters.topic_configs import TopicPolicies, align_configs
from services.settings import Settings

TOPIC_ALREADY_EXISTS = 36  # created meanwhile by another process: its configs are checked too


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    key: str
    purpose: str
    configs: dict[str, str] = field(default_factory=dict, hash=False)  # retention, cleanup
    align: bool = True  # an existing topic whose configs differ is altered (else a warning)


def shared_topic_suffix(agency: str) -> str:
    """``pcc:west-yorkshire`` → ``pcc.west-yorkshire`` (Kafka allows ``[a-zA-Z0-9._-]``)."""
    return "".join(c if c.isalnum() or c in "._-" else "." for c in agency)


@dataclass(frozen=True)
class Topics:
    prefix: str = "rjb"
    case_event_partitions: int = 12
    inbound_partitions: int = 6
    shared_partitions: int = 3
    policies: TopicPolicies = field(default_factory=TopicPolicies)

    @classmethod
    def from_settings(cls, settings: Settings) -> Topics:
        s = settings
        policies = TopicPolicies(
            s.kafka_case_event_retention_days,
            s.kafka_shared_retention_days,
            s.kafka_inbound_retention_days,
            s.kafka_dead_letter_retention_days,
            s.kafka_dead_letter_max_message_bytes,
            s.kafka_align_topic_configs,
        )
        return cls(
            settings.kafka_topic_prefix,
            settings.kafka_case_event_partitions,
            settings.kafka_inbound_partitions,
            settings.kafka_shared_partitions,
            policies,
        )

    @property
    def case_events(self) -> str:
        return f"{self.prefix}.case-events.v1"

    def inbound_commands(self, agency: str) -> str:
        """An agency's own inbound topic: only it may write there (Kafka ACLs), so the
        backbone takes the acting agency from the topic a command was read from."""
        return f"{self.prefix}.inbound.{shared_topic_suffix(agency)}.commands.v1"

    @property
    def inbound_commands_pattern(self) -> str:
        """Every agency's inbound topic, as a regular expression for a subscription."""
        return rf"^{re.escape(self.prefix)}\.inbound\.[a-z]+\.[A-Za-z0-9-]+\.commands\.v1$"

    def agency_of_inbound_topic(self, topic: str) -> str | None:
        """``rjb.inbound.pcc.kent.commands.v1`` → ``pcc:kent``; None for any other topic."""
        if not re.fullmatch(self.inbound_commands_pattern, topic):
            return None
        middle = topic.removeprefix(f"{self.prefix}.inbound.").removesuffix(".commands.v1")
        return middle.replace(".", ":", 1)

    def inbound_spec(self, agency: str) -> TopicSpec:
        return TopicSpec(
            self.inbound_commands(agency),
            self.inbound_partitions,
            "aggregate key or command id",
            f"commands from {agency}, written by {agency} only",
            self.policies.inbound(),
            self.policies.align,
        )

    @property
    def movements(self) -> str:
        return f"{self.prefix}.inbound.prison-movements.v1"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}.dead-letter.v1"

    def shared(self, agency: str) -> str:
        return f"{self.prefix}.shared.{shared_topic_suffix(agency)}.v1"

    def core(self) -> list[TopicSpec]:
        return [
            TopicSpec(
                self.case_events,
                self.case_event_partitions,
                "aggregate id",
                "every stored event, CloudEvents binary mode",
                self.policies.case_events(),
                self.policies.align,
            ),
            TopicSpec(
                self.movements,
                self.inbound_partitions,
                "prison number",
                "HMPPS prison movement messages",
                self.policies.inbound(),
                self.policies.align,
            ),
            TopicSpec(
                self.dead_letter,
                1,
                "none (sealed)",
                "rejected inbound messages, sealed, with the reason in headers",
                self.policies.dead_letter(),
                self.policies.align,
            ),
        ]

    def shared_spec(self, agency: str) -> TopicSpec:
        return TopicSpec(
            self.shared(agency),
            self.shared_partitions,
            "aggregate id",
            f"events {agency} may receive under active sharing agreements",
            self.policies.shared(),
            self.policies.align,
        )


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


async def ensure_topics(
    connection: dict[str, Any], specs: list[TopicSpec], replication_factor: int = 1
) -> None:
    """Create the topics that do not exist yet, with their configs; bring existing ones to their
    configs (or warn: :func:`adapters.topic_configs.align_configs`)."""
    admin = AIOKafkaAdminClient(**connection)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(s.name, s.partitions, replication_factor, topic_configs=dict(s.configs))
            for s in specs
            if s.name not in existing
        ]
        if missing:
            created = await admin.create_topics(missing)
            existing |= {t[0] for t in created.topic_errors if t[1] == TOPIC_ALREADY_EXISTS}
        present = [s for s in specs if s.name in existing]
        if present:
            alter = all(s.align for s in present)
            await align_configs(admin, list(present), alter, str(connection["bootstrap_servers"]))
    finally:
        await admin.close()


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
