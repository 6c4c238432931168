"""The one place where domain events become stored bytes and back (orjson + pydantic).

Pydantic dumps an event to JSON-able data and validates it back, so value objects and enums need
no hand-written transcodings. Old stored versions are upcast on the way in using the event class's
``class_version`` and ``upcast_vN_vN+1`` methods, as eventsourcing's own mapper does.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from adapters.personal_cipher import PersonalDataCipher


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


_POSITION = {"originator_id", "originator_version"}  # never changed


def event_to_state(domain_event: BaseModel) -> dict[str, Any]:
    """JSON-able state of an event without its position fields (those are columns): what
    ``model_dump(mode="json", exclude=...)`` returns, from the class's serializer directly (the
    ``model_dump`` wrapper was half the cost)."""
    serializer = type(domain_event).__pydantic_serializer__
    state: dict[str, Any] = serializer.to_python(domain_event, mode="json", exclude=_POSITION)
    class_version = getattr(type(domain_event), "class_version", 1)
    if class_version > 1:
        state["class_version"] = class_version
    return state


def state_to_event(topic: str, originator_id: Any, version: int, state: dict[str, Any]) -> Any:
    """Rebuild an event from stored state, upcasting older versions first."""
    cls = resolve_topic(topic)
    from_version = state.pop("class_version", 1)
    while from_version < getattr(cls, "class_version", 1):
        getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
        from_version += 1
    return cls.model_validate(
        {**state, "originator_id": originator_id, "originator_version": version}
    )


class PydanticMapper(Mapper):  # type: ignore[type-arg]
    """``personal`` (set by the event store) encrypts personal fields with per-person keys."""

    personal: PersonalDataCipher | None = None

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = event_to_state(domain_event)
        if self.personal:
            self.personal.seal(
                type(domain_event),
                state,
                domain_event.originator_id,
                domain_event.originator_version,
            )
        stored_state = self.transcoder.encode(state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=stored_state,
        )

    def sealed_state(self, stored_event: StoredEvent) -> dict[str, Any]:
        """The stored state as JSON, personal fields still sealed (for publishing)."""
        stored_state = stored_event.state
        if self.cipher:
            stored_state = self.cipher.decrypt(stored_state)
        if self.compressor:
            stored_state = self.compressor.decompress(stored_state)
        state: dict[str, Any] = self.transcoder.decode(stored_state)
        return state

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        stored_state = stored_event.state
        if self.cipher:
            stored_state = self.cipher.decrypt(stored_state)
        if self.compressor:
            stored_state = self.compressor.decompress(stored_state)
        state = self.transcoder.decode(stored_state)
        if self.personal:
            self.personal.unseal(state, stored_event.originator_id, stored_event.originator_version)
        event = state_to_event(
            stored_event.topic, stored_event.originator_id, stored_event.originator_version, state
        )
        if self.personal:
            self.personal.notice(event)
        return event
