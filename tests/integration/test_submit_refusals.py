"""``rjb submit`` reports each refused line with the rule that refused it, and a line that is not
JSON as malformed JSON, as the dead-letter topic does (issue 13, item 3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from services.bootstrap import Backbone, build
from services.cli.submit import submit_lines
from tests.conftest import sqlite_settings

ENVELOPE = {
    "command_id": "c-1",
    "agency": "pcc:kent",
    "user": "u",
    "occurred_at": "2025-03-01T09:00:00Z",
}
CASE = "6f1c4d38-0d5e-4a34-9d0e-000000000001"
REFERRAL = {
    "type": "refer_case",
    "command_id": "ref-1",
    "agency": "pcc:kent",
    "user": "u",
    "occurred_at": "2025-03-01T09:00:00Z",
    "route": "police",
    "cjs_stage": "pre_charge",
    "crime_type": "theft",
    "pcc_area": "kent",
    "crime_reported_on": None,
    "summary": "x",
}


@pytest.fixture
def backbone(tmp_path: Path) -> Iterator[Backbone]:
    bb = build(sqlite_settings(tmp_path))
    yield bb
    bb.close()


def reasons(backbone: Backbone, *lines: bytes) -> list[str | None]:
    return [o.reason for o in submit_lines(backbone.commands, b"\n".join(lines), 262144)]


def test_submit_says_malformed_json_for_a_bad_line_like_the_dead_letter_topic(
    backbone: Backbone,
) -> None:
    [reason] = reasons(backbone, b'{"type": "refer_case", "command_id": "c1", ')
    assert reason is not None and reason.startswith("malformed JSON")


def test_every_refusal_in_submit_carries_the_rule_id(backbone: Backbone) -> None:
    narnia = orjson.dumps({**REFERRAL, "pcc_area": "narnia"})
    consent = {"type": "record_consent", "case_id": CASE, "participant_id": "v1"}
    prison = orjson.dumps({**ENVELOPE, **consent, "agency": "prison:LEI", "form_reference": "F"})
    missing = orjson.dumps(
        {**ENVELOPE, "type": "inform_victim", "participant_id": "v1", "case_id": CASE}
    )
    got = reasons(backbone, narnia, prison, missing)
    assert got[0] is not None and "unknown PCC area 'narnia'" in got[0]
    assert got[0].endswith("[rule: every_code_in_a_command_names_reference_data]")
    assert got[1] is not None
    assert got[1].endswith("[rule: an_agency_sends_only_the_commands_its_role_allows]")
    assert got[2] is not None and got[2].endswith("[rule: commands_name_an_existing_aggregate]")
