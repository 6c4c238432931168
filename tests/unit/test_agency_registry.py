"""Only an administrator registers an agency, and each registration says who and why."""

from __future__ import annotations

import pytest

from domain.agencies import registered_agencies
from domain.agreement import SharingAgreement
from domain.errors import AdministratorRequired, DuplicateEntity, ReasonRequired
from domain.registry import REGISTRY, AgencyRegistry
from tests.unit.case_builders import meta
from tests.unit.test_agreement import terms

ADMIN = "admin:backbone"


def registry() -> AgencyRegistry:
    return AgencyRegistry(registry=REGISTRY, meta=meta(ADMIN))


def test_an_administrator_registers_an_agency_with_who_and_why() -> None:
    reg = registry()
    reg.register(
        "provider:kent-rj-hub",
        "Kent RJ Hub",
        "commissioned by the Kent PCC",
        meta(ADMIN),
        pcc_areas=("kent",),
    )
    assert reg.registered == {"provider:kent-rj-hub": {"kent"}}
    event = reg.collect_events()[-1]
    assert type(event).__name__ == "AgencyRegistered"
    assert (event.meta.agency, event.meta.user) == (ADMIN, "tester")  # type: ignore[attr-defined]
    assert event.reason == "commissioned by the Kent PCC"  # type: ignore[attr-defined]


@pytest.mark.parametrize("actor", ["pcc:kent", "police:kent", "admin:someone-unknown"])
def test_only_an_administrator_registers_agencies(actor: str) -> None:
    with pytest.raises(AdministratorRequired, match=f"{actor} is not an administrator"):
        registry().register("provider:new", "New", "because", meta(actor))


def test_a_registered_administrator_may_register_in_turn() -> None:
    reg = registry()
    reg.register("admin:ops-team", "Backbone operations", "second administrator", meta(ADMIN))
    reg.register("police:new-force", "New Force", "merger of forces", meta("admin:ops-team"))
    assert set(reg.registered) == {"admin:ops-team", "police:new-force"}


@pytest.mark.parametrize("code", ["pcc:new-area", "prison:NEW"])
def test_pcc_areas_and_prisons_come_from_reference_data_not_the_registry(code: str) -> None:
    with pytest.raises(AdministratorRequired, match="come from the reference data"):
        registry().register(code, "New", "because", meta(ADMIN))


def test_a_known_agency_is_not_registered_twice() -> None:
    reg = registry()
    with pytest.raises(DuplicateEntity, match="already known"):
        reg.register("provider:remedi", "Remedi", "again", meta(ADMIN))
    reg.register("provider:new", "New", "first", meta(ADMIN))
    with pytest.raises(DuplicateEntity):
        reg.register("provider:new", "New", "second", meta(ADMIN))


def test_registering_an_agency_needs_a_reason() -> None:
    with pytest.raises(ReasonRequired):
        registry().register("provider:new", "New", "  ", meta(ADMIN))


def test_a_registered_agency_may_be_a_party_where_the_registry_is_supplied() -> None:
    reg = registry()
    reg.register("provider:kent-rj-hub", "Kent RJ Hub", "commissioned", meta(ADMIN))
    parties = ("police:west-yorkshire", "pcc:west-yorkshire", "provider:kent-rj-hub")
    with registered_agencies(reg.registered):
        isa = SharingAgreement(reference="ISA-9", terms=terms(parties), meta=meta())
    assert "provider:kent-rj-hub" in isa.party_agencies
