"""Free text is personal data (issue 12, item 2): sealed under the key of the person the event
names (else the case's), erased with that key in history, export and on topics; events stored
before the change keep their clear text, read as stored and are never published in clear.
Tests named as the rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from pydantic import BaseModel

import adapters.personal_cipher as personal_cipher
from adapters.cloudevents import Record, attributes, to_record
from adapters.personal_cipher import ERASED
from adapters.sealed_records import seal_record, stored_state
from domain.personal import personal_fields
from services.audit.export import export_case, verify_export
from services.bootstrap import Backbone
from services.demo.runner import run_script
from services.demo.script import Script
from services.identity import Identity
from services.personal_details import PersonalDetailsResolver
from tests.integration.tamper import RawRows

POLICE, HUB = "police:west-yorkshire", "pcc:west-yorkshire"
UPDATE = "Priya told by phone: the meeting is off"
CLOSURE = "closed after Priya asked for no further contact"
AUDITOR = Identity("audit:office", "inspector-ann", frozenset({"auditor"}), "test")


def priya_story(*, closed: bool = True) -> Script:
    s = Script("priya", "A victim told by phone", datetime(2024, 5, 1, tzinfo=UTC))
    s.send(
        POLICE,
        "refer_case",
        route="police",
        cjs_stage="pre_sentence",
        crime_type="robbery",
        pcc_area="west-yorkshire",
        crime_reported_on=None,
        summary="Street robbery",
    )
    s.send(POLICE, "add_participant", participant_id="v1", role="victim", name="Priya S.")
    s.send(POLICE, "add_participant", participant_id="o1", role="offender", name="Mr D.")
    s.send(HUB, "update_victim", participant_id="v1", reason_code="other", reason=UPDATE)
    if closed:
        s.send(HUB, "close_case", reason="other", detail=CLOSURE)
    return s


def history(bb: Backbone, case_id: UUID) -> dict[str, dict[str, Any]]:
    entries = bb.audit("inspector-ann").history(case_id).entries
    return {e.event: e.details for e in entries}


def published(bb: Backbone, case_id: UUID, event: str) -> Record:
    """The record the relay would publish for the case's ``event`` (same code path)."""
    for n in bb.store.recorder.select_notifications(1, 10_000):
        if str(n.originator_id) == str(case_id):
            decoded: Any = bb.store.mapper.to_domain_event(n)
            if type(decoded).__name__ == event:
                sealed = stored_state(bb.store, n)
                return seal_record(to_record(decoded, n.id), decoded, sealed, "https://rjb.test")
    raise AssertionError(f"no {event} on case {case_id}")


def resolved(bb: Backbone, record: Record) -> dict[str, Any]:
    value = orjson.loads(record.value)
    aggregate_id, version = UUID(value["originator_id"]), value["originator_version"]
    return PersonalDetailsResolver(bb).resolve(AUDITOR, aggregate_id, version, "test").fields


def stored(rows: RawRows) -> bytes:
    return b"".join(bytes(r[0]) for r in rows.run(f"SELECT state FROM {rows.events}"))


def test_a_victim_update_reason_is_erased_with_the_victim_in_history_export_and_on_topics(
    backbone: Backbone, rows: RawRows, tmp_path: Path
) -> None:
    case_id = run_script(backbone.commands, priya_story()).script.case_id
    assert UPDATE.encode() not in stored(rows) and CLOSURE.encode() not in stored(rows)
    record = published(backbone, case_id, "VictimUpdated")
    assert orjson.loads(record.value)["reason"]["$personal"] == f"{case_id}/v1"
    assert UPDATE.encode() not in record.value
    assert resolved(backbone, record) == {"reason": UPDATE}

    backbone.privacy.erase(f"{case_id}/v1", "DSR-21", HUB, "dpo-jo")
    assert history(backbone, case_id)["VictimUpdated"]["reason"] == ERASED
    assert resolved(backbone, record) == {"reason": ERASED}
    again = published(backbone, case_id, "VictimUpdated")  # a republish after the erasure
    assert orjson.loads(again.value)["reason"]["$personal"] == f"{case_id}/v1"
    export_case(backbone.audit("inspector-ann"), case_id, tmp_path)
    exported = (tmp_path / "history.jsonl").read_text()
    assert UPDATE not in exported and ERASED in exported
    assert verify_export(tmp_path) == [] and backbone.audit("inspector-ann").verify().ok


def test_case_level_text_survives_a_persons_erasure_unless_erased_with_the_case_text(
    backbone: Backbone,
) -> None:
    case_id = run_script(backbone.commands, priya_story()).script.case_id
    backbone.privacy.erase(f"{case_id}/v1", "DSR-21", HUB, "dpo-jo")
    assert history(backbone, case_id)["CaseClosed"]["detail"] == CLOSURE  # about the case

    done = backbone.privacy.erase_with_case_text(f"{case_id}/v1", "DSR-21", HUB, "dpo-jo")
    assert [d.subject for d in done] == [f"{case_id}/v1", str(case_id)]
    after = history(backbone, case_id)
    assert after["CaseClosed"]["detail"] == ERASED and after["Referred"]["summary"] == ERASED
    assert after["ParticipantAdded"]["name"] == "Mr D."  # the offender's key is untouched


@pytest.fixture
def the_change(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Until ``the_change()`` is called, VictimUpdated.reason is written as it was before it
    became PersonalText (in clear)."""
    marked = personal_fields

    def as_before(cls: type[BaseModel]) -> frozenset[str]:
        old = frozenset({"reason"}) if cls.__name__ == "VictimUpdated" else frozenset()
        return marked(cls) - old

    monkeypatch.setattr(personal_cipher, "personal_fields", as_before)
    return monkeypatch.undo


def test_an_event_stored_before_free_text_was_personal_reads_as_stored_never_in_clear_on_topics(
    backbone: Backbone, rows: RawRows, the_change: Callable[[], None]
) -> None:
    case_id = run_script(backbone.commands, priya_story(closed=False)).script.case_id
    the_change()  # from here on the reason is PersonalText
    before = stored(rows)
    assert UPDATE.encode() in before  # stored in clear, as it was, and never rewritten

    assert history(backbone, case_id)["VictimUpdated"]["reason"] == UPDATE  # read-time rule
    record = published(backbone, case_id, "VictimUpdated")
    assert "reason" not in orjson.loads(record.value)  # no envelope: left out, not in clear
    assert UPDATE.encode() not in record.value
    assert attributes(record.headers)["dataref"].endswith(f"/v1/events/{case_id}/4/personal")
    assert resolved(backbone, record) == {"reason": UPDATE}  # to the entitled, through the API

    backbone.privacy.erase(f"{case_id}/v1", "DSR-21", HUB, "dpo-jo")
    assert resolved(backbone, record) == {"reason": ERASED}
    assert stored(rows).startswith(before) and backbone.audit("inspector-ann").verify().ok
