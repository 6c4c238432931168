"""Reference data: PCC areas, police forces and prisons of England and Wales."""

import pytest

from domain.reference import (
    PccArea,
    Prison,
    ReferenceData,
    UnknownReferenceCode,
    load_reference_data,
)


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return load_reference_data()


def test_there_are_42_pcc_areas(reference: ReferenceData) -> None:
    assert len(reference.pcc_areas) == 42


def test_there_are_43_territorial_forces_each_in_one_area(reference: ReferenceData) -> None:
    territorial = [f for f in reference.police_forces.values() if f.kind == "territorial"]
    assert len(territorial) == 43
    listed = [code for area in reference.pcc_areas.values() for code in area.police_force_codes]
    assert sorted(listed) == sorted(f.code for f in territorial)


def test_every_prison_lies_in_a_known_pcc_area(reference: ReferenceData) -> None:
    assert len(reference.prisons) >= 153
    for prison in reference.prisons.values():
        assert reference.pcc_area(prison.pcc_area_code).code == prison.pcc_area_code


def test_leicester_prison_lies_in_leicestershire(reference: ReferenceData) -> None:
    # In the prison register LCI is Leicester; LEI is Leeds.
    assert reference.prison("LCI").name == "Leicester (HMP)"
    assert reference.area_of_prison("LCI") == "leicestershire"
    assert reference.area_of_prison("LEI") == "west-yorkshire"


def test_hewell_lies_in_west_mercia_and_welsh_prisons_in_welsh_areas(
    reference: ReferenceData,
) -> None:
    assert reference.area_of_prison("HEI") == "west-mercia"
    assert reference.area_of_prison("CFI") == "south-wales"
    assert reference.area_of_prison("BWI") == "north-wales"
    assert reference.area_of_prison("IWI") == "hampshire"


def test_london_prisons_lie_in_the_london_area(reference: ReferenceData) -> None:
    in_london = {p.code for p in reference.prisons_in_area("london")}
    assert {"WWI", "PVI", "BAI", "WSI"} <= in_london


def test_the_metropolitan_and_city_of_london_forces_share_the_london_area(
    reference: ReferenceData,
) -> None:
    assert reference.police_force("metropolitan").pcc_area_code == "london"
    assert reference.police_force("city-of-london").pcc_area_code == "london"
    london: PccArea = reference.pcc_area("london")
    assert set(london.police_force_codes) == {"metropolitan", "city-of-london"}


def test_british_transport_police_has_no_pcc_area(reference: ReferenceData) -> None:
    btp = reference.police_force("british-transport")
    assert btp.kind == "special"
    assert btp.pcc_area_code is None


def test_an_unknown_prison_code_is_a_clear_error(reference: ReferenceData) -> None:
    with pytest.raises(UnknownReferenceCode, match="unknown prison code 'XXX'") as caught:
        reference.prison("XXX")
    assert isinstance(caught.value, KeyError)
    with pytest.raises(UnknownReferenceCode):
        reference.area_of_prison("XXX")


def test_an_unknown_area_is_a_clear_error(reference: ReferenceData) -> None:
    with pytest.raises(UnknownReferenceCode, match="unknown PCC area code 'atlantis'"):
        reference.prisons_in_area("atlantis")


def test_source_prisons_keep_their_active_flag_and_recent_prisons_are_added(
    reference: ReferenceData,
) -> None:
    assert reference.prison("HYI").active is False  # Holloway, closed
    assert reference.prison("BWI").active is True
    fosse_way: Prison = reference.prison("FEI")
    assert (fosse_way.active, fosse_way.pcc_area_code) == (True, "leicestershire")


def test_reference_data_is_loaded_once_and_read_only(reference: ReferenceData) -> None:
    assert load_reference_data() is reference
    with pytest.raises(TypeError):
        reference.prisons["NEW"] = reference.prison("LCI")  # type: ignore[index]


def test_the_12_probation_regions_cover_each_pcc_area_once(reference: ReferenceData) -> None:
    assert len(reference.probation_regions) == 12
    covered = [a for r in reference.probation_regions.values() for a in r.pcc_area_codes]
    assert sorted(covered) == sorted(reference.pcc_areas)
    assert reference.probation_regions["wales"].pcc_area_codes == (
        "dyfed-powys",
        "gwent",
        "north-wales",
        "south-wales",
    )


def test_rj_providers_name_their_commissioning_areas_and_a_public_source(
    reference: ReferenceData,
) -> None:
    providers = reference.rj_providers
    assert "south-yorkshire" in providers["remedi"].pcc_area_codes
    assert providers["why-me"].pcc_area_codes == ()  # a national charity
    assert all(p.source for p in providers.values())
