"""Valid traffic for the drills: cases of four commands from one agency, keyed by case id, so
each case's events have versions 1..4 and per-key order on the case-event topic means something.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import orjson

from drills.kafka_io import Message
from services.demo.runner import all_scripts

AGENCY = "police:west-yorkshire"
PER_CASE = 4  # refer_case, two add_participant, inform_victim: one event each


def _first_steps() -> list[dict[str, Any]]:
    script = next(s for s in all_scripts() if s.story == "head-teacher")
    steps = [c for c in script.commands if c["agency"] == AGENCY][:PER_CASE]
    assert steps[0]["type"] == "refer_case"
    return steps


STEPS = _first_steps()


def case_commands(tag: str, number: int, rng: random.Random) -> list[dict[str, Any]]:
    """The four commands of case ``number`` of a drill (``tag`` keeps ids apart across drills)."""
    case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return [
        {**step, "case_id": case_id, "command_id": f"{tag}-{number}-{k}"}
        for k, step in enumerate(STEPS)
    ]


def as_message(
    command: dict[str, Any], headers: list[tuple[str, bytes | None]] | None = None
) -> Message:
    return Message(
        command["case_id"].encode(), orjson.dumps(command), headers or [], command["command_id"]
    )


def valid_messages(tag: str, cases: int, rng: random.Random, start: int = 0) -> list[Message]:
    """``cases`` cases' commands in order (a case's steps on one key, so one partition)."""
    return [as_message(c) for n in range(start, start + cases) for c in case_commands(tag, n, rng)]
