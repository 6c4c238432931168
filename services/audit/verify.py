"""Checks the stored events against their hash chains and says exactly what was tampered with.

Each stored event is matched with the chain record written in its transaction (by notification
id for the whole log, by version for one aggregate). A finding names the aggregate, version and
notification: ``altered`` (bytes differ from what was hashed), ``inserted`` (an event with no
chain record), ``removed`` (a chain record, a version gap or a log link names an event that is
gone) or ``reordered`` (a row sits at another position than the one it was chained at).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from adapters.audit_chain import ChainRecord, LogHead
from adapters.audit_recorder import AuditRecorder
from services.audit.chain_checks import ChainChecker
from services.audit.findings import Finding, VerifyReport, summary

__all__ = ["Finding", "VerifyReport", "summary", "verify_aggregate", "verify_log"]


def verify_log(
    recorder: AuditRecorder,
    page: int = 5000,
    anchor: LogHead | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Check every stored event and both chains over the whole notification log; ``progress``
    is told (notifications checked, notifications in all) after each page."""
    report = VerifyReport(scope="log")
    checker = ChainChecker(report)
    head = LogHead()
    top = max(recorder.max_notification_id() or 0, recorder.max_chain_id())
    lo = 1
    while lo <= top:
        hi = lo + page - 1
        if progress is not None:
            progress(lo - 1, top)
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
    if progress is not None:
        progress(top, top)
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
    checker = ChainChecker(report)
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
