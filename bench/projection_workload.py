"""A mixed log for the projection benchmark: the demo stories again and again, and custody.

Case events come from the six DOMAIN.md stories, each copy with a fresh case id, fresh prison
numbers and fresh command ids, sent through the command service as the agencies would; the
rest of the log is prison movements of many offenders (Opened plus alternating transfers),
saved straight on the Custody aggregates because that is far quicker to generate.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from domain.base import EventMeta
from domain.custody import Movement, MovementKind
from projections.events import Custody
from services.bootstrap import Backbone
from services.demo.runner import all_scripts, step_to_command
from services.demo.script import Script

Step = tuple[str, dict[str, Any]]


def _prison_numbers(steps: list[Step]) -> set[str]:
    found: set[str] = set()
    for _, payload in steps:
        if payload.get("prison_number"):
            found.add(str(payload["prison_number"]))
        noms = payload.get("additionalInformation", {}).get("nomsNumber")
        if noms:
            found.add(str(noms))
    return {pn.upper() for pn in found} | {pn.lower() for pn in found} | found


def story_copy(script: Script, copy: int) -> list[Step]:
    """The story's steps with its case id, prison numbers and command ids made fresh."""
    steps = script.steps()
    text = json.dumps(steps)
    text = text.replace(
        str(script.case_id), str(uuid5(NAMESPACE_URL, f"bench/{script.story}/{copy}"))
    )
    text = text.replace(f'"{script.story}-', f'"{script.story}-copy{copy}-')
    for n, pn in enumerate(sorted(_prison_numbers(steps), key=str.upper)):
        text = text.replace(pn, f"Q{copy:04d}{chr(65 + n % 26)}{pn[-1]}")  # NOMS: A9999AA
    copied: list[Step] = [(k, p) for k, p in json.loads(text)]
    return copied


def write_cases(bb: Backbone, events: int) -> int:
    """Copies of the case stories until about ``events`` events are recorded; returns copies."""
    agreements, *scripts = all_scripts()  # the agreements once, the case stories many times
    for kind, payload in agreements.steps():
        bb.commands.handle(step_to_command(kind, payload))
    copy = 0
    while (bb.store.recorder.max_notification_id() or 0) < events:
        for script in scripts:
            for kind, payload in story_copy(script, copy):
                bb.commands.handle(step_to_command(kind, payload))
        copy += 1
    return copy


def write_custody(store: Any, events: int) -> None:
    """About ``events`` custody events: 50 per offender, transfers between LEI and DAI."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    metas = {
        code: EventMeta(
            agency=f"prison:{code}", user="bench", occurred_at=start, command_id="bench"
        )
        for code in ("LEI", "DAI")
    }
    meta = metas["LEI"]
    written, n, batch = 0, 0, []
    while written < events:
        custody = Custody(prison_number=f"{chr(90 - n // 10_000)}{n % 10_000:04d}ZZ", meta=meta)
        for i in range(max(min(50, events - written) - 1, 0)):
            kind = MovementKind.RECEIVED if i % 2 == 0 else MovementKind.RELEASED
            movement = Movement(
                kind=kind,
                reason="TRANSFERRED",
                prison_id=("LEI", "DAI")[i % 2],
                occurred_at=start + timedelta(days=i),
            )
            custody.record_movement(movement, metas[movement.prison_id])  # its own prison
        written += len(custody.pending_events)
        batch.append(custody)
        n += 1
        if len(batch) >= 40:
            store.save(*batch)
            batch = []
    if batch:
        store.save(*batch)
