"""One job, run to an outcome: claim it, build its context, run the pipeline once, record how it
ended. Free of threads and loops: the in-process worker thread and the Celery task both call it.
"""

import enum
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from config import Settings
from db import jobs
from db.cases import load_slide
from db.errors import LeaseLostError
from db.models import Instance, JobState
from db.results import ResultValues, UnjudgedValues
from db.session import Database
from db.slide_completion import content_key
from plugin.analysis.contract import (
    FailureReporter,
    JobCancelledError,
    JobContext,
    JobOutcome,
    NotEvaluable,
    Pipeline,
    SlideFiles,
    StoredInstance,
    WorkerStoppingError,
)
from plugin.analysis.failures import DeviceLoss, Failure, FailureKind, attempt_label, classify
from plugin.analysis.progress import JobProgress
from plugin.metrics import ServiceMetrics

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
    max_crashes: int = 5


def worker_config(settings: Settings, name: str, device: str) -> WorkerConfig:
    """A worker's configuration from the settings: every destination gets an export."""
    return WorkerConfig(
        name=name,
        device=device,
        destinations=tuple(destination.name for destination in settings.export.destinations),
        retry_delay=timedelta(seconds=settings.jobs.retry_delay_s),
        poll_interval_s=settings.jobs.poll_interval_s,
        max_crashes=settings.jobs.max_crashes,
    )


@dataclass(frozen=True)
class JobRunner:
    """Runs jobs with one pipeline under one worker's name; `stopping` set: jobs go back;
    `device_loss` marked: its device broke, and it claims nothing more."""

    database: Database
    pipeline: Pipeline
    config: WorkerConfig
    metrics: ServiceMetrics | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    device_loss: DeviceLoss = field(default_factory=DeviceLoss)

    def claim(self, job_id: int | None = None) -> jobs.Lease | None:
        """Claim job `job_id` (or the oldest due job) atomically; None when taken or not due,
        or when this worker's device is lost."""
        if self.device_loss.reason is not None:
            return None
        with self.database.session() as session:
            lease = jobs.claim(session, self.config.name, job_id=job_id)
            session.commit()
        return lease

    def run_job(self, job_id: int) -> JobState | None:
        """Claim exactly this job and run it to an outcome; None when it is taken or not due."""
        lease = self.claim(job_id)
        return None if lease is None else self.run_lease(lease)

    def run_lease(self, lease: jobs.Lease) -> JobState:
        """Run an already-claimed job once and record the outcome; returns the job's new state
        (QUEUED when the lease was lost meanwhile: the outcome is then dropped)."""
        started = time.monotonic()
        log.info("worker %s: job %d, attempt %d", self.config.name, lease.job_id, lease.attempt)
        try:
            outcome = self._attempt(lease)
            state = self._record(lease, outcome)
        except LeaseLostError:
            log.warning(
                "worker %s: job %d was taken from it; outcome dropped",
                self.config.name,
                lease.job_id,
            )
            return JobState.QUEUED
        if self.metrics is not None:
            result = outcome if isinstance(outcome, ResultValues) else None
            failure = outcome if isinstance(outcome, Failure) else None
            label = attempt_label(state, failure)
            self.metrics.observe_job(label, time.monotonic() - started, result)
        if state is JobState.FAILED and isinstance(outcome, Failure):
            log.warning(
                "worker %s: job %d failed: %s", self.config.name, lease.job_id, outcome.reason
            )
        else:
            log.info("worker %s: job %d is %s", self.config.name, lease.job_id, state.value)
        return state

    def _attempt(self, lease: jobs.Lease) -> "_Attempt":
        """Run the pipeline once and say how it ended."""
        context: JobContext | None = None
        try:
            context = self._context(lease)
            if jobs.crashed_out(lease, self.config.max_crashes):
                return self._crashed_out(context)
            return self.pipeline(context)
        except JobCancelledError:
            return _Stopped.CANCELLED
        except WorkerStoppingError:
            return _Stopped.RELEASED
        except LeaseLostError:
            raise
        except Exception as error:  # the pipeline's boundary: classified, logged with its reason
            failure = classify(error)
            if failure.kind is FailureKind.DEVICE_LOST:
                self._lose_device(lease, failure)
                return failure
            log.warning(
                "worker %s: job %d attempt %d failed (%s): %s",
                self.config.name,
                lease.job_id,
                lease.attempt,
                failure.kind.value,
                failure.reason,
            )
            log.debug("job %d failure", lease.job_id, exc_info=True)
            if context is not None and failure.fails_for_good(context.last_attempt):
                return replace(failure, report=self._failure_report(context, failure))
            return failure

    def _crashed_out(self, context: JobContext) -> Failure:
        """A job under which the service stopped `max_crashes` times fails without being
        analysed again, with its "failed" report like any job that fails for good."""
        failure = Failure(jobs.crash_reason(self.config.max_crashes), FailureKind.DETERMINISTIC)
        return replace(failure, report=self._failure_report(context, failure))

    def _lose_device(self, lease: jobs.Lease, failure: Failure) -> None:
        self.device_loss.mark(failure.reason)
        log.error(
            "worker %s: device %s is unusable after job %d: %s; the job goes back to the queue "
            "for another worker and this worker takes no more jobs: restart this process "
            "(check the GPU with nvidia-smi and the kernel log if it happens again)",
            self.config.name,
            self.config.device,
            lease.job_id,
            failure.reason,
            exc_info=True,
        )

    def _record(self, lease: jobs.Lease, outcome: "_Attempt") -> JobState:
        """Write how the attempt ended; returns the job's new state.

        While the database is unreachable it tries again at the poll interval, so that an
        outage neither loses the outcome nor leaves the job to be recovered as a crash.
        """
        while True:
            try:
                with self.database.session() as session:
                    state = self._write(session, lease, outcome)
                    session.commit()
                return state
            except (OperationalError, InterfaceError) as error:
                if self.stopping.is_set():
                    raise
                log.warning(
                    "worker %s: cannot record job %d, the database failed (%s); trying again",
                    self.config.name,
                    lease.job_id,
                    str(error.orig).splitlines()[0] if error.orig else type(error).__name__,
                )
                self.stopping.wait(self.config.poll_interval_s)

    def _write(self, session: Session, lease: jobs.Lease, outcome: "_Attempt") -> JobState:
        if isinstance(outcome, ResultValues):
            jobs.complete(session, lease, outcome, self.config.destinations)
            return JobState.DONE
        if isinstance(outcome, NotEvaluable):
            jobs.mark_not_evaluable(
                session,
                lease,
                outcome.reason,
                report=outcome.report,
                destinations=self.config.destinations,
            )
            return JobState.NOT_EVALUABLE
        if isinstance(outcome, Failure) and outcome.kind is FailureKind.DEVICE_LOST:
            reason = f"{outcome.reason}; queued again for another worker"
            jobs.release(session, lease, reason=reason)
            return JobState.QUEUED
        if isinstance(outcome, Failure) and outcome.kind is FailureKind.OUTAGE:
            reason = f"{outcome.reason}; queued again without spending an attempt"
            jobs.release(session, lease, reason=reason, retry_after=self.config.retry_delay)
            return JobState.QUEUED
        if isinstance(outcome, Failure):
            transient = outcome.kind is FailureKind.TRANSIENT
            retry_after = self.config.retry_delay if transient else None
            return jobs.fail(
                session,
                lease,
                outcome.reason,
                retry_after=retry_after,
                report=outcome.report,
                destinations=self.config.destinations,
            )
        if outcome is _Stopped.CANCELLED:
            jobs.acknowledge_cancel(session, lease)
            return JobState.CANCELLED
        jobs.release(session, lease)
        return JobState.QUEUED

    def _context(self, lease: jobs.Lease) -> JobContext:
        with self.database.session() as session:
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
            key = _content_of(job.id, job.content_key, slide.instances)
            max_attempts = job.max_attempts
        reporter = JobProgress(self.database, lease, self.stopping, self.config.progress_interval_s)
        return JobContext(
            job_id=lease.job_id,
            attempt=lease.attempt,
            content_key=key,
            device=self.config.device,
            slide=files,
            report=reporter,
            max_attempts=max_attempts,
        )

    def _failure_report(self, context: JobContext, failure: Failure) -> UnjudgedValues | None:
        """The "failed" SR of a job that fails for good, when the pipeline can write one."""
        if not isinstance(self.pipeline, FailureReporter):
            return None
        try:
            return self.pipeline.failure_report(context, failure.reason)
        except Exception as error:  # the failure is recorded whatever its report does
            log.warning(
                "job %d: no 'failed' report (%s: %s)", context.job_id, type(error).__name__, error
            )
            log.debug("job %d: 'failed' report", context.job_id, exc_info=True)
            return None


def run_job(
    database: Database,
    pipeline: Pipeline,
    job_id: int,
    config: WorkerConfig,
    *,
    metrics: ServiceMetrics | None = None,
) -> JobState | None:
    """Claim job `job_id` atomically and run it to an outcome; None when it is taken or not due
    (a duplicate delivery, or a job that another worker runs)."""
    return JobRunner(database, pipeline, config, metrics).run_job(job_id)


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
