"""An agency acts on a case only in its own PCC area, or when it is on the case."""

from __future__ import annotations

from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain.case.values import ActivityType, VenueKind
from domain.errors import AgencyNotOnCase
from services.commands import parse_command
from tests.unit.case_builders import meta, ready_case, referred_case


def test_an_agency_in_the_case_area_acts_on_it() -> None:
    case = referred_case()  # West Yorkshire
    for agency in ("pcc:west-yorkshire", "probation:yorkshire-and-the-humber", "prison:WYI"):
        case.record_contact("v1", "phone", True, meta(agency))


def test_an_agency_outside_the_case_area_and_not_on_the_case_is_refused() -> None:
    case = referred_case()
    before = case.version
    with pytest.raises(AgencyNotOnCase, match="pcc:kent does not work in west-yorkshire"):
        case.record_consent("v1", "CF-1", meta("pcc:kent"))
    assert case.version == before


def test_an_agency_given_the_victims_details_is_on_the_case() -> None:
    case = referred_case()
    with pytest.raises(AgencyNotOnCase):
        case.record_contact("v1", "letter", True, meta("provider:why-me"))
    case.pass_victim_details("v1", "provider:why-me", meta("police:west-yorkshire"))
    case.record_contact("v1", "letter", True, meta("provider:why-me"))


def test_the_prison_of_an_out_of_area_venue_decides_access() -> None:
    case = ready_case()
    case.choose_activity_type(ActivityType.FACE_TO_FACE_CONFERENCE, "v1", meta(), reason="asked")
    case.set_venue(VenueKind.PRISON, "HMP Dartmoor", meta(), prison_code="DAI")
    case.request_prison_access("DAI", meta())
    case.decide_prison_access(True, meta("prison:DAI"))
    with pytest.raises(AgencyNotOnCase):
        case.decide_prison_access(True, meta("prison:EXI"))


def test_a_national_agency_acts_on_the_cases_it_referred() -> None:
    case = referred_case()
    with pytest.raises(AgencyNotOnCase, match="police:british-transport"):
        case.inform_victim("v1", meta("police:british-transport"))


def test_victim_details_go_only_to_a_known_agency() -> None:
    with pytest.raises(ValidationError, match="unknown agency pcc:nowhere"):
        parse_command(
            {
                "type": "pass_victim_details",
                "command_id": "c1",
                "agency": "police:kent",
                "user": "u",
                "occurred_at": "2025-01-01T10:00:00Z",
                "case_id": str(uuid4()),
                "participant_id": "v1",
                "to_agency": "pcc:nowhere",
            }
        )
