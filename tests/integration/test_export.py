"""A case exported for an inspector can be checked offline, and shows no erased data."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest

from services.audit.export import export_case, verify_export
from services.bootstrap import Backbone
from services.demo.runner import run_script
from services.demo.stories import STORIES


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_export_verifies_offline_and_detects_edits(
    backbone: Backbone, tmp_path: Path, fmt: str
) -> None:
    case_id = run_script(backbone.commands, STORIES[0]()).script.case_id
    backbone.privacy.erase(f"{case_id}/v1", "DSR-17", "pcc:west-yorkshire", "dpo-jo")
    out = tmp_path / "export"
    export_case(backbone.audit("inspector-ann"), case_id, out, fmt)  # type: ignore[arg-type]
    assert verify_export(out) == []

    history = (out / f"history.{fmt}").read_text()
    if fmt == "csv":
        rows = list(csv.DictReader(history.splitlines()))
        assert rows[0]["event"] == "Referred"
    assert "Mrs A." not in history and "[erased]" in history
    assert "Mrs A." not in (out / "timeline.html").read_text()
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    live_chain = backbone.store.recorder.select_chain_for(str(case_id))
    assert manifest["head_event_hash"] == live_chain[-1].event_hash
    assert [r.action for r in backbone.audit("x").reads()][-2] == "export"

    lines = (out / "stored_events.jsonl").read_bytes().splitlines()
    forged = orjson.loads(lines[2])
    forged["topic"] = forged["topic"].replace("ParticipantAdded", "ParticipantDeclined")
    lines[2] = orjson.dumps(forged)
    (out / "stored_events.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (out / f"history.{fmt}").write_text(history.replace("police", "prison", 1))
    problems = verify_export(out)
    assert "version 3: does not match the chain in the manifest" in problems
    assert f"history.{fmt}: content differs from the manifest" in problems
    assert not any("version 4" in p for p in problems)
