"""What a drill found, counted from outside: the store's log, the case-event topic and the
dead-letter topic, compared with what was sent. One :class:`Row` per drill, printed as a table.

- lost: a valid message neither stored nor dead-lettered, or a stored event missing from the
  case-event topic once the drill has waited for it;
- duplicates: records on the case-event topic beyond one per event (allowed, counted);
- out of order: keys whose first occurrences on the case-event topic are not 1, 2, 3, ...
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from drills.kafka_io import Message
from services.bootstrap import Backbone
from services.kafka_runtime.dead_letters import DLQ_OFFSET, DLQ_PARTITION, DLQ_REASON, DLQ_TOPIC

Event = tuple[uuid.UUID, int]
Where = tuple[str, int, int]  # topic, partition, offset


@dataclass
class Row:
    drill: str
    sent: int = 0
    applied: int = 0
    dead_lettered: int = 0
    lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    recover_s: float | None = None
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and self.lost == 0 and self.out_of_order == 0

    def fail(self, why: str) -> None:
        self.failures.append(why)


@dataclass(frozen=True)
class StoreLog:
    """Events per command id and every stored (aggregate, version), from one scan of the log."""

    per_command: Counter[str]
    events: set[Event]
    recorded: dict[str, datetime]  # command id → when its first event was recorded


def store_log(backbone: Backbone, page: int = 2000) -> StoreLog:
    per_command: Counter[str] = Counter()
    events: set[Event] = set()
    recorded: dict[str, datetime] = {}
    recorder: Any = backbone.store.recorder
    start = 1
    while True:
        batch = recorder.select_notifications(start, page)
        if not batch:
            return StoreLog(per_command, events, recorded)
        for n in batch:
            events.add((n.originator_id, n.originator_version))
            state = orjson.loads(n.state)
            command_id = (state.get("meta") or {}).get("command_id", "?")
            per_command[command_id] += 1
            recorded.setdefault(command_id, datetime.fromisoformat(state["timestamp"]))
        start = batch[-1].id + 1


@dataclass(frozen=True)
class TopicAudit:
    duplicates: int
    out_of_order: int
    missing: int
    out_of_order_keys: list[str]


def topic_audit(records: Iterable[Any], stored: set[Event]) -> TopicAudit:
    versions: dict[bytes, list[int]] = defaultdict(list)
    count = 0
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        versions[r.key].append(orjson.loads(r.value)["originator_version"])
        count += 1
    seen = {(uuid.UUID(k.decode()), v) for k, vs in versions.items() for v in vs}
    bad = [
        k.decode()
        for k, vs in versions.items()
        if list(dict.fromkeys(vs)) != list(range(1, len(set(vs)) + 1))
    ]
    return TopicAudit(count - len(seen), len(bad), len(stored - seen), bad[:5])


def dead_letter_reasons(records: Iterable[Any]) -> dict[Where, str]:
    """Source (topic, partition, offset) → the reason header of its dead letter."""
    out: dict[Where, str] = {}
    for r in records:
        h = {k: v for k, v in r.headers}
        where = (h[DLQ_TOPIC].decode(), int(h[DLQ_PARTITION]), int(h[DLQ_OFFSET]))
        out[where] = (h.get(DLQ_REASON) or b"").decode(errors="replace")
    return out


def judge_messages(
    row: Row, topic: str, sent: Sequence[Message], log: StoreLog, reasons: dict[Where, str]
) -> None:
    """Each valid message stored exactly once and not dead-lettered; each bad one dead-lettered
    with a reason and never stored."""
    row.sent += len(sent)
    for m in sent:
        reason = reasons.get((topic, m.partition, m.offset))
        stored = log.per_command.get(m.command_id or "", 0) if m.command_id else 0
        if reason is not None:
            row.dead_lettered += 1
        if m.kind == "valid":
            if stored == 1 and reason is None:
                row.applied += 1
            elif stored == 0 and reason is None:
                row.lost += 1
            elif reason is not None:
                row.fail(f"valid {m.command_id} dead-lettered: {reason[:200]}")
            else:
                row.fail(f"valid {m.command_id} stored {stored} times")
        elif reason is None:
            row.lost += 1
            row.fail(f"bad message ({m.kind}) at {m.partition}/{m.offset} not dead-lettered")
        elif not reason.strip():
            row.fail(f"bad message ({m.kind}) dead-lettered without a reason")
        elif stored:
            row.fail(f"bad message ({m.kind}) {m.command_id} stored")


def apply_topic(row: Row, audit: TopicAudit) -> None:
    row.duplicates += audit.duplicates
    row.out_of_order += audit.out_of_order
    if audit.missing:
        row.lost += audit.missing
        row.fail(f"{audit.missing} stored events missing from the case-event topic")
    if audit.out_of_order:
        row.fail(f"first occurrences out of version order on keys {audit.out_of_order_keys}")


HEAD = (
    "drill",
    "sent",
    "applied",
    "dead-lettered",
    "lost",
    "duplicates",
    "out of order",
    "s to recover",
    "s total",
    "result",
)


def table(rows: Sequence[Row]) -> str:
    """A Markdown table, as the README shows it."""
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for r in rows:
        recover = "—" if r.recover_s is None else f"{r.recover_s:.1f}"
        cells = [
            r.drill,
            f"{r.sent:,}",
            f"{r.applied:,}",
            f"{r.dead_lettered:,}",
            str(r.lost),
            f"{r.duplicates:,}",
            str(r.out_of_order),
            recover,
            f"{r.seconds:.0f}",
            "pass" if r.passed else "FAIL",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
