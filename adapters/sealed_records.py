"""Records whose personal fields travel sealed: the stored per-person envelope, never plaintext.

A Kafka copy cannot be erased, so what goes on a topic must stop being readable when its key is
destroyed: each personal field (``PersonalText``) carries the envelope exactly as stored,
``{"$personal": "<subject>", "v": "<base64 nonce + AES-GCM ciphertext>"}``, whose key never
leaves the backbone. An entitled consumer resolves it through the authenticated, audited HTTP
endpoint named by the record's ``ce_dataref`` header (``GET /v1/events/{id}/{version}/personal``),
which checks the active agreements and the erasure state at read time ("thin event + detail
URL", as HMPPS domain events carry ``detailUrl``). A field stored before encryption was on (or
with encryption switched off) has no envelope: it is left out rather than sent in the clear.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from adapters.cloudevents import Record
from adapters.mapper import PydanticMapper, state_to_event
from adapters.personal_cipher import ERASED, MARK
from domain.personal import personal_fields


def stored_state(store: Any, notification: Any) -> dict[str, Any]:
    """The notification's state as stored: personal fields still sealed."""
    mapper: PydanticMapper = store.mapper
    return mapper.sealed_state(notification)


def _masked(value: Any) -> Any:
    if isinstance(value, dict) and MARK in value:
        return ERASED
    if isinstance(value, list) and value and isinstance(value[0], dict) and MARK in value[0]:
        return [ERASED] * len(value)
    return value


def sealed_event(store: Any, notification: Any) -> tuple[Any, dict[str, Any]]:
    """The event, its sealed fields read as erased, and its stored state (for
    :func:`seal_record`). A record carries the envelopes, never the plaintext, so the relay
    opens no per-person key: one key look-up and decryption per person was most of its time."""
    mapper: PydanticMapper = store.mapper
    sealed = mapper.sealed_state(notification)
    masked = {name: _masked(value) for name, value in sealed.items()}
    n = notification
    try:
        event = state_to_event(n.topic, n.originator_id, n.originator_version, masked)
    except ValidationError:  # a field that cannot read as erased: decode it in full
        return mapper.to_domain_event(n), sealed
    if mapper.personal:
        mapper.personal.notice(event)
    return event, sealed


def sealed_value(value: Any) -> bool:
    """An envelope, a list of envelopes, or the erased marker: safe on a topic."""
    if value == ERASED or (isinstance(value, dict) and MARK in value):
        return True
    return isinstance(value, list) and bool(value) and all(sealed_value(v) for v in value)


def dataref(base_url: str, event: Any) -> str:
    return dataref_url(base_url, event.originator_id, event.originator_version)


def dataref_url(base_url: str, aggregate_id: Any, version: int) -> str:
    return f"{base_url.rstrip('/')}/v1/events/{aggregate_id}/{version}/personal"


def seal_record(record: Record, event: Any, sealed: dict[str, Any], base_url: str) -> Record:
    """``record`` with each personal field replaced by its stored envelope (or left out), and a
    ``ce_dataref`` header where the consumer may resolve them."""
    fields = personal_fields(type(event))
    if not fields:
        return record
    data: dict[str, Any] = orjson.loads(record.value)
    present = [f for f in fields if data.get(f) is not None]
    if not present:
        return record
    for name in present:
        stored = sealed.get(name)
        if sealed_value(stored):
            data[name] = stored
        else:
            del data[name]  # never in the clear
    headers = [*record.headers, ("ce_dataref", dataref(base_url, event).encode())]
    return Record(record.key, orjson.dumps(data), headers)
