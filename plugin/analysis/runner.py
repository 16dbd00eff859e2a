"""A worker: claims one job at a time and runs it (plugin.analysis.job_run) on its own thread."""

import logging
import threading

from db import jobs
from db.models import JobState
from db.session import Database
from plugin.analysis.contract import Pipeline
from plugin.analysis.failures import DeviceLoss
from plugin.analysis.job_run import JobRunner, WorkerConfig
from plugin.health import OK, WARMING
from plugin.metrics import ServiceMetrics
from plugin.wakeup import Bell

log = logging.getLogger(__name__)


class Worker:
    """Claims queued jobs and runs the pipeline on each until stopped."""

    def __init__(
        self,
        database: Database,
        pipeline: Pipeline,
        config: WorkerConfig,
        *,
        metrics: ServiceMetrics | None = None,
        bell: Bell | None = None,
        device_loss: DeviceLoss | None = None,
    ) -> None:
        self._config = config
        self._bell = bell or Bell()  # rung when a job is queued (and to stop)
        loss = device_loss or DeviceLoss()  # shared by the workers of one device
        self._runner = JobRunner(database, pipeline, config, metrics, device_loss=loss)
        self._thread: threading.Thread | None = None
        self._lease: jobs.Lease | None = None
        self.warming = False  # set by the pool while it warms this worker's device up
        self.not_started: str | None = None  # why the pool did not start it

    @property
    def name(self) -> str:
        """The worker's name, as recorded on the jobs it claims."""
        return self._config.name

    @property
    def alive(self) -> bool:
        """Whether the worker's thread is running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def device(self) -> str:
        """The device it runs jobs on."""
        return self._config.device

    @property
    def health(self) -> str:
        """ok, warming up, or why it takes no jobs (its device failed, it stopped)."""
        lost = self._runner.device_loss.reason
        if lost is not None:
            return f"device {self.device} failed, restart the process: {lost}"
        if self.not_started is not None:
            return self.not_started
        if self.warming:
            return WARMING
        return OK if self.alive else "stopped"

    def lose_device(self, reason: str) -> None:
        """Take no more jobs: the device cannot be used again by this process."""
        self._runner.device_loss.mark(reason)

    @property
    def lease(self) -> jobs.Lease | None:
        """The job it is running now, if any."""
        return self._lease

    def start(self) -> None:
        """Start the worker's thread."""
        if self.alive:
            return
        self._runner.stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the worker to stop (a running job goes back to the queue) and wait for it."""
        self._runner.stopping.set()
        self._bell.ring()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> JobState | None:
        """Claim one due job and run it to an outcome; None when no job was due."""
        lease = self._runner.claim()
        if lease is None:
            return None
        self._lease = lease
        try:
            return self._runner.run_lease(lease)
        finally:
            self._lease = None

    def _loop(self) -> None:
        while not self._runner.stopping.is_set() and self._runner.device_loss.reason is None:
            try:
                ran = self.run_once()
            except Exception:  # the thread's boundary: a database outage must not kill it
                log.exception("worker %s: cannot claim or record a job; trying again", self.name)
                ran = None
            if ran is None:
                self._bell.wait(self._config.poll_interval_s)
