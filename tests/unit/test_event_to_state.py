"""``event_to_state`` (the serializer called directly) stores what ``model_dump`` gives."""

from __future__ import annotations

from bench.bench_store import case_commands
from services.command_apply import apply_command
from services.commands import SPECS


def test_the_state_is_model_dump_without_the_position_fields() -> None:
    from adapters.mapper import event_to_state

    aggregate = None
    for command in case_commands(0):  # a referral, two people, responsibility, two consents
        spec = SPECS[command.type]
        aggregate = apply_command(spec, command, spec.aggregate_id(command), aggregate)
    assert aggregate is not None and len(aggregate.pending_events) == 6
    for event in aggregate.pending_events:
        expected = event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
        if getattr(type(event), "class_version", 1) > 1:
            expected["class_version"] = type(event).class_version
        assert event_to_state(event) == expected
