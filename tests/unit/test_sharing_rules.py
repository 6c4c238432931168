"""Sharing rules and agency roles, without a broker."""

from __future__ import annotations

from domain.agency_roles import may_send, refusal
from domain.agreement import DataCategory as C
from domain.case.aggregate import Case
from domain.sharing import Outcome, decide, event_name


def test_a_prison_may_send_movements_but_not_consents() -> None:
    assert may_send("prison:LEI", "record_movement")
    assert refusal("prison:LEI", "record_consent") == "a prison agency may not send record_consent"
    assert refusal("court:leeds", "refer_case") == "unknown agency role in 'court:leeds'"
    assert may_send("pcc:kent", "close_case") and not may_send("police:kent", "close_case")


def added() -> type:
    return next(
        c
        for c in vars(Case).values()
        if isinstance(c, type) and event_name(c) == "Case.ParticipantAdded"
    )


def test_a_victim_name_needs_victim_identity_and_contact_needs_victim_contact() -> None:
    event = getattr(Case, "ParticipantAdded", None) or added()
    data = {"participant_id": "v1", "role": "victim", "name": "Ms C.", "contact": "0770"}
    assert decide(event, data, frozenset({C.REFERRAL})).outcome is Outcome.WITHHELD
    redacted = decide(event, data, frozenset({C.VICTIM_IDENTITY}))
    assert redacted.outcome is Outcome.REDACTED and redacted.removed == ("contact",)
    assert redacted.data == {"participant_id": "v1", "role": "victim", "name": "Ms C."}
    full = decide(event, data, frozenset({C.VICTIM_IDENTITY, C.VICTIM_CONTACT}))
    assert full.outcome is Outcome.SENT and full.data == data
