"""The aggregates whose events projections read, typed loosely.

Event classes made by eventsourcing's ``@event("Name")`` exist only at run time, so mypy cannot
see ``Case.ActivityHeld``; projections import the aggregates from here instead.
"""

from __future__ import annotations

from typing import Any

from domain.agreement import SharingAgreement as _SharingAgreement
from domain.case.aggregate import Case as _Case
from domain.custody import Custody as _Custody

Case: Any = _Case
Custody: Any = _Custody
SharingAgreement: Any = _SharingAgreement
