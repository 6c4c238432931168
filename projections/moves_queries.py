"""Questions prison liaison teams and hubs ask of the prison moves projection."""

from __future__ import annotations

from dataclasses import dataclass

from projections.moves_departures import area_of_prison
from projections.runner import ProjectionRunner


@dataclass(frozen=True)
class Move:
    occurred_at: str
    kind: str
    reason: str
    prison_id: str


@dataclass(frozen=True)
class CustodyView:
    prison_number: str
    status: str | None
    current_prison: str | None
    history: list[Move]


@dataclass(frozen=True)
class CaseLocation:
    case_id: str
    pcc_area: str
    prison_number: str
    custody_status: str | None
    current_prison: str | None
    prison_area: str | None

    @property
    def in_area(self) -> bool | None:
        """Whether the offender is held inside the case's PCC area (None: not in prison)."""
        return None if self.prison_area is None else self.prison_area == self.pcc_area


@dataclass(frozen=True)
class AffectedCase:
    case_id: str
    prison_number: str
    moved_at: str
    move: str
    from_prison: str
    to_prison: str | None
    out_of_area: bool | None
    affects: str


@dataclass(frozen=True)
class ReleaseFlag:
    case_id: str
    prison_number: str
    released_at: str
    prison_id: str
    waiting_since: str


class MovesQueries:
    def __init__(self, runner: ProjectionRunner, *, catch_up: bool = True) -> None:
        self.runner = runner
        self.catch_up = catch_up

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        if self.catch_up:
            self.runner.catch_up("moves")
        else:
            self.runner.position("moves")  # makes the tables
        with self.runner.db.transaction(commit=False) as tx:
            return tx.all(sql, params)

    def custody(self, prison_number: str) -> CustodyView | None:
        pn = prison_number.upper()
        found = self._rows(
            "SELECT status, current_prison FROM moves_custody WHERE prison_number = ?", (pn,)
        )
        if not found:
            return None
        history = self._rows(
            "SELECT occurred_at, kind, reason, prison_id FROM moves_movement "
            "WHERE prison_number = ? ORDER BY occurred_at, "
            "CASE kind WHEN 'received' THEN 1 ELSE 0 END",
            (pn,),
        )
        status, current = found[0]
        return CustodyView(pn, _s(status), _s(current), [Move(*map(str, m)) for m in history])

    def case_locations(self, *, open_only: bool = True) -> list[CaseLocation]:
        rows = self._rows(
            "SELECT c.case_id, c.pcc_area, c.prison_number, k.status, k.current_prison "
            "FROM moves_case c LEFT JOIN moves_custody k ON k.prison_number = c.prison_number "
            f"WHERE c.prison_number IS NOT NULL {'AND c.is_open = 1' if open_only else ''} "
            "ORDER BY c.case_id"
        )
        return [
            CaseLocation(str(c), str(a), str(pn), _s(st), _s(cur), area_of_prison(_s(cur)))
            for c, a, pn, st, cur in rows
        ]

    def affected(self, case_id: str | None = None) -> list[AffectedCase]:
        rows = self._rows(
            "SELECT case_id, prison_number, moved_at, move, from_prison, to_prison, out_of_area, "
            "affects FROM moves_affected ORDER BY moved_at, case_id"
        )
        return [
            AffectedCase(
                str(c),
                str(pn),
                str(at),
                str(mv),
                str(fr),
                _s(to),
                None if out is None else bool(out),
                str(aff),
            )
            for c, pn, at, mv, fr, to, out, aff in rows
            if case_id is None or c == case_id
        ]

    def releases(self) -> list[ReleaseFlag]:
        rows = self._rows(
            "SELECT case_id, prison_number, released_at, prison_id, waiting_since "
            "FROM moves_release ORDER BY released_at, case_id"
        )
        return [ReleaseFlag(*map(str, r)) for r in rows]

    def prison_cases(self, prison_code: str) -> list[CaseLocation]:
        """Open RJ cases the prison's liaison team must know: offender held there, or a venue
        or access request there."""
        code = prison_code.upper()
        arranged = {
            str(r[0])
            for r in self._rows(
                "SELECT case_id FROM moves_case WHERE is_open = 1 "
                "AND (venue_prison = ? OR access_prison = ?)",
                (code, code),
            )
        }
        return [
            loc
            for loc in self.case_locations()
            if loc.current_prison == code or loc.case_id in arranged
        ]


def _s(value: object) -> str | None:
    return None if value is None else str(value)
