"""A read reaches the inbound handler without a worker thread on the way: a ``KafkaMessage``
handler parameter is a context field that fast_depends resolved through anyio's thread pool, a
thread hop (and a wait for the interpreter lock) on every read. Over TCP on Apache Kafka."""

from __future__ import annotations

from typing import Any

import fast_depends.utils
import orjson
import pytest

from services.kafka_runtime.wiring import KafkaParts
from tests.integration.test_inbound import until
from tests.integration.test_inbound_poison import send_to
from tests.kafka_helpers import agencies_sending_in_tests, kent_police_topic
from tests.unit.test_inbound_parse import command

CASE = "0b6a6c62-0000-4000-8000-0000000000c3"


async def test_a_read_is_handed_to_inbound_on_the_event_loop(
    parts: KafkaParts, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[Any] = []
    real = fast_depends.utils.run_in_threadpool

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(fast_depends.utils, "run_in_threadpool", counted)
    await parts.ensure_inbound_topics(agencies_sending_in_tests())
    inbound = parts.inbound(quiet=True)
    await inbound.start()
    try:
        referral = orjson.dumps(command(command_id="refer-c", case_id=CASE))
        await send_to(parts.bootstrap, kent_police_topic(parts), [(0, referral, [])])
        await until(lambda: inbound.stats.stored_count == 1)
    finally:
        await inbound.stop()
    assert hops == []
