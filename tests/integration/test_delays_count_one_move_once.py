"""Delays count one move once; victim updates are updates, not moved activities; a withdrawal's
cancellation shows in delays (issue 13, items 1 and 2). Tests named as the rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from projections.clock import fixed_clock
from projections.delay_queries import DelayQueries
from services.bootstrap import Backbone
from services.demo.runner import run_all, step_to_command
from services.demo.stories import head_teacher

NOW = datetime(2025, 10, 1, tzinfo=UTC)
HEAD_TEACHER = str(head_teacher().case_id)


def breaches(backbone: Backbone, case_id: str, kind: str) -> list[Any]:
    q = DelayQueries(backbone.projections, clock=fixed_clock(NOW))
    return [b for b in q.breaches() if b.case_id == case_id and b.kind == kind]


def test_delays_count_one_move_once(backbone: Backbone) -> None:
    run_all(backbone.commands)
    [moved] = breaches(backbone, HEAD_TEACHER, "activity_moved_by_prison_move")
    assert moved.reason == "activity moved: prisoner_moved, activity conf-1"


def test_delays_show_reason_codes_never_the_free_text_reason(backbone: Backbone) -> None:
    """Reasons are personal data (sealed per person): the projection keeps the code."""
    run_all(backbone.commands)
    backbone.projections.catch_up()
    rows = repr(backbone.projections.rows("delays"))
    assert "Dartmoor" not in rows and "prisoner_moved" in rows
    q = DelayQueries(backbone.projections, clock=fixed_clock(NOW))
    assert not [b for b in q.breaches() if "Dartmoor" in b.reason]


def test_victim_updates_are_updates_not_moved_activities(backbone: Backbone) -> None:
    run_all(backbone.commands)
    [moved] = breaches(backbone, HEAD_TEACHER, "activity_moved_by_prison_move")
    assert "the meeting is off" not in moved.reason  # the later update's text is not a delay


def test_a_withdrawal_cancelling_an_activity_shows_in_delays(backbone: Backbone) -> None:
    run_all(backbone.commands)
    q = DelayQueries(backbone.projections, clock=fixed_clock(NOW))
    # A new case would do as well; the head teacher's is closed, so use the fifteen victims'.
    fifteen = next(b.case_id for b in q.breaches(ongoing_only=True))
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "schedule_activity",
            {
                "activity_id": "letter-2",
                "participant_ids": ["v01", "o1"],
                "scheduled_for": "2025-06-01T10:00:00Z",
            },
        ),
        ("withdraw", {"participant_id": "v01", "reason": "does not want another letter"}),
    ]
    for n, (type_, fields) in enumerate(steps):
        command = {
            "type": type_,
            "command_id": f"t13-w{n}",
            "case_id": fifteen,
            "agency": "pcc:south-yorkshire",
            "user": "hub",
            "occurred_at": f"2025-05-0{n + 1}T09:00:00+00:00",
            **fields,
        }
        backbone.commands.handle(step_to_command("command", command))
    [cancelled] = breaches(backbone, fifteen, "activity_cancelled_by_withdrawal")
    assert cancelled.reason == "activity cancelled: consent_withdrawn, activity letter-2"
    assert cancelled.ongoing
