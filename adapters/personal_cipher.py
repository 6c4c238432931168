"""Encrypts each personal field with the key of the person it is about (crypto-shredding).

eventsourcing's cipher encrypts whole events with one application key, which cannot forget one
person. Here the mapper hands each event's JSON state to :class:`PersonalDataCipher`, which
replaces every string in a field marked ``PersonalText`` with an envelope
``{"$personal": subject, "v": base64(nonce + AES-GCM ciphertext)}``. The associated data binds the
ciphertext to its aggregate, version and field, so it cannot be pasted elsewhere.

Subject (whose key): ``"<case id>/<participant id>"`` when the event names a participant
(``participant_id``, or ``preferred_by`` for a change of activity type); otherwise the case-level
subject ``"<case id>"`` (referral summary, outcome terms, complaints without a participant).
Keys live, wrapped under the master key (:mod:`adapters.key_wrap`; its id in the row's
``master_key_id``), in the ``personal_keys`` table of the same database. Destroying a key makes
every envelope of that subject read as :data:`ERASED`; the stored bytes, and so the hash chains,
do not change.

Which key, and when it is made, cached and forgotten: :mod:`adapters.personal_keys`.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

from adapters.key_wrap import KeyWrapper, MasterKeys
from adapters.personal_keys import KeyTable, NewKeys, PersonalKeyring
from domain.personal import personal_fields

ERASED = "[erased]"
UNREADABLE = "[undecryptable]"  # ciphertext altered: `rjb audit verify` will say where
MARK = "$personal"
_SUBJECT_FIELDS = ("participant_id", "preferred_by")


def subject_for(state: dict[str, Any], originator_id: Any) -> str:
    for name in _SUBJECT_FIELDS:
        if state.get(name):
            return f"{originator_id}/{state[name]}"
    return str(originator_id)


def _is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and MARK in value and "v" in value


class PersonalDataCipher(PersonalKeyring):
    def __init__(
        self,
        keys: KeyTable,
        wrapper: KeyWrapper | MasterKeys,
        *,
        seal: bool = True,
        recheck_seconds: float = 1.0,
    ) -> None:
        super().__init__(keys, wrapper, recheck_seconds=recheck_seconds)
        self.seal_on_write = seal

    def seal(self, cls: type[BaseModel], state: dict[str, Any], oid: Any, version: int) -> None:
        """Encrypt the personal fields of ``state`` in place (an erased person's stay erased)."""
        new: NewKeys | None = getattr(self._batch, "new", None)
        oid = str(oid)
        if new is not None and version == 1 and oid not in self._look_up_first:
            new.new_aggregates.add(oid)
        fields = personal_fields(cls) if self.seal_on_write else frozenset()
        if not fields:
            return
        subject = subject_for(state, oid)
        aead = None
        for name in fields:
            value = state.get(name)
            if value is None:
                continue
            aead = aead or self._key(subject, create=True)
            aad = f"{oid}:{version}:{name}".encode()
            if isinstance(value, list):
                state[name] = [self._envelope(aead, subject, v, aad) for v in value]
            else:
                state[name] = self._envelope(aead, subject, value, aad)

    @staticmethod
    def _envelope(aead: AESGCM | None, subject: str, value: str, aad: bytes) -> Any:
        if aead is None:  # the person was erased: what arrives about them is not kept
            return ERASED
        nonce = os.urandom(12)
        sealed = nonce + aead.encrypt(nonce, value.encode(), aad)
        return {MARK: subject, "v": base64.b64encode(sealed).decode()}

    def unseal(self, state: dict[str, Any], oid: Any, version: int) -> None:
        """Decrypt every envelope in ``state`` in place; erased ones become :data:`ERASED`."""
        for name, value in state.items():
            if _is_envelope(value):
                state[name] = self._open(value, f"{oid}:{version}:{name}".encode())
            elif isinstance(value, list) and value and _is_envelope(value[0]):
                aad = f"{oid}:{version}:{name}".encode()
                state[name] = [self._open(v, aad) for v in value]

    def _open(self, envelope: dict[str, str], aad: bytes) -> str:
        aead = self._key(envelope[MARK], create=False)
        if aead is None:
            return ERASED
        sealed = base64.b64decode(envelope["v"])
        try:
            return aead.decrypt(sealed[:12], sealed[12:], aad).decode()
        except InvalidTag:
            return UNREADABLE
