"""Personal data is encrypted at rest per person; erasing a person leaves history verifiable."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.audit.state import audit_state
from services.audit.verify import verify_aggregate, verify_log
from services.bootstrap import Backbone
from services.case_queries import CaseQueries
from services.commands import parse_command
from tests.integration.tamper import RawRows

VICTIM_NAME = "Mrs A. (head teacher)"
OFFENDER_NAME = "Mr B."


def stored_bytes(rows: RawRows) -> bytes:
    states = rows.run(f"SELECT state FROM {rows.events} ORDER BY {rows.nid}")
    return b"".join(bytes(r[0]) for r in states)


def test_personal_fields_are_not_stored_in_clear(
    backbone: Backbone, head_teacher_case: UUID, rows: RawRows
) -> None:
    stored = stored_bytes(rows)
    assert VICTIM_NAME.encode() not in stored
    assert b"school office" not in stored
    assert b"primary school" not in stored  # the referral summary: case-level key
    assert b"police:west-yorkshire" in stored  # non-personal fields stay readable
    case = backbone.commands.load(head_teacher_case)
    assert case.participants["v1"].name == VICTIM_NAME


def test_an_erased_victim_reads_as_erased_everywhere_while_verify_passes(
    backbone: Backbone, head_teacher_case: UUID, rows: RawRows
) -> None:
    before = stored_bytes(rows)
    erasure = backbone.privacy.erase(
        f"{head_teacher_case}/v1", "erasure request DSR-17", "pcc:west-yorkshire", "dpo-jo"
    )
    assert erasure.key_destroyed and erasure.event_recorded
    assert stored_bytes(rows).startswith(before)  # history untouched, only appended to

    audit = backbone.audit("inspector-ann")
    history = audit.history(head_teacher_case)
    added = {
        e.details["participant_id"]: e.details
        for e in history.entries
        if e.event == "ParticipantAdded"
    }
    assert added["v1"]["name"] == "[erased]" and added["v1"]["contact"] == "[erased]"
    assert added["o1"]["name"] == OFFENDER_NAME
    assert [(e.event, e.user, e.details.get("participant_id")) for e in history.erasures][-1] == (
        "PersonalDataErased",
        "dpo-jo",
        "v1",
    )
    rebuilt = CaseQueries(backbone.store).case(head_teacher_case)
    assert rebuilt.participants["v1"].name == "[erased]"
    state = audit_state(audit.at(head_teacher_case, datetime.now(UTC)))  # type: ignore[arg-type]
    assert VICTIM_NAME not in str(state)

    assert verify_log(backbone.store.recorder).ok
    assert verify_aggregate(backbone.store.recorder, head_teacher_case).ok


def test_erasing_twice_records_one_erasure(backbone: Backbone, head_teacher_case: UUID) -> None:
    person = f"{head_teacher_case}/v1"
    backbone.privacy.erase(person, "DSR-17", "pcc:west-yorkshire", "dpo-jo")
    again = backbone.privacy.erase(person, "DSR-17", "pcc:west-yorkshire", "dpo-jo")
    assert not again.key_destroyed and not again.event_recorded
    assert len(backbone.audit("a").history(head_teacher_case).erasures) == 2  # opened + erased


def test_what_arrives_about_an_erased_person_is_not_kept(
    backbone: Backbone, head_teacher_case: UUID
) -> None:
    backbone.privacy.erase(f"{head_teacher_case}/v1", "DSR-17", "pcc:west-yorkshire", "dpo-jo")
    backbone.commands.handle(
        parse_command(
            {
                "type": "record_complaint",
                "command_id": "late-1",
                "agency": "pcc:west-yorkshire",
                "user": "hub",
                "occurred_at": "2025-01-01T10:00:00Z",
                "case_id": str(head_teacher_case),
                "complaint_id": "c-late",
                "about": "timeliness",
                "summary": "Mrs A. says nobody called",
                "participant_id": "v1",
            }
        )
    )
    last = backbone.audit("a").history(head_teacher_case).entries[-1]
    assert last.event == "ComplaintReceived" and last.details["summary"] == "[erased]"


def test_case_level_text_is_erased_with_the_case_key(
    backbone: Backbone, head_teacher_case: UUID
) -> None:
    backbone.privacy.erase(str(head_teacher_case), "DSR-18", "pcc:west-yorkshire", "dpo-jo")
    case = backbone.commands.load(head_teacher_case)
    assert case.summary == "[erased]"
    assert case.participants["v1"].name == VICTIM_NAME
