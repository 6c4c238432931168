"""Group commit for commands arriving together: one transaction for many callers.

Each caller's command waits in a queue with a future of its own. One worker thread takes the
first command, waits until ``window`` seconds after it arrived (or until ``max_batch`` are
queued), and applies them all with one :meth:`CommandService.handle_batch`: the durable commit
is shared, and each future gets its own result or its own error (a rule's refusal, a repeat's
result). An error of the store fails every command of that batch. Arrival order is kept, so two
commands on one case apply in the order they came. A prisoner merge (several effects, reading
the store) is applied alone, in its place. The worker starts on demand and stops when idle, so
an unused coalescer holds no thread; :meth:`close` applies what is queued, then refuses more.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from services import prisoner_merge
from services.command_apply import CommandResult
from services.command_service import CommandService
from services.commands import Command

log = logging.getLogger(__name__)
IDLE_SECONDS = 1.0


class CoalescerClosed(Exception):
    """The coalescer was closed: the caller applies its command by itself."""


@dataclass
class _Waiting:
    command: Command
    future: Future[CommandResult] = field(default_factory=Future)
    arrived: float = field(default_factory=time.monotonic)


class CommandCoalescer:
    def __init__(self, commands: CommandService, window: float, max_batch: int = 500) -> None:
        self.commands, self.window, self.max_batch = commands, window, max_batch
        self.batches = 0  # handle_batch calls (each one transaction, or none when nothing new)
        self.coalesced = 0  # commands that went through those calls
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._closed = False

    def submit(self, command: Command) -> Future[CommandResult]:
        """Queues ``command``; the future resolves when its batch is stored (or refused)."""
        waiting = _Waiting(command)
        with self._lock:
            if self._closed:
                raise CoalescerClosed("the command coalescer is closed")
            self._queue.put(waiting)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="rjb-coalescer", daemon=True)
                self._worker.start()
        return waiting.future

    def close(self, timeout: float | None = 30.0) -> None:
        """Applies every command already queued, then stops; later submits are refused."""
        with self._lock:
            self._closed = True
            worker = self._worker
            if worker is not None:
                self._queue.put(None)
        if worker is not None:
            worker.join(timeout)
        self._fail_queued(CoalescerClosed("the command coalescer stopped before this command"))

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():  # submit starts a new worker after this one
                        self._worker = None
                        return
                continue
            if first is None:
                return
            batch, stop = self._collect(first)
            try:
                self._apply(batch)
            except Exception as error:  # a bug: never leave a caller waiting
                log.exception("the command coalescer failed on a batch")
                for waiting in batch:
                    _resolve(waiting, error)
            if stop:
                return

    def _collect(self, first: _Waiting) -> tuple[list[_Waiting], bool]:
        """The first command and those arriving within the window after it (at most
        ``max_batch``); True when the coalescer is closing."""
        batch, deadline = [first], first.arrived + self.window
        while len(batch) < self.max_batch:
            left = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _apply(self, batch: list[_Waiting]) -> None:
        """Runs of ordinary commands go to handle_batch; a prisoner merge is applied alone."""
        run: list[_Waiting] = []
        for waiting in batch:
            if waiting.command.type != prisoner_merge.MERGE:
                run.append(waiting)
                continue
            self._apply_run(run)
            run = []
            try:
                _resolve(waiting, prisoner_merge.handle(self.commands, waiting.command))
            except Exception as error:
                _resolve(waiting, error)
        self._apply_run(run)

    def _apply_run(self, run: list[_Waiting]) -> None:
        if not run:
            return
        self.batches += 1
        self.coalesced += len(run)
        try:
            results = self.commands.handle_batch([w.command for w in run])
        except Exception as error:  # the store's (or every retry met a writer): all of them
            log.warning("a batch of %d commands failed: %s", len(run), error)
            for waiting in run:
                _resolve(waiting, error)
            return
        for waiting, result in zip(run, results, strict=True):
            _resolve(waiting, result)

    def _fail_queued(self, error: Exception) -> None:
        """Fails what no worker will apply (a worker that did not stop in time)."""
        while True:
            try:
                waiting = self._queue.get_nowait()
            except queue.Empty:
                return
            if waiting is not None:
                _resolve(waiting, error)


def _resolve(waiting: _Waiting, outcome: CommandResult | Exception) -> None:
    """Sets the caller's outcome; a caller that gave up (a cancelled future) is skipped."""
    if waiting.future.done() or not waiting.future.set_running_or_notify_cancel():
        return
    if isinstance(outcome, Exception):
        waiting.future.set_exception(outcome)
    else:
        waiting.future.set_result(outcome)
