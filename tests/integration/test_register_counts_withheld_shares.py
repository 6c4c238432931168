"""The ISA register counts what the sharing relay withheld for lack of an agreement."""

from __future__ import annotations

from pathlib import Path

from adapters.share_decisions import ShareDecisions
from projections.agreements import AgreementQueries
from services.bootstrap import build
from services.demo.runner import run_all
from tests.conftest import sqlite_settings
from tests.kafka_helpers import fast_kafka_settings
from tests.servers import Broker


async def test_the_register_counts_shares_withheld_by_the_sharing_relay(
    kafka_broker: Broker, tmp_path: Path, topic_prefix: str
) -> None:
    bb = build(fast_kafka_settings(sqlite_settings(tmp_path), topic_prefix))
    try:
        run_all(bb.commands)
        register = AgreementQueries(bb.projections)
        relay = bb.kafka(kafka_broker.bootstrap).sharing_relay()
        await relay.start()
        await relay.catch_up()
        await relay.stop()
        rows = ShareDecisions(bb.store).db.read("SELECT recipient, outcome FROM share_decisions")
        withheld: dict[str, int] = {}
        for recipient, outcome in rows:
            if outcome == "withheld":
                withheld[recipient] = withheld.get(recipient, 0) + 1
        counts = register.withheld_shares()
        assert counts is not None and counts == withheld
        assert counts.get("prison:LEI", 0) > 0  # e.g. consents are not granted to the prison
    finally:
        bb.close()
