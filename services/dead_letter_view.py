"""A dead letter as operators see it: where it came from, why, how old, and its bytes shown safely.

Everything on a dead letter came from outside (the value, the original headers, even the reason
quotes the input), so nothing here is trusted to be printable: bytes that are not UTF-8 are
shown as hex, and control characters (a terminal escape, a NUL) as ``\\xNN``.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.dead_letter_actions import ActionRow, LetterId
from adapters.dead_letter_seal import DLQ_SEALED
from services.kafka_runtime.dead_letters import (
    DLQ_ERROR,
    DLQ_HEADERS_DROPPED,
    DLQ_OFFSET,
    DLQ_PARTITION,
    DLQ_REASON,
    DLQ_SHA256,
    DLQ_SIZE,
    DLQ_TOPIC,
    DLQ_TRUNCATED,
    Header,
)

DLQ_PREFIX = "rjb_dlq_"
KEEP = {"\n", "\t"}


def printable(text: str) -> str:
    """``text`` with control characters (other than newline and tab) written as ``\\xNN``."""
    return "".join(
        c
        if c in KEEP or (c.isprintable() and c != "\x7f")
        else f"\\x{ord(c):02x}"
        if ord(c) < 0x100
        else f"\\u{ord(c):04x}"
        for c in text
    )


def looks_binary(data: bytes) -> bool:
    """NULs, or more than a tenth bytes that are not UTF-8 or are control characters (a few bad
    bytes, e.g. a multi-byte character cut at the end, still read as text with replacements)."""
    text = data.decode(errors="replace")
    odd = sum(1 for c in text if c == "\ufffd" or not (c.isprintable() or c in KEEP | {"\r"}))
    return "\x00" in text or odd > len(text) // 10


def show_bytes(data: bytes | None, limit: int | None = None) -> tuple[str, str]:
    """(how it is shown, the text): ``null``, ``utf-8`` or ``hex`` (binary)."""
    if data is None:
        return "null", ""
    cut = data if limit is None else data[:limit]
    if looks_binary(cut):
        return "hex", cut.hex(" ")
    return "utf-8", printable(cut.decode(errors="replace"))


def header_text(value: bytes | None) -> str:
    kind, text = show_bytes(value)
    return {"null": "(null)", "hex": f"hex {text}"}.get(kind, text)


@dataclass(frozen=True)
class DeadLetter:
    id: LetterId
    timestamp: datetime
    key: bytes | None
    value: bytes
    headers: list[Header]
    opened: bool = False  # a sealed letter's original key, headers and value, opened for a read

    @classmethod
    def from_record(cls, record: Any) -> DeadLetter:
        at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
        letter = LetterId(record.topic, record.partition, record.offset)
        return cls(letter, at, record.key, record.value or b"", list(record.headers or ()))

    def header(self, name: str) -> str:
        raw = next((v for k, v in self.headers if k == name), None)
        return "" if raw is None else raw.decode(errors="replace")

    @property
    def sealed_under(self) -> str:
        """The day key a sealed letter is encrypted under ("" for a letter written unsealed)."""
        return self.header(DLQ_SEALED)

    @property
    def reason(self) -> str:
        return self.header(DLQ_REASON)

    @property
    def error(self) -> str:
        return self.header(DLQ_ERROR)

    @property
    def source_topic(self) -> str:
        return self.header(DLQ_TOPIC)

    @property
    def source(self) -> str:
        """Where it was read: ``topic[partition]@offset``."""
        part, offset = self.header(DLQ_PARTITION), self.header(DLQ_OFFSET)
        return f"{self.source_topic}[{part}]@{offset}"

    @property
    def source_partition(self) -> int | None:
        found = self.header(DLQ_PARTITION)
        return int(found) if found.isdigit() else None

    @property
    def original_size(self) -> int:
        found = self.header(DLQ_SIZE)
        return int(found) if found.isdigit() else len(self.value)

    @property
    def truncated(self) -> list[str]:
        """What was cut to fit the dead-letter topic: ``value``, ``key``, ``headers``."""
        cut = [(v or b"").decode(errors="replace") for k, v in self.headers if k == DLQ_TRUNCATED]
        if any(k == DLQ_HEADERS_DROPPED for k, _ in self.headers):
            cut.append("headers")
        return cut

    def original_headers(self) -> list[Header]:
        """The headers the message came with (the ``rjb_dlq_*`` ones removed)."""
        return [(k, v) for k, v in self.headers if not k.startswith(DLQ_PREFIX)]

    def not_the_original(self) -> str | None:
        """Why this dead letter cannot stand for the original message (None when it can)."""
        if self.sealed_under and not self.opened:
            return f"sealed under {self.sealed_under}, which was destroyed after the retention"
        if self.truncated:
            return f"truncated ({', '.join(self.truncated)}): it is not the original message"
        digest = self.header(DLQ_SHA256)
        if digest and hashlib.sha256(self.value).hexdigest() != digest:
            return "its value does not match the original's sha256"
        return None

    def age_seconds(self, now: datetime) -> float:
        return max((now - self.timestamp).total_seconds(), 0.0)


@dataclass(frozen=True)
class LetterFilter:
    """Which dead letters: source topic (a glob), error kind, dead-lettered since, and whether
    those already retried or purged count too."""

    source_topic: str | None = None
    error: str | None = None
    since: datetime | None = None
    handled_too: bool = False

    @property
    def narrows(self) -> bool:
        return any(x is not None for x in (self.source_topic, self.error, self.since))

    def matches(self, letter: DeadLetter, last: ActionRow | None) -> bool:
        if last is not None and not self.handled_too:
            return False
        if self.source_topic and not fnmatch.fnmatchcase(letter.source_topic, self.source_topic):
            return False
        if self.error and letter.error != self.error:
            return False
        return self.since is None or letter.timestamp >= self.since


@dataclass(frozen=True)
class Listed:
    letter: DeadLetter
    last: ActionRow | None = None
    history: list[ActionRow] = field(default_factory=list)


SINCE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: datetime) -> datetime:
    """``30m``, ``2h``, ``7d`` (ago) or an ISO 8601 instant (UTC when it names no zone)."""
    text = text.strip()
    if text[:-1].isdigit() and text[-1:] in SINCE_UNITS:
        return now - timedelta(seconds=int(text[:-1]) * SINCE_UNITS[text[-1]])
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r}: give an age (30m, 2h, 7d) or an ISO 8601 instant") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
