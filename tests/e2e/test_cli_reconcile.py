"""`rjb reconcile` from the command line: an operator sees what the broker lacks (exit 1), and
`--repair` with a reason publishes it; both are in the read log with who and why."""

from __future__ import annotations

import orjson

from services.kafka_runtime.wiring import KafkaParts
from tests.e2e.test_cli_dlq import parts, rjb, token  # noqa: F401  (fixture and helpers)


async def test_an_operator_reconciles_a_store_whose_events_never_reached_the_broker(
    parts: KafkaParts,  # noqa: F811
) -> None:
    assert (await rjb("demo")).exit_code == 0  # stored, never relayed
    operator = await token("admin:backbone", "operator")
    found = await rjb("reconcile", token=operator)
    assert found.exit_code == 1, found.output
    assert f"{parts.topics.case_events}: 0 of " in found.output and "missing" in found.output
    listed = await rjb("reconcile", "--json", token=operator)
    as_json = orjson.loads(listed.stdout)
    assert listed.exit_code == 1 and as_json["missing"] > 0 and as_json["republished"] is None
    events = next(t for t in as_json["topics"] if t["topic"] == parts.topics.case_events)
    assert len(events["missing"]) == events["expected"] == events["not_relayed_yet"]
    assert set(events["missing"][0]) == {"event_id", "aggregate_id", "version", "position"}
    assert (await rjb("reconcile", "--repair", token=operator)).exit_code == 2  # no reason
    repaired = await rjb(
        "reconcile", "--repair", "--reason", "INC-9 broker rebuilt", token=operator
    )
    assert repaired.exit_code == 0 and "republished" in repaired.output
    again = await rjb("reconcile", token=operator)
    assert again.exit_code == 0 and "0 record(s) missing" in again.output
    reads = parts.backbone.audit("admin:backbone/test").reads()
    assert [(r.reader, r.action) for r in reads if r.action.startswith("reconcile")] == [
        ("admin:backbone/ann", "reconcile"),
        ("admin:backbone/ann", "reconcile"),
        ("admin:backbone/ann", "reconcile"),
        ("admin:backbone/ann", "reconcile --repair"),
        ("admin:backbone/ann", "reconcile"),
    ]
