"""Retention and cleanup of every topic the backbone creates, and keeping existing topics to them.

Every topic is ``cleanup.policy=delete``: none is compacted. The records are keyed by aggregate
(many events per key) or by the sender's key, so compaction would keep only the last record of
each case and drop the history consumers replay; it would need a key per event, which loses the
per-aggregate partition order. Erasure needs no tombstone either: personal fields travel as the
stored per-person envelope, so destroying the person's key makes every copy unreadable at once.

Retention per kind (settings ``RJB_KAFKA_*_RETENTION_DAYS``; -1: kept for ever): the case-event
and shared topics are re-derivable copies of the store that consumers replay from (kept by
default); inbound topics hold messages only until they are stored or dead-lettered (7 days);
dead letters are kept long enough to deal with (14 days) and no longer, since they hold what an
agency sent. A topic created earlier with another retention or cleanup policy is altered at
start (AlterConfigs, keeping its other topic-level settings), so a retention promised here is
the one in force; when the broker refuses (no ALTER_CONFIGS right, a broker without the API) the
difference is logged as a warning, as it is with ``RJB_KAFKA_ALIGN_TOPIC_CONFIGS=false``.
``max.message.bytes`` is set when a topic is created only: it is capacity, not a promise, and an
operator may tune it (the dead-letter writer tries smaller forms when a letter is refused).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on the topic itself
BROKER_MESSAGE_MAX = 1_048_588  # Apache Kafka's default message.max.bytes
ALIGNED = ("cleanup.policy", "retention.ms")  # kept to the settings on existing topics too


def retention_ms(days: float) -> int:
    """Days as ``retention.ms``; a negative number of days means for ever (-1)."""
    return -1 if days < 0 else int(days * DAY_MS)


@dataclass(frozen=True)
class TopicPolicies:
    case_events_days: float = -1
    shared_days: float = -1
    inbound_days: float = 7
    dead_letter_days: float = 14
    dead_letter_max_message_bytes: int = BROKER_MESSAGE_MAX
    align: bool = True  # alter an existing topic whose configs differ (else warn)

    @staticmethod
    def _delete(days: float) -> dict[str, str]:
        return {"cleanup.policy": "delete", "retention.ms": str(retention_ms(days))}

    def case_events(self) -> dict[str, str]:
        return self._delete(self.case_events_days)

    def shared(self) -> dict[str, str]:
        return self._delete(self.shared_days)

    def inbound(self) -> dict[str, str]:
        return self._delete(self.inbound_days)

    def dead_letter(self) -> dict[str, str]:
        biggest = str(self.dead_letter_max_message_bytes)
        return {**self._delete(self.dead_letter_days), "max.message.bytes": biggest}


class Spec(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def configs(self) -> Mapping[str, str]: ...


_aligned: set[tuple[str, str, str]] = set()  # (cluster, topic, configs): checked once a process


async def topic_configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, Any]]:
    """Each topic's configs: name → {config: (value, set on the topic itself)}."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
    found: dict[str, dict[str, Any]] = {}
    for response in await admin.describe_configs(resources):
        for error_code, message, _, name, entries in response.resources:
            if error_code:
                raise RuntimeError(f"describe configs of {name}: error {error_code} {message}")
            found[name] = {e[0]: (e[1], _own(e[3])) for e in entries}
    return found


def _own(flag: Any) -> bool:
    """Set on the topic itself: ``is_default`` false (v0) or ``config_source`` 1 (v1+)."""
    return flag is False if isinstance(flag, bool) else bool(flag == DYNAMIC_TOPIC_CONFIG)


def _done(cluster: str, spec: Spec) -> tuple[str, str, str]:
    return cluster, spec.name, repr(sorted(spec.configs.items()))


async def align_configs(
    admin: AIOKafkaAdminClient, specs: list[Spec], alter: bool, cluster: str = ""
) -> None:
    """Existing topics whose configs differ from their spec: altered (or a warning)."""
    todo = [s for s in specs if s.configs and _done(cluster, s) not in _aligned]
    if not todo:
        return
    try:
        current = await topic_configs(admin, [s.name for s in todo])
    except Exception as error:  # a broker without DescribeConfigs (tansu): say so once, go on
        log.warning("cannot check the topics' retention and cleanup configs: %s", error)
        _aligned.update(_done(cluster, s) for s in todo)
        return
    for spec in todo:
        have = current.get(spec.name, {})
        wanted = {k: v for k, v in spec.configs.items() if k in ALIGNED}
        differ = {k: v for k, v in wanted.items() if have.get(k, (None,))[0] != v}
        if differ and alter:
            kept = {k: v for k, (v, own) in have.items() if own and v is not None}
            if await _alter(admin, spec.name, {**kept, **wanted}, differ, have):
                differ = {}
        elif differ:
            log.warning(
                "topic %s: %s (RJB_KAFKA_ALIGN_TOPIC_CONFIGS is off)",
                spec.name,
                _said(differ, have),
            )
        if not differ:
            _aligned.add(_done(cluster, spec))


def _said(differ: dict[str, str], have: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} is {have.get(k, (None,))[0]}, the settings say {v}" for k, v in differ.items()
    )


async def _alter(
    admin: AIOKafkaAdminClient,
    name: str,
    configs: dict[str, str],
    differ: dict[str, str],
    have: dict[str, Any],
) -> bool:
    try:
        responses = await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs)]
        )
        errors = [(c, m) for r in responses for c, m, *_ in r.resources if c]
        if errors:
            raise RuntimeError(f"error {errors[0][0]} {errors[0][1]}")
    except Exception as error:
        log.warning("topic %s: %s; altering it failed: %s", name, _said(differ, have), error)
        return False
    log.warning("topic %s altered to the settings: %s", name, _said(differ, have))
    return True
