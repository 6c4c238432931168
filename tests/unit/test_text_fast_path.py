"""The quick search that passes ordinary text misses no character the full check refuses."""

from __future__ import annotations

import sys

import pytest

from domain import text


@pytest.mark.parametrize("multiline", [False, True])
def test_every_character_the_check_refuses_is_one_the_quick_search_looks_at(
    multiline: bool,
) -> None:
    suspect = text._SUSPECT_MULTILINE if multiline else text._SUSPECT_SINGLE_LINE
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if suspect.search(char) is None:
            assert text.character_by_character(char, multiline=multiline) is None, hex(code)


def test_a_forbidden_character_after_ordinary_text_is_still_named_with_its_position() -> None:
    reason = text.forbidden_character("Mrs A. \u202e(head teacher)", multiline=False)
    assert reason is not None and "U+202E" in reason and "position 7" in reason
    assert text.forbidden_character("line one\nline two\ttabbed", multiline=True) is None
    assert text.forbidden_character("line one\nline two", multiline=False) is not None
