"""Auditors replay a case, see it as it stood at an instant, and every read they make is logged."""

from __future__ import annotations

from datetime import UTC, datetime

from services.bootstrap import Backbone
from services.demo.runner import step_to_command
from services.demo.stories import STORIES
from tests.integration.tamper import RawRows


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
    assert history.share_decisions is None  # no share_decisions table in this store


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
    raw = RawRows(backbone.settings)
    raw.run("CREATE TABLE share_decisions (case_id TEXT, recipient TEXT, shared TEXT)")
    raw.run("INSERT INTO share_decisions VALUES (?, ?, ?)", str(script.case_id), "prison:LEI", "y")
    raw.run("INSERT INTO share_decisions VALUES (?, ?, ?)", "another-case", "prison:LEI", "n")
    raw.close()
    decisions = backbone.audit("inspector-ann").history(script.case_id).share_decisions
    assert decisions == [{"case_id": str(script.case_id), "recipient": "prison:LEI", "shared": "y"}]
