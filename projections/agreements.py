"""Information-sharing agreement register: status, review dates, permitted flows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from projections.clock import Clock, system_clock
from projections.events import SharingAgreement
from projections.framework import Projection, handles
from projections.runner import ProjectionRunner
from projections.sql import ViewTx, iso

SHARE_DECISIONS_TABLE = "share_decisions"  # written by the Kafka sharing relay (issue 4)
SHARING_RELAY = "shared"  # its name in relay_positions


class AgreementRegister(Projection):
    name = "agreements"
    tables = {
        "isa_agreement": "agreement_id TEXT PRIMARY KEY, reference TEXT NOT NULL, "
        "title TEXT NOT NULL, lead TEXT NOT NULL, status TEXT NOT NULL, "
        "effective_from TEXT NOT NULL, review_due TEXT NOT NULL, changed_at TEXT NOT NULL",
        "isa_grant": "agreement_id TEXT NOT NULL, from_agency TEXT NOT NULL, "
        "to_agency TEXT NOT NULL, category TEXT NOT NULL, "
        "PRIMARY KEY (agreement_id, from_agency, to_agency, category)",
    }

    @handles(SharingAgreement.Drafted)
    def _drafted(self, e: Any, tx: ViewTx) -> None:
        t, aid = e.terms, str(e.originator_id)
        tx.execute(
            "INSERT INTO isa_agreement VALUES (?, ?, ?, ?, 'draft', ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (
                aid,
                e.reference,
                t.title,
                t.lead,
                iso(t.effective_from),
                iso(t.review_due),
                iso(e.meta.occurred_at),
            ),
        )
        for g in t.grants:
            for category in sorted(g.categories):
                tx.execute(
                    "INSERT INTO isa_grant VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (aid, g.from_agency, g.to_agency, category.value),
                )

    @handles(SharingAgreement.StatusChanged)
    def _status(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "UPDATE isa_agreement SET status = ?, changed_at = ? WHERE agreement_id = ?",
            (e.status.value, iso(e.meta.occurred_at), str(e.originator_id)),
        )

    @handles(SharingAgreement.Reviewed)
    def _reviewed(self, e: Any, tx: ViewTx) -> None:
        tx.execute(
            "UPDATE isa_agreement SET review_due = ? WHERE agreement_id = ?",
            (iso(e.next_review_due), str(e.originator_id)),
        )


@dataclass(frozen=True)
class AgreementRow:
    reference: str
    title: str
    lead: str
    status: str
    effective_from: date
    review_due: date

    def review_alert(self, today: date, months: int = 3) -> str | None:
        """'overdue' or 'due soon' (within ``months``) for agreements in force (active or
        suspended); a draft has no review yet (its dates are proposed until signed), and a
        terminated agreement none any more."""
        if self.status in ("draft", "terminated"):
            return None
        if self.review_due < today:
            return "overdue"
        return "due soon" if self.review_due <= today + timedelta(days=31 * months) else None


class AgreementQueries:
    def __init__(self, runner: ProjectionRunner, clock: Clock = system_clock) -> None:
        self.runner, self.clock = runner, clock

    def all(self) -> list[AgreementRow]:
        self.runner.catch_up("agreements")
        with self.runner.db.transaction(commit=False) as tx:
            rows = tx.all(
                "SELECT reference, title, lead, status, effective_from, review_due "
                "FROM isa_agreement ORDER BY status, reference"
            )
        return [
            AgreementRow(
                str(r),
                str(t),
                str(ld),
                str(s),
                date.fromisoformat(str(f)),
                date.fromisoformat(str(d)),
            )
            for r, t, ld, s, f, d in rows
        ]

    def by_status(self) -> dict[str, list[AgreementRow]]:
        out: dict[str, list[AgreementRow]] = {}
        for row in self.all():
            out.setdefault(row.status, []).append(row)
        return out

    def reviews_due(self, months: int = 3) -> list[tuple[AgreementRow, str]]:
        today = self.clock().date()
        alerts = [(a, a.review_alert(today, months)) for a in self.all()]
        return [(a, alert) for a, alert in alerts if alert]

    def permitted_flows(self) -> dict[tuple[str, str], list[str]]:
        """Active agreements only: (from agency, to agency) -> data categories."""
        self.runner.catch_up("agreements")
        with self.runner.db.transaction(commit=False) as tx:
            rows = tx.all(
                "SELECT DISTINCT g.from_agency, g.to_agency, g.category FROM isa_grant g "
                "JOIN isa_agreement a ON a.agreement_id = g.agreement_id "
                "WHERE a.status = 'active' ORDER BY 1, 2, 3"
            )
        flows: dict[tuple[str, str], list[str]] = {}
        for src, dst, category in rows:
            flows.setdefault((str(src), str(dst)), []).append(str(category))
        return flows

    def withheld_shares(self) -> dict[str, int] | None:
        """Shares withheld for lack of an agreement granting them, per receiving agency; None
        until the sharing relay has recorded a decision or saved a position."""
        with self.runner.db.transaction(commit=False) as tx:
            started = tx.scalar(
                f"SELECT EXISTS (SELECT 1 FROM {SHARE_DECISIONS_TABLE}) "
                "OR EXISTS (SELECT 1 FROM relay_positions WHERE name = ?)",
                (SHARING_RELAY,),
            )
            if not started:
                return None
            rows = tx.all(
                f"SELECT recipient, count(*) FROM {SHARE_DECISIONS_TABLE} "
                "WHERE outcome = 'withheld' GROUP BY recipient ORDER BY recipient"
            )
        return {str(a): int(str(n)) for a, n in rows}
