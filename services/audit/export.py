"""Export of a case's history (jsonl or csv, plus an HTML timeline) that can be verified offline.

The directory holds ``history.<fmt>`` (the readable view: erased data reads "[erased]"),
``timeline.html``, ``stored_events.jsonl`` (the stored bytes as hashed: personal fields are
ciphertext) and ``manifest.json`` with the sha256 of each file and the case's chain hashes.
:func:`verify_export` needs nothing but the directory: it re-hashes the files and recomputes the
chain from the stored bytes. Compare the manifest's ``head_event_hash`` with ``rjb audit verify``
at the source (or a head you kept) to tie the export to the live store.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import orjson

from adapters.audit_chain import GENESIS, event_hash
from services.audit.service import AuditService
from services.case_queries import TimelineEntry

Format = Literal["jsonl", "csv"]
_FIELDS = ("version", "event", "occurred_at", "recorded_at", "agency", "user", "details")


def _row(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "version": entry.version,
        "event": entry.event,
        "occurred_at": entry.occurred_at.isoformat(),
        "recorded_at": entry.recorded_at.isoformat(),
        "agency": entry.agency,
        "user": entry.user,
        "details": entry.details,
    }


def _history_text(rows: list[dict[str, Any]], fmt: Format) -> bytes:
    if fmt == "jsonl":
        return b"".join(orjson.dumps(r) + b"\n" for r in rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_FIELDS)
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, "details": orjson.dumps(r["details"]).decode()})
    return buffer.getvalue().encode()


def _html(case_id: UUID, rows: list[dict[str, Any]], erasures: list[dict[str, Any]]) -> bytes:
    def tr(r: dict[str, Any]) -> str:
        cells = [
            r["version"],
            r["occurred_at"],
            r["recorded_at"],
            r["agency"],
            r["user"],
            r["event"],
            orjson.dumps(r["details"]).decode(),
        ]
        return "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>"

    head = "".join(
        f"<th>{h}</th>"
        for h in ("v", "occurred", "recorded", "agency", "user", "event", "what changed")
    )
    body = "\n".join(tr(r) for r in rows)
    erased = "\n".join(tr(r) for r in erasures)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Case {case_id}</title>"
        "<style>body{font-family:sans-serif}td,th{border:1px solid #999;padding:4px;"
        "vertical-align:top;font-size:13px}table{border-collapse:collapse}</style></head><body>"
        f"<h1>Case {case_id}: timeline</h1><table><tr>{head}</tr>{body}</table>"
        f"<h2>Erasures</h2><table><tr>{head}</tr>{erased}</table>"
        "<p>Verify with <code>rjb audit verify-export DIR</code>.</p></body></html>"
    ).encode()


def export_case(audit: AuditService, case_id: UUID, out: Path, fmt: Format = "jsonl") -> Path:
    """Write the export of one case into ``out``; returns the manifest's path."""
    history = audit.history(case_id)
    audit.log_read("export", str(case_id), f"{fmt} to {out}")
    rows = [_row(e) for e in history.entries]
    chain = audit.recorder.select_chain_for(str(case_id))
    stored = audit.recorder.select_events(case_id)
    files = {
        f"history.{fmt}": _history_text(rows, fmt),
        "timeline.html": _html(case_id, rows, [_row(e) for e in history.erasures]),
        "stored_events.jsonl": b"".join(
            orjson.dumps(
                {
                    "originator_id": str(s.originator_id),
                    "version": s.originator_version,
                    "topic": s.topic,
                    "state": base64.b64encode(s.state).decode(),
                }
            )
            + b"\n"
            for s in stored
        ),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    manifest = {
        "case_id": str(case_id),
        "exported_at": datetime.now(UTC).isoformat(),
        "exported_by": audit.reader,
        "format": fmt,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "chain": [
            {
                "version": r.originator_version,
                "notification_id": r.notification_id,
                "prev_event_hash": r.prev_event_hash,
                "event_hash": r.event_hash,
            }
            for r in chain
        ],
        "head_event_hash": chain[-1].event_hash if chain else GENESIS,
    }
    path = out / "manifest.json"
    path.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return path


def verify_export(directory: Path) -> list[str]:
    """Problems found in an export directory (empty when it verifies), offline."""
    manifest = orjson.loads((directory / "manifest.json").read_bytes())
    problems = []
    for name, digest in manifest["files"].items():
        path = directory / name
        if not path.exists():
            problems.append(f"{name}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: content differs from the manifest")
    chain = {c["version"]: c for c in manifest["chain"]}
    prev, version = GENESIS, 0
    for line in (directory / "stored_events.jsonl").read_bytes().splitlines():
        s = orjson.loads(line)
        version += 1
        if s["version"] != version:
            problems.append(f"version {version}: missing (next is {s['version']})")
            version = s["version"]
        recorded = chain.get(s["version"])
        h = event_hash(
            prev, s["originator_id"], s["version"], s["topic"], base64.b64decode(s["state"])
        )
        if recorded is None or recorded["event_hash"] != h or recorded["prev_event_hash"] != prev:
            problems.append(f"version {s['version']}: does not match the chain in the manifest")
        prev = recorded["event_hash"] if recorded else h
    if version != max(chain, default=0) or prev != manifest["head_event_hash"]:
        problems.append("the stored events do not reach the manifest's head hash")
    return problems
