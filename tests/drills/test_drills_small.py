"""The reliability drills at their small size (`make drills` runs them full size): each fails on
a lost message, a stall or a crash. On the session's PostgreSQL and Apache Kafka; the broker-loss
and PostgreSQL-outage drills start servers of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drills.platform import Pg, Site
from drills.run import NAMES, run_one
from drills.verdict import table
from tests.servers import Broker, PgDatabase

SEED = 20251126

pytestmark = pytest.mark.drills


@pytest.fixture(scope="module")
def site(
    pg_database: PgDatabase, kafka_broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    server = pg_database.server
    pg = Pg(server.host, server.port, server.user, pg_database.name)
    yield Site(pg, kafka_broker.bootstrap, Path(tmp_path_factory.mktemp("drills")))


# broker-loss restarts a broker of its own twice (over a minute on 2 cores): `make drills` runs
# it; in `make test` the relay's broker-loss tests (tests/integration/test_relay*.py) cover it.
IN_MAKE_TEST = [name for name in NAMES if name != "broker-loss"]


@pytest.mark.parametrize("name", IN_MAKE_TEST)
def test_drill_small(name: str, site: Site) -> None:
    row = run_one(name, site, "small", SEED)
    print(f"\nseed {SEED}\n{table([row])}")
    assert row.passed, "\n".join(
        [table([row]), *row.failures[:20], f"serve logs in {site.workdir}"]
    )
