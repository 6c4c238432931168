"""The checks shared by the whole-log and one-aggregate verifications.

``content`` compares a stored event with the chain record written in its transaction;
``record`` checks a chain record is self-consistent and links to its aggregate's previous one.
"""

from __future__ import annotations

from typing import Any

from adapters.audit_chain import GENESIS, ChainRecord, event_hash, log_hash
from services.audit.findings import Finding, VerifyReport


class ChainChecker:
    """Running state shared by the whole-log and one-aggregate checks."""

    def __init__(self, report: VerifyReport) -> None:
        self.report = report
        self.heads: dict[str, tuple[int, str]] = {}

    def content(self, stored: Any, rec: ChainRecord, nid: int | None) -> None:
        oid, version = str(stored.originator_id), stored.originator_version
        if (oid, version) != (rec.originator_id, rec.originator_version):
            self.report.add(
                Finding(
                    "reordered",
                    oid,
                    version,
                    nid,
                    f"stored here, but the chain recorded aggregate {rec.originator_id} version "
                    f"{rec.originator_version} at this position",
                )
            )
            return
        if event_hash(rec.prev_event_hash, oid, version, stored.topic, stored.state) != (
            rec.event_hash
        ):
            self.report.add(
                Finding("altered", oid, version, nid, "stored bytes differ from the hashed ones")
            )

    def record(self, rec: ChainRecord) -> None:
        """The chain record itself: self-consistent and linked to its aggregate's previous one."""
        oid, v, nid = rec.originator_id, rec.originator_version, rec.notification_id
        if log_hash(rec.prev_log_hash, nid, rec.event_hash) != rec.log_hash:
            self.report.add(
                Finding(
                    "altered",
                    oid,
                    v,
                    nid,
                    "the chain record was rewritten or moved from its notification id",
                )
            )
        last_v, last_h = self.heads.get(oid, (0, GENESIS))
        if v > last_v + 1:
            for gone in range(last_v + 1, v):
                self.report.add(
                    Finding("removed", oid, gone, None, f"version {v} follows version {last_v}")
                )
        elif v <= last_v:
            self.report.add(
                Finding(
                    "reordered",
                    oid,
                    v,
                    nid,
                    f"version {v} comes after version {last_v} of the same aggregate",
                )
            )
        elif rec.prev_event_hash != last_h:
            self.report.add(
                Finding(
                    "altered",
                    oid,
                    v,
                    nid,
                    f"its link to version {last_v} does not match that version's hash",
                )
            )
        self.heads[oid] = (max(v, last_v), rec.event_hash)
