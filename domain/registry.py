"""The agency registry: agencies an administrator added beside the reference data, audited.

One registry (``agencies``) holds every registration as an event saying who registered which code,
when and why. Only an administrator registers: the acting agency must be an ``admin:`` principal
that is known (``admin:backbone`` from the reference data, or an administrator registered here).
The administrator's identity is the command's ``agency``/``user`` like any other actor; proving
it is the transport's job (broker principal or token), not the payload's.

PCC areas and prisons are not registered: the 42 areas are set by statute and prisons come from
the prison register, so both are changed in the reference data. Police forces, probation units,
RJ providers and administrators can be registered, each with the PCC areas it works in (none:
national). There is no deregistration yet: a code once known stays known, so history naming it
stays meaningful.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event
from pydantic import Field

from domain.agencies import ADMINISTRATORS, AgencyCode, PccAreaCode, reference_agencies
from domain.agency_roles import AgencyRole, role_of
from domain.base import Aggregate, EventMeta
from domain.errors import AdministratorRequired, DuplicateEntity, ReasonRequired
from domain.text import MAX_ITEMS, FreeText, Name

REGISTRY_NAMESPACE = uuid5(NAMESPACE_URL, "https://rj-backbone/agency-registry")
REGISTRY = "agencies"
NOT_REGISTERED_HERE = frozenset({AgencyRole.PCC, AgencyRole.PRISON})

PccAreas = Annotated[tuple[PccAreaCode, ...], Field(max_length=MAX_ITEMS)]


class AgencyRegistry(Aggregate):
    @staticmethod
    def id_for(registry: str = REGISTRY) -> UUID:
        return uuid5(REGISTRY_NAMESPACE, registry)

    @staticmethod
    def create_id(registry: str = REGISTRY, **_: object) -> UUID:
        return AgencyRegistry.id_for(registry)

    @event("Opened")
    def __init__(self, registry: Literal["agencies"], meta: EventMeta) -> None:
        self.registry = registry
        self.agencies: dict[str, frozenset[str]] = {}

    @property
    def registered(self) -> Mapping[str, frozenset[str]]:
        """Registered codes and their PCC areas, for :func:`domain.agencies.registered_agencies`."""
        return MappingProxyType(self.agencies)

    def check_only_an_administrator_registers_agencies(self, meta: EventMeta) -> None:
        administrator = role_of(meta.agency) is AgencyRole.ADMIN and (
            meta.agency in ADMINISTRATORS or meta.agency in self.agencies
        )
        if not administrator:
            raise AdministratorRequired(
                f"{meta.agency} is not an administrator: only a known admin: principal "
                "registers agencies"
            )

    def check_pcc_areas_and_prisons_come_from_reference_data(self, code: str) -> None:
        role = role_of(code)
        if role in NOT_REGISTERED_HERE:
            raise AdministratorRequired(
                f"{code}: {role.value if role else '?'} codes come from the reference data "
                "(PCC areas are set by statute, prisons by the prison register), not the registry"
            )

    def check_agency_is_not_already_known(self, code: str) -> None:
        if code in reference_agencies() or code in self.agencies:
            raise DuplicateEntity(f"agency {code} is already known")

    def register(
        self,
        code: AgencyCode,
        name: Name,
        reason: FreeText,
        meta: EventMeta,
        pcc_areas: PccAreas = (),
    ) -> None:
        """Make ``code`` a known agency working in ``pcc_areas`` (none: national)."""
        self.check_only_an_administrator_registers_agencies(meta)
        self.check_pcc_areas_and_prisons_come_from_reference_data(code)
        self.check_agency_is_not_already_known(code)
        if not reason.strip():
            raise ReasonRequired("registering an agency needs a reason")
        self._registered(code=code, name=name, pcc_areas=pcc_areas, reason=reason, meta=meta)

    @event("AgencyRegistered")
    def _registered(
        self, code: AgencyCode, name: str, pcc_areas: tuple[str, ...], reason: str, meta: EventMeta
    ) -> None:
        self.agencies[code] = frozenset(pcc_areas)
