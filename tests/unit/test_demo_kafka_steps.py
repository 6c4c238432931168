"""How the Kafka demo turns a story into messages and keeps the story's order across partitions."""

from __future__ import annotations

import orjson

from adapters.kafka_config import Topics
from services.cli.demo_via_kafka import in_order_batches, wire_steps
from services.demo.stories import (
    HEAD_TEACHER_PRISON_NUMBER,
    HUB_WY,
    head_teacher,
    sharing_agreements,
)

TOPICS = Topics("t")


def test_each_agency_sends_on_its_own_topic_keyed_by_case_and_movements_by_prison_number() -> None:
    script = head_teacher()
    steps = wire_steps(TOPICS, script)
    assert len(steps) == len(script.steps())
    movements = [s for s in steps if s.topic == TOPICS.movements]
    commands = [s for s in steps if s.topic != TOPICS.movements]
    for step, (kind, payload) in zip(steps, script.steps(), strict=True):
        if kind != "movement":
            assert step.topic == TOPICS.inbound_commands(payload["agency"])
    assert len(movements) == 4 and len(commands) == len(script.commands)
    assert {s.key for s in movements} == {HEAD_TEACHER_PRISON_NUMBER.encode()}
    assert {s.key for s in commands} == {str(script.case_id).encode()}
    assert orjson.loads(movements[0].value)["eventType"].startswith("prison-offender-events")


def test_agreements_are_keyed_by_their_reference() -> None:
    keys = {s.key for s in wire_steps(TOPICS, sharing_agreements())}
    assert keys == {b"ISA-WY-RJ-001", b"ISA-KENT-RJ-002"}


def test_a_story_is_cut_where_it_changes_partition_so_the_log_keeps_its_order() -> None:
    steps = wire_steps(TOPICS, head_teacher())
    batches = in_order_batches(steps)
    assert [s for batch in batches for s in batch] == steps
    police, hub = (TOPICS.inbound_commands(a) for a in ("police:west-yorkshire", HUB_WY))
    prison = TOPICS.inbound_commands("prison:LEI")
    assert [(b[0].topic, len(b)) for b in batches] == [
        (TOPICS.movements, 1),
        (police, 5),
        (hub, 11),
        (prison, 1),
        (hub, 2),
        (TOPICS.movements, 2),
        (hub, 3),
        (TOPICS.movements, 1),
        (hub, 6),
    ]


def test_the_demo_phases_bar_counts_its_three_phases() -> None:
    from services.cli.demo_via_kafka import PHASES, phases_bar

    with phases_bar() as (bar, task):
        for _ in range(PHASES):
            bar.update(task, advance=1)
        assert bar.tasks[0].completed == PHASES == bar.tasks[0].total
