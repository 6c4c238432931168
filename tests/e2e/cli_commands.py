"""The commands the ``rjb`` CLI tests submit: a Kent police referral and its victim."""

from __future__ import annotations

from typing import Any

BASE = {"agency": "police:kent", "user": "pc-99", "occurred_at": "2025-02-01T10:00:00Z"}


def refer_case(case_id: str, summary: str = "shop theft") -> dict[str, Any]:
    return {
        "type": "refer_case",
        "command_id": "c1",
        "case_id": case_id,
        "route": "police",
        "cjs_stage": "pre_sentence",
        "crime_type": "theft",
        "pcc_area": "kent",
        "crime_reported_on": "2025-01-31",
        "summary": summary,
        **BASE,
    }


def add_victim(case_id: str, name: str = "V") -> dict[str, Any]:
    return {
        "type": "add_participant",
        "command_id": "c2",
        "case_id": case_id,
        "participant_id": "v1",
        "role": "victim",
        "name": name,
        **BASE,
    }
