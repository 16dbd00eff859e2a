"""Workers: claim durable jobs and run the analysis pipeline on each.

`plugin.worker.job_run` runs one job (any executor calls it with a job id); the in-process
`WorkerPool` is a loop of threads around it, and `plugin.distributed` a Celery task.

`inference.devices.resolve_devices` says how many to start: one per device it names.
"""

from plugin.worker.contract import (
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
from plugin.worker.job_run import JobRunner, WorkerConfig, run_job
from plugin.worker.pool import WorkerPool
from plugin.worker.runner import Worker

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
