"""Questions asked of the delays projection: time in each stage, breaches, medians per area.

Every answer is as at "now", which comes from an injectable clock; the breaches themselves are
found by :mod:`projections.delay_breaches`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import median

from projections.clock import Clock, system_clock
from projections.delay_breaches import find_breaches
from projections.delay_results import (
    AreaMedians,
    Breach,
    ServiceLevels,
    StageTime,
    days_between,
    instant,
)
from projections.delays import STAGES
from projections.runner import ProjectionRunner


class DelayQueries:
    def __init__(
        self,
        runner: ProjectionRunner,
        levels: ServiceLevels | None = None,
        clock: Clock = system_clock,
        *,
        catch_up: bool = True,
    ) -> None:
        self.runner, self.levels, self.clock = runner, levels or ServiceLevels(), clock
        self.catch_up = catch_up

    def _tx_rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self.runner.db.transaction(commit=False) as tx:
            return tx.all(sql, params)

    def _refresh(self) -> None:
        if self.catch_up:
            self.runner.catch_up("delays")
        else:
            self.runner.position("delays")

    # --- stages ---------------------------------------------------------------------------------
    def stage_times(self, case_id: str) -> list[StageTime]:
        """Time spent in each stage reached; the current stage runs to now (closed: stops)."""
        self._refresh()
        now = self.clock()
        rows = sorted(
            (STAGES.index(str(s)), instant(at), str(s))
            for s, at in self._tx_rows(
                "SELECT stage, entered_at FROM delay_stage WHERE case_id = ?", (case_id,)
            )
        )
        rows.sort(key=lambda r: (r[1], r[0]))
        out = []
        for i, (_, entered, stage) in enumerate(rows):
            last = i == len(rows) - 1
            end = entered if stage == "closed" else (now if last else rows[i + 1][1])
            out.append(
                StageTime(stage, entered, days_between(entered, end), last and stage != "closed")
            )
        return out

    # --- breaches -------------------------------------------------------------------------------
    def breaches(self, *, ongoing_only: bool = False) -> list[Breach]:
        self._refresh()
        now = self.clock()
        with self.runner.db.transaction(commit=False) as tx:
            found = find_breaches(tx, self.levels, now)
        return [b for b in found if b.ongoing] if ongoing_only else found

    # --- per area -------------------------------------------------------------------------------
    def area_medians(self) -> list[AreaMedians]:
        """Median days from referral to the first activity held, and to closure, per area, as at
        the clock's now (cases referred by then; activities held and closures by then)."""
        self._refresh()
        now = self.clock()
        rows = self._tx_rows(
            "SELECT c.pcc_area, c.referred_at, h.entered_at, k.entered_at FROM delay_case c "
            "LEFT JOIN delay_stage h ON h.case_id = c.case_id AND h.stage = 'activity_held' "
            "LEFT JOIN delay_stage k ON k.case_id = c.case_id AND k.stage = 'closed'"
        )
        by_area: dict[str, list[tuple[datetime, object, object]]] = defaultdict(list)
        for area, referred, held, closed in rows:
            if instant(referred) > now:
                continue
            held = held if held is not None and instant(held) <= now else None
            closed = closed if closed is not None and instant(closed) <= now else None
            by_area[str(area)].append((instant(referred), held, closed))

        def med(values: list[float]) -> float | None:
            return round(median(values), 1) if values else None

        return [
            AreaMedians(
                area,
                med([days_between(r, instant(h)) for r, h, _ in items if h is not None]),
                med([days_between(r, instant(k)) for r, _, k in items if k is not None]),
                len(items),
            )
            for area, items in sorted(by_area.items())
        ]
