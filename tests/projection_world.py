"""A small random world for projection tests: two offenders, their moves and two RJ cases.

Hypothesis draws a sequence of steps from this vocabulary; each becomes an agency command (or an
HMPPS movement message) applied through the command service, and steps that the domain refuses
are simply skipped, as the agency would be told. What remains is a realistic, varied log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from hypothesis import strategies as st

from adapters.hmpps import RECEIVED, RELEASED
from domain.errors import DomainError
from services.command_service import CommandService
from services.demo.runner import step_to_command

PRISON_NUMBERS = ("A0001AA", "B0002BB")
PRISONS = ("LEI", "WYI", "DAI", "LPI")
AREAS = ("west-yorkshire", "merseyside")
START = datetime(2024, 1, 1, 9, tzinfo=UTC)
REASONS = ("prisoner_moved", "awaiting_release", "prison_access", "participant_choice")


def case_id(n: int) -> str:
    return str(uuid5(NAMESPACE_URL, f"https://rj-backbone/test-case/{n}"))


def movement(pn: str, received: bool, reason: str, prison: str, at: datetime) -> dict[str, Any]:
    return {
        "eventType": RECEIVED if received else RELEASED,
        "occurredAt": at.isoformat(),
        "additionalInformation": {"nomsNumber": pn, "prisonId": prison, "reason": reason},
    }


def case_command(n: int, type_: str, day: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "case_id": case_id(n),
        "agency": "pcc:west-yorkshire",
        "user": "hub-officer",
        "occurred_at": (START + timedelta(days=day)).isoformat(),
        **fields,
    }


def _case_step(n: int, kind: str, day: int, prison: str, code: str) -> dict[str, Any]:
    at = (START + timedelta(days=day + 3)).isoformat()
    fields: dict[str, Any] = {
        "refer": {
            "type": "refer_case",
            "route": "police",
            "cjs_stage": "custody",
            "crime_type": "burglary",
            "pcc_area": AREAS[n % 2],
            "crime_reported_on": "2023-12-20",
            "summary": "burglary",
        },
        "victim": {
            "type": "add_participant",
            "participant_id": "v1",
            "role": "victim",
            "name": "V",
        },
        "offender": {
            "type": "add_participant",
            "participant_id": "o1",
            "role": "offender",
            "name": "O",
            "prison_number": PRISON_NUMBERS[n % 2],
        },
        "prepare": {"type": "accept_responsibility", "participant_id": "o1"},
        "consent_v": {"type": "record_consent", "participant_id": "v1", "form_reference": "F"},
        "consent_o": {"type": "record_consent", "participant_id": "o1", "form_reference": "F"},
        "assess_v": {
            "type": "record_assessment",
            "participant_id": "v1",
            "level": "standard",
            "outcome": "suitable",
        },
        "assess_o": {
            "type": "record_assessment",
            "participant_id": "o1",
            "level": "standard",
            "outcome": "suitable",
        },
        "type": {
            "type": "choose_activity_type",
            "activity_type": "face_to_face_conference",
            "preferred_by": "v1",
        },
        "venue": {"type": "set_venue", "kind": "prison", "name": prison, "prison_code": prison},
        "access": {"type": "request_prison_access", "prison_code": prison},
        "grant": {"type": "decide_prison_access", "granted": True},
        "pre_visit": {"type": "record_pre_visit", "participant_id": "v1"},
        "schedule": {
            "type": "schedule_activity",
            "activity_id": f"a{day}",
            "participant_ids": ["v1", "o1"],
            "scheduled_for": at,
        },
        "update": {
            "type": "update_victim",
            "participant_id": "v1",
            "reason_code": code,
            "reason": "told the victim",
        },
        "close": {"type": "close_case", "reason": "withdrawn_by_victim", "detail": "x"},
    }[kind]
    return case_command(n, fields.pop("type"), day, **fields)


CASE_KINDS = (
    "refer",
    "victim",
    "offender",
    "prepare",
    "consent_v",
    "consent_o",
    "assess_v",
    "assess_o",
    "type",
    "venue",
    "access",
    "grant",
    "pre_visit",
    "schedule",
    "update",
    "close",
)

moves = st.builds(
    lambda pn, received, reason, prison, day: (
        "movement",
        movement(pn, received, reason, prison, START + timedelta(days=day)),
    ),
    st.sampled_from(PRISON_NUMBERS),
    st.booleans(),
    st.sampled_from(("TRANSFERRED", "ADMISSION", "RELEASED")),
    st.sampled_from(PRISONS),
    st.integers(0, 60),
)
case_steps = st.builds(
    lambda n, kind, day, prison, code: ("command", _case_step(n, kind, day, prison, code)),
    st.integers(0, 1),
    st.sampled_from(CASE_KINDS),
    st.integers(0, 60),
    st.sampled_from(PRISONS),
    st.sampled_from(REASONS),
)
# A case is referred and prepared first more often than not, so later steps have something to hit.
steps = st.lists(st.one_of(moves, case_steps, case_steps), min_size=5, max_size=45)


def prepared_case(n: int, prison: str) -> list[tuple[str, dict[str, Any]]]:
    kinds = CASE_KINDS[:13]
    return [("command", _case_step(n, k, i, prison, "other")) for i, k in enumerate(kinds)]


def apply(commands: CommandService, step: tuple[str, dict[str, Any]], number: int) -> bool:
    """Applies a step; False when the domain (or validation) refuses it."""
    kind, payload = step
    if kind == "command":
        payload = {**payload, "command_id": f"step-{number}"}
    try:
        commands.handle(step_to_command(kind, payload))
    except (DomainError, ValueError):
        return False
    return True
