"""Each person's key for :class:`adapters.personal_cipher.PersonalDataCipher`: found, made, cached.

Keys are cached per process, so a long-running reader (a relay, the projection runner) must
notice an erasure done by another process: the only change a key row ever sees is its
destruction, so :meth:`PersonalKeyring.revalidate` compares the count of destroyed keys (one
indexed ``COUNT``) and drops the cached keys of newly erased subjects. Log followers call it
before decoding each batch; otherwise the cache checks at most ``recheck_seconds`` apart. A
decoded ``PersonalDataErased`` event marks its subject erased at once (it is saved before the
key is destroyed, so what follows it in the log never decodes with the old key).

A new person's key is written in the same transaction as the first events sealed with it: while
the event store saves, :meth:`PersonalKeyring.new_keys` collects (per thread) the keys created
by sealing, the chained recorder inserts them before the event rows, and only once the
transaction has committed do they join the cache. If it rolls back (a concurrency conflict, or
another writer created the same person's key first), the new keys are forgotten, so the retried
command reads the key that exists or creates a new one. No ciphertext can exist without its key.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.key_wrap import KeyWrapper, MasterKeys
from domain.privacy import CaseErasures

_ERASURE_EVENT: Any = CaseErasures.PersonalDataErased  # type: ignore[attr-defined]


@runtime_checkable
class KeyTable(Protocol):
    """The ``personal_keys`` table; keys are passed and returned wrapped."""

    def get_key(self, subject: str) -> tuple[bool, bytes | None]: ...
    def create_key(self, subject: str, key: bytes, master_key_id: str | None = None) -> bool: ...
    def count_destroyed_keys(self) -> int: ...
    def destroyed_subjects(self) -> list[str]: ...
    def has_keys_under(self, master_key_id: str) -> bool: ...


class NewKeys:
    """The keys created by sealing during one save, not yet stored."""

    def __init__(self) -> None:
        self.by_subject: dict[str, tuple[bytes, AESGCM, str]] = {}
        self.new_aggregates: set[str] = set()  # version 1 is in this save: no key exists yet

    def wrapped(self) -> list[tuple[str, bytes, str]]:
        """(subject, wrapped key, master key id) in subject order (a fixed lock order for
        concurrent savers)."""
        return [(s, wrapped, mk) for s, (wrapped, _, mk) in sorted(self.by_subject.items())]


KEY_CACHE_SIZE = 10_000  # people whose keys stay open in memory; the rest are read again


class KeyCache(OrderedDict[str, "AESGCM | None"]):
    """The most recently used people's keys. Unbounded, a process storing a million commands
    held every key it ever opened (OpenSSL memory, ~2.5 KiB each); one dropped is read again
    from the key table, which also says whether the person was erased. Threads share it."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def lookup(self, subject: str) -> tuple[bool, AESGCM | None]:
        """(found, key): one step, so another thread's eviction cannot come in between."""
        with self.lock:
            if not super().__contains__(subject):
                return False, None
            self.move_to_end(subject)
            return True, super().__getitem__(subject)

    def __setitem__(self, subject: str, aead: AESGCM | None) -> None:
        with self.lock:
            super().__setitem__(subject, aead)
            self.move_to_end(subject)
            if len(self) > self.size:
                self.popitem(last=False)


class PersonalKeyring:
    """People's keys as this process sees them: the cache, the save's new keys, erasures."""

    def __init__(
        self, keys: KeyTable, wrapper: KeyWrapper | MasterKeys, *, recheck_seconds: float = 1.0
    ) -> None:
        self.keys = keys
        self.masters = wrapper if isinstance(wrapper, MasterKeys) else MasterKeys(wrapper)
        self._rotating = False  # a key under the incoming master key exists (seen once: for good)
        self._batch = threading.local()  # .new: the NewKeys of the save in progress
        self.recheck_seconds = recheck_seconds
        self._cache: KeyCache = KeyCache(KEY_CACHE_SIZE)  # None: erased, for good
        self._destroyed_seen = -1
        self._look_up_first: set[str] = set()  # new aggregates whose save failed: no shortcut
        self._checked_at = -float("inf")

    def _key(self, subject: str, *, create: bool) -> AESGCM | None:
        found, aead = self._cache.lookup(subject)
        if (
            found
            and aead is not None
            and time.monotonic() - self._checked_at >= self.recheck_seconds
        ):
            self.revalidate()
            found, aead = self._cache.lookup(subject)
        if found:
            return aead
        new: NewKeys | None = getattr(self._batch, "new", None)
        if new is not None and subject in new.by_subject:
            return new.by_subject[subject][1]  # created earlier in this save, not committed yet
        if create and new is not None and subject.split("/")[0] in new.new_aggregates:
            return self._create(subject, new)  # if this save succeeds, no such key existed
        exists, wrapped = self.keys.get_key(subject)
        if not exists and create:
            return self._create(subject, new)
        if not exists:
            return None
        aead = None if wrapped is None else AESGCM(self.masters.unwrap(subject, wrapped))
        self._cache[subject] = aead
        return aead

    def _create(self, subject: str, new: NewKeys | None) -> AESGCM | None:
        key = AESGCM.generate_key(bit_length=256)
        master = self.wrapping_key()
        wrapped = master.wrap(subject, key)
        if new is not None:  # inserted in the events' own transaction
            new.by_subject[subject] = (wrapped, AESGCM(key), master.id)
            return new.by_subject[subject][1]
        self.keys.create_key(subject, wrapped, master.id)  # outside a save: commit the key first
        return self._key(subject, create=False)

    def wrapping_key(self) -> KeyWrapper:
        """The master key new keys are wrapped under: the incoming one once a rotation began."""
        incoming = self.masters.incoming
        if incoming is not None and not self._rotating:
            self._rotating = self.keys.has_keys_under(incoming.id)
        return self.masters.for_new_keys(self._rotating)

    @contextmanager
    def new_keys(self) -> Iterator[NewKeys]:
        """Scope of one save: yields the wrapped keys created by sealing, for the recorder to
        insert before the events; they are cached only if the save returns normally."""
        outer: NewKeys | None = getattr(self._batch, "new", None)
        if outer is not None:  # nested: the outer save owns the keys
            yield outer
            return
        new = self._batch.new = NewKeys()
        try:
            yield new
            for subject, (_, aead, _) in new.by_subject.items():
                if subject not in self._cache:
                    self._cache[subject] = aead
        except BaseException:  # rolled back: the keys are forgotten; a retry looks keys up
            self._look_up_first |= new.new_aggregates
            raise
        finally:
            self._batch.new = None

    def revalidate(self, destroyed: int | None = None) -> None:
        """Drop cached keys destroyed since the last check (by any process); ``destroyed``: the
        count of destroyed keys, when the caller read it already."""
        self._checked_at = time.monotonic()
        count = self.keys.count_destroyed_keys() if destroyed is None else destroyed
        # the count first: an erasure after it shows next time
        if count == self._destroyed_seen:
            return
        for subject in self.keys.destroyed_subjects():
            if subject in self._cache:
                self._cache[subject] = None
        self._destroyed_seen = count

    def notice(self, event: Any) -> None:
        """A decoded erasure event: its subject reads as erased from here on in this process."""
        if isinstance(event, _ERASURE_EVENT):
            self._cache[event.subject] = None

    def forget(self, subject: str) -> None:
        self._cache.pop(subject, None)
