"""Every read model the backbone keeps, by name."""

from __future__ import annotations

from projections.agreements import AgreementRegister
from projections.delays import Delays
from projections.framework import Projection
from projections.moves import PrisonMoves
from projections.performance import AreaPerformance


def all_projections() -> list[Projection]:
    return [PrisonMoves(), Delays(), AgreementRegister(), AreaPerformance()]
