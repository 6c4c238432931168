"""Hostile inbound messages, from a seeded random generator, each meant to be dead-lettered.

Kinds: random bytes, truncations of valid JSON, deep nesting, a wrong JSON type at every path
of a valid command (nested agreement terms included), 1 MB strings, NUL characters, homoglyph
agency codes, JSON that is not an object, and valid commands with a null or binary
``rjb_agency`` header. Wrong types are ones pydantic's lax mode cannot coerce (a number for a
date *is* a date to it), so a stored one is a real finding. Valid messages carry null and
binary headers of other names, which must not stop them.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from drills.kafka_io import Message
from drills.workload import AGENCY, as_message, case_commands
from services.demo.runner import all_scripts

Path_ = tuple[str | int, ...]
HOMOGLYPHS = {"o": "\u043e", "e": "\u0435", "a": "\u0430", "i": "\u0456", "l": "\u04cf"}
WRONG = {
    str: [["x"], {"x": 1}, True],
    bool: [["x"], {"x": 1}, "maybe", 2],
    int: [["x"], {"x": 1}, "x", 1.5],
    float: [["x"], {"x": 1}, "x"],
    list: ["x", 7, {"x": 1}],
    dict: [["x"], "x", 7],
}


def _agreement() -> dict[str, Any]:
    draft = next(c for s in all_scripts() for c in s.commands if c["type"] == "draft_agreement")
    return {**copy.deepcopy(draft), "agency": AGENCY}


AGREEMENT = _agreement()


def paths(value: Any, at: Path_ = ()) -> Iterator[Path_]:
    """Every path into a JSON value, parents before children."""
    if at:
        yield at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*at, i))


def replaced(doc: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def get(doc: Any, path: Path_) -> Any:
    for step in path:
        doc = doc[step]
    return doc


class Fuzzer:
    """Bad messages, one kind after another, with ids that say which drill made them."""

    def __init__(self, tag: str, rng: random.Random) -> None:
        self.tag, self.rng, self.n = tag, rng, 0
        self.kinds: list[Callable[[], Message]] = [
            self.random_bytes,
            self.truncated,
            self.deep,
            self.wrong_type,
            self.wrong_type,
            self.huge_string,
            self.nul,
            self.homoglyph,
            self.not_an_object,
            self.agency_header,
        ]
        self.wrong_paths = [("case", p) for p in paths(self.base("case"))] + [
            ("agreement", p) for p in paths(self.base("agreement"))
        ]

    def base(self, which: str = "case") -> dict[str, Any]:
        self.n += 1
        if which == "agreement":
            return {
                **AGREEMENT,
                "command_id": f"{self.tag}-bad-{self.n}",
                "reference": f"ISA-{self.tag}-{self.n}",
            }
        command = case_commands(self.tag, 0, self.rng)[0]
        return {**command, "command_id": f"{self.tag}-bad-{self.n}"}

    def message(self, kind: str, value: bytes | dict[str, Any], headers: Any = None) -> Message:
        if isinstance(value, dict):
            command_id = (
                value.get("command_id") if isinstance(value.get("command_id"), str) else None
            )
            return Message(self.key(), orjson.dumps(value), headers or [], command_id, kind)
        return Message(self.key(), value, headers or [], None, kind)

    def key(self) -> bytes | None:
        """Spread over the partitions, among the valid messages (sometimes no key at all)."""
        return None if self.rng.random() < 0.1 else self.rng.randbytes(8).hex().encode()

    def next(self) -> Message:
        kind = self.rng.choice(self.kinds)
        if kind == self.huge_string and self.rng.random() > 0.2:
            kind = self.wrong_type  # 1 MB each: a few hundred are enough
        return kind()

    def random_bytes(self) -> Message:
        data = self.rng.randbytes(self.rng.randint(1, 3000)).replace(b"\n", b"").replace(b"\r", b"")
        return self.message("random bytes", data.strip() or b"\x00")

    def truncated(self) -> Message:
        data = orjson.dumps(self.base(self.rng.choice(["case", "agreement"])))
        return self.message("truncated", data[: self.rng.randint(1, len(data) - 1)])

    def deep(self) -> Message:
        depth = self.rng.choice([600, 5_000, 100_000])
        if self.rng.random() < 0.5:
            return self.message("deep nesting", b"[" * depth + b"]" * depth)
        doc = orjson.dumps(self.base())[:-1]
        return self.message(
            "deep nesting", doc + b',"summary":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
        )

    def wrong_type(self) -> Message:
        which, path = self.wrong_paths[self.n % len(self.wrong_paths)]
        doc = self.base(which)
        original = get(doc, path)
        value = self.rng.choice(WRONG.get(type(original), [["x"]]))
        return self.message(f"wrong type at {'.'.join(map(str, path))}", replaced(doc, path, value))

    def string_paths(self, doc: dict[str, Any]) -> list[Path_]:
        return [p for p in paths(doc) if isinstance(get(doc, p), str) and p != ("type",)]

    def huge_string(self) -> Message:
        doc = self.base()
        path = self.rng.choice(self.string_paths(doc))
        return self.message("1 MB string", replaced(doc, path, "x" * 1_000_000))

    def nul(self) -> Message:
        doc = self.base(self.rng.choice(["case", "agreement"]))
        path = self.rng.choice(self.string_paths(doc))
        text = get(doc, path)
        cut = self.rng.randint(0, len(text))
        return self.message(
            f"NUL in {path[-1]}", replaced(doc, path, text[:cut] + "\x00" + text[cut:])
        )

    def homoglyph(self) -> Message:
        doc = self.base()
        field = self.rng.choice(["agency", "pcc_area"])
        text = doc[field]
        spots = [i for i, ch in enumerate(text) if ch in HOMOGLYPHS]
        i = self.rng.choice(spots)
        return self.message(
            f"homoglyph {field}", {**doc, field: text[:i] + HOMOGLYPHS[text[i]] + text[i + 1 :]}
        )

    def not_an_object(self) -> Message:
        return self.message(
            "not an object", self.rng.choice([b"null", b"17", b'"refer_case"', b"[]", b"true"])
        )

    def agency_header(self) -> Message:
        value = self.rng.choice([None, b"\xff\xfe\x00", b"police:kent"])
        return self.message("rjb_agency header", self.base(), [("rjb_agency", value)])


def odd_headers(rng: random.Random) -> list[tuple[str, bytes | None]]:
    """Headers a valid message may carry: null and binary values, repeated keys."""
    return rng.choice(
        [
            [],
            [("trace", None)],
            [("blob", rng.randbytes(16))],
            [("trace", None), ("trace", b"\xff")],
        ]
    )


def interleaved(tag: str, bad: int, cases: int, rng: random.Random) -> list[Message]:
    """``bad`` fuzzed messages with the commands of ``cases`` valid cases spread among them
    (each case's steps keep their order)."""
    fuzzer = Fuzzer(tag, rng)
    out = [fuzzer.next() for _ in range(bad)]
    for n in range(cases):
        commands = case_commands(tag, n, rng)
        spots = sorted(rng.randint(0, len(out)) for _ in commands)
        for k, (spot, command) in enumerate(zip(spots, commands, strict=True)):
            out.insert(spot + k, as_message(command, odd_headers(rng)))
    return out
