"""Auditors replay a case, see it as it stood at an instant, and every read they make is logged."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.share_decisions import ShareDecisionRow, ShareDecisions
from services.bootstrap import Backbone
from services.demo.runner import step_to_command
from services.demo.stories import STORIES


def test_a_case_as_it_stood_before_later_events_were_recorded(backbone: Backbone) -> None:
    script = STORIES[0]()
    steps = list(script.steps())
    for kind, payload in steps[:6]:
        backbone.commands.handle(step_to_command(kind, payload))
    before_referral = datetime(2000, 1, 1, tzinfo=UTC)
    halfway = datetime.now(UTC)
    for kind, payload in steps[6:]:
        backbone.commands.handle(step_to_command(kind, payload))
    audit = backbone.audit("inspector-ann")

    then = audit.at(script.case_id, halfway)
    now = backbone.commands.load(script.case_id)
    assert then is not None
    assert then.version < now.version
    entries = audit.history(script.case_id).entries
    assert then.version == max(e.version for e in entries if e.recorded_at <= halfway)
    assert audit.at(script.case_id, before_referral) is None
    assert audit.at(script.case_id, datetime.now(UTC)).version == now.version


def test_history_lists_every_event_with_who_and_when_in_order(backbone: Backbone) -> None:
    script = STORIES[0]()
    for kind, payload in script.steps():
        backbone.commands.handle(step_to_command(kind, payload))
    history = backbone.audit("inspector-ann").history(script.case_id)
    assert [e.version for e in history.entries] == list(range(1, len(history.entries) + 1))
    assert history.entries[0].event == "Referred"
    assert all(e.agency and e.user for e in history.entries)
    recorded = [e.recorded_at for e in history.entries]
    assert recorded == sorted(recorded)
    assert {e.agency for e in history.entries} >= {"police:west-yorkshire"}
    assert history.share_decisions == []  # the sharing relay has decided nothing yet


def test_every_audit_read_records_who_read_what_and_when(backbone: Backbone) -> None:
    script = STORIES[0]()
    for kind, payload in script.steps():
        backbone.commands.handle(step_to_command(kind, payload))
    started = datetime.now(UTC)
    backbone.audit("inspector-ann").history(script.case_id)
    backbone.audit("auditor-bo").at(script.case_id, started)
    backbone.audit("auditor-bo").verify(script.case_id)
    reads = backbone.audit("auditor-bo").reads()
    assert [(r.reader, r.action, r.subject) for r in reads] == [
        ("inspector-ann", "history", str(script.case_id)),
        ("auditor-bo", "at", str(script.case_id)),
        ("auditor-bo", "verify", str(script.case_id)),
        ("auditor-bo", "reads", "*"),
    ]
    assert all(r.read_at >= started for r in reads)


def test_history_includes_the_share_decisions_recorded_for_the_case(backbone: Backbone) -> None:
    script = STORIES[0]()
    for kind, payload in script.steps():
        backbone.commands.handle(step_to_command(kind, payload))

    def decision(aggregate_id: str, outcome: str, position: int) -> ShareDecisionRow:
        return ShareDecisionRow(
            recipient="prison:LEI",
            event_id=f"e{position}",
            aggregate_id=aggregate_id,
            aggregate_version=position,
            event_type="uk.gov.rj.case.activity_scheduled.v1",
            from_agency="pcc:west-yorkshire",
            outcome=outcome,
            category="activity",
            removed_fields="",
            reason="granted by ISA-WY-RJ-001",
            agreements="ISA-WY-RJ-001",
            position=position,
        )

    ShareDecisions(backbone.store).record(
        [
            decision(str(script.case_id), "sent", 7),
            decision("another-case", "withheld", 8),
        ]
    )
    decisions = backbone.audit("inspector-ann").history(script.case_id).share_decisions
    assert decisions is not None
    assert [(d["recipient"], d["outcome"], d["aggregate_version"]) for d in decisions] == [
        ("prison:LEI", "sent", 7)
    ]
