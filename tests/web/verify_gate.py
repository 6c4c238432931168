"""A verification the tests can hold half way, to see its progress: the real check of the log
(:func:`services.audit.verify.verify_log`, in pages of 20 notifications) that stops after its
second report until released."""

from __future__ import annotations

import threading
from collections.abc import Callable
from uuid import UUID

from services.audit.findings import VerifyReport
from services.audit.service import AuditService
from services.audit.verify import verify_log


class Gate:
    def __init__(self) -> None:
        self.reached, self.go = threading.Event(), threading.Event()

    def __call__(
        self, audit: AuditService, case_id: UUID | None, progress: Callable[[int, int], None]
    ) -> VerifyReport:
        reports = 0

        def paced(checked: int, total: int) -> None:
            nonlocal reports
            progress(checked, total)
            reports += 1
            if reports == 2:
                self.reached.set()
                self.go.wait(30)

        audit.log_read("verify", "*")
        return verify_log(audit.recorder, page=20, progress=paced)
