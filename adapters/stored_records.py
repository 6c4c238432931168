"""CloudEvents records built straight from the stored state, without decoding a pydantic event.

The stored state of an event is its pydantic JSON dump (``mapper.event_to_state``: every field
but the two position columns, in field order, ``class_version`` last when above 1), with personal
fields as stored envelopes. The record the relay sends is that dump again, put back together
(the position fields first), with personal fields as stored envelopes: so when the state is
exactly what the current class dumps, the record can be built from it directly, saving the
validation of the event, its dump, and the seal's second parse (most of the relay's own Python).

A class takes this path only when everything in it reads back as it was written (strings,
numbers, enums, UUIDs, dates and times, tuples and dicts of those, nested models; no sets,
whose order the slow path would change); the state must have exactly the class's fields,
nested models included, at the class's current version. Anything else (an older version to
upcast, a field added since, the erasure event the cipher must notice) returns ``None``, and the
relay decodes the event as before (:func:`adapters.sealed_records.sealed_event`).
``tests/integration/test_relayed_records_from_stored_state.py`` compares both paths' records
for every event type of the domain.
"""

from __future__ import annotations

import enum
import functools
import types
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

import orjson
from eventsourcing.utils import TopicError, resolve_topic
from pydantic import BaseModel

from adapters.cloudevents import Record, ce_headers, event_id_text, type_of_class
from adapters.sealed_records import dataref_url, sealed_value
from domain.personal import personal_fields
from domain.privacy import CaseErasures

ERASURE_EVENT: Any = CaseErasures.PersonalDataErased  # type: ignore[attr-defined]

POSITION = ("originator_id", "originator_version")
_LEAVES = (str, int, float, bool, type(None), UUID, datetime, date)


@dataclass(frozen=True)
class Shape:
    """The keys a model's dump has, in order, and the shapes of its nested models."""

    keys: frozenset[str]  # the order need not be checked: JSON objects have none
    nested: tuple[tuple[str, Shape, bool], ...]  # name, shape, whether it may be null

    def fits(self, state: Any) -> bool:
        if type(state) is not dict or state.keys() != self.keys:
            return False
        for name, inner, optional in self.nested:
            value = state[name]
            if not (inner.fits(value) or (optional and value is None)):
                return False
        return True


@dataclass(frozen=True)
class EventShape:
    shape: Shape
    version: int
    ce_type: bytes
    personal: tuple[str, ...]


def _plain(annotation: Any) -> bool:
    """True for a type whose JSON dump reads back unchanged and carries no nested model."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _plain(get_args(annotation)[0])
    if origin is Literal:
        return True
    if origin in (Union, types.UnionType, tuple, list, dict):
        return all(a is Ellipsis or _plain(a) for a in get_args(annotation))
    return isinstance(annotation, type) and (
        annotation in _LEAVES or issubclass(annotation, enum.Enum)
    )


def _model_of(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model of a field typed ``Model`` or ``Model | None``, and whether it may be null."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _model_of(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        inner = _model_of(args[0]) if len(args) == 1 else None
        return (inner[0], True) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None


def shape_of(model: type[BaseModel], skip: tuple[str, ...] = ()) -> Shape | None:
    """``None`` when some field of ``model`` could read back other than it was written."""
    keys, nested = [], []
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        inner = _model_of(field.annotation)
        if inner is not None:
            inner_shape = shape_of(inner[0])
            if inner_shape is None:
                return None
            nested.append((name, inner_shape, inner[1]))
        elif not _plain(field.annotation):
            return None
        keys.append(name)
    return Shape(frozenset(keys), tuple(nested))


@functools.cache  # per topic: the relay asks for every event it sends
def event_shape(topic: str) -> EventShape | None:
    try:
        cls = resolve_topic(topic)
    except TopicError:  # a topic this code cannot resolve: the slow path says why
        return None
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is ERASURE_EVENT:
        return None  # the erasure event is decoded: the cipher must notice it
    if tuple(cls.model_fields)[:2] != POSITION or "meta" not in cls.model_fields:
        return None
    shape = shape_of(cls, skip=POSITION)
    if shape is None:
        return None
    version: int = getattr(cls, "class_version", 1)
    if version > 1:
        shape = Shape(shape.keys | {"class_version"}, shape.nested)
    personal = tuple(sorted(personal_fields(cls)))
    return EventShape(shape, version, type_of_class(cls).encode(), personal)


class StoredRecords:
    """Builds the relay's sealed record of a notification from its stored state, when it can."""

    def __init__(self, store: Any, dataref_base: str) -> None:
        self.mapper = store.mapper
        self.dataref_base = dataref_base

    def record(self, notification: Any, sequence: int) -> Record | None:
        """The record (as ``seal_record(to_record(event))`` makes it), or ``None``: decode."""
        n = notification
        known = event_shape(n.topic)
        if known is None:
            return None
        state: dict[str, Any] = self.mapper.sealed_state(n)
        if not known.shape.fits(state):
            return None
        if known.version > 1 and state.pop("class_version") != known.version:
            return None
        oid = n.originator_id if type(n.originator_id) is UUID else UUID(str(n.originator_id))
        version: int = n.originator_version
        aggregate = str(oid)
        data = {"originator_id": aggregate, "originator_version": version, **state}
        meta, subject = state["meta"], aggregate.encode()
        headers = ce_headers(
            event_id_text(oid, version),
            meta["agency"],
            known.ce_type,
            python_iso(meta["occurred_at"]),
            subject,
            sequence,
        )
        if _seal(data, known.personal):
            url = dataref_url(self.dataref_base, aggregate, version)
            headers.append(("ce_dataref", url.encode()))
        return Record(subject, orjson.dumps(data), headers)


def python_iso(json_time: str) -> str:
    """``datetime.isoformat()`` of a time as pydantic writes it in JSON (UTC as ``Z``, else
    the offset; microseconds in six digits or none), as the decoded path's ``ce_time`` is."""
    if json_time.endswith("Z"):
        return f"{json_time[:-1]}+00:00"
    return datetime.fromisoformat(json_time).isoformat()


def _seal(data: dict[str, Any], personal: tuple[str, ...]) -> bool:
    """Personal fields kept as stored envelopes or left out, as ``seal_record`` does; whether
    any was there (the record then names where to resolve them)."""
    present = False
    for name in personal:
        value = data[name]
        if value is None:
            continue
        present = True
        if not sealed_value(value):
            del data[name]  # never in the clear
    return present
