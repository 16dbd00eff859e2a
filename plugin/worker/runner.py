"""A worker: claims one job at a time and runs the pipeline on it, on a thread of its own."""

import enum
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from db import jobs
from db.cases import load_slide
from db.errors import LeaseLostError
from db.models import Instance, JobState
from db.results import ResultValues
from db.session import Database
from db.slide_completion import content_key
from plugin.metrics import ServiceMetrics
from plugin.wakeup import Bell
from plugin.worker.contract import (
    JobCancelledError,
    JobContext,
    JobOutcome,
    NotEvaluable,
    Pipeline,
    SlideFiles,
    StoredInstance,
    WorkerStoppingError,
)
from plugin.worker.failures import Failure, FailureKind, attempt_label, classify
from plugin.worker.progress import JobProgress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """How one worker runs: its name (unique among live workers), device and policies."""

    name: str
    device: str
    destinations: tuple[str, ...] = ()
    retry_delay: timedelta = timedelta(seconds=30)
    poll_interval_s: float = 1.0
    progress_interval_s: float = 0.5


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
    ) -> None:
        self._database = database
        self._pipeline = pipeline
        self._config = config
        self._metrics = metrics
        self._bell = bell or Bell()  # rung when a job is queued (and to stop)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lease: jobs.Lease | None = None

    @property
    def name(self) -> str:
        """The worker's name, as recorded on the jobs it claims."""
        return self._config.name

    @property
    def alive(self) -> bool:
        """Whether the worker's thread is running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def lease(self) -> jobs.Lease | None:
        """The job it is running now, if any."""
        return self._lease

    def start(self) -> None:
        """Start the worker's thread."""
        if self.alive:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the worker to stop (a running job goes back to the queue) and wait for it."""
        self._stopping.set()
        self._bell.ring()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> JobState | None:
        """Claim one due job and run it to an outcome; None when no job was due."""
        with self._database.session() as session:
            lease = jobs.claim(session, self.name)
            session.commit()
        if lease is None:
            return None
        self._lease = lease
        try:
            return self._run(lease)
        finally:
            self._lease = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the thread's boundary: a database outage must not kill it
                log.exception("worker %s: cannot claim or record a job; trying again", self.name)
                ran = None
            if ran is None:
                self._bell.wait(self._config.poll_interval_s)

    def _run(self, lease: jobs.Lease) -> JobState:
        started = time.monotonic()
        log.info("worker %s: job %d, attempt %d", self.name, lease.job_id, lease.attempt)
        try:
            outcome = self._attempt(lease)
            state = self._record(lease, outcome)
        except LeaseLostError:
            log.warning(
                "worker %s: job %d was taken from it; outcome dropped", self.name, lease.job_id
            )
            return JobState.QUEUED
        if self._metrics is not None:
            result = outcome if isinstance(outcome, ResultValues) else None
            failure = outcome if isinstance(outcome, Failure) else None
            label = attempt_label(state, failure)
            self._metrics.observe_job(label, time.monotonic() - started, result)
        if state is JobState.FAILED and isinstance(outcome, Failure):
            log.warning("worker %s: job %d failed: %s", self.name, lease.job_id, outcome.reason)
        else:
            log.info("worker %s: job %d is %s", self.name, lease.job_id, state.value)
        return state

    def _attempt(self, lease: jobs.Lease) -> "_Attempt":
        """Run the pipeline once and say how it ended."""
        try:
            return self._pipeline(self._context(lease))
        except JobCancelledError:
            return _Stopped.CANCELLED
        except WorkerStoppingError:
            return _Stopped.RELEASED
        except LeaseLostError:
            raise
        except Exception as error:  # the pipeline's boundary: classified, logged with its reason
            failure = classify(error)
            log.warning(
                "worker %s: job %d attempt %d failed (%s): %s",
                self.name,
                lease.job_id,
                lease.attempt,
                failure.kind.value,
                failure.reason,
            )
            log.debug("job %d failure", lease.job_id, exc_info=True)
            return failure

    def _record(self, lease: jobs.Lease, outcome: "_Attempt") -> JobState:
        """Write how the attempt ended; returns the job's new state.

        While the database is unreachable it tries again at the poll interval, so that an
        outage neither loses the outcome nor leaves the job to be recovered as a crash.
        """
        while True:
            try:
                with self._database.session() as session:
                    state = self._write(session, lease, outcome)
                    session.commit()
                return state
            except (OperationalError, InterfaceError) as error:
                if self._stopping.is_set():
                    raise
                log.warning(
                    "worker %s: cannot record job %d, the database failed (%s); trying again",
                    self.name,
                    lease.job_id,
                    str(error.orig).splitlines()[0] if error.orig else type(error).__name__,
                )
                self._stopping.wait(self._config.poll_interval_s)

    def _write(self, session: Session, lease: jobs.Lease, outcome: "_Attempt") -> JobState:
        if isinstance(outcome, ResultValues):
            jobs.complete(session, lease, outcome, self._config.destinations)
            return JobState.DONE
        if isinstance(outcome, NotEvaluable):
            jobs.mark_not_evaluable(session, lease, outcome.reason)
            return JobState.NOT_EVALUABLE
        if isinstance(outcome, Failure) and outcome.kind is FailureKind.OUTAGE:
            reason = f"{outcome.reason}; queued again without spending an attempt"
            jobs.release(session, lease, reason=reason, retry_after=self._config.retry_delay)
            return JobState.QUEUED
        if isinstance(outcome, Failure):
            transient = outcome.kind is FailureKind.TRANSIENT
            retry_after = self._config.retry_delay if transient else None
            return jobs.fail(session, lease, outcome.reason, retry_after=retry_after)
        if outcome is _Stopped.CANCELLED:
            jobs.acknowledge_cancel(session, lease)
            return JobState.CANCELLED
        jobs.release(session, lease)
        return JobState.QUEUED

    def _context(self, lease: jobs.Lease) -> JobContext:
        with self._database.session() as session:
            job = jobs.get_job(session, lease.job_id)
            slide = load_slide(session, job.slide_id)
            files = SlideFiles(
                slide_id=slide.id,
                study_instance_uid=slide.case.study_instance_uid,
                series_instance_uid=slide.series_instance_uid,
                storage_dir=Path(slide.storage_dir),
                instances=tuple(
                    StoredInstance(i.sop_instance_uid, i.image_type, Path(i.path))
                    for i in slide.instances
                ),
            )
            content_key = _content_of(job.id, job.content_key, slide.instances)
        reporter = JobProgress(
            self._database, lease, self._stopping, self._config.progress_interval_s
        )
        return JobContext(
            job_id=lease.job_id,
            attempt=lease.attempt,
            content_key=content_key,
            device=self._config.device,
            slide=files,
            report=reporter,
        )


def _content_of(job_id: int, queued_key: str, instances: Sequence[Instance]) -> str:
    """The content key of the instances the job will analyse: the result's identity must name
    what is analysed, even if instances arrived after the job was queued."""
    key = content_key(instances) or queued_key
    if key != queued_key:
        log.info("job %d: the slide received more images since it was queued", job_id)
    return key


class _Stopped(enum.Enum):
    """An attempt stopped from outside: cancelled by a user, or released by a stopping worker."""

    CANCELLED = "cancelled"
    RELEASED = "released"


_Attempt = JobOutcome | Failure | _Stopped
