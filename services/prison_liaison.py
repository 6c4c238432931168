"""A prison liaison team's view (the web page of issue 15): its prison's prisoners with RJ cases,
open and closed; activities arranged at the prison; cases hit by moves in or out of it and what
each move hit. Built on the moves read model cut by :class:`EntitledReads` (a prison sees its
own prison only), with each case's status and activities from the case itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from domain.agency_roles import AgencyRole, role_of
from services.bootstrap import Backbone
from services.entitled_reads import EntitledReads
from services.identity import Forbidden, Identity

Status = Literal["all", "open", "closed"]


@dataclass(frozen=True)
class Prisoner:
    case_id: str
    prison_number: str
    custody_status: str | None
    current_prison: str | None
    case_status: str


@dataclass(frozen=True)
class ArrangedActivity:
    case_id: str
    activity_id: str
    activity_type: str
    status: str
    scheduled_for: str
    venue: str


@dataclass(frozen=True)
class LiaisonView:
    prison: str
    status: Status
    prisoners: list[Prisoner]
    activities: list[ArrangedActivity]
    moves: list[dict[str, Any]]
    releases: list[dict[str, Any]]


def liaison_view(
    backbone: Backbone, reads: EntitledReads, caller: Identity, status: Status, why: str
) -> LiaisonView:
    """The caller's own prison only (others: Forbidden); the read is logged with ``why``."""
    if role_of(caller.agency) is not AgencyRole.PRISON:
        raise Forbidden(f"the prison liaison page is for prisons; {caller.agency} is not one")
    subject, found = reads.moves()
    code = caller.agency.partition(":")[2]
    prisoners, activities = [], []
    for row in found["cases"]:
        case = backbone.commands.load(UUID(row["case_id"]))
        if case is None:
            continue
        state = case.closed_reason.value if case.closed_reason else "open"
        if status == "all" or (status == "open") == (state == "open"):
            prisoners.append(
                Prisoner(
                    row["case_id"],
                    row["prison_number"],
                    row["custody_status"],
                    row["current_prison"],
                    state,
                )
            )
        venue = case.venue
        if venue is not None and venue.prison_code == code:
            activities += [
                ArrangedActivity(
                    str(case.id),
                    a.activity_id,
                    a.activity_type.value,
                    a.status.value,
                    f"{a.scheduled_for:%Y-%m-%d %H:%M}",
                    venue.name,
                )
                for a in case.activities.values()
            ]
    backbone.audit(caller.reader).log_read("web:prison", subject, f"why: {why}")
    return LiaisonView(code, status, prisoners, activities, found["moves"], found["releases"])
