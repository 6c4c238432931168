"""What the demo reads back from Kafka: each case's events on the case-event topic and on every
agency's shared topic, checked against the store and the recorded share decisions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
from aiokafka import ConsumerRecord

from adapters.cloudevents import attributes
from adapters.kafka_config import Topics
from adapters.share_decisions import ShareDecisionRow
from adapters.topic_reader import read_topic


@dataclass
class OnTopic:
    """One aggregate's events read back from a topic, each version once (delivery is at least
    once, so a republished event is seen again)."""

    by_version: dict[int, ConsumerRecord[bytes, bytes]] = field(default_factory=dict)

    def versions(self) -> list[int]:
        return sorted(self.by_version)

    def types(self) -> list[str]:
        return [attributes(self.by_version[v].headers)["type"] for v in self.versions()]

    def partitions(self) -> list[int]:
        return sorted({r.partition for r in self.by_version.values()})


def by_subject(records: list[ConsumerRecord[bytes, bytes]]) -> dict[str, OnTopic]:
    out: dict[str, OnTopic] = defaultdict(OnTopic)
    for record in records:
        version = int(orjson.loads(record.value)["originator_version"])
        out[attributes(record.headers)["subject"]].by_version.setdefault(version, record)
    return dict(out)


@dataclass
class ReadBack:
    topics: Topics
    case_events: dict[str, OnTopic]
    shared: dict[str, dict[str, OnTopic]]  # recipient -> aggregate id -> events

    def case(self, case_id: UUID) -> OnTopic:
        return self.case_events.get(str(case_id), OnTopic())

    def received(self, recipient: str, case_id: UUID) -> OnTopic:
        return self.shared.get(recipient, {}).get(str(case_id), OnTopic())

    def problems(
        self, versions: dict[UUID, int], decisions: dict[UUID, list[ShareDecisionRow]]
    ) -> list[str]:
        """What is missing compared with the store (case versions) and the share decisions."""
        out = []
        for case_id, version in versions.items():
            seen = self.case(case_id).versions()
            if seen != list(range(1, version + 1)):
                out.append(
                    f"{self.topics.case_events} has versions {seen} of case {case_id}; "
                    f"the store has 1..{version}"
                )
            for recipient in sorted({r.recipient for r in decisions.get(case_id, [])}):
                sent = {
                    r.aggregate_version
                    for r in decisions[case_id]
                    if r.recipient == recipient and r.outcome != "withheld"
                }
                got = set(self.received(recipient, case_id).versions())
                if got != sent:
                    topic = self.topics.shared(recipient)
                    out.append(
                        f"{topic} carries versions {sorted(got)} of case {case_id}; "
                        f"share decisions say {sorted(sent)}"
                    )
        return out


async def read_back(
    connection: dict[str, Any], topics: Topics, recipients: set[str], timeout: float
) -> ReadBack:
    async def read(topic: str) -> dict[str, OnTopic]:
        return by_subject(await read_topic(connection, topic, 0, timeout))

    shared = {r: await read(topics.shared(r)) for r in sorted(recipients)}
    return ReadBack(topics, await read(topics.case_events), shared)
