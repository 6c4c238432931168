"""HMPPS ``prisoner.merged``: custody histories merged under the kept number, cases naming the
removed number re-pointed, an event recorded, idempotent (issue 13, item 5); through ``rjb
submit`` (SNS-wrapped and bare) and the moves projection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.custody import Custody
from projections.moves_queries import MovesQueries
from services.bootstrap import Backbone
from services.cli.submit import submit_lines

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "hmpps"
KEPT, REMOVED = "A3645EA", "A3646EA"
CASE = "0c1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"


def line(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def movement(pn: str, reason: str, prison: str, at: str, received: bool = True) -> bytes:
    kind = "received" if received else "released"
    return line(
        {
            "eventType": f"prison-offender-events.prisoner.{kind}",
            "version": 1,
            "occurredAt": at,
            "additionalInformation": {"nomsNumber": pn, "prisonId": prison, "reason": reason},
        }
    )


def command(type_: str, n: int, **fields: Any) -> bytes:
    return line(
        {
            "type": type_,
            "command_id": f"merge-test-{n}",
            "agency": "pcc:west-yorkshire",
            "user": "hub",
            "occurred_at": "2024-05-01T09:00:00+00:00",
            "case_id": CASE,
            **fields,
        }
    )


def submit(backbone: Backbone, *lines: bytes) -> list[Any]:
    outcomes = list(submit_lines(backbone.commands, b"\n".join(lines), 262144))
    assert [o.reason for o in outcomes if o.reason] == []
    return [o.result for o in outcomes]


def setup(backbone: Backbone) -> None:
    referral = {
        "route": "police",
        "cjs_stage": "custody",
        "crime_type": "burglary",
        "pcc_area": "west-yorkshire",
        "crime_reported_on": None,
        "summary": "burglary",
    }
    submit(
        backbone,
        command("refer_case", 1, **referral),
        command(
            "add_participant",
            2,
            participant_id="o1",
            role="offender",
            name="O",
            prison_number=REMOVED,
        ),
        movement(REMOVED, "ADMISSION", "LEI", "2024-03-01T10:00:00+00:00"),
        movement(KEPT, "ADMISSION", "WYI", "2023-01-01T10:00:00+00:00"),
        movement(KEPT, "RELEASED", "WYI", "2023-06-01T10:00:00+00:00", received=False),
    )


def test_a_prisoner_merge_moves_history_and_cases_to_the_kept_number(backbone: Backbone) -> None:
    setup(backbone)
    [result] = submit(backbone, line(json.loads((SAMPLES / "merged.sns.json").read_text())))
    assert result.command_type == "merge_prisoner" and result.new_events == 1
    kept = backbone.commands.load(Custody.id_for(KEPT))
    assert [(m.kind.value, m.prison_id) for m in kept.movements] == [
        ("received", "WYI"),
        ("released", "WYI"),
        ("received", "LEI"),
    ]
    assert kept.current_prison == "LEI" and kept.merged_from == {REMOVED}
    gone = backbone.commands.load(Custody.id_for(REMOVED))
    assert gone.merged_into == KEPT
    case = backbone.commands.load(UUID(CASE))
    assert case.participants["o1"].prison_number == KEPT
    changed: Any = list(backbone.store.repository.event_store.get(case.id))[-1]
    assert type(changed).__name__ == "OffenderPrisonNumberChanged"
    assert (changed.previous_prison_number, changed.meta.agency) == (REMOVED, "admin:backbone")
    moves = MovesQueries(backbone.projections)
    [located] = [c for c in moves.case_locations() if c.case_id == CASE]
    assert (located.prison_number, located.current_prison) == (KEPT, "LEI")


def test_a_prisoner_merge_is_idempotent_in_either_form(backbone: Backbone) -> None:
    setup(backbone)
    bare = line(json.loads((SAMPLES / "merged.json").read_text()))
    wrapped = line(json.loads((SAMPLES / "merged.sns.json").read_text()))
    submit(backbone, wrapped)
    end = backbone.store.recorder.max_notification_id()
    [again, bare_again] = submit(backbone, wrapped, bare)
    assert again.duplicate and bare_again.duplicate
    assert backbone.store.recorder.max_notification_id() == end
