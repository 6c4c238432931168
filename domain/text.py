"""Input limits: the string types every command field uses (maximum length, no control characters).

Three kinds of text, each with a documented maximum (README "Input limits"):

* :data:`Identifier` (at most 64 characters): ids, references and short codes chosen by agencies
  (``participant_id``, ``command_id``, ``form_reference``, ``ISA-WY-RJ-001``); one line.
* :data:`Name` (at most 200): names, titles, venues, methods, providers, signatories; one line.
* :data:`FreeText` (at most 4,000): summaries, reasons, notes, outcome terms; may hold line breaks
  (``\\n``, ``\\r``) and tabs.

No text may hold other control characters (C0, DEL, C1: NUL included), lone surrogates or the
Unicode bidirectional controls (overrides, embeddings, isolates, marks) that make text display
differently from what it says; single-line kinds refuse line and paragraph separators too. Lists
hold at most :data:`MAX_ITEMS` entries. Personal text keeps any script: names like "Siân" or
"Zoë" are fine; only agency and prison codes must be plain ASCII (:mod:`domain.agencies`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

from domain.personal import PERSONAL

MAX_IDENTIFIER = 64
MAX_NAME = 200
MAX_FREE_TEXT = 4000
MAX_ITEMS = 100

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
LINE_BREAKS = frozenset("\n\r\t")
LINE_SEPARATORS = frozenset("\u2028\u2029\x85")


_CONTROL_NAMES = {
    "\x00": "NULL",
    "\t": "CHARACTER TABULATION",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: a character as a reader can look it up."""
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "unnamed character")
    return f"U+{ord(char):04X} {name}"


# Every character forbidden_character may refuse (Cc, Cs, BIDI_CONTROLS, LINE_SEPARATORS):
# text without any, nearly all text, is passed by one search instead of a look-up per character.
_SUSPECT_SINGLE_LINE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_SUSPECT_MULTILINE = re.compile(  # as above, less the line breaks multiline text may hold
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u061c\u200e\u200f"
    r"\u202a-\u202e\u2066-\u2069]"
)


def forbidden_character(value: str, *, multiline: bool) -> str | None:
    """Why ``value`` is refused because of one of its characters, or None."""
    suspect = _SUSPECT_MULTILINE if multiline else _SUSPECT_SINGLE_LINE
    if suspect.search(value) is None:
        return None
    return character_by_character(value, multiline=multiline)


def character_by_character(value: str, *, multiline: bool) -> str | None:
    """:func:`forbidden_character` the long way, naming the character and its position."""
    for position, char in enumerate(value):
        if multiline and char in LINE_BREAKS:
            continue
        category = unicodedata.category(char)
        if category == "Cc" or char in LINE_SEPARATORS:
            what = "control character" if category == "Cc" else "line separator"
            return f"contains the {what} {describe(char)} at position {position}"
        if category == "Cs":
            return f"contains a lone surrogate {describe(char)} at position {position}"
        if char in BIDI_CONTROLS:
            return (
                f"contains the bidirectional control {describe(char)} at position {position} "
                "(it makes text display differently from what it says)"
            )
    return None


def single_line(value: str) -> str:
    reason = forbidden_character(value, multiline=False)
    if reason:
        raise ValueError(reason)
    return value


def _multiline(value: str) -> str:
    reason = forbidden_character(value, multiline=True)
    if reason:
        raise ValueError(reason)
    return value


Identifier = Annotated[
    str, Field(min_length=1, max_length=MAX_IDENTIFIER), AfterValidator(single_line)
]
Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(single_line)]
FreeText = Annotated[str, Field(max_length=MAX_FREE_TEXT), AfterValidator(_multiline)]

PersonalName = Annotated[Name, PERSONAL]
PersonalFreeText = Annotated[FreeText, PERSONAL]

Identifiers = Annotated[tuple[Identifier, ...], Field(max_length=MAX_ITEMS)]
Names = Annotated[tuple[Name, ...], Field(max_length=MAX_ITEMS)]
FreeTexts = Annotated[tuple[FreeText, ...], Field(max_length=MAX_ITEMS)]
PersonalFreeTexts = Annotated[tuple[PersonalFreeText, ...], Field(max_length=MAX_ITEMS)]
