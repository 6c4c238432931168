"""Dead letters sealed: the topic holds ciphertext, only the reason headers are readable.

A rejected message may hold personal data whether or not it parsed (a victim's name in a command
that broke a rule, a prison number as the key, a name in a message that is not even JSON), and a
Kafka record cannot be erased. So every dead letter is sealed, parsed or not: its original key,
headers and value are packed and encrypted with AES-GCM under a *day key* of the backbone
(subject ``$dead-letters/<UTC day>`` in ``personal_keys``, wrapped under the master key like a
person's key, re-wrapped by a master key rotation). The record keeps no key, and only the
``rjb_dlq_*`` headers (reason, error kind, source topic/partition/offset, original size and
sha256, truncation) in the clear, plus ``rjb_dlq_sealed`` naming the day key. The associated
data binds the ciphertext to that subject and the source position, so it cannot be passed off
as another letter. ``rjb dlq show`` and ``retry`` open it for an operator (logged).

Day keys older than the dead-letter retention (``RJB_KAFKA_DEAD_LETTER_RETENTION_DAYS``) and a
day's grace are destroyed when a new day's key is made, so a letter is unreadable after its
retention even on a broker that kept the record longer (crypto-shredding, as for a person).
"""

from __future__ import annotations

import logging
import os
import struct
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

DLQ_SEALED = "rjb_dlq_sealed"
PREFIX = "$dead-letters/"
SEAL_OVERHEAD = 256  # format, nonce, tag, the rjb_dlq_sealed header: room kept in the budget
_VERSION = 1
Header = tuple[str, bytes | None]


def pack(key: bytes | None, headers: list[Header], value: bytes) -> bytes:
    """key, headers (null values kept) and value as one byte string."""

    def blob(data: bytes | None) -> bytes:
        return struct.pack(">i", -1) if data is None else struct.pack(">i", len(data)) + data

    parts = [bytes([_VERSION]), blob(key), struct.pack(">i", len(headers))]
    for name, raw in headers:
        parts += [blob(name.encode()), blob(raw)]
    return b"".join([*parts, blob(value)])


def unpack(data: bytes) -> tuple[bytes | None, list[Header], bytes]:
    at = 1

    def blob() -> bytes | None:
        nonlocal at
        (size,) = struct.unpack_from(">i", data, at)
        at += 4
        if size < 0:
            return None
        at += size
        return data[at - size : at]

    if data[:1] != bytes([_VERSION]):
        raise ValueError("not a sealed dead letter of a known format")
    key = blob()
    (count,) = struct.unpack_from(">i", data, at)
    at += 4
    headers = [((blob() or b"").decode(), blob()) for _ in range(count)]
    return key, headers, blob() or b""


def associated(subject: str, topic: str, partition: int | str, offset: int | str) -> bytes:
    return f"{subject}|{topic}|{partition}|{offset}".encode()


class DeadLetterSeal:
    """Seals and opens dead letters with the day keys; ``cipher`` is the store's
    :class:`adapters.personal_cipher.PersonalDataCipher` (its key table and master keys)."""

    def __init__(self, cipher: Any, retention_days: float) -> None:
        self.cipher = cipher
        self.rows: Any = cipher.keys  # the chained recorder: personal_keys
        self.retention_days = retention_days
        self._days: dict[str, AESGCM | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, store: Any, retention_days: float) -> DeadLetterSeal | None:
        """For a store that keeps personal-data keys; None for one that does not."""
        cipher = getattr(store, "personal", None)
        return None if cipher is None else cls(cipher, retention_days)

    @staticmethod
    def subject(day: date) -> str:
        return f"{PREFIX}{day.isoformat()}"

    def day_key(self, now: datetime | None = None) -> tuple[str, AESGCM]:
        """Today's key (made, and expired ones destroyed, on first use); reads the table."""
        today = (now or datetime.now(UTC)).date()
        subject = self.subject(today)
        with self._lock:
            found = self._days.get(subject)
            if found is None:
                if self._key(subject) is None:
                    key = AESGCM.generate_key(bit_length=256)
                    master = self.cipher.wrapping_key()
                    self.rows.create_key(subject, master.wrap(subject, key), master.id)
                    self._days.pop(subject, None)
                    self.forget_expired(today)
                found = self._key(subject)
            if found is None:
                raise RuntimeError(f"the dead-letter key {subject} was destroyed")
            return subject, found

    def _key(self, subject: str) -> AESGCM | None:
        if subject not in self._days:
            exists, wrapped = self.rows.get_key(subject)
            if not exists:
                return None
            opened = None if wrapped is None else self.cipher.masters.unwrap(subject, wrapped)
            self._days[subject] = None if opened is None else AESGCM(opened)
        return self._days[subject]

    def forget_expired(self, today: date) -> list[str]:
        """Destroy the day keys past retention and a day's grace (none when kept for ever)."""
        if self.retention_days < 0:
            return []
        last_kept = self.subject(today - timedelta(days=self.retention_days + 1))
        gone = []
        for subject, erased in self.rows.key_subjects(PREFIX):
            if not erased and subject < last_kept and self.rows.destroy_key(subject):
                gone.append(subject)
                self._days[subject] = None
        if gone:
            log.info("dead-letter keys past retention destroyed: %s", ", ".join(gone))
        return gone

    def seal(
        self,
        key: bytes | None,
        headers: list[Header],
        value: bytes,
        source: Any,
        ours: list[Header],
        day: tuple[str, AESGCM],
    ) -> tuple[bytes, list[Header]]:
        """(sealed value, readable headers) for a letter read at ``source`` (a ConsumerRecord)."""
        subject, aead = day
        nonce = os.urandom(12)
        aad = associated(subject, source.topic, source.partition, source.offset)
        sealed = nonce + aead.encrypt(nonce, pack(key, headers, value), aad)
        return sealed, [*ours, (DLQ_SEALED, subject.encode())]

    def open(
        self, value: bytes, subject: str, topic: str, partition: str, offset: str
    ) -> tuple[bytes | None, list[Header], bytes] | None:
        """The original (key, headers, value); None once the day key was destroyed."""
        with self._lock:
            aead = self._key(subject) if subject.startswith(PREFIX) else None
        if aead is None:
            return None
        try:
            plain = aead.decrypt(
                value[:12], value[12:], associated(subject, topic, partition, offset)
            )
        except InvalidTag:
            raise ValueError(f"the sealed dead letter does not open under {subject}") from None
        return unpack(plain)
