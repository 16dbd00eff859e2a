"""Workers: claim durable jobs and run the analysis pipeline on each.

`plugin.worker.job_run` runs one job (any executor calls it with a job id); the in-process
`WorkerPool` is a loop of threads around it, and `plugin.distributed` a Celery task.

`plugin.worker.devices.worker_devices` (which imports torch) says how many to start.
"""

from plugin.worker.contract import (
    InstanceFile,
    JobCancelledError,
    JobContext,
    JobFailedError,
    JobOutcome,
    NotEvaluable,
    Pipeline,
    SlideFiles,
    WorkerStoppingError,
)
from plugin.worker.job_run import JobRunner, WorkerConfig, run_job
from plugin.worker.pool import WorkerPool
from plugin.worker.runner import Worker

__all__ = [
    "InstanceFile",
    "JobCancelledError",
    "JobContext",
    "JobFailedError",
    "JobOutcome",
    "JobRunner",
    "NotEvaluable",
    "Pipeline",
    "SlideFiles",
    "Worker",
    "WorkerConfig",
    "WorkerPool",
    "WorkerStoppingError",
    "run_job",
]
