"""What ``verify`` reports: each finding names the aggregate, version and notification."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from adapters.audit_chain import LogHead


@dataclass(frozen=True)
class Finding:
    kind: str
    originator_id: str | None
    version: int | None
    notification_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"aggregate {self.originator_id} version {self.version}"
        if self.notification_id is not None:
            where += f" (notification {self.notification_id})"
        return f"{self.kind.upper()}: {where}: {self.detail}"


@dataclass
class VerifyReport:
    scope: str
    events_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    head: LogHead | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, finding: Finding) -> None:
        if not any(
            (f.kind, f.originator_id, f.version)
            == (finding.kind, finding.originator_id, finding.version)
            for f in self.findings
        ):
            self.findings.append(finding)


def summary(report: VerifyReport) -> Iterable[str]:
    if report.ok:
        yield f"OK: {report.events_checked} events verified ({report.scope})"
    for finding in report.findings:
        yield str(finding)
