"""Topic names and partition counts, named in one place, and the topics' creation.

Every topic carries a version suffix so an incompatible change gets a new topic rather than a
surprise for subscribers. Each is created with explicit retention and cleanup configs
(:mod:`adapters.topic_configs`), and an existing one is brought to them at start. The client
connection settings are in :mod:`adapters.kafka_connection`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

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
