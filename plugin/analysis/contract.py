"""The pipeline contract: what a pipeline receives (JobContext) and returns (JobOutcome).

A pipeline is a plain function `pipeline(context) -> outcome`: the in-process worker calls
it, and a distributed engine (Celery) can call the same function with a context of its own.
It reports progress through `context.progress(fraction, stage)`, which raises
JobCancelledError when the job was cancelled and WorkerStoppingError when the service stops;
a pipeline lets both propagate. Outcomes:

- `ResultValues` (db.results): the slide was analysed; the worker records the result and a
  pending export per configured destination, and marks the job done, in one transaction;
- `NotEvaluable(reason, report)`: the slide cannot be analysed (no tissue, no usable level);
  with the report that says so (db.results.UnjudgedValues), the worker records it as the job's
  result with a pending export per destination, so the PACS learns there is no AI result;
- raising JobFailedError(reason): a permanent failure, not retried;
- raising anything else: plugin.analysis.failures decides what it costs (a slide that cannot be
  decoded fails at once, a database outage spends no attempt, anything else is one failed
  attempt, retried after `jobs.retry_delay_s` until `jobs.max_attempts` attempts were spent).

A pipeline that is also a `FailureReporter` writes the "failed" SR of a job that fails for good
(a permanent failure, or the last attempt spent); the worker records it as the job's result with
a pending export per destination, as for a slide that is not evaluable.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from config import PathSentryError
from db.models import ImageType
from db.results import ResultValues, UnjudgedValues


class JobCancelledError(PathSentryError):
    """Someone cancelled the job; raised by `JobContext.progress`."""


class WorkerStoppingError(PathSentryError):
    """The service is stopping; the job goes back to the queue without spending an attempt."""


class JobFailedError(PathSentryError):
    """A pipeline's permanent failure: trying again cannot help (the message says why)."""


@dataclass(frozen=True)
class NotEvaluable:
    """The slide cannot be analysed; a person must look at it (the reason says why). `report`
    is the "not evaluable" SR to deliver, when the pipeline could write one."""

    reason: str
    report: UnjudgedValues | None = None


JobOutcome = ResultValues | NotEvaluable


@dataclass(frozen=True)
class StoredInstance:
    """One stored DICOM file of the slide."""

    sop_instance_uid: str
    image_type: ImageType
    path: Path


@dataclass(frozen=True)
class SlideFiles:
    """The slide a job analyses: its identity and its stored files."""

    slide_id: int
    study_instance_uid: str
    series_instance_uid: str
    storage_dir: Path
    instances: tuple[StoredInstance, ...]


@dataclass(frozen=True)
class JobContext:
    """Everything a pipeline gets for one attempt of one job."""

    job_id: int
    attempt: int
    content_key: str
    device: str
    slide: SlideFiles
    report: Callable[[float, str], None]
    max_attempts: int = 1

    @property
    def last_attempt(self) -> bool:
        """Whether a failure of this attempt fails the job for good (no attempt is left)."""
        return self.attempt >= self.max_attempts

    def progress(self, fraction: float, stage: str) -> None:
        """Report progress (0..1) and the current stage; raises if the job must stop."""
        self.report(fraction, stage)


Pipeline = Callable[[JobContext], JobOutcome]


@runtime_checkable
class FailureReporter(Protocol):
    """A pipeline that can also write the report of a job that failed for good."""

    def __call__(self, context: JobContext) -> JobOutcome: ...

    def failure_report(self, context: JobContext, reason: str) -> UnjudgedValues | None:
        """The "failed" SR for the job of `context`, with `reason` in words; None (and a log
        line saying why) when it cannot be written."""
        ...
