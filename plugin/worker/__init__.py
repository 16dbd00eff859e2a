"""In-process workers: claim durable jobs and run the analysis pipeline on each.

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
from plugin.worker.pool import WorkerPool
from plugin.worker.runner import Worker, WorkerConfig

__all__ = [
    "InstanceFile",
    "JobCancelledError",
    "JobContext",
    "JobFailedError",
    "JobOutcome",
    "NotEvaluable",
    "Pipeline",
    "SlideFiles",
    "Worker",
    "WorkerConfig",
    "WorkerPool",
    "WorkerStoppingError",
]
