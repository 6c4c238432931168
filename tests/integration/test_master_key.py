"""Person keys are wrapped under a master key kept outside the database."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from uuid import UUID

import orjson
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from adapters.key_wrap import KeyWrapper, MasterKeyError, parse_master_key
from services.bootstrap import Backbone, build, master_key
from services.settings import Settings
from tests.conftest import sqlite_settings
from tests.integration.tamper import RawRows

VICTIM_NAME = "Mrs A. (head teacher)"


def victim_name_envelope(rows: RawRows, case_id: UUID) -> tuple[int, dict[str, str]]:
    oid = case_id if rows.pg else case_id.hex
    for version, state in rows.run(
        f"SELECT originator_version, state FROM {rows.events} WHERE originator_id=? "
        "ORDER BY originator_version",
        oid,
    ):
        decoded = orjson.loads(bytes(state))
        if decoded.get("participant_id") == "v1" and "name" in decoded:
            return int(version), decoded["name"]
    raise AssertionError("no ParticipantAdded for v1")


def test_a_database_dump_without_the_master_key_reveals_no_personal_data(
    backbone: Backbone, head_teacher_case: UUID, rows: RawRows
) -> None:
    version, envelope = victim_name_envelope(rows, head_teacher_case)
    subject = f"{head_teacher_case}/v1"
    ((stored_key,),) = rows.run("SELECT key FROM personal_keys WHERE subject=?", subject)
    stored_key = bytes(stored_key)
    sealed = base64.b64decode(envelope["v"])
    aad = f"{head_teacher_case}:{version}:name".encode()
    for guess in (stored_key, stored_key[:32], stored_key[12:44], stored_key[-32:]):
        with pytest.raises(Exception):  # noqa: B017 - InvalidTag or a bad key length
            AESGCM(guess).decrypt(sealed[:12], sealed[12:], aad)
    master = parse_master_key(master_key(backbone.settings))
    person_key = KeyWrapper(master).unwrap(subject, stored_key)
    assert AESGCM(person_key).decrypt(sealed[:12], sealed[12:], aad) == VICTIM_NAME.encode()


def test_a_wrong_master_key_is_a_clear_error_not_erased_data(
    store_settings: Settings, backbone: Backbone, head_teacher_case: UUID
) -> None:
    wrong = SecretStr(base64.b64encode(b"w" * 32).decode())
    other = build(store_settings.model_copy(update={"personal_data_master_key": wrong}))
    try:
        with pytest.raises(MasterKeyError, match="does not open with this master key"):
            other.store.repository.get(head_teacher_case)
    finally:
        other.close()


def test_a_wrapped_key_copied_to_another_persons_row_does_not_open(
    backbone: Backbone, head_teacher_case: UUID, rows: RawRows
) -> None:
    ((victim_key,),) = rows.run(
        "SELECT key FROM personal_keys WHERE subject=?", f"{head_teacher_case}/v1"
    )
    master = parse_master_key(master_key(backbone.settings))
    with pytest.raises(MasterKeyError):
        KeyWrapper(master).unwrap(f"{head_teacher_case}/o1", bytes(victim_key))


def test_the_embedded_store_creates_its_master_key_file_once_readable_by_owner_only(
    tmp_path: Path,
) -> None:
    settings = sqlite_settings(tmp_path)
    first = master_key(settings)
    path = tmp_path / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert master_key(settings) == first
    assert len(parse_master_key(first)) == 32


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_master_key_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(MasterKeyError):
        build(sqlite_settings(tmp_path, personal_data_master_key=SecretStr(bad)))
