"""``rjb submit`` stores its lines in batches: one outcome per line, in line order, as before."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson

from services.bootstrap import Backbone
from services.cli.submit import submit_lines
from services.command_apply import CommandResult
from services.commands import Command

CASE = "0b6a6c62-0000-4000-8000-0000000000a1"


def line(type_: str, command_id: str, **fields: Any) -> bytes:
    return orjson.dumps(
        {
            "type": type_,
            "command_id": command_id,
            "agency": "pcc:kent",
            "user": "tester",
            "occurred_at": "2025-02-01T10:00:00Z",
            "case_id": CASE,
            **fields,
        }
    )


def test_lines_are_stored_in_batches_and_each_keeps_its_own_outcome(
    backbone: Backbone, monkeypatch: Any
) -> None:
    sizes: list[int] = []
    real = backbone.commands.handle_batch

    def spy(commands: list[Command]) -> list[CommandResult | Exception]:
        sizes.append(len(commands))
        return real(commands)

    monkeypatch.setattr(backbone.commands, "handle_batch", spy)
    refer = line(
        "refer_case",
        "refer",
        route="police",
        cjs_stage="pre_charge",
        crime_type="theft",
        pcc_area="kent",
        crime_reported_on=None,
        summary="theft",
    )

    def victim(pid: str) -> bytes:
        return line("add_participant", f"add-{pid}", participant_id=pid, role="victim", name=pid)

    schedule = line(
        "schedule_activity",
        "too-soon",
        activity_id="a1",
        participant_ids=["v1"],
        scheduled_for="2025-03-01T10:00:00Z",
    )
    data = [refer, victim("v1"), b"", victim("v1"), b"{bad", schedule, victim("v2"), victim("v3")]
    outcomes = list(submit_lines(backbone.commands, b"\n".join(data), 262144, batch=3))
    assert [o.number for o in outcomes] == [1, 2, 4, 5, 6, 7, 8]
    assert [o.result.version if o.result else None for o in outcomes] == [
        1,
        2,
        2,
        None,
        None,
        3,
        4,
    ]
    assert outcomes[2].result is not None and outcomes[2].result.duplicate
    assert "malformed JSON" in (outcomes[3].reason or "")
    assert "[rule: " in (outcomes[4].reason or "")
    assert sizes == [3, 2, 1]  # lines 1, 2, 4 | 5 (not JSON), 6, 7 | 8
    assert list(backbone.commands.load(UUID(CASE)).participants) == [
        "v1",
        "v2",
        "v3",
    ]
