"""What the prison moves projection remembers during one batch, so a replay reads little.

A movement needs the offender's prison number, the custody row's latest movement and whether
any RJ case involves that prison number. Within one transaction these are read once and then
kept here (custody rows are written back once, at the end of the batch); the next batch starts
from the tables again, so another runner's work is never hidden by stale memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.custody import NOT_HELD_IN_A_PRISON, STATUS_AFTER_RELEASE, CustodyStatus, MovementKind
from projections.sql import ViewTx

_RECEIVED = MovementKind.RECEIVED.value


@dataclass
class CustodyRow:
    status: str | None
    current_prison: str | None
    last_prison: str | None
    moved_at: str | None
    last_kind: str | None

    def later_than(self, at: str, kind: str) -> bool:
        """Whether the row's latest movement sorts after (at, kind): a reception after a
        departure at the same instant; of two equal ones, the one recorded later wins."""
        if self.moved_at is None:
            return False
        return (self.moved_at, self.last_kind == _RECEIVED) > (at, kind == _RECEIVED)


@dataclass
class MovesBatch:
    prison_numbers: dict[str, str] = field(default_factory=dict)  # custody id -> prison number
    custody: dict[str, CustodyRow | None] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    cases: dict[str, bool] = field(default_factory=dict)  # prison number -> has case rows

    def prison_number(self, custody_id: str, tx: ViewTx) -> str:
        """Movement events carry only the custody id; Opened told us its prison number."""
        pn = self.prison_numbers.get(custody_id)
        if pn is None:
            pn = str(
                tx.scalar(
                    "SELECT prison_number FROM moves_custody WHERE custody_id = ?", (custody_id,)
                )
            )
            self.prison_numbers[custody_id] = pn
        return pn

    def moved(self, pn: str, kind: str, reason: str, prison: str, at: str, tx: ViewTx) -> None:
        """Makes the movement the custody's latest unless a later one is already known."""
        if pn not in self.custody:
            row = tx.one(
                "SELECT status, current_prison, last_prison, moved_at, last_kind "
                "FROM moves_custody WHERE prison_number = ?",
                (pn,),
            )
            self.custody[pn] = None if row is None else CustodyRow(*row)
        custody = self.custody[pn]
        if custody is None or custody.later_than(at, kind):
            return
        if kind == _RECEIVED:
            status = CustodyStatus.IN_PRISON
        else:
            status = STATUS_AFTER_RELEASE.get(reason, CustodyStatus.RELEASED)
        held = status not in NOT_HELD_IN_A_PRISON
        custody.status, custody.current_prison = status.value, prison if held else None
        custody.last_prison, custody.moved_at, custody.last_kind = prison, at, kind
        self.dirty.add(pn)

    def has_cases(self, pn: str, tx: ViewTx) -> bool:
        """Whether any case (or an affected-case row) names this prison number."""
        found = self.cases.get(pn)
        if found is None:
            found = self.cases[pn] = (
                tx.one(
                    "SELECT 1 WHERE EXISTS (SELECT 1 FROM moves_case WHERE prison_number = ?) "
                    "OR EXISTS (SELECT 1 FROM moves_affected WHERE prison_number = ?)",
                    (pn, pn),
                )
                is not None
            )
        return found

    def write_custody(self, pn: str, tx: ViewTx) -> None:
        """Queues the custody row's update if it changed, and forgets it."""
        custody = self.custody.pop(pn, None)
        if custody is not None and pn in self.dirty:
            tx.execute(
                "UPDATE moves_custody SET status = ?, current_prison = ?, last_prison = ?, "
                "moved_at = ?, last_kind = ? WHERE prison_number = ?",
                (
                    custody.status,
                    custody.current_prison,
                    custody.last_prison,
                    custody.moved_at,
                    custody.last_kind,
                    pn,
                ),
            )
        self.dirty.discard(pn)

    def write_all(self, tx: ViewTx) -> None:
        for pn in sorted(self.dirty):
            self.write_custody(pn, tx)


def batch_of(tx: ViewTx) -> MovesBatch:
    """This transaction's batch state, made on first use."""
    batch: MovesBatch = tx.state.setdefault("moves", MovesBatch())
    return batch
