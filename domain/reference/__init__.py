"""Reference data: PCC areas, police forces, prisons, probation regions and RJ providers.

- Prison codes and names: the MoJ public prison register's initial list (ministryofjustice/
  prison-register, migration V1_1) via ``shared/data/prisons.csv``, kept exactly; plus current
  prisons missing from it, with register codes: PYI Parc YOI, FWI Five Wells, FEI Fosse Way,
  MKI Millsike.
- Prison to PCC area: derived by the project from each prison's location (town, county), kept in
  ``location``; a location ending in ``?`` is a best estimate.
- PCC areas: the Home Office list of the 43 territorial police forces, with the Metropolitan and
  City of London Police as one area, ``london`` (MOPAC): 42 areas. British Transport Police is a
  special force with no PCC area.
- Probation regions: the 12 regions of the Probation Service (HMPPS) in England and Wales since
  the 2021 unification, each with the PCC areas it covers (together: all 42, each once).
- RJ service providers: a few real providers commissioned by PCCs, with the areas and the public
  source that shows the commissioning (contracts change: administrators register newcomers).

Pure: nothing is read at import time; :func:`load_reference_data` reads the CSV files beside
this module once, validates them and caches the result.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from types import MappingProxyType
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

EXPECTED_PCC_AREAS = 42
EXPECTED_PROBATION_REGIONS = 12

Code = Annotated[str, Field(min_length=1)]


def _split(value: object) -> object:
    return value.split(";") if isinstance(value, str) else value


def _split_or_none(value: object) -> object:
    return () if value == "" else _split(value)


def _none_if_empty(value: object) -> object:
    return value if value != "" else None


class UnknownReferenceCode(KeyError):
    """A code that is not in the reference data."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else super().__str__()


class _Reference(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PccArea(_Reference):
    code: Code
    name: Code
    police_force_codes: Annotated[tuple[Code, ...], BeforeValidator(_split), Field(min_length=1)]


class PoliceForce(_Reference):
    code: Code
    name: Code
    kind: Literal["territorial", "special"]
    pcc_area_code: Annotated[Code | None, BeforeValidator(_none_if_empty)]


class ProbationRegion(_Reference):
    code: Code
    name: Code
    pcc_area_codes: Annotated[tuple[Code, ...], BeforeValidator(_split), Field(min_length=1)]


class RjProvider(_Reference):
    """An RJ service provider; no areas means a national service."""

    code: Code
    name: Code
    pcc_area_codes: Annotated[tuple[Code, ...], BeforeValidator(_split_or_none)]
    source: Code


class Prison(_Reference):
    code: Code
    name: Code
    active: bool
    pcc_area_code: Code
    location: Code


_T = TypeVar("_T", PccArea, PoliceForce, Prison, ProbationRegion, RjProvider)


def _lookup(table: Mapping[str, _T], code: str, what: str) -> _T:
    try:
        return table[code]
    except KeyError:
        raise UnknownReferenceCode(f"unknown {what} code {code!r}: not in reference data") from None


@dataclass(frozen=True)
class ReferenceData:
    """Read-only tables keyed by code."""

    pcc_areas: Mapping[str, PccArea]
    police_forces: Mapping[str, PoliceForce]
    prisons: Mapping[str, Prison]
    probation_regions: Mapping[str, ProbationRegion]
    rj_providers: Mapping[str, RjProvider]

    def prison(self, code: str) -> Prison:
        return _lookup(self.prisons, code, "prison")

    def pcc_area(self, code: str) -> PccArea:
        return _lookup(self.pcc_areas, code, "PCC area")

    def police_force(self, code: str) -> PoliceForce:
        return _lookup(self.police_forces, code, "police force")

    def area_of_prison(self, code: str) -> str:
        return self.prison(code).pcc_area_code

    def prisons_in_area(self, area_code: str) -> list[Prison]:
        self.pcc_area(area_code)
        return [p for p in self.prisons.values() if p.pcc_area_code == area_code]


def _table(model: type[_T], name: str) -> Mapping[str, _T]:
    text = files(__package__ or __name__).joinpath(name).read_text(encoding="utf-8")
    items = [model.model_validate(row) for row in csv.DictReader(text.splitlines())]
    table = {item.code: item for item in items}
    if len(table) != len(items):
        raise ValueError(f"duplicate codes in {name}")
    return MappingProxyType(table)


def _check_regions(
    areas: Mapping[str, PccArea],
    regions: Mapping[str, ProbationRegion],
    providers: Mapping[str, RjProvider],
) -> None:
    covered = sorted(a for r in regions.values() for a in r.pcc_area_codes)
    if len(regions) != EXPECTED_PROBATION_REGIONS or covered != sorted(areas):
        raise ValueError("the probation regions must cover each of the 42 PCC areas once")
    for provider in providers.values():
        unknown = set(provider.pcc_area_codes) - set(areas)
        if unknown:
            raise ValueError(f"RJ provider {provider.code!r} names unknown areas {unknown}")


def _check(
    areas: Mapping[str, PccArea], forces: Mapping[str, PoliceForce], prisons: Mapping[str, Prison]
) -> None:
    if len(areas) != EXPECTED_PCC_AREAS:
        raise ValueError(f"expected {EXPECTED_PCC_AREAS} PCC areas, found {len(areas)}")
    for force in forces.values():
        if (force.kind == "territorial") != (force.pcc_area_code in areas):
            raise ValueError(f"police force {force.code!r} has bad area {force.pcc_area_code!r}")
    for area in areas.values():
        members = sorted(f.code for f in forces.values() if f.pcc_area_code == area.code)
        if sorted(area.police_force_codes) != members:
            raise ValueError(f"PCC area {area.code!r} lists forces that differ from {members}")
    for prison in prisons.values():
        if prison.pcc_area_code not in areas:
            raise ValueError(f"prison {prison.code!r} is in unknown area {prison.pcc_area_code!r}")


@lru_cache(maxsize=1)
def load_reference_data() -> ReferenceData:
    """Read, validate and cache the packaged reference data; ValueError if inconsistent."""
    areas = _table(PccArea, "pcc_areas.csv")
    forces = _table(PoliceForce, "police_forces.csv")
    prisons = _table(Prison, "prisons.csv")
    regions = _table(ProbationRegion, "probation_regions.csv")
    providers = _table(RjProvider, "rj_providers.csv")
    _check(areas, forces, prisons)
    _check_regions(areas, regions, providers)
    return ReferenceData(
        pcc_areas=areas,
        police_forces=forces,
        prisons=prisons,
        probation_regions=regions,
        rj_providers=providers,
    )
