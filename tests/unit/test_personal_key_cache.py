"""A process's cached keys follow erasures done by other processes, at little cost."""

from __future__ import annotations

from uuid import uuid4

from adapters.key_wrap import KeyWrapper
from adapters.personal_cipher import ERASED, PersonalDataCipher
from domain.base import EventMeta
from domain.case.aggregate import Case
from domain.privacy import CaseErasures

WRAPPER = KeyWrapper(b"k" * 32)


class KeyRows:
    """The ``personal_keys`` table as another process sees it; counts the queries made."""

    def __init__(self) -> None:
        self.rows: dict[str, bytes | None] = {}
        self.reads = 0
        self.listings = 0

    def get_key(self, subject: str) -> tuple[bool, bytes | None]:
        self.reads += 1
        return (subject in self.rows, self.rows.get(subject))

    def create_key(self, subject: str, key: bytes, master_key_id: str | None = None) -> bool:
        return self.rows.setdefault(subject, key) is key

    def has_keys_under(self, master_key_id: str) -> bool:
        return False

    def count_destroyed_keys(self) -> int:
        return sum(1 for key in self.rows.values() if key is None)

    def destroyed_subjects(self) -> list[str]:
        self.listings += 1
        return [s for s, key in self.rows.items() if key is None]


def sealed(cipher: PersonalDataCipher, subject: str, text: str) -> dict[str, object]:
    state = {"participant_id": subject.split("/")[1], "name": text, "contact": None}
    cipher.seal(Case.ParticipantAdded, state, subject.split("/")[0], 2)  # type: ignore[attr-defined]
    return state


def opened(cipher: PersonalDataCipher, state: dict[str, object], subject: str) -> object:
    copy = dict(state)
    cipher.unseal(copy, subject.split("/")[0], 2)
    return copy["name"]


def test_a_key_destroyed_elsewhere_is_dropped_at_the_next_revalidation() -> None:
    keys = KeyRows()
    cipher = PersonalDataCipher(keys, WRAPPER, recheck_seconds=3600)
    victim, offender = f"{uuid4()}/v1", f"{uuid4()}/o1"
    v, o = sealed(cipher, victim, "Mrs A."), sealed(cipher, offender, "Mr B.")
    assert opened(cipher, v, victim) == "Mrs A."
    reads = keys.reads
    cipher.revalidate()
    cipher.revalidate()
    assert keys.listings == 1  # learnt once; after that only the count is asked for
    keys.rows[victim] = None  # `rjb privacy erase` in another process
    cipher.revalidate()
    assert opened(cipher, v, victim) == ERASED
    assert opened(cipher, o, offender) == "Mr B."
    assert keys.reads == reads and keys.listings == 2  # the offender's key stayed cached


def test_a_cached_key_is_rechecked_after_the_interval_without_an_explicit_revalidation() -> None:
    keys = KeyRows()
    cipher = PersonalDataCipher(keys, WRAPPER, recheck_seconds=0.0)
    victim = f"{uuid4()}/v1"
    v = sealed(cipher, victim, "Mrs A.")
    assert opened(cipher, v, victim) == "Mrs A."
    keys.rows[victim] = None
    assert opened(cipher, v, victim) == ERASED


def test_reading_the_erasure_event_marks_the_person_erased_before_the_key_is_destroyed() -> None:
    keys = KeyRows()
    cipher = PersonalDataCipher(keys, WRAPPER, recheck_seconds=3600)
    case = uuid4()
    victim = f"{case}/v1"
    v = sealed(cipher, victim, "Mrs A.")
    meta = EventMeta(
        agency="pcc:kent",
        user="dpo",
        occurred_at="2025-01-01T00:00:00Z",  # type: ignore[arg-type]
        command_id="c",
        correlation_id="c",
    )
    log = CaseErasures(case_id=case, meta=meta)
    log.record_erasure(subject=victim, participant_id="v1", reason="DSR", meta=meta)
    for event in log.collect_events():
        cipher.notice(event)
    assert keys.rows[victim] is not None
    assert opened(cipher, v, victim) == ERASED
    assert sealed(cipher, victim, "Mrs A. again")["name"] == ERASED  # what arrives is not kept


def test_a_process_keeps_only_the_most_recent_peoples_keys_open() -> None:
    keys = KeyRows()
    cipher = PersonalDataCipher(keys, WRAPPER, recheck_seconds=3600)
    cipher._cache.size = 2
    people = [f"{uuid4()}/v{n}" for n in range(5)]
    states = [sealed(cipher, who, f"person {n}") for n, who in enumerate(people)]
    assert len(cipher._cache) == 2
    keys.rows[people[1]] = None  # erased elsewhere while out of the cache
    reads = keys.reads
    assert opened(cipher, states[0], people[0]) == "person 0"  # read again from the table
    assert opened(cipher, states[1], people[1]) == ERASED
    assert keys.reads == reads + 2
