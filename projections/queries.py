"""The query API over every read model, for the CLI now and the HTTP layer later."""

from __future__ import annotations

from dataclasses import dataclass, field

from projections.agreements import AgreementQueries
from projections.clock import Clock, system_clock
from projections.delay_queries import DelayQueries
from projections.delay_results import ServiceLevels
from projections.moves_queries import MovesQueries
from projections.performance_queries import PerformanceQueries
from projections.runner import ProjectionRunner


@dataclass
class ReadModels:
    """One entry point: ``ReadModels(backbone.projections, clock=...)``."""

    runner: ProjectionRunner
    levels: ServiceLevels = field(default_factory=ServiceLevels)
    clock: Clock = system_clock

    @property
    def moves(self) -> MovesQueries:
        return MovesQueries(self.runner)

    @property
    def delays(self) -> DelayQueries:
        return DelayQueries(self.runner, self.levels, self.clock)

    @property
    def agreements(self) -> AgreementQueries:
        return AgreementQueries(self.runner, self.clock)

    @property
    def performance(self) -> PerformanceQueries:
        return PerformanceQueries(self.runner)
