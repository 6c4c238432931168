"""`rjb serve` split over two processes on one PostgreSQL store: one takes inbound only
(RJB_SERVE_RELAYS=false), the other relays only (RJB_SERVE_INBOUND=false). An agency's command
goes in through the first and comes out on the case-event topic through the second."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import httpx2
import orjson
from aiokafka import AIOKafkaProducer

from adapters.apache_kafka import ApacheKafka
from adapters.kafka_config import Topics, ensure_topics
from adapters.local_broker import free_port
from services.bootstrap import build
from tests.conftest import pg_settings
from tests.e2e.test_http_serve import kent_referral
from tests.e2e.test_relay_leader import serve
from tests.http_helpers import AUDIENCE, ISSUER, Issuer
from tests.kafka_helpers import read_topic
from tests.servers import PgDatabase


async def send_as_kent_pcc(bootstrap: str, topics: Topics, command: dict[str, object]) -> None:
    await ensure_topics({"bootstrap_servers": bootstrap}, [topics.inbound_spec("pcc:kent")])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        value = orjson.dumps({**command, "agency": "pcc:kent"})
        await producer.send_and_wait(topics.inbound_commands("pcc:kent"), value, b"split-1")
    finally:
        await producer.stop()


def checks(http_port: int) -> dict[str, dict[str, str]]:
    """The process's health checks by name, once it is ready."""
    deadline, last = time.monotonic() + 60, "no answer"
    while True:
        try:
            answer = httpx2.get(f"http://127.0.0.1:{http_port}/health/ready", timeout=10)
            if answer.status_code == 200:
                return {c["name"]: c for c in answer.json()["checks"]}
            last = answer.text
        except httpx2.TransportError as error:
            last = repr(error)
        assert time.monotonic() < deadline, f"not ready within 60 s: {last}"
        time.sleep(0.3)


def test_inbound_in_one_process_and_the_relays_in_another_deliver_an_agency_command(
    pg_database: PgDatabase, kafka_broker: ApacheKafka, tmp_path: Path, topic_prefix: str
) -> None:
    settings = pg_settings(pg_database)
    build(settings).close()  # the schema exists before either process starts
    topics = Topics.from_settings(settings.model_copy(update={"kafka_topic_prefix": topic_prefix}))
    ports = {"inbound": free_port(), "relays": free_port()}
    logs = {name: tmp_path / f"{name}.log" for name in ports}
    jwks = tmp_path / "jwks.json"  # health needs no token, but the API wants an issuer
    jwks.write_bytes(orjson.dumps(Issuer().jwks()))
    issuer = {
        "RJB_OAUTH_ISSUER": ISSUER,
        "RJB_OAUTH_AUDIENCE": AUDIENCE,
        "RJB_OAUTH_JWKS_FILE": str(jwks),
    }
    procs = {
        "inbound": serve(
            settings,
            kafka_broker.bootstrap,
            topic_prefix,
            logs["inbound"],
            RJB_SERVE_RELAYS="false",
            RJB_HTTP_PORT=str(ports["inbound"]),
            **issuer,
        ),
        "relays": serve(
            settings,
            kafka_broker.bootstrap,
            topic_prefix,
            logs["relays"],
            RJB_SERVE_INBOUND="false",
            RJB_HTTP_PORT=str(ports["relays"]),
            **issuer,
        ),
    }
    try:
        taking, relaying = checks(ports["inbound"]), checks(ports["relays"])
        assert taking["inbound"]["status"] == "ok"
        assert taking["relays"]["status"] == "not running"
        assert "RJB_SERVE_RELAYS=false" in taking["relays"]["detail"]
        assert relaying["inbound"]["status"] == "not running"
        assert relaying["relay case-events"]["status"] == "ok"
        store = build(settings)
        before = int(store.store.recorder.max_notification_id() or 0)
        asyncio.run(send_as_kent_pcc(kafka_broker.bootstrap, topics, kent_referral("split-1")))
        deadline = time.monotonic() + 60
        while (total := int(store.store.recorder.max_notification_id() or 0)) == before:
            assert time.monotonic() < deadline, "the inbound process stored nothing"
            time.sleep(0.2)
        store.close()
        published = asyncio.run(read_topic(kafka_broker.bootstrap, topics.case_events, total, 60))
        assert len(published) == total  # the referral too, by the relays' process
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert "now publishes the log" not in logs["inbound"].read_text()
    assert "now publishes the log" in logs["relays"].read_text()


def test_serve_refuses_to_run_neither_inbound_nor_relays() -> None:
    from pydantic import ValidationError

    from services.settings import Settings

    try:
        Settings(serve_inbound=False, serve_relays=False)
    except ValidationError as error:
        assert "serve what?" in str(error)
    else:
        raise AssertionError("a process serving nothing was accepted")
