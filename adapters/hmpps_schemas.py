"""JSON Schemas (draft 2020-12) of the HMPPS messages the movements topic accepts, written here
from the published shapes (``ministryofjustice/hmpps-domain-events``: the domain-event envelope
and the ``prison-offender-events`` message specs) rather than generated from our models, so that
the contract tests check our reading of HMPPS against samples, not our models against themselves.

One schema per shape: received, released, merged (each a bare domain event), and the SNS
notification that carries any of them as a JSON string in ``Message``. The AsyncAPI document
(``docs/asyncapi.json``) shows them as the movements channel's payload (``oneOf``).
"""

from __future__ import annotations

from typing import Any

from domain.custody import RECEIVED_REASONS, RELEASED_REASONS

NOMS = {"type": "string", "pattern": "^[A-Za-z][0-9]{4}[A-Za-z]{2}$", "examples": ["A3690EA"]}
TEXT = {"type": "string"}
INSTANT = {"type": "string", "format": "date-time"}

PERSON_REFERENCE: dict[str, Any] = {
    "description": "Who the event is about; HMPPS may send null",
    "anyOf": [
        {"type": "null"},
        {
            "type": "object",
            "properties": {
                "identifiers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "type": {"enum": ["NOMS", "CRN"], "type": "string"},
                            "value": TEXT,
                        },
                        "required": ["type", "value"],
                    },
                }
            },
        },
    ],
}


def _event(event_type: str, summary: str, information: dict[str, Any]) -> dict[str, Any]:
    """An HMPPS domain event: the common envelope with its own ``additionalInformation``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": event_type,
        "description": summary,
        "type": "object",
        "properties": {
            "eventType": {"const": event_type},
            "version": {"type": "integer", "examples": [1]},
            "occurredAt": {**INSTANT, "description": "When it happened (with its offset)"},
            "publishedAt": {**INSTANT, "description": "When HMPPS published it"},
            "description": TEXT,
            "detailUrl": {"type": "string", "description": "Where HMPPS has the detail"},
            "personReference": PERSON_REFERENCE,
            "additionalInformation": information,
        },
        "required": ["eventType", "version", "occurredAt", "additionalInformation"],
    }


def _movement(reasons: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "nomsNumber": NOMS,
            "prisonId": {"type": "string", "pattern": "^[A-Za-z]{3}$", "examples": ["LEI"]},
            "reason": {"enum": list(reasons)},
            "details": {**TEXT, "examples": ["ACTIVE IN:ADM-N", "Movement reason code CR"]},
            "currentLocation": {**TEXT, "examples": ["IN_PRISON", "OUTSIDE_PRISON"]},
            "currentPrisonStatus": {**TEXT, "examples": ["UNDER_PRISON_CARE"]},
            "nomisMovementReasonCode": {**TEXT, "examples": ["N", "CR", "HP"]},
        },
        "required": ["nomsNumber", "prisonId", "reason"],
    }


RECEIVED_SCHEMA = _event(
    "prison-offender-events.prisoner.received",
    "A prisoner has been received into prison",
    _movement(RECEIVED_REASONS),
)
RELEASED_SCHEMA = _event(
    "prison-offender-events.prisoner.released",
    "A prisoner has been released from prison",
    _movement(RELEASED_REASONS),
)
MERGED_SCHEMA = _event(
    "prison-offender-events.prisoner.merged",
    "Two prisoner records were merged: nomsNumber is kept, removedNomsNumber is gone",
    {
        "type": "object",
        "properties": {
            "nomsNumber": {**NOMS, "description": "The prison number kept"},
            "removedNomsNumber": {**NOMS, "description": "The prison number removed"},
            "bookingId": {"type": ["string", "integer"]},
            "reason": {**TEXT, "examples": ["MERGE"]},
        },
        "required": ["nomsNumber", "removedNomsNumber"],
    },
)
SNS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "SNS notification",
    "description": "An HMPPS domain event as SNS delivers it: the event is the JSON string in "
    "Message, and MessageAttributes.eventType names its eventType",
    "type": "object",
    "properties": {
        "Type": {"const": "Notification"},
        "MessageId": TEXT,
        "TopicArn": TEXT,
        "Message": {
            "type": "string",
            "contentMediaType": "application/json",
            "description": "The HMPPS domain event (received, released or merged)",
        },
        "Timestamp": INSTANT,
        "SignatureVersion": TEXT,
        "Signature": TEXT,
        "SigningCertURL": TEXT,
        "UnsubscribeURL": TEXT,
        "MessageAttributes": {
            "type": "object",
            "properties": {
                "eventType": {
                    "type": "object",
                    "properties": {"Type": {"const": "String"}, "Value": TEXT},
                    "required": ["Type", "Value"],
                }
            },
            "required": ["eventType"],
        },
    },
    "required": ["Type", "MessageId", "Message", "MessageAttributes"],
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "HmppsPrisonerReceived": RECEIVED_SCHEMA,
    "HmppsPrisonerReleased": RELEASED_SCHEMA,
    "HmppsPrisonerMerged": MERGED_SCHEMA,
    "HmppsSnsNotification": SNS_SCHEMA,
}
BY_EVENT_TYPE = {
    s["properties"]["eventType"]["const"]: s
    for s in SCHEMAS.values()
    if "eventType" in s["properties"]
}
