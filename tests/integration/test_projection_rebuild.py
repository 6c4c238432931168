"""A rebuilt projection holds exactly the rows the incremental run built, on both stores."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.registry import all_projections
from projections.runner import ProjectionRunner
from services.bootstrap import build
from services.settings import Settings
from tests.conftest import pg_settings
from tests.projection_world import apply, prepared_case, steps
from tests.servers import PgDatabase

World = list[tuple[str, dict[str, Any]]]


def _incremental_equals_rebuild(settings_: Settings, world: World, batch: int, every: int) -> None:
    backbone = build(settings_)
    try:
        incremental = ProjectionRunner(backbone.store, all_projections(), batch_size=batch)
        script = prepared_case(0, "LEI") + prepared_case(1, "LPI") + world
        for number, step in enumerate(script):
            apply(backbone.commands, step, number)
            if number % every == 0:
                incremental.catch_up()
        incremental.catch_up()
        before = {p.name: incremental.rows(p.name) for p in all_projections()}
        rebuilt = ProjectionRunner(backbone.store, all_projections(), batch_size=1000)
        rebuilt.rebuild()
        after = {p.name: rebuilt.rows(p.name) for p in all_projections()}
        assert after == before
    finally:
        backbone.close()


@settings(max_examples=25, deadline=None)
@given(world=steps, batch=st.integers(1, 40), every=st.integers(1, 9))
def test_rebuild_gives_the_incremental_rows_on_sqlite(world: World, batch: int, every: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Settings(store="sqlite", sqlite_path=Path(tmp) / "rjb.sqlite3")
        _incremental_equals_rebuild(store, world, batch, every)


@pytest.mark.postgres
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=steps, batch=st.integers(1, 40), every=st.integers(1, 9))
def test_rebuild_gives_the_incremental_rows_on_postgres(
    pg_database: PgDatabase, world: World, batch: int, every: int
) -> None:
    _incremental_equals_rebuild(pg_settings(pg_database), world, batch, every)
