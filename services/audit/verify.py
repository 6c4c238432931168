"""Checks the stored events against their hash chains and says exactly what was tampered with.

Each stored event is matched with the chain record written in its transaction (by notification
id for the whole log, by version for one aggregate). A finding names the aggregate, version and
notification: ``altered`` (bytes differ from what was hashed), ``inserted`` (an event with no
chain record), ``removed`` (a chain record, a version gap or a log link names an event that is
gone) or ``reordered`` (a row sits at another position than the one it was chained at).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from adapters.audit_chain import GENESIS, ChainRecord, LogHead, event_hash, log_hash
from adapters.audit_recorder import AuditRecorder


@dataclass(frozen=True)
class Finding:
    kind: str
    originator_id: str | None
    version: int | None
    notification_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"aggregate {self.originator_id} version {self.version}"
        if self.notification_id is not None:
            where += f" (notification {self.notification_id})"
        return f"{self.kind.upper()}: {where}: {self.detail}"


@dataclass
class VerifyReport:
    scope: str
    events_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    head: LogHead | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, finding: Finding) -> None:
        if not any(
            (f.kind, f.originator_id, f.version)
            == (finding.kind, finding.originator_id, finding.version)
            for f in self.findings
        ):
            self.findings.append(finding)


class _Checker:
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


def verify_log(
    recorder: AuditRecorder, page: int = 5000, anchor: LogHead | None = None
) -> VerifyReport:
    """Check every stored event and both chains over the whole notification log."""
    report = VerifyReport(scope="log")
    checker = _Checker(report)
    head = LogHead()
    top = max(recorder.max_notification_id() or 0, recorder.max_chain_id())
    lo = 1
    while lo <= top:
        hi = lo + page - 1
        events = {n.id: n for n in recorder.select_notifications(start=lo, stop=hi, limit=page)}
        records = {r.notification_id: r for r in recorder.select_chain(lo, hi)}
        for nid in sorted(events.keys() | records.keys()):
            stored, rec = events.get(nid), records.get(nid)
            if rec is None:
                assert stored is not None
                report.add(
                    Finding(
                        "inserted",
                        str(stored.originator_id),
                        stored.originator_version,
                        nid,
                        "stored event has no chain record",
                    )
                )
                continue
            if stored is None:
                report.add(
                    Finding(
                        "removed",
                        rec.originator_id,
                        rec.originator_version,
                        nid,
                        "chain record present, stored event gone",
                    )
                )
            else:
                report.events_checked += 1
                checker.content(stored, rec, nid)
            checker.record(rec)
            if rec.prev_log_hash != head.log_hash:
                _log_break(report, rec, head)
            head = rec.head
        lo = hi + 1
    if anchor is not None:
        _check_anchor(recorder, report, anchor)
    report.head = head
    return report


def _log_break(report: VerifyReport, rec: ChainRecord, head: LogHead) -> None:
    if rec.prev_notification_id is not None and rec.prev_notification_id > (
        head.notification_id or 0
    ):
        report.add(
            Finding(
                "removed",
                rec.prev_originator_id,
                rec.prev_originator_version,
                rec.prev_notification_id,
                f"the log chain at notification {rec.notification_id} names it, it is gone",
            )
        )
    else:
        report.add(
            Finding(
                "reordered",
                rec.originator_id,
                rec.originator_version,
                rec.notification_id,
                "the log chain does not link to the notification before it",
            )
        )


def _check_anchor(recorder: AuditRecorder, report: VerifyReport, anchor: LogHead) -> None:
    """An externally kept head (notification id + log hash) must still be in the log."""
    assert anchor.notification_id is not None
    found = recorder.select_chain(anchor.notification_id, anchor.notification_id)
    if not found or found[0].log_hash != anchor.log_hash:
        report.add(
            Finding(
                "removed",
                anchor.originator_id,
                anchor.originator_version,
                anchor.notification_id,
                "the anchored log head is missing or differs: the log was truncated or rewritten",
            )
        )


def verify_aggregate(recorder: AuditRecorder, aggregate_id: UUID) -> VerifyReport:
    """Check one aggregate's events against its chain (and the log links that name it)."""
    oid = str(aggregate_id)
    report = VerifyReport(scope=oid)
    checker = _Checker(report)
    events = {s.originator_version: s for s in recorder.select_events(aggregate_id)}
    records: dict[int, ChainRecord] = {}
    for chained in recorder.select_chain_for(oid):
        records.setdefault(chained.originator_version, chained)
    for version in sorted(events.keys() | records.keys()):
        stored, rec = events.get(version), records.get(version)
        if rec is None:
            report.add(Finding("inserted", oid, version, None, "stored event has no chain record"))
            continue
        if stored is None:
            report.add(
                Finding(
                    "removed",
                    oid,
                    version,
                    rec.notification_id,
                    "chain record present, stored event gone",
                )
            )
        else:
            report.events_checked += 1
            checker.content(stored, rec, rec.notification_id)
        checker.record(rec)
    for successor in recorder.select_chain_successors_of(oid):
        named = successor.prev_originator_version
        if named is not None and named not in records:
            report.add(
                Finding(
                    "removed",
                    oid,
                    named,
                    successor.prev_notification_id,
                    f"the log chain at notification {successor.notification_id} names it, "
                    "it is gone",
                )
            )
    return report


def summary(report: VerifyReport) -> Iterable[str]:
    if report.ok:
        yield f"OK: {report.events_checked} events verified ({report.scope})"
    for finding in report.findings:
        yield str(finding)
