"""A new person's key is stored in the same transaction as the first events sealed with it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from adapters.event_store import EventStore
from adapters.mapper import event_to_state
from adapters.personal_cipher import PersonalDataCipher
from domain.base import EventMeta
from domain.case.aggregate import Case
from domain.case.values import CjsStage, CrimeType, ParticipantRole, ReferralRoute
from services.bootstrap import Backbone, build
from services.settings import Settings


def meta(n: int = 0) -> EventMeta:
    return EventMeta(
        agency="pcc:kent", user="ann", occurred_at=datetime.now(UTC), command_id=f"c-{uuid4()}-{n}"
    )


def new_case(case_id: UUID | None = None) -> Case:
    return Case(
        id=case_id or uuid4(),
        route=ReferralRoute.POLICE,
        cjs_stage=CjsStage.PRE_SENTENCE,
        crime_type=CrimeType.BURGLARY,
        pcc_area="kent",
        crime_reported_on=None,
        summary="Burglary of a corner shop",
        meta=meta(),
    )


def key_subjects(store: EventStore, case: Case) -> list[str]:
    return [s for s, _ in store.recorder.key_subjects(str(case.id))]  # type: ignore[attr-defined]


@pytest.fixture
def second(store_settings: Settings, backbone: Backbone) -> Iterator[Backbone]:
    """Another process on the same database."""
    other = build(store_settings)
    yield other
    other.close()


def test_a_new_case_commits_its_keys_with_its_events(backbone: Backbone) -> None:
    store = backbone.store
    case = new_case()
    case.add_participant("v1", ParticipantRole.VICTIM, "Mrs A.", meta(1), contact="07700")
    store.save(case)
    assert key_subjects(store, case) == [str(case.id), f"{case.id}/v1"]
    assert store.repository.get(case.id).participants["v1"].name == "Mrs A."


def test_a_save_that_loses_a_conflict_leaves_no_key_and_its_retry_makes_one(
    backbone: Backbone, second: Backbone
) -> None:
    case = new_case()
    backbone.store.save(case)
    stale = second.store.repository.get(case.id)
    winner = backbone.store.repository.get(case.id)
    winner.add_participant("o1", ParticipantRole.OFFENDER, "Mr B.", meta(2))
    backbone.store.save(winner)
    stale.add_participant("v1", ParticipantRole.VICTIM, "Mrs A.", meta(3))
    with pytest.raises(IntegrityError):
        second.store.save(stale)  # version 2 is taken: events and the new key roll back
    assert key_subjects(second.store, case) == [str(case.id), f"{case.id}/o1"]

    retried = second.store.repository.get(case.id)
    retried.add_participant("v1", ParticipantRole.VICTIM, "Mrs A.", meta(3))
    second.store.save(retried)
    assert f"{case.id}/v1" in key_subjects(second.store, case)
    for bb in (backbone, second):
        assert bb.store.repository.get(case.id).participants["v1"].name == "Mrs A."


def sealed_event(cipher: PersonalDataCipher, subject_case: Any, text: str) -> StoredEvent:
    """A stored event of its own aggregate whose personal field uses the key of ``subject_case``'s
    victim, so two writers can race for one person's key without an aggregate conflict."""
    case = new_case()
    case.add_participant("v1", ParticipantRole.VICTIM, text, meta())
    event = case.pending_events[-1]
    state = event_to_state(event)  # type: ignore[arg-type]
    cipher.seal(type(event), state, subject_case, 1)  # type: ignore[arg-type]
    return StoredEvent(uuid4(), 1, get_topic(type(event)), orjson.dumps(state))


def opened(cipher: PersonalDataCipher, stored: StoredEvent, subject_case: Any) -> Any:
    state = orjson.loads(stored.state)
    cipher.unseal(state, subject_case, 1)
    return state["name"]


def test_two_writers_creating_one_persons_key_end_with_one_key(
    backbone: Backbone, second: Backbone
) -> None:
    subject_case = uuid4()
    start = threading.Barrier(2)
    outcome: dict[str, Any] = {}

    def write(name: str, store: EventStore) -> None:
        assert store.personal is not None
        start.wait()
        try:
            with store.personal.new_keys() as new_keys:
                stored = sealed_event(store.personal, subject_case, f"{name} says hello")
                store.recorder.insert_events([stored], personal_keys=new_keys)
            outcome[name] = stored
        except IntegrityError as error:
            outcome[name] = error

    threads = [
        threading.Thread(target=write, args=(n, bb.store))
        for n, bb in (("first", backbone), ("second", second))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lost = [n for n, o in outcome.items() if isinstance(o, IntegrityError)]
    assert len(lost) == 1 and "created concurrently" in str(outcome[lost[0]])
    store = (backbone if lost[0] == "first" else second).store
    assert store.personal is not None
    with store.personal.new_keys() as new_keys:  # the retry reads the winner's key
        retried = sealed_event(store.personal, subject_case, f"{lost[0]} says hello")
        assert not new_keys.wrapped()
        store.recorder.insert_events([retried], personal_keys=new_keys)
    outcome[lost[0]] = retried
    assert [s for s, _ in store.recorder.key_subjects(str(subject_case))] == [  # type: ignore[attr-defined]
        f"{subject_case}/v1"
    ]
    for name, stored in outcome.items():
        for reader in (backbone, second):
            assert reader.store.personal is not None
            assert opened(reader.store.personal, stored, subject_case) == f"{name} says hello"


def test_a_key_made_before_its_case_was_saved_is_found_when_the_save_is_retried(
    backbone: Backbone, second: Backbone
) -> None:
    store = backbone.store
    assert store.personal is not None and second.store.personal is not None
    case_id = uuid4()
    # another process seals outside a save, so it commits the key on its own first
    early = sealed_event(second.store.personal, case_id, "noted before the case existed")
    attempts = 0
    while True:
        case = new_case(case_id)
        case.add_participant("v1", ParticipantRole.VICTIM, "Mrs A.", meta(1))
        attempts += 1
        try:
            store.save(case)
            break
        except IntegrityError:
            assert attempts < 3
    assert attempts == 2  # the first assumed a brand-new case had no keys; the retry looked
    assert store.repository.get(case_id).participants["v1"].name == "Mrs A."
    assert opened(store.personal, early, case_id) == "noted before the case existed"
