"""The workers of one process (one per device) and their upkeep: recovery and heartbeats."""

import logging
import os
import socket
import threading
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from config import Settings
from db import jobs
from db.errors import LeaseLostError
from db.models import utcnow
from db.session import Database
from db.signals import Ready
from plugin.analysis.contract import Pipeline
from plugin.analysis.job_run import worker_config
from plugin.analysis.runner import Worker
from plugin.metrics import ServiceMetrics
from plugin.wakeup import Wakeup

log = logging.getLogger(__name__)


class WorkerPool:
    """Starts one worker per device, recovers abandoned jobs, and keeps heartbeats going."""

    def __init__(
        self,
        database: Database,
        pipeline: Pipeline,
        settings: Settings,
        *,
        devices: Sequence[str],
        metrics: ServiceMetrics | None = None,
        wakeup: Wakeup | None = None,
    ) -> None:
        prefix = f"{socket.gethostname()}:{os.getpid()}"
        self._database = database
        self._stale_after = timedelta(seconds=settings.jobs.stale_after_s)
        self._max_crashes = settings.jobs.max_crashes
        self._stopping = threading.Event()
        self._upkeep: threading.Thread | None = None
        self.workers = tuple(
            Worker(
                database,
                pipeline,
                worker_config(settings, f"{prefix}:{device}", device),
                metrics=metrics,
                bell=None if wakeup is None else wakeup.bell(Ready.JOB),
            )
            for device in dict.fromkeys(devices)
        )

    @property
    def alive(self) -> bool:
        """Whether every worker is running."""
        return bool(self.workers) and all(worker.alive for worker in self.workers)

    def start(self, *, take_over_running: bool = True) -> jobs.Recovered:
        """Recover abandoned jobs, then start the workers and their upkeep.

        `take_over_running`: every job marked running was left by a process that is gone
        (true when this is the only process with workers on this database); otherwise only
        jobs without a heartbeat for `jobs.stale_after_s` are recovered.
        """
        recovered = self.recover(all_running=take_over_running)
        self._stopping.clear()
        for worker in self.workers:
            worker.start()
        self._upkeep = threading.Thread(target=self._upkeep_loop, name="job-upkeep", daemon=True)
        self._upkeep.start()
        return recovered

    def stop(self, timeout: float | None = None) -> None:
        """Stop the workers (their running jobs go back to the queue) and the upkeep."""
        self._stopping.set()
        for worker in self.workers:
            worker.stop(timeout)
        if self._upkeep is not None:
            self._upkeep.join(timeout)

    def recover(self, *, all_running: bool = False) -> jobs.Recovered:
        """Queue again (or fail, after `jobs.max_crashes`) the jobs of workers that died."""
        now = utcnow()
        before = now if all_running else now - self._stale_after
        with self._database.session() as session:
            recovered = jobs.requeue_stale(
                session, heartbeat_before=before, max_crashes=self._max_crashes, now=now
            )
            session.commit()
        if recovered.requeued or recovered.failed or recovered.cancelled:
            log.warning(
                "recovered jobs left running: %d queued again, %d failed (they stopped the "
                "service jobs.max_crashes times), %d cancelled",
                len(recovered.requeued),
                len(recovered.failed),
                len(recovered.cancelled),
            )
        return recovered

    def heartbeat(self) -> None:
        """Tell the database that the running jobs of this pool's workers are still alive."""
        for lease in [worker.lease for worker in self.workers]:
            if lease is None:
                continue
            with self._database.session() as session:
                try:
                    jobs.heartbeat(session, lease)
                    session.commit()
                except LeaseLostError:
                    pass  # the job finished (or was taken) since we looked

    def _upkeep_loop(self) -> None:
        interval = max(self._stale_after.total_seconds() / 4, 1.0)
        while not self._stopping.wait(interval):
            try:
                self.heartbeat()
                self.recover()
            except SQLAlchemyError as error:
                log.warning("job upkeep: database error %s; trying again", type(error).__name__)
