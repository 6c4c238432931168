"""``link_rows`` (the batch path's chain rows) hashes exactly as ``event_hash``/``log_hash``."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from adapters.audit_chain import GENESIS, LogHead, event_hash, link, link_rows, log_hash


def test_rows_chain_each_aggregate_and_the_log_as_the_reference_functions_do() -> None:
    a, b = uuid4(), uuid4()
    events = [
        StoredEvent(a, 3, "t:A", b"\x00state a3"),  # continues a stored version 2
        StoredEvent(b, 1, "t:B", b"b1"),
        StoredEvent(a, 4, "t:A", b"a4"),
        StoredEvent(b, 2, "t:B", b""),
    ]
    stored = {(str(a), 2): "f" * 64}
    head = LogHead(41, "someone", 7, "e" * 64)
    rows = link_rows([42, 43, 44, 45], events, lambda o, v: stored.get((o, v)), head)

    expected = []
    prev_event = {str(a): "f" * 64, str(b): GENESIS}
    prev = (41, "someone", 7, "e" * 64)
    for nid, e in zip([42, 43, 44, 45], events, strict=True):
        oid = str(e.originator_id)
        ev = event_hash(prev_event[oid], oid, e.originator_version, e.topic, e.state)
        log = log_hash(prev[3], nid, ev)
        expected.append((nid, oid, e.originator_version, prev_event[oid], ev, *prev, log))
        prev_event[oid], prev = ev, (nid, oid, e.originator_version, log)
    assert rows == expected
    again = link([42, 43, 44, 45], events, lambda o, v: stored.get((o, v)), head)
    assert [r.as_row() for r in again] == rows


def test_first_row_of_an_empty_log_links_to_genesis() -> None:
    (row,) = link_rows([1], [StoredEvent(uuid4(), 1, "t", b"x")], lambda o, v: None, LogHead())
    assert row[3] == GENESIS and row[5:9] == (None, None, None, GENESIS)


def test_the_hashes_of_stored_chains_never_change_their_form() -> None:
    """Stored chains are verified against these functions: their bytes are fixed for ever."""
    oid, topic = "0f6c2b1e-7b1d-4c3a-9a52-3f1e2d4c5b6a", "domain.case.aggregate:Case.Referred"
    assert (
        event_hash(GENESIS, oid, 2, topic, b'{"x":1}')
        == "e16c13e2ebe0fd3c8d47447b14fc8b0be6f803099c758de40fc6956681399b5c"
    )
    assert (
        log_hash("e" * 64, 42, "f" * 64)
        == "ad4b4e5051112e327b5697656926dc4f9823ba387429d1d480b1d1898069a6b3"
    )
