"""Envelope encryption of the per-person keys under one master key.

A person's key is stored *wrapped*: ``nonce + AES-GCM(master, key, associated data = subject)``.
A dump of the database therefore reveals no personal data without the master key, which lives
outside the database (``RJB_PERSONAL_DATA_MASTER_KEY`` from a secret store in production; for the
embedded default a ``master.key`` file next to the SQLite database, created on first use).
Binding the subject as associated data stops a wrapped key being copied to another person's row.
Erasure still destroys the wrapped key row: the master key alone opens nothing.

Each master key has an id, :func:`master_key_id` (a fingerprint: a hash of the key, which reveals
nothing of it), stored beside every wrapped key (``personal_keys.master_key_id``). During a
rotation two master keys are configured (:class:`MasterKeys`): a key wrapped under either opens,
and ``rjb privacy rotate-master-key`` re-wraps every key under the incoming one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASTER_KEY_BYTES = 32
_NONCE = 12


class MasterKeyError(RuntimeError):
    """The master key is missing, malformed, or not the one that wrapped the stored keys."""


def master_key_id(master_key: bytes) -> str:
    """The id of a master key, as stored beside the keys it wrapped: ``mk-`` and 16 hex digits
    of a domain-separated sha256 of the key (a fingerprint; the key cannot be found from it)."""
    return (
        "mk-" + hashlib.sha256(b"rjb personal-data master key id\0" + master_key).hexdigest()[:16]
    )


class KeyWrapper:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != MASTER_KEY_BYTES:
            raise MasterKeyError(
                f"the personal-data master key must be {MASTER_KEY_BYTES} bytes, "
                f"got {len(master_key)}"
            )
        self._aead = AESGCM(master_key)
        self.id = master_key_id(master_key)

    def wrap(self, subject: str, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, key, subject.encode())

    def unwrap(self, subject: str, wrapped: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], subject.encode())
        except InvalidTag:
            raise MasterKeyError(
                f"the key of {subject!r} does not open with this master key: "
                "RJB_PERSONAL_DATA_MASTER_KEY (or master.key) is not the one the database "
                "was written with, or the key row was altered"
            ) from None

    def opens(self, subject: str, wrapped: bytes) -> bytes | None:
        """The key, or None when this master key did not wrap it."""
        try:
            return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], subject.encode())
        except InvalidTag:
            return None


class MasterKeys:
    """The configured master keys: the current one and, during a rotation, the incoming one.

    A key wrapped under either opens. New keys are wrapped under the current one until the
    rotation has begun (a key under the incoming one exists: ``rotating``), then under the
    incoming one, so a process that has not been given the incoming key yet can open every key
    until the rotation starts, and none is wrapped under the outgoing key after it started.
    """

    def __init__(self, current: KeyWrapper, incoming: KeyWrapper | None = None) -> None:
        self.current = current
        self.incoming = incoming if incoming is None or incoming.id != current.id else None

    @property
    def ids(self) -> list[str]:
        return [w.id for w in (self.current, self.incoming) if w is not None]

    def for_new_keys(self, rotating: bool) -> KeyWrapper:
        return self.incoming if self.incoming is not None and rotating else self.current

    def unwrap(self, subject: str, wrapped: bytes) -> bytes:
        for wrapper in (self.current, self.incoming):
            key = None if wrapper is None else wrapper.opens(subject, wrapped)
            if key is not None:
                return key
        raise MasterKeyError(
            f"the key of {subject!r} does not open with this master key (configured: "
            f"{', '.join(self.ids)}): RJB_PERSONAL_DATA_MASTER_KEY (or master.key) is not the "
            "one the database was written with (during a master key rotation, set "
            "RJB_PERSONAL_DATA_MASTER_KEY_NEW too), or the key row was altered"
        )


def parse_master_key(text: str) -> bytes:
    """Decode a base64 master key (as in ``RJB_PERSONAL_DATA_MASTER_KEY``)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as e:
        raise MasterKeyError(f"the personal-data master key is not valid base64: {e}") from None
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(
            f"the personal-data master key must be base64 of {MASTER_KEY_BYTES} bytes, "
            f"got {len(key)} bytes"
        )
    return key


def new_master_key() -> str:
    """A fresh base64 master key, e.g. for a secret store."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def load_or_create_master_key(path: Path) -> bytes:
    """The master key in ``path``, created (mode 0600) on first use; safe against a race."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, (new_master_key() + "\n").encode())
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # fails if another process created it first: use theirs
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return parse_master_key(path.read_text())
