"""Master key rotation: every wrapped key re-wrapped under the incoming master key, in batches,
resumable after a crash, reads working throughout; afterwards the old key can go. On SQLite and
PostgreSQL."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import SecretStr

from adapters.key_wrap import MasterKeyError, master_key_id, new_master_key, parse_master_key
from services.bootstrap import Backbone, build, master_key
from services.demo.runner import run_script
from services.demo.stories import STORIES
from services.key_rotation import MasterKeyRotation, RotationRefused
from services.settings import Settings

VICTIM_NAME = "Mrs A. (head teacher)"
NEW = new_master_key()
NEW_ID = master_key_id(parse_master_key(NEW))


class Crash(Exception):
    """The rotation's process dies (after a batch was committed)."""


def keyed(settings: Settings, current: str, incoming: str = "") -> Settings:
    return settings.model_copy(
        update={
            "personal_data_master_key": SecretStr(current),
            "personal_data_master_key_new": SecretStr(incoming),
        }
    )


def victim_name(backbone: Backbone, case_id: UUID) -> str:
    name: str = backbone.store.repository.get(case_id).participants["v1"].name
    return name


def counts(backbone: Backbone) -> dict[str | None, int]:
    found: dict[str | None, int] = backbone.store.recorder.keys_by_master_key()  # type: ignore[attr-defined]
    return found


@pytest.fixture
def old(backbone: Backbone) -> str:
    return master_key(backbone.settings)


def test_a_rotation_crashed_half_way_goes_on_where_it_stopped_and_reads_work_throughout(
    backbone: Backbone, head_teacher_case: UUID, old: str
) -> None:
    both = build(keyed(backbone.settings, old, NEW))
    try:
        rotation = MasterKeyRotation(both.store, batch_size=1)
        total = rotation.pending()
        assert total >= 3 and NEW_ID not in counts(both)

        def crash_after_first_batch(done: int, _: int) -> None:
            raise Crash(f"killed after {done} keys")

        with pytest.raises(Crash):
            rotation.run(crash_after_first_batch)
        half = counts(both)
        assert half[NEW_ID] == 1 and sum(half.values()) == total  # one batch committed

        reader = build(keyed(backbone.settings, old, NEW))  # a process started mid-rotation
        try:
            assert victim_name(reader, head_teacher_case) == VICTIM_NAME
            second = run_script(reader.commands, STORIES[1]()).script.case_id
        finally:
            reader.close()
        assert NEW_ID in counts(both)  # keys made mid-rotation go under the incoming key

        seen: list[tuple[int, int]] = []
        done = MasterKeyRotation(both.store, batch_size=1).run(lambda n, t: seen.append((n, t)))
        assert done.rewrapped == total - 1 and seen[-1][0] == seen[-1][1]
        assert set(counts(both)) == {NEW_ID}
        assert victim_name(both, head_teacher_case) == VICTIM_NAME
    finally:
        both.close()
    assert victim_name(backbone, head_teacher_case) == VICTIM_NAME  # its cached keys still open
    new_only = build(keyed(backbone.settings, NEW))
    try:
        assert victim_name(new_only, head_teacher_case) == VICTIM_NAME
        assert new_only.store.repository.get(second).participants
    finally:
        new_only.close()


def test_after_the_rotation_the_old_master_key_can_be_removed_and_opens_nothing(
    backbone: Backbone, head_teacher_case: UUID, old: str
) -> None:
    both = build(keyed(backbone.settings, old, NEW))
    try:
        MasterKeyRotation(both.store).run()
    finally:
        both.close()
    new_only = build(keyed(backbone.settings, NEW))
    try:
        assert victim_name(new_only, head_teacher_case) == VICTIM_NAME
        assert set(counts(new_only)) == {NEW_ID}
    finally:
        new_only.close()
    old_only = build(keyed(backbone.settings, old))
    try:
        with pytest.raises(MasterKeyError, match="does not open with this master key"):
            victim_name(old_only, head_teacher_case)
    finally:
        old_only.close()


def test_a_key_erased_during_the_rotation_stays_destroyed(
    backbone: Backbone, head_teacher_case: UUID, old: str
) -> None:
    both = build(keyed(backbone.settings, old, NEW))
    try:

        def erase_the_victim(done: int, _: int) -> None:
            if done == 1:
                both.store.recorder.destroy_key(f"{head_teacher_case}/v1")  # type: ignore[attr-defined]

        MasterKeyRotation(both.store, batch_size=1).run(erase_the_victim)
        keys = dict(both.store.recorder.key_subjects(str(head_teacher_case)))  # type: ignore[attr-defined]
    finally:
        both.close()
    assert keys[f"{head_teacher_case}/v1"] is True  # erased
    new_only = build(keyed(backbone.settings, NEW))
    try:
        assert victim_name(new_only, head_teacher_case) == "[erased]"
    finally:
        new_only.close()


def test_a_rotation_without_an_incoming_master_key_is_refused(backbone: Backbone) -> None:
    with pytest.raises(RotationRefused, match="RJB_PERSONAL_DATA_MASTER_KEY_NEW"):
        MasterKeyRotation(backbone.store)
