"""Every string of every command has a maximum length and no control characters."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain.text import MAX_FREE_TEXT, MAX_IDENTIFIER, MAX_ITEMS, MAX_NAME
from services.commands import COMMAND_MODELS, parse_command

BASE = {
    "command_id": "c1",
    "agency": "pcc:kent",
    "user": "u",
    "occurred_at": "2025-01-01T10:00:00Z",
}


def refer(**fields: Any) -> dict[str, Any]:
    return {
        **BASE,
        "type": "refer_case",
        "route": "police",
        "cjs_stage": "pre_charge",
        "crime_type": "theft",
        "pcc_area": "kent",
        "crime_reported_on": None,
        "summary": "Theft of a bicycle",
        **fields,
    }


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as error:
        parse_command(data)
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.value.errors())


def test_a_one_megabyte_summary_is_refused() -> None:
    reason = refusal(refer(summary="x" * 1_000_000))
    assert "summary" in reason and f"at most {MAX_FREE_TEXT} characters" in reason


def test_a_500_kilobyte_agency_code_is_refused() -> None:
    assert "at most 64 characters, not 500000" in refusal(refer(agency="pcc:" + "k" * 499_996))


def test_a_nul_anywhere_is_refused() -> None:
    assert "control character U+0000 NULL" in refusal(refer(summary="Theft\x00"))
    assert "control character U+0000 NULL" in refusal(refer(command_id="c\x00"))
    consent = {
        **BASE,
        "type": "record_consent",
        "case_id": str(uuid4()),
        "participant_id": "v1",
        "form_reference": "CF-1\x00",
    }
    assert "form_reference" in refusal(consent)


def test_a_bidi_override_in_free_text_is_refused_but_line_breaks_and_any_script_are_not() -> None:
    assert "bidirectional control U+202E" in refusal(refer(summary="paid \u202e01$"))
    ok = parse_command(refer(summary="Siân's bike\nwas taken\tfrom the shed"))
    assert ok.summary == "Siân's bike\nwas taken\tfrom the shed"  # type: ignore[attr-defined]


def test_a_name_is_one_line_of_at_most_200_characters() -> None:
    add = {
        **BASE,
        "type": "add_participant",
        "case_id": str(uuid4()),
        "participant_id": "v1",
        "role": "victim",
    }
    assert "line feed" in refusal({**add, "name": "Ms\nC."}).lower()
    assert f"at most {MAX_NAME} characters" in refusal({**add, "name": "C" * (MAX_NAME + 1)})
    too_long_id = {**add, "name": "C", "participant_id": "v" * (MAX_IDENTIFIER + 1)}
    assert f"at most {MAX_IDENTIFIER} characters" in refusal(too_long_id)


def test_lists_hold_at_most_the_documented_number_of_items() -> None:
    outcome = {
        **BASE,
        "type": "record_outcome_agreement",
        "case_id": str(uuid4()),
        "terms": ["apologise"] * (MAX_ITEMS + 1),
    }
    assert f"at most {MAX_ITEMS} items" in refusal(outcome)


def test_every_string_field_of_every_command_has_a_maximum_length_in_its_schema() -> None:
    def strings(schema: Any, defs: dict[str, Any], path: str) -> list[tuple[str, Any]]:
        if isinstance(schema, dict):
            if "$ref" in schema:
                return strings(defs[schema["$ref"].rsplit("/", 1)[1]], defs, path)
            found = [(path, schema)] if schema.get("type") == "string" else []
            for key, sub in schema.items():
                if key not in ("$defs",):
                    found += strings(sub, defs, f"{path}.{key}")
            return found
        if isinstance(schema, list):
            return [f for i, sub in enumerate(schema) for f in strings(sub, defs, f"{path}[{i}]")]
        return []

    unbounded = []
    for name, model in COMMAND_MODELS.items():
        schema = model.model_json_schema()
        for path, s in strings(schema, schema.get("$defs", {}), name):
            bounded = "maxLength" in s or "enum" in s or "const" in s or "format" in s
            if not bounded:
                unbounded.append(path)
    assert unbounded == []
