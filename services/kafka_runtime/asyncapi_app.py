"""The FastStream application as documented by ``faststream docs gen`` (no connection made).

``make asyncapi`` writes ``docs/asyncapi.json`` from here; ``tests/unit/test_asyncapi.py`` fails
when the committed document no longer matches :func:`document`. Besides the inbound subscribers
and the dead-letter publisher, the document declares what the relays publish (with aiokafka, so
they are declared here, not used): the case-event topic and the per-agency shared topics.
FastStream's AsyncAPI model has no message headers, so :class:`BackboneAsyncAPI` adds them; it also
shows the prison movements payload as our hand-written JSON Schemas of the HMPPS shapes (one
each for received, released, merged and the SNS envelope) rather than our parsing model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from faststream.specification.base import Specification
from pydantic import BaseModel

from adapters.hmpps_schemas import SCHEMAS
from adapters.kafka_config import Topics
from services.kafka_runtime.inbound import Inbound
from services.message_schemas import (
    CloudEventHeaders,
    DeadLetterHeaders,
    InboundHeaders,
    SharedEventHeaders,
    StoredEvent,
)
from services.settings import Settings

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"

CASE_EVENTS = "case events"
SHARED = "shared events"
HEADERS: dict[str, type[BaseModel]] = {
    "agency commands": InboundHeaders,
    "prison movements": InboundHeaders,
    "dead letters": DeadLetterHeaders,
    CASE_EVENTS: CloudEventHeaders,
    SHARED: SharedEventHeaders,
}

AGENCY_PARAMETER = {
    "description": "Recipient agency code with ':' written as '.', e.g. pcc.west-yorkshire",
    "examples": ["pcc.west-yorkshire", "probation.yorkshire", "prison.LEI"],
}


MOVEMENTS_PAYLOAD = "prison movements:Message:Payload"
MOVEMENTS_ONE_OF = {
    "title": MOVEMENTS_PAYLOAD,
    "description": "An HMPPS domain event as published, bare or in its SNS envelope "
    "(adapters/hmpps_schemas.py; samples in tests/fixtures/hmpps/)",
    "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in SCHEMAS],
}


def movement_schemas() -> dict[str, dict[str, Any]]:
    """The hand-written HMPPS schemas, as AsyncAPI component schemas (no ``$schema``)."""
    return {n: {k: v for k, v in s.items() if k != "$schema"} for n, s in SCHEMAS.items()}


def declare_relay_topics(broker: KafkaBroker, topics: Topics) -> None:
    broker.publisher(
        topics.case_events,
        title=CASE_EVENTS,
        schema=StoredEvent,
        description="Every stored event, CloudEvents 1.0 binary mode, key = aggregate id "
        "(per-aggregate order); at least once: deduplicate on ce_subject + originator_version. "
        "Personal fields are never in clear: each is the stored per-person envelope "
        '{"$personal": subject, "v": ciphertext}, resolved at ce_dataref by an entitled, '
        "authenticated consumer (erased people resolve as [erased]); a consumer's own "
        "plaintext copy is its responsibility to erase",
    )
    broker.publisher(
        f"{topics.prefix}.shared.{{agency}}.v1",
        title=SHARED,
        schema=StoredEvent,
        description="Per recipient agency: the events its active sharing agreements grant, "
        "fields it is not granted removed; the case-event envelope plus ce_recipient. Granted "
        "personal fields are sealed envelopes, resolved at ce_dataref while an agreement "
        "still grants them; a consumer's own plaintext copy is its responsibility to erase",
    )


class BackboneAsyncAPI(AsyncAPI):
    """FastStream's AsyncAPI 3.0 document with each message's Kafka headers."""

    def to_specification(self) -> Specification:
        spec = super().to_specification()
        messages = getattr(spec, "components").messages or {}  # noqa: B009
        for name, message in messages.items():
            channel = name.partition(":")[0]
            if channel in HEADERS:
                headers = HEADERS[channel].model_json_schema(by_alias=True)
                setattr(message, "headers", headers)  # noqa: B010
        schemas = getattr(spec, "components").schemas  # noqa: B009
        if schemas is not None and MOVEMENTS_PAYLOAD in schemas:
            schemas.update(movement_schemas())
            schemas[MOVEMENTS_PAYLOAD] = MOVEMENTS_ONE_OF
        shared = getattr(spec, "channels").get(SHARED)  # noqa: B009
        if shared is not None:
            setattr(shared, "parameters", {"agency": AGENCY_PARAMETER})  # noqa: B010
        return spec


def build_app(settings: Settings | None = None) -> FastStream:
    """Defaults only (not the environment), so the document is the same wherever it is made."""
    settings = settings or Settings.model_construct()
    inbound = Inbound(settings, "localhost:9092")
    declare_relay_topics(inbound.broker, inbound.topics)
    spec = BackboneAsyncAPI(title="rj-backbone", version="0.1.0")
    return FastStream(inbound.broker, specification=spec)


def document() -> dict[str, Any]:
    """The AsyncAPI document as ``faststream docs gen`` writes it."""
    spec = build_app().schema
    assert spec is not None
    jsonable: dict[str, Any] = spec.to_specification().to_jsonable()
    return jsonable


def main() -> None:
    DOCUMENT.write_text(json.dumps(document(), indent=2) + "\n", encoding="utf-8")


app = build_app()

if __name__ == "__main__":
    main()
