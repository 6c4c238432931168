"""The committed AsyncAPI document is what the code generates, with real payload schemas."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from services.commands import COMMAND_MODELS
from services.kafka_runtime.asyncapi_app import DOCUMENT, document


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in unquote(ref.removeprefix("#/")).split("/"):
        node = node[part]
    return node


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == document(), (
        "docs/asyncapi.json is out of date with the subscribers/publishers: run `make asyncapi` "
        "and commit the result"
    )


def test_every_reference_in_the_document_resolves() -> None:
    doc = document()
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc)))
    assert refs
    for ref in refs:
        resolve(doc, ref)  # KeyError names the dangling reference


def payload(doc: dict[str, Any], channel: str) -> dict[str, Any]:
    (message,) = doc["channels"][channel]["messages"].values()
    schema: dict[str, Any] = resolve(doc, resolve(doc, message["$ref"])["payload"]["$ref"])
    return schema


def test_inbound_commands_are_documented_as_the_union_discriminated_by_type() -> None:
    doc = document()
    commands = payload(doc, "agency commands")
    assert commands["discriminator"] == "type"
    refs = [o["$ref"] for o in commands["oneOf"]]
    assert len(refs) == len(COMMAND_MODELS)
    refer = resolve(doc, next(r for r in refs if r.endswith("/ReferCase")))
    assert refer["properties"]["type"]["const"] == "refer_case"
    assert {"command_id", "agency", "user", "occurred_at"} <= set(refer["required"])


def test_prison_movements_are_documented_as_the_hmpps_shapes_bare_and_sns_wrapped() -> None:
    doc = document()
    movement = payload(doc, "prison movements")
    shapes = [resolve(doc, o["$ref"]) for o in movement["oneOf"]]
    assert [s["title"] for s in shapes] == [
        "prison-offender-events.prisoner.received",
        "prison-offender-events.prisoner.released",
        "prison-offender-events.prisoner.merged",
        "SNS notification",
    ]
    for event in shapes[:3]:
        assert {"eventType", "occurredAt", "additionalInformation"} <= set(event["required"])
    assert (
        "RELEASED_TO_HOSPITAL"
        in shapes[1]["properties"]["additionalInformation"]["properties"]["reason"]["enum"]
    )
    assert {"Type", "MessageId", "Message", "MessageAttributes"} <= set(shapes[3]["required"])


def test_case_events_and_shared_topics_document_the_cloudevents_headers() -> None:
    doc = document()
    messages = doc["components"]["messages"]
    case_headers = messages["case events:Message"]["headers"]["properties"]
    assert {
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_sequence",
        "content-type",
    } <= set(case_headers)
    assert "ce_recipient" in messages["shared events:Message"]["headers"]["properties"]
    assert doc["channels"]["shared events"]["address"] == "rjb.shared.{agency}.v1"
    assert "agency" in doc["channels"]["shared events"]["parameters"]
    envelope = payload(doc, "case events")
    assert {"originator_id", "originator_version", "timestamp", "meta"} <= set(envelope["required"])
    dlq = messages["dead letters:Message"]["headers"]["properties"]
    assert "rjb_dlq_reason" in dlq
