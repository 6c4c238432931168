"""The SNS envelope HMPPS domain events arrive in (a topic's notification, as queued).

``{"Type": "Notification", "MessageId": ..., "TopicArn": ..., "Message": "<the event as a JSON
string>", "Timestamp": ..., "MessageAttributes": {"eventType": {"Type": "String", "Value":
"prison-offender-events.prisoner.received"}, ...}, "Signature...": ...}``. The event inside is
the bare HMPPS event; ``MessageAttributes.eventType`` must name the same event type. SNS signature
fields are accepted and not checked: the backbone trusts the broker principal that wrote the
topic, not the envelope.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field


class SnsAttribute(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    Type: str
    Value: str


class SnsNotification(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    Type: Literal["Notification"]
    MessageId: str = Field(min_length=1)
    Message: str = Field(min_length=2)
    MessageAttributes: dict[str, SnsAttribute] = Field(default_factory=dict)
    TopicArn: str | None = None
    Timestamp: str | None = None

    def event(self) -> dict[str, Any]:
        """The HMPPS event the notification carries, checked against its ``eventType``."""
        try:
            inner = orjson.loads(self.Message)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"SNS Message is not a JSON event: {error}") from error
        if not isinstance(inner, dict):
            raise ValueError("SNS Message must hold a JSON object (the HMPPS event)")
        said = self.MessageAttributes.get("eventType")
        if said is not None and said.Value != inner.get("eventType"):
            raise ValueError(
                f"SNS MessageAttributes.eventType {said.Value[:80]!r} differs from the event's "
                f"eventType {str(inner.get('eventType'))[:80]!r}"
            )
        return inner


def is_sns(raw: dict[str, Any]) -> bool:
    return "Type" in raw and "Message" in raw


def unwrap(raw: dict[str, Any]) -> dict[str, Any]:
    """The bare HMPPS event: ``raw`` itself, or the event inside its SNS envelope."""
    return SnsNotification.model_validate(raw).event() if is_sns(raw) else raw
