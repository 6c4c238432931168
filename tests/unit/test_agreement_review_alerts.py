"""Registers alert 3 months before a review falls due, for agreements in force only."""

from __future__ import annotations

from datetime import date

import pytest

from projections.agreements import AgreementRow

TODAY = date(2025, 10, 1)


def row(status: str, review_due: date) -> AgreementRow:
    return AgreementRow("ISA-1", "t", "pcc:kent", status, date(2024, 1, 1), review_due)


@pytest.mark.parametrize("status", ["active", "suspended"])
def test_agreements_in_force_alert_when_a_review_is_overdue_or_due_soon(status: str) -> None:
    assert row(status, date(2025, 9, 1)).review_alert(TODAY) == "overdue"
    assert row(status, date(2025, 12, 1)).review_alert(TODAY) == "due soon"
    assert row(status, date(2026, 6, 1)).review_alert(TODAY) is None


@pytest.mark.parametrize("status", ["draft", "terminated"])
def test_agreements_in_draft_have_no_review_alert(status: str) -> None:
    assert row(status, date(2025, 9, 1)).review_alert(TODAY) is None
    assert row(status, date(2025, 12, 1)).review_alert(TODAY) is None
