"""Workers: claim durable jobs and run the analysis pipeline on each.

`plugin.analysis.job_run` runs one job (any executor calls it with a job id); the in-process
`WorkerPool` is a loop of threads around it, and `plugin.distributed` a Celery task.

`inference.devices.resolve_devices` says how many to start: one per device it names.
"""

from plugin.analysis.contract import (
    JobCancelledError,
    JobContext,
    JobFailedError,
    JobOutcome,
    NotEvaluable,
    Pipeline,
    SlideFiles,
    StoredInstance,
    WorkerStoppingError,
)
from plugin.analysis.job_run import JobRunner, WorkerConfig, run_job
from plugin.analysis.pool import WorkerPool
from plugin.analysis.runner import Worker

__all__ = [
    "JobCancelledError",
    "JobContext",
    "JobFailedError",
    "JobOutcome",
    "JobRunner",
    "NotEvaluable",
    "Pipeline",
    "SlideFiles",
    "StoredInstance",
    "Worker",
    "WorkerConfig",
    "WorkerPool",
    "WorkerStoppingError",
    "run_job",
]
