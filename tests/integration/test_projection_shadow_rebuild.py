"""A reader during a rebuild sees the old complete views until the new ones are swapped in."""

from __future__ import annotations

from typing import Any

from projections.registry import all_projections
from projections.runner import SHADOW, TRACKING_TABLE, ProjectionRunner
from services.bootstrap import Backbone, build
from services.demo.runner import all_scripts, run_all
from services.settings import Settings

Views = dict[str, dict[str, list[tuple[Any, ...]]]]


def _views(runner: ProjectionRunner) -> Views:
    return {p.name: runner.rows(p.name) for p in all_projections()}


def test_a_reader_during_a_rebuild_sees_the_old_views_then_the_new_ones(
    backbone: Backbone, store_settings: Settings
) -> None:
    scripts = all_scripts()
    run_all(backbone.commands, scripts[:-1])
    ProjectionRunner(backbone.store, all_projections()).catch_up()
    run_all(backbone.commands, scripts[-1:])  # recorded after the views were last updated
    reader = build(store_settings)  # its own connections, as another process would have
    try:
        reading = ProjectionRunner(reader.store, all_projections())
        old = _views(reading)
        seen: list[Views] = []
        rebuilding = ProjectionRunner(backbone.store, all_projections(), batch_size=7)
        rebuilding.rebuild(progress=lambda reached, end: seen.append(_views(reading)))
        assert len(seen) > 5 and all(views == old for views in seen)
        new = _views(reading)
        assert new != old
        fresh = ProjectionRunner(backbone.store, all_projections())
        assert fresh.rebuild() > 0 and _views(reading) == new
        with reading.db.transaction(commit=False) as tx:
            shadows = tx.all(
                f"SELECT projection FROM {TRACKING_TABLE} WHERE projection LIKE ?", (f"%{SHADOW}",)
            )
        assert shadows == []
        assert not reading.db.table_exists("moves_custody" + SHADOW)
    finally:
        reader.close()


def test_a_rebuild_of_one_projection_leaves_the_others_alone(backbone: Backbone) -> None:
    run_all(backbone.commands)
    runner = ProjectionRunner(backbone.store, all_projections(), batch_size=50)
    runner.catch_up()
    before = _views(runner)
    positions = {s.name: s.position for s in runner.status()}
    assert runner.rebuild("moves") > 0
    assert _views(runner) == before
    assert {s.name: s.position for s in runner.status()} == positions
