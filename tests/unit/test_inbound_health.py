"""Inbound counters and health stay bounded however long `rjb serve` runs."""

from __future__ import annotations

from uuid import uuid4

from services.command_apply import CommandResult
from services.kafka_runtime.inbound_health import RECENT, InboundHealth, InboundStats


def test_stats_count_every_message_but_keep_only_the_recent_ones() -> None:
    stats = InboundStats()
    for n in range(RECENT * 50):
        stats.record_stored(CommandResult(f"c-{n}", "refer_case", uuid4(), 1, 1, n % 2 == 0))
        stats.record_dead_letter(f"reason {n}")
    assert stats.stored_count == stats.dead_letter_count == RECENT * 50
    assert stats.duplicates == RECENT * 25
    assert len(stats.stored) == len(stats.dead_lettered) == RECENT
    assert stats.dead_lettered[-1] == f"reason {RECENT * 50 - 1}"


def test_a_failing_partition_is_reported_until_it_moves_again() -> None:
    health = InboundHealth()
    health.failed("t", 0, 7, "OperationalError: down")
    trouble = health.failed("t", 0, 7, "OperationalError: still down")
    assert trouble.attempts == 2 and not health.healthy and health.paused_partitions == []
    health.pause(trouble, 30)
    assert health.paused_partitions == [("t", 0)] and health.pauses == 1
    assert health.last_error == "OperationalError: still down"
    health.resumed("t", 0)
    assert health.paused_partitions == [] and not health.healthy  # still stuck on offset 7
    health.done("t", 0)
    assert health.healthy and health.transient_failures == 2


def test_a_revoked_partition_is_no_longer_reported() -> None:
    health = InboundHealth()
    health.pause(health.failed("t", 1, 0, "down"), 30)
    health.forget({("t", 1)})
    assert health.healthy
