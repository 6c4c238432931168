"""Verification of the record as a background job, so an auditor's page can show how far a long
check of the whole log has got. The job runs :meth:`services.audit.service.AuditService.verify`
in a thread with the progress callback the CLI's progress bar uses; nothing here checks a chain.

Jobs are bounded (a whole-log check reads every stored event: a few at a time, one running per
auditor) and each belongs to the auditor who started it: another one cannot see it, even with
its id."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from services.audit.findings import VerifyReport
from services.audit.service import AuditService

Progress = Callable[[int, int], None]
Verify = Callable[[AuditService, UUID | None, Progress], VerifyReport]


def verify(audit: AuditService, case_id: UUID | None, progress: Progress) -> VerifyReport:
    return audit.verify(case_id, progress=progress)


class TooMany(Exception):
    """As many verifications as allowed are running: try again when one has finished."""


@dataclass
class Job:
    id: str
    owner: str
    case_id: UUID | None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    checked: int = 0
    total: int = 0
    report: VerifyReport | None = None
    failure: str | None = None
    finished: datetime | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    @property
    def percent(self) -> int | None:
        """How far, 0-100; None until the size of the log is known."""
        return None if self.total <= 0 else min(100, self.checked * 100 // self.total)

    def as_json(self) -> dict[str, object]:
        state = "running" if self.running else ("failed" if self.failure else "done")
        ok = None if self.report is None else self.report.ok
        return {
            "id": self.id,
            "state": state,
            "checked": self.checked,
            "total": self.total,
            "percent": self.percent,
            "ok": ok,
            "findings": None if self.report is None else len(self.report.findings),
            "failure": self.failure,
        }


class VerifyJobs:
    """The verifications of one server: at most ``limit`` running, ``keep`` finished kept per
    auditor (the oldest forgotten first)."""

    def __init__(self, limit: int = 2, keep: int = 5, run: Verify = verify) -> None:
        self.limit, self.keep, self.run = limit, keep, run
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, audit: AuditService, case_id: UUID | None) -> Job:
        """A new job for ``audit.reader``, or the one of theirs still running."""
        owner = audit.reader
        with self._lock:
            running = [j for j in self._jobs.values() if j.running]
            mine = [j for j in running if j.owner == owner]
            if mine:
                return mine[0]
            if len(running) >= self.limit:
                raise TooMany(f"{len(running)} verifications are running, the most allowed")
            job = Job(secrets.token_urlsafe(16), owner, case_id)
            self._jobs[job.id] = job
            self._forget_old(owner)
        worker = threading.Thread(target=self._work, args=(job, audit), daemon=True)
        worker.start()
        return job

    def get(self, owner: str, job_id: str) -> Job | None:
        """The job if ``owner`` started it (anyone else gets None, as for an unknown id)."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def of(self, owner: str) -> list[Job]:
        """``owner``'s jobs, newest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.owner == owner]
        return sorted(jobs, key=lambda j: j.started, reverse=True)

    def _work(self, job: Job, audit: AuditService) -> None:
        def progress(checked: int, total: int) -> None:
            job.checked, job.total = checked, total

        try:
            job.report = self.run(audit, job.case_id, progress)
            if job.case_id is not None:  # one case's chain: no steps to report
                job.checked = job.total = job.report.events_checked
        except Exception as error:  # shown to the auditor; the server goes on
            job.failure = f"{type(error).__name__}: {error}"
        finally:
            job.finished = datetime.now(UTC)

    def _forget_old(self, owner: str) -> None:
        done = [j for j in self._jobs.values() if j.owner == owner and not j.running]
        for old in sorted(done, key=lambda j: j.started)[: max(0, len(done) - self.keep)]:
            del self._jobs[old.id]
