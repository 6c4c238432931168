"""PostgreSQL arrays built directly in the binary wire format, for ``unnest`` inserts.

psycopg dumps a Python list element by element through its generic dumpers, and for a ``%s``
placeholder it picks the *text* array format, which runs a quoting regular expression over every
element (and writes every ``bytea`` in escaped hex). A batch's events, chain rows and new keys
spent about a quarter of a 500-command batch's CPU there. Here each column becomes one
:class:`BinaryArray` (a header, then each element's length and bytes), which psycopg sends as it
is, in binary, typed by its array oid.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from itertools import chain
from typing import cast
from uuid import UUID

from psycopg import adapters
from psycopg.abc import AdaptContext, Buffer, DumperKey
from psycopg.adapt import Dumper, PyFormat
from psycopg.pq import Format

_HEAD = struct.Struct(">iiiii")  # ndim, has null, element oid, then (length, lower bound)
_LEN = struct.Struct(">i")
_NULL = _LEN.pack(-1)
INT8, TEXT, BYTEA, UUID_OID = 20, 25, 17, 2950
_ARRAY_OF = {INT8: 1016, TEXT: 1009, BYTEA: 1001, UUID_OID: 2951}


class BinaryArray:
    """A one-dimensional array of ``element_oid`` in PostgreSQL's binary format."""

    __slots__ = ("data", "oid")

    def __init__(self, element_oid: int, count: int, body: bytes, *, has_null: bool) -> None:
        self.oid = _ARRAY_OF[element_oid]
        if count:
            self.data = _HEAD.pack(1, int(has_null), element_oid, count, 1) + body
        else:
            self.data = _HEAD.pack(0, 0, element_oid, 0, 0)[:12]


def _array(element_oid: int, items: Sequence[bytes | None]) -> BinaryArray:
    if any(i is None for i in items):
        body = b"".join(_NULL if i is None else _LEN.pack(len(i)) + i for i in items)
        return BinaryArray(element_oid, len(items), body, has_null=True)
    present = cast("Sequence[bytes]", items)
    pairs = chain.from_iterable((_LEN.pack(len(i)), i) for i in present)
    return BinaryArray(element_oid, len(items), b"".join(pairs), has_null=False)


def int8_array(values: Sequence[int | None]) -> BinaryArray:
    if any(v is None for v in values):
        return _array(INT8, [None if v is None else struct.pack(">q", v) for v in values])
    body = struct.pack(">" + "iq" * len(values), *chain.from_iterable((8, v) for v in values))
    return BinaryArray(INT8, len(values), body, has_null=False)


def text_array(values: Sequence[str | None]) -> BinaryArray:
    return _array(TEXT, [None if v is None else v.encode() for v in values])


def bytea_array(values: Sequence[bytes]) -> BinaryArray:
    return _array(BYTEA, values)


def uuid_array(values: Sequence[UUID]) -> BinaryArray:
    return _array(UUID_OID, [v.bytes for v in values])


class BinaryArrayDumper(Dumper):
    format = Format.BINARY

    def __init__(self, cls: type, context: AdaptContext | None = None, oid: int = 0) -> None:
        super().__init__(cls, context)
        self.context = context
        self.oid = oid

    def dump(self, obj: BinaryArray) -> Buffer:
        return obj.data

    def get_key(self, obj: BinaryArray, format: PyFormat) -> DumperKey:
        return (BinaryArray, obj.oid)  # type: ignore[return-value]

    def upgrade(self, obj: BinaryArray, format: PyFormat) -> Dumper:
        return BinaryArrayDumper(BinaryArray, self.context, obj.oid)


adapters.register_dumper(BinaryArray, BinaryArrayDumper)
