"""Custody follows HMPPS movements: duplicates ignored, late and out-of-order arrivals sorted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.hmpps import PrisonMovementMessage
from domain.custody import Custody, CustodyStatus, Movement, MovementKind
from domain.errors import AgencyNotPermitted
from tests.unit.case_builders import meta


def move(kind: MovementKind, reason: str, prison: str, day: int, hour: int = 9) -> Movement:
    return Movement(
        kind=kind,
        reason=reason,
        prison_id=prison,
        occurred_at=datetime(2025, 3, day, hour, tzinfo=UTC),
    )


RECEPTION = move(MovementKind.RECEIVED, "ADMISSION", "LEI", 1)
TRANSFER_OUT = move(MovementKind.RELEASED, "TRANSFERRED", "LEI", 10)
TRANSFER_IN = move(MovementKind.RECEIVED, "TRANSFERRED", "DAI", 10, 15)
RELEASE = move(MovementKind.RELEASED, "RELEASED", "DAI", 20)


def custody_with(*movements: Movement) -> Custody:
    custody = Custody(prison_number="a1234bc", meta=meta("prison:LEI"))
    for m in movements:
        custody.record_movement(m, meta("prison:" + m.prison_id))
    return custody


def test_a_reception_puts_the_offender_in_that_prison() -> None:
    custody = custody_with(RECEPTION)
    assert custody.prison_number == "A1234BC"
    assert custody.status is CustodyStatus.IN_PRISON and custody.current_prison == "LEI"


def test_a_transfer_is_a_release_transferred_plus_a_reception_transferred() -> None:
    custody = custody_with(RECEPTION, TRANSFER_OUT, TRANSFER_IN)
    assert custody.current_prison == "DAI"
    [transfer] = custody.transfers()
    assert (transfer.from_prison, transfer.to_prison) == ("LEI", "DAI")


def test_between_prisons_the_offender_is_in_transit() -> None:
    custody = custody_with(RECEPTION, TRANSFER_OUT)
    assert custody.status is CustodyStatus.IN_TRANSIT and custody.current_prison is None


def test_duplicate_movements_are_ignored() -> None:
    custody = custody_with(RECEPTION)
    assert custody.record_movement(RECEPTION, meta()) is False
    assert len(custody.movements) == 1 and custody.version == 2


def test_late_and_out_of_order_messages_end_in_the_right_current_location() -> None:
    in_order = custody_with(RECEPTION, TRANSFER_OUT, TRANSFER_IN, RELEASE)
    shuffled = custody_with(TRANSFER_IN, RELEASE, RECEPTION, TRANSFER_OUT, TRANSFER_IN)
    late_transfer = custody_with(RECEPTION, TRANSFER_IN, TRANSFER_OUT)
    assert shuffled.status is CustodyStatus.RELEASED and shuffled.current_prison is None
    assert shuffled.movements == in_order.movements
    assert late_transfer.current_prison == "DAI"
    assert shuffled.transfers() == in_order.transfers()


def test_the_history_keeps_every_move() -> None:
    custody = custody_with(RECEPTION, TRANSFER_OUT, TRANSFER_IN, RELEASE)
    assert [m.reason for m in custody.movements] == [
        "ADMISSION",
        "TRANSFERRED",
        "TRANSFERRED",
        "RELEASED",
    ]


def test_at_court_the_offender_remains_held_by_the_sending_prison() -> None:
    custody = custody_with(RECEPTION, move(MovementKind.RELEASED, "SENT_TO_COURT", "LEI", 2))
    assert custody.status is CustodyStatus.AT_COURT and custody.current_prison == "LEI"


def test_an_hmpps_message_becomes_one_idempotent_movement_command() -> None:
    message = {
        "eventType": "prison-offender-events.prisoner.released",
        "version": 1,
        "occurredAt": "2025-03-10T09:00:00Z",
        "personReference": {"identifiers": [{"type": "NOMS", "value": "a1234bc"}]},
        "additionalInformation": {"prisonId": "lei", "reason": "TRANSFERRED", "extra": "kept"},
    }
    first = PrisonMovementMessage.model_validate(message).to_command()
    again = PrisonMovementMessage.model_validate(message).to_command()
    assert first == again
    assert first["prison_number"] == "A1234BC" and first["agency"] == "prison:LEI"
    assert first["movement"] == TRANSFER_OUT


def test_a_prison_records_only_its_own_movements() -> None:
    custody = custody_with(RECEPTION)
    with pytest.raises(AgencyNotPermitted, match="WYI cannot record a movement at prison DAI"):
        custody.record_movement(TRANSFER_IN, meta("prison:WYI"))
    assert custody.movements == [RECEPTION]
