"""Agency and prison codes: well-formed, plain ASCII, canonical and known, or refused with why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from adapters.hmpps import PrisonMovementMessage
from domain.agencies import (
    AgencyCode,
    KnownAgencyCode,
    PrisonCode,
    areas_of,
    reference_agencies,
    registered_agencies,
)
from domain.custody import Movement, MovementKind

known = TypeAdapter(KnownAgencyCode)
well_formed = TypeAdapter(AgencyCode)
prison = TypeAdapter(PrisonCode)


def refusal(adapter: TypeAdapter[str], value: object) -> str:
    with pytest.raises(ValidationError) as error:
        adapter.validate_python(value)
    return "; ".join(e["msg"] for e in error.value.errors())


def test_the_reference_agencies_are_every_pcc_force_prison_probation_region_and_provider() -> None:
    kinds = [code.partition(":")[0] for code in reference_agencies()]
    assert kinds.count("pcc") == 42
    assert kinds.count("police") == 44  # 43 territorial forces and British Transport Police
    assert kinds.count("probation") == 12
    assert kinds.count("prison") >= 157
    assert {"provider:remedi", "provider:why-me", "admin:backbone"} <= set(reference_agencies())


@pytest.mark.parametrize(
    "code",
    [
        "pcc:west-yorkshire",
        "police:kent",
        "prison:LEI",
        "probation:wales",
        "provider:restorative-solutions",
        "police:british-transport",
    ],
)
def test_a_known_agency_code_is_accepted_as_it_is(code: str) -> None:
    assert known.validate_python(code) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("pcc:west-yorkshir\u0435", "U+0435 CYRILLIC SMALL LETTER IE at position 17"),
        ("pcc:west\u200b-yorkshire", "invisible character U+200B ZERO WIDTH SPACE"),
        ("pcc:west-yorkshire\u202e", "bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("PCC:West-Yorkshire", "did you mean pcc:west-yorkshire?"),
        ("prison:lei", "did you mean prison:LEI?"),
        (" pcc:west-yorkshire", "whitespace around it"),
        ("pcc:west-yorkshire\n", "whitespace around it"),
        ("pcc:west yorkshire", "contains whitespace"),
        ("pcc:west-yorkshire\x00", "control character U+0000 NULL"),
        ("west-yorkshire", "is not kind:name"),
        ("court:leeds", "unknown agency kind 'court'"),
        ("pcc:West_Yorkshire!", "lower-case words joined by hyphens"),
        ("p" * 500_000, "at most 64 characters, not 500000"),
        ("*", "is not kind:name"),
    ],
)
def test_a_malformed_or_look_alike_agency_code_is_refused_with_the_reason(
    code: str, reason: str
) -> None:
    assert reason in refusal(well_formed, code)


@pytest.mark.parametrize("code", ["pcc:nowhere", "police:evil", "pcc:evil", "probation:yorkshire"])
def test_an_invented_agency_is_refused_as_unknown(code: str) -> None:
    assert well_formed.validate_python(code) == code
    assert f"unknown agency {code}: not in the reference data" in refusal(known, code)


def test_an_agency_an_administrator_registered_is_known_where_the_registry_is_supplied() -> None:
    assert "unknown agency provider:new-hub" in refusal(known, "provider:new-hub")
    with registered_agencies({"provider:new-hub": ["kent"]}):
        assert known.validate_python("provider:new-hub") == "provider:new-hub"
        assert areas_of("provider:new-hub") == {"kent"}
    assert areas_of("provider:new-hub") == frozenset()


def test_each_agency_works_in_the_pcc_areas_of_its_reference_data() -> None:
    assert areas_of("prison:LEI") == {"west-yorkshire"}
    assert areas_of("police:metropolitan") == {"london"}
    assert "south-yorkshire" in areas_of("probation:yorkshire-and-the-humber")
    assert areas_of("police:british-transport") == frozenset()  # national


@pytest.mark.parametrize(
    ("prison_id", "reason"),
    [
        ("../../etc", "3 letters, not 9 characters"),
        ("LEI\x00", "3 letters, not 4 characters"),
        ("L\x00I", "control character U+0000 NULL"),
        ("X" * 10_000, "3 letters, not 10000 characters"),
        ("ZZZ", "unknown prison ZZZ: not in the prison register"),
        ("lei", "did you mean LEI?"),
        ("L\u0415I", "look-alike"),
    ],
)
def test_a_movement_names_a_known_prison_only(prison_id: str, reason: str) -> None:
    assert reason in refusal(prison, prison_id)
    with pytest.raises(ValidationError, match="prison_id"):
        Movement(
            kind=MovementKind.RECEIVED,
            reason="ADMISSION",
            prison_id=prison_id,
            occurred_at=datetime(2025, 1, 1, tzinfo=UTC),
        )


@pytest.mark.parametrize("prison_id", ["../../etc", "LEI\x00", "X" * 10_000])
def test_a_forged_hmpps_movement_is_refused_by_domain_validation(prison_id: str) -> None:
    message = PrisonMovementMessage.model_validate(
        {
            "eventType": "prison-offender-events.prisoner.received",
            "occurredAt": "2025-01-01T10:00:00Z",
            "additionalInformation": {
                "nomsNumber": "A1234BC",
                "prisonId": prison_id,
                "reason": "ADMISSION",
            },
        }
    )
    with pytest.raises(ValidationError, match="prison_id"):
        message.to_command()
