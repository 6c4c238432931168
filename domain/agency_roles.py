"""Which commands each kind of agency may send (a prison sends movements, not consents).

The role is the prefix of the agency code (``prison:LEI`` → ``prison``). Victim hubs (PCC areas)
commission and run RJ, so they may drive the whole case; the other agencies send what their part
of the process produces. Any agency may complain, sign an agreement it is party to, or refer.
RJ service providers deliver RJ for the hubs that commission them, so they do the case work;
administrators (``admin:``) register agencies (:mod:`domain.registry`) and apply HMPPS prisoner
merges (:mod:`services.prisoner_merge`).
"""

from __future__ import annotations

from enum import StrEnum


class AgencyRole(StrEnum):
    POLICE = "police"
    PCC = "pcc"
    PROBATION = "probation"
    PRISON = "prison"
    PROVIDER = "provider"
    ADMIN = "admin"


_EVERYONE = frozenset({"refer_case", "add_participant", "record_complaint", "sign_agreement"})

_AGREEMENTS = frozenset(
    {
        "draft_agreement",
        "activate_agreement",
        "suspend_agreement",
        "resume_agreement",
        "terminate_agreement",
        "review_agreement",
    }
)

_OFFENDER_SIDE = frozenset(
    {
        "record_contact",
        "accept_responsibility",
        "record_consent",
        "decline",
        "withdraw",
        "re_engage",
        "record_assessment",
        "record_vulnerability",
        "refer_for_support",
    }
)

_CASE_WORK = _OFFENDER_SIDE | frozenset(
    {
        "inform_victim",
        "pass_victim_details",
        "assign_facilitators",
        "replace_facilitator",
        "choose_activity_type",
        "set_venue",
        "request_prison_access",
        "record_pre_visit",
        "schedule_activity",
        "reschedule_activity",
        "record_activity_held",
        "cancel_activity",
        "record_outcome_agreement",
        "record_follow_up",
        "record_feedback",
        "resolve_complaint",
        "update_victim",
        "close_case",
    }
)

ALLOWED_COMMANDS: dict[AgencyRole, frozenset[str]] = {
    AgencyRole.PCC: _EVERYONE | _AGREEMENTS | _CASE_WORK,
    AgencyRole.POLICE: _EVERYONE
    | _AGREEMENTS
    | {"inform_victim", "pass_victim_details", "record_contact", "update_victim"},
    AgencyRole.PROBATION: _EVERYONE | _OFFENDER_SIDE | {"update_victim"},
    AgencyRole.PRISON: _EVERYONE | {"record_movement", "decide_prison_access"},
    AgencyRole.PROVIDER: _EVERYONE | _CASE_WORK,
    # the backbone's operators; HMPPS prisoner merges are applied as admin:backbone
    AgencyRole.ADMIN: frozenset(
        {"register_agency", "merge_prisoner", "record_merged_away", "record_prisoner_merge"}
    ),
}


_BY_PREFIX = {role.value: role for role in AgencyRole}  # a dict look-up: Enum() is slow


def role_of(agency: str) -> AgencyRole | None:
    return _BY_PREFIX.get(agency.partition(":")[0])


def may_send(agency: str, command_type: str) -> bool:
    role = role_of(agency)
    return role is not None and command_type in ALLOWED_COMMANDS[role]


def refusal(agency: str, command_type: str) -> str | None:
    """Why ``agency`` may not send ``command_type``, or None when it may."""
    role = role_of(agency)
    if role is None:
        return f"unknown agency role in {agency!r}"
    if command_type not in ALLOWED_COMMANDS[role]:
        return f"a {role.value} agency may not send {command_type}"
    return None
