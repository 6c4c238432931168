"""A case's full state for auditors, personal fields included (they read "[erased]" once erased)."""

from __future__ import annotations

from typing import Any

from domain.case.aggregate import Case
from services.case_queries import case_summary


def audit_state(case: Case) -> dict[str, Any]:
    state = case_summary(case)
    state["summary"] = case.summary
    state["referred_by"] = case.referred_by
    state["outcome_terms"] = list(case.outcome_terms)
    for pid, info in state["participants"].items():
        person = case.participants[pid]
        info["name"] = person.name
        info["contact"] = person.contact
    return state
