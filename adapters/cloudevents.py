"""Domain events as Kafka records in CloudEvents 1.0 binary mode.

Value = the event as JSON; attributes go in ``ce_*`` headers; key = aggregate id, so all events
of one aggregate land on one partition in order. ``ce_id`` is derived from (aggregate id,
version), so a republished event carries the same id and subscribers can deduplicate on it.
The ``sequence`` extension carries the event's position in the store's notification log.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

import orjson
from pydantic import BaseModel

from domain.sharing import event_name

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
TYPE_PREFIX = "uk.gov.rj"
AGGREGATE_NAMES = {"Case": "case", "Custody": "custody", "SharingAgreement": "agreement"}

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Record:
    key: bytes
    value: bytes
    headers: Headers


def event_id(aggregate_id: UUID, version: int) -> UUID:
    return uuid5(aggregate_id, str(version))


def event_id_text(aggregate_id: UUID, version: int) -> str:
    """``str(event_id(...))`` without building the ``UUID`` (a third of the time): the relay
    names every event it sends. The name-based (SHA-1) UUID of RFC 4122, section 4.3."""
    h = hashlib.sha1(aggregate_id.bytes + str(version).encode(), usedforsecurity=False).hexdigest()
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def event_type(event: BaseModel) -> str:
    """``Case.Referred`` (class version 2) → ``uk.gov.rj.case.referred.v2``."""
    return type_of_class(type(event))


@functools.cache  # per class: the relay asks for every event it sends
def type_of_class(cls: type[BaseModel]) -> str:
    aggregate, _, name = event_name(cls).rpartition(".")
    version = getattr(cls, "class_version", 1)
    return (
        f"{TYPE_PREFIX}.{AGGREGATE_NAMES.get(aggregate, snake(aggregate))}.{snake(name)}.v{version}"
    )


def event_data(event: BaseModel) -> dict[str, Any]:
    return event.model_dump(mode="json")


def to_record(
    event: BaseModel, sequence: int, data: dict[str, Any] | None = None, **extensions: str
) -> Record:
    """A record for ``event``; ``data`` replaces the value (e.g. a redacted copy)."""
    aggregate_id: UUID = getattr(event, "originator_id")  # noqa: B009
    version: int = getattr(event, "originator_version")  # noqa: B009
    meta = getattr(event, "meta")  # noqa: B009
    subject = str(aggregate_id).encode()
    headers = ce_headers(
        str(event_id(aggregate_id, version)),
        meta.agency,
        event_type(event).encode(),
        meta.occurred_at.isoformat(),
        subject,
        sequence,
        **extensions,
    )
    value = orjson.dumps(data if data is not None else event_data(event))
    return Record(subject, value, headers)


_SPECVERSION, _CONTENT_TYPE = SPECVERSION.encode(), CONTENT_TYPE.encode()


def ce_headers(
    id_: str,
    source: str,
    type_: bytes,
    time: str,
    subject: bytes,
    sequence: int,
    **extensions: str,
) -> Headers:
    """A record's CloudEvents attributes, in one order for every record the relays send."""
    return [
        ("ce_specversion", _SPECVERSION),
        ("ce_id", id_.encode()),
        ("ce_source", source.encode()),
        ("ce_type", type_),
        ("ce_time", time.encode()),
        ("ce_subject", subject),
        ("ce_sequence", str(sequence).encode()),
        ("content-type", _CONTENT_TYPE),
        *((f"ce_{name}", value.encode()) for name, value in extensions.items()),
    ]


def attributes(headers: Any) -> dict[str, str]:
    """CloudEvents attributes from record headers: ``{"id": ..., "type": ..., ...}``."""
    out: dict[str, str] = {}
    for name, value in headers or ():
        if name.startswith("ce_"):
            out[name[3:]] = value.decode() if isinstance(value, bytes) else str(value)
        elif name == "content-type":
            out["datacontenttype"] = value.decode() if isinstance(value, bytes) else str(value)
    return out
