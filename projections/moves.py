"""Prison moves: where each offender is, and which RJ cases a move knocks over.

Custody events (keyed by prison number) and case events (whose offender carries the prison
number) meet here. A departure from a prison where a case has arrangements (an activity
scheduled there, a prison access request pending or granted, a pre-visit done) records an
*affected* row naming the case, the move and what it hits; the reception at the other end says
where the offender went and whether that is outside the case's PCC area. A release flags the
cases that were waiting for it. The case events' handlers are in :mod:`projections.moves_cases`,
what a move does to the cases in :mod:`projections.moves_departures`.
"""

from __future__ import annotations

from typing import Any

from domain.custody import MovementKind
from projections.events import Custody
from projections.framework import Projection, handles
from projections.moves_batch import batch_of
from projections.moves_cases import CaseArrangements
from projections.moves_departures import DEPARTURES, complete_transfers, record_departure
from projections.sql import ViewTx, iso


class PrisonMoves(CaseArrangements, Projection):
    name = "moves"
    tables = {
        "moves_movement": "prison_number TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        "kind TEXT NOT NULL, reason TEXT NOT NULL, prison_id TEXT NOT NULL, "
        "PRIMARY KEY (prison_number, occurred_at, kind, reason, prison_id)",
        "moves_custody": "custody_id TEXT PRIMARY KEY, prison_number TEXT NOT NULL UNIQUE, "
        "status TEXT, current_prison TEXT, last_prison TEXT, moved_at TEXT, last_kind TEXT",
        "moves_case": "case_id TEXT PRIMARY KEY, pcc_area TEXT NOT NULL, is_open INTEGER NOT NULL, "
        "prison_number TEXT, venue_prison TEXT, access_prison TEXT, access_status TEXT, "
        "pre_visit_done INTEGER NOT NULL, waiting_for_release_since TEXT",
        "moves_activity": "case_id TEXT NOT NULL, activity_id TEXT NOT NULL, "
        "activity_type TEXT NOT NULL, scheduled_for TEXT NOT NULL, prison_code TEXT, "
        "status TEXT NOT NULL, PRIMARY KEY (case_id, activity_id)",
        "moves_affected": "case_id TEXT NOT NULL, prison_number TEXT NOT NULL, "
        "moved_at TEXT NOT NULL, move TEXT NOT NULL, from_prison TEXT NOT NULL, to_prison TEXT, "
        "out_of_area INTEGER, affects TEXT NOT NULL, "
        "PRIMARY KEY (case_id, prison_number, moved_at, from_prison)",
        "moves_release": "case_id TEXT NOT NULL, prison_number TEXT NOT NULL, "
        "released_at TEXT NOT NULL, prison_id TEXT NOT NULL, waiting_since TEXT NOT NULL, "
        "PRIMARY KEY (case_id, released_at)",
    }
    version = 3  # 2: custody keeps the kind of its latest movement; affected by prison number
    # 3: prisoner merges (history under the kept number, cases re-pointed), hospital departures
    indexes = (
        "CREATE INDEX IF NOT EXISTS moves_case_pn ON moves_case (prison_number)",
        "CREATE INDEX IF NOT EXISTS moves_affected_pn ON moves_affected (prison_number)",
    )

    # --- custody ------------------------------------------------------------------------------
    @handles(Custody.Opened)
    def _opened(self, e: Any, tx: ViewTx) -> None:
        pn = e.prison_number.upper()
        batch = batch_of(tx)
        batch.write_custody(pn, tx)  # forget what this batch knew: the row may now exist
        batch.prison_numbers.pop(str(e.originator_id), None)
        tx.execute(
            "INSERT INTO moves_custody (custody_id, prison_number) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            (str(e.originator_id), pn),
        )

    @handles(Custody.MovementRecorded)
    def _moved(self, e: Any, tx: ViewTx) -> None:
        m = e.movement
        batch = batch_of(tx)
        pn = batch.prison_number(str(e.originator_id), tx)
        at = iso(m.occurred_at)
        tx.execute(
            "INSERT INTO moves_movement VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (pn, at, m.kind.value, m.reason, m.prison_id),
        )
        batch.moved(pn, m.kind.value, m.reason, m.prison_id, str(at), tx)
        if not batch.has_cases(pn, tx):
            return
        if m.kind is MovementKind.RELEASED and m.reason in DEPARTURES:
            record_departure(pn, at, m.reason, m.prison_id, tx)
        if m.kind is MovementKind.RECEIVED and m.reason == "TRANSFERRED":
            complete_transfers(pn, at, m.prison_id, tx)

    @handles(Custody.PrisonerMerged)
    def _merged(self, e: Any, tx: ViewTx) -> None:
        """The removed number's history joins the kept one's: past moves, not new ones, so
        they hit no arrangements."""
        batch = batch_of(tx)
        pn = batch.prison_number(str(e.originator_id), tx)
        for m in e.movements:
            at = iso(m.occurred_at)
            tx.execute(
                "INSERT INTO moves_movement VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (pn, at, m.kind.value, m.reason, m.prison_id),
            )
            batch.moved(pn, m.kind.value, m.reason, m.prison_id, str(at), tx)

    @handles(Custody.MergedAway)
    def _merged_away(self, e: Any, tx: ViewTx) -> None:
        batch = batch_of(tx)
        pn = batch.prison_number(str(e.originator_id), tx)
        batch.write_custody(pn, tx)
        tx.execute(
            "UPDATE moves_custody SET status = ?, current_prison = NULL WHERE prison_number = ?",
            (f"merged into {e.kept_prison_number}", pn),
        )

    def finish(self, tx: ViewTx) -> None:
        batch_of(tx).write_all(tx)
