"""Progress reports from a running pipeline to the job row, throttled, with cancel checks."""

import threading
import time

from db import jobs
from db.session import Database
from plugin.analysis.contract import JobCancelledError, WorkerStoppingError


class JobProgress:
    """Writes progress at most every `interval_s` (and on each new stage); raises to stop."""

    def __init__(
        self, database: Database, lease: jobs.Lease, stopping: threading.Event, interval_s: float
    ) -> None:
        self._database = database
        self._lease = lease
        self._stopping = stopping
        self._interval_s = interval_s
        self._stage: str | None = None
        self._written_at = float("-inf")

    def __call__(self, fraction: float, stage: str) -> None:
        if self._stopping.is_set():
            raise WorkerStoppingError("the worker is stopping; the job goes back to the queue")
        now = time.monotonic()
        if stage == self._stage and now - self._written_at < self._interval_s:
            return
        self._stage, self._written_at = stage, now
        with self._database.session() as session:
            cancel = jobs.report_progress(session, self._lease, fraction, stage)
            session.commit()
        if cancel:
            raise JobCancelledError(f"job {self._lease.job_id} was cancelled")
