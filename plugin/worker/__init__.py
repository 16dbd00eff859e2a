"""In-process workers: claim durable jobs and run the analysis pipeline on each.

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
from plugin.worker.pool import WorkerPool
from plugin.worker.runner import Worker, WorkerConfig

__all__ = [
    "JobCancelledError",
    "JobContext",
    "JobFailedError",
    "JobOutcome",
    "NotEvaluable",
    "Pipeline",
    "SlideFiles",
    "StoredInstance",
    "Worker",
    "WorkerConfig",
    "WorkerPool",
    "WorkerStoppingError",
]
