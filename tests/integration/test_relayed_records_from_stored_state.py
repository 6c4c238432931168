"""The relay builds each record straight from the stored event (no pydantic event decoded), and
that record is the very one the decoded event makes: same key, headers and bytes, personal fields
as their stored envelopes or left out. What cannot be built so is decoded, as before."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from pydantic import BaseModel

import domain
from adapters.cloudevents import Record, to_record
from adapters.personal_cipher import MARK
from adapters.sealed_records import seal_record, sealed_event
from adapters.stored_records import StoredRecords, event_shape
from domain.base import Aggregate
from domain.personal import personal_fields
from services.bootstrap import Backbone, build
from services.demo.runner import run_all
from tests.conftest import sqlite_settings

BASE = "https://rjb.test"
DECODED_ALWAYS = {  # what the relay decodes, and why
    "SharingAgreement.Drafted": "its grants' categories are sets, which a decode reorders",
    "Custody.PrisonerMerged": "a tuple of nested models",
    "CaseErasures.PersonalDataErased": "the cipher must notice the erasure",
}
MORE_SAMPLES: dict[str, Any] = {  # fields no demo story fills
    "next_review_due": date(2026, 1, 1),
    "outgoing": "fac-amy",
    "incoming": "fac-raj",
    "previous_prison_number": "A1234HT",
    "kept_prison_number": "A1234HT",
    "removed_prison_number": "B2345JK",
    "case_id": UUID("66767eef-cb41-5baf-bb13-d39cb814379a"),
    "subject": "66767eef-cb41-5baf-bb13-d39cb814379a/v1",
    "code": "police:new-force",
    "pcc_areas": ("west-yorkshire",),
    "registry": "agencies",
    "complaint_id": "complaint-1",
    "about": "how the conference was run",
    "resolution": "apology given",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backbone]:
    bb = build(sqlite_settings(Path(tmp_path_factory.mktemp("demo"))))
    run_all(bb.commands)
    yield bb
    bb.close()


def decoded_record(bb: Backbone, n: Any) -> Record:
    """What the relay sent before: the event decoded, its record sealed."""
    event, sealed = sealed_event(bb.store, n)
    return seal_record(to_record(event, n.id), event, sealed, BASE)


def every_event_class() -> dict[str, type[BaseModel]]:
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    found: dict[str, type[BaseModel]] = {}
    pending: list[type] = [Aggregate.Event]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        topic = f"{cls.__module__}:{cls.__qualname__}"
        if cls.__qualname__.rpartition(".")[2] not in ("Event", "Created") and (
            cls.__module__.startswith("domain.") and resolve_topic(topic) is cls
        ):
            found[topic] = cls
    return found


def samples_from(bb: Backbone) -> dict[tuple[str, str], Any]:
    """A value for each (field, type) the demo's events have, decoded in full."""
    out: dict[tuple[str, str], Any] = {}
    for n in bb.store.recorder.select_notifications(1, 100_000):
        event = bb.store.mapper.to_domain_event(n)
        for name, field in type(event).model_fields.items():
            out.setdefault((name, repr(field.annotation)), getattr(event, name))
    movement = next(v for (name, _), v in out.items() if name == "movement")
    out["movements", "tuple[domain.custody.Movement, ...]"] = (movement,)
    return out


def representative(cls: type[BaseModel], samples: dict[tuple[str, str], Any]) -> Any:
    values = {
        name: samples.get((name, repr(field.annotation)), MORE_SAMPLES.get(name))
        for name, field in cls.model_fields.items()
    }
    return cls.model_validate({**values, "originator_id": uuid4(), "originator_version": 1})


def first(bb: Backbone, event: str) -> Any:
    """The first notification of an ``event`` the demo stored."""
    return next(n for n in bb.store.recorder.select_notifications(1, 1000) if event in n.topic)


def stored(bb: Backbone, event: Any, position: int) -> Notification:
    """``event`` as the store keeps it (personal fields sealed), at ``position`` in the log."""
    s = bb.store.mapper.to_stored_event(event)
    return Notification(s.originator_id, s.originator_version, s.topic, s.state, position)


def test_a_record_built_from_the_stored_event_is_the_decoded_ones_for_every_demo_event(
    demo: Backbone,
) -> None:
    records = StoredRecords(demo.store, BASE)
    built = 0
    for n in demo.store.recorder.select_notifications(1, 100_000):
        fast = records.record(n, n.id)
        if n.topic.partition(":")[2] in DECODED_ALWAYS:
            assert fast is None
            continue
        assert fast == decoded_record(demo, n), n.topic
        built += 1
    assert built > 150


def test_every_event_type_of_the_domain_is_built_from_its_stored_state_as_decoded(
    demo: Backbone,
) -> None:
    samples, records = samples_from(demo), StoredRecords(demo.store, BASE)
    classes = every_event_class()
    assert len(classes) > 100
    for position, (topic, cls) in enumerate(sorted(classes.items()), start=1):
        n = stored(demo, representative(cls, samples), position)
        fast = records.record(n, position)
        if cls.__qualname__ in DECODED_ALWAYS:
            assert fast is None and event_shape(topic) is None, topic
        else:
            assert fast == decoded_record(demo, n), topic


def test_personal_fields_travel_as_their_stored_envelopes_with_where_to_resolve_them(
    demo: Backbone,
) -> None:
    records = StoredRecords(demo.store, BASE)
    for n in demo.store.recorder.select_notifications(1, 100_000):
        fast = records.record(n, n.id)
        fields = personal_fields(type(demo.store.mapper.to_domain_event(n)))
        if fast is None or not fields:
            continue
        data, stored_state = orjson.loads(fast.value), demo.store.mapper.sealed_state(n)
        for name in fields & {f for f in data if data[f] is not None}:
            assert data[name] == stored_state[name]
            assert MARK in (data[name][0] if isinstance(data[name], list) else data[name])
        if any(stored_state[f] is not None for f in fields):
            version = data["originator_version"]
            url = f"{BASE}/v1/events/{data['originator_id']}/{version}/personal"
            assert ("ce_dataref", url.encode()) in fast.headers


def test_a_personal_field_stored_in_clear_is_left_out_as_the_decoded_path_leaves_it(
    demo: Backbone,
) -> None:
    n = first(demo, "ParticipantAdded")
    state = demo.store.mapper.sealed_state(n)
    state["name"] = "Priya S. (stored before encryption was on)"
    clear = Notification(n.originator_id, n.originator_version, n.topic, orjson.dumps(state), n.id)
    fast = StoredRecords(demo.store, BASE).record(clear, n.id)
    assert fast is not None and fast == decoded_record(demo, clear)
    assert b"Priya" not in fast.value and "name" not in orjson.loads(fast.value)


def test_an_event_stored_at_an_older_version_is_decoded_and_upcast(demo: Backbone) -> None:
    n = first(demo, "Referred")
    state = demo.store.mapper.sealed_state(n)
    state["area"] = state.pop("pcc_area")
    del state["crime_reported_on"], state["class_version"]
    v1 = Notification(n.originator_id, n.originator_version, n.topic, orjson.dumps(state), n.id)
    assert StoredRecords(demo.store, BASE).record(v1, n.id) is None
    upcast = orjson.loads(decoded_record(demo, v1).value)
    assert upcast["pcc_area"] == state["area"] and upcast["crime_reported_on"] is None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s.pop("reason"), id="a field the class gained since"),
        pytest.param(lambda s: s.update(extra="x"), id="a field the class no longer has"),
        pytest.param(lambda s: s["meta"].pop("causation_id"), id="a nested field missing"),
    ],
)
def test_a_stored_state_other_than_the_class_dumps_is_decoded(demo: Backbone, change: Any) -> None:
    n = first(demo, "CaseClosed")
    state = demo.store.mapper.sealed_state(n)
    change(state)
    odd = Notification(n.originator_id, n.originator_version, n.topic, orjson.dumps(state), n.id)
    assert StoredRecords(demo.store, BASE).record(odd, n.id) is None
