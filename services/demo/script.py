"""Builds agency commands for a story with a moving clock and deterministic command ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from adapters.hmpps import RECEIVED, RELEASED

DEMO_NAMESPACE = uuid5(NAMESPACE_URL, "https://rj-backbone/demo")


@dataclass
class Script:
    """One story's commands, in the order the agencies send them."""

    story: str
    title: str
    clock: datetime
    case_id: UUID = field(init=False)
    commands: list[dict[str, Any]] = field(default_factory=list)
    movements: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.case_id = uuid5(DEMO_NAMESPACE, self.story)

    def advance(self, days: float = 0, hours: float = 0) -> Script:
        self.clock += timedelta(days=days, hours=hours)
        return self

    def send(self, agency: str, type_: str, /, **fields: Any) -> Script:
        """Queue a command on this story's case (or an agreement when ``reference`` is given)."""
        n = len(self.commands) + len(self.movements) + 1
        command: dict[str, Any] = {
            "type": type_,
            "command_id": f"{self.story}-{n:03d}",
            "agency": agency,
            "user": f"{agency.split(':')[0]}-officer",
            "occurred_at": self.clock.isoformat(),
            **fields,
        }
        if "reference" not in fields and type_ != "record_movement":
            command["case_id"] = str(self.case_id)
        self.commands.append(command)
        return self

    def move(self, prison_number: str, received: bool, reason: str, prison_id: str) -> Script:
        """Queue an HMPPS prison movement message (in its own wire shape, not a command)."""
        message = {
            "eventType": RECEIVED if received else RELEASED,
            "version": 1,
            "occurredAt": self.clock.isoformat(),
            "description": f"prisoner {'received into' if received else 'released from'} prison",
            "personReference": {"identifiers": [{"type": "NOMS", "value": prison_number}]},
            "additionalInformation": {
                "nomsNumber": prison_number,
                "prisonId": prison_id,
                "reason": reason,
            },
        }
        self.movements.append((len(self.commands), message))
        return self

    def steps(self) -> list[tuple[str, dict[str, Any]]]:
        """Commands and movement messages interleaved in the order they were queued."""
        out: list[tuple[str, dict[str, Any]]] = []
        pending = sorted(self.movements, key=lambda m: m[0])
        for i, command in enumerate(self.commands):
            while pending and pending[0][0] == i:
                out.append(("movement", pending.pop(0)[1]))
            out.append(("command", command))
        out.extend(("movement", m) for _, m in pending)
        return out
