"""Arrays sent in PostgreSQL's binary format (``adapters/pg_arrays``) read back as sent."""

from __future__ import annotations

import uuid

import psycopg

from adapters.pg_arrays import bytea_array, int8_array, text_array, uuid_array
from tests.servers import PgDatabase


def _connect(pg_database: PgDatabase) -> psycopg.Connection[tuple[object, ...]]:
    s = pg_database.server
    return psycopg.connect(host=s.host, port=s.port, user=s.user, dbname=pg_database.name)


def test_columns_round_trip_through_unnest(pg_database: PgDatabase) -> None:
    ids = [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]
    texts = ['a"{},\\ é', None, ""]
    blobs = [b"\x00\\x\xff", b"", b"NULL"]
    big = [1, 2**62, -(2**63)]
    nullable = [None, -5, 0]
    with _connect(pg_database) as conn:
        rows = conn.execute(
            "SELECT * FROM unnest(%s, %s, %s, %s, %s)",
            [
                uuid_array(ids),
                text_array(texts),
                bytea_array(blobs),
                int8_array(big),
                int8_array(nullable),
            ],
        ).fetchall()
    assert rows == list(zip(ids, texts, blobs, big, nullable, strict=True))


def test_empty_arrays_and_their_types(pg_database: PgDatabase) -> None:
    with _connect(pg_database) as conn:
        row = conn.execute(
            "SELECT %s, %s, %s, pg_typeof(%s)::text, pg_typeof(%s)::text",
            [int8_array([]), text_array([]), bytea_array([]), uuid_array([]), text_array(["x"])],
        ).fetchone()
    assert row == ([], [], [], "uuid[]", "text[]")
