"""Agency, prison and area codes: well-formed, plain ASCII, and known before anything is stored.

An agency code is ``kind:name``: ``pcc:west-yorkshire``, ``police:kent``, ``probation:wales``,
``provider:remedi``, ``admin:backbone`` (lower-case words joined by hyphens) or ``prison:LEI``
(the prison register's three capitals). Codes are compared byte for byte, so look-alikes are
refused rather than normalised: a Cyrillic U+0435 for ``e``, a zero-width space, a bidi
override, ``PCC:West-Yorkshire`` or a code with spaces around it is refused with the reason (and
a suggestion where one is obvious).

*Known* means in the reference data (:mod:`domain.reference`: PCC areas, police forces, prisons,
probation regions, RJ providers; plus ``admin:backbone``, the backbone's own operators) or
registered by an administrator (:class:`domain.registry.AgencyRegistry`). Registered agencies
are supplied by the caller with :func:`registered_agencies` (the command service reads them from
the registry); without it only the reference data is known, so an unwired caller fails closed.

Stored events use :data:`AgencyCode` (well-formed only), so history stays readable whatever is
registered; commands use :data:`KnownAgencyCode`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from types import MappingProxyType
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from domain.agency_roles import AgencyRole
from domain.errors import UnknownCode
from domain.reference import load_reference_data
from domain.text import BIDI_CONTROLS, describe

MAX_AGENCY_CODE = 64
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
PRISON = r"[A-Z]{3}"
AGENCY_PATTERN = rf"^(?:(?:pcc|police|probation|provider|admin):{SLUG}|prison:{PRISON})$"
NOMS_PATTERN = r"^[A-Z][0-9]{4}[A-Z]{2}$"
ADMINISTRATORS = frozenset({"admin:backbone"})


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _character_problem(value: str) -> str | None:
    for position, char in enumerate(value):
        if " " < char < "\x7f":
            continue
        if char.isspace():
            return f"contains whitespace ({describe(char)}) at position {position}"
        if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            return f"contains the control character {describe(char)} at position {position}"
        if char in BIDI_CONTROLS:
            return f"contains the bidirectional control {describe(char)} at position {position}"
        if not char.isprintable():
            return f"contains the invisible character {describe(char)} at position {position}"
        return (
            f"contains {describe(char)} at position {position}: codes are plain ASCII, so a "
            "look-alike (homoglyph) of a letter is a different code"
        )
    return None


def _canonical(kind: str, name: str) -> str:
    kind = kind.lower()
    return f"{kind}:{name.upper() if kind == AgencyRole.PRISON else name.lower()}"


@lru_cache(maxsize=4096)  # pure; every command's codes are checked (a hot path)
def agency_code_problem(value: str) -> str | None:
    """Why ``value`` is not a well-formed agency code, or None."""
    if len(value) > MAX_AGENCY_CODE:
        return f"an agency code has at most {MAX_AGENCY_CODE} characters, not {len(value)}"
    if value != value.strip():
        return f"agency code {_shown(value)} has whitespace around it"
    problem = _character_problem(value)
    if problem:
        return f"agency code {_shown(value)} {problem}"
    kind, colon, name = value.partition(":")
    if not colon:
        return f"{_shown(value)} is not kind:name (e.g. pcc:west-yorkshire or prison:LEI)"
    kinds = [k.value for k in AgencyRole]
    suggestion = _canonical(kind, name)
    if re.fullmatch(AGENCY_PATTERN, value):
        return None
    if kind not in kinds:
        if kind.lower() in kinds and re.fullmatch(AGENCY_PATTERN, suggestion):
            return f"{_shown(value)} is not in canonical case: did you mean {suggestion}?"
        return f"unknown agency kind {kind!r} in {_shown(value)} (kinds: {', '.join(kinds)})"
    if re.fullmatch(AGENCY_PATTERN, suggestion):
        return f"{_shown(value)} is not in canonical case: did you mean {suggestion}?"
    if kind == AgencyRole.PRISON:
        return f"a prison is named by its 3-letter register code (prison:LEI), not {_shown(value)}"
    return f"the name in {_shown(value)} must be lower-case words joined by hyphens"


@lru_cache(maxsize=1)
def reference_agencies() -> Mapping[str, frozenset[str]]:
    """Every agency the reference data knows, with the PCC areas it works in (empty: national)."""
    ref = load_reference_data()
    known: dict[str, frozenset[str]] = {f"pcc:{a}": frozenset({a}) for a in ref.pcc_areas}
    for f in ref.police_forces.values():
        known[f"police:{f.code}"] = frozenset({f.pcc_area_code} if f.pcc_area_code else ())
    for p in ref.prisons.values():
        known[f"prison:{p.code}"] = frozenset({p.pcc_area_code})
    for r in ref.probation_regions.values():
        known[f"probation:{r.code}"] = frozenset(r.pcc_area_codes)
    for v in ref.rj_providers.values():
        known[f"provider:{v.code}"] = frozenset(v.pcc_area_codes)
    known.update(dict.fromkeys(ADMINISTRATORS, frozenset()))
    return MappingProxyType(known)


_registered: ContextVar[Mapping[str, frozenset[str]]] = ContextVar(
    "registered_agencies", default=MappingProxyType({})
)


@contextmanager
def registered_agencies(registered: Mapping[str, Iterable[str]]) -> Iterator[None]:
    """Within the block, agencies an administrator registered (code → PCC areas) are known too."""
    token = _registered.set(MappingProxyType({c: frozenset(a) for c, a in registered.items()}))
    try:
        yield
    finally:
        _registered.reset(token)


def _directory(code: str) -> frozenset[str] | None:
    found = reference_agencies().get(code)
    return found if found is not None else _registered.get().get(code)


def is_known(code: str) -> bool:
    return _directory(code) is not None


def areas_of(code: str) -> frozenset[str]:
    """PCC areas the agency works in; empty for a national or unknown agency."""
    return _directory(code) or frozenset()


def unknown_agency(code: str) -> str | None:
    """Why ``code`` is not a known agency, or None when it is."""
    problem = agency_code_problem(code)
    if problem:
        return problem
    if is_known(code):
        return None
    return f"unknown agency {code}: not in the reference data, not registered by an administrator"


def _well_formed(value: object) -> object:
    if isinstance(value, str) and (problem := agency_code_problem(value)):
        raise UnknownCode(problem)
    return value


def _known(value: str) -> str:
    problem = unknown_agency(value)
    if problem:
        raise UnknownCode(problem)
    return value


def _known_prison(value: object) -> object:
    if not isinstance(value, str):
        return value
    if len(value) > 3:
        return _fail(f"a prison code has 3 letters, not {len(value)} characters ({_shown(value)})")
    problem = _character_problem(value)
    if problem:
        return _fail(f"prison code {_shown(value)} {problem}")
    if not re.fullmatch(PRISON, value):
        hint = f": did you mean {value.upper()}?" if re.fullmatch(PRISON, value.upper()) else ""
        return _fail(f"a prison code is 3 capital letters from the prison register{hint}")
    if value not in load_reference_data().prisons:
        return _fail(f"unknown prison {value}: not in the prison register (reference data)")
    return value


def _known_area(value: object) -> object:
    if isinstance(value, str) and value not in load_reference_data().pcc_areas:
        return _fail(f"unknown PCC area {_shown(value)} (codes like west-yorkshire, london)")
    return value


def _fail(reason: str) -> object:
    """Refuses a code: :class:`UnknownCode` is a ``ValueError`` that carries the rule."""
    raise UnknownCode(reason)


AgencyCode = Annotated[
    str, Field(max_length=MAX_AGENCY_CODE, pattern=AGENCY_PATTERN), BeforeValidator(_well_formed)
]
KnownAgencyCode = Annotated[AgencyCode, AfterValidator(_known)]
PrisonCode = Annotated[
    str, Field(pattern=f"^{PRISON}$", max_length=3), BeforeValidator(_known_prison)
]
PccAreaCode = Annotated[
    str, Field(pattern=f"^{SLUG}$", max_length=MAX_AGENCY_CODE), BeforeValidator(_known_area)
]
NomsNumber = Annotated[str, Field(pattern=NOMS_PATTERN, max_length=7)]
