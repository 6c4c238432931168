"""What an operator sees of a dead letter: outside bytes shown safely, filters, retry safety."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from adapters.dead_letter_actions import Action, ActionRow, LetterId
from services.dead_letter_view import DeadLetter, LetterFilter, parse_since, printable, show_bytes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOPIC = "rjb.inbound.police.kent.commands.v1"


def letter(value: bytes = b"{}", *extra: tuple[str, bytes | None]) -> DeadLetter:
    digest = hashlib.sha256(value).hexdigest().encode()
    headers = [
        ("trace", None),
        ("rjb_dlq_error", b"ValidationError"),
        ("rjb_dlq_source_topic", TOPIC.encode()),
        ("rjb_dlq_source_partition", b"1"),
        ("rjb_dlq_original_sha256", digest),
        *extra,
    ]
    record = SimpleNamespace(
        topic="rjb.dead-letter.v1",
        partition=0,
        offset=7,
        key=None,
        value=value,
        headers=headers,
        timestamp=(NOW - timedelta(hours=3)).timestamp() * 1000,
    )
    return DeadLetter.from_record(record)


def test_control_characters_from_outside_are_shown_not_obeyed() -> None:
    assert printable("a\x1b[2Jb\tc\nd\x00\u202e") == "a\\x1b[2Jb\tc\nd\\x00\\u202e"


def test_binary_values_are_shown_as_hex_and_text_with_a_cut_character_as_text() -> None:
    assert show_bytes(b"\xfe\x01\x02\x03") == ("hex", "fe 01 02 03")
    assert show_bytes(b"a\x00b") == ("hex", "61 00 62")
    assert show_bytes(b'{"name": "Zo' + "ë".encode()[:1]) == ("utf-8", '{"name": "Zo\ufffd')
    assert show_bytes(None) == ("null", "")


def test_since_takes_an_age_or_an_instant() -> None:
    assert parse_since("2h", NOW) == NOW - timedelta(hours=2)
    assert parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert parse_since("2026-02-28T09:00", NOW) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="give an age"):
        parse_since("yesterday", NOW)


def test_filters_match_source_topic_glob_error_and_age_and_hide_letters_dealt_with() -> None:
    found = letter()
    assert LetterFilter(source_topic="*.police.kent.*").matches(found, None)
    assert not LetterFilter(source_topic="*.pcc.*").matches(found, None)
    assert not LetterFilter(error="JSONDecodeError").matches(found, None)
    assert not LetterFilter(since=NOW - timedelta(hours=1)).matches(found, None)
    purged = ActionRow(found.id, Action.PURGE, "admin:backbone/ann", NOW, "resent", "")
    assert not LetterFilter().matches(found, purged)
    assert LetterFilter(handled_too=True).matches(found, purged)
    assert found.age_seconds(NOW) == 3 * 3600 and str(found.id) == "0/7"
    assert found.id == LetterId("rjb.dead-letter.v1", 0, 7)


def test_only_a_letter_holding_the_whole_original_message_may_be_retried() -> None:
    assert letter(b'{"a": 1}').not_the_original() is None
    assert letter(b"{").original_headers() == [("trace", None)]
    cut = letter(b"{", ("rjb_dlq_truncated", b"value"))
    assert cut.not_the_original() == "truncated (value): it is not the original message"
    dropped = letter(b"{", ("rjb_dlq_headers_dropped", b"40"))
    assert dropped.truncated == ["headers"] and dropped.not_the_original()
    tampered = letter(b"{}")
    changed = DeadLetter(tampered.id, tampered.timestamp, None, b"{ }", tampered.headers)
    assert changed.not_the_original() == "its value does not match the original's sha256"
